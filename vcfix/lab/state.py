"""The lab appliance's state: one JSON document under ``DIR/.vcfix-lab/``.

The state is the simulated appliance's memory (VECS stores, the directory's STS
entries, the VMCA root, the machine account, service states, failure-injection
settings). Fake tools read it with :func:`load` and change it with
:func:`transaction` (or :func:`save`), so that what one fake changes (say a new
Machine SSL certificate) is what the next call sees.

Writes are atomic (a temporary file replaced over the old one) and serialised by
an ``flock`` on ``DIR/.vcfix-lab/state.lock``, because fakes may run concurrently.
Readers need no lock: they always see a whole document.

The file holds the lab's keys and passwords (it plays the appliance's own secret
stores); it is created readable by its owner only and is never used outside a lab.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from vcfix.errors import VcfixError

LAB_DIR = ".vcfix-lab"
STATE_FILE = "state.json"
LOCK_FILE = "state.lock"
CALLS_LOG = "calls.log"
LAB_FORMAT = 1

LAB_SSO_DOMAIN = "vsphere.local"
LAB_SSO_USER = "administrator@vsphere.local"
LAB_SSO_PASSWORD = "VMware123!"  # noqa: S105 - the lab's published, fixed password

# VECS entry types, spelled as vecs-cli prints them.
PRIVATE_KEY = "Private Key"
TRUSTED_CERT = "Trusted Cert"
SECRET_KEY = "Secret Key"  # noqa: S105 - a VECS entry type, not a secret
CRL = "Certification Revocation List"

State = Dict[str, Any]


def lab_dir(root: Path) -> Path:
    return Path(root) / LAB_DIR


def state_path(root: Path) -> Path:
    return lab_dir(root) / STATE_FILE


def calls_log_path(root: Path) -> Path:
    return lab_dir(root) / CALLS_LOG


def is_lab(root: Path) -> bool:
    """True when ``root`` holds a lab state file made by vcfix."""
    try:
        data = json.loads(state_path(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "lab_format" in data


def load(root: Path) -> State:
    """The lab state of ``root``; :class:`VcfixError` if missing or damaged."""
    path = state_path(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise VcfixError(
            f"no lab state at {path}",
            hint="make a lab first: vcfix lab create DIR --scenario healthy",
        ) from exc
    except OSError as exc:
        raise VcfixError(f"cannot read the lab state {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise VcfixError(f"the lab state {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise VcfixError(f"the lab state {path} is not a JSON object")
    return data


def save(root: Path, state: State) -> None:
    """Replace the state of ``root`` atomically, under the state lock."""
    with _locked(root):
        _write(root, state)


@contextlib.contextmanager
def transaction(root: Path) -> Iterator[State]:
    """Read-modify-write under the lock: the yielded state is saved on normal exit.

    Use this (not load-then-save) whenever a fake changes the state, so that two
    concurrent fakes cannot lose each other's changes. Nothing is saved if the
    block raises.
    """
    with _locked(root):
        state = load(root)
        yield state
        _write(root, state)


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    directory = lab_dir(root)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise VcfixError(f"cannot lock the lab state in {directory}: {exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _write(root: Path, state: State) -> None:
    path = state_path(root)
    text = json.dumps(state, indent=1) + "\n"
    try:
        fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise VcfixError(f"cannot write the lab state in {path.parent}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise VcfixError(f"cannot write the lab state {path}: {exc.strerror}") from exc


# Small accessors shared by the fakes (the state stays plain JSON data).

def vecs_store(state: State, store: str) -> Optional[List[Dict[str, Any]]]:
    """The entries of VECS ``store`` (exact name), or None if there is no such store."""
    stores: Dict[str, List[Dict[str, Any]]] = state.get("vecs", {})
    return stores.get(store)


def vecs_entry(state: State, store: str, alias: str) -> Optional[Dict[str, Any]]:
    for entry in vecs_store(state, store) or []:
        if entry.get("alias") == alias:
            return entry
    return None


# Known settings (``vcfix lab set DIR KEY=VALUE``): name -> (kind, default, help).
# Kinds: bool, speed (a number >= 0), percent (an integer 0-99), text. See docs/lab.md.
SETTINGS: Dict[str, Tuple[str, Any, str]] = {
    "vecs_spaces": ("bool", False, "vecs-cli prints 'Label : value' with spaces, not TABs"),
    "speed": ("speed", 0.02, "certificate-manager's, fixsts.sh's and service-control's "
                             "pauses = real durations x this factor "
                             "(0.02: a 10-minute run takes 12 s; 0: no pauses)"),
    "cm_rollback_at": ("percent", None, "certificate-manager fails at N% and rolls back"),
    "cm_hang_at": ("percent", None, "certificate-manager stops at N% and never finishes"),
    "cm_unexpected_prompt": ("text", None, "certificate-manager asks this question after "
                                           "the credentials and waits forever"),
    "cm_wrong_password": ("bool", False, "certificate-manager refuses every password"),
    "fixsts_fail": ("bool", False, "fixsts.sh deletes the STS entries, then its LDAP add "
                                   "fails (no 'Replacement finished', exit 1)"),
    "sc_fail_service": ("text", None, "service-control --start fails on this service "
                                      "(a JSON error, exit 1; later services stay stopped)"),
    "vmdir_state": ("text", "Normal", "the directory state vdcadmintool and dir-cli report "
                                      "(Normal, Read only, Startup, ...)"),
    "sc_fail_pending": ("text", None, "service-control --start --all leaves these services "
                                      "(comma separated) StartPending and fails with a "
                                      "multi-line JSON error: 'Failed to start ... services'"),
    "vcdb_fail_ext": ("text", None, "psql refuses an UPDATE of this extension's vpx_ext row "
                                    "(ERROR: could not serialize access...)"),
}


def setting(state: State, name: str, default: Any = None) -> Any:
    """A failure-injection knob from ``state["settings"]`` (see docs/lab.md).

    Without ``default``, a known setting's default from :data:`SETTINGS` applies.
    """
    settings = state.get("settings") or {}
    if default is None and name in SETTINGS:
        default = SETTINGS[name][1]
    return settings.get(name, default)
