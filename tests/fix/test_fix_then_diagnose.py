"""After a successful fix, ``vcfix diagnose`` is OK: BACKUP_STORE copies are information."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fixlab import PASSWORD, answer_file, fast_lab, only_run_dir

from vcfix import cli


def test_diagnose_after_a_successful_fix_is_ok(tmp_path: Path, fixed_clock: dt.datetime,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)
    root = fast_lab(tmp_path, "outage")
    assert cli.main(["--root", str(root), "fix", "--answers", str(answer_file(tmp_path)),
                     "--state-dir", str(tmp_path / "state"), "--yes"]) == 0
    capsys.readouterr()
    events = [json.loads(line) for line in
              (only_run_dir(tmp_path / "state") / "events.jsonl").read_text().splitlines()]
    (preflight,) = [e for e in events if e["event"] == "preflight"]
    assert {c["name"] for c in preflight["checks"]} >= {"certificates-read", "vcenter-ha"}
    assert all(c["ok"] for c in preflight["checks"])
    assert cli.main(["--root", str(root), "diagnose", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["status"] == "ok"
    copies = [f for f in document["findings"] if f["code"] == "backup-copy"]
    assert copies and all(f["severity"] == "info" for f in copies)
    alias = copies[0]["certificates"][0].split("/", 1)[1]
    assert (f"vecs-cli entry delete --store BACKUP_STORE --alias {alias} -y"
            in copies[0]["message"])
