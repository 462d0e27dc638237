"""Before the first change: is what the fix depends on there? (pure judging)

:func:`judge` turns the facts read by :mod:`vcfix.fix.preflight_read` into one
:class:`Check` per condition, each with its result and, when it fails, what to do
(``next_command``). A fix starts only when every check passes; a dry run shows
them all. The conditions: the certificates (VECS and the STS certificate in VMDIR)
could be read; the core services run (vmafdd, vmdird, vmcad, lwsmd); the vmdir
state is Normal; ``/storage/log``, where certificate-manager and the services log,
has 5 % and 500 MB free; vCenter HA is not configured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from vcfix.diagnose.services import core_services

LOG_DIR = "/storage/log"
VDCADMINTOOL = "/usr/lib/vmware-vmdir/bin/vdcadmintool"
VCHA_PROCEDURE = (
    "remove the vCenter HA configuration first (vSphere Client: the vCenter > Configure > "
    "vCenter HA > Remove vCenter HA, then delete the Passive and Witness nodes), run vcfix on "
    "the Active node, then configure vCenter HA again: VMware's documented procedure for "
    "replacing certificates under vCenter HA (vSphere Availability guide)"
)
MB = 1024 * 1024


@dataclass(frozen=True)
class Thresholds:
    """Free space needed on /storage/log (both must hold); injectable for tests."""

    min_free_ratio: float = 0.05
    min_free_bytes: int = 500 * MB


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    next_command: str = ""

    def to_json(self) -> Dict[str, object]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail,
                "next_command": self.next_command}


@dataclass
class Facts:
    """What :mod:`vcfix.fix.preflight_read` found; None means "could not be read"."""

    node_type: str
    unread: List[str] = field(default_factory=list)  # stores not read ("VMDIR": STS)
    read_errors: List[str] = field(default_factory=list)
    services: Optional[Dict[str, str]] = None  # name -> state
    services_error: Optional[str] = None
    vmdir_state: Optional[str] = None
    vmdir_state_error: Optional[str] = None
    log_measured: str = LOG_DIR  # the folder measured (an existing parent if it is missing)
    log_free: Optional[int] = None  # bytes free for an unprivileged user
    log_total: Optional[int] = None
    log_error: Optional[str] = None
    vcha: bool = False
    vcha_evidence: str = ""


def judge(facts: Facts, vcfix: str, thresholds: Thresholds = Thresholds()) -> List[Check]:
    """Every check, in the order shown; ``vcfix`` is the command prefix for hints
    (``vcfix --root R``)."""
    checks = [_certificates(facts, vcfix)]
    checks += _services(facts)
    checks.append(_vmdir(facts))
    checks.append(_space(facts, thresholds))
    checks.append(Check("vcenter-ha", not facts.vcha,
                        f"vCenter HA is configured ({facts.vcha_evidence})" if facts.vcha
                        else "vCenter HA is not configured", VCHA_PROCEDURE if facts.vcha else ""))
    return checks


def failed(checks: List[Check]) -> List[Check]:
    return [c for c in checks if not c.ok]


def _certificates(facts: Facts, vcfix: str) -> Check:
    if not facts.unread and not facts.read_errors:
        return Check("certificates-read", True,
                     "every VECS store and the STS certificate in VMDIR were read")
    what = ", ".join(facts.unread) or "some certificates"
    why = "; ".join(facts.read_errors)
    sts = " (the STS certificate in VMDIR)" if "VMDIR" in facts.unread else ""
    return Check("certificates-read", False, f"could not read {what}{sts}"
                 + (f": {why}" if why else ""), f"{vcfix} diagnose")


def _services(facts: Facts) -> List[Check]:
    if facts.services is None:
        return [Check("services", False, "could not read the services: "
                      f"{facts.services_error or 'unknown'}", "service-control --status --all")]
    checks = []
    for name in core_services(facts.node_type):
        state = facts.services.get(name)
        ok = state == "Running"
        detail = f"{name} is {state or 'not listed by service-control'}"
        checks.append(Check(f"service {name}", ok, detail,
                            "" if ok else f"service-control --start {name}"))
    return checks


def _vmdir(facts: Facts) -> Check:
    if facts.node_type == "management":
        return Check("vmdir-state", True, "the directory runs on the PSC: not checked here")
    show = f"echo 6 | {VDCADMINTOOL}"
    if facts.vmdir_state is None:
        return Check("vmdir-state", False, "could not read the vmdir state: "
                     f"{facts.vmdir_state_error or 'unknown'}", show)
    if facts.vmdir_state.lower() != "normal":
        return Check("vmdir-state", False, f"the vmdir state is '{facts.vmdir_state}', not "
                     "Normal: the directory may not accept or replicate the new certificates; "
                     "bring it back to Normal first (read /var/log/vmware/vmdird/)", show)
    return Check("vmdir-state", True, "the vmdir state is Normal")


def _space(facts: Facts, limits: Thresholds) -> Check:
    where = LOG_DIR if facts.log_measured == LOG_DIR else f"{LOG_DIR} (measured at " \
        f"{facts.log_measured}: {LOG_DIR} is missing)"
    todo = f"df -h {LOG_DIR}; free space there (old support bundles, rotated logs)"
    if facts.log_free is None or not facts.log_total:
        return Check("log-space", False, f"could not measure the free space of {where}: "
                     f"{facts.log_error or 'unknown'}", todo)
    ratio = facts.log_free / facts.log_total
    detail = f"{facts.log_free // MB} MB free ({ratio:.0%}) on {where}"
    enough = facts.log_free >= limits.min_free_bytes and ratio >= limits.min_free_ratio
    if enough:
        return Check("log-space", True, detail)
    return Check("log-space", False, f"{detail}: certificate-manager and the services need "
                 f"at least {limits.min_free_ratio:.0%} and {limits.min_free_bytes // MB} MB "
                 "free to log the replacement", todo)
