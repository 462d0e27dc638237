"""The data-encipherment certificate (VECS store ``data-encipherment``): expired or expiring.

vpxd encrypts with it what must stay secret in its database: the passwords of guest
customization specifications and the keys of encrypted virtual machine operations. It
lives ten years and certificate-manager never reissues it (not even option 8), so it
is judged here on its own dates and, when expired (critical) or expiring within the
warning window (warning), the plan step ``data-encipherment`` regenerates it signed by
VMCA. Pure: it reads the judged records.
"""

from __future__ import annotations

from typing import Optional, Sequence

from vcfix import clock
from vcfix.diagnose.checks import CheckFinding, CheckReport
from vcfix.diagnose.classify import EXPIRED, EXPIRING, CertRecord
from vcfix.diagnose.plan import STATUS_CRITICAL, STATUS_OK, STATUS_UNKNOWN, STATUS_WARNING, Step

STORE = ALIAS = "data-encipherment"
CERT_ID = f"{STORE}/{ALIAS}"
KB = "KB 2148177"
BREAKS = ("vpxd cannot decrypt or encrypt with it: guest customization (the stored "
          "customization specification passwords) fails, and so do encrypted VM operations "
          "(encrypting, decrypting, cloning or migrating encrypted virtual machines)")
MANUAL = (
    "vcfix regenerates it with the plan step 'data-encipherment' ('vcfix fix --steps "
    "data-encipherment'). By hand: 'certool --genkey --privkey=KEY --pubkey=PUB', "
    "'certool --gencert --cert=CRT --privkey=KEY --config=CFG --Name=data-encipherment' "
    "(signed by VMCA), back up the entry ('vecs-cli entry getcert' and 'getkey' --store "
    "data-encipherment --alias data-encipherment), 'vecs-cli entry delete --store "
    "data-encipherment --alias data-encipherment -y', 'vecs-cli entry create --store "
    "data-encipherment --alias data-encipherment --cert CRT --key KEY', then "
    "'service-control --stop vmware-vpxd' and 'service-control --start vmware-vpxd'."
)


def find_record(records: Sequence[CertRecord]) -> Optional[CertRecord]:
    return next((r for r in records if r.id == CERT_ID), None)


def judge_encipherment(records: Sequence[CertRecord], *, read: bool = True) -> CheckReport:
    """``read``: the data-encipherment store was listed (False: not read)."""
    record = find_record(records)
    if record is None:
        return CheckReport("data_encipherment", STATUS_UNKNOWN,
                           {"not_after": None, "days_left": None},
                           reason=(f"no {CERT_ID} certificate was found" if read
                                   else f"the {STORE} store was not read"))
    fields = {"not_after": clock.iso(record.facts.not_after), "days_left": record.days_left}
    if record.status not in (EXPIRED, EXPIRING):
        return CheckReport("data_encipherment", STATUS_OK, fields)
    day = f"{record.facts.not_after:%Y-%m-%d}"
    if record.status == EXPIRED:
        severity, code = STATUS_CRITICAL, "data-encipherment-expired"
        summary = f"The data-encipherment certificate expired on {day}: {BREAKS}."
    else:
        severity, code = STATUS_WARNING, "data-encipherment-expiring"
        summary = (f"The data-encipherment certificate expires on {day} ({record.days_left} "
                   f"days left): then {BREAKS}.")
    step = Step("data-encipherment", None, f"{CERT_ID} {record.status} ({day}): regenerate "
                "it signed by VMCA, then restart vpxd", [CERT_ID])
    return CheckReport("data_encipherment", severity, fields,
                       [CheckFinding(code, severity, summary, MANUAL, KB)], [step])
