"""``create_lab``: lay out a simulated VCSA under a folder.

The folder gets the fake tools at their real paths (tiny Python shims that call
``vcfix.lab.fakes.<module>.main``), the files vcfix reads (node type,
update.conf), and the lab state (see :mod:`vcfix.lab.state` and docs/lab.md)
with real certificates dated by the scenario relative to ``now``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import string
import sys
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import vcfix
from vcfix import clock
from vcfix.errors import VcfixError
from vcfix.lab import state as lab_state
from vcfix.lab import vcdb, vmca_files
from vcfix.lab.fakes import FAKES, fake_path
from vcfix.lab.fakes.lwregshell import domain_dn
from vcfix.lab.fakes.service_control import default_services
from vcfix.lab.scenarios import SCENARIOS, KeyPool, make_certificates

VERSIONS = {"6.7": "6.7.0.58000", "7.0": "7.0.3.01400", "8.0": "8.0.2.00100"}
NODE_TYPES = ("embedded", "management")
DEFAULT_PNID = "vcsa01.lab.example"
PSC_HOST = "psc01"
SITE = "default-site"
SHIM_MARKER = "# vcfix lab fake tool"
_PASSWORD_ALPHABET = string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_{|}~"


def create_lab(
    directory: Path,
    scenario: str,
    *,
    version: str = "7.0",
    pnid: str = DEFAULT_PNID,
    node_type: str = "embedded",
    now: Optional[dt.datetime] = None,
    force: bool = False,
    keys: Optional[KeyPool] = None,
) -> Path:
    """Build a lab under ``directory`` and return its absolute root.

    ``directory`` is created if needed. An existing lab there is replaced entirely;
    any other non-empty folder is refused unless ``force`` (which still never
    overwrites a vendor tool that is not a lab shim, nor uses ``/``). ``keys``: the
    key pool to draw from (default the process-wide one; ELM labs give each node its own).
    """
    if scenario not in SCENARIOS:
        raise VcfixError(f"unknown lab scenario {scenario!r}",
                         hint=f"choose one of: {', '.join(SCENARIOS)}")
    if version not in VERSIONS:
        raise VcfixError(f"unknown lab version {version!r}",
                         hint=f"choose one of: {', '.join(VERSIONS)}")
    if node_type not in NODE_TYPES:
        raise VcfixError(f"unknown lab node type {node_type!r}",
                         hint=f"choose one of: {', '.join(NODE_TYPES)}")
    if not _valid_fqdn(pnid):
        raise VcfixError(f"{pnid!r} is not a host name the lab can use as PNID")
    when = now or clock.now()
    root = prepare_folder(Path(directory), force)
    state = build_state(SCENARIOS[scenario].name, version=version, pnid=pnid,
                        node_type=node_type, now=when, keys=keys)
    try:
        _write_layout(root, state)
    except OSError as exc:
        raise VcfixError(f"cannot build the lab in {root}: {exc}") from exc
    lab_state.save(root, state)
    return root


def build_state(scenario: str, *, version: str, pnid: str, node_type: str,
                now: dt.datetime, keys: Optional[KeyPool] = None) -> lab_state.State:
    """The complete initial state of a lab (pure apart from key generation)."""
    domain = lab_state.LAB_SSO_DOMAIN
    machine_id = str(uuid.uuid4())
    management = node_type == "management"
    dc_name = f"{PSC_HOST}.{pnid.split('.', 1)[1]}" if "." in pnid else f"{PSC_HOST}.lab.example"
    ou = "Computers" if management else "Domain Controllers"
    certs = make_certificates(
        SCENARIOS[scenario], now=now, pnid=pnid, domain=domain, machine_id=machine_id,
        with_hvc_wcp=not version.startswith("6."), keys=keys,
    )
    extra = {"lookup_ssl_trust": certs["lookup_ssl_trust"]} if "lookup_ssl_trust" in certs \
        else {}
    state: lab_state.State = {
        **extra,
        "lab_format": lab_state.LAB_FORMAT,
        "scenario": scenario,
        "created": clock.iso(now),
        "version": version,
        "version_build": VERSIONS[version],
        "pnid": pnid,
        "domain": domain,
        "node_type": node_type,
        "machine_id": machine_id,
        "site": SITE,
        "dc_name": dc_name if management else pnid,
        "machine_account": {
            "dn": f"cn={pnid},ou={ou},{domain_dn(domain)}",
            "password": machine_password(),
        },
        "sso": {"username": lab_state.LAB_SSO_USER, "password": lab_state.LAB_SSO_PASSWORD},
        "vecs": certs["vecs"],
        "vmdir": certs["vmdir"],
        "vmca": certs["vmca"],
        "services": default_services(version, node_type),
        "settings": {},
    }
    vcdb.seed(state, stale=SCENARIOS[scenario].stale_extensions)
    return state


def machine_password(length: int = 20) -> str:
    """A random machine-account password that always holds a ``"`` and a ``\\``."""
    chars = [secrets.choice(_PASSWORD_ALPHABET) for _ in range(max(length, 4) - 2)]
    chars += ['"', "\\"]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def shim_text(tool: str, appliance_path: str, module: str) -> str:
    """The executable script installed at ``appliance_path`` for fake ``tool``."""
    package_parent = str(Path(vcfix.__file__).resolve().parent.parent)
    depth = len([p for p in appliance_path.split("/") if p])
    return (
        f"#!{sys.executable} -sE\n"  # like a vendor tool: deaf to PYTHONPATH and user site
        f"{SHIM_MARKER}: {tool} (made by 'vcfix lab create'; not a VMware program)\n"
        "import os\n"
        "import sys\n"
        "from pathlib import Path\n\n"
        f"sys.path.insert(0, {package_parent!r})\n"
        f"from vcfix.lab.fakes.{module} import main  # noqa: E402\n\n"
        "_root = os.path.abspath(__file__)\n"
        f"for _ in range({depth}):\n"
        "    _root = os.path.dirname(_root)\n"
        "sys.exit(main(sys.argv[1:], Path(_root)))\n"
    )


