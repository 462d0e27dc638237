"""Do vCenter's services run? Judging ``service-control --status --all`` (pure).

A diagnosis is not OK while a service that normally runs is stopped or still
changing state: a fix interrupted during ``service-control --start --all`` leaves
a vCenter whose certificates are fine and whose services are down. The services
with manual startup are stopped on a healthy appliance and do not count.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence

from vcfix.diagnose.plan import STATUS_UNKNOWN, STATUS_WARNING, Finding

# Manual startup on a VCSA: stopped on a healthy appliance, not started by --start --all
# (vmware-vcha runs only when vCenter HA is configured).
NORMALLY_STOPPED = ("vmcam", "vmware-imagebuilder", "vmware-netdumper",
                    "vmware-rbd-watchdog", "vmware-vcha")
# What the fix itself depends on (the certificate store, the directory, the CA, the
# registry); vmdird and vmcad run only where the SSO domain lives (not on a vCenter
# with an external PSC).
CORE_SERVICES = ("vmafdd", "vmdird", "vmcad", "lwsmd")
DIRECTORY_SERVICES = ("vmdird", "vmcad")
RUNNING, STOPPED = "Running", "Stopped"


def core_services(node_type: str) -> List[str]:
    """The core services of a node of ``node_type``."""
    if node_type == "management":
        return [s for s in CORE_SERVICES if s not in DIRECTORY_SERVICES]
    return list(CORE_SERVICES)


def by_service(sections: Mapping[str, Sequence[str]]) -> Dict[str, str]:
    """service-control's sections (state -> names) as name -> state."""
    return {name: state for state, names in sections.items() for name in names}


def not_running(sections: Mapping[str, Sequence[str]]) -> Dict[str, str]:
    """Services that should run and do not: name -> state (Stopped, StartPending...)."""
    return {name: state for name, state in sorted(by_service(sections).items())
            if state != RUNNING and not (state == STOPPED and name in NORMALLY_STOPPED)}


def service_findings(sections: Optional[Mapping[str, Sequence[str]]],
                     error: Optional[str] = None) -> List[Finding]:
    """The findings about the services; ``sections`` None: not read (``error`` says why;
    without an error they were not asked for, e.g. a diagnosis built from saved data)."""
    if sections is None:
        if error is None:
            return []
        return [Finding("services-not-checked", STATUS_UNKNOWN,
                        f"whether vCenter's services run was not checked: {error or 'unknown'}")]
    down = not_running(sections)
    if not down:
        return []
    stopped = [n for n, s in down.items() if s == STOPPED]
    changing = [f"{n} ({s})" for n, s in down.items() if s != STOPPED]
    parts = [f"stopped: {', '.join(stopped)}"] if stopped else []
    parts += [f"changing state: {', '.join(changing)}"] if changing else []
    return [Finding("services-not-running", STATUS_WARNING,
                    f"vCenter services are not running ({'; '.join(parts)}); check with "
                    "'service-control --status --all' and start them with "
                    "'service-control --start --all'", [])]
