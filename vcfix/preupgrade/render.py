"""Showing a pre-upgrade verdict: a text report for the operator, a JSON document for tools.

Pure: both take the verdict and the snapshots it was made from and return a
value; the command prints it. The JSON schema is docs/preupgrade-json.md.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections import Counter
from typing import Any, Dict, List, Mapping, Optional, Sequence

from vcfix import __version__
from vcfix.clock import iso
from vcfix.preupgrade.rules import BLOCKED, BLOCKING, SAFE, UNKNOWN, WARNINGS, Verdict
from vcfix.preupgrade.snapshot import NodeSnapshot, Partner

JSON_FORMAT = "vcfix-preupgrade/1"
MAX_DETAILS = 10  # per finding in the text report; the JSON has them all
WIDTH = 100

HEADLINES = {
    SAFE: ("SAFE", "every check passed: the domain may be upgraded."),
    WARNINGS: ("SAFE WITH WARNINGS", "nothing blocks the upgrade; read the warnings first."),
    BLOCKED: ("NOT SAFE", "do not upgrade until every blocking finding is fixed."),
    UNKNOWN: ("UNKNOWN", "vcfix could not determine everything it needs; do not upgrade "
                         "on this result."),
}
_COLORS = {SAFE: "32", WARNINGS: "33", BLOCKED: "31", UNKNOWN: "35", BLOCKING: "31",
           "warning": "33"}


def _paint(text: str, key: str, color: bool) -> str:
    return f"\033[1;{_COLORS[key]}m{text}\033[0m" if color else text


def _yes_no(value: Optional[bool]) -> str:
    return "-" if value is None else ("Yes" if value else "No")


def _number(value: Optional[int]) -> str:
    return "-" if value is None else str(value)


def _table(rows: Sequence[Sequence[str]], indent: str) -> List[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [(indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths))).rstrip()
            for row in rows]


def _partner_rows(partners: Sequence[Partner]) -> List[List[str]]:
    rows = [["partner", "host available", "status available", "changes behind",
             "after resample"]]
    for p in partners:
        rows.append([p.host or "(no Partner: line)", _yes_no(p.host_available),
                     _yes_no(p.status_available), _number(p.changes_behind),
                     _number(p.changes_behind_after)])
    return rows


def _node_lines(snap: NodeSnapshot) -> List[str]:
    facts = [f"version {snap.version or '?'}", f"vmdir {snap.vmdir_state or '?'}"]
    facts += [f"{label} {value}" for label, value in (("type", snap.node_type),
                                                      ("site", snap.site)) if value]
    lines = [f"  {snap.host}: " + ", ".join(facts)]
    if snap.partners is None:
        lines.append("    partners: not determined")
    elif not snap.partners:
        lines.append("    partners: none")
    else:
        lines += _table(_partner_rows(snap.partners), "    ")
    return lines


def _registration_lines(snapshots: Sequence[NodeSnapshot]) -> List[str]:
    views = [s for s in snapshots if s.registrations is not None]
    if not views:
        return []
    counts = {s.host: Counter(r.service_type for r in s.registrations or []) for s in views}
    types = sorted({t for c in counts.values() for t in c})
    rows = [["service type", *(s.host for s in views)]]
    for stype in types:
        row = [stype or "(none)"]
        for s in views:
            versions = sorted({r.version or "-" for r in s.registrations or []
                               if r.service_type == stype})
            row.append(f"{counts[s.host][stype]}  {','.join(versions)}" if versions else "0")
        rows.append(row)
    header = "Lookup Service registrations per service type (count  versions)"
    return ["", header, *_table(rows, "  ")]


def render_text(verdict: Verdict, snapshots: Sequence[NodeSnapshot], color: bool) -> str:
    word, sentence = HEADLINES[verdict.verdict]
    blocking = sum(f.severity == BLOCKING for f in verdict.findings)
    warnings = len(verdict.findings) - blocking
    lines = [f"{_paint(word, verdict.verdict, color)} - {sentence}",
             f"{len(snapshots)} node(s) checked: {blocking} blocking, {warnings} warning(s), "
             f"{len(verdict.unknowns)} not determined.", "", "Nodes"]
    for snap in snapshots:
        lines += _node_lines(snap)
    lines += _registration_lines(snapshots)
    if verdict.findings:
        lines += ["", "Findings"]
    for f in verdict.findings:
        tag = _paint(f.severity.upper(), f.severity, color)
        lines.append(f"  [{tag}] {f.rule}: {f.message}")
        if f.nodes:
            lines.append(f"    nodes: {', '.join(f.nodes)}")
        lines += [f"    - {d}" for d in f.details[:MAX_DETAILS]]
        if len(f.details) > MAX_DETAILS:
            lines.append(f"    ... and {len(f.details) - MAX_DETAILS} more "
                         "(all of them are in the JSON output)")
        for label, text in (("why", f.why), ("next", f.next_step)):
            lines += textwrap.wrap(f"{label}: {text}", WIDTH, initial_indent="    ",
                                   subsequent_indent="      ", break_on_hyphens=False,
                                   break_long_words=False)
    if verdict.unknowns:
        lines += ["", "Not determined"]
        lines += [f"  - {u}" for u in verdict.unknowns]
    if verdict.verdict in (SAFE, WARNINGS):
        lines += ["", "Before upgrading, back up or snapshot ALL nodes of the domain together, "
                  "powered off; never restore one node alone."]
    return "\n".join(lines) + "\n"


def _node_json(snap: NodeSnapshot) -> Dict[str, Any]:
    regs = snap.registrations
    versions: Dict[str, List[str]] = {}
    for r in regs or []:
        versions.setdefault(r.service_type, [])
        if r.version not in versions[r.service_type]:
            versions[r.service_type].append(r.version)
    return {
        "host": snap.host,
        "taken_at": iso(snap.taken_at),
        "version": snap.version,
        "node_type": snap.node_type,
        "site": snap.site,
        "vmdir_state": snap.vmdir_state,
        "partners": None if snap.partners is None else [
            {"host": p.host, "attributable": p.attributable,
             "host_available": p.host_available, "status_available": p.status_available,
             "changes_behind": p.changes_behind, "changes_behind_after": p.changes_behind_after}
            for p in snap.partners
        ],
        "agreements": snap.agreements,
        "servers": snap.servers,
        "registrations": None if regs is None else dict(
            sorted(Counter(r.service_type for r in regs).items())),
        "registration_versions": None if regs is None else {
            k: sorted(v) for k, v in sorted(versions.items())},
        "errors": list(snap.errors),
    }


def render_json(verdict: Verdict, snapshots: Sequence[NodeSnapshot],
                checked_at: Optional[dt.datetime] = None,
                not_reached: Optional[Sequence[Mapping[str, str]]] = None) -> Dict[str, Any]:
    """The verdict as a JSON-serialisable dict (schema: docs/preupgrade-json.md).

    ``checked_at`` defaults to the newest snapshot's ``taken_at``. ``not_reached`` (the
    several-host form: ``{"host", "error"}`` and ``"root"`` per node that gave no
    snapshot) adds the ``not_reached`` list.
    """
    when = checked_at or max((s.taken_at for s in snapshots), default=None)
    extra = {} if not_reached is None else {"not_reached": [dict(n) for n in not_reached]}
    return {
        "format": JSON_FORMAT,
        "vcfix_version": __version__,
        "checked_at": iso(when) if when else None,
        "verdict": verdict.verdict,
        "exit_code": verdict.exit_code,
        "nodes": [_node_json(s) for s in snapshots],
        "findings": [
            {"rule": f.rule, "severity": f.severity, "message": f.message,
             "nodes": list(f.nodes), "why": f.why, "next_step": f.next_step,
             "details": list(f.details)}
            for f in verdict.findings
        ],
        "unknowns": list(verdict.unknowns),
        **extra,
    }
