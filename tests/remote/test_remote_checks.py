"""Issue 14 over SSH: the checks in a remote diagnosis, and the data-encipherment step (its
private folder and configuration on the appliance) fixed and undone from a jump host."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.fixlab import PASSWORD, answer_file, fast_lab, only_run_dir, tool_calls
from tests.remote.remote_lab import leftover_password_files, remote_args
from tests.remote.sshd import Sshd
from vcfix import cli
from vcfix.lab import state as lab_state


def test_the_checks_over_ssh(sshd: Sshd, tmp_path: Path, fixed_clock: dt.datetime,
                             capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "lookup-trust-stale")
    assert cli.main([*remote_args(sshd, root), "diagnose", "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert {k: c["status"] for k, c in doc["checks"].items()} == {
        "crls": "ok", "data_encipherment": "ok", "lookup_service_trust": "critical",
        "extension_thumbprints": "ok"}
    assert doc["checks"]["crls"]["count"] == 3


def test_data_encipherment_over_ssh_then_restore(
        sshd: Sshd, tmp_path: Path, fixed_clock: dt.datetime, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)
    root = fast_lab(tmp_path, "data-encipherment-expired")
    (old,) = lab_state.load(root)["vecs"]["data-encipherment"]
    code = cli.main([*remote_args(sshd, root), "fix", "--answers", str(answer_file(tmp_path)),
                     "--state-dir", str(tmp_path / "state"), "--yes"])
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    assert "data-encipherment regenerated" in out
    (new,) = lab_state.load(root)["vecs"]["data-encipherment"]
    assert new["cert"] != old["cert"]
    genkey = [c["argv"] for c in tool_calls(root, "certool")][0]
    key = Path(genkey[1].split("=", 1)[1])
    assert str(key).startswith(str(root / "tmp")) and not key.parent.exists()  # removed
    assert leftover_password_files(root) == []
    run = only_run_dir(tmp_path / "state")
    code = cli.main([*remote_args(sshd, root), "restore", str(run), "--answers",
                     str(answer_file(tmp_path)), "--yes"])
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    (back,) = lab_state.load(root)["vecs"]["data-encipherment"]
    assert back["cert"].strip() == old["cert"].strip()
