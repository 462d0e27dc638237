"""The extension-thumbprint check (pure): VCDB's ``vpx_ext`` against vpxd-extension.

ESX Agent Manager (``com.vmware.vim.eam``), Auto Deploy (``com.vmware.rbd``) and Image
Builder (``com.vmware.imagebuilder``) log in to vpxd as extensions, with the
vpxd-extension solution-user certificate; vpxd accepts them only when the SHA-1
thumbprint registered for them in VCDB (table ``vpx_ext``) is that certificate's.
certificate-manager options 6 and 8 replace the certificate but can leave the rows
behind (VMware KB 2112577): EAM and vSphere Lifecycle Manager then fail. The fix is
one ``UPDATE vpx_ext SET thumbprint = ...`` per extension, in one transaction, and a
restart of vpxd (``vcfix fix`` step ``extension-thumbprints``).

The I/O half is :mod:`vcfix.diagnose.read_extensions`; the JSON is documented in
docs/diagnose-json.md (``checks.extension_thumbprints``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from vcfix.diagnose.model import Diagnosis
from vcfix.diagnose.plan import STATUS_CRITICAL, STATUS_OK, STATUS_UNKNOWN, Finding, Step

CHECK = "extension_thumbprints"  # the key under "checks" in the diagnosis JSON
STEP = "extension-thumbprints"  # the plan step
KB = "2112577"
EXTENSIONS = {
    "com.vmware.vim.eam": "ESX Agent Manager",
    "com.vmware.rbd": "Auto Deploy",
    "com.vmware.imagebuilder": "Image Builder",
}
STORE = ALIAS = "vpxd-extension"
CERT_ID = f"{STORE}/{ALIAS}"
COLUMNS = ("ext_id", "thumbprint")
# psql as root on the appliance (no password), the SQL on its standard input
PSQL_ARGS = ("-d", "VCDB", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-t", "-A", "-q")
THUMBPRINT = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){19}$")
REPLACING = {"solution-users": 6, "reset-all": 8}  # steps that replace vpxd-extension
SELECT_SQL = ("SELECT ext_id, thumbprint FROM vpx_ext WHERE ext_id IN ('com.vmware.vim.eam', "
              "'com.vmware.rbd', 'com.vmware.imagebuilder') ORDER BY ext_id;\n")
PROCEDURE = ("vcfix fix --steps extension-thumbprints (by hand, KB 2112577: UPDATE vpx_ext SET "
             "thumbprint = '<vpxd-extension SHA-1>' WHERE ext_id = '<extension>'; then restart "
             "vmware-vpxd)")
# How much worse each status is (the diagnosis takes the worst).
_RANK = {STATUS_OK: 0, "info": 0, "warning": 1, STATUS_UNKNOWN: 2, STATUS_CRITICAL: 3}


@dataclass(frozen=True)
class Registration:
    ext_id: str
    thumbprint: str  # as VCDB holds it


@dataclass
class ExtensionsRead:
    """What :mod:`vcfix.diagnose.read_extensions` read; ``registrations`` None: not read."""

    registrations: Optional[List[Registration]] = None
    error: str = ""  # why not read (names the command)
    missing_tool: bool = False  # no psql at its path (not an error of the appliance)
    not_applicable: str = ""  # why there is nothing to read (a PSC has no VCDB)


@dataclass
class CheckResult:
    status: str
    expected: Optional[str]
    registrations: List[Registration] = field(default_factory=list)
    reason: str = ""
    findings: List[Dict[str, str]] = field(default_factory=list)

    def stale(self) -> List[Registration]:
        return [r for r in self.registrations if not matches(r.thumbprint, self.expected)]

    def to_json(self) -> Dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "expected": self.expected,
                "extensions": [{"ext_id": r.ext_id, "thumbprint": r.thumbprint,
                                "matches": matches(r.thumbprint, self.expected)}
                               for r in self.registrations],
                "findings": list(self.findings)}


def normalize(thumbprint: str) -> str:
    """``aa:bb:..``, ``AABB..`` or ``AA BB ..`` -> ``AA:BB:..`` (other text: upper-cased)."""
    text = re.sub(r"[\s:]", "", thumbprint).upper()
    if re.fullmatch(r"[0-9A-F]{40}", text):
        return ":".join(text[i:i + 2] for i in range(0, 40, 2))
    return thumbprint.strip().upper()


def matches(thumbprint: str, expected: Optional[str]) -> bool:
    return expected is not None and normalize(thumbprint) == normalize(expected)


def valid_thumbprint(thumbprint: str) -> str:
    """``thumbprint`` if it is an uppercase colon-separated SHA-1; ValueError otherwise."""
    if not THUMBPRINT.match(thumbprint):
        raise ValueError(f"not a SHA-1 thumbprint (AA:BB:... 20 pairs): {thumbprint[:80]!r}")
    return thumbprint


def update_sql(updates: Sequence[Tuple[str, str]]) -> str:
    """One transaction setting each (ext_id, thumbprint); only the three known extensions
    and valid thumbprints are ever put into SQL (ValueError otherwise)."""
    lines = ["BEGIN;"]
    for ext_id, thumbprint in updates:
        if ext_id not in EXTENSIONS:
            raise ValueError(f"not an extension vcfix updates: {ext_id[:80]!r}")
        # both values checked above: a known extension id, an AA:BB:... thumbprint
        lines.append(f"UPDATE vpx_ext SET thumbprint = '{valid_thumbprint(thumbprint)}' "  # noqa: S608
                     f"WHERE ext_id = '{ext_id}';")
    return "\n".join([*lines, "COMMIT;", ""])


def judge(read: Optional[ExtensionsRead], expected: Optional[str]) -> CheckResult:
    """The check's result for what was read and the vpxd-extension thumbprint."""
    if read is None or read.not_applicable:
        why = read.not_applicable if read else "not checked"
        return CheckResult(STATUS_OK if read else STATUS_UNKNOWN, expected, reason=why)
    if read.registrations is None:
        return CheckResult(STATUS_UNKNOWN, expected, reason=read.error, findings=[_finding(
            "info" if read.missing_tool else STATUS_UNKNOWN,
            f"the extension thumbprints in VCDB were not checked: {read.error}")])
    found = [r for r in read.registrations if r.ext_id in EXTENSIONS]
    if expected is None:
        return CheckResult(STATUS_UNKNOWN, expected, found, "the vpxd-extension certificate "
                           f"(VECS {CERT_ID}) was not read: nothing to compare with")
    result = CheckResult(STATUS_OK, normalize(expected), found)
    if not found:
        result.reason = "none of " + ", ".join(EXTENSIONS) + " is registered in VCDB"
    for reg in result.stale():
        result.status = STATUS_CRITICAL
        result.findings.append(_finding(STATUS_CRITICAL, (
            f"{reg.ext_id} ({EXTENSIONS[reg.ext_id]}) is registered in VCDB with thumbprint "
            f"{reg.thumbprint}, not that of the vpxd-extension certificate "
            f"({result.expected}): it cannot log in to vpxd, so ESX Agent Manager and vSphere "
            "Lifecycle Manager fail")))
    return result


