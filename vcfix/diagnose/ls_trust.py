"""Lookup Service trust: do this node's registrations trust its current Machine SSL?

Every service a node registers in the Lookup Service (``lstool.py list``) carries the
certificate clients must trust for it (``SSL trust``, base64 DER): the node's Machine SSL
certificate. When the Machine SSL certificate was replaced without the registrations being
updated (a replacement by hand, a failed certificate-manager run, a restore), SSO logins,
the vSphere Client and Enhanced Linked Mode fail with trust errors. There is no vcfix step
for it: the finding gives the procedure (lsdoctor ``--trustfix``; ``ls_update_certs.py`` on
6.x). certificate-manager options 3 and 8 update the registrations themselves, so when the
plan replaces Machine SSL a mismatch is noted, not a finding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any, Dict, List, Optional, Sequence

from cryptography.hazmat.primitives.serialization import Encoding

from vcfix.appliance.lstool_run import list_registrations
from vcfix.appliance.parsers import vmafd
from vcfix.appliance.parsers.lstool import Registration
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.diagnose.checks import CheckFinding, CheckReport
from vcfix.diagnose.classify import CertRecord
from vcfix.diagnose.plan import STATUS_CRITICAL, STATUS_OK, STATUS_UNKNOWN, STATUS_WARNING, Step

KB = "KB 80469"
REPLACING_STEPS = ("machine-ssl", "reset-all")  # certificate-manager re-registers on these
PROCEDURE_7 = (
    "Update the registrations of {node} to trust its current Machine SSL certificate: "
    "download lsdoctor (VMware KB 80469) to the node, run 'python lsdoctor.py --trustfix' "
    "(option 'fix the trust of this node's registrations'), then 'service-control --stop "
    "--all' and 'service-control --start --all' on this node."
)
PROCEDURE_6 = (
    "Update the registrations of {node} to trust its current Machine SSL certificate: "
    "lsdoctor (VMware KB 80469) 'python lsdoctor.py --trustfix', or the appliance's "
    "'/usr/lib/vmidentity/tools/scripts/ls_update_certs.py' with the old thumbprint "
    "({old}) and the current certificate (see the KB for its options); then "
    "'service-control --stop --all' and 'service-control --start --all' on this node."
)


def read_registrations(appliance: Appliance, runner: Runner, node_type: Optional[str] = None,
                       timeout: Optional[float] = None) -> List[Registration]:
    """``lstool.py list`` against this release's local Lookup Service URL (7090 on 7.0+,
    7080 on 6.x), or on a vCenter with an external PSC (``node_type`` management) the PSC's
    (``vmafd-cli get-ls-location``); a script that is not executable runs with the
    appliance's python. ``timeout``: default the runner's (``diagnose --timeout``)."""
    url = None
    if node_type == "management":  # the Lookup Service runs on the PSC
        located = runner.run("vmafd-cli", ["get-ls-location", "--server-name", "localhost"])
        url = vmafd.parse_value(located.stdout, located.command)
    return list_registrations(appliance, runner, url, timeout)


def _der(trust: str) -> Optional[bytes]:
    try:
        return base64.b64decode("".join(trust.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _sha1(der: Optional[bytes]) -> Optional[str]:
    if der is None:
        return None
    digest = hashlib.sha1(der).hexdigest().upper()  # noqa: S324 - a thumbprint
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))  # as facts.sha1


def judge_ls_trust(registrations: Optional[Sequence[Registration]], error: Optional[str], *,
                   pnid: str, version: str, machine: Optional[CertRecord],
                   plan: Sequence[Step]) -> CheckReport:
    """Compare the SSL trust of every registration whose endpoint URL names ``pnid``
    with ``machine`` (the current Machine SSL record)."""
    fields: Dict[str, Any] = {"node": pnid, "mismatched": []}
    if registrations is None:
        return CheckReport("lookup_service_trust", STATUS_UNKNOWN, fields,
                           reason=error or "lstool.py list was not run", failed=bool(error))
    if machine is None:
        return CheckReport("lookup_service_trust", STATUS_UNKNOWN, fields,
                           reason="the Machine SSL certificate was not read")
    current = machine.cert.public_bytes(Encoding.DER)
    own = [r for r in registrations
           if any(e.url_host == pnid.lower() and e.ssl_trust for e in r.endpoints)]
    if not own:
        return CheckReport("lookup_service_trust", STATUS_UNKNOWN, fields,
                           reason=f"no Lookup Service registration names {pnid} with an "
                           "SSL trust")
    mismatched: List[Dict[str, Any]] = []
    for reg in own:
        trusts = {e.ssl_trust for e in reg.endpoints
                  if e.url_host == pnid.lower() and e.ssl_trust}
        stale = [t for t in sorted(trusts) if _der(t) != current]
        if stale:
            mismatched.append({"service_type": reg.service_type, "service_id": reg.service_id,
                               "name": reg.name,
                               "trusted_sha1": _sha1(_der(stale[0]))})
    fields["mismatched"] = mismatched
    fields["registrations"] = len(own)
    if not mismatched:
        return CheckReport("lookup_service_trust", STATUS_OK, fields)
    types = sorted({m["service_type"] for m in mismatched})
    replacing = [s.step for s in plan if s.step in REPLACING_STEPS]
    if replacing:
        fields["note"] = (f"{len(mismatched)} registrations trust another certificate than "
                          f"the current Machine SSL; the plan's '{replacing[0]}' step "
                          "(certificate-manager) updates them when it replaces Machine SSL")
        return CheckReport("lookup_service_trust", STATUS_WARNING, fields)
    olds = sorted({str(m["trusted_sha1"]) for m in mismatched if m["trusted_sha1"]})
    summary = (f"{len(mismatched)} of the {len(own)} Lookup Service registrations of {pnid} "
               f"trust another certificate than its current Machine SSL (SHA1 "
               f"{machine.facts.sha1}; they trust {', '.join(olds) or 'an unreadable one'}): "
               f"service types {', '.join(types)}. SSO logins, the vSphere Client and "
               "Enhanced Linked Mode fail with trust errors.")
    template = PROCEDURE_6 if version.startswith("6.") else PROCEDURE_7
    procedure = template.format(node=pnid, old=", ".join(olds) or "see lstool.py list")
    finding = CheckFinding("lookup-trust-mismatch", STATUS_CRITICAL, summary, procedure, KB)
    return CheckReport("lookup_service_trust", STATUS_CRITICAL, fields, [finding])
