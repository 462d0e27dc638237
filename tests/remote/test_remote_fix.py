"""vcfix fix over SSH: the outage fixed from a jump host, nothing secret on the appliance's
command lines, the fix lock on the appliance, and a dropped connection that does not stop
certificate-manager."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fix.test_fix_hangup import WAIT, machine_ssl, slow_lab, wait_for
from tests.fixlab import PASSWORD, answer_file, fast_lab, files_containing, only_run_dir, tool_calls
from tests.remote.remote_lab import leftover_password_files, remote_args
from tests.remote.sshd import Sshd
from vcfix import cli
from vcfix.appliance.connect import connected
from vcfix.appliance.ssh.target import Reach, parse_target
from vcfix.lab.fakes.common import read_calls


def remote_fix(sshd: Sshd, root: Path, tmp_path: Path, *extra: str) -> int:
    return cli.main([*remote_args(sshd, root), "fix", "--answers", str(answer_file(tmp_path)),
                     "--state-dir", str(tmp_path / "state"), *extra])


def test_the_outage_is_fixed_over_ssh_with_no_secret_on_the_appliance(
        sshd: Sshd, tmp_path: Path, fixed_clock: dt.datetime, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)
    root = fast_lab(tmp_path, "outage")
    before = sshd.authentications()
    code = remote_fix(sshd, root, tmp_path, "--yes")
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    assert "the fix verified" in out
    assert sshd.authentications() == before + 1
    calls = read_calls(root)
    assert {c["tool"] for c in calls} >= {"certificate-manager", "vecs-cli", "ldapsearch"}
    assert not [c for c in calls if PASSWORD in json.dumps(c)]  # no argv held it
    assert leftover_password_files(root) == []
    run = only_run_dir(tmp_path / "state")  # the record is here, on the jump host
    assert (run / "backup" / "manifest.json").exists()
    assert not (root / "var/lib/vcfix/backups" / run.name).exists()  # kept until the end
    assert files_containing(run, PASSWORD) == []
    remote_jobs = sorted((root / "var/lib/vcfix/jobs").iterdir())
    assert [p.name.split("-", 2)[-1] for p in remote_jobs][:1] == ["fixsts"]  # ran there
    assert all(p.stat().st_mode & 0o077 == 0 for p in remote_jobs)
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)
    assert cli.main([*remote_args(sshd, root), "diagnose"]) in (0, 1)


def test_a_dry_run_over_ssh_changes_nothing(
        sshd: Sshd, tmp_path: Path, fixed_clock: dt.datetime, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)
    root = fast_lab(tmp_path, "machine-ssl-expired")
    before = machine_ssl(root)
    assert remote_fix(sshd, root, tmp_path, "--dry-run") == 0
    assert "Continue operation" in capsys.readouterr().out
    assert not tool_calls(root, "certificate-manager")
    assert machine_ssl(root) == before


def test_a_wrong_sso_password_over_ssh_stops_before_any_change(
        sshd: Sshd, tmp_path: Path, fixed_clock: dt.datetime, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", "Not-The-Passw0rd")
    root = fast_lab(tmp_path, "machine-ssl-expired")
    assert remote_fix(sshd, root, tmp_path, "--yes") == 1
    err = capsys.readouterr().err
    assert "nothing was changed" in err and "Not-The-Passw0rd" not in err
    assert not tool_calls(root, "certificate-manager")
    assert not [c for c in read_calls(root) if "Not-The-Passw0rd" in json.dumps(c)]
    assert leftover_password_files(root) == []


def test_the_fix_lock_is_on_the_appliance_and_names_its_holder(
        sshd: Sshd, tmp_path: Path, fixed_clock: dt.datetime, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)
    root = fast_lab(tmp_path, "machine-ssl-expired")
    reach = Reach(ssh_config=sshd.ssh_config, batch=True)
    with connected(root, parse_target(sshd.target), reach) as appliance, \
            appliance.transport.fix_lock(appliance.file("lock_dir"), "vcfix fix (elsewhere)"):
        assert cli.main(["--root", str(root), "fix", "--answers", str(answer_file(tmp_path)),
                         "--yes", "--state-dir", str(tmp_path / "local")]) == 1
        err = capsys.readouterr().err
        assert "another vcfix fix is already running" in err
        assert "(over SSH)" in err and "vcfix fix (elsewhere)" in err
    assert not tool_calls(root, "certificate-manager")
    assert remote_fix(sshd, root, tmp_path, "--yes") == 0  # released with the session


def test_a_dropped_connection_leaves_certificate_manager_finishing_and_reported(
        sshd: Sshd, tmp_path: Path, fixed_clock: dt.datetime,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = slow_lab(tmp_path, "machine-ssl-expired", 0.02)
    before = machine_ssl(root)
    env = dict(os.environ, VCFIX_SSO_PASSWORD=PASSWORD)
    vcfix = subprocess.Popen(
        [sys.executable, "-m", "vcfix", *remote_args(sshd, root), "fix", "--answers",
         str(answer_file(tmp_path)), "--yes", "--steps", "machine-ssl", "--state-dir",
         str(tmp_path / "state")], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    jobs = root / "var/lib/vcfix/jobs"

    def replacing() -> Any:
        for job in sorted(jobs.glob("*-machine-ssl")) if jobs.is_dir() else []:
            log = job / "output.log"
            if log.exists() and "Generating Machine SSL cert" in log.read_text(errors="replace"):
                assert not (job / "exit").exists(), "the window closed before the drop"
                return job
        return None

    job = wait_for(replacing, "certificate-manager to start replacing on the appliance")
    os.kill(vcfix.pid, signal.SIGKILL)  # the jump host's session ends with the network
    assert sshd.drop_connections() >= 1
    vcfix.wait(timeout=WAIT)
    status = wait_for(lambda: (job / "exit").exists() and (job / "exit").read_text(),
                      "certificate-manager to finish on the appliance")
    assert status.split()[0] == "0"
    assert "All tasks completed successfully" in (job / "output.log").read_text()
    assert machine_ssl(root) != before
    capsys.readouterr()
    cli.main([*remote_args(sshd, root), "diagnose", "--state-dir", str(tmp_path / "state")])
    out = capsys.readouterr().out
    assert out.startswith("The last vcfix fix did not finish")
    assert "step running: machine-ssl" in out
    assert "with exit status 0" in out and "All tasks completed successfully" in out


def test_the_backup_is_also_kept_on_the_appliance_while_the_run_lasts(
        sshd: Sshd, tmp_path: Path, fixed_clock: dt.datetime) -> None:
    from vcfix.fix.rundir import RunDir
    from vcfix.redact import Redactor

    root = fast_lab(tmp_path, "healthy")
    with connected(root, parse_target(sshd.target), Reach(ssh_config=sshd.ssh_config,
                                                          batch=True)) as appliance:
        rundir = RunDir.create(tmp_path / "state", Redactor())
        rundir.appliance = appliance
        rundir.backup("MACHINE_SSL_CERT.__MACHINE_CERT.key", "KEY", source="vecs-cli")
        rundir.backup_complete(certificates=0, keys=1)
        rundir.backup("step1-sts.x.ldif", "LDIF", source="fixsts.sh")
        copy = root / "var/lib/vcfix/backups" / rundir.path.name
        assert sorted(p.name for p in copy.iterdir()) == [
            "MACHINE_SSL_CERT.__MACHINE_CERT.key", "manifest.json", "step1-sts.x.ldif"]
        assert (copy / "manifest.json").read_bytes() == (
            rundir.path / "backup" / "manifest.json").read_bytes()
        assert copy.stat().st_mode & 0o077 == 0
        assert (copy / "step1-sts.x.ldif").stat().st_mode & 0o077 == 0
        rundir.drop_appliance_copy()
        assert not copy.exists()


@pytest.mark.parametrize("scenario", ["root-expired"])
def test_a_fix_over_ssh_is_undone_by_a_restore_over_ssh(
        scenario: str, sshd: Sshd, tmp_path: Path, fixed_clock: dt.datetime,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Option 8 replaces the VMCA root: the restore puts back VECS, the STS chain and the
    VMCA root files, reading its files from a staging folder on the appliance."""
    from vcfix.lab import state as lab_state

    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)
    root = fast_lab(tmp_path, scenario)
    vmca_before = lab_state.load(root)["vmca"]
    assert remote_fix(sshd, root, tmp_path, "--yes") == 0
    run = only_run_dir(tmp_path / "state")
    before = json.loads((run / "diagnosis-before.json").read_text())
    capsys.readouterr()
    code = cli.main([*remote_args(sshd, root), "restore", str(run), "--answers",
                     str(answer_file(tmp_path)), "--yes"])
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    assert "are those of diagnosis-before.json" in out
    assert lab_state.load(root)["vmca"] == vmca_before
    cli.main(["--root", str(root), "diagnose", "--json"])
    after = json.loads(capsys.readouterr().out)
    assert {c["sha1"] for c in after["certificates"]} == {
        c["sha1"] for c in before["certificates"]}
    assert not (root / "var/lib/vcfix/restore").exists() or not any(
        (root / "var/lib/vcfix/restore").iterdir())  # the staged keys are gone
    creates = [c for c in tool_calls(root, "vecs-cli") if c["argv"][:2] == ["entry", "create"]]
    assert creates and all(str(tmp_path / "state") not in " ".join(c["argv"]) for c in creates)
    for call in read_calls(root):
        assert PASSWORD not in json.dumps(call)
