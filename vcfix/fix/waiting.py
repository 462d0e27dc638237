"""What to show while a vendor tool is quiet: elapsed time, silence, what is normal, deadline.

Pure: :func:`describe` turns a :class:`Waiting` (built by the dialog driver or the
service-control follower every 10 s of silence) into one line. What is normal for a
phase comes from :data:`NORMAL`: the last progress text the tool printed (a
certificate-manager ``Status`` message, a ``service-control`` operation) matched
against known slow phases, with the typical longest silence on a real appliance.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Pattern, Tuple

# (pattern on the phase text, longest normal silence in seconds, what happens then)
NORMAL: Tuple[Tuple[Pattern[str], float, str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), s, w) for p, s, w in (
        (r"starting\s+services", 900, "certificate-manager starts every service"),
        (r"stopping\s+services", 420, "certificate-manager stops every service"),
        (r"updating\s+service\s+registrations|publishing", 300,
         "the Lookup Service registrations are updated"),
        (r"replacing|regenerating|generating", 180, "certificates are generated and replaced"),
        (r"rollback", 600, "certificate-manager rolls back"),
        (r"profile", 900, "service-control works on every service"),
        (r"start\s+vmware-vpxd\b|start\s+vsphere-(?:ui|client)", 300,
         "this service takes minutes to start"),
        (r"^start\s", 120, "one service starts"),
        (r"^stop\s", 60, "one service stops"),
        (r"fixsts|sts|ldap", 120, "fixsts.sh works on the directory"),
    ))
DEFAULT_NORMAL = (120.0, "the tool works without printing")


@dataclass(frozen=True)
class Waiting:
    tool: str
    elapsed: float  # since the tool started
    quiet: float  # since it last printed
    phase: str  # the last progress text ("" if none yet)
    limit: float  # the step gives up after this many seconds from its start
    silence_limit: float  # ... or after this long without output
    now: dt.datetime


def normal_for(phase: str) -> Tuple[float, str]:
    for pattern, seconds, what in NORMAL:
        if phase and pattern.search(phase):
            return seconds, what
    return DEFAULT_NORMAL


def span(seconds: float) -> str:
    """``45 s``, ``3 min 05 s``, ``1 h 02 min``."""
    total = int(max(0.0, seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def describe(w: Waiting) -> str:
    """One line: ``certificate-manager: 4 min 10 s elapsed, quiet for 2 min 00 s ...``."""
    normal, what = normal_for(w.phase)
    phase = f" in '{w.phase}'" if w.phase else ""
    remaining = min(w.limit - w.elapsed, w.silence_limit - w.quiet)
    deadline = (w.now + dt.timedelta(seconds=max(0.0, remaining))).astimezone(dt.timezone.utc)
    verdict = "normal" if w.quiet <= normal else "longer than usual, still within the limit"
    return (f"{w.tool}: {span(w.elapsed)} elapsed, quiet for {span(w.quiet)}{phase}; "
            f"up to {span(normal)} of silence is normal while {what} ({verdict}); "
            f"vcfix gives up at {deadline:%H:%M:%S} UTC (in {span(remaining)})")
