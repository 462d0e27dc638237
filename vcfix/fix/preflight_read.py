"""The I/O half of the preflight: read the facts :mod:`vcfix.fix.preflight` judges.

Most come from the diagnosis the fix has just made (what could not be read, the
services); the rest is read here: the vmdir state (``echo 6 | vdcadmintool``, then
``dir-cli state get`` when it prints ``(null)``), the free space of ``/storage/log``
(``os.statvfs`` under ``--root``) and whether vCenter HA is configured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from vcfix.appliance.parsers.vmdir import parse_vmdir_state
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.diagnose.collect import Collected
from vcfix.diagnose.services import by_service
from vcfix.errors import VcfixError
from vcfix.fix.preflight import LOG_DIR, Facts

STATE_TIMEOUT = 30.0
# vCenter HA: its service (manual startup) runs only while vCenter HA is configured.
VCHA_SERVICE = "vmware-vcha"


def read_facts(appliance: Appliance, runner: Runner, collected: Collected,
               node_type: str) -> Facts:
    facts = Facts(node_type, unread=list(collected.unread_stores),
                  read_errors=[e.one_line() for e in collected.errors],
                  services_error=collected.services_error)
    if collected.services is not None:
        facts.services = by_service(collected.services)
        if facts.services.get(VCHA_SERVICE) == "Running":
            facts.vcha, facts.vcha_evidence = True, f"the {VCHA_SERVICE} service runs"
    if node_type != "management":
        try:
            facts.vmdir_state = vmdir_state(runner)
        except VcfixError as exc:
            facts.vmdir_state_error = exc.one_line()
    measure_space(appliance, facts)
    return facts


def vmdir_state(runner: Runner) -> str:
    done = runner.run("vdcadmintool", [], stdin="6\n", check=False, timeout=STATE_TIMEOUT)
    state = parse_vmdir_state(done.stdout, f"echo 6 | {done.command}")
    if state == "(null)":  # a state vdcadmintool has no name for: dir-cli names it
        named = _dir_cli_state(runner)
        return named or state
    return state


def _dir_cli_state(runner: Runner) -> Optional[str]:
    try:
        done = runner.run("dir-cli", ["state", "get"], check=False, timeout=STATE_TIMEOUT)
        return parse_vmdir_state(done.stdout, done.command)
    except VcfixError:
        return None


def measure_space(appliance: Appliance, facts: Facts) -> None:
    """Free space of /storage/log (of its nearest existing parent when it is missing)."""
    folder: Path = appliance.path(LOG_DIR)
    shown = LOG_DIR
    while not appliance.transport.exists(str(folder)) and folder != folder.parent:
        folder = folder.parent
        shown = "/" + str(folder.relative_to(appliance.root)) if folder != appliance.root \
            else "/"
    try:
        free, total = appliance.transport.free_space(str(folder))
    except OSError as exc:
        facts.log_error = exc.strerror or str(exc)
        return
    facts.log_measured = shown
    facts.log_free, facts.log_total = free, total
