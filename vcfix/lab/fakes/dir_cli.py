"""Fake ``dir-cli``: ``state get`` and ``trustedcert publish|unpublish --cert FILE``.

``dir-cli state get`` prints ``Directory Server State: <Name> (<n>)`` for the
node's ``settings.vmdir_state`` (every state has a name here, unlike
vdcadmintool). Login options (``--login``, ``--password``, ``--server-name``) are
accepted and ignored. With vmdird stopped it fails with error 9127; any other
command fails naming what the lab simulates.

``trustedcert publish`` / ``unpublish`` add or remove the certificate in the directory's
trusted certificates (``state["vmdir"]["trusted_certs"]``, PEM texts). They bind as
``--login`` (default ``administrator@<domain>``); without ``--password`` they ask
``Enter password for <login>: `` without echo (getpass, the terminal), as vcfix must
use them (a password in argv shows in ``ps``). A wrong one: ``Invalid credentials 49``.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Dict, Sequence

from vcfix.lab import state as lab_state
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
        words, values, _flags = split_options(argv, ("--login", "--password",
                                                     "--server-name", "--cert"))
    except ValueError as exc:
        raise FakeError(f"dir-cli failed, error= Invalid parameter 22 ({exc})", 22) from exc
    if words[:1] == ["trustedcert"] and words[1:] in (["publish"], ["unpublish"]):
        return _trustedcert(lab_root, words[1], values)
    if words != ["state", "get"]:
        raise FakeError(f"dir-cli: '{' '.join(words)}' is not simulated by the vcfix lab "
                        "(it knows: state get, trustedcert publish|unpublish)", 22)
    state = load_state(lab_root)
    if not vmdir_running(state):
        raise FakeError("dir-cli failed, error= Server down 9127", 1)
    name = vmdir_state(state)
    out(f"Directory Server State: {name} ({STATE_NUMBERS.get(name, -1)})\n")
    return 0


def _trustedcert(lab_root: Path, action: str, values: Dict[str, str]) -> int:
    if "--cert" not in values:
        raise FakeError("dir-cli failed, error= Invalid parameter 22 (--cert is required)", 22)
    try:
        pem = Path(values["--cert"]).read_text(encoding="ascii").strip() + "\n"
    except (OSError, UnicodeDecodeError) as exc:
        raise FakeError(f"dir-cli failed, error= cannot read {values['--cert']} 2", 2) from exc
    state = load_state(lab_root)
    login = values.get("--login") or f"administrator@{state.get('domain', '')}"
    password = values.get("--password")
    if password is None:
        password = getpass.getpass(f"Enter password for {login}: ")
    if not vmdir_running(state):
        raise FakeError("dir-cli failed, error= Server down 9127", 1)
    sso = state.get("sso") or {}
    if login.lower() != str(sso.get("username", "")).lower() or password != sso.get("password"):
        raise FakeError("dir-cli failed, error= Invalid credentials 49", 49)
    with lab_state.transaction(lab_root) as current:
        vmdir = current.setdefault("vmdir", {})
        known = [c for c in vmdir.get("trusted_certs", []) if c.strip() != pem.strip()]
        vmdir["trusted_certs"] = known + ([pem] if action == "publish" else [])
    out(f"Certificate {'published' if action == 'publish' else 'unpublished'} successfully\n")
    return 0