def install_fake(root: Path, tool: str, release: str = "7.0") -> Path:
    """(Re)write the shim of fake ``tool`` (a key of FAKES) into lab ``root``.

    ``release`` picks the path on releases that keep the tool elsewhere (lstool.py on 6.x).
    """
    module = FAKES[tool][1]
    appliance_path = fake_path(tool, release)
    path = Path(root) / appliance_path.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(shim_text(tool, appliance_path, module), encoding="utf-8")
    path.chmod(0o755)
    return path


def install_fixsts(root: Path) -> Path:
    """(Re)write the bash stand-in for fixsts.sh (KB 76719) at ``DIR/root/fixsts.sh``.

    Not a vendor tool: the operator downloads it, so it is not in FAKES.
    """
    from vcfix.lab.fakes import fixsts

    package_parent = str(Path(vcfix.__file__).resolve().parent.parent)
    path = Path(root) / fixsts.SCRIPT.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(fixsts.script_text(sys.executable, package_parent, str(Path(root))),
                    encoding="utf-8")
    path.chmod(0o755)
    return path


def _write_layout(root: Path, state: lab_state.State) -> None:
    for tool in FAKES:
        install_fake(root, tool, state["version"])
    install_fixsts(root)
    files: Dict[str, str] = {
        "etc/vmware/deployment.node.type": state["node_type"] + "\n",
        "etc/applmgmt/appliance/update.conf": json.dumps(
            {"version": state["version_build"]}, indent=4) + "\n",
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "var/log/vmware/vmcad").mkdir(parents=True, exist_ok=True)
    (root / "storage/log").mkdir(parents=True, exist_ok=True)  # where the real logs live
    if state["node_type"] != "management":  # VMCA runs on the PSC of such a node
        vmca_files.write(root, state)
    lab_state.lab_dir(root).mkdir(parents=True, exist_ok=True)
    lab_state.calls_log_path(root).write_text("", encoding="utf-8")


def prepare_folder(directory: Path, force: bool,
                   is_ours: Callable[[Path], bool] = lab_state.is_lab) -> Path:
    """The absolute lab folder, created, and emptied if it holds an older lab.

    Refuses a file system root, a non-directory, a non-empty folder that is not
    ``is_ours`` (unless ``force``), and, even with ``force``, a folder holding vendor
    tools that are not lab shims (a real appliance).
    """
    root = directory.expanduser().absolute()
    if root.resolve() == Path(root.anchor):
        raise VcfixError(f"refusing to build a lab in {root}: it is a file system root")
    if root.exists() and not root.is_dir():
        raise VcfixError(f"cannot build a lab in {root}: it is not a directory")
    if root.is_dir() and any(root.iterdir()):
        if is_ours(root):
            _empty(root)
        elif not force:
            raise VcfixError(
                f"{root} is not empty and is not a vcfix lab; nothing was changed",
                hint="choose an empty or new folder, or add --force to build into it anyway",
            )
        else:
            foreign = _foreign_tools(root)
            if foreign:
                raise VcfixError(
                    f"refusing to build a lab in {root}: it holds vendor tools that are "
                    "not lab shims (is it a real appliance?)",
                    details=[str(p) for p in foreign],
                )
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VcfixError(f"cannot create the lab folder {root}: {exc.strerror}") from exc
    return root


def _foreign_tools(root: Path) -> List[Path]:
    found = []
    for appliance_path, _module in FAKES.values():
        path = root / appliance_path.lstrip("/")
        if path.exists() or path.is_symlink():
            try:
                head = path.read_bytes()[:300]
            except OSError:
                head = b""
            if SHIM_MARKER.encode() not in head:
                found.append(path)
    return found


def _empty(root: Path) -> None:
    """Remove everything inside lab ``root`` (called only when it holds a lab)."""
    try:
        for child in root.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    except OSError as exc:
        raise VcfixError(f"cannot clear the old lab in {root}: {exc}") from exc


def _valid_fqdn(name: str) -> bool:
    allowed = set(string.ascii_letters + string.digits + "-.")
    return 0 < len(name) <= 253 and set(name) <= allowed and not name.startswith((".", "-"))


def summary(state: Dict[str, Any]) -> Dict[str, Any]:
    """The identity facts ``vcfix lab create`` prints (no secrets)."""
    return {key: state[key] for key in
            ("scenario", "version_build", "node_type", "pnid", "domain", "dc_name")}
