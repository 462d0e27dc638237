"""``vcfix lab create`` and ``vcfix lab scenarios`` through the real CLI entry point."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from vcfix import cli
from vcfix.lab import state as lab_state
from vcfix.lab.elm import ELM_SCENARIOS
from vcfix.lab.scenarios import SCENARIOS


def test_scenarios_lists_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lab", "scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    everything = {**SCENARIOS, **ELM_SCENARIOS}
    assert len(lines) == len(everything)
    for line, (name, scenario) in zip(lines, everything.items()):
        assert line.split()[0] == name
        assert line.endswith(scenario.description)


def test_create_builds_the_lab_and_names_the_next_step(
    tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "lab"
    assert cli.main(["lab", "create", str(target), "--scenario", "sts-expired"]) == 0
    out = capsys.readouterr().out
    state = lab_state.load(target)
    assert state["scenario"] == "sts-expired" and state["version"] == "7.0"
    assert state["created"] == "2026-06-01T12:00:00Z"
    assert f"Next: vcfix --root {target.absolute()} diagnose" in out.splitlines()
    assert "STS signing" in out and "EXPIRED 30 days ago" in out
    assert lab_state.LAB_SSO_PASSWORD not in out
    assert state["machine_account"]["password"] not in out
    assert (target / "usr/lib/vmware-vmafd/bin/vecs-cli").is_file()


def test_create_with_version_pnid_and_management(tmp_path: Path, fixed_clock: dt.datetime,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "vc"
    assert cli.main(["lab", "create", str(target), "--scenario", "outage", "--node-type",
                     "management", "--pnid", "vc02.corp.example"]) == 0
    conf = json.loads((target / "etc/applmgmt/appliance/update.conf").read_text())
    assert conf["version"] == "6.7.0.58000"  # management defaults to 6.7
    state = lab_state.load(target)
    assert state["node_type"] == "management" and state["dc_name"] == "psc01.corp.example"
    assert "external PSC psc01.corp.example" in capsys.readouterr().out
    other = tmp_path / "v8"
    assert cli.main(["lab", "create", str(other), "--scenario", "healthy",
                     "--version", "8.0"]) == 0
    assert lab_state.load(other)["version_build"] == "8.0.2.00100"


def test_create_refuses_a_foreign_folder_unless_forced(
    tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    assert cli.main(["lab", "create", str(target), "--scenario", "healthy"]) == 1
    err = capsys.readouterr().err
    assert "not empty and is not a vcfix lab" in err and "--force" in err
    assert not lab_state.is_lab(target)
    assert cli.main(["lab", "create", str(target), "--scenario", "healthy", "--force"]) == 0
    assert lab_state.is_lab(target) and (target / "keep.txt").read_text() == "keep"


def test_unknown_scenario_is_a_usage_error(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["lab", "create", str(tmp_path / "x"), "--scenario", "nope"])
    assert exit_info.value.code == 2
    assert "healthy" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_lab_without_action_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lab"]) == 2
    assert "create" in capsys.readouterr().out
