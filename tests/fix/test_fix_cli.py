"""``vcfix fix`` against the lab: options 3, 6, 8, dry-run, unattended errors, failures."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fixlab import (
    PASSWORD,
    answer_file,
    fast_lab,
    files_containing,
    fix_cli,
    only_run_dir,
    tool_calls,
)

from vcfix import cli
from vcfix.appliance.lock import FixLock
from vcfix.lab import state as lab_state


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)


def fix(root: Path, tmp_path: Path, *extra: str) -> int:
    return fix_cli(root, tmp_path, *extra)


def diagnosis(root: Path, capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    capsys.readouterr()
    cli.main(["--root", str(root), "diagnose", "--json"])
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


# option 3, 6 and 8 on every lab version ---------------------------------------------------

CASES = [
    ("machine-ssl-expired", "machine-ssl", "MACHINE_SSL_CERT"),
    ("solution-users-expired", "solution-users", "vpxd"),
]


@pytest.mark.parametrize("version", ["6.7", "7.0", "8.0"])
@pytest.mark.parametrize(("scenario", "step", "store"), CASES)
def test_fix_replaces_and_verifies(scenario: str, step: str, store: str, version: str,
                                   tmp_path: Path, fixed_clock: dt.datetime,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, scenario, version=version)
    assert fix(root, tmp_path, "--yes") == 0
    out = capsys.readouterr().out
    assert "the fix verified" in out
    doc = diagnosis(root, capsys)
    assert doc["plan"] == [] or all(s["step"] == "remove-unused-root" for s in doc["plan"])
    fresh = [c for c in doc["certificates"] if c["store"] == store and c["in_use"]]
    assert fresh and all(c["status"] == "ok" for c in fresh)
    if step == "machine-ssl":
        assert fresh[0]["san"][:2] == ["vcsa01.lab.example", "vcsa01"]  # PNID first, then alias
    run = only_run_dir(tmp_path / "state")
    for name in ("transcript.log", "events.jsonl", "diagnosis-before.json",
                 "diagnosis-after.json", "backup/manifest.json"):
        assert (run / name).is_file(), name
    assert not files_containing(tmp_path / "state", PASSWORD)
    assert PASSWORD not in out


@pytest.mark.parametrize("version", ["6.7", "7.0", "8.0"])
def test_reset_all_replaces_the_root(version: str, tmp_path: Path, fixed_clock: dt.datetime,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "root-expired", version=version)
    old_root = lab_state.load(root)["vmca"]["cert"]
    code = fix(root, tmp_path, "--yes", "--steps", "reset-all")
    out = capsys.readouterr().out
    state = lab_state.load(root)
    assert state["vmca"]["cert"] != old_root
    roots = [e["cert"] for e in state["vecs"]["TRUSTED_ROOTS"]]
    assert old_root in roots and state["vmca"]["cert"] in roots  # option 8 keeps the old root
    doc = diagnosis(root, capsys)
    machine = [c for c in doc["certificates"] if c["store"] == "MACHINE_SSL_CERT"][0]
    assert machine["status"] == "ok"
    # the STS chain still ends at the expired root: only the sts step can fix that; and
    # option 8 left the extension registrations on the old vpxd-extension (not asked for)
    assert [s["step"] for s in doc["plan"] if s["step"] != "remove-unused-root"] == [
        "sts", "extension-thumbprints"]
    assert code == 1 and "did NOT verify" in out and "sts" in out
    assert "re-trust" in out or "trust" in out  # the option-8 follow-ups are named


def test_option_6_on_a_management_node_answers_the_psc(tmp_path: Path,
                                                      fixed_clock: dt.datetime,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "solution-users-expired", node_type="management")
    assert fix(root, tmp_path, "--yes") == 0
    transcript = (only_run_dir(tmp_path / "state") / "transcript.log").read_text()
    assert "sent| psc01.lab.example" in transcript


# dry run and unattended errors --------------------------------------------------------------

def test_dry_run_shows_the_dialog_and_starts_nothing(tmp_path: Path, fixed_clock: dt.datetime,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    before = lab_state.load(root)["vecs"]
    assert fix(root, tmp_path, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Hostname" in out and "vcsa01.lab.example,vcsa01" in out
    assert "-> ********" in out and PASSWORD not in out
    assert "VMCA 'Name'" in out
    assert not tool_calls(root, "certificate-manager")
    assert not (tmp_path / "state").exists()
    assert lab_state.load(root)["vecs"] == before


def test_missing_answer_is_exit_4_before_anything(tmp_path: Path, fixed_clock: dt.datetime,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("VCFIX_SSO_PASSWORD")
    root = fast_lab(tmp_path, "machine-ssl-expired")
    assert fix(root, tmp_path, "--yes") == 4
    assert "sso.password" in capsys.readouterr().err
    assert not tool_calls(root, "certificate-manager")
    assert fix(root, tmp_path, "--dry-run") == 4


def test_unattended_needs_yes(tmp_path: Path, fixed_clock: dt.datetime,
                              capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    assert fix(root, tmp_path) == 4
    assert "--yes" in capsys.readouterr().err
    assert not tool_calls(root, "certificate-manager")


@pytest.mark.parametrize(("body", "key"), [
    ("  country: USA\n", "certificate.country"),
    ("  hostnames: [other.example]\n", "certificate.hostnames"),
    ("  colour: blue\n", "certificate.colour"),
])
def test_invalid_answer_file_is_exit_2(body: str, key: str, tmp_path: Path,
                                       fixed_clock: dt.datetime,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    assert fix_with_body(root, tmp_path, body) == 2
    assert key in capsys.readouterr().err
    assert not tool_calls(root, "certificate-manager")


def fix_with_body(root: Path, tmp_path: Path, body: str) -> int:
    path = answer_file(tmp_path, body)
    return cli.main(["--root", str(root), "fix", "--answers", str(path), "--yes",
                     "--state-dir", str(tmp_path / "state")])


def test_literal_password_needs_a_private_file(tmp_path: Path, fixed_clock: dt.datetime,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    path = tmp_path / "open.yaml"
    path.write_text(f"sso:\n  password: '{PASSWORD}'\n")
    path.chmod(0o644)
    code = cli.main(["--root", str(root), "fix", "--answers", str(path), "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2 and "sso.password" in err and PASSWORD not in err


def test_one_fix_at_a_time(tmp_path: Path, fixed_clock: dt.datetime,
                           capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    with FixLock(root / "run", command="vcfix fix (another operator)"):
        assert fix(root, tmp_path, "--yes") == 1
    err = capsys.readouterr().err
    assert "already running" in err and "another operator" in err
    assert not tool_calls(root, "certificate-manager")


# injected failures ----------------------------------------------------------------------------

def inject(root: Path, **settings: object) -> None:
    with lab_state.transaction(root) as state:
        state["settings"].update(settings)


def test_rollback_fails_the_step(tmp_path: Path, fixed_clock: dt.datetime,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    inject(root, cm_rollback_at=45)
    assert fix(root, tmp_path, "--yes") == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "rolled back" in out
    assert "var/log/vmware/vmcad/certificate-manager.log" in out
    assert "did NOT verify" in out


def test_refused_password_is_not_retried(tmp_path: Path, fixed_clock: dt.datetime,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    inject(root, cm_wrong_password=True)
    assert fix(root, tmp_path, "--yes") == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and PASSWORD not in out
    events = (only_run_dir(tmp_path / "state") / "events.jsonl").read_text().splitlines()
    sent = [json.loads(e) for e in events if '"answer_sent"' in e]
    assert [e["prompt"] for e in sent].count("password") == 1
    assert not files_containing(tmp_path / "state", PASSWORD)


def test_unexpected_prompt_is_quoted_not_answered(tmp_path: Path, fixed_clock: dt.datetime,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    inject(root, cm_unexpected_prompt="Do you want to upgrade the blah : [yes/no] ? : ")
    assert fix(root, tmp_path, "--yes", "--prompt-timeout", "1") == 1
    out = capsys.readouterr().out
    assert "unrecognised prompt" in out and "upgrade the blah" in out


def test_hang_ends_at_the_step_deadline(tmp_path: Path, fixed_clock: dt.datetime,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    inject(root, cm_hang_at=40)
    assert fix(root, tmp_path, "--yes", "--step-timeout", "4") == 1
    assert "FAILED" in capsys.readouterr().out


def test_answers_template(capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    assert cli.main(["answers", "template"]) == 0
    data = yaml.safe_load(capsys.readouterr().out)
    assert data["sso"]["password"] == {"env": "VCFIX_SSO_PASSWORD"}
    assert data["certificate"]["vmca_name"] == "auto"
