"""Fake ``service-control``: the appliance's services, from ``state["services"]``.

``--status [--all | NAME...]`` prints a header per state (``Stopped:``, ``Running:``,
``StartPending:`` when present) and, on the next line, the names in that state
separated by spaces (indented by one space, as 7.0 prints them).

Other actions (``--start``/``--stop`` with ``--all`` or names) are not simulated
yet: whoever adds them registers a handler in :data:`ACTIONS`, changing
``state["services"]`` through :func:`vcfix.lab.state.transaction`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Sequence

from vcfix.lab import state as lab_state
from vcfix.lab.fakes.common import FakeError, fake_tool, load_state, out

TOOL = "service-control"
RUNNING = "Running"
STOPPED = "Stopped"
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
_STOPPED = ("vmcam", "vmware-imagebuilder", "vmware-netdumper", "vmware-rbd-watchdog",
            "vmware-vcha")


def default_services(version: str, node_type: str) -> Dict[str, str]:
    """Service name -> Running/Stopped for a fresh appliance of ``version``/``node_type``."""
    names = list(_COMMON)
    if version.startswith("6."):
        names = [n for n in names if n not in _NOT_ON_67] + list(_ONLY_67)
    if node_type != "management":
        names += list(_DIRECTORY)
    return {name: STOPPED if name in _STOPPED else RUNNING for name in sorted(names)}


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


# action flag -> handler(state, service names ([] with --all), lab_root) -> exit code
ACTIONS: Dict[str, Callable[[lab_state.State, List[str], Path], int]] = {
    "--status": _status,
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
    return ACTIONS[actions[0]](load_state(lab_root), names, lab_root)
