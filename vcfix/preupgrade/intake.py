"""Taking in saved snapshots for ``--merge``: files someone else wrote, checked first.

A snapshot must be a regular file (a FIFO would block, a device never ends) of at most
:data:`MAX_SNAPSHOT` bytes, UTF-8 JSON nested at most :data:`MAX_DEPTH` deep (checked
before parsing: the JSON parser recurses), with no negative counter. Then the set must
be fresh and taken together: none from the future, none older than ``max_age``, and
all within ``max_spread`` of each other, or the verdict could be SAFE on stale facts.
Problems with a file are usage errors (exit 2); stale or scattered snapshots give
UNKNOWN (exit 3). Messages name the file.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import List, Sequence

from vcfix.appliance.safefs import read_small_file
from vcfix.clock import iso
from vcfix.errors import EXIT_UNKNOWN, EXIT_USAGE, VcfixError
from vcfix.preupgrade.snapshot import NodeSnapshot

MAX_SNAPSHOT = 16 * 1024 * 1024
MAX_DEPTH = 32
CLOCK_SKEW = dt.timedelta(minutes=5)  # node clocks may differ this much (NTP-less labs)
DEFAULT_MAX_AGE = dt.timedelta(hours=24)
DEFAULT_MAX_SPREAD = dt.timedelta(hours=2)
# Update sequence numbers never go below 0; "changes behind" is the tool's own signed
# difference ("Partner is -5 changes behind." happens when the counters disagree) and is
# judged by the rules, not refused here.
COUNTERS = ("my_last_change", "partner_seen_change")


def _usage(message: str) -> VcfixError:
    return VcfixError(message, exit_code=EXIT_USAGE)


def read_snapshot(path: Path) -> NodeSnapshot:
    """One snapshot file, checked (see the module docstring); VcfixError exit 2."""
    text = read_small_file(str(path), MAX_SNAPSHOT, "snapshot", _usage)
    if nesting(text) > MAX_DEPTH:
        raise _usage(f"snapshot {path} is nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise _usage(f"{path} is not a vcfix pre-upgrade snapshot (not JSON)") from None
    try:
        snapshot = NodeSnapshot.from_json(data, str(path))
    except VcfixError as exc:
        exc.exit_code = EXIT_USAGE
        raise
    for partner in snapshot.partners or []:
        for name in COUNTERS:
            value = getattr(partner, name)
            if value is not None and value < 0:
                raise _usage(f"snapshot {path}: partner {partner.host}: '{name}' is negative "
                             f"({value}); the file was not written by vcfix as saved")
    return snapshot


def nesting(text: str) -> int:
    """The deepest nesting of JSON arrays/objects in ``text`` (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def check_times(snapshots: Sequence[NodeSnapshot], sources: Sequence[Path], now: dt.datetime,
                max_age: dt.timedelta, max_spread: dt.timedelta) -> None:
    """Refuse (exit 3) a set that is not fresh or not taken together."""
    problems: List[str] = []
    for snap, source in zip(snapshots, sources):
        if snap.taken_at > now + CLOCK_SKEW:
            problems.append(f"{source} ({snap.host}) was taken at {iso(snap.taken_at)}, in "
                            f"the future (now {iso(now)}): check this node's clock")
        elif now - snap.taken_at > max_age:
            problems.append(f"{source} ({snap.host}) was taken at {iso(snap.taken_at)}, more "
                            f"than {_hours(max_age)} ago (--max-age): take it again")
    if not problems and len(snapshots) > 1:
        first = min(snapshots, key=lambda s: s.taken_at)
        last = max(snapshots, key=lambda s: s.taken_at)
        if last.taken_at - first.taken_at > max_spread:
            problems.append(f"the snapshots were taken more than {_hours(max_spread)} apart "
                            f"(--max-spread): {first.host} at {iso(first.taken_at)}, "
                            f"{last.host} at {iso(last.taken_at)}; take them again together")
    if problems:
        raise VcfixError("cannot judge the domain: " + "; ".join(problems),
                         exit_code=EXIT_UNKNOWN)


def _hours(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours >= 1 else f"{delta.total_seconds() / 60:g} min"


__all__ = ["check_times", "nesting", "read_snapshot"]
