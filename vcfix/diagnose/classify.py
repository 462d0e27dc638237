"""Judge every certificate: group, status, days left, and what is in use.

"In use" means what the appliance presents or relies on and what vcfix's fixes
cover: the Machine SSL ``__MACHINE_CERT``, the solution users' certificates
(Private Key entries in their stores), the STS signing leaves (first certificate
of each ``TenantCredential-N`` and its copies in VMDIR), and every CA of their
chains. Chains are followed BY SIGNATURE (:func:`vcfix.diagnose.certs.signed_by`) through
the CAs in ``TRUSTED_ROOTS``, the CA certificates in the STS chains, and extra
certificates stored with an entry; never by issuer name.

Every other certificate (BACKUP_STORE copies, data-encipherment, SMS, a root that
signs nothing in use...) is reported and, when expired, noted, but drives no fix.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence

from cryptography import x509

from vcfix.appliance.parsers.vecs import CRL, PRIVATE_KEY, SECRET_KEY, VecsEntry
from vcfix.diagnose import certs
from vcfix.errors import VcfixError

MACHINE_SSL_STORE = "MACHINE_SSL_CERT"
MACHINE_CERT_ALIAS = "__MACHINE_CERT"
TRUSTED_ROOTS = "TRUSTED_ROOTS"
VMDIR = "VMDIR"  # the pseudo-store of the STS certificates
SOLUTION_STORES = ("machine", "vsphere-webclient", "vpxd", "vpxd-extension", "hvc", "wcp")
DEFAULT_WARN_DAYS = 180

# Groups (by store) and statuses.
GROUPS = ("machine-ssl", "trusted-roots", "solution-users", "sts", "other")
OK, EXPIRING, EXPIRED = "ok", "expiring", "expired"
# Roles: what a certificate is for.
IN_USE_LEAF_ROLES = ("machine-ssl", "solution-user", "sts-signing")

TENANT_CREDENTIAL, TRUSTED_CHAIN = "tenant-credential", "trusted-chain"


@dataclass(frozen=True)
class StsEntry:
    """One STS entry read from VMDIR.

    ``dn_cn`` is the entry's CN (``TenantCredential-1``, ``TrustedCertChain-1``);
    ``kind`` is ``"tenant-credential"`` or ``"trusted-chain"``; ``certs`` are its
    ``userCertificate`` values in order (signing leaf first): DER ``bytes`` as
    ldapsearch returns them, PEM (``str`` or ``bytes``) or ``x509.Certificate``.
    """

    dn_cn: str
    kind: str
    certs: Sequence[certs.CertInput]


@dataclass
class CertRecord:
    """One judged certificate. ``id`` is ``"<store>/<alias>"``."""

    store: str
    alias: str
    entry_type: str
    group: str
    role: str
    cert: x509.Certificate
    facts: certs.CertFacts
    status: str
    days_left: int
    in_use: bool = False
    signs: List[str] = field(default_factory=list)  # in-use certificates under this CA
    also_signs: List[str] = field(default_factory=list)  # other certificates under it
    issuer_id: Optional[str] = None  # the record that signed it (by signature), if found
    chain_complete: bool = False  # signatures lead up to a self-signed root we hold

    @property
    def id(self) -> str:
        return f"{self.store}/{self.alias}"


@dataclass
class Problem:
    """A certificate that could not be judged (unreadable or missing)."""

    id: str
    message: str
    essential: bool  # one that must be judged: the diagnosis is then incomplete
    code: str = "unreadable-certificate"  # or "no-certificate"


@dataclass
class Judged:
    records: List[CertRecord]  # VECS certificates, in store order
    sts: List[CertRecord]  # VMDIR certificates
    problems: List[Problem]
    skipped_entries: Dict[str, int]  # entry type -> count (secret keys, CRLs, no certificate)


def group_of(store: str) -> str:
    if store == MACHINE_SSL_STORE:
        return "machine-ssl"
    if store == TRUSTED_ROOTS:
        return "trusted-roots"
    if store in SOLUTION_STORES:
        return "solution-users"
    if store == VMDIR:
        return "sts"
    return "other"


def status_of(not_after: dt.datetime, now: dt.datetime, warn_days: int) -> str:
    if not_after <= now:
        return EXPIRED
    if not_after <= now + dt.timedelta(days=warn_days):
        return EXPIRING
    return OK


def days_left(not_after: dt.datetime, now: dt.datetime) -> int:
    """Whole days remaining, rounded down (negative once expired)."""
    return math.floor((not_after - now).total_seconds() / 86400)


def judge(stores: Mapping[str, Sequence[VecsEntry]], sts: Sequence[StsEntry], *,
          now: dt.datetime, warn_days: int = DEFAULT_WARN_DAYS) -> Judged:
    out = Judged([], [], [], {})
    helpers: List[x509.Certificate] = []  # extra certificates stored with an entry
    for store, entries in stores.items():
        for entry in entries:
            _add_vecs(out, helpers, store, entry, now, warn_days)
    for sts_entry in sts:
        _add_sts(out, sts_entry, now, warn_days)
    _link(out.records + out.sts, helpers, now)
    return out


def _role(store: str, entry: VecsEntry, facts: certs.CertFacts) -> str:
    if store == MACHINE_SSL_STORE and entry.alias == MACHINE_CERT_ALIAS:
        return "machine-ssl"
    if store in SOLUTION_STORES and entry.entry_type == PRIVATE_KEY:
        return "solution-user"
    if store == TRUSTED_ROOTS:
        return "root" if facts.self_signed else "intermediate"
    if store.upper().startswith("BACKUP_STORE"):
        return "backup"
    return "other"


def _add_vecs(out: Judged, helpers: List[x509.Certificate], store: str, entry: VecsEntry,
              now: dt.datetime, warn_days: int) -> None:
    where = f"{store}/{entry.alias}"
    essential = (store == MACHINE_SSL_STORE and entry.alias == MACHINE_CERT_ALIAS) or (
        store in SOLUTION_STORES and entry.entry_type == PRIVATE_KEY)
    if entry.entry_type in (SECRET_KEY, CRL):
        out.skipped_entries[entry.entry_type] = out.skipped_entries.get(entry.entry_type, 0) + 1
        return
    if entry.pem is None:
        if essential:
            out.problems.append(Problem(where, f"{where} holds no certificate", True,
                                        "no-certificate"))
        key = f"{entry.entry_type or 'unknown type'} without certificate"
        out.skipped_entries[key] = out.skipped_entries.get(key, 0) + 1
        return
    try:
        chain = certs.load_pem_chain(entry.pem, where)
    except VcfixError as exc:
        out.problems.append(Problem(where, exc.message, essential))
        return
    helpers.extend(chain[1:])
    facts = certs.facts(chain[0])
    out.records.append(_record(store, entry.alias, entry.entry_type, _role(store, entry, facts),
                               chain[0], facts, now, warn_days))


def _add_sts(out: Judged, entry: StsEntry, now: dt.datetime, warn_days: int) -> None:
    if not entry.certs:
        out.problems.append(Problem(f"{VMDIR}/{entry.dn_cn}", f"{entry.dn_cn} holds no "
                                    "certificate", entry.kind == TENANT_CREDENTIAL,
                                    "no-certificate"))
    for index, value in enumerate(entry.certs):
        alias = entry.dn_cn if index == 0 else f"{entry.dn_cn}/{index}"
        leaf = index == 0 and entry.kind == TENANT_CREDENTIAL
        try:
            cert = certs.load_any(value, f"{VMDIR}/{alias}")
        except VcfixError as exc:
            out.problems.append(Problem(f"{VMDIR}/{alias}", exc.message, leaf))
            continue
        role = "sts-signing" if leaf else "sts-chain"
        out.sts.append(_record(VMDIR, alias, entry.kind, role, cert, certs.facts(cert), now,
                               warn_days))


def _record(store: str, alias: str, entry_type: str, role: str, cert: x509.Certificate,
            facts: certs.CertFacts, now: dt.datetime, warn_days: int) -> CertRecord:
    return CertRecord(store, alias, entry_type, group_of(store), role, cert, facts,
                      status_of(facts.not_after, now, warn_days),
                      days_left(facts.not_after, now))


def _link(records: List[CertRecord], helpers: Sequence[x509.Certificate],
          now: dt.datetime) -> None:
    by_sha1: Dict[str, List[CertRecord]] = {}  # the CA pool's records
    for record in records:
        if record.store == TRUSTED_ROOTS or record.role == "sts-chain":
            by_sha1.setdefault(record.facts.sha1, []).append(record)
    pool = certs.IssuerPool([rs[0].cert for rs in by_sha1.values()] + list(helpers), now)
    leaf_sha1 = {r.facts.sha1 for r in records if r.role in IN_USE_LEAF_ROLES}
    for record in records:
        record.in_use = record.role in IN_USE_LEAF_ROLES or (
            record.store == VMDIR and record.facts.sha1 in leaf_sha1)
    for record in records:
        signers = [r for sha1 in pool.issuers(record.cert) for r in by_sha1.get(sha1, [])]
        record.issuer_id = signers[0].id if signers else None
        above = pool.above(record.cert)
        record.chain_complete = record.facts.self_signed or bool(above & pool.roots)
        if record.role in IN_USE_LEAF_ROLES:
            for ca in (r for sha1 in above for r in by_sha1.get(sha1, [])):
                ca.in_use = True
                ca.signs.append(record.id)
    for record in records:
        if not record.in_use:
            for ca in (r for sha1 in pool.above(record.cert) for r in by_sha1.get(sha1, [])):
                ca.also_signs.append(record.id)
