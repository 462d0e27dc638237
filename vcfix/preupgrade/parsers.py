"""All parsers of the pre-upgrade check, in one import.

The VMDIR tools live in :mod:`vcfix.appliance.parsers.vmdir`, ``lstool.py`` in
:mod:`vcfix.appliance.parsers.lstool`; this module re-exports both.
"""

from __future__ import annotations

from vcfix.appliance.parsers.lstool import Endpoint, Registration, parse_lstool
from vcfix.appliance.parsers.vmdir import (
    STATE_NAMES,
    CredentialsRefused,
    DirectoryServer,
    PartnerStatus,
    check_vdcrepadmin_failure,
    parse_partner_status,
    parse_partners,
    parse_server_entries,
    parse_servers,
    parse_vmdir_state,
)

__all__ = [
    "STATE_NAMES",
    "CredentialsRefused",
    "DirectoryServer",
    "Endpoint",
    "PartnerStatus",
    "Registration",
    "check_vdcrepadmin_failure",
    "parse_lstool",
    "parse_partner_status",
    "parse_partners",
    "parse_server_entries",
    "parse_servers",
    "parse_vmdir_state",
]
