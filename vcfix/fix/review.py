"""Interactive runs: show the certificate values and let the operator change them.

The values come from the answer layers (answer file, the appliance's certool.cfg,
VMware's defaults); the Hostname list always holds the PNID (first). Every typed
value is checked with the answer file's rules (:mod:`vcfix.answers.rules`) and asked
again with the reason; after edits the values are shown for one more confirmation.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence

from vcfix.answers import rules
from vcfix.answers.answer_file import Answers
from vcfix.errors import EXIT_USAGE, VcfixError
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
HOSTNAMES_QUESTION = ("Hostname: every name clients use for this vCenter, comma separated "
                      "(the PNID {pnid} must be one of them)")


def summary(answers: Answers) -> List[str]:
    rows = [f"  {label.split(' (')[0]:<13} {answers.peek(key) or '(empty)'}"
            for key, label in FIELDS]
    rows.append(f"  {'Hostname':<13} {','.join(hostname_list(answers))}")
    rows.append(f"  {'VMCA Name':<13} {answers.derived('vmca_name')}")
    return rows


def hostname_list(answers: Answers) -> List[str]:
    """The Hostname answer as it stands (an explicit list is shown even if it is refused)."""
    try:
        return answers.hostnames()
    except VcfixError:
        explicit = answers.values.get("certificate.hostnames")
        return [str(n) for n in explicit] if isinstance(explicit, list) else []


def ask_valid(prompter: Prompter, key: str, label: str, default: Optional[str],
              check: Callable[[str], Optional[str]]) -> Optional[str]:
    """Ask until the value passes ``check``; each refusal is said with its reason."""
    while True:
        value = prompter.ask(key, label, False, default)
        if value is None:
            return None
        reason = check(value)
        if reason is None:
            return value.strip()
        prompter.say(f"  Not accepted: {reason}. Please type it again.")
        default = value


def field_check(key: str) -> Callable[[str], Optional[str]]:
    """The answer file's rule for ``key`` (an empty value keeps the tool's default, as in
    the answer file; the country is never empty)."""
    def check(value: str) -> Optional[str]:
        return rules.check_key(key, value)
    return check


def refused_values(answers: Answers) -> List[str]:
    """Every certificate value (from the answer file, certool.cfg or the defaults) the
    rules refuse, as ``Label: reason``; empty when all are good."""
    problems = []
    for key, label in FIELDS:
        value = answers.peek(key)
        reason = None if value is None else rules.check_key(key, value)
        if reason:
            problems.append(f"{label.split(' (')[0]}: {reason}")
    names = rules.check_hostnames(hostname_list(answers), answers.pnid)
    if names:
        problems.append(f"Hostname: {names}")
    vmca = rules.check("cn", answers.derived("vmca_name"))
    if vmca:
        problems.append(f"VMCA Name: {vmca}")
    return problems


def require_valid_values(answers: Answers, steps: Sequence[str]) -> None:
    """Before anything changes: refuse (exit 2) certificate values the rules refuse, from
    wherever they came (an unattended run takes certool.cfg's values as they are)."""
    refused = refused_values(answers) if set(steps) & set(CERT_STEPS) else []
    if refused:
        raise VcfixError("certificate-manager would be given values the rules refuse; nothing "
                         "was changed", exit_code=EXIT_USAGE, details=refused,
                         hint="give valid certificate.* values in the answer file "
                         "('vcfix answers template' lists them)")


def review_certificate_answers(prompter: Prompter, answers: Answers,
                               steps: Sequence[str]) -> Answers:
    """Interactive: confirm or edit the certool values; unattended: unchanged."""
    if not prompter.interactive or not set(steps) & set(CERT_STEPS):
        return answers
    refused = [p for p in refused_values(answers) if not p.startswith("VMCA Name")]
    prompter.say("\ncertificate-manager will be answered with:")
    prompter.say("\n".join(summary(answers)))
    for problem in refused:  # e.g. a certool.cfg value longer than X.509 allows
        prompter.say(f"  (not accepted: {problem})")
    while refused or not prompter.question("certificate-values", "Use these values?", True):
        answers = edit(prompter, answers)
        refused = []
        prompter.say("\ncertificate-manager will be answered with:")
        prompter.say("\n".join(summary(answers)))
    return answers


def edit(prompter: Prompter, answers: Answers) -> Answers:
    """Ask every value again (the current one as the default), each checked as it is typed."""
    changed: Dict[str, object] = {}
    for key, label in FIELDS:
        value = ask_valid(prompter, key, label, answers.peek(key) or "", field_check(key))
        changed[key] = value or ""
    pnid = answers.pnid

    def check_names(text: str) -> Optional[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        return rules.check_hostnames(names, pnid) if names else "it must not be empty"

    typed = ask_valid(prompter, "certificate.hostnames", HOSTNAMES_QUESTION.format(pnid=pnid),
                      ",".join(hostname_list(answers)), check_names) or ""
    changed["certificate.hostnames"] = [n.strip() for n in typed.split(",") if n.strip()]
    values = {k: v for k, v in answers.values.items() if k != "certificate.aliases"}
    return Answers({**values, **changed}, source=answers.source, lines=answers.lines,
                   pnid=answers.pnid, domain=answers.domain, defaults=answers.defaults,
                   ask=answers.ask)
