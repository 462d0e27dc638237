"""``summary.md``: the incident record of one run, for a manager or VMware support.

Pure: built from the run's facts (``Header``), its events (events.jsonl, the one
record; docs/run-record.md) and the final report exactly as it was shown. The
timeline has one row per step and one per ``service-control`` call, with the
time services were down when the events show it (service-control's stop and start,
or certificate-manager's ``Stopping services...`` until the step ended).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

Event = Dict[str, Any]
_STOPPING = re.compile(r"stopping services", re.IGNORECASE)


@dataclass
class Header:
    pnid: str
    version: str  # the build from update.conf, e.g. 7.0.3.01400
    node_type: str
    domain: str
    vcfix_version: str
    command_line: str  # never holds a secret (vcfix takes none on its command line)
    interactive: bool
    run_dir: str


@dataclass
class Row:
    what: str
    start: str
    end: str = ""
    down_from: str = ""
    down_to: str = ""
    outcome: str = ""


@dataclass
class Timeline:
    rows: List[Row] = field(default_factory=list)
    open_step: Optional[Row] = None


def timeline(events: Sequence[Event]) -> List[Row]:
    """One row per step and per service-control call, in order."""
    tl = Timeline()
    for ev in events:
        name, when = ev.get("event"), str(ev.get("time", ""))
        if name == "step_started":
            tl.open_step = Row(f"step {ev.get('number')}: {ev.get('step')} "
                               f"({ev.get('command', '')})", when)
            tl.rows.append(tl.open_step)
        elif name == "progress" and tl.open_step and not tl.open_step.down_from \
                and _STOPPING.search(str(ev.get("message", ""))):
            tl.open_step.down_from = when
        elif name == "service_control":
            ok = "ok" if ev.get("ok") else f"FAILED ({ev.get('failed_service') or 'error'})"
            row = Row(f"service-control --{ev.get('action')} --all", str(ev.get("started", "")),
                      when, outcome=ok)
            if ev.get("action") == "stop":
                row.down_from = row.start
            else:
                row.down_to = when if ev.get("ok") else "(not all started)"
            tl.rows.append(row)
        elif name in ("step_finished", "step_declined") and tl.open_step is not None:
            tl.open_step.end = when
            if tl.open_step.down_from:
                tl.open_step.down_to = when
            tl.open_step.outcome = ("declined" if name == "step_declined" else
                                    ("ok: " if ev.get("ok") else "FAILED: ")
                                    + str(ev.get("summary", "")))
            tl.open_step = None
        elif name == "step_declined":
            tl.rows.append(Row(f"step {ev.get('number')}: {ev.get('step')}", when, when,
                               outcome="declined by the operator"))
    return tl.rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "-"


def render(header: Header, events: Sequence[Event], report: Sequence[str],
           follow_ups: Sequence[str]) -> str:
    """The whole summary.md."""
    first = events[0].get("time", "") if events else ""
    finished = next((e for e in reversed(events) if e.get("event") == "run_finished"), None)
    version, _, build = header.version.rpartition(".")  # 7.0.3.01400: 7.0.3, 01400
    if not version:
        version, build = build, ""
    lines = [
        f"# vcfix fix run {header.run_dir}", "",
        "## Appliance", "",
        "| | |", "|---|---|",
        f"| PNID | {_cell(header.pnid)} |",
        f"| SSO domain | {_cell(header.domain)} |",
        f"| version | {_cell(version)} |",
        f"| build | {_cell(build)} (update.conf: {_cell(header.version)}) |",
        f"| node type | {_cell(header.node_type)} |", "",
        "## Who ran what", "",
        "| | |", "|---|---|",
        f"| vcfix | {_cell(header.vcfix_version)} |",
        f"| command line | `{header.command_line}` |",
        f"| mode | {'interactive' if header.interactive else 'unattended'} |",
        f"| started | {_cell(str(first))} |",
    ]
    if finished:
        lines.append(f"| finished | {_cell(str(finished.get('time', '')))}: outcome "
                     f"{finished.get('outcome')}, exit code {finished.get('exit_code')} |")
    lines += ["", "## Timeline", "",
              "| what | start | end | services down from | services down to | outcome |",
              "|---|---|---|---|---|---|"]
    for row in timeline(events):
        lines.append("| " + " | ".join(_cell(c) for c in (
            row.what, row.start, row.end, row.down_from, row.down_to, row.outcome)) + " |")
    lines += ["", "## Outcome of each step", ""]
    outcomes = [e for e in events if e.get("event") in ("step_finished", "step_declined")]
    for ev in outcomes:
        verdict = ("declined" if ev["event"] == "step_declined"
                   else "ok" if ev.get("ok") else "FAILED")
        lines.append(f"- {ev.get('step')}: {verdict}" + (f": {ev['summary']}"
                                                          if ev.get("summary") else ""))
    if not outcomes:
        lines.append("- no step ran")
    lines += ["", "## Final report (as shown)", "", "```text", *report, "```", "",
              "## Follow-ups", ""]
    lines += [f"- {f}" for f in follow_ups] or ["- none"]
    return "\n".join(lines) + "\n"