def _finding(severity: str, summary: str) -> Dict[str, str]:
    return {"severity": severity, "summary": summary, "procedure": PROCEDURE, "kb": KB}


def apply(diagnosis: Diagnosis, read: Optional[ExtensionsRead], expected: Optional[str]) -> None:
    """Add the check to ``diagnosis``: ``checks``, findings,
    the ``extension-thumbprints`` step (last of the steps vcfix runs) and the status."""
    result = judge(read, expected)
    diagnosis.checks[CHECK] = result.to_json()
    stale = result.stale() if result.status == STATUS_CRITICAL else []
    if stale:
        names = ", ".join(f"{r.ext_id} ({EXTENSIONS[r.ext_id]})" for r in stale)
        olds = ", ".join(sorted({r.thumbprint for r in stale}))
        diagnosis.findings.append(Finding("extension-thumbprint-stale", STATUS_CRITICAL, (
            f"{names}: registered in VCDB with thumbprint {olds}, not that of the "
            f"vpxd-extension certificate ({result.expected}); they cannot log in to vpxd, so "
            f"ESX Agent Manager and vSphere Lifecycle Manager fail (KB {KB})"), [CERT_ID]))
        insert(diagnosis.plan, Step(STEP, None, (
            f"{names} still registered in VCDB with the thumbprint of an older vpxd-extension "
            f"certificate, not {result.expected}: update vpx_ext (KB {KB}) and restart vpxd"),
            [CERT_ID]))
    for item in result.findings:
        if item["severity"] != STATUS_CRITICAL:
            diagnosis.findings.append(Finding("extension-thumbprints-not-checked",
                                              item["severity"], item["summary"]))
    for severity in {item["severity"] for item in result.findings}:
        if _RANK[severity] > _RANK[diagnosis.status]:
            diagnosis.status = severity


def insert(plan: List[Step], step: Step) -> None:
    """Put ``step`` after every step vcfix runs, before the manual ones."""
    manual = [i for i, s in enumerate(plan) if s.step == "remove-unused-root"]
    plan.insert(manual[0] if manual else len(plan), step)


def follow_up(steps: Sequence[Step], requested: Optional[Sequence[str]],
              checks: Mapping[str, Any]) -> List[Step]:
    """``steps`` plus an ``extension-thumbprints`` step after option 6 or 8 (unless there
    is one already, ``requested`` names steps without it, or the diagnosis's ``checks``
    found no registration to keep up: none read, as without psql or on a PSC): it checks
    the registrations when it runs and updates only those the replacement left behind."""
    out = list(steps)
    names = [s.step for s in out]
    replacing = [n for n in names if n in REPLACING]
    registered = bool((checks.get(CHECK) or {}).get("extensions"))
    if (not replacing or not registered or STEP in names
            or (requested is not None and STEP not in requested)):
        return out
    option = REPLACING[replacing[-1]]
    insert(out, Step(STEP, None, (
        f"after {replacing[-1]}: certificate-manager option {option} replaces the "
        "vpxd-extension certificate, and may leave ESX Agent Manager, Auto Deploy and Image "
        "Builder registered in VCDB with the old thumbprint (KB " + KB + "); checked when "
        "this step runs, updated only if left behind"), [CERT_ID]))
    return out
