"""vmafd-cli values, the likewise registry (lwregshell) and service-control --status."""

from __future__ import annotations

import pytest

from vcfix.appliance.parsers.lwreg import parse_values
from vcfix.appliance.parsers.service_control import parse_status
from vcfix.appliance.parsers.vmafd import parse_value
from vcfix.errors import VcfixError

PNID_CMD = "vmafd-cli get-pnid --server-name localhost"
LW_CMD = r"lwregshell list_values [HKEY_THIS_MACHINE\services\vmdir]"
DC_DN = "cn=vcsa01.lab.example,ou=Domain Controllers,dc=vsphere,dc=local"
SC_CMD = "service-control --status --all"


# vmafd-cli -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text", ["VCSA01.Lab.Example\n", "  VCSA01.Lab.Example  \r\n\n", "\nVCSA01.Lab.Example"])
def test_vmafd_value_is_kept_exactly(text: str) -> None:
    assert parse_value(text, PNID_CMD) == "VCSA01.Lab.Example"


@pytest.mark.parametrize("text", ["", "\n  \n", "vcsa01.lab.example\nError 20: cannot connect\n"])
def test_vmafd_blank_or_several_lines_name_the_command(text: str) -> None:
    with pytest.raises(VcfixError, match="get-pnid"):
        parse_value(text, PNID_CMD)


# lwregshell ------------------------------------------------------------------------------------

PASSWORD = 'p@ss"word\\with\\\\slashes'
LWREG = (
    "[HKEY_THIS_MACHINE\\services\\vmdir]\n"
    '+  "Arguments"\tREG_SZ\t"/usr/sbin/vmdird -s -l 0 -f /usr/lib/vmware-vmdir/share/v.ldif"\n'
    '+  "dcAccount"  REG_SZ  "vcsa01.lab.example"   \n'
    f'+  "dcAccountDN"  REG_SZ  "{DC_DN}"\n'
    '+  "dcAccountPassword"\t\tREG_SZ\t\t"p@ss\\"word\\\\with\\\\\\\\slashes"\n'
    '   "Autostart"  REG_DWORD  0x00000001 (1)\n'
    '"MaximumOutstandingSessions"\tREG_DWORD\t0x00000064\n'
    '+  "dcAccountOUs"  REG_MULTI_SZ  "ou=Domain Controllers" "ou=Computers"\n'
    '                                  "ou=More"\n'
    "\n"
    "Some unknown trailer line\n"
)


def test_lwreg_values_escapes_types_and_spacing() -> None:
    values = parse_values(LWREG, LW_CMD)
    assert values["dcAccountDN"] == DC_DN
    assert values["dcAccountPassword"] == PASSWORD
    assert values["dcAccount"] == "vcsa01.lab.example"
    assert values["Arguments"].startswith("/usr/sbin/vmdird -s")
    assert values["Autostart"] == "1"
    assert values["MaximumOutstandingSessions"] == "100"
    assert values["dcAccountOUs"] == "ou=Domain Controllers\nou=Computers\nou=More"


def test_lwreg_crlf_and_header_only() -> None:
    assert parse_values(LWREG.replace("\n", "\r\n"), LW_CMD)["dcAccountPassword"] == PASSWORD
    assert parse_values("[HKEY_THIS_MACHINE\\services\\vmdir]\n", LW_CMD) == {}


def test_lwreg_garbage_names_the_command_but_never_quotes_the_output() -> None:
    with pytest.raises(VcfixError) as info:
        parse_values("Error: secret-looking junk\n", LW_CMD)
    assert "lwregshell" in info.value.message and info.value.details == ()
    broken = '+  "dcAccountPassword"  REG_SZ  "Sup3rS3cret\n'
    with pytest.raises(VcfixError) as info:
        parse_values(broken, LW_CMD)
    assert "unterminated" in info.value.message
    assert "Sup3rS3cret" not in info.value.render()


# service-control -------------------------------------------------------------------------------

STATUS = """Stopped:
 vmcam vmware-imagebuilder vmware-netdumper
 vmware-rbd-watchdog
Running:
 applmgmt lwsmd vmafdd vmcad vmdird vmware-stsd vmware-vpxd  \r
 vsphere-ui
"""


def test_service_status_sections_over_several_lines() -> None:
    status = parse_status(STATUS, SC_CMD)
    assert status["Stopped"] == ["vmcam", "vmware-imagebuilder", "vmware-netdumper",
                                 "vmware-rbd-watchdog"]
    assert status["Running"][-2:] == ["vmware-vpxd", "vsphere-ui"]
    assert len(status["Running"]) == 8


def test_service_status_names_on_header_line_and_unknown_lines() -> None:
    text = ("INFO:root:service-control starting\nRunning: vmdird vmafdd\n\tvmware-stsd\n"
            "StartPending:\n   vmware-vpxd\nWARNING: something\n   orphan-name\n")
    assert parse_status(text, SC_CMD) == {
        "Running": ["vmdird", "vmafdd", "vmware-stsd"], "StartPending": ["vmware-vpxd"]}


def test_service_status_garbage_names_the_command() -> None:
    with pytest.raises(VcfixError, match="service-control --status"):
        parse_status("Traceback (most recent call last):\n  boom\n", SC_CMD)
