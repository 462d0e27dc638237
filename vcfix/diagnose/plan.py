"""What is wrong, what to do about it, in which order, and the overall status.

Steps, in order (each names the certificates that cause it and why):

1. ``sts`` (fixsts) when an STS signing certificate, or a CA of its chain, is
   expired or expiring: the other fixes need a working SSO login.
2. ``reset-all`` (certificate-manager option 8) when a CA that signs in-use
   certificates is expired or expiring. It also replaces Machine SSL and the
   solution users, so then no separate ``machine-ssl``/``solution-users`` step.
   When that CA also ends the STS chain, ``sts`` runs again after ``reset-all``:
   option 8 does not reissue the STS certificate.
3. Otherwise ``machine-ssl`` (option 3) when Machine SSL is expired/expiring or
   its SAN lacks the PNID, and ``solution-users`` (option 6) when a solution-user
   certificate is expired/expiring.
4. ``remove-unused-root`` (manual, no option) for each expired root that signs
   nothing in use. It never triggers ``reset-all``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence

from vcfix.diagnose.classify import (
    EXPIRED,
    EXPIRING,
    MACHINE_CERT_ALIAS,
    MACHINE_SSL_STORE,
    OK,
    SOLUTION_STORES,
    TRUSTED_ROOTS,
    VMDIR,
    CertRecord,
    Judged,
)

# Overall statuses, worst last; exit codes live in vcfix.diagnose.model.
STATUS_OK, STATUS_WARNING, STATUS_CRITICAL, STATUS_UNKNOWN = "ok", "warning", "critical", "unknown"
# Finding severities: "info" never changes the status; the others raise it to their level.
SEVERITIES = ("info", STATUS_WARNING, STATUS_UNKNOWN, STATUS_CRITICAL)

CAVEAT_HOSTNAMES = (
    "When certificate-manager asks for 'Hostname', give the PNID and every other name "
    "(alias, short name) clients use to reach this vCenter, comma separated."
)
CAVEAT_VMCA_NAME = "When certificate-manager asks for the VMCA 'Name', give exactly the PNID."
CAVEAT_OTHER_STORES = (
    "Option 8 does not reissue the data-encipherment and SMS certificates: they stay "
    "chained to the old root, so do not remove the old root from TRUSTED_ROOTS because of them "
    "without checking those certificates first."
)
CAVEAT_STS_AFTER_RESET = (
    "fixsts signs the new STS certificate with the current VMCA root, and option 8 does not "
    "reissue the STS certificate: fixsts runs once before reset-all (so SSO logins work) and "
    "once after it (so the STS chain ends at the new root)."
)
CAVEAT_RESTART = (
    "After fixsts, restart all services on every vCenter and PSC of the SSO domain "
    "(service-control --stop --all, then --start --all) before the next step."
)

# certificate-manager's own copies (BACKUP_STORE): information, with the command removing one.
BACKUP_DELETE = "vecs-cli entry delete --store {store} --alias {alias} -y"

IMPORTANT_STORES = (MACHINE_SSL_STORE, TRUSTED_ROOTS, *SOLUTION_STORES, VMDIR)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # one of SEVERITIES
    message: str
    certificates: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    step: str  # "sts" | "reset-all" | "machine-ssl" | "solution-users" | "remove-unused-root"
    #            | "extension-thumbprints" (added by vcfix.diagnose.extensions)
    option: Optional[int]  # certificate-manager option 3, 6 or 8; None for fixsts/manual
    reason: str
    certificates: List[str] = field(default_factory=list)


def find(judged: Judged, *, pnid: Optional[str], skipped_stores: Sequence[str] = ()
         ) -> List[Finding]:
    """Everything worth telling besides the certificates' own status."""
    out: List[Finding] = []
    for problem in judged.problems:
        level = STATUS_UNKNOWN if problem.essential else STATUS_WARNING
        out.append(Finding(problem.code, level, problem.message, [problem.id]))
    for store in skipped_stores:
        if store in IMPORTANT_STORES:
            out.append(Finding("store-not-checked", STATUS_UNKNOWN,
                               f"{store} was not read: its certificates were not checked"))
        else:
            crls = store == "TRUSTED_ROOT_CRLS"
            why = " (it holds CRLs, no certificate to judge)" if crls else ""
            out.append(Finding("store-skipped", "info", f"{store} was not read{why}"))
    records = judged.records + judged.sts
    problem_ids = {p.id for p in judged.problems}
    machine = [r for r in records if r.role == "machine-ssl"]
    machine_id = f"{MACHINE_SSL_STORE}/{MACHINE_CERT_ALIAS}"
    if not machine and MACHINE_SSL_STORE not in skipped_stores and machine_id not in problem_ids:
        out.append(Finding("machine-ssl-missing", STATUS_UNKNOWN,
                           f"no {machine_id} certificate was found", [machine_id]))
    for record in machine:
        out += _san_findings(record, pnid)
    sts_problem = any(i.startswith(f"{VMDIR}/") for i in problem_ids)
    if not any(r.role == "sts-signing" for r in records) and VMDIR not in skipped_stores and (
            not sts_problem):
        out.append(Finding("sts-missing", STATUS_UNKNOWN,
                           "no STS signing certificate (TenantCredential) was found in VMDIR"))
    for record in records:
        if record.in_use and not record.chain_complete and TRUSTED_ROOTS not in skipped_stores:
            out.append(Finding("chain-incomplete", STATUS_WARNING,
                               f"{record.id}: no root held by this node signs its chain "
                               f"(issuer {record.facts.issuer}; checked by signature)",
                               [record.id]))
        if record.status == EXPIRED and record.role == "backup":
            out.append(Finding("backup-copy", "info", f"{record.id} {_when(record)}: "
                               f"{_unused_why(record)}; remove it when no longer needed: "
                               f"{BACKUP_DELETE.format(store=record.store, alias=record.alias)}",
                               [record.id]))
        elif record.status == EXPIRED and not record.in_use:
            out.append(Finding("expired-unused", STATUS_WARNING,
                               f"{record.id} {_when(record)}: {_unused_why(record)}",
                               [record.id]))
    return out


