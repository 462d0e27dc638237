"""Fake ``vmafd-cli``: the VMware AFD service's identity answers.

``get-pnid``, ``get-domain-name``, ``get-machine-id``, ``get-site-name``,
``get-ls-location`` and ``get-dc-name`` print the value and a newline; each takes
``--server-name localhost`` (or the PNID). Errors go to stderr as
``Error <n>: <text>`` with exit status n (2..26), like the real tool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Sequence

from vcfix.lab import state as lab_state
from vcfix.lab.fakes.common import (
    FakeError,
    fake_tool,
    load_state,
    out,
    service_running,
    split_options,
)

TOOL = "vmafd-cli"
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")

ERROR_CANNOT_CONNECT = 20
ERROR_INVALID_ARGUMENT = 22


def _ls_location(state: lab_state.State) -> str:
    host = state["dc_name"] if state.get("node_type") == "management" else state["pnid"]
    return f"https://{host}/lookupservice/sdk"


_GETTERS: Dict[str, Callable[[lab_state.State], str]] = {
    "get-pnid": lambda s: str(s["pnid"]),
    "get-domain-name": lambda s: str(s["domain"]),
    "get-machine-id": lambda s: str(s["machine_id"]),
    "get-site-name": lambda s: str(s["site"]),
    "get-dc-name": lambda s: str(s["dc_name"]),
    "get-ls-location": _ls_location,
}


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    try:
        words, values, _flags = split_options(argv, ("--server-name", "--user-name"))
    except ValueError as exc:
        raise FakeError(f"Error {ERROR_INVALID_ARGUMENT}: {exc}", ERROR_INVALID_ARGUMENT) from exc
    if len(words) != 1 or words[0] not in _GETTERS:
        known = ", ".join(_GETTERS)
        raise FakeError(
            f"Error {ERROR_INVALID_ARGUMENT}: Invalid argument: unknown command "
            f"'{' '.join(words)}' (this lab knows {known})",
            ERROR_INVALID_ARGUMENT,
        )
    state = load_state(lab_root)
    server = values.get("--server-name", "localhost")
    local = server.lower() in LOCAL_NAMES or server.lower() == str(state["pnid"]).lower()
    if not local or not service_running(state, "vmafdd"):
        raise FakeError(
            f"Error {ERROR_CANNOT_CONNECT}: Cannot connect to the VMware AFD service "
            f"on {server}",
            ERROR_CANNOT_CONNECT,
        )
    out(_GETTERS[words[0]](state) + "\n")
    return 0
