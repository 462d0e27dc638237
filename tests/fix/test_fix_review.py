"""The wizard's certificate values: checked as typed, asked again, confirmed once more."""

from __future__ import annotations

from typing import List

from scripted import Scripted

from vcfix.answers.answer_file import Answers
from vcfix.fix.review import review_certificate_answers
from vcfix.ui.prompts import Prompter

PNID = "vcsa01.lab.example"
DEFAULTS = {"certificate.country": "US", "certificate.name": "CA",
            "certificate.organization": "VMware", "certificate.org_unit": "Eng",
            "certificate.state": "California", "certificate.locality": "Palo Alto",
            "certificate.ip_address": "", "certificate.email": "pki@lab.example"}


def answers() -> Answers:
    return Answers({}, pnid=PNID, domain="vsphere.local", defaults=DEFAULTS)


def test_each_value_is_checked_as_typed_and_asked_again_with_the_reason() -> None:
    typed: List[object] = [
        False,  # Use these values? no: edit
        "USA", "de",  # country refused, then accepted
        None, "O" * 65, "Corp",  # name kept; organization too long, then accepted
        "Ops\x1b[31m", "Ops",  # org unit with a control character, then accepted
        None, None, "10.0.0.300", "", None,  # state, locality; bad IP then none; email
        "other.lab.example", f"{PNID},vcsa01",  # Hostname without the PNID, then with it
        True,  # the values are shown again and confirmed
    ]
    prompter = Scripted(typed)
    result = review_certificate_answers(prompter, answers(), ["machine-ssl"])
    assert not prompter.typed
    said = "\n".join(prompter.said)
    assert "two-letter country code" in said
    assert "at most 64" in said
    assert "control character" in said
    assert "not an IP address" in said
    assert f"lacks the PNID {PNID}" in said
    assert prompter.asked.count("certificate-values") == 2  # one more confirmation
    assert result.get("certificate.country") == "de"
    assert result.get("certificate.organization") == "Corp"
    assert result.derived("hostnames") == f"{PNID},vcsa01"
    assert said.count("certificate-manager will be answered with:") == 2


def test_an_answer_file_hostname_list_without_the_pnid_is_edited_first() -> None:
    given = Answers({"certificate.hostnames": ["other.lab.example"]}, pnid=PNID,
                    defaults=DEFAULTS)
    typed: List[object] = [None] * 8 + [PNID, True]
    prompter = Scripted(typed)
    result = review_certificate_answers(prompter, given, ["reset-all"])
    assert "not accepted: Hostname: the list lacks the PNID" in prompter.output
    assert result.derived("hostnames") == PNID
    assert prompter.asked.count("certificate-values") == 1


def test_unattended_runs_are_not_asked() -> None:
    prompter = Prompter()
    assert review_certificate_answers(prompter, answers(), ["machine-ssl"]).values == {}


def test_a_bad_value_from_certool_cfg_is_edited_before_anything_else() -> None:
    given = Answers({}, pnid=PNID, defaults={**DEFAULTS, "certificate.organization": "O" * 70})
    typed: List[object] = [None, None, "Corp"] + [None] * 5 + [None, True]
    prompter = Scripted(typed)
    result = review_certificate_answers(prompter, given, ["machine-ssl"])
    assert "not accepted: Organization: it is 70 characters long" in prompter.output
    assert result.get("certificate.organization") == "Corp"
    assert prompter.asked.count("certificate-values") == 1  # after the edit only