def _san_findings(record: CertRecord, pnid: Optional[str]) -> List[Finding]:
    if not pnid or pnid in record.facts.sans:
        return []
    shown = ", ".join(record.facts.sans) or "none"
    if pnid.lower() in (name.lower() for name in record.facts.sans):
        return [Finding("san-pnid-case", "info", f"{record.id}: the SAN holds the PNID "
                        f"'{pnid}' only with different letter case (SAN: {shown})", [record.id])]
    return [Finding("san-lacks-pnid", STATUS_WARNING, f"{record.id}: the SAN does not hold the "
                    f"PNID '{pnid}' (SAN: {shown})", [record.id])]


def _unused_why(record: CertRecord) -> str:
    if record.role in ("root", "intermediate"):
        return "a CA that signs nothing in use on this node"
    if record.role == "backup":
        return "a copy certificate-manager kept in BACKUP_STORE; nothing uses it"
    if record.store == VMDIR:
        return "an STS chain certificate that is not part of the signing chain"
    return f"not one of the certificates vcfix's fixes cover ({record.store} store)"


def _bad(record: CertRecord) -> bool:
    return record.status in (EXPIRED, EXPIRING)


def _describe(records: Sequence[CertRecord]) -> str:
    return ", ".join(f"{r.id} {_when(r)}" for r in records)


def _when(record: CertRecord) -> str:
    day = record.facts.not_after.strftime("%Y-%m-%d")
    if record.status == EXPIRED:
        return f"(expired {day})"
    return f"(expires {day}, {record.days_left} days left)"


