"""Parsers of the ELM pre-upgrade check, on realistic and mangled vendor output."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from typing import List

import pytest

from vcfix.errors import VcfixError
from vcfix.preupgrade.parsers import (
    DirectoryServer,
    PartnerStatus,
    parse_lstool,
    parse_partner_status,
    parse_partners,
    parse_server_entries,
    parse_servers,
    parse_vmdir_state,
)

CMD = "vdcrepadmin -f showpartnerstatus -h localhost -u administrator"

STATUS = """Partner: vcsa2.lab.example
Host available:   Yes
Status available: Yes
My last change number:             9346
Partner has seen my change number: 9346
Partner is 0 changes behind.

Partner: vcsa3.lab.example
Host available:   Yes
Status available: Yes
My last change number:             9346
Partner has seen my change number: 9301
Partner is 45 changes behind.

Partner: vcsa4.lab.example
Host available:   No

Partner: vcsa5.lab.example
Host available:   Yes
Status available: No
"""

EXPECTED = [
    PartnerStatus("vcsa2.lab.example", True, True, 9346, 9346, 0),
    PartnerStatus("vcsa3.lab.example", True, True, 9346, 9301, 45),
    PartnerStatus("vcsa4.lab.example", False),
    PartnerStatus("vcsa5.lab.example", True, False),
]


def test_partner_status_realistic() -> None:
    assert parse_partner_status(STATUS, CMD) == EXPECTED
    assert all(p.attributable for p in EXPECTED)


def test_partner_status_collapsed_tabs_trailing_spaces() -> None:
    mangled = "\n".join(
        "\t".join(line.split()) + "   " if i % 2 else " ".join(line.split()) + "\t"
        for i, line in enumerate(STATUS.splitlines())
    )
    mangled = mangled.replace("Host available:", "Host  available :   ")
    assert parse_partner_status("\n\n" + mangled + "\n\n\n", CMD) == EXPECTED


def test_partner_status_without_blank_lines() -> None:
    squeezed = "\n".join(line for line in STATUS.splitlines() if line.strip())
    assert parse_partner_status(squeezed, CMD) == EXPECTED


def test_block_without_partner_line_is_unattributable() -> None:
    text = STATUS.replace("Partner: vcsa3.lab.example\n", "")
    result = parse_partner_status(text, CMD)
    assert [p.host for p in result] == [
        "vcsa2.lab.example", None, "vcsa4.lab.example", "vcsa5.lab.example"]
    assert result[1].changes_behind == 45
    assert not result[1].attributable


def test_block_without_partner_line_and_blank_line_splits_on_repeated_label() -> None:
    squeezed = "\n".join(line for line in STATUS.replace("Partner: vcsa3.lab.example\n", "")
                         .splitlines() if line.strip())
    result = parse_partner_status(squeezed, CMD)
    assert [p.host for p in result] == [
        "vcsa2.lab.example", None, "vcsa4.lab.example", "vcsa5.lab.example"]
    assert result[0].changes_behind == 0 and result[1].changes_behind == 45


def test_changes_behind_derived_when_summary_line_lost() -> None:
    text = STATUS.replace("Partner is 45 changes behind.\n", "")
    assert parse_partner_status(text, CMD)[1].changes_behind == 45


def test_signed_counters_give_a_negative_count() -> None:
    text = ("Partner: vcsa2.lab.example\nHost available:   Yes\nStatus available: Yes\n"
            "My last change number:             9346\n"
            "Partner has seen my change number: 9351\nPartner is -5 changes behind.\n")
    [status] = parse_partner_status(text, CMD)
    assert (status.changes_behind, status.partner_seen_change) == (-5, 9351)
    lost = text.replace("Partner is -5 changes behind.\n", "")
    assert parse_partner_status(lost, CMD)[0].changes_behind == -5


def test_empty_partner_status_is_empty_list() -> None:
    assert parse_partner_status("", CMD) == []
    assert parse_partner_status(" \n\t\n", CMD) == []


@pytest.mark.parametrize(("text", "code"), [
    ("Vdcrepadmin failed. Error [User invalid credential] [9234]\n", "9234"),
    ("Vdcrepadmin failed. Error [Server down] [9127]\n", "9127"),
    ("password: \nVdcrepadmin  failed.  Error[Server down][9127]  \n", "9127"),
])
def test_failed_vdcrepadmin_recognised_by_text(text: str, code: str) -> None:
    with pytest.raises(VcfixError) as info:
        parse_partner_status(text, CMD)
    assert CMD in info.value.message and code in info.value.message
    assert info.value.hint


def test_wrong_password_text_recognised() -> None:
    with pytest.raises(VcfixError, match="refused the administrator credentials") as info:
        parse_partners("ldap_sasl_bind(SIMPLE): Invalid credentials (49)\n", "vdcrepadmin x")
    assert "password" in (info.value.hint or "")


def test_unrecognised_partner_status_names_command() -> None:
    with pytest.raises(VcfixError, match="showpartnerstatus"):
        parse_partner_status("Segmentation fault\n", CMD)


def test_parse_partners() -> None:
    text = ("ldap://vcsa2.lab.example\n  ldap://vcsa3.lab.example:389  \n\n"
            "ldaps://VCSA4.lab.example:636\nldap://[fd00::5]:389\nldap://vcsa2.lab.example\n")
    assert parse_partners(text, "showpartners") == [
        "vcsa2.lab.example", "vcsa3.lab.example", "VCSA4.lab.example", "fd00::5"]
    assert parse_partners("", "showpartners") == []
    with pytest.raises(VcfixError, match="showpartners"):
        parse_partners("nothing here\n", "showpartners")
    with pytest.raises(VcfixError, match="9127"):
        parse_partners("Vdcrepadmin failed. Error [Server down] [9127]", "showpartners")


SERVERS = """cn=vcsa1.lab.example,cn=Servers,cn=Default-First-Site,cn=Sites,cn=Configuration,dc=vsphere,dc=local
  CN=vcsa2.lab.example, CN=Servers, CN=Site-B, CN=Sites, CN=Configuration, DC=corp, DC=local \t

