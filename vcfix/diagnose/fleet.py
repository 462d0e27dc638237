"""``vcfix diagnose`` over several appliances: one line per host, the worst exit code,
and one JSON document (docs/diagnose-json.md, "Several hosts").

Pure: the command (:mod:`vcfix.commands.diagnose_hosts`) reaches the hosts and hands
each outcome here as a :class:`HostResult`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence

from vcfix import __version__, clock
from vcfix.appliance.ssh.hosts_file import HostEntry
from vcfix.diagnose.classify import CertRecord
from vcfix.diagnose.model import Diagnosis
from vcfix.diagnose.plan import STATUS_CRITICAL, STATUS_OK, STATUS_UNKNOWN, STATUS_WARNING
from vcfix.errors import EXIT_UNKNOWN
from vcfix.redact import escape_controls
from vcfix.ui.style import Style

UNREACHABLE = "unreachable"
# From the least to the most urgent exit code: critical 2 beats unknown 3 beats warning 1.
URGENCY = (0, 1, EXIT_UNKNOWN, 2)
_ORDER = (STATUS_CRITICAL, STATUS_UNKNOWN, UNREACHABLE, STATUS_WARNING, STATUS_OK)
_COLOURS = {STATUS_CRITICAL: "red", STATUS_UNKNOWN: "yellow", UNREACHABLE: "yellow",
            STATUS_WARNING: "yellow", STATUS_OK: "green"}
GAP = "  "


@dataclass(frozen=True)
class HostResult:
    """One host's outcome: its diagnosis, or why it could not be reached."""

    entry: HostEntry
    diagnosis: Optional[Diagnosis] = None
    error: Optional[str] = None  # one line, when there is no diagnosis
    unfinished: Optional[str] = None  # the run directory of a vcfix fix that did not finish

    @property
    def status(self) -> str:
        return self.diagnosis.status if self.diagnosis is not None else UNREACHABLE

    @property
    def exit_code(self) -> int:
        return self.diagnosis.exit_code if self.diagnosis is not None else EXIT_UNKNOWN


def worst_code(codes: Iterable[int]) -> int:
    """The most urgent exit code: 2 (critical) > 3 (unknown) > 1 (warning) > 0 (ok).
    A code outside these counts as unknown; no code at all is 0."""
    ranks = [URGENCY.index(c) if c in URGENCY else URGENCY.index(EXIT_UNKNOWN) for c in codes]
    return URGENCY[max(ranks, default=0)]


def soonest(diagnosis: Diagnosis) -> Optional[CertRecord]:
    """The in-use certificate that expires first (any certificate when none is in use)."""
    records = diagnosis.certificates + diagnosis.sts
    pool = [r for r in records if r.in_use] or records
    return min(pool, key=lambda r: r.facts.not_after, default=None)


def one_line(text: str) -> str:
    """``text`` (several causes, one a line) on one line, control characters escaped."""
    return escape_controls("; ".join(p.strip() for p in text.splitlines() if p.strip()))


def _expiry(diagnosis: Diagnosis) -> str:
    record = soonest(diagnosis)
    if record is None:
        return "soonest -"
    when = "expired" if record.days_left < 0 else f"{record.days_left} days"
    return f"soonest {record.facts.not_after:%Y-%m-%d} ({when})"


def _cells(result: HostResult) -> List[str]:
    host = escape_controls(result.entry.label)
    diagnosis = result.diagnosis
    if diagnosis is None:
        return [host, UNREACHABLE.upper(), one_line(result.error or "not reached")]
    version = escape_controls(diagnosis.node.version) if diagnosis.node else "?"
    plan = "plan: " + (", ".join(s.step for s in diagnosis.plan) or "none")
    if diagnosis.error:
        plan += f"  error: {one_line(diagnosis.error)}"
    if result.unfinished:
        plan += f"  unfinished fix: {escape_controls(result.unfinished)}"
    return [host, diagnosis.status.upper(), version, _expiry(diagnosis), plan]


def render_lines(results: Sequence[HostResult], style: Style) -> List[str]:
    """One line per host, in the order given, then the summary line."""
    rows = [_cells(r) for r in results]
    widths = [max((len(row[i]) for row in rows if len(row) > i + 1), default=0)
              for i in range(4)]
    lines = []
    for result, row in zip(results, rows):
        cells = [cell + " " * (widths[i] - len(cell)) if i < len(row) - 1 else cell
                 for i, cell in enumerate(row)]
        cells[1] = style.paint(row[1], _COLOURS[result.status]) + cells[1][len(row[1]):]
        lines.append(GAP.join(cells).rstrip())
    return lines + [summary(results)]


def summary(results: Sequence[HostResult]) -> str:
    """``3 hosts: 1 critical, 1 unreachable, 1 ok; exit 2``."""
    counts = {status: sum(r.status == status for r in results) for status in _ORDER}
    parts = [f"{n} {status}" for status, n in counts.items() if n]
    noun = "host" if len(results) == 1 else "hosts"
    code = worst_code(r.exit_code for r in results)
    return f"{len(results)} {noun}: {', '.join(parts)}; exit {code}"


def host_json(result: HostResult) -> Dict[str, Any]:
    item: Dict[str, Any] = {"host": str(result.entry.target)}
    if result.entry.root is not None:
        item["root"] = str(result.entry.root)
    item["exit_code"] = result.exit_code
    if result.diagnosis is not None:
        item["diagnosis"] = result.diagnosis.to_json()
        if result.unfinished:
            item["unfinished_fix"] = result.unfinished
    else:
        item["error"] = one_line(result.error or "not reached")
    return item


def fleet_json(results: Sequence[HostResult], checked_at: dt.datetime) -> Dict[str, Any]:
    """The several-host document: each host's single-host diagnosis, or its error."""
    return {
        "vcfix_version": __version__,
        "checked_at": clock.iso(checked_at),
        "exit_code": worst_code(r.exit_code for r in results),
        "hosts": [host_json(r) for r in results],
    }
