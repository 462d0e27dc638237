"""The sts step (fixsts.sh, service restart, check) and the whole outage, on the lab."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fixlab import (
    PASSWORD,
    fast_lab,
    files_containing,
    fix_cli,
    only_run_dir,
    tool_calls,
)

from vcfix import cli
from vcfix.lab import state as lab_state


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)


def fix(root: Path, tmp_path: Path, *extra: str, body: str = "") -> int:
    return fix_cli(root, tmp_path, *extra, body=body)


def sts_leaf(root: Path) -> str:
    state = lab_state.load(root)
    return str(state["vmdir"]["tenant_credentials"][0]["certs"][0])


def final_plan(root: Path, capsys: pytest.CaptureFixture[str]) -> list:  # type: ignore[type-arg]
    capsys.readouterr()
    cli.main(["--root", str(root), "diagnose", "--json"])
    return [s["step"] for s in json.loads(capsys.readouterr().out)["plan"]]


def test_sts_step_replaces_restarts_and_checks(tmp_path: Path, fixed_clock: dt.datetime,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "sts-expired")
    old = sts_leaf(root)
    assert fix(root, tmp_path, "--yes") == 0
    out = capsys.readouterr().out
    assert sts_leaf(root) != old
    assert "STS signing certificate replaced: valid until" in out
    assert "only directory server" in out  # the other-nodes note, from vdcrepadmin
    sc = [c["argv"] for c in tool_calls(root, "service-control")]
    assert ["--stop", "--all"] in sc and ["--start", "--all"] in sc
    assert sc.index(["--stop", "--all"]) < sc.index(["--start", "--all"])
    run = only_run_dir(tmp_path / "state")
    exports = list((run / "backup").glob("step1-sts.*.ldif"))
    assert exports and b"userCertificate::" in exports[0].read_bytes()
    assert not files_containing(tmp_path / "state", PASSWORD)
    (script_call,) = tool_calls(root, "fixsts.sh")
    assert all(PASSWORD not in arg for arg in script_call["argv"])
    assert final_plan(root, capsys) == []


def test_outage_fixed_end_to_end_by_one_unattended_command(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "outage")
    assert fix(root, tmp_path, "--yes") == 0
    out = capsys.readouterr().out
    assert out.index("Step 1 of 4: sts") < out.index("Step 2 of 4: machine-ssl") < out.index(
        "Step 3 of 4: solution-users") < out.index("Step 4 of 4: extension-thumbprints")
    assert "the fix verified" in out
    assert final_plan(root, capsys) == []


def test_root_expired_runs_sts_reset_all_sts(tmp_path: Path, fixed_clock: dt.datetime,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "root-expired")
    assert fix(root, tmp_path, "--yes") == 0
    out = capsys.readouterr().out
    assert "Step 2 of 4: reset-all" in out and "Step 3 of 4: sts" in out
    assert "Step 4 of 4: extension-thumbprints" in out  # option 8 replaced vpxd-extension
    assert final_plan(root, capsys) == ["remove-unused-root"]  # the old root: for the operator
    backup = only_run_dir(tmp_path / "state") / "backup"  # the second fixsts kept its own
    first = (backup / "step1-sts.old_TenantCredential-1.ldif").read_bytes()
    second = (backup / "step3-sts.old_TenantCredential-1.ldif").read_bytes()
    assert first != second


def test_wrong_password_fails_without_change(tmp_path: Path, fixed_clock: dt.datetime,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", "Wrong-Passw0rd!")
    root = fast_lab(tmp_path, "sts-expired")
    old = sts_leaf(root)
    assert fix(root, tmp_path, "--yes") == 1
    err = capsys.readouterr().err
    # verified once by an LDAP bind before anything changes: fixsts.sh never starts
    assert "is wrong" in err and "nothing was changed" in err
    assert "run again with the right password" in err
    assert "Wrong-Passw0rd!" not in err
    assert sts_leaf(root) == old
    assert not tool_calls(root, "fixsts.sh")
    binds = [c for c in tool_calls(root, "ldapsearch") if "cn=administrator,cn=users,"
             "dc=vsphere,dc=local" in c["argv"]]
    assert len(binds) == 1  # never retried
    assert not any("Wrong-Passw0rd!" in arg for arg in binds[0]["argv"])  # a -y file, no -w
    sc = [c["argv"] for c in tool_calls(root, "service-control")]
    assert sc == [["--status", "--all"]]  # no restart
    (run,) = list((tmp_path / "state" / "runs").iterdir())  # only the refusal's record
    assert {p.name for p in run.iterdir()} <= {"events.jsonl", "summary.md", "transcript.log",
                                               "backup"}


def test_management_node_is_refused_before_anything(tmp_path: Path, fixed_clock: dt.datetime,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "sts-expired", node_type="management")
    assert fix(root, tmp_path, "--yes") == 1
    err = capsys.readouterr().err
    assert "external PSC" in err and "PSC" in err
    assert not tool_calls(root, "fixsts.sh") and not (tmp_path / "state").exists()


def test_missing_script_is_named(tmp_path: Path, fixed_clock: dt.datetime,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "sts-expired")
    assert fix(root, tmp_path, "--yes", body="fixsts:\n  script: /root/nowhere/fixsts.sh\n") == 1
    err = capsys.readouterr().err
    assert "fixsts.sh not found" in err and "KB 76719" in err
    assert not (tmp_path / "state").exists()


def test_crlf_script_runs_a_corrected_copy(tmp_path: Path, fixed_clock: dt.datetime,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "sts-expired")
    original = root / "root/fixsts.sh"
    crlf = root / "root/fixsts-windows.sh"
    crlf.write_bytes(original.read_bytes().replace(b"\n", b"\r\n"))
    before = crlf.read_bytes()
    assert fix(root, tmp_path, "--yes", body="fixsts:\n  script: /root/fixsts-windows.sh\n") == 0
    out = capsys.readouterr().out
    assert "CRLF line endings" in out
    assert crlf.read_bytes() == before  # the operator's file is never edited


def test_service_that_fails_to_start_fails_the_step(tmp_path: Path, fixed_clock: dt.datetime,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "sts-expired")
    with lab_state.transaction(root) as state:
        state["settings"]["sc_fail_service"] = "vmware-vpxd"
    assert fix(root, tmp_path, "--yes") == 1
    out = capsys.readouterr().out
    assert "vmware-vpxd failed to start" in out
    assert "Service-control failed" in out


def test_start_all_failing_over_many_lines_names_the_services(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "sts-expired")
    with lab_state.transaction(root) as state:
        state["settings"]["sc_fail_pending"] = "vmware-eam,vsphere-ui"
    assert fix(root, tmp_path, "--yes") == 1
    out = capsys.readouterr().out
    assert "eam, vsphere-ui failed to start" in out
    assert "start all (profile)" in out  # the profile line is shown like the services'
    assert lab_state.load(root)["services"]["vsphere-ui"] == "StartPending"


def test_dry_run_shows_the_sts_dialog(tmp_path: Path, fixed_clock: dt.datetime,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "outage")
    assert fix(root, tmp_path, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Step 1: sts" in out and "fixsts.sh" in out
    assert "service-control --start --all" in out and "********" in out
    assert not tool_calls(root, "fixsts.sh") and not tool_calls(root, "certificate-manager")
