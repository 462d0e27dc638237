"""The one source of "now".

Production code asks :func:`now`; tests pass an explicit ``now`` to the pure
functions, or set ``VCFIX_NOW`` (ISO-8601) so that the lab's fake tools and vcfix
agree on a fixed instant. ``VCFIX_NOW`` is for rehearsals and tests only.
"""

from __future__ import annotations

import datetime as dt
import os

ENV = "VCFIX_NOW"


def now() -> dt.datetime:
    """The current time as an aware UTC datetime (``VCFIX_NOW`` overrides)."""
    fixed = os.environ.get(ENV)
    if fixed:
        return parse_instant(fixed)
    return dt.datetime.now(dt.timezone.utc)


def parse_instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def iso(value: dt.datetime) -> str:
    """ISO-8601 UTC with a ``Z`` suffix, second precision."""
    return value.astimezone(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
