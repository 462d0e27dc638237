"""What a fix run leaves: summary.md, transcript headers and commands, one event per fact
ending in run_finished, and a complete backup with unique, reversible names (issue 12)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
from fixlab import PASSWORD, answer_file, fast_lab, fix_cli, only_run_dir, tool_calls

from vcfix import __version__, cli
from vcfix.fix.backup import decode, encode
from vcfix.lab import state as lab_state

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)


def fix(root: Path, tmp_path: Path, *extra: str) -> int:
    return fix_cli(root, tmp_path, "--yes", *extra)


def events(run: Path) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]


def test_outage_run_leaves_a_complete_incident_record(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "outage")
    assert fix(root, tmp_path) == 0
    shown = capsys.readouterr().out
    run = only_run_dir(tmp_path / "state")
    summary = (run / "summary.md").read_text()
    for text in ("| PNID | vcsa01.lab.example |", "| version | 7.0.3 |", "| build | 01400",
                 "| node type | embedded |", f"| vcfix | {__version__} |",
                 "| mode | unattended |", "fix --answers", "--yes",
                 "outcome verified, exit code 0"):
        assert text in summary, text
    timeline = summary.split("## Timeline")[1].split("##")[0]
    rows = [r for r in timeline.splitlines() if r.startswith("| step") or
            r.startswith("| service-control")]
    assert [r.split(" | ")[0] for r in rows] == [
        "| step 1: sts (/bin/bash " + str(root / "root/fixsts.sh") + ")",
        "| service-control --stop --all", "| service-control --start --all",
        "| step 2: machine-ssl (certificate-manager option 3)",
        "| step 3: solution-users (certificate-manager option 6)",
        "| step 4: extension-thumbprints (psql -d VCDB -U postgres -v ON_ERROR_STOP=1 -t -A -q "
        "(UPDATE vpx_ext, one transaction); service-control --stop/--start vmware-vpxd)"]
    stamp = "2026-06-01T12:00:00Z"
    assert rows[1].split(" | ")[3] == stamp and rows[2].split(" | ")[4] == stamp  # down from/to
    assert rows[3].split(" | ")[3] == stamp  # certificate-manager's "Stopping services..."
    report = summary.split("```text\n")[1].split("```")[0]
    assert report.strip() and report.strip() in shown  # exactly as shown
    assert "## Follow-ups" in summary and "only directory server" in summary
    # transcript: a header per step naming its command; the restarts recorded
    transcript = (run / "transcript.log").read_text()
    assert "==== step 1 of 4: sts: /bin/bash" in transcript
    assert "==== step 2 of 4: machine-ssl: certificate-manager option 3" in transcript
    assert "cmd  | service-control --stop --all -> exit 0" in transcript
    assert "out | Performing start operation on service vmdird..." in transcript
    assert "cmd  | vecs-cli entry getkey" in transcript and "PRIVATE KEY" not in transcript
    assert "cmd  | vdcrepadmin -f showservers -h localhost -u administrator" in transcript
    # events: one record per fact, documented, ending in run_finished
    records = events(run)
    names = [r["event"] for r in records]
    assert names[-1] == "run_finished"
    assert records[-1] == {"time": stamp, "event": "run_finished", "exit_code": 0,
                           "outcome": "verified", "ok": True}
    assert names.count("step_started") == names.count("step_finished") == 4
    assert "step_result" not in names and "step_confirmed" not in names
    documented = set(re.findall(r"^\| `(\w+)` \|", (DOCS / "run-record.md").read_text(), re.M))
    assert set(names) <= documented, set(names) - documented


def test_a_backup_that_cannot_be_completed_stops_the_run(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    with lab_state.transaction(root) as state:
        state["vecs"]["vpxd"][0]["key"] = None  # vecs-cli entry getkey fails on it
    assert fix(root, tmp_path) == 1
    assert "backup would be incomplete" in capsys.readouterr().err
    assert not tool_calls(root, "certificate-manager")
    run = only_run_dir(tmp_path / "state")
    assert events(run)[-1]["outcome"] == "preflight_failed"
    assert "preflight_failed" in (run / "summary.md").read_text()


def test_option_8_needs_the_vmca_root_files(tmp_path: Path, fixed_clock: dt.datetime,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "root-expired")
    (root / "var/lib/vmware/vmca/privatekey.pem").unlink()
    assert fix(root, tmp_path, "--steps", "reset-all") == 1
    assert "privatekey.pem" in capsys.readouterr().err
    assert not tool_calls(root, "certificate-manager")


def test_option_8_backs_up_the_vmca_root(tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = fast_lab(tmp_path, "root-expired")
    old = lab_state.load(root)["vmca"]
    fix(root, tmp_path, "--steps", "reset-all")
    backup = only_run_dir(tmp_path / "state") / "backup"
    assert (backup / "vmca-root.cer").read_text() == old["cert"]
    assert (backup / "vmca-privatekey.pem").read_text() == old["key"]
    kinds = {e["kind"]: e for e in json.loads((backup / "manifest.json").read_text())["entries"]}
    assert kinds["vmca-key"]["path"] == "/var/lib/vmware/vmca/privatekey.pem"


def test_names_are_unique_and_reversible_whatever_the_store_or_alias(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    odd = ("a/b", "a_b", ".hidden", "x y", "a%2Fb")
    with lab_state.transaction(root) as state:
        pem = state["vecs"]["SMS"][0]["cert"]
        state["vecs"]["odd"] = [{"alias": a, "type": "Trusted Cert", "cert": pem, "key": None}
                                for a in odd]
        state["vecs"][".hidden"] = [{"alias": "a", "type": "Trusted Cert", "cert": pem,
                                     "key": None}]
    assert fix(root, tmp_path) == 0
    out = capsys.readouterr().out
    backup = only_run_dir(tmp_path / "state") / "backup"
    manifest = json.loads((backup / "manifest.json").read_text())
    entries = [e for e in manifest["entries"] if e["kind"].startswith("vecs")]
    names = [e["file"] for e in entries]
    assert len(set(names)) == len(names)
    for entry in entries:
        _, store, alias, _ = entry["file"].split(".")
        assert (decode(store), decode(alias)) == (entry["store"], entry["alias"])
        assert (backup / entry["file"]).is_file()
    stored = {(e["store"], e["alias"]) for e in entries}
    assert {("odd", a) for a in odd} | {(".hidden", "a")} <= stored
    count = int(re.search(r"Backed up (\d+) VECS entries", out).group(1))  # type: ignore[union-attr]
    assert count == len(stored) == manifest["counts"]["vecs_entries"]
    assert manifest["complete"] is True
    with lab_state.transaction(root) as state:  # lost after the run: restore puts them back
        state["vecs"]["odd"] = []
        del state["vecs"][".hidden"]
    assert cli.main(["--root", str(root), "restore", str(backup.parent), "--yes",
                     "--steps", "vecs"]) == 0
    vecs = lab_state.load(root)["vecs"]
    assert sorted(e["alias"] for e in vecs["odd"]) == sorted(odd)
    assert [e["alias"] for e in vecs[".hidden"]] == ["a"]


@pytest.mark.parametrize("text", ["a/b", "a_b", ".hidden", "x y", "é", "a%2Fb", ""])
def test_encode_is_safe_and_reversible(text: str) -> None:
    name = encode(text)
    assert re.fullmatch(r"[A-Za-z0-9_%-]*", name)
    assert decode(name) == text


def test_ctrl_c_during_the_service_restart_ends_the_record(tmp_path: Path) -> None:
    import os
    import sys

    import pexpect

    root = fast_lab(tmp_path, "sts-expired")
    with lab_state.transaction(root) as state:
        state["settings"]["speed"] = 0.05  # service-control takes a few seconds
    env = dict(os.environ, VCFIX_SSO_PASSWORD=PASSWORD, NO_COLOR="1")
    child = pexpect.spawn(sys.executable, ["-m", "vcfix", "--root", str(root), "fix",
                                           "--answers", str(answer_file(tmp_path)), "--yes",
                                           "--state-dir", str(tmp_path / "state")],
                          env=env, encoding="utf-8", timeout=120)
    child.expect("service-control --start --all")
    child.expect("start ")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    run = only_run_dir(tmp_path / "state")
    assert events(run)[-1]["outcome"] == "interrupted"
    assert events(run)[-1]["exit_code"] == 130
    assert "outcome interrupted" in (run / "summary.md").read_text()
