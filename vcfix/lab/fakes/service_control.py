"""Fake ``service-control``: the appliance's services, from ``state["services"]``.

``--status [--all | NAME...]`` prints a header per state (``Stopped:``, ``Running:``,
``StartPending:`` when present) and, on the next line, the names in that state
separated by spaces (indented by one space, as 7.0 prints them).

``--stop``/``--start`` with ``--all`` or names print, per service,
``Performing stop operation on service NAME...`` / ``Successfully stopped service NAME``
(start/started likewise), and with ``--all`` the profile lines at the end. Each change
is saved at once (a starting service is ``StartPending`` meanwhile), so a concurrent
``--status`` and the other fakes see the progress. ``--start --all`` starts every
service except the manual-startup ones (:data:`MANUAL`); ``--stop --all`` stops every
service that is not stopped. Starting takes the real durations times ``settings.speed``;
``settings.sc_fail_service`` makes that service fail to start (a JSON error, exit 1);
``settings.sc_fail_pending`` (names, comma separated) leaves those StartPending in ``--start
--all``, which ends with real builds' multi-line error (``Failed to start eam, ... services``).
Handlers live in :data:`ACTIONS`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence

from vcfix.lab import state as lab_state
from vcfix.lab import vmca_files
from vcfix.lab.fakes.common import FakeError, error, fake_tool, load_state, out

TOOL = "service-control"
RUNNING = "Running"
STOPPED = "Stopped"
START_PENDING = "StartPending"
SECTION_ORDER = ("StartPending", STOPPED, RUNNING)

# Typical 7.0 services; a few stopped, as on real appliances.
_COMMON = (
    "applmgmt", "lookupsvc", "lwsmd", "observability", "pschealth", "vlcm", "vmafdd", "vmcam",
    "vmonapi", "vmware-analytics", "vmware-certificateauthority", "vmware-certificatemanagement",
    "vmware-cis-license", "vmware-content-library", "vmware-eam", "vmware-envoy", "vmware-hvc",
    "vmware-imagebuilder", "vmware-infraprofile", "vmware-netdumper", "vmware-perfcharts",
    "vmware-rbd-watchdog", "vmware-rhttpproxy", "vmware-sca", "vmware-sps", "vmware-statsmonitor",
    "vmware-topologysvc", "vmware-trustmanagement", "vmware-updatemgr", "vmware-vapi-endpoint",
    "vmware-vcha", "vmware-vmon", "vmware-vpostgres", "vmware-vpxd", "vmware-vpxd-svcs",
    "vmware-vsan-health", "vmware-vsm", "vsphere-ui", "vstats", "wcp",
)
_DIRECTORY = ("vmdird", "vmcad", "vmware-stsd")  # where the SSO domain lives
_NOT_ON_67 = ("vmware-envoy", "vmware-hvc", "vmware-topologysvc", "vmware-trustmanagement",
              "vstats", "wcp", "vlcm", "vmware-certificatemanagement", "observability",
              "vmware-infraprofile")
_ONLY_67 = ("vsphere-client", "vmware-mbcs", "vmware-cm")
# Manual startup: stopped on a fresh appliance, left alone by --start --all.
MANUAL = ("vmcam", "vmware-imagebuilder", "vmware-netdumper", "vmware-rbd-watchdog",
          "vmware-vcha")
# Started first (vmon-unmanaged services and vmon itself), stopped last.
FIRST = ("lwsmd", "vmafdd", "vmdird", "vmcad", "vmware-stsd", "vmware-vmon")
# Seconds a real appliance takes to start a service (others: DEFAULT_START_SECONDS).
START_SECONDS = {"vmdird": 10.0, "vmware-stsd": 20.0, "vmware-vpostgres": 10.0,
                 "vmware-vpxd": 45.0, "vmware-vpxd-svcs": 20.0, "vsphere-ui": 40.0,
                 "vsphere-client": 40.0, "vmware-content-library": 10.0, "wcp": 15.0}
DEFAULT_START_SECONDS = 5.0
STOP_SECONDS = 2.0
VISIBLE_SECONDS = 0.01  # below this pause per service, changes are saved together
NOT_CANCELLABLE = "Operation not cancellable. Please wait for it to finish..."


def default_services(version: str, node_type: str) -> Dict[str, str]:
    """Service name -> Running/Stopped for a fresh appliance of ``version``/``node_type``."""
    names = list(_COMMON)
    if version.startswith("6."):
        names = [n for n in names if n not in _NOT_ON_67] + list(_ONLY_67)
    if node_type != "management":
        names += list(_DIRECTORY)
    return {name: STOPPED if name in MANUAL else RUNNING for name in sorted(names)}


def format_status(services: Dict[str, str]) -> str:
    sections: Dict[str, List[str]] = {}
    for name, status in sorted(services.items()):
        sections.setdefault(status, []).append(name)
    order = [s for s in SECTION_ORDER if s in sections]
    order += sorted(s for s in sections if s not in SECTION_ORDER)
    return "".join(f"{status}:\n {' '.join(sections[status])}\n" for status in order)


def _status(state: lab_state.State, names: List[str], lab_root: Path) -> int:
    services: Dict[str, str] = dict(state.get("services") or {})
    if names:
        unknown = [n for n in names if n not in services]
        if unknown:
            raise FakeError(f"Service-control failed. Error: unknown service(s) "
                            f"{', '.join(unknown)}", 1)
        services = {n: services[n] for n in names}
    out(format_status(services))
    return 0


def start_order(names: Sequence[str]) -> List[str]:
    """``names`` in the order --start runs them (FIRST, then by name); --stop reverses it."""
    return sorted(names, key=lambda n: (FIRST.index(n) if n in FIRST else len(FIRST), n))


def fail_start_error(name: str) -> str:
    """The line service-control prints when ``name`` does not start."""
    detail = {"id": "install.ciscommon.service.failstart",
              "translatable": "An error occurred while starting service '%(0)s'",
              "args": [name],
              "localized": f"An error occurred while starting service '{name}'"}
    blob = {"detail": [detail], "componentKey": None, "problemId": None, "resolution": None}
    return f"Service-control failed. Error: {json.dumps(blob)}"


def pending_error(names: Sequence[str]) -> str:
    """The multi-line error of a ``--start --all`` that left ``names`` StartPending."""
    short = ", ".join(n[len("vmware-"):] if n.startswith("vmware-") else n for n in names)
    message = (f"Failed to start {short} services. Error: Operation not allowed in current "
               "service state")
    invoke = "An error occurred while invoking external command : '{}'"
    detail = {"id": "install.ciscommon.command.errinvoke", "translatable": invoke.format("%(0)s"),
              "args": [message], "localized": invoke.format(message)}
    blob = {"detail": [detail], "componentKey": None, "problemId": None, "resolution": None}
    return f"Service-control failed. Error: {json.dumps(blob, indent=4)}"


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class _Changes:
    """Service state changes, saved at once when the pace is visible, else at the end.

    At a visible pace (a pause of VISIBLE_SECONDS or more) every change is saved as it
    happens, so a concurrent ``--status`` and the other fakes see the progress; at test
    speeds the changes are saved together (one state write instead of dozens).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pending: Dict[str, str] = {}

    def set(self, name: str, status: str, seconds: float) -> None:
        self.pending[name] = status
        if seconds >= VISIBLE_SECONDS:
            self.save()

    def save(self) -> None:
        if self.pending:
            with lab_state.transaction(self.root) as current:
                current.setdefault("services", {}).update(self.pending)
            self.pending = {}


