"""The shared value rules: the answer file and the wizard refuse the same values."""

from __future__ import annotations

from pathlib import Path

import pytest

from vcfix.answers import rules
from vcfix.answers.answer_file import load_answer_file
from vcfix.errors import EXIT_USAGE, VcfixError

PNID = "vcsa01.corp.example"


@pytest.mark.parametrize(("key", "value", "words"), [
    ("certificate.country", "USA", "two-letter"),
    ("certificate.organization", "O" * 65, "at most 64"),
    ("certificate.org_unit", "U" * 65, "at most 64"),
    ("certificate.name", "N" * 65, "at most 64"),
    ("certificate.locality", "L" * 129, "at most 128"),
    ("certificate.ip_address", "10.0.0.300", "IP address"),
    ("certificate.email", "nobody", "e-mail"),
    ("certificate.organization", "VM\x1bware", "control character"),
    ("certificate.state", "Cali\u202efornia", "control character"),
    ("psc.address", "psc 01", "host name"),
])
def test_bad_values_are_refused_with_a_reason(key: str, value: str, words: str) -> None:
    reason = rules.check_key(key, value)
    assert reason is not None and words in reason


@pytest.mark.parametrize(("key", "value"), [
    ("certificate.country", "de"), ("certificate.organization", "O" * 64),
    ("certificate.ip_address", ""), ("certificate.ip_address", "fd00::1"),
    ("certificate.email", "pki@corp.example"), ("psc.address", "10.0.0.5"),
])
def test_good_values_pass(key: str, value: str) -> None:
    assert rules.check_key(key, value) is None


def test_hostname_list_needs_hosts_and_the_pnid() -> None:
    assert rules.check_hostnames([PNID, "vcsa01"], PNID) is None
    assert rules.check_hostnames(["VCSA01.corp.example"], PNID) is None
    assert "lacks the PNID" in (rules.check_hostnames(["other.corp"], PNID) or "")
    assert "not a host name" in (rules.check_hostnames([PNID, "bad name"], PNID) or "")


@pytest.mark.parametrize(("body", "key", "words"), [
    ("certificate:\n  organization: '" + "O" * 65 + "'\n", "certificate.organization",
     "at most 64"),
    ("certificate:\n  org_unit: '" + "U" * 70 + "'\n", "certificate.org_unit", "at most 64"),
    ("certificate:\n  name: \"C\\x07A\"\n", "certificate.name", "control character"),
    ("certificate:\n  vmca_name: '" + "v" * 65 + "'\n", "certificate.vmca_name", "at most 64"),
    ("certificate:\n  aliases: [\"a\\x1b.corp\"]\n", "certificate.aliases[0]", "not a host"),
])
def test_the_answer_file_applies_length_and_character_rules(
        tmp_path: Path, body: str, key: str, words: str) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(body)
    with pytest.raises(VcfixError) as info:
        load_answer_file(path)
    assert info.value.exit_code == EXIT_USAGE
    assert key in info.value.message and words in info.value.message
