"""Fake ``lwregshell``: the likewise registry keys vcfix reads.

Only ``list_values '<key>'`` is simulated, for
``[HKEY_THIS_MACHINE\\services\\vmdir]`` (the machine account) and
``[HKEY_THIS_MACHINE\\services\\vmafd\\Parameters]``. Lines look like the
appliance's::

    +  "dcAccountDN"          REG_SZ          "cn=vcsa01...,ou=Domain Controllers,..."
    +  "Autostart"            REG_DWORD       0x00000001 (1)

String values escape ``"`` and ``\\`` with a backslash. Key names are case-insensitive;
the brackets are optional.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Sequence, Tuple, Union

from vcfix.lab import state as lab_state
from vcfix.lab.fakes.common import FakeError, fake_tool, load_state, out

TOOL = "lwregshell"
VMDIR_KEY = "HKEY_THIS_MACHINE\\services\\vmdir"
VMAFD_KEY = "HKEY_THIS_MACHINE\\services\\vmafd\\Parameters"
NO_SUCH_KEY = "LWREG_ERROR_NO_SUCH_KEY_OR_VALUE"

Value = Tuple[str, Union[str, int]]  # (name, REG_SZ text or REG_DWORD number)


def domain_dn(domain: str) -> str:
    return ",".join(f"dc={part}" for part in domain.split("."))


def _vmdir_values(state: lab_state.State) -> List[Value]:
    account = state["machine_account"]
    embedded = state.get("node_type") != "management"
    values: List[Value] = []
    if embedded:  # vmdird itself runs here
        values += [
            ("Arguments", "/usr/lib/vmware-vmdir/sbin/vmdird -s -l 0 -f "
                          "/usr/lib/vmware-vmdir/share/config/vmdirschema.ldif"),
            ("Autostart", 1),
        ]
    values += [
        ("dcAccount", str(state["pnid"])),
        ("dcAccountDN", str(account["dn"])),
        ("dcAccountOUs", "Domain Controllers" if embedded else "Computers"),
        ("dcAccountPassword", str(account["password"])),
    ]
    if embedded:
        values += [
            ("Description", "VMware Directory Service"),
            ("Path", "/usr/lib/vmware-vmdir/sbin/vmdird"),
            ("Type", 1),
        ]
    return values


def _vmafd_values(state: lab_state.State) -> List[Value]:
    return [
        ("DCName", str(state["dc_name"])),
        ("DomainName", str(state["domain"])),
        ("DomainState", 1 if state.get("node_type") != "management" else 2),
        ("MachineID", str(state["machine_id"])),
        ("PNID", str(state["pnid"])),
    ]


_KEYS = {
    VMDIR_KEY.lower(): _vmdir_values,
    VMAFD_KEY.lower(): _vmafd_values,
}


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def format_values(values: Sequence[Value]) -> str:
    width = max((len(name) for name, _ in values), default=0) + 3
    lines = []
    for name, value in values:
        quoted = f'"{name}"'.ljust(width)
        if isinstance(value, int):
            lines.append(f"+  {quoted}REG_DWORD       0x{value:08x} ({value})")
        else:
            lines.append(f'+  {quoted}REG_SZ          "{escape(value)}"')
    return "".join(line + "\n" for line in lines)


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    if len(argv) != 2 or argv[0] != "list_values":
        raise FakeError(
            f"{TOOL}: error parsing command, invalid syntax\n"
            f"usage: {TOOL} list_values '[HKEY_THIS_MACHINE\\path\\to\\key]'"
            "  (the vcfix lab simulates list_values only)",
            1,
        )
    key = argv[1].strip()
    if key.startswith("[") and key.endswith("]"):
        key = key[1:-1]
    builder = _KEYS.get(key.strip("\\").lower())
    if builder is None:
        raise FakeError(f"list_values: failed {NO_SUCH_KEY} ({argv[1]})", 1)
    out(format_values(builder(load_state(lab_root))))
    return 0
