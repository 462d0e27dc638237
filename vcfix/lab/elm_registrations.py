"""The Lookup Service registrations of a lab node, and ``lstool.py list``'s layout.

Every node registers about 35 service types (a few differ between 6.x and 7.0+).
Product services carry the node's release (``6.7``, ``7.0``), the others an API
version (``1.0``...). Service IDs are stable per (machine ID, service type), so
the same registration seen from two nodes has the same ID. Endpoints carry the
node's real Machine SSL certificate as ``SSL trust`` (base64 DER on one line).
Pure: the lstool fake turns lab states into :class:`Owner` facts and prints these.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

RELEASE = "release"  # the version of a product service is the node's release
_NAMESPACE = uuid.UUID("6f1c2a8e-2d0b-4c55-9a7e-1e6b5c0d7a31")  # the lab's own, arbitrary

# service type -> (version, endpoint type, protocol, URL path, local port or 0)
_COMMON: Dict[str, Tuple[str, str, str, str, int]] = {
    "vcenterserver": (RELEASE, "com.vmware.vim", "vmomi", "/sdk", 8085),
    "cs.identity": ("1.0", "com.vmware.cis.cs.identity.sso", "wsTrust",
                    "/sts/STSService/vsphere.local", 7080),
    "sso:sts": ("1.5", "com.vmware.cis.cs.identity.sso", "wsTrust",
                "/sts/STSService/vsphere.local", 7080),
    "sso:admin": ("1.5", "com.vmware.cis.cs.identity.admin", "vmomi", "/sso-adminserver/sdk",
                  7080),
    "sso:groupcheck": ("1.5", "com.vmware.cis.cs.identity.groupcheck", "vmomi",
                       "/sso-adminserver/sdk", 7080),
    "cs.inventory": ("1.0", "com.vmware.cis.inventory", "https", "/invsvc", 10080),
    "cs.license": ("1.0", "com.vmware.cis.cs.license.sdk", "vmomi", "/ls/sdk", 7080),
    "cs.authorization": ("1.0", "com.vmware.cis.authorization.server", "vmomi", "/invsvc/vmomi",
                         10080),
    "cs.eam": (RELEASE, "com.vmware.cis.cs.eam.sdk", "vmomi", "/eam/sdk", 15005),
    "cs.vapi": ("2.0", "com.vmware.vapi.endpoint", "vapi.json.https.public", "/api", 12346),
    "cs.registry": ("1.0", "com.vmware.cis.cs.registry.sdk", "vmomi", "/cm/sdk", 18090),
    "cs.keyvalue": ("1.0", "com.vmware.cis.cs.keyvalue.sdk", "vmomi", "/keyvalue/sdk", 18090),
    "cs.perfcharts": ("1.0", "com.vmware.cis.cs.perfcharts", "https", "/perfcharts", 13080),
    "cs.ds": ("1.0", "com.vmware.cis.data.provider", "https", "/ds", 10080),
    "cs.vsm": ("1.0", "com.vmware.vim.vsm", "vmomi", "/vsm/sdk", 15005),
    "vsphereui": (RELEASE, "com.vmware.vsphere.client", "https", "/ui", 5090),
    "vcIntegrity": (RELEASE, "com.vmware.vcIntegrity", "vmomi", "/vci/sdk", 8084),
    "sms": (RELEASE, "com.vmware.vim.sms", "vmomi", "/sms/sdk", 9085),
    "vsan-health": ("1.0", "com.vmware.vsan.health", "vmomi", "/vsanHealth", 8006),
    "imagebuilder": ("1.0", "com.vmware.imagebuilder", "vmomi", "/imagebuilder/sdk", 8098),
    "rbd": ("1.0", "com.vmware.rbd", "vmomi", "/rbd/sdk", 6502),
    "cis.vmonapi": ("1.0", "com.vmware.cis.vmonapi", "vapi.json.https", "/vmonapi", 18000),
    "applmgmt": ("1.0", "com.vmware.appliance", "vapi.json.https", "/rest", 8201),
    "analytics": ("1.0", "com.vmware.analytics", "https", "/analytics", 15080),
    "cis.cls": ("1.0", "com.vmware.content", "vapi.json.https", "/cls/vapi", 10100),
    "vcha": ("1.0", "com.vmware.vcha", "vmomi", "/vcha/sdk", 8300),
    "statsmonitor": ("1.0", "com.vmware.statsmonitor", "https", "/statsmonitor", 9500),
    "sca": ("1.0", "com.vmware.sca", "https", "/sca", 10300),
    "vpxd-svcs": ("1.0", "com.vmware.vpxd.svcs", "https", "/vpxd-svcs", 1080),
    "netdumper": ("1.0", "com.vmware.netdumper", "https", "/netdumper", 8101),
    "cs.componentmanager": ("1.0", "com.vmware.cis.cs.componentmanager", "vmomi",
                            "/cm/sdk", 18090),
}
_ONLY_6X: Dict[str, Tuple[str, str, str, str, int]] = {
    "vsphereclient": (RELEASE, "com.vmware.vsphere.client.flex", "https", "/vsphere-client",
                      9090),
    "mbcs": ("1.0", "com.vmware.mbcs", "https", "/mbcs", 8091),
    "cm": ("1.0", "com.vmware.cis.cm", "vmomi", "/cm", 18091),
    "vsphereclient.health": ("1.0", "com.vmware.vsphere.client.health", "https",
                             "/vsphere-client/health", 9090),
}
_ONLY_70: Dict[str, Tuple[str, str, str, str, int]] = {
    "topologysvc": ("1.0", "com.vmware.topologysvc", "https", "/topologysvc", 10400),
    "trustmanagement": ("1.0", "com.vmware.trustmanagement", "vapi.json.https",
                        "/trustmanagement", 10500),
    "hvc": ("1.0", "com.vmware.hvc", "https", "/hvc", 10600),
    "wcp": ("1.0", "com.vmware.wcp", "https", "/wcp", 10700),
}
_OWNERS = {"vcenterserver": "vpxd", "vsphereui": "vsphere-webclient",
           "vsphereclient": "vsphere-webclient"}


@dataclass(frozen=True)
class Owner:
    """The facts of the node a registration belongs to."""

    host: str
    machine_id: str
    site: str
    domain: str
    ssl_trust: str  # base64 DER of its Machine SSL certificate, one line


def service_types(release: str) -> List[str]:
    extra = _ONLY_6X if release.startswith("6.") else _ONLY_70
    return [*_COMMON, *extra]


def registrations(owner: Owner, release: str) -> List[Dict[str, Any]]:
    """The registrations ``owner`` made at ``release`` (plain data, lstool.py's fields)."""
    records: List[Dict[str, Any]] = []
    for stype in service_types(release):
        version, ep_type, protocol, path, port = {**_COMMON, **_ONLY_6X, **_ONLY_70}[stype]
        solution = _OWNERS.get(stype, "machine")
        attributes = {
            "com.vmware.cis.cm.GroupInternalId": f"com.vmware.{stype}",
            "com.vmware.cis.cm.ControlScript": "service-control-default-vmon",
            "com.vmware.cis.cm.HostId": owner.machine_id,
        }
        if stype == "vcenterserver":
            attributes["com.vmware.vim.vcenter.instanceName"] = owner.host
        name = "AboutInfo.vpx.name" if stype == "vcenterserver" else f"{stype}.name"
        records.append({
            "name": name,
            "description": name.replace(".name", ".description"),
            "service_product": "com.vmware.cis",
            "service_type": stype,
            "service_id": str(uuid.uuid5(_NAMESPACE, f"{owner.machine_id}/{stype}")),
            "site_id": owner.site,
            "node_id": owner.machine_id,
            "owner_id": f"{solution}-{owner.machine_id}@{owner.domain}",
            "version": release if version == RELEASE else version,
            "endpoints": [{
                "type": ep_type, "protocol": protocol,
                "url": f"https://{owner.host}:443{path}", "ssl_trust": owner.ssl_trust,
                "attributes": {"cis.common.ep.localurl": f"http://localhost:{port}{path}"}
                if port else {},
            }],
            "attributes": attributes,
        })
    return records


_TOP = (("Name", "name"), ("Description", "description"),
        ("Service Product", "service_product"), ("Service Type", "service_type"),
        ("Service ID", "service_id"), ("Site ID", "site_id"), ("Node ID", "node_id"),
        ("Owner ID", "owner_id"), ("Version", "version"))
SEPARATOR = "-" * 61


def format_list(records: Sequence[Dict[str, Any]]) -> str:
    """``lstool.py list`` text: records separated by dashes, nesting by TABs."""
    lines: List[str] = []
    for record in records:
        lines.append(SEPARATOR)
        lines += [f"{label}: {record[key]}" for label, key in _TOP]
        lines.append("Endpoints:")
        for ep in record["endpoints"]:
            lines += [f"\tType: {ep['type']}", f"\tProtocol: {ep['protocol']}",
                      f"\tURL: {ep['url']}", f"\tSSL trust: {ep['ssl_trust']}"]
            lines.append("\tEndpoint Attributes:")
            lines += [f"\t\t{k}: {v}" for k, v in ep["attributes"].items()]
        lines.append("Attributes:")
        lines += [f"\t{k}: {v}" for k, v in record["attributes"].items()]
    return "\n".join(lines) + "\n" if lines else ""
