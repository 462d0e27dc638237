"""Before the first change: a fix refuses to start, naming what to do (lab and pure checks)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, List

import pytest
from fixlab import PASSWORD, answer_file, fast_lab, fix_cli, tool_calls

from vcfix import cli
from vcfix.answers.answer_file import load_answer_file
from vcfix.errors import VcfixError
from vcfix.fix.preflight import MB, Check, Facts, Thresholds, failed, judge
from vcfix.fix.run import FixOptions, run_fix
from vcfix.lab import state as lab_state
from vcfix.ui.prompts import Prompter
from vcfix.ui.style import Style

RUNNING = {"vmafdd": "Running", "vmdird": "Running", "vmcad": "Running", "lwsmd": "Running",
           "vmware-vcha": "Stopped"}


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)


def fix(root: Path, tmp_path: Path, *extra: str) -> int:
    return fix_cli(root, tmp_path, *extra)


def healthy_facts(**changes: Any) -> Facts:
    facts = Facts("embedded", services=dict(RUNNING), vmdir_state="Normal",
                  log_free=10_000 * MB, log_total=20_000 * MB)
    for key, value in changes.items():
        setattr(facts, key, value)
    return facts


DEFAULT = Thresholds()


def failing(facts: Facts, thresholds: Thresholds = DEFAULT) -> List[Check]:
    return failed(judge(facts, "vcfix --root /lab", thresholds))


# -- the pure judgement -------------------------------------------------------------------

def test_everything_there_passes_every_check() -> None:
    checks = judge(healthy_facts(), "vcfix")
    assert [c.name for c in checks] == [
        "certificates-read", "service vmafdd", "service vmdird", "service vmcad",
        "service lwsmd", "vmdir-state", "log-space", "vcenter-ha"]
    assert not failed(checks)


@pytest.mark.parametrize("service", ["vmafdd", "vmdird", "vmcad", "lwsmd"])
def test_a_stopped_core_service_names_the_command_that_starts_it(service: str) -> None:
    facts = healthy_facts(services={**RUNNING, service: "Stopped"})
    (check,) = failing(facts)
    assert check.next_command == f"service-control --start {service}"


def test_unread_sts_vmdir_state_and_vcha_are_refused() -> None:
    (sts,) = failing(healthy_facts(unread=["VMDIR"], read_errors=["ldapsearch failed"]))
    assert "STS" in sts.detail and sts.next_command == "vcfix --root /lab diagnose"
    (state,) = failing(healthy_facts(vmdir_state="Read only"))
    assert "'Read only', not Normal" in state.detail and "vdcadmintool" in state.next_command
    (vcha,) = failing(healthy_facts(vcha=True, vcha_evidence="the vmware-vcha service runs"))
    assert vcha.name == "vcenter-ha" and "Remove vCenter HA" in vcha.next_command


@pytest.mark.parametrize(("free_mb", "total_mb", "ok"), [
    (499, 100_000, False),  # under 500 MB
    (600, 20_000, False),  # 3 %: under 5 %
    (600, 10_000, True),  # 6 % and over 500 MB
])
def test_storage_log_needs_five_percent_and_500_mb(free_mb: int, total_mb: int,
                                                   ok: bool) -> None:
    checks = failing(healthy_facts(log_free=free_mb * MB, log_total=total_mb * MB))
    assert (not checks) == ok
    if not ok:
        assert checks[0].name == "log-space" and "/storage/log" in checks[0].detail


def test_a_management_node_has_no_local_directory_to_check() -> None:
    facts = healthy_facts(node_type="management", vmdir_state=None,
                          services={"vmafdd": "Running", "lwsmd": "Running"})
    assert not failing(facts)


# -- the lab: each condition simulated, the run refused before anything changes ---------

def refused(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert fix(root, tmp_path, "--yes") == 1
    captured = capsys.readouterr()
    assert "vcfix will not start the fix" in captured.err
    assert "nothing was changed" in captured.err
    assert not tool_calls(root, "certificate-manager") and not tool_calls(root, "fixsts.sh")
    (run,) = list((tmp_path / "state" / "runs").iterdir())  # the refusal is on record
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events] == ["run_started", "preflight", "run_finished"]
    assert (events[-1]["outcome"], events[-1]["exit_code"]) == ("preflight_failed", 1)
    assert "preflight_failed" in (run / "summary.md").read_text()
    assert not list((run / "backup").rglob("*")) if (run / "backup").exists() else True
    return captured.out + captured.err


def test_stopped_vmdird_refuses_and_says_how_to_start_it(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    with lab_state.transaction(root) as state:
        state["services"]["vmdird"] = "Stopped"
    text = refused(root, tmp_path, capsys)
    assert "service-control --start vmdird" in text
    assert "FAIL certificates-read" in text  # the STS certificate could not be read either


def test_vmdir_state_not_normal_refuses(tmp_path: Path, fixed_clock: dt.datetime,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    assert cli.main(["lab", "set", str(root), "vmdir_state=Read only"]) == 0  # a lab toggle
    capsys.readouterr()
    assert "the vmdir state is 'Read only'" in refused(root, tmp_path, capsys)


def test_vcenter_ha_refuses_and_points_to_the_procedure(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    with lab_state.transaction(root) as state:
        state["services"]["vmware-vcha"] = "Running"
    text = refused(root, tmp_path, capsys)
    assert "vCenter HA is configured" in text and "Remove vCenter HA" in text


def test_dry_run_shows_every_check_with_its_result(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    with lab_state.transaction(root) as state:
        state["services"]["lwsmd"] = "Stopped"
    assert fix(root, tmp_path, "--dry-run") == 1
    out = capsys.readouterr().out
    for line in ("ok   certificates-read", "ok   service vmafdd", "FAIL service lwsmd",
                 "what to do: service-control --start lwsmd", "ok   vmdir-state",
                 "ok   log-space", "ok   vcenter-ha", "A real run would refuse to start"):
        assert line in out, line
    assert not tool_calls(root, "certificate-manager")


def test_dry_run_with_vmdird_stopped_still_shows_the_dialog(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    with lab_state.transaction(root) as state:
        state["services"]["vmdird"] = "Stopped"
    assert fix(root, tmp_path, "--dry-run") == 1
    out = capsys.readouterr().out
    assert "FAIL service vmdird" in out and "The SSO password could not be verified" in out
    assert "dialog (prompt -> answer):" in out


def test_too_little_log_space_refuses(tmp_path: Path, fixed_clock: dt.datetime) -> None:
    """The thresholds are injectable: the lab's disk has far less than an exabyte free."""
    root = fast_lab(tmp_path, "machine-ssl-expired")
    options = FixOptions(root=root, answers=load_answer_file(answer_file(tmp_path)),
                         prompter=Prompter(assume_yes=True), style=Style(False),
                         state_dir=tmp_path / "state",
                         thresholds=Thresholds(min_free_bytes=2 ** 60))
    with pytest.raises(VcfixError) as info:
        run_fix(options)
    assert any(d.startswith("log-space:") and "/storage/log" in d for d in info.value.details)
    assert not tool_calls(root, "certificate-manager")