cn=vcsa1.lab.example,cn=Servers,cn=Default-First-Site,cn=Sites,cn=Configuration,dc=vsphere,dc=local
"""  # noqa: E501 - one DN per line, as printed


def test_parse_servers_keeps_site() -> None:
    assert parse_server_entries(SERVERS, "showservers") == [
        DirectoryServer("vcsa1.lab.example", "Default-First-Site"),
        DirectoryServer("vcsa2.lab.example", "Site-B"),
    ]
    assert parse_servers(SERVERS, "showservers") == ["vcsa1.lab.example", "vcsa2.lab.example"]


def test_parse_servers_empty_or_garbage_fails() -> None:
    for text in ("", "Server list unavailable\n"):
        with pytest.raises(VcfixError, match="showservers"):
            parse_servers(text, "showservers")


MENU = """==================
Please select:
0. exit
1. Test LDAP connectivity
2. Force start replication cycle
3. Reset account password
4. Set log level and mask
5. Set vmdir state
6. Get vmdir state
7. Get vmdir log level and mask
==================

"""


@pytest.mark.parametrize(("text", "state"), [
    (MENU + " VmDir State is - Normal\n" + MENU, "Normal"),
    (MENU + "\tVmDir  State is -   Read only  \n" + MENU, "Read only"),
    (MENU + " VmDir State is - (null)\n" + MENU, "(null)"),
    (MENU + " VmDir State is - startup\n", "Startup"),
    ("Directory Server State: Normal (3)\n", "Normal"),
    ("Directory Server State:   Standalone (7)  \n", "Standalone"),
    ("Directory Server State: READ_ONLY (2)\n", "Read only"),
    ("Directory Server State: Weird New State (42)\n", "Weird New State"),
])
def test_parse_vmdir_state(text: str, state: str) -> None:
    assert parse_vmdir_state(text, "vdcadmintool") == state


def test_vmdir_state_missing_or_conflicting_fails() -> None:
    with pytest.raises(VcfixError, match="vdcadmintool"):
        parse_vmdir_state(MENU + MENU, "vdcadmintool")
    with pytest.raises(VcfixError, match="conflicting"):
        parse_vmdir_state(" VmDir State is - Normal\n VmDir State is - Shutdown\n", "vdcadmintool")


# --- lstool.py list ------------------------------------------------------------------------

SERVICE_TYPES = [
    "vcenterserver", "cs.identity", "cs.inventory", "cs.license", "sso:sts", "sso:admin",
    "sso:groupcheck", "vsphereui", "vsphereclient", "cs.vapi", "cs.eam", "cs.authorization",
    "cs.keyvalue", "cs.perfcharts", "cs.registry", "cs.componentmanager", "cs.vsm", "cs.ds",
    "cs.rbd", "cs.imagebuilder", "cs.sps", "sms", "vsan-health", "vmonapi", "applmgmt",
    "topologysvc", "certificateauthority", "cs.telemetry", "vcIntegrity", "hvc", "analytics",
    "cs.contentlibrary", "cs.vcha", "cs.netdumper", "cs.syslog",
]
PRODUCT_VERSIONED = {"vcenterserver", "vsphereui", "vsphereclient", "sso:sts", "sso:admin",
                     "sso:groupcheck", "applmgmt", "vcIntegrity"}


@dataclass(frozen=True)
class SampleNode:
    host: str
    node_id: str
    version: str  # as the registrations say it, e.g. 6.7 or 7.0.1.17451065
    site: str = "default-first-site"


def ssl_trust(host: str) -> str:
    return base64.b64encode(b"0\x82" + hashlib.sha256(host.encode()).digest() * 40).decode()


def service_id(host: str, stype: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{stype}@{host}"))


def lstool_record(node: SampleNode, stype: str, indent: str = "\t") -> List[str]:
    version = node.version if stype in PRODUCT_VERSIONED else "1.0"
    i1, i2 = indent, indent * 2
    lines = [
        "-" * 59,
        f"Name: {stype.replace(':', '-')}",
        f"Description: The {stype} service",
        "Service Product: com.vmware.cis",
        f"Service Type: {stype}",
        f"Service ID: {service_id(node.host, stype)}",
        f"Site ID: {node.site}",
        f"Node ID: {node.node_id}",
        f"Owner ID: {stype.replace(':', '-')}-{node.node_id[:8]}@vsphere.local",
        f"Version: {version}",
        "Endpoints:",
    ]
    paths = ["sdk"] if SERVICE_TYPES.index(stype) % 3 else ["sdk", f"{stype}/rest"]
    for path in paths:
        lines += [
            f"{i1}Type: com.vmware.cis.{stype}.server",
            f"{i1}Protocol: {'vmomi' if path == 'sdk' else 'rest'}",
            f"{i1}URL: https://{node.host}:443/{path}",
            f"{i1}SSL trust: {ssl_trust(node.host)}",
            f"{i1}Endpoint Attributes:",
            f"{i2}cis.common.ep.localurl: http://localhost:1080/{path}",
        ]
    lines += [
        "Attributes:",
        f"{i1}com.vmware.cis.cm.GroupInternalId: com.vmware.{stype}",
        f"{i1}com.vmware.cis.cm.HostId: {node.node_id}",
    ]
    if stype == "vcenterserver":
        lines.append(f"{i1}com.vmware.vim.vcenter.instanceName: {node.host}")
    return lines


def lstool_listing(nodes: List[SampleNode], indent: str = "\t") -> str:
    lines: List[str] = []
    for node in nodes:
        for stype in SERVICE_TYPES:
            lines += lstool_record(node, stype, indent)
    return "\n".join(lines) + "\n"


NODE_A = SampleNode("vcsa1.lab.example", "0b7f1a56-6d0d-4a43-9a62-3e1f1d3b0a11", "6.7")
NODE_B = SampleNode("vcsa2.lab.example", "7e2c9b10-55aa-4c61-8f3e-92d4c1a0bb22", "6.7")
LSTOOL = "lstool.py list --url http://localhost:7090/lookupservice/sdk"


def test_lstool_realistic_listing() -> None:
    regs = parse_lstool(lstool_listing([NODE_A, NODE_B]), LSTOOL)
    assert len(SERVICE_TYPES) == 35
    assert len(regs) == 70
    vc = regs[0]
    assert (vc.name, vc.service_type, vc.version, vc.site_id, vc.node_id) == (
        "vcenterserver", "vcenterserver", "6.7", "default-first-site", NODE_A.node_id)
    assert vc.service_product == "com.vmware.cis"
    assert vc.service_id == service_id(NODE_A.host, "vcenterserver")
    assert vc.owner_id.endswith("@vsphere.local")
    assert [e.url for e in vc.endpoints] == ["https://vcsa1.lab.example:443/sdk",
                                            "https://vcsa1.lab.example:443/vcenterserver/rest"]
    assert vc.endpoints[0].ssl_trust == ssl_trust(NODE_A.host)
    assert vc.endpoints[1].protocol == "rest"
    assert vc.endpoints[0].attributes == {"cis.common.ep.localurl": "http://localhost:1080/sdk"}
    assert vc.attributes["com.vmware.vim.vcenter.instanceName"] == NODE_A.host
    assert "cis.common.ep.localurl" not in vc.attributes
    assert vc.url_hosts == ("vcsa1.lab.example",)
    assert regs[36].node_id == NODE_B.node_id and regs[36].service_type == "cs.identity"
    assert len(regs[1].endpoints) == 1


def test_lstool_flattened_and_mangled_parse_the_same() -> None:
    expected = parse_lstool(lstool_listing([NODE_A]), LSTOOL)
    flat = lstool_listing([NODE_A], indent="")
    assert parse_lstool(flat, LSTOOL) == expected
    spaced = "\n\n".join("  " + line.replace(": ", " :   ") + "  "
                         for line in lstool_listing([NODE_A], indent="    ").splitlines())
    assert parse_lstool(spaced, LSTOOL) == expected


def test_lstool_ignores_jvm_noise_and_wrapped_trust() -> None:
    expected = parse_lstool(lstool_listing([NODE_A]), LSTOOL)
    trust = ssl_trust(NODE_A.host)
    wrapped = lstool_listing([NODE_A]).replace(
        trust, "\n\t".join(trust[i:i + 64] for i in range(0, len(trust), 64)))
    noisy = ("Picked up JAVA_TOOL_OPTIONS: -Xms32m -Xmx64m\nPicked up _JAVA_OPTIONS: -Dx=1\n"
             + wrapped + "WARNING: An illegal reflective access operation has occurred\n"
             "Some unrelated trailer line\n")
    assert parse_lstool(noisy, LSTOOL) == expected


@pytest.mark.parametrize("failure", [
    "Exception in thread \"main\" com.vmware.vim.vmomi.client.exception.ConnectionException: "
    "https://localhost:7090/lookupservice/sdk invocation failed\n",
    "java.net.ConnectException: Connection refused (Connection refused)\n"
    "\tat java.net.PlainSocketImpl.socketConnect(Native Method)\n",
    "\tat com.vmware.vim.vmomi.client.http.impl.HttpExchange.run(HttpExchange.java:53)\n",
    "Traceback (most recent call last):\n  File \"lstool.py\", line 9, in <module>\n",
])
def test_lstool_java_exception_means_failure(failure: str) -> None:
    head = "\n".join(lstool_listing([NODE_A]).splitlines()[:40]) + "\n"
    text = "Picked up JAVA_TOOL_OPTIONS: -Xmx64m\n" + head + failure
    with pytest.raises(VcfixError, match="lstool.py list") as info:
        parse_lstool(text, LSTOOL)
    assert "exception" in info.value.message


def test_lstool_without_records_fails() -> None:
    for text in ("", "Picked up JAVA_TOOL_OPTIONS: -Xmx64m\n", "Endpoints:\nType: x\n"):
        with pytest.raises(VcfixError, match="no Lookup Service registration"):
            parse_lstool(text, LSTOOL)


def test_lstool_record_without_name_starts_on_repeated_key() -> None:
    text = lstool_listing([NODE_A], indent="")
    text = text.replace("Name: cs.identity\n", "")
    regs = parse_lstool(text, LSTOOL)
    assert len(regs) == 35
    assert regs[1].service_type == "cs.identity" and regs[1].name == ""
