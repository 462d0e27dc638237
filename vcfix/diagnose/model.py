"""The diagnosis: one entry point, :func:`diagnose`, and its JSON form.

The JSON document is specified field by field in ``docs/diagnose-json.md``;
``SCHEMA_VERSION`` changes whenever a field changes meaning or disappears.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence

from vcfix import __version__, clock
from vcfix.appliance.parsers.vecs import VecsEntry
from vcfix.diagnose.checklist import judge_checks, superseded
from vcfix.diagnose.checks import CheckInputs, merge_steps
from vcfix.diagnose.classify import DEFAULT_WARN_DAYS, CertRecord, StsEntry, judge
from vcfix.diagnose.plan import (
    STATUS_CRITICAL,
    STATUS_OK,
    STATUS_UNKNOWN,
    STATUS_WARNING,
    Finding,
    Step,
    build_plan,
    caveats,
    find,
    overall_status,
)
from vcfix.diagnose.services import service_findings
from vcfix.errors import EXIT_OK, EXIT_UNKNOWN

SCHEMA_VERSION = 1
EXIT_CODES: Dict[str, int] = {
    STATUS_OK: EXIT_OK,  # 0
    STATUS_WARNING: 1,
    STATUS_CRITICAL: 2,
    STATUS_UNKNOWN: EXIT_UNKNOWN,  # 3
}

__all__ = ["EXIT_CODES", "Diagnosis", "NodeInfo", "StsEntry", "VecsEntry", "diagnose"]


@dataclass(frozen=True)
class NodeInfo:
    pnid: str  # exactly as vmafd-cli printed it (case-sensitive)
    domain: str  # SSO domain, e.g. vsphere.local
    version: str  # build from update.conf, e.g. 7.0.3.01400
    node_type: str  # embedded | infrastructure | management

    def to_json(self) -> Dict[str, str]:
        return {"pnid": self.pnid, "domain": self.domain, "version": self.version,
                "node_type": self.node_type}


@dataclass
class Diagnosis:
    node: Optional[NodeInfo]
    checked_at: dt.datetime
    status: str
    warn_days: int = DEFAULT_WARN_DAYS
    certificates: List[CertRecord] = field(default_factory=list)  # VECS
    sts: List[CertRecord] = field(default_factory=list)  # VMDIR
    skipped_stores: List[str] = field(default_factory=list)
    skipped_entries: Dict[str, int] = field(default_factory=dict)
    plan: List[Step] = field(default_factory=list)
    findings: List[Finding] = field(default_factory=list)
    caveats: List[str] = field(default_factory=list)
    error: Optional[str] = None
    services: Optional[Dict[str, List[str]]] = None  # state -> names; None: not read
    checks: Dict[str, Dict[str, Any]] = field(default_factory=dict)  # key -> check's JSON

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @classmethod
    def unknown(cls, node: Optional[NodeInfo], message: str, now: dt.datetime) -> Diagnosis:
        """The could-not-check result: status ``unknown`` (exit 3), ``message`` kept."""
        return cls(node=node, checked_at=now, status=STATUS_UNKNOWN, error=message)

    def record(self, cert_id: str) -> Optional[CertRecord]:
        """The certificate with id ``"<store>/<alias>"``, if any."""
        return next((r for r in self.certificates + self.sts if r.id == cert_id), None)

    def to_json(self) -> Dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "vcfix_version": __version__,
            "checked_at": clock.iso(self.checked_at),
            "status": self.status,
            "exit_code": self.exit_code,
            "error": self.error,
            "node": self.node.to_json() if self.node else None,
            "warn_days": self.warn_days,
            "certificates": [cert_json(r) for r in self.certificates],
            "sts": [cert_json(r) for r in self.sts],
            "skipped_stores": list(self.skipped_stores),
            "skipped_entries": dict(self.skipped_entries),
            "plan": [{"step": s.step, "option": s.option, "reason": s.reason,
                      "certificates": list(s.certificates)} for s in self.plan],
            "findings": [{"code": f.code, "severity": f.severity, "message": f.message,
                          "certificates": list(f.certificates)} for f in self.findings],
            "caveats": list(self.caveats),
            "services": ({state: list(names) for state, names in self.services.items()}
                         if self.services is not None else None),
            "checks": {key: dict(value) for key, value in self.checks.items()},
        }


def cert_json(record: CertRecord) -> Dict[str, Any]:
    facts = record.facts
    return {
        "id": record.id,
        "store": record.store,
        "alias": record.alias,
        "entry_type": record.entry_type,
        "group": record.group,
        "role": record.role,
        "status": record.status,
        "days_left": record.days_left,
        "in_use": record.in_use,
        "subject": facts.subject,
        "issuer": facts.issuer,
        "issuer_id": record.issuer_id,
        "not_before": clock.iso(facts.not_before),
        "not_after": clock.iso(facts.not_after),
        "sha1": facts.sha1,
        "serial": facts.serial,
        "san": list(facts.sans),
        "is_ca": facts.is_ca,
        "self_signed": facts.self_signed,
        "chain_complete": record.chain_complete,
        "signs": sorted(record.signs),
        "also_signs": sorted(record.also_signs),
    }


def diagnose(
    node: NodeInfo,
    stores: Mapping[str, Sequence[VecsEntry]],
    sts: Sequence[StsEntry],
    *,
    now: dt.datetime,
    warn_days: int = DEFAULT_WARN_DAYS,
    skipped_stores: Sequence[str] = (),
    services: Optional[Mapping[str, Sequence[str]]] = None,
    services_error: Optional[str] = None,
    checks_input: Optional[CheckInputs] = None,
) -> Diagnosis:
    """Judge every certificate of ``stores`` (VECS) and ``sts`` (VMDIR) at ``now``.

    Put ``"VMDIR"`` in ``skipped_stores`` when the STS certificates could not be
    read, and the name of every VECS store that was not listed. ``services`` is
    ``service-control --status --all`` (state -> names), None when it could not be read
    (``services_error`` says why). ``checks_input``: what the checks beside the
    certificates read (CRL count, Lookup Service registrations; :mod:`vcfix.diagnose.checks`).
    """
    judged = judge(stores, sts, now=now, warn_days=warn_days)
    records = judged.records + judged.sts
    findings = find(judged, pnid=node.pnid, skipped_stores=skipped_stores)
    findings += service_findings(services, services_error)
    steps = build_plan(records, findings)
    extra = judge_checks(checks_input, judged.records, pnid=node.pnid, version=node.version,
                         plan=steps, skipped_stores=skipped_stores)
    findings = [f for f in findings if not superseded(f)] + extra.findings
    steps = merge_steps(steps, extra.steps)
    return Diagnosis(
        node=node,
        checked_at=now,
        status=overall_status(records, findings),
        warn_days=warn_days,
        certificates=judged.records,
        sts=judged.sts,
        skipped_stores=list(skipped_stores),
        skipped_entries=dict(judged.skipped_entries),
        plan=steps,
        findings=findings,
        caveats=caveats(steps),
        services={k: list(v) for k, v in services.items()} if services is not None else None,
        checks=extra.checks,
    )