def _targets(state: lab_state.State, names: List[str], start: bool) -> List[str]:
    services: Dict[str, str] = dict(state.get("services") or {})
    unknown = [n for n in names if n not in services]
    if unknown:
        raise FakeError(f"Service-control failed. Error: unknown service(s) "
                        f"{', '.join(unknown)}", 1)
    if names:
        chosen = list(dict.fromkeys(names))
    elif start:
        chosen = [n for n in services if n not in MANUAL]
    else:
        chosen = [n for n, status in services.items() if status != STOPPED]
    ordered = start_order(chosen)
    return ordered if start else ordered[::-1]


def _start(state: lab_state.State, names: List[str], lab_root: Path) -> int:
    speed = max(float(lab_state.setting(state, "speed")), 0.0)
    failing = lab_state.setting(state, "sc_fail_service")
    text = "" if names else str(lab_state.setting(state, "sc_fail_pending") or "")
    pending = [n.strip() for n in text.split(",")]
    changes = _Changes(lab_root)
    targets = _targets(state, names, start=True)
    _say(NOT_CANCELLABLE)
    try:
        for name in targets:
            _say(f"Performing start operation on service {name}...")
            seconds = START_SECONDS.get(name, DEFAULT_START_SECONDS) * speed
            changes.set(name, START_PENDING, seconds)
            _pause(seconds)
            if failing and name == failing:
                changes.set(name, STOPPED, 0)
                error(fail_start_error(name))
                return 1
            if name in pending:
                continue  # still StartPending: service-control gives up on it below
            changes.set(name, RUNNING, seconds)
            if name == vmca_files.SERVICE:  # vmcad reads its root files when it starts
                with lab_state.transaction(lab_root) as current:
                    vmca_files.load(lab_root, current)
            _say(f"Successfully started service {name}")
    finally:
        changes.save()
    if not names:
        _say("Performing start operation on profile: ALL...")
        if any(n in pending for n in targets):
            error(pending_error([n for n in targets if n in pending]))
            return 1
        _say("Successfully started profile: ALL.")
    return 0


def _stop(state: lab_state.State, names: List[str], lab_root: Path) -> int:
    seconds = STOP_SECONDS * max(float(lab_state.setting(state, "speed")), 0.0)
    changes = _Changes(lab_root)
    targets = _targets(state, names, start=False)
    _say(NOT_CANCELLABLE)
    try:
        for name in targets:
            _say(f"Performing stop operation on service {name}...")
            _pause(seconds)
            changes.set(name, STOPPED, seconds)
            _say(f"Successfully stopped service {name}")
    finally:
        changes.save()
    if not names:
        _say("Performing stop operation on profile: ALL...")
        _say("Successfully stopped profile: ALL.")
    return 0


def _pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


# action flag -> handler(state, service names ([] with --all), lab_root) -> exit code
ACTIONS: Dict[str, Callable[[lab_state.State, List[str], Path], int]] = {
    "--status": _status,
    "--start": _start,
    "--stop": _stop,
}

USAGE = "usage: service-control [--status | --start | --stop] [--all | SERVICE ...]"


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    actions = [a for a in argv if a in ACTIONS]
    others = [a for a in argv if a.startswith("--") and a not in ACTIONS and a != "--all"]
    if len(actions) != 1 or others:
        known = ", ".join(ACTIONS)
        raise FakeError(f"{USAGE}\nService-control failed. Error: the vcfix lab simulates "
                        f"only {known} (got: {' '.join(argv) or 'no action'})", 2)
    names = [a for a in argv if not a.startswith("--")]
    if actions[0] != "--status" and bool(names) == ("--all" in argv):
        raise FakeError(f"{USAGE}\nService-control failed. Error: {actions[0]} needs --all "
                        "or service names (not both)", 2)
    return ACTIONS[actions[0]](load_state(lab_root), names, lab_root)
