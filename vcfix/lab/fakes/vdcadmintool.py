"""Fake ``vdcadmintool``: the directory's interactive admin menu, read from stdin.

``echo 6 | vdcadmintool`` prints the menu, then `` VmDir State is - <State>``, then
the menu again, and exits at the end of input (or on ``0``), like the real tool.
The state is the node's ``settings.vmdir_state`` (default ``Normal``); states the
real tool has no name for (Standalone, Restore, Failure, Read only demote) print
as ``(null)``. With vmdird stopped (or on a management node, which holds no
directory), option 6 prints an error instead of a state.
Every other option is not simulated (it says so and changes nothing).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from vcfix.lab import state as lab_state
from vcfix.lab.elm_domain import vmdir_running
from vcfix.lab.fakes.common import fake_tool, load_state, out

TOOL = "vdcadmintool"
NAMED = ("Normal", "Read only", "Startup", "Shutdown", "Undefined")
MENU = (
    "==================\n"
    "Please select:\n"
    "0. exit\n"
    "1. Test LDAP connectivity\n"
    "2. Force start replication cycle\n"
    "3. Reset account password\n"
    "4. Set log level and mask\n"
    "5. Set vmdir state\n"
    "6. Get vmdir state\n"
    "7. Get vmdir log level and mask\n"
    "8. Set vmdir log level and mask\n"
    "9. Set Srp Authentication data\n"
    "==================\n\n"
)


def vmdir_state(state: lab_state.State) -> str:
    """The node's directory state name (the knob ``settings.vmdir_state``)."""
    return str(lab_state.setting(state, "vmdir_state", "Normal"))


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    state = load_state(lab_root)
    while True:
        out(MENU)
        sys.stdout.flush()
        line = sys.stdin.readline()
        choice = line.strip()
        if not line or choice == "0":
            return 0
        if choice != "6":
            out(f"Option {choice!r} is not simulated by the vcfix lab.\n\n")
        elif not vmdir_running(state):
            out(" VmDirGetState failed. Error [Server down] [9127]\n\n")
        else:
            name = vmdir_state(state)
            out(f" VmDir State is - {name if name in NAMED else '(null)'}\n\n")
