"""Interactive runs: show the certificate values and let the operator change them.

The values come from the answer layers (answer file, the appliance's certool.cfg,
VMware's defaults); the Hostname list is always the PNID first, then the aliases.
"""

from __future__ import annotations

from typing import Dict, List, Sequence

from vcfix.answers.answer_file import Answers
from vcfix.ui.prompts import Prompter

FIELDS = (
    ("certificate.country", "Country (two letters)"),
    ("certificate.name", "Name"),
    ("certificate.organization", "Organization"),
    ("certificate.org_unit", "OrgUnit"),
    ("certificate.state", "State"),
    ("certificate.locality", "Locality"),
    ("certificate.ip_address", "IPAddress (empty: none)"),
    ("certificate.email", "Email"),
)
CERT_STEPS = ("machine-ssl", "solution-users", "reset-all")
ALIASES_QUESTION = ("Other names clients use for this vCenter, comma separated "
                    "(the PNID always comes first)")


def summary(answers: Answers) -> List[str]:
    rows = [f"  {label.split(' (')[0]:<13} {answers.peek(key) or '(empty)'}"
            for key, label in FIELDS]
    rows.append(f"  {'Hostname':<13} {answers.derived('hostnames')}")
    rows.append(f"  {'VMCA Name':<13} {answers.derived('vmca_name')}")
    return rows


def review_certificate_answers(prompter: Prompter, answers: Answers,
                               steps: Sequence[str]) -> Answers:
    """Interactive: confirm or edit the certool values; unattended: unchanged."""
    if not prompter.interactive or not set(steps) & set(CERT_STEPS):
        return answers
    prompter.say("\ncertificate-manager will be answered with:")
    prompter.say("\n".join(summary(answers)))
    if prompter.question("certificate-values", "Use these values?", True):
        return answers
    changed: Dict[str, object] = {}
    for key, label in FIELDS:
        value = prompter.ask(key, label, False, answers.peek(key) or "")
        changed[key] = (value or "").strip()
    current = answers.values.get("certificate.aliases")
    shown = ", ".join(current) if isinstance(current, list) else ""
    typed = prompter.ask("certificate.aliases", ALIASES_QUESTION, False, shown) or ""
    changed["certificate.aliases"] = [n.strip() for n in typed.split(",") if n.strip()]
    updated = Answers({**answers.values, **changed}, source=answers.source, lines=answers.lines,
                      pnid=answers.pnid, domain=answers.domain, defaults=answers.defaults,
                      ask=answers.ask)
    prompter.say("\n".join(summary(updated)))
    return updated
