"""``run_finished`` on every path, and what the next run says about a run without it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from fixlab import PASSWORD, fast_lab, fix_cli

from vcfix import cli
from vcfix.errors import VcfixError
from vcfix.fix import execute as fix_execute
from vcfix.fix.interrupted import find_unfinished, running_step
from vcfix.fix.rundir import RunDir


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)


def fix(root: Path, tmp_path: Path, *extra: str) -> int:
    return fix_cli(root, tmp_path, "--yes", *extra)


def last_events(tmp_path: Path) -> List[Dict[str, Any]]:
    (run,) = list((tmp_path / "state" / "runs").iterdir())
    return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(("error", "code", "outcome"), [
    (VcfixError("cannot read VECS"), 1, "preflight_failed"),  # the backup: nothing changed
    (KeyboardInterrupt(), 130, "interrupted"),
])
def test_run_finished_is_written_when_the_run_breaks_off(
        error: BaseException, code: int, outcome: str, tmp_path: Path,
        fixed_clock: dt.datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")

    def broken(*args: Any, **kwargs: Any) -> str:
        raise error

    monkeypatch.setattr(fix_execute, "backup_before_change", broken)
    assert fix(root, tmp_path) == code
    final = last_events(tmp_path)[-1]
    assert final["event"] == "run_finished"
    assert (final["exit_code"], final["outcome"], final["ok"]) == (code, outcome, False)


def test_a_failed_step_and_a_verified_fix_record_their_outcome(
        tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    assert fix(root, tmp_path) == 0
    final = last_events(tmp_path)[-1]
    assert (final["event"], final["exit_code"], final["outcome"], final["ok"]) == (
        "run_finished", 0, "verified", True)


def unfinished_run(state: Path, supervisor_pid: int, ended: bool) -> Path:
    """A run killed during reset-all: events without run_finished, one job."""
    rundir = RunDir.create(state)
    rundir.event("run_started", steps=["reset-all", "sts"])
    rundir.event("step_started", step="reset-all")
    job = rundir.path / "jobs" / "01-reset-all"
    job.mkdir(parents=True)
    (job / "output.log").write_text("Status : 70% Completed [Stopping services...]\r"
                                    "Status : 85% Completed [Starting services...]")
    (job / "status.json").write_text(json.dumps({
        "supervisor_pid": supervisor_pid, "tool_pid": supervisor_pid,
        "argv0": "certificate-manager", "started": "2026-06-01T11:00:00Z",
        "ended": "2026-06-01T11:40:00Z" if ended else None,
        "exit_status": 0 if ended else None, "signal": None}))
    return rundir.path


@pytest.fixture
def live_pid() -> Iterator[int]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def test_fix_refuses_while_a_tool_of_the_killed_run_still_runs(
        tmp_path: Path, fixed_clock: dt.datetime, live_pid: int,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    run = unfinished_run(tmp_path / "state", live_pid, ended=False)
    assert fix(root, tmp_path) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("The last vcfix fix did not finish")
    assert "step running: reset-all" in captured.out
    assert f"certificate-manager: STILL RUNNING (pid {live_pid})" in captured.out
    assert "Status : 85% Completed [Starting services...]" in captured.out
    assert "Diagnosing" not in captured.out
    assert "still running" in captured.err
    assert not (run / "interrupted.json").exists()
    assert len(list((tmp_path / "state" / "runs").iterdir())) == 1  # no new run started


def test_diagnose_json_keeps_stdout_json_and_tells_on_stderr(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    unfinished_run(tmp_path / "state", 2 ** 22 + 12345, ended=True)
    cli.main(["--root", str(root), "diagnose", "--json", "--state-dir",
              str(tmp_path / "state")])
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"]
    assert captured.err.startswith("The last vcfix fix did not finish")
    assert "certificate-manager: ended at 2026-06-01T11:40:00Z with exit status 0" in captured.err


def test_a_running_fix_is_not_an_interrupted_one(tmp_path: Path,
                                                 fixed_clock: dt.datetime) -> None:
    from vcfix.appliance.lock import FixLock

    unfinished_run(tmp_path / "state", os.getpid(), ended=True)
    assert find_unfinished(tmp_path / "state") is not None
    with FixLock(tmp_path / "state"):
        assert find_unfinished(tmp_path / "state") is None


def test_running_step_is_the_last_confirmed_without_result() -> None:
    assert running_step([{"event": "step_started", "step": "sts"},
                         {"event": "step_finished", "step": "sts"},
                         {"event": "step_started", "step": "reset-all"}]) == "reset-all"
    assert running_step([{"event": "step_started", "step": "sts"},
                         {"event": "step_finished", "step": "sts"}]) is None


def test_sigterm_during_a_step_lets_it_finish_and_starts_no_further_step(
        tmp_path: Path, fixed_clock: dt.datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    from vcfix.fix.certmgr_step import CertificateManagerStep
    from vcfix.fix.step import StepOutcome
    from vcfix.fix.sts_step import StsStep

    ran: List[str] = []

    def fake_run(self: Any, ctx: Any, step: Any) -> StepOutcome:
        ran.append(step.step)
        os.kill(os.getpid(), signal.SIGTERM)  # deferred: the step goes on to its end
        return StepOutcome(True, f"{step.step}: done")

    monkeypatch.setattr(StsStep, "run", fake_run)
    monkeypatch.setattr(CertificateManagerStep, "run", fake_run)
    root = fast_lab(tmp_path, "outage")
    assert fix(root, tmp_path) == 1
    records = last_events(tmp_path)
    planned = records[[r["event"] for r in records].index("run_started")]["steps"]
    assert len(planned) > 1 and ran == planned[:1]
    (stop,) = [r for r in records if r["event"] == "stopped_by_signal"]
    assert (stop["signal"], stop["next_step"]) == ("SIGTERM", planned[1])
    assert (records[-1]["event"], records[-1]["outcome"]) == ("run_finished", "interrupted")


def test_a_supervisor_gone_without_an_end_is_said_so(tmp_path: Path,
                                                     fixed_clock: dt.datetime) -> None:
    from vcfix.fix.interrupted import render

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs: the machine restarted, say
    unfinished_run(tmp_path / "state", dead.pid, ended=False)
    found = find_unfinished(tmp_path / "state")
    assert found is not None and not found.still_running
    text = "\n".join(render(found))
    assert "its supervisor is gone without recording the end (the machine restarted?)" in text
    assert "Wait for it" not in text
