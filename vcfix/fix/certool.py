"""The certool defaults: VMware's, overridden by the appliance's certool.cfg if any."""

from __future__ import annotations

from typing import Dict

from vcfix.appliance.paths import Appliance

CERTOOL_CFG = "/usr/lib/vmware-vmca/share/config/certool.cfg"

# certificate-manager's own defaults (its "[Default value : X]" hints)
VMWARE_DEFAULTS: Dict[str, str] = {
    "certificate.country": "US",
    "certificate.name": "CA",
    "certificate.organization": "VMware",
    "certificate.org_unit": "VMware Engineering",
    "certificate.state": "California",
    "certificate.locality": "Palo Alto",
    "certificate.ip_address": "",
    "certificate.email": "email@acme.com",
}
# certool.cfg key -> answer key
CFG_KEYS = {
    "Country": "certificate.country",
    "Name": "certificate.name",
    "Organization": "certificate.organization",
    "OrgUnit": "certificate.org_unit",
    "State": "certificate.state",
    "Locality": "certificate.locality",
    "IPAddress": "certificate.ip_address",
    "Email": "certificate.email",
}


def parse_certool_cfg(text: str) -> Dict[str, str]:
    """``Key = value`` lines; comments, blanks and unknown keys are skipped."""
    values: Dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        key = key.strip()
        if sep and key in CFG_KEYS and not key.startswith("#"):
            values[CFG_KEYS[key]] = value.strip()
    return values


def certool_defaults(appliance: Appliance) -> Dict[str, str]:
    defaults = dict(VMWARE_DEFAULTS)
    try:
        text = appliance.read_text(CERTOOL_CFG)
    except OSError:
        return defaults
    defaults.update({k: v for k, v in parse_certool_cfg(text).items() if v})
    return defaults
