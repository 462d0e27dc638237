"""The checks beside the certificates' own dates: their shared shape and how they join a
diagnosis.

Each check (CRLs, the data-encipherment certificate, the Lookup Service trust...) gives a
:class:`CheckReport`: its status (``ok``, ``warning``, ``critical`` or ``unknown`` with a
reason), its own fields, its findings (what is wrong, what breaks, the exact procedure and
its KB) and the plan steps vcfix can run for it. A report becomes the diagnosis's
``checks.<key>`` object (docs/diagnose-json.md); its findings of severity ``warning`` or
``critical`` also join the diagnosis's ``findings`` (so the overall status and exit code
follow them), and its steps join the plan in :data:`STEP_ORDER`. A check that could not run
(``unknown``) never raises the overall status: it adds an ``info`` finding naming why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from vcfix.appliance.parsers.lstool import Registration
from vcfix.diagnose.plan import (
    STATUS_CRITICAL,
    STATUS_OK,
    STATUS_UNKNOWN,
    STATUS_WARNING,
    Finding,
    Step,
)

# Where each step goes in the plan (a step not named here goes last).
STEP_ORDER = ("sts", "reset-all", "machine-ssl", "solution-users", "data-encipherment",
              "clean-crls", "extension-thumbprints", "remove-unused-root")
CHECK_STATUSES = (STATUS_OK, STATUS_WARNING, STATUS_CRITICAL, STATUS_UNKNOWN)


@dataclass(frozen=True)
class CheckFinding:
    code: str  # for the diagnosis's findings list, e.g. "crls-many"
    severity: str  # "warning" | "critical" | "info"
    summary: str  # what is wrong and what it breaks
    procedure: str  # the exact steps (vcfix's plan step, or by hand)
    kb: str = ""  # e.g. "KB 2146011"

    def to_json(self) -> Dict[str, str]:
        return {"severity": self.severity, "summary": self.summary,
                "procedure": self.procedure, "kb": self.kb}


@dataclass
class CheckReport:
    key: str  # the key under "checks" in the JSON
    status: str  # one of CHECK_STATUSES
    fields: Dict[str, Any] = field(default_factory=dict)  # the check's own JSON fields
    findings: List[CheckFinding] = field(default_factory=list)
    steps: List[Step] = field(default_factory=list)
    reason: Optional[str] = None  # why the status is "unknown"
    failed: bool = False  # unknown because a tool failed (said as an info finding)

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"status": self.status, **self.fields,
                                "findings": [f.to_json() for f in self.findings]}
        if self.reason is not None:
            data["reason"] = self.reason
        return data

    def main_findings(self) -> List[Finding]:
        """What joins the diagnosis's findings list."""
        out = [Finding(f.code, f.severity, f"{f.summary} {f.procedure}".strip())
               for f in self.findings if f.severity in (STATUS_WARNING, STATUS_CRITICAL)]
        if self.status == STATUS_UNKNOWN and self.failed and self.reason:
            out.append(Finding("check-not-done", "info",
                               f"{self.key.replace('_', ' ')} not checked: {self.reason}"))
        return out


@dataclass
class CheckInputs:
    """What the checks read from the appliance (None: not read; ``*_error`` says why)."""

    crl_count: Optional[int] = None
    crl_error: Optional[str] = None
    registrations: Optional[List[Registration]] = None
    registrations_error: Optional[str] = None


def rank(step: Step) -> int:
    return STEP_ORDER.index(step.step) if step.step in STEP_ORDER else len(STEP_ORDER)


def merge_steps(plan: Sequence[Step], extra: Sequence[Step]) -> List[Step]:
    """``plan`` with each of ``extra`` inserted after every step that goes before it
    (``plan``'s own order is kept: sts may come twice)."""
    out = list(plan)
    for step in extra:
        position = len(out)
        while position > 0 and rank(out[position - 1]) > rank(step):
            position -= 1
        out.insert(position, step)
    return out
