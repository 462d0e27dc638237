"""``vcfix diagnose`` checks the extension thumbprints in VCDB (issue 14), on labs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from vcfix import cli
from vcfix.lab import state as lab_state
from vcfix.lab import vcdb
from vcfix.lab.build import create_lab
from vcfix.lab.fakes.common import read_calls

IDS = ["com.vmware.imagebuilder", "com.vmware.rbd", "com.vmware.vim.eam"]


def diagnose_json(root: Path, capsys: pytest.CaptureFixture[str]) -> Tuple[int, Dict[str, Any]]:
    capsys.readouterr()
    code = cli.main(["--root", str(root), "diagnose", "--json"])
    return code, json.loads(capsys.readouterr().out)


def vpxd_extension_sha1(doc: Dict[str, Any]) -> str:
    (cert,) = [c for c in doc["certificates"] if c["id"] == "vpxd-extension/vpxd-extension"]
    return str(cert["sha1"])


def test_stale_registrations_are_critical_with_the_step(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "extension-thumbprints-stale")
    code, doc = diagnose_json(root, capsys)
    assert (code, doc["status"], doc["exit_code"]) == (2, "critical", 2)
    assert all(c["status"] == "ok" for c in doc["certificates"] if c["in_use"])
    check = doc["checks"]["extension_thumbprints"]
    assert check["status"] == "critical" and check["expected"] == vpxd_extension_sha1(doc)
    assert [e["ext_id"] for e in check["extensions"]] == IDS  # the partner plug-in: not ours
    assert not any(e["matches"] for e in check["extensions"])
    old = lab_state.load(root)["vcdb"]["vpx_ext"][0]["thumbprint"]
    assert {e["thumbprint"] for e in check["extensions"]} == {old}
    assert all(f["kb"] == "2112577" and f["severity"] == "critical" for f in check["findings"])
    (step,) = doc["plan"]
    assert (step["step"], step["option"]) == ("extension-thumbprints", None)
    assert step["certificates"] == ["vpxd-extension/vpxd-extension"]
    assert "extension-thumbprint-stale" in [f["code"] for f in doc["findings"]]
    (psql,) = {json.dumps(c["argv"]) for c in read_calls(root) if c["tool"] == "psql"}
    assert "SELECT" not in psql and "-t" in psql and "-A" in psql  # the SQL went on stdin
    assert cli.main(["--root", str(root), "diagnose"]) == 2
    out = capsys.readouterr().out
    assert "extension-thumbprints (psql: VCDB vpx_ext, KB 2112577)" in out
    assert "vcfix --root" in out and "fix --dry-run" in out


@pytest.mark.parametrize("version, node_type", [("7.0", "embedded"), ("6.7", "management"),
                                                ("8.0", "embedded")])
def test_a_healthy_lab_has_matching_registrations(
        version: str, node_type: str, tmp_path: Path, fixed_clock: dt.datetime,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy", version=version, node_type=node_type)
    code, doc = diagnose_json(root, capsys)
    assert (code, doc["status"], doc["plan"]) == (0, "ok", [])
    check = doc["checks"]["extension_thumbprints"]
    assert check["status"] == "ok" and check["findings"] == []
    assert [e["matches"] for e in check["extensions"]] == [True, True, True]


def test_without_psql_the_check_is_unknown_but_the_diagnosis_stands(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy", version="6.7")
    (root / "opt/vmware/vpostgres/current/bin/psql").unlink()
    code, doc = diagnose_json(root, capsys)
    assert (code, doc["status"]) == (0, "ok")
    check = doc["checks"]["extension_thumbprints"]
    assert check["status"] == "unknown" and "psql not found" in check["reason"]
    assert [f["severity"] for f in check["findings"]] == ["info"]


def test_when_vcdb_does_not_answer_the_diagnosis_is_unknown(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    with lab_state.transaction(root) as state:
        state["services"]["vmware-vpostgres"] = "Stopped"
    code, doc = diagnose_json(root, capsys)
    assert (code, doc["status"]) == (3, "unknown")
    check = doc["checks"]["extension_thumbprints"]
    assert check["status"] == "unknown"
    assert "psql -d VCDB" in check["reason"] and "could not connect" in check["reason"]


def test_option_6_in_the_lab_leaves_the_registrations_behind(tmp_path: Path) -> None:
    """What the fake certificate-manager does to VCDB: nothing (as real builds)."""
    from vcfix.lab import reissue

    root = create_lab(tmp_path / "lab", "solution-users-expired")
    state = lab_state.load(root)
    rows = vcdb.snapshot(state)
    reissue.reissue_solution_users(state, reissue.fields_from_cfg({}), dt.datetime.now(
        dt.timezone.utc))
    new = vcdb.thumbprint(lab_state.vecs_entry(state, "vpxd-extension", "vpxd-extension")[
        "cert"])
    assert vcdb.snapshot(state) == rows and new not in rows.values()


def test_what_vcdb_holds_is_bounded_and_escaped(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    with lab_state.transaction(root) as state:
        state["vcdb"]["vpx_ext"][0]["thumbprint"] = "\x1b[2J" + "A" * 5000
    code, doc = diagnose_json(root, capsys)
    (row,) = [e for e in doc["checks"]["extension_thumbprints"]["extensions"]
              if e["ext_id"] == state["vcdb"]["vpx_ext"][0]["ext_id"]]
    assert code == 2 and not row["matches"]
    assert "\x1b" not in row["thumbprint"] and len(row["thumbprint"]) < 300
    assert "\x1b" not in json.dumps(doc, ensure_ascii=False)
