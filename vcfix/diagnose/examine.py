"""Collect and judge: the whole diagnosis of one appliance.

Used by ``vcfix diagnose`` and by ``vcfix fix`` before and after its steps.
Whatever could not be read makes the result ``unknown`` (unless something in
use is already known to be expired, which stays ``critical``); the messages
name the commands concerned.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import List, Optional, Sequence

from vcfix import clock
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.diagnose import extensions
from vcfix.diagnose.classify import DEFAULT_WARN_DAYS
from vcfix.diagnose.collect import Collected, collect
from vcfix.diagnose.model import Diagnosis, diagnose
from vcfix.diagnose.plan import STATUS_CRITICAL, STATUS_UNKNOWN
from vcfix.errors import VcfixError
from vcfix.redact import escape_controls

# How vecs-cli and vmafd-cli say that vmafdd does not answer (error 20, reference).
_NO_VMAFD = re.compile(r"ERROR_CANNOT_CONNECT_VMAFD|Cannot connect to the VMware AFD service|"
                       r"^Error 20:|failed\. Error 20:", re.MULTILINE)
VMAFD_CAUSE = ("the VMware AFD service (vmafdd) is not running or does not answer, so "
               "{tools} could not read the certificate stores and node facts | hint: start "
               "it with 'service-control --start vmafdd', then run vcfix diagnose again")


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
    messages = causes(got.errors)
    if got.node is None:
        return Diagnosis.unknown(None, "\n".join(messages) or "the node facts were not read",
                                 when)
    result = diagnose(
        got.node,
        got.stores,
        got.sts,
        now=when,
        warn_days=warn_days,
        skipped_stores=[*got.skipped_stores, *got.unread_stores],
        services=got.services,
        services_error=got.services_error,
        checks_input=got.checks,
    )
    if messages:
        result.error = "\n".join(messages)
        if result.status != STATUS_CRITICAL:
            result.status = STATUS_UNKNOWN
    vpxd_extension = result.record(extensions.CERT_ID)
    extensions.apply(result, got.extensions, vpxd_extension.facts.sha1 if vpxd_extension
                     else None)
    return result



def causes(errors: Sequence[VcfixError]) -> List[str]:
    """One line per cause (vmafdd not answering is one cause however many calls failed),
    each hint shown once."""
    lines: List[str] = []
    hints: List[str] = []
    vmafd_tools: List[str] = []
    for err in errors:
        text = "\n".join([err.message, *err.details])
        if _NO_VMAFD.search(text):
            tool = err.message.strip("'").split(" ", 1)[0]
            vmafd_tools += [] if tool in vmafd_tools else [tool]
            continue
        line = " | ".join(p.strip() for p in [err.message, *err.details] if p.strip())
        if err.hint and err.hint not in hints:
            hints.append(err.hint)
            line += f" | hint: {err.hint}"
        if line not in lines:
            lines.append(line)
    if vmafd_tools:
        lines.insert(0, VMAFD_CAUSE.format(tools=" and ".join(sorted(vmafd_tools))))
    return [escape_controls(line) for line in lines]
