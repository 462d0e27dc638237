"""``vcfix diagnose`` reports whether vCenter's services run (service-control --status --all)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from vcfix import cli
from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab


def diagnose_json(root: Path, capsys: pytest.CaptureFixture[str]) -> Tuple[int, Dict[str, Any]]:
    code = cli.main(["--root", str(root), "diagnose", "--json"])
    return code, json.loads(capsys.readouterr().out)


def codes(document: Dict[str, Any]) -> list:  # type: ignore[type-arg]
    return [f["code"] for f in document["findings"]]


def test_a_healthy_appliance_with_its_manual_services_stopped_is_ok(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    code, document = diagnose_json(root, capsys)
    assert (code, document["status"]) == (0, "ok")
    assert "vmcam" in document["services"]["Stopped"]  # manual startup: normal
    assert "vmware-vpxd" in document["services"]["Running"]


@pytest.mark.parametrize("state", ["Stopped", "StartPending"])
def test_a_service_that_should_run_and_does_not_is_not_ok(
        state: str, tmp_path: Path, fixed_clock: dt.datetime,
        capsys: pytest.CaptureFixture[str]) -> None:
    """As after a fix killed during service-control --start --all."""
    root = create_lab(tmp_path / "lab", "healthy")
    with lab_state.transaction(root) as lab:
        lab["services"]["vmware-vpxd"] = state
        lab["services"]["vsphere-ui"] = state
    code, document = diagnose_json(root, capsys)
    assert (code, document["status"]) == (1, "warning")
    (finding,) = [f for f in document["findings"] if f["code"] == "services-not-running"]
    assert "vmware-vpxd" in finding["message"] and "vsphere-ui" in finding["message"]
    assert "service-control --start --all" in finding["message"]
    cli.main(["--root", str(root), "diagnose"])
    assert "services are not running" in capsys.readouterr().out


def test_services_that_cannot_be_read_are_unknown(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    (root / "usr/bin/service-control").unlink()
    code, document = diagnose_json(root, capsys)
    assert (code, document["status"]) == (3, "unknown")
    assert "services-not-checked" in codes(document)
    assert document["services"] is None
