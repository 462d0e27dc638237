"""Collect and judge: the whole diagnosis of one appliance.

Used by ``vcfix diagnose`` and by ``vcfix fix`` before and after its steps.
Whatever could not be read makes the result ``unknown`` (unless something in
use is already known to be expired, which stays ``critical``); the messages
name the commands concerned.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from vcfix import clock
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.diagnose.classify import DEFAULT_WARN_DAYS
from vcfix.diagnose.collect import Collected, collect
from vcfix.diagnose.model import Diagnosis, diagnose
from vcfix.diagnose.plan import STATUS_CRITICAL, STATUS_UNKNOWN


def examine(
    appliance: Appliance,
    *,
    warn_days: int = DEFAULT_WARN_DAYS,
    now: Optional[dt.datetime] = None,
    runner: Optional[Runner] = None,
) -> Diagnosis:
    return judge_collected(collect(appliance, runner), warn_days=warn_days, now=now)


def judge_collected(got: Collected, *, warn_days: int = DEFAULT_WARN_DAYS,
                    now: Optional[dt.datetime] = None) -> Diagnosis:
    """The diagnosis of what :func:`collect` read (``fix`` keeps both)."""
    when = now or clock.now()
    messages = [err.one_line() for err in got.errors]
    if got.node is None:
        return Diagnosis.unknown(None, "; ".join(messages) or "the node facts were not read", when)
    result = diagnose(
        got.node,
        got.stores,
        got.sts,
        now=when,
        warn_days=warn_days,
        skipped_stores=[*got.skipped_stores, *got.unread_stores],
        services=got.services,
        services_error=got.services_error,
    )
    if messages:
        result.error = "; ".join(messages)
        if result.status != STATUS_CRITICAL:
            result.status = STATUS_UNKNOWN
    return result

