"""The shared state of an ELM lab, as the fakes of one node see it.

A node's fakes find the domain next to their own lab root:
``<lab root>/../.vcfix-lab-domain/domain.json``. A lab without it (an ordinary
single-node lab) is a domain of one node: no partners, itself as the only server.
Other nodes' facts (PNID, site, version, whether vmdird runs, the Machine SSL
certificate) come from their own lab state, ``<lab root>/../<host>/.vcfix-lab/``.

Writes (the showpartnerstatus call counter) are atomic and serialised by an
``flock``, like :mod:`vcfix.lab.state`. Keep this module light: fakes import it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from vcfix.errors import VcfixError
from vcfix.lab import state as lab_state
from vcfix.lab.elm import DOMAIN_DIR, DOMAIN_FILE, changes_behind, edge_key

Domain = Dict[str, Any]
LOCK_FILE = "domain.lock"


def domain_dir(lab_root: Path) -> Path:
    return Path(lab_root).parent / DOMAIN_DIR


def domain_path(lab_root: Path) -> Path:
    return domain_dir(lab_root) / DOMAIN_FILE


def is_domain_folder(folder: Path) -> bool:
    """True when ``folder`` holds an ELM lab (its shared domain state)."""
    return (Path(folder) / DOMAIN_DIR / DOMAIN_FILE).is_file()


def load_domain(lab_root: Path) -> Optional[Domain]:
    """The domain of the node at ``lab_root``, or None for a single-node lab."""
    return read_domain(Path(lab_root).parent)


def read_domain(folder: Path) -> Optional[Domain]:
    """The domain state of the ELM lab in ``folder``, or None when there is none."""
    path = Path(folder) / DOMAIN_DIR / DOMAIN_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise VcfixError(f"cannot read the lab domain state {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise VcfixError(f"the lab domain state {path} is damaged (no node list)")
    return data


def save_domain(folder: Path, domain: Domain) -> None:
    """Write the domain state of the ELM lab in ``folder`` (atomically, under the lock)."""
    directory = Path(folder) / DOMAIN_DIR
    with _locked(directory):
        _write(directory, domain)


@contextlib.contextmanager
def domain_transaction(lab_root: Path) -> Iterator[Optional[Domain]]:
    """Read-modify-write the domain of ``lab_root`` (None, and nothing saved, if none)."""
    directory = domain_dir(lab_root)
    if not (directory / DOMAIN_FILE).is_file():
        yield None
        return
    with _locked(directory):
        domain = load_domain(lab_root)
        yield domain
        if domain is not None:
            _write(directory, domain)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise VcfixError(f"cannot lock the lab domain state in {directory}: "
                         f"{exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write(directory: Path, domain: Domain) -> None:
    path = directory / DOMAIN_FILE
    try:
        fd, tmp = tempfile.mkstemp(prefix=".domain-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(domain, indent=1) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise VcfixError(f"cannot write the lab domain state {path}: {exc.strerror}") from exc


# --- What one node sees ------------------------------------------------------------------

def node_state(lab_root: Path, host: str) -> Optional[lab_state.State]:
    """The lab state of domain node ``host`` (None when that node's folder is missing)."""
    root = Path(lab_root).parent / host
    if not lab_state.is_lab(root):
        return None
    return lab_state.load(root)


def hosts(domain: Optional[Domain], me: str) -> List[str]:
    """Every directory server of the domain (just ``me`` without a domain)."""
    return [str(h) for h in domain["nodes"]] if domain else [me]


def agreements(domain: Optional[Domain], me: str) -> List[str]:
    """The partners ``me`` has a replication agreement with, in order."""
    if not domain:
        return []
    return [str(b) for a, b in domain.get("agreements", []) if a == me]


def vmdir_running(state: Optional[lab_state.State]) -> bool:
    """Whether the node holds a directory and vmdird runs (a management node has none)."""
    if state is None or state.get("node_type") == "management":
        return False
    return bool((state.get("services") or {}).get("vmdird", "Running") == "Running")


def usn(domain: Optional[Domain], me: str) -> int:
    return int((domain or {}).get("usn", {}).get(me, 1000))


def behind(domain: Domain, me: str, partner: str, calls: int) -> int:
    """How far ``partner`` is behind ``me`` on the ``calls``-th showpartnerstatus of ``me``."""
    return changes_behind(domain.get("lag", {}).get(edge_key(me, partner)), calls)


def growth(domain: Domain, me: str) -> int:
    """Changes ``me`` makes per showpartnerstatus call (those a stuck partner misses)."""
    prefix = edge_key(me, "")
    return max([int(v.get("grow", 0)) for k, v in domain.get("lag", {}).items()
                if k.startswith(prefix)], default=0)


def count_status_call(lab_root: Path, me: str) -> int:
    """Count one more showpartnerstatus on ``me``; return the count (0 without a domain)."""
    with domain_transaction(lab_root) as domain:
        if domain is None:
            return 0
        calls = domain.setdefault("calls", {})
        calls[me] = int(calls.get(me, 0)) + 1
        return int(calls[me])


def shown_release(domain: Optional[Domain], viewer: str, owner: str,
                  owner_release: str) -> str:
    """The release ``viewer``'s replica shows for ``owner``'s registrations."""
    stale = (domain or {}).get("stale", {}).get(viewer, {})
    return str(stale.get(owner, owner_release))
