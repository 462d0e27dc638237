"""A dropped session (SIGHUP) or ``kill -9`` of vcfix in the middle of a change.

vcfix runs here as a real process against a lab slowed down to open a window; the
signal comes once the vendor tool is working. The tool must finish its work either way
(its supervisor outlives vcfix), and the next ``vcfix diagnose`` and ``vcfix fix`` must
say what the killed run left, before anything else.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
from fixlab import PASSWORD, answer_file

from vcfix import cli
from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.fakes.service_control import MANUAL

WAIT = 300.0  # generous: the machine may be busy; this is not a timing assertion


def slow_lab(tmp_path: Path, scenario: str, speed: float) -> Path:
    root = create_lab(tmp_path / "lab", scenario)
    with lab_state.transaction(root) as state:
        state["settings"]["speed"] = speed
    return root


def set_speed(root: Path, speed: float) -> None:
    with lab_state.transaction(root) as state:
        state["settings"]["speed"] = speed


def start_fix(root: Path, tmp_path: Path, step: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, VCFIX_SSO_PASSWORD=PASSWORD)
    out = (tmp_path / "vcfix.out").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "vcfix", "--root", str(root), "fix", "--answers",
         str(answer_file(tmp_path)), "--yes", "--steps", step, "--state-dir",
         str(tmp_path / "state")],
        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
        start_new_session=True)


def wait_for(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def run_dir(tmp_path: Path) -> Optional[Path]:
    runs = tmp_path / "state" / "runs"
    found = sorted(runs.iterdir()) if runs.is_dir() else []
    return found[0] if found else None


def events(tmp_path: Path) -> List[Dict[str, Any]]:
    run = run_dir(tmp_path)
    if run is None or not (run / "events.jsonl").exists():
        return []
    lines = (run / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


def job(tmp_path: Path, name: str) -> Optional[Path]:
    run = run_dir(tmp_path)
    jobs = sorted((run / "jobs").glob(f"*-{name}")) if run and (run / "jobs").is_dir() else []
    return jobs[0] if jobs else None


def status(path: Path) -> Dict[str, Any]:
    try:
        return dict(json.loads((path / "status.json").read_text()))
    except (OSError, ValueError):
        return {}


def working(tmp_path: Path, name: str, text: str) -> Optional[Path]:
    """The job ``name`` once its output shows ``text`` and it has not ended."""
    path = job(tmp_path, name)
    output = path / "output.log" if path else None
    if output is None or not output.exists() or text not in output.read_text(errors="replace"):
        return None
    assert not status(path).get("ended"), "the window closed before the signal (too fast)"
    return path


def machine_ssl(root: Path) -> str:
    return str(lab_state.load(root)["vecs"]["MACHINE_SSL_CERT"][0]["cert"])


def sts_leaf(root: Path) -> str:
    return str(lab_state.load(root)["vmdir"]["tenant_credentials"][0]["certs"][0])


def ended_well(path: Path) -> Dict[str, Any]:
    final = wait_for(lambda: status(path).get("ended") and status(path), f"{path.name} to end")
    assert final["exit_status"] == 0, (path / "output.log").read_text()
    return dict(final)


# -- certificate-manager ---------------------------------------------------------------------

@pytest.mark.parametrize("how", ["SIGHUP", "SIGKILL"])
def test_certificate_manager_finishes_when_vcfix_is_hung_up_or_killed(
        how: str, tmp_path: Path, fixed_clock: dt.datetime,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = slow_lab(tmp_path, "machine-ssl-expired", 0.02)
    before = machine_ssl(root)
    vcfix = start_fix(root, tmp_path, "machine-ssl")
    tool = wait_for(lambda: working(tmp_path, "machine-ssl", "Generating Machine SSL cert"),
                    "certificate-manager to start replacing")
    os.kill(vcfix.pid, getattr(signal, how))
    ended_well(tool)
    assert "All tasks completed successfully" in (tool / "output.log").read_text()
    assert machine_ssl(root) != before
    code = vcfix.wait(timeout=WAIT)
    finished = [e for e in events(tmp_path) if e["event"] == "run_finished"]
    if how == "SIGHUP":  # vcfix followed the tool to its end, then verified
        assert code == 0
        assert [e["signal"] for e in events(tmp_path) if e["event"] == "hangup"] == ["SIGHUP"]
        assert [(f["outcome"], f["exit_code"], f["ok"]) for f in finished] == [
            ("verified", 0, True)]
        return
    assert code == -signal.SIGKILL and not finished
    # The next diagnose says what the killed run left, before its report.
    capsys.readouterr()
    cli.main(["--root", str(root), "diagnose", "--state-dir", str(tmp_path / "state")])
    out = capsys.readouterr().out
    assert out.startswith("The last vcfix fix did not finish")
    assert "step running: machine-ssl" in out
    assert "certificate-manager: ended at" in out and "with exit status 0" in out
    assert "All tasks completed successfully" in out
    assert "services now (service-control --status --all):" in out
    assert out.index("did not finish") < out.index("Machine SSL")
    # ...and so does the next fix, which then records that it has told.
    code = cli.main(["--root", str(root), "fix", "--answers", str(answer_file(tmp_path)),
                     "--yes", "--state-dir", str(tmp_path / "state")])
    out = capsys.readouterr().out
    assert out.startswith("The last vcfix fix did not finish") and code == 0
    assert out.index("did not finish") < out.index("Diagnosing...")
    assert (run_dir(tmp_path) / "interrupted.json").exists()  # type: ignore[operator]
    cli.main(["--root", str(root), "diagnose", "--state-dir", str(tmp_path / "state")])
    assert "did not finish" not in capsys.readouterr().out


# -- fixsts.sh -------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["SIGHUP", "SIGKILL"])
def test_fixsts_finishes_when_vcfix_is_hung_up_or_killed(
        how: str, tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = slow_lab(tmp_path, "sts-expired", 0.1)  # fixsts.sh takes 3 s from its start
    before = sts_leaf(root)
    vcfix = start_fix(root, tmp_path, "sts")
    tool = wait_for(lambda: working(tmp_path, "fixsts", "Searching for TenantCredential"),
                    "fixsts.sh to start")
    os.kill(vcfix.pid, getattr(signal, how))
    set_speed(root, 0.0005)  # read by the service restart that follows, not by fixsts.sh
    ended_well(tool)
    assert "Replacement finished" in (tool / "output.log").read_text()
    assert sts_leaf(root) != before
    code = vcfix.wait(timeout=WAIT)
    if how == "SIGHUP":
        assert code == 0
        assert job(tmp_path, "service-control-start") is not None  # it carried on
    else:
        assert code == -signal.SIGKILL
        assert job(tmp_path, "service-control-stop") is None


# -- service-control --start --all ------------------------------------------------------------

@pytest.mark.parametrize("how", ["SIGHUP", "SIGKILL"])
def test_service_start_finishes_when_vcfix_is_hung_up_or_killed(
        how: str, tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = slow_lab(tmp_path, "sts-expired", 0.02)  # starting everything takes seconds
    vcfix = start_fix(root, tmp_path, "sts")
    tool = wait_for(lambda: working(tmp_path, "service-control-start",
                                    "Performing start operation on service vmdird"),
                    "service-control --start --all to start")
    os.kill(vcfix.pid, getattr(signal, how))
    ended_well(tool)
    assert "Successfully started profile: ALL." in (tool / "output.log").read_text()
    services = lab_state.load(root)["services"]
    assert [n for n, s in services.items() if s != "Running" and n not in MANUAL] == []
    code = vcfix.wait(timeout=WAIT)
    assert code == (0 if how == "SIGHUP" else -signal.SIGKILL)


def test_a_tool_left_waiting_at_a_prompt_ends_without_change_when_vcfix_is_killed(
        tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = slow_lab(tmp_path, "machine-ssl-expired", 0.02)
    with lab_state.transaction(root) as state:
        state["settings"]["cm_unexpected_prompt"] = "Proceed with the unknown thing? : "
    before = machine_ssl(root)
    vcfix = start_fix(root, tmp_path, "machine-ssl")
    tool = wait_for(lambda: working(tmp_path, "machine-ssl", "unknown thing"),
                    "certificate-manager to ask its unexpected question")
    os.kill(vcfix.pid, signal.SIGKILL)
    final = wait_for(lambda: status(tool).get("ended") and status(tool), "the tool to end")
    assert final["exit_status"] == 1  # Ctrl-D from the supervisor: nobody can answer now
    assert machine_ssl(root) == before
    vcfix.wait(timeout=WAIT)
