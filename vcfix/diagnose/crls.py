"""The CRLs in VECS ``TRUSTED_ROOT_CRLS``: how many, and when to clean them.

Every CA certificate published to the appliance brings its CRLs, and they are never
removed: a store of hundreds or thousands of CRLs slows vmafdd down (listing it took close
to an hour on one 6.7 appliance) and every service that reads VECS at start-up. vcfix
counts the entries without ``--text`` (no OpenSSL dump) and within a time limit, and
above :data:`THRESHOLD` plans ``clean-crls``: back them up, delete them, restart the
services (KB 2146011 / KB 326288 procedure).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional

from vcfix.appliance.runner import Runner, tail
from vcfix.diagnose.checks import CheckFinding, CheckReport
from vcfix.diagnose.plan import STATUS_OK, STATUS_UNKNOWN, STATUS_WARNING, Step
from vcfix.errors import VcfixError

STORE = "TRUSTED_ROOT_CRLS"
THRESHOLD = 30
LIST_TIMEOUT = 300.0  # the fix's backup listing: a large store lists slowly even without --text
KB = "KB 2146011 (KB 326288)"
MANUAL = (
    "By hand: back up each CRL ('vecs-cli entry getcert --store TRUSTED_ROOT_CRLS --alias "
    "ALIAS > ALIAS.crl'), delete it ('vecs-cli entry delete --store TRUSTED_ROOT_CRLS "
    "--alias ALIAS -y'), then 'service-control --stop --all' and 'service-control --start "
    "--all'. vcfix does the same as the plan step 'clean-crls' ('vcfix fix --steps "
    "clean-crls'), keeping the CRLs in the run's backup for 'vcfix restore'."
)
_ALIAS = re.compile(r"^\s*alias\s*:\s*(.*?)\s*$", re.IGNORECASE)
_COUNT = re.compile(r"^\s*number\s+of\s+entries\s+in\s+store\s*:\s*(\S*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class CrlCount:
    count: int
    aliases: List[str]


def count_crls(text: str, command: str) -> CrlCount:
    """``vecs-cli entry list --store TRUSTED_ROOT_CRLS``: the ``Alias :`` lines, counted
    (TABs or spaces; PEM blocks and unknown lines skipped). The ``Number of entries`` header,
    when printed, must agree."""
    aliases: List[str] = []
    announced: Optional[int] = None
    for line in text.splitlines():
        found = _ALIAS.match(line)
        if found:
            aliases.append(found.group(1))
            continue
        header = _COUNT.match(line)
        if header:
            if not header.group(1).isdigit():
                raise VcfixError(f"'{command}' printed an entry count vcfix does not "
                                 f"understand ({header.group(1)!r})", details=tail(text))
            announced = int(header.group(1))
    if announced is None and not aliases:
        raise VcfixError(f"'{command}' printed neither an entry count nor an alias",
                         details=tail(text))
    if announced is not None and announced != len(aliases):
        raise VcfixError(f"'{command}' announces {announced} entries but lists "
                         f"{len(aliases)}", details=tail(text))
    return CrlCount(len(aliases), aliases)


def read_crls(runner: Runner, timeout: Optional[float] = None) -> CrlCount:
    """List the store (never ``--text``) within ``timeout`` seconds (default: the runner's,
    ``diagnose --timeout``)."""
    done = runner.run("vecs-cli", ["entry", "list", "--store", STORE], timeout=timeout)
    return count_crls(done.stdout, done.command)


def judge_crls(count: Optional[int], error: Optional[str] = None,
               threshold: int = THRESHOLD) -> CheckReport:
    """``count`` None: not read (``error`` says why, or the store does not exist)."""
    fields = {"count": count, "threshold": threshold}
    if count is None:
        return CheckReport("crls", STATUS_UNKNOWN, fields,
                           reason=error or f"{STORE} was not listed", failed=bool(error))
    if count <= threshold:
        return CheckReport("crls", STATUS_OK, fields)
    summary = (f"{STORE} holds {count} CRLs (more than {threshold}): vmafdd and every "
               "service that reads VECS slow down, service start-up can time out, and "
               "certificate operations (certificate-manager, vSphere Client certificate "
               "management) can fail.")
    finding = CheckFinding("crls-many", STATUS_WARNING, summary, MANUAL, KB)
    step = Step("clean-crls", None, f"{STORE} holds {count} CRLs (threshold {threshold}): "
                "back them up, delete them, restart every service", [])
    return CheckReport("crls", STATUS_WARNING, fields, [finding], [step])