def build_plan(records: Sequence[CertRecord], findings: Sequence[Finding]) -> List[Step]:
    """The ordered steps for ``records`` (VECS and VMDIR) and the ``findings``."""
    steps: List[Step] = []
    in_use = [r for r in records if r.in_use]
    sts = [r for r in in_use if r.store == VMDIR and _bad(r)]
    if sts:
        steps.append(Step("sts", None, "the STS signing certificate or a CA of its chain is "
                          f"expired or expiring: {_describe(sts)}", [r.id for r in sts]))
    # A bad CA calls for option 8 when it signs in-use VECS certificates. One that
    # signs only the STS chain (the old root after an option 8) is fixsts's job.
    cas = [r for r in in_use if r.store == TRUSTED_ROOTS and _bad(r)
           and any(not i.startswith(f"{VMDIR}/") for i in r.signs)]
    if cas:
        under = sorted({leaf for r in cas for leaf in r.signs})
        steps.append(Step("reset-all", 8, f"a CA that signs certificates in use is expired or "
                          f"expiring: {_describe(cas)}; it signs {', '.join(under)}",
                          [r.id for r in cas]))
        sts_under_old_root = sorted(i for i in under if i.startswith(f"{VMDIR}/"))
        if sts and sts_under_old_root:
            # Option 8 makes a new VMCA root but never reissues the STS signing
            # certificate, and fixsts signs with whatever root is current: the
            # first fixsts restores SSO logins so certificate-manager can run, the
            # second moves the STS chain onto the new root.
            steps.append(Step("sts", None, "again after reset-all: option 8 does not reissue the "
                              "STS signing certificate, whose chain still ends at the old root "
                              f"({', '.join(sts_under_old_root)})", sts_under_old_root))
    else:
        machine = [r for r in in_use if r.role == "machine-ssl" and _bad(r)]
        san = [c for f in findings if f.code == "san-lacks-pnid" for c in f.certificates]
        if machine or san:
            why = [f"expired or expiring: {_describe(machine)}"] if machine else []
            why += ["its SAN lacks the PNID"] if san else []
            ids = sorted({r.id for r in machine} | set(san))
            steps.append(Step("machine-ssl", 3, "Machine SSL " + "; ".join(why), ids))
        users = [r for r in in_use if r.role == "solution-user" and _bad(r)]
        if users:
            steps.append(Step("solution-users", 6, "solution-user certificates expired or "
                              f"expiring: {_describe(users)}", [r.id for r in users]))
    for root in records:
        if root.store == TRUSTED_ROOTS and root.status == EXPIRED and not root.in_use:
            also = f"; it still signs {', '.join(root.also_signs)}" if root.also_signs else ""
            steps.append(Step(
                "remove-unused-root", None,
                f"{root.id} (subject {root.facts.subject}, SHA1 {root.facts.sha1}) expired "
                f"{root.facts.not_after:%Y-%m-%d} and signs nothing in use on this node{also}. "
                "TRUSTED_ROOTS is shared by every node of the SSO domain: check the other "
                "nodes before removing it (manual step, with a backup).", [root.id]))
    return steps


def caveats(steps: Sequence[Step]) -> List[str]:
    names = {s.step for s in steps}
    out: List[str] = []
    if "sts" in names:
        out.append(CAVEAT_RESTART)
    if names & {"machine-ssl", "reset-all"}:
        out += [CAVEAT_HOSTNAMES, CAVEAT_VMCA_NAME]
    if "reset-all" in names:
        out.append(CAVEAT_OTHER_STORES)
        if "sts" in names:
            out.append(CAVEAT_STS_AFTER_RESET)
    return out


def overall_status(records: Sequence[CertRecord], findings: Sequence[Finding]) -> str:
    """``critical`` if anything in use expired; else the worst finding (an unreadable
    essential certificate is ``unknown``); else ``warning`` if anything in use is
    expiring or anything unused expired; else ``ok``."""
    if any(r.in_use and r.status == EXPIRED for r in records):
        return STATUS_CRITICAL
    worst = max((SEVERITIES.index(f.severity) for f in findings), default=0)
    if any((r.in_use and r.status == EXPIRING) or (r.status == EXPIRED and r.role != "backup")
           for r in records):
        worst = max(worst, SEVERITIES.index(STATUS_WARNING))
    return STATUS_OK if worst == 0 else SEVERITIES[worst]


__all__ = ["OK", "Finding", "Step", "build_plan", "caveats", "find", "overall_status"]
