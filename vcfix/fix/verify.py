"""Did the fix work? A pure judgement on the diagnosis taken after the steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

from vcfix.diagnose.classify import EXPIRED, EXPIRING
from vcfix.diagnose.model import Diagnosis

MANUAL_FINDINGS = ("lookup-trust-mismatch",)
EXECUTABLE_STEPS = ("sts", "machine-ssl", "solution-users", "reset-all", "data-encipherment",
                    "clean-crls", "extension-thumbprints")


@dataclass
class Verification:
    ok: bool
    problems: List[str] = field(default_factory=list)  # why the fix did not verify
    leftovers: List[str] = field(default_factory=list)  # for the operator, not failures


def verify(after: Diagnosis) -> Verification:
    """OK when no in-use certificate (Machine SSL, solution user, STS signing, or a CA
    of their chains) is expired or expiring, the services that normally run do, and the
    new plan holds no executable step."""
    problems: List[str] = []
    if after.node is None or after.status == "unknown":
        problems.append(f"the appliance could not be checked again: {after.error or 'unknown'}")
    for record in after.certificates + after.sts:
        if record.in_use and record.status in (EXPIRED, EXPIRING):
            problems.append(f"{record.id} is still {record.status} "
                            f"({record.days_left} days left)")
    for finding in after.findings:
        if finding.code == "services-not-running":
            problems.append(finding.message)
    for step in after.plan:
        if step.step in EXECUTABLE_STEPS:
            problems.append(f"the plan still holds '{step.step}': {step.reason}")
    leftovers = [f"{step.step}: {step.reason}" for step in after.plan
                 if step.step not in EXECUTABLE_STEPS]
    covered = {c for step in after.plan for c in step.certificates}
    for finding in after.findings:
        unused = finding.code in ("expired-unused", "backup-copy")
        uncovered = unused and not set(finding.certificates) <= covered
        if uncovered or finding.code in MANUAL_FINDINGS:  # manual: the message says how
            leftovers.append(finding.message)
    return Verification(not problems, problems, leftovers)
