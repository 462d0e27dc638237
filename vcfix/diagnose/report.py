"""The human-readable diagnosis: certificates by group with days left, then the plan."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from vcfix import clock
from vcfix.diagnose.classify import CertRecord
from vcfix.diagnose.model import Diagnosis
from vcfix.diagnose.plan import Step
from vcfix.ui.style import Style, safe_text

GROUP_TITLES = (
    ("machine-ssl", "Machine SSL (certificate-manager option 3)"),
    ("trusted-roots", "Trusted roots (option 8 when one that signs in-use certificates expires)"),
    ("solution-users", "Solution users (option 6)"),
    ("sts", "STS signing certificate, in VMDIR (fixsts, KB 76719)"),
    ("other", "Other stores (reported, they do not drive a fix)"),
)
STATUS_LINES = {
    "ok": "OK: no certificate in use expires within {days} days",
    "warning": "WARNING: something expires soon, unused certificates expired, or services "
               "are not running",
    "critical": "CRITICAL: a certificate in use has expired, or vCenter extensions are "
                "registered with a stale thumbprint",
    "unknown": "UNKNOWN: something could not be checked",
}
STEP_TOOLS = {
    "sts": "fixsts.sh (KB 76719)",
    "machine-ssl": "certificate-manager option 3",
    "solution-users": "certificate-manager option 6",
    "reset-all": "certificate-manager option 8",
    "remove-unused-root": "manual",
    "data-encipherment": "certool and vecs-cli, then a vpxd restart",
    "clean-crls": "vecs-cli, then a restart of every service",
    "extension-thumbprints": "psql: VCDB vpx_ext, KB 2112577",
}


def vcfix_command(root: Optional[Path], host: Optional[str] = None) -> str:
    """``vcfix``, with ``--host`` and ``--root`` when the appliance is not this machine's
    ``/``: the command hints name the appliance that was checked."""
    words = ["vcfix"]
    if host:
        words += ["--host", shlex.quote(host)]
    if root is not None and str(root) not in ("/", ""):
        words += ["--root", shlex.quote(str(root))]
    return " ".join(words)


def render(diagnosis: Diagnosis, style: Style, command: str = "vcfix") -> str:
    out: List[str] = []
    node = diagnosis.node
    if node:
        out.append(style.paint(f"vCenter {node.pnid}", "bold")
                   + f"  (SSO domain {node.domain}, version {node.version}, {node.node_type})")
    out.append(f"checked {clock.iso(diagnosis.checked_at)}, warning window "
               f"{diagnosis.warn_days} days")
    by_group: Dict[str, List[CertRecord]] = {}
    for record in diagnosis.certificates + diagnosis.sts:
        by_group.setdefault(record.group, []).append(record)
    for group, title in GROUP_TITLES:
        records = by_group.get(group, [])
        if records:
            out += ["", style.paint(title, "bold")]
            out += [_cert_line(r, style) for r in records]
    if diagnosis.checks:
        out += ["", style.paint("Other checks", "bold")]
        out += [_check_line(key, check, style) for key, check in diagnosis.checks.items()]
    if diagnosis.skipped_stores:
        out += ["", "Not read: " + ", ".join(diagnosis.skipped_stores)]
    if diagnosis.error:
        out += ["", style.paint("Could not check:", "yellow")]
        out += [f"  - {line}" for line in diagnosis.error.splitlines()]
    shown = [f for f in diagnosis.findings if f.severity != "info" or f.code != "store-skipped"]
    if shown:
        out += ["", style.paint("Findings", "bold")]
        out += [f"  {style.status('i' if f.severity == 'info' else '!', f.severity)} "
                f"{f.message}" for f in shown]
    if diagnosis.node is None:
        out += ["", style.paint("Plan", "bold"), "  none: the appliance could not be read"]
    else:
        out += ["", *render_plan(diagnosis.plan, diagnosis.caveats, style, command=command)]
        if diagnosis.status == "unknown":
            out.append("  (the plan covers only what could be checked)")
    line = STATUS_LINES[diagnosis.status].format(days=diagnosis.warn_days)
    out += ["", style.status(line, diagnosis.status) + f"  (exit {diagnosis.exit_code})"]
    return "\n".join(out)


def render_plan(plan: Sequence[Step], caveats: Sequence[str], style: Style,
                next_hint: bool = True, command: str = "vcfix") -> List[str]:
    if not plan:
        return [style.paint("Plan", "bold"), "  nothing to do"]
    out = [style.paint("Plan", "bold")]
    for number, step in enumerate(plan, 1):
        out.append(f"  {number}. {style.paint(step.step, 'bold')} "
                   f"({STEP_TOOLS.get(step.step, 'vcfix')}): "
                   f"{step.reason}")
    if caveats:
        out += ["", style.paint("Before you answer certificate-manager", "bold")]
        out += [f"  - {c}" for c in caveats]
    if next_hint and any(STEP_TOOLS.get(s.step) != "manual" for s in plan):
        out += ["", f"Next: '{command} fix --dry-run' shows every prompt and answer; "
                f"'{command} fix' runs the plan."]
    return out


def _cert_line(record: CertRecord, style: Style) -> str:
    label = {"expired": "EXPIRED", "expiring": "EXPIRING", "ok": "ok"}.get(record.status,
                                                                           record.status)
    days = f"{record.days_left:>6} d"
    use = "" if record.in_use else "  (not in use)"
    signs = f"  signs {len(record.signs)} in use" if record.signs else ""
    return (f"  {style.status(f'{label:<8}', record.status)} {days}  {record.id}  "
            f"{record.facts.not_after:%Y-%m-%d}  {record.facts.subject}{signs}{use}")


CHECK_TITLES = {"crls": "CRLs in TRUSTED_ROOT_CRLS", "data_encipherment": "data-encipherment",
                "lookup_service_trust": "Lookup Service trust"}


def _check_line(key: str, check: Dict[str, Any], style: Style) -> str:
    """One line per check: its status and its main figure (or why it is unknown)."""
    status = str(check.get("status", "unknown"))
    if status == "unknown":
        said = f"not checked: {str(check.get('reason') or 'unknown').split(' | ')[0]}"
    elif key == "crls":
        said = f"{check.get('count')} (threshold {check.get('threshold')})"
    elif key == "data_encipherment":
        said = f"{str(check.get('not_after', ''))[:10]}, {check.get('days_left')} days left"
    elif key == "lookup_service_trust":
        said = (f"{len(check.get('mismatched') or [])} of {check.get('registrations')} "
                f"registrations of {check.get('node')} trust another certificate")
    else:
        said = ""
    label = status.upper() if status in ("critical", "warning") else status
    title = CHECK_TITLES.get(key, key.replace("_", " "))
    return f"  {style.status(f'{label:<8}', status)} {title}: {safe_text(said)}"
