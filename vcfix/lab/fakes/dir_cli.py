"""Fake ``dir-cli``: only ``state get`` is simulated.

``dir-cli state get`` prints ``Directory Server State: <Name> (<n>)`` for the
node's ``settings.vmdir_state`` (every state has a name here, unlike
vdcadmintool). Login options (``--login``, ``--password``, ``--server-name``) are
accepted and ignored. With vmdird stopped it fails with error 9127; any other
command fails naming what the lab simulates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from vcfix.lab.elm_domain import vmdir_running
from vcfix.lab.fakes.common import (
    FakeError,
    fake_tool,
    load_state,
    out,
    split_options,
)
from vcfix.lab.fakes.vdcadmintool import vmdir_state

TOOL = "dir-cli"
# State numbers of the directory server (VMDIRD_STATE_*).
STATE_NUMBERS = {
    "Undefined": 0, "Startup": 1, "Read only": 2, "Normal": 3, "Shutdown": 4, "Failure": 5,
    "Read only demote": 6, "Standalone": 7, "Restore": 8,
}


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    try:
        words, _values, _flags = split_options(argv, ("--login", "--password",
                                                      "--server-name"))
    except ValueError as exc:
        raise FakeError(f"dir-cli failed, error= Invalid parameter 22 ({exc})", 22) from exc
    if words != ["state", "get"]:
        raise FakeError(f"dir-cli: '{' '.join(words)}' is not simulated by the vcfix lab "
                        "(it knows: state get)", 22)
    state = load_state(lab_root)
    if not vmdir_running(state):
        raise FakeError("dir-cli failed, error= Server down 9127", 1)
    name = vmdir_state(state)
    out(f"Directory Server State: {name} ({STATE_NUMBERS.get(name, -1)})\n")
    return 0
