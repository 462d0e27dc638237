"""The checks beside the certificates' dates, judged together (pure).

:func:`judge_checks` runs every check of :mod:`vcfix.diagnose.checks`' kind on what
:func:`vcfix.diagnose.collect.collect` read (``inputs``; None when nothing was read, e.g. a
diagnosis built from saved data: those checks are then ``unknown`` without a finding) and
returns the ``checks`` JSON objects, the findings that join the diagnosis and the plan steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from vcfix.diagnose.checks import CheckInputs, CheckReport
from vcfix.diagnose.classify import MACHINE_CERT_ALIAS, MACHINE_SSL_STORE, CertRecord
from vcfix.diagnose.crls import judge_crls
from vcfix.diagnose.encipherment import CERT_ID, STORE, judge_encipherment
from vcfix.diagnose.ls_trust import judge_ls_trust
from vcfix.diagnose.plan import Finding, Step


@dataclass
class Judged:
    checks: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    findings: List[Finding] = field(default_factory=list)
    steps: List[Step] = field(default_factory=list)


def judge_checks(inputs: Optional[CheckInputs], records: Sequence[CertRecord], *, pnid: str,
                 version: str, plan: Sequence[Step], skipped_stores: Sequence[str] = ()
                 ) -> Judged:
    got = inputs or CheckInputs()
    machine = next((r for r in records
                    if r.id == f"{MACHINE_SSL_STORE}/{MACHINE_CERT_ALIAS}"), None)
    reports: List[CheckReport] = [
        judge_crls(got.crl_count, got.crl_error),
        judge_encipherment(records, read=STORE not in skipped_stores),
        judge_ls_trust(got.registrations, got.registrations_error, pnid=pnid,
                       version=version, machine=machine, plan=plan),
    ]
    out = Judged()
    for report in reports:
        out.checks[report.key] = report.to_json()
        out.findings += report.main_findings()
        out.steps += report.steps
    return out


def superseded(finding: Finding) -> bool:
    """A finding of the certificate sweep that a check says better (data-encipherment
    expired is the check's critical finding, not an 'unused certificate' warning)."""
    return finding.code == "expired-unused" and finding.certificates == [CERT_ID]
