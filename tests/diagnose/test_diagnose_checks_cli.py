"""``vcfix diagnose`` on the scenarios of the checks beside the certificates (issue 14)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from vcfix import cli
from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.fakes.common import read_calls

# scenario -> (exit code, status, plan, the check that is not ok, its status, finding code)
EXPECTED = {
    "crls-many": (1, "warning", ["clean-crls"], "crls", "warning", "crls-many"),
    "data-encipherment-expired": (2, "critical", ["data-encipherment"], "data_encipherment",
                                  "critical", "data-encipherment-expired"),
    "lookup-trust-stale": (2, "critical", [], "lookup_service_trust", "critical",
                           "lookup-trust-mismatch"),
}


def diagnose_json(root: Path, capsys: pytest.CaptureFixture[str]) -> Tuple[int, Dict[str, Any]]:
    code = cli.main(["--root", str(root), "diagnose", "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_each_check_scenario(scenario: str, tmp_path: Path, fixed_clock: dt.datetime,
                             capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", scenario)
    code, doc = diagnose_json(root, capsys)
    want_code, want_status, plan, key, check_status, finding = EXPECTED[scenario]
    assert (code, doc["status"], doc["exit_code"]) == (want_code, want_status, want_code)
    assert [s["step"] for s in doc["plan"]] == plan
    assert all(s["option"] is None for s in doc["plan"])
    checks = doc["checks"]
    assert set(checks) == {"crls", "data_encipherment", "lookup_service_trust",
                           "extension_thumbprints"}
    for name, check in checks.items():
        assert check["status"] == (check_status if name == key else "ok"), name
        assert all(set(f) == {"severity", "summary", "procedure", "kb"}
                   for f in check["findings"])
    (item,) = checks[key]["findings"]
    assert item["kb"].startswith("KB ") and item["procedure"]
    assert finding in [f["code"] for f in doc["findings"]]


def test_crl_count_and_data_encipherment_dates(tmp_path: Path, fixed_clock: dt.datetime,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _code, doc = diagnose_json(create_lab(tmp_path / "a", "crls-many"), capsys)
    assert doc["checks"]["crls"]["count"] == 120 and doc["checks"]["crls"]["threshold"] == 30
    _code, doc = diagnose_json(create_lab(tmp_path / "b", "data-encipherment-expired"), capsys)
    enc = doc["checks"]["data_encipherment"]
    assert enc["days_left"] == -10 and enc["not_after"].startswith("2026-05-22")
    # the sweep no longer calls it an unused certificate
    assert not any(f["code"] == "expired-unused" for f in doc["findings"])


def test_healthy_checks_are_ok(tmp_path: Path, fixed_clock: dt.datetime,
                               capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = diagnose_json(create_lab(tmp_path / "lab", "healthy"), capsys)
    assert code == 0 and doc["plan"] == []
    assert {k: c["status"] for k, c in doc["checks"].items()} == {
        "crls": "ok", "data_encipherment": "ok", "lookup_service_trust": "ok",
        "extension_thumbprints": "ok"}
    assert doc["checks"]["crls"]["count"] == 3
    assert doc["checks"]["lookup_service_trust"]["registrations"] > 30


def test_lookup_trust_finding_names_node_types_and_procedure(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "lookup-trust-stale")
    _code, doc = diagnose_json(root, capsys)
    trust = doc["checks"]["lookup_service_trust"]
    assert trust["node"] == "vcsa01.lab.example"
    types = {m["service_type"] for m in trust["mismatched"]}
    assert {"vcenterserver", "cs.identity", "sso:sts"} <= types
    (finding,) = trust["findings"]
    assert "lsdoctor" in finding["procedure"] and "--trustfix" in finding["procedure"]
    assert "vcsa01.lab.example" in finding["summary"] and "sso:sts" in finding["summary"]
    assert cli.main(["--root", str(root), "diagnose"]) == 2
    out = capsys.readouterr().out
    assert "Lookup Service registrations" in out and "lsdoctor" in out
    assert "Other checks" in out and "CRLs in TRUSTED_ROOT_CRLS: 3 (threshold 30)" in out
    assert "CRITICAL Lookup Service trust: 35 of 35 registrations" in out
    assert "Nothing" not in out


def test_a_lookup_service_that_does_not_answer_leaves_the_status_alone(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    with lab_state.transaction(root) as state:
        state["services"]["lookupsvc"] = "Stopped"
    code, doc = diagnose_json(root, capsys)
    trust = doc["checks"]["lookup_service_trust"]
    assert trust["status"] == "unknown" and "lstool.py" in trust["reason"]
    assert [f["severity"] for f in doc["findings"] if f["code"] == "check-not-done"] == ["info"]
    # lookupsvc stopped is a service finding (warning), not an unknown diagnosis
    assert doc["status"] != "unknown" and code in (0, 1)


def test_ls_trust_mismatch_is_only_a_note_when_the_plan_replaces_machine_ssl(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "machine-ssl-expired")
    with lab_state.transaction(root) as state:
        state["lookup_ssl_trust"] = "TUlJQg=="  # registrations trusting something else
    code, doc = diagnose_json(root, capsys)
    trust = doc["checks"]["lookup_service_trust"]
    assert (code, [s["step"] for s in doc["plan"]]) == (2, ["machine-ssl"])
    assert trust["status"] == "warning" and trust["findings"] == []
    assert "machine-ssl" in trust["note"]


def test_a_management_node_asks_the_lookup_service_of_its_psc(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy", version="6.7", node_type="management")
    code, doc = diagnose_json(root, capsys)
    assert code == 0 and doc["checks"]["lookup_service_trust"]["status"] == "ok"
    (call,) = [c["argv"] for c in read_calls(root) if c["tool"] == "lstool"]
    assert call[call.index("--url") + 1] == "https://psc01.lab.example/lookupservice/sdk"


def test_a_hanging_lstool_or_crl_listing_ends_at_the_timeout(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    lstool = root / "usr/lib/vmware-lookupsvc/tools/lstool.py"
    lstool.write_text("#!/bin/sh\nsleep 60\n")
    vecs = root / "usr/lib/vmware-vmafd/bin/vecs-cli"
    real = vecs.with_name("vecs-cli.real")
    vecs.rename(real)
    vecs.write_text(f'#!/bin/sh\ncase "$*" in *TRUSTED_ROOT_CRLS*) sleep 60;; esac\n'
                    f'exec "{real}" "$@"\n')
    vecs.chmod(0o755)
    code = cli.main(["--root", str(root), "diagnose", "--json", "--timeout", "3"])
    doc = json.loads(capsys.readouterr().out)
    for key in ("crls", "lookup_service_trust"):
        assert doc["checks"][key]["status"] == "unknown"
        assert "did not finish within 3 s" in doc["checks"][key]["reason"]
    assert code == 0 and doc["status"] == "ok"  # the certificates were all read
