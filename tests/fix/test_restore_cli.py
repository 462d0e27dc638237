"""``vcfix restore``: fix, then restore, and the appliance is as before the fix (issue 12)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Dict, Set, Tuple

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
from vcfix.lab import state as lab_state
from vcfix.lab.fakes.common import read_calls


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)


def fix(root: Path, tmp_path: Path) -> int:
    return fix_cli(root, tmp_path, "--yes")


def restore(root: Path, tmp_path: Path, run: Path, *extra: str) -> int:
    return cli.main(["--root", str(root), "restore", str(run), "--answers",
                     str(answer_file(tmp_path)), *extra])


def certificates(doc: Dict[str, Any]) -> Set[Tuple[str, str, str]]:
    return {(c["id"], c["sha1"], c["serial"], c["not_after"])
            for c in doc["certificates"] + doc["sts"]}


def diagnosis(root: Path, capsys: pytest.CaptureFixture[str]) -> Dict[str, Any]:
    capsys.readouterr()
    cli.main(["--root", str(root), "diagnose", "--json"])
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


@pytest.mark.parametrize("scenario", ["sts-expiring", "sts-expired", "machine-ssl-expired",
                                      "solution-users-expired", "root-expired", "outage"])
def test_fix_then_restore_gives_back_the_certificates_of_before(
        scenario: str, tmp_path: Path, fixed_clock: dt.datetime,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, scenario)
    vmca_before = lab_state.load(root)["vmca"]
    fix(root, tmp_path)
    run = only_run_dir(tmp_path / "state")
    before = json.loads((run / "diagnosis-before.json").read_text())
    assert certificates(diagnosis(root, capsys)) != certificates(before)  # the fix changed it
    capsys.readouterr()
    assert restore(root, tmp_path, run, "--yes") == 0
    out = capsys.readouterr().out
    assert "are those of diagnosis-before.json" in out
    assert certificates(diagnosis(root, capsys)) == certificates(before)
    assert lab_state.load(root)["vmca"] == vmca_before  # files put back, read by vmcad
    for call in read_calls(root):
        assert all(PASSWORD not in arg for arg in call["argv"]), call
    assert not files_containing(tmp_path / "state", PASSWORD)
    if scenario == "root-expired":  # TRUSTED_ROOTS: the new root unpublished, the old back
        published = lab_state.load(root)["vmdir"]["trusted_certs"]
        assert [p.strip() for p in published] == [vmca_before["cert"].strip()]
        assert any(c["argv"][:2] == ["trustedcert", "unpublish"]
                   for c in tool_calls(root, "dir-cli"))


def test_dry_run_shows_every_command_and_changes_nothing(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    fix(root, tmp_path)
    run = only_run_dir(tmp_path / "state")
    after_fix = lab_state.load(root)["vecs"]
    calls = len(read_calls(root))
    capsys.readouterr()
    assert restore(root, tmp_path, run, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "$ vecs-cli entry delete --store MACHINE_SSL_CERT --alias __MACHINE_CERT -y" in out
    assert "$ vecs-cli entry create --store MACHINE_SSL_CERT --alias __MACHINE_CERT" in out
    assert "Dry run: nothing was changed" in out
    assert lab_state.load(root)["vecs"] == after_fix
    written = [c for c in read_calls(root)[calls:] if c["argv"][:2] != ["entry", "list"]
               and c["tool"] == "vecs-cli" and c["argv"][0] == "entry"]
    assert not written
    assert not list(run.glob("restore-*"))


def test_unattended_restore_needs_yes(tmp_path: Path, fixed_clock: dt.datetime,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    fix(root, tmp_path)
    run = only_run_dir(tmp_path / "state")
    assert restore(root, tmp_path, run) == 4
    assert "--yes" in capsys.readouterr().err


def test_steps_restores_only_the_parts_named(tmp_path: Path, fixed_clock: dt.datetime,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "outage")
    fix(root, tmp_path)
    run = only_run_dir(tmp_path / "state")
    sts_after_fix = lab_state.load(root)["vmdir"]["tenant_credentials"]
    capsys.readouterr()
    assert restore(root, tmp_path, run, "--yes", "--steps", "vecs") == 0
    assert lab_state.load(root)["vmdir"]["tenant_credentials"] == sts_after_fix
    before = json.loads((run / "diagnosis-before.json").read_text())
    now = diagnosis(root, capsys)
    vecs_ids = {c for c in certificates(now) if not c[0].startswith("VMDIR/")}
    assert vecs_ids == {c for c in certificates(before) if not c[0].startswith("VMDIR/")}
    assert not tool_calls(root, "ldapmodify")


@pytest.mark.parametrize("damage", ["checksum", "missing", "incomplete", "no-inventory"])
def test_a_damaged_run_dir_is_refused_before_anything(damage: str, tmp_path: Path,
                                                      fixed_clock: dt.datetime,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    fix(root, tmp_path)
    run = only_run_dir(tmp_path / "state")
    backup = run / "backup"
    crt = backup / "vecs.MACHINE_SSL_CERT.__MACHINE_CERT.crt"
    if damage == "checksum":
        crt.write_text(crt.read_text().replace("A", "B", 1))
    elif damage == "missing":
        crt.unlink()
    else:
        manifest = json.loads((backup / "manifest.json").read_text())
        if damage == "incomplete":
            manifest["complete"] = False
        else:  # without it, every entry would look added by the run
            del manifest["counts"]["inventory"]
        (backup / "manifest.json").write_text(json.dumps(manifest))
    calls = len(read_calls(root))
    capsys.readouterr()
    assert restore(root, tmp_path, run, "--yes") == 1
    err = capsys.readouterr().err
    assert "refusing to restore" in err and "nothing was changed" in err
    assert len(read_calls(root)) == calls  # not even read


@pytest.mark.parametrize("scenario", ["healthy", "stale-root"])
def test_scenarios_without_a_fix_leave_nothing_to_restore(scenario: str, tmp_path: Path,
                                                          fixed_clock: dt.datetime) -> None:
    root = fast_lab(tmp_path, scenario)
    fix(root, tmp_path)
    assert not (tmp_path / "state" / "runs").exists()  # no step ran: no run directory
    assert not tool_calls(root, "certificate-manager") and not tool_calls(root, "fixsts.sh")
