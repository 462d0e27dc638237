"""The answer file: validation (exit 2 with key path and line), secrets, layers, derived values."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional, Tuple

import pytest
import yaml

from vcfix.answers.answer_file import (
    ANSWER_KEYS,
    HELP,
    Answers,
    MissingAnswer,
    load_answer_file,
    missing_answer,
    template,
)
from vcfix.errors import EXIT_MISSING_ANSWER, EXIT_USAGE, VcfixError

PNID = "vcsa01.corp.example"
SECRET = "S3cret!pw"

GOOD = """\
sso:
  username: administrator@vsphere.local
  password: {env: VCFIX_TEST_PW}
certificate:
  country: us
  name: CA
  organization: VMware
  org_unit: VMware Engineering
  state: California
  locality: Palo Alto
  ip_address: ""
  email: email@acme.com
  aliases: [vcsa01-alias.corp.example, VCSA01.corp.example, vcsa01-alias.corp.example]
  vmca_name: auto
steps: [sts, machine-ssl]
fixsts:
  script: /root/fixsts.sh
"""


def write(tmp_path: Path, text: str, mode: int = 0o600, name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    os.chmod(path, mode)
    return path


def load_error(tmp_path: Path, text: str, mode: int = 0o600) -> VcfixError:
    with pytest.raises(VcfixError) as info:
        load_answer_file(write(tmp_path, text, mode))
    assert info.value.exit_code == EXIT_USAGE
    assert str(tmp_path / "answers.yaml") in info.value.message
    return info.value


def test_a_good_file_loads_with_its_values(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_TEST_PW", SECRET)
    answers = load_answer_file(write(tmp_path, GOOD, 0o644)).with_context(pnid=PNID)
    assert answers.get("certificate.country") == "US"
    assert answers.get("certificate.ip_address") == ""
    assert answers.get("sso.password") == SECRET
    assert answers.get("fixsts.script") == "/root/fixsts.sh"
    assert answers.steps == ["sts", "machine-ssl"]


@pytest.mark.parametrize(("text", "key", "line", "words"), [
    ("sso:\n  username: a@b\nbogus: 1\n", "bogus", 3, "unknown key"),
    ("certificate:\n  colour: red\n", "certificate.colour", 2, "unknown key"),
    ("certificate:\n  name: 123\n", "certificate.name", 2, "expected text"),
    ("certificate:\n  country: USA\n", "certificate.country", 2, "two-letter"),
    ("certificate:\n  country: NO\n", "certificate.country", 2, "write 'NO'"),
    ("certificate:\n  aliases: vcsa.corp\n", "certificate.aliases", 2, "list of host names"),
    ("certificate:\n  aliases:\n    - good.corp\n    - bad name,x\n",
     "certificate.aliases[1]", 4, "not a host name"),
    ("certificate:\n  ip_address: 10.0.0.300\n", "certificate.ip_address", 2, "IP address"),
    ("certificate:\n  email: nobody\n", "certificate.email", 2, "e-mail"),
    ("certificate:\n  hostnames: [a.corp]\n  aliases: [b.corp]\n", "certificate.hostnames", 2,
     "not both"),
    ("steps: [sts, everything]\n", "steps[1]", 1, "unknown step"),
    ("steps: [sts, sts]\n", "steps[1]", 1, "repeats"),
    ("steps: some\n", "steps", 1, "auto"),
    ("sso:\n  password: {vault: x}\n", "sso.password", 2, "{env: VARIABLE}"),
    ("sso:\n  password: {env: 'not a name'}\n", "sso.password", 2, "environment variable"),
    ("sso:\n  password:\n    file: /nonexistent/vcfix/sso.pw\n", "sso.password", 2,
     "cannot read the password file"),
    ("sso: [a, b]\n", "sso", 1, "mapping"),
    ("psc:\n  address: 'psc 01'\n", "psc.address", 2, "host name"),
])
def test_each_bad_value_is_exit_2_naming_key_and_line(
        tmp_path: Path, text: str, key: str, line: int, words: str) -> None:
    error = load_error(tmp_path, text)
    assert f"{key} (line {line})" in error.message
    assert words in error.message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, "sso:\n  username: a@b\n  password: [unclosed\n")
    assert "YAML syntax error at line" in error.message


def test_duplicate_keys_are_refused_with_both_lines(tmp_path: Path) -> None:
    error = load_error(tmp_path, "certificate:\n  country: US\n  country: DE\n")
    assert "certificate.country (line 3) repeats the key of line 2" in error.message


def test_unreadable_answer_file_is_exit_2(tmp_path: Path) -> None:
    with pytest.raises(VcfixError) as info:
        load_answer_file(tmp_path / "missing.yaml")
    assert info.value.exit_code == EXIT_USAGE and "cannot read answer file" in info.value.message


def test_literal_password_refused_when_group_or_world_can_read(tmp_path: Path) -> None:
    for mode in (0o640, 0o604):
        error = load_error(tmp_path, f"sso:\n  password: {SECRET}\n", mode)
        assert "sso.password (line 2)" in error.message
        assert "chmod 600" in error.message and f"{mode:04o}" in error.message
        assert SECRET not in error.message


def test_literal_password_accepted_when_owner_only(tmp_path: Path) -> None:
    answers = load_answer_file(write(tmp_path, f"sso:\n  password: '{SECRET}'\n", 0o600))
    assert answers.get("sso.password") == SECRET
    assert SECRET not in repr(answers.values)


def test_password_file_source_is_read_without_its_newline(tmp_path: Path) -> None:
    pw = tmp_path / "sso.pw"
    pw.write_text(SECRET + "\n")
    pw.chmod(0o600)
    answers = load_answer_file(write(tmp_path, f"sso:\n  password: {{file: {pw}}}\n", 0o644))
    assert answers.get("sso.password") == SECRET


def test_empty_password_file_is_refused(tmp_path: Path) -> None:
    pw = tmp_path / "sso.pw"
    pw.write_text("\n")
    pw.chmod(0o600)
    error = load_error(tmp_path, f"sso:\n  password: {{file: {pw}}}\n")
    assert "one non-empty line" in error.message


def test_missing_env_password_is_a_missing_answer_exit_4(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VCFIX_TEST_PW", raising=False)
    answers = load_answer_file(write(tmp_path, GOOD))
    with pytest.raises(MissingAnswer) as info:
        answers.get("sso.password")
    assert info.value.exit_code == EXIT_MISSING_ANSWER
    assert "sso.password" in info.value.message and "VCFIX_TEST_PW" in info.value.message


def test_every_answer_key_has_a_description() -> None:
    assert set(HELP) == set(ANSWER_KEYS)


def test_missing_answer_is_exit_4_naming_the_key() -> None:
    with pytest.raises(VcfixError) as info:
        Answers().get("certificate.locality")
    assert info.value.exit_code == EXIT_MISSING_ANSWER
    assert "certificate.locality" in info.value.message
    assert missing_answer("psc.address").exit_code == EXIT_MISSING_ANSWER


def test_layers_file_then_defaults_then_ask() -> None:
    asked: List[Tuple[str, bool]] = []

    def ask(key: str, description: str, secret: bool) -> Optional[str]:
        asked.append((key, secret))
        return "Asked" if key == "certificate.state" else None

    answers = Answers({"certificate.name": "FromFile"}).with_context(
        defaults={"certificate.name": "Default", "certificate.locality": "Default City"},
        ask=ask)
    assert answers.get("certificate.name") == "FromFile"
    assert answers.get("certificate.locality") == "Default City"
    assert answers.get("certificate.state") == "Asked"
    assert answers.get("certificate.state") == "Asked"  # asked once, remembered
    with pytest.raises(MissingAnswer):
        answers.get("sso.password")
    assert asked == [("certificate.state", False), ("sso.password", True)]
    assert answers.quiet().peek("certificate.state") == "Asked"
    assert answers.quiet().ask is None


def test_hostnames_put_the_pnid_first_without_duplicates(tmp_path: Path) -> None:
    answers = load_answer_file(write(tmp_path, GOOD)).with_context(pnid=PNID)
    assert answers.derived("hostnames") == f"{PNID},vcsa01-alias.corp.example"


def test_explicit_hostnames_must_hold_the_pnid(tmp_path: Path) -> None:
    text = "certificate:\n  hostnames: [other.corp.example, vcsa01-alias.corp.example]\n"
    answers = load_answer_file(write(tmp_path, text)).with_context(pnid=PNID)
    with pytest.raises(VcfixError) as info:
        answers.derived("hostnames")
    assert info.value.exit_code == EXIT_USAGE
    assert "certificate.hostnames (line 2)" in info.value.message
    assert "lacks the PNID" in info.value.message and "subject alternative names" in \
        info.value.message


def test_explicit_hostnames_with_the_pnid_later_get_it_first(tmp_path: Path) -> None:
    text = f"certificate:\n  hostnames: [alias.corp.example, {PNID}]\n"
    answers = load_answer_file(write(tmp_path, text)).with_context(pnid=PNID)
    assert answers.hostnames() == [PNID, "alias.corp.example"]


def test_vmca_name_and_sso_user_derivation() -> None:
    answers = Answers().with_context(pnid=PNID, domain="corp.local")
    assert answers.derived("vmca_name") == PNID
    assert answers.derived("sso_user") == "administrator@corp.local"
    named = Answers({"certificate.vmca_name": "My VMCA", "sso.username": "admin@corp.local"})
    assert named.with_context(pnid=PNID).derived("vmca_name") == "My VMCA"
    assert named.derived("sso_user") == "admin@corp.local"
    with pytest.raises(MissingAnswer, match="PNID"):
        Answers().derived("hostnames")


def test_template_parses_loads_and_holds_no_secret(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    text = template()
    data = yaml.safe_load(text)
    assert data["sso"]["password"] == {"env": "VCFIX_SSO_PASSWORD"}
    assert set(data) == {"sso", "certificate", "steps", "fixsts"}
    monkeypatch.delenv("VCFIX_SSO_PASSWORD", raising=False)
    answers = load_answer_file(write(tmp_path, text, 0o644)).with_context(pnid=PNID)
    assert answers.get("certificate.country") == "US"
    assert answers.derived("hostnames") == PNID
    with pytest.raises(MissingAnswer):
        answers.get("sso.password")


def test_saved_answers_never_contain_the_secret(tmp_path: Path) -> None:
    literal = load_answer_file(write(tmp_path, f"sso:\n  password: {SECRET}\n"))
    saved = literal.to_yaml()
    assert SECRET not in saved
    assert yaml.safe_load(saved)["sso"]["password"] == {"env": "VCFIX_SSO_PASSWORD"}
    asked = Answers().with_context(ask=lambda key, description, secret: SECRET)
    assert asked.get("sso.password") == SECRET
    assert SECRET not in asked.to_yaml()
