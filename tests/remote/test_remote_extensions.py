"""The extension-thumbprint check and step over ``--host`` (issue 14): psql's SQL travels
on its standard input through SSH, never on a command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fixlab import PASSWORD, answer_file, fast_lab, tool_calls

from tests.remote.sshd import Sshd
from vcfix import cli
from vcfix.lab import state as lab_state
from vcfix.lab import vcdb


def test_diagnose_and_fix_over_ssh(sshd: Sshd, tmp_path: Path, fixed_clock: dt.datetime,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)
    root = fast_lab(tmp_path, "extension-thumbprints-stale")
    remote = ["--host", sshd.target, "--ssh-config", str(sshd.ssh_config), "--root", str(root)]
    assert cli.main([*remote, "diagnose", "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["checks"]["extension_thumbprints"]["status"] == "critical"
    assert [s["step"] for s in doc["plan"]] == ["extension-thumbprints"]
    assert cli.main([*remote, "fix", "--answers", str(answer_file(tmp_path)), "--yes",
                     "--state-dir", str(tmp_path / "state")]) == 0
    state = lab_state.load(root)
    new = vcdb.thumbprint(lab_state.vecs_entry(state, "vpxd-extension", "vpxd-extension")[
        "cert"])
    assert all(vcdb.snapshot(state)[e] == new for e in vcdb.EXTENSIONS)
    assert all(new not in arg for call in tool_calls(root, "psql") for arg in call["argv"])
