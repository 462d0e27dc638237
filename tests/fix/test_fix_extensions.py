"""The ``extension-thumbprints`` step (issue 14): unattended, dry run, after option 6,
a failing UPDATE, nothing stale, the wizard, and ``vcfix restore``."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List

import pexpect
import pytest
from fixlab import PASSWORD, answer_file, fast_lab, fix_cli, only_run_dir, tool_calls

from vcfix import cli
from vcfix.answers.answer_file import Answers, load_answer_file
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.diagnose.model import NodeInfo
from vcfix.diagnose.plan import Step
from vcfix.fix.ext_step import ExtensionThumbprintsStep
from vcfix.fix.rundir import RunDir
from vcfix.fix.step import StepContext
from vcfix.lab import state as lab_state
from vcfix.lab import vcdb
from vcfix.redact import Redactor
from vcfix.ui.prompts import make_prompter

STALE = "extension-thumbprints-stale"


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)


def expected(root: Path) -> str:
    state = lab_state.load(root)
    return vcdb.thumbprint(lab_state.vecs_entry(state, "vpxd-extension", "vpxd-extension")[
        "cert"])


def ours(root: Path) -> Dict[str, str]:
    rows = vcdb.snapshot(lab_state.load(root))
    return {k: v for k, v in rows.items() if k in vcdb.EXTENSIONS}


def vpxd_calls(root: Path) -> List[List[str]]:
    return [c["argv"] for c in tool_calls(root, "service-control")
            if c["argv"][1:] == ["vmware-vpxd"]]


def final_diagnosis(root: Path, capsys: pytest.CaptureFixture[str]) -> Dict[str, Any]:
    capsys.readouterr()
    cli.main(["--root", str(root), "diagnose", "--json"])
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_unattended_fix_updates_the_rows_restarts_vpxd_and_keeps_the_old_ones(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, STALE)
    old = ours(root)
    partner = vcdb.snapshot(lab_state.load(root))[vcdb.PARTNER]
    assert fix_cli(root, tmp_path, "--yes") == 0
    out = capsys.readouterr().out
    assert "Step 1 of 1: extension-thumbprints" in out and "the fix verified" in out
    assert ours(root) == dict.fromkeys(vcdb.EXTENSIONS, expected(root))
    assert vcdb.snapshot(lab_state.load(root))[vcdb.PARTNER] == partner  # not ours: untouched
    assert vpxd_calls(root) == [["--stop", "vmware-vpxd"], ["--start", "vmware-vpxd"]]
    assert all(expected(root) not in arg for c in tool_calls(root, "psql") for arg in c["argv"])
    run = only_run_dir(tmp_path / "state")
    saved = json.loads((run / "backup/step1-vcdb.vpx_ext.json").read_text())
    assert {r["ext_id"]: r["thumbprint"] for r in saved["rows"]} == old
    manifest = json.loads((run / "backup/manifest.json").read_text())
    (entry,) = [e for e in manifest["entries"] if e["kind"] == "vcdb-rows"]
    assert (entry["file"], entry["step"], entry["table"]) == ("step1-vcdb.vpx_ext.json", 1,
                                                              "vpx_ext")
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    (record,) = [e for e in events if e["event"] == "extension_thumbprints"]
    assert record["updated"] is True and sorted(record["stale"]) == sorted(vcdb.EXTENSIONS)
    after = final_diagnosis(root, capsys)
    assert (after["status"], after["plan"]) == ("ok", [])
    assert after["checks"]["extension_thumbprints"]["status"] == "ok"


def test_dry_run_prints_the_sql_and_changes_nothing(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, STALE)
    before = lab_state.load(root)
    assert fix_cli(root, tmp_path, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Update the extension thumbprints in VCDB and restart vpxd now?" in out
    update = "UPDATE vpx_ext SET thumbprint = '{}' WHERE ext_id = 'com.vmware.vim.eam';"
    assert update.format(expected(root)) in out and "BEGIN;" in out and "COMMIT;" in out
    assert "service-control --stop vmware-vpxd" in out
    after = lab_state.load(root)
    assert (after["vcdb"], after["services"]) == (before["vcdb"], before["services"])
    assert not vpxd_calls(root) and not (tmp_path / "state" / "runs").exists()


def test_after_option_6_the_registrations_are_updated_too(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "solution-users-expired")
    assert ours(root) == dict.fromkeys(vcdb.EXTENSIONS, expected(root))  # before: matching
    assert fix_cli(root, tmp_path, "--yes") == 0
    out = capsys.readouterr().out
    assert "Step 1 of 2: solution-users" in out and "Step 2 of 2: extension-thumbprints" in out
    assert "extension thumbprints updated" in out and "the fix verified" in out
    assert ours(root) == dict.fromkeys(vcdb.EXTENSIONS, expected(root))  # the new certificate
    after = final_diagnosis(root, capsys)
    assert after["checks"]["extension_thumbprints"]["status"] == "ok" and after["plan"] == []


def test_only_option_6_asked_for_leaves_the_step_to_the_verification(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "solution-users-expired")
    assert fix_cli(root, tmp_path, "--yes", "--steps", "solution-users") == 1
    out = capsys.readouterr().out
    assert "not fixed: the plan still holds 'extension-thumbprints'" in out
    assert final_diagnosis(root, capsys)["status"] == "critical"
    assert fix_cli(root, tmp_path, "--yes", "--steps", "extension-thumbprints",
                   state=tmp_path / "state2") == 0
    assert ours(root) == dict.fromkeys(vcdb.EXTENSIONS, expected(root))


def test_a_failed_update_changes_nothing_and_does_not_restart_vpxd(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, STALE)
    with lab_state.transaction(root) as state:
        state["settings"]["vcdb_fail_ext"] = "com.vmware.rbd"
    old = ours(root)
    assert fix_cli(root, tmp_path, "--yes") == 1
    out = capsys.readouterr().out
    assert "the UPDATE failed and its transaction did not commit" in out
    assert "could not serialize access" in out
    assert ours(root) == old and not vpxd_calls(root)


def test_a_step_with_nothing_stale_says_so_and_changes_nothing(
        tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = fast_lab(tmp_path, "healthy")
    said: List[str] = []
    appliance = Appliance(root)
    node = NodeInfo("vcsa01.lab.example", "vsphere.local", "7.0.3.01400", "embedded")
    ctx = StepContext(appliance, Runner(appliance), Answers(),
                      make_prompter(unattended=True, assume_yes=True), Redactor(), node,
                      rundir=RunDir.create(tmp_path / "state"), step_number=2, say=said.append)
    step = ExtensionThumbprintsStep()
    outcome = step.run(ctx, Step("extension-thumbprints", None, "after solution-users"))
    assert outcome.ok and "already matching" in outcome.summary
    assert expected(root) in outcome.summary and "nothing changed" in outcome.summary
    assert not vpxd_calls(root) and not list((ctx.rundir.path / "backup").glob("step*"))


def test_the_answer_file_and_steps_accept_the_step(tmp_path: Path) -> None:
    path = answer_file(tmp_path, "steps: [solution-users, extension-thumbprints]\n")
    assert load_answer_file(path).steps == ["solution-users", "extension-thumbprints"]


def test_restore_puts_the_old_rows_back(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, STALE)
    old = ours(root)
    assert fix_cli(root, tmp_path, "--yes") == 0
    run = only_run_dir(tmp_path / "state")
    answers = str(answer_file(tmp_path))
    capsys.readouterr()
    assert cli.main(["--root", str(root), "restore", str(run), "--answers", answers,
                     "--dry-run"]) == 0
    shown = capsys.readouterr().out
    assert "[vcdb] put back the thumbprints VCDB (vpx_ext) held for" in shown
    assert f"thumbprint = '{old['com.vmware.rbd']}'" in shown
    assert ours(root) == dict.fromkeys(vcdb.EXTENSIONS, expected(root))  # dry run: unchanged
    assert cli.main(["--root", str(root), "restore", str(run), "--answers", answers,
                     "--yes"]) == 0
    assert "extension thumbprints in VCDB are those of diagnosis-before.json" in (
        capsys.readouterr().out)
    assert ours(root) == old
    assert cli.main(["--root", str(root), "restore", str(run), "--answers", answers,
                     "--yes", "--steps", "vcdb"]) == 0
    assert "Nothing to restore" in capsys.readouterr().out


def test_the_wizard_confirms_the_step(tmp_path: Path) -> None:
    root = fast_lab(tmp_path, STALE)
    env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1",
               COLUMNS="120", LINES="50")
    env.pop("VCFIX_SSO_PASSWORD", None)
    child = pexpect.spawn(sys.executable, ["-m", "vcfix", "--root", str(root)], env=env,
                          encoding="utf-8", timeout=60, dimensions=(50, 120))
    child.expect(r"Update the extension thumbprints in VCDB and restart vpxd now\?")
    child.send("y")
    child.expect("the fix verified", timeout=120)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert ours(root) == dict.fromkeys(vcdb.EXTENSIONS, expected(root))


def test_without_psql_option_6_runs_alone_and_verifies(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    """A 6.x build without psql at its path: nothing to check, nothing blocks option 6."""
    root = fast_lab(tmp_path, "solution-users-expired", version="6.7")
    (root / "opt/vmware/vpostgres/current/bin/psql").unlink()
    assert fix_cli(root, tmp_path, "--yes") == 0
    out = capsys.readouterr().out
    assert "Step 1 of 1: solution-users" in out and "extension-thumbprints" not in out
    check = final_diagnosis(root, capsys)["checks"]["extension_thumbprints"]
    assert check["status"] == "unknown" and "psql not found" in check["reason"]
