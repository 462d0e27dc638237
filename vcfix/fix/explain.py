"""What a fix run tells the operator besides the steps' own output.

The preflight checks with their results, the plan's total expected outage and
which services restart when, and the exact command that continues a run that
stopped (a declined step, Ctrl-C): ``vcfix --root R fix --steps ...``. Pure
functions returning lines; the run prints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Sequence, Tuple

from vcfix.diagnose.report import vcfix_command
from vcfix.fix.preflight import Check

__all__ = ["check_lines", "continue_command", "outage_lines", "refusal_details",
           "stopped_lines", "vcfix_command"]

MARKS = {True: "ok  ", False: "FAIL"}


def check_lines(checks: Sequence[Check]) -> List[str]:
    """The preflight as shown before anything changes (and in a dry run)."""
    lines = ["", "Before the first change"]
    for check in checks:
        lines.append(f"  {MARKS[check.ok]} {check.name}: {check.detail}")
        if not check.ok and check.next_command:
            lines.append(f"         what to do: {check.next_command}")
    return lines


def refusal_details(checks: Sequence[Check]) -> List[str]:
    return [f"{c.name}: {c.detail}" + (f" -> {c.next_command}" if c.next_command else "")
            for c in checks if not c.ok]


def outage_lines(steps: Sequence[Tuple[str, int, str]]) -> List[str]:
    """``steps``: (step name, minutes, which services restart when), in plan order."""
    total = sum(minutes for _, minutes, _ in steps)
    lines = ["", f"Expected outage: about {total} minutes in total "
             "(vCenter services are down or restarting meanwhile)"]
    for number, (name, minutes, restarts) in enumerate(steps, 1):
        lines.append(f"  {number}. {name}: about {minutes} minutes; restarts {restarts}")
    return lines


def continue_command(root: Path, remaining: Sequence[str]) -> str:
    """The command that runs the steps not done yet (each name once, in plan order)."""
    names = list(dict.fromkeys(remaining))
    return f"{vcfix_command(root)} fix --steps {','.join(names)}"


def stopped_lines(root: Path, done: Sequence[str], remaining: Sequence[str],
                  why: str) -> List[str]:
    """What was and was not done when a run stops early, and how to continue."""
    lines = [f"\nStopped: {why}."]
    lines.append("  done: " + (", ".join(done) if done else "nothing was changed"))
    if remaining:
        lines.append("  not done: " + ", ".join(remaining))
        lines.append(f"  to continue: {continue_command(root, remaining)} "
                     "(it diagnoses again first)")
    return lines
