"""The run directory: private permissions, timestamped transcript, events, backups."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import stat
from pathlib import Path

import pytest

from vcfix.errors import VcfixError
from vcfix.fix.rundir import RunDir
from vcfix.redact import MASK, Redactor

SECRET = "S3cret!pw"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def make(tmp_path: Path, now: dt.datetime) -> RunDir:
    return RunDir.create(tmp_path / "state", Redactor([SECRET]), now=now)


def test_create_makes_private_directories_and_files(tmp_path: Path, now: dt.datetime) -> None:
    run = make(tmp_path, now)
    assert run.path == tmp_path / "state" / "runs" / "20260601T120000Z"
    assert mode(run.path) == 0o700
    assert mode(tmp_path / "state" / "runs") == 0o700
    assert mode(run.path / "backup") == 0o700
    for name in ("transcript.log", "events.jsonl"):
        assert mode(run.path / name) == 0o600


def test_two_runs_in_the_same_second_get_distinct_directories(
        tmp_path: Path, now: dt.datetime) -> None:
    first, second = make(tmp_path, now), make(tmp_path, now)
    assert first.path != second.path
    assert second.path.name == "20260601T120000Z-2"


def test_create_fails_with_a_vcfix_error_when_the_state_dir_is_a_file(
        tmp_path: Path, now: dt.datetime) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("not a directory")
    with pytest.raises(VcfixError, match="it is not a folder") as info:
        RunDir.create(blocker, now=now)
    assert info.value.exit_code == 2


def test_transcript_lines_are_timestamped_redacted_and_split_at_redraws(
        tmp_path: Path, fixed_clock: dt.datetime) -> None:
    run = make(tmp_path, fixed_clock)
    run.transcript_output("Option[1 to 8]: ")
    run.transcript_sent("3")
    run.transcript_output("3\r")
    run.transcript_output("\nStatus : 10% Completed [a]\rStatus : 20% Co")
    run.transcript_output("mpleted [b]\r\nechoed S3c")
    run.transcript_output(f"{SECRET[3:]} by a broken tool\n")
    run.transcript_sent(MASK)
    run.note("ending certificate-manager: Ctrl-D")
    run.flush_output()
    lines = (run.path / "transcript.log").read_text().splitlines()
    stamp = "2026-06-01T12:00:00Z"
    assert lines == [
        f"{stamp} out | Option[1 to 8]: ",
        f"{stamp} sent| 3",
        f"{stamp} out | 3",
        f"{stamp} out | Status : 10% Completed [a]",
        f"{stamp} out | Status : 20% Completed [b]",
        f"{stamp} out | echoed {MASK} by a broken tool",
        f"{stamp} sent| {MASK}",
        f"{stamp} vcfix| ending certificate-manager: Ctrl-D",
    ]


def test_transcript_sink_is_a_file_like_for_pexpect(tmp_path: Path, now: dt.datetime) -> None:
    run = make(tmp_path, now)
    sink = run.transcript_sink()
    sink.write("hello\n")
    sink.write(b"bytes too\n")  # type: ignore[arg-type]
    sink.flush()
    text = (run.path / "transcript.log").read_text()
    assert "out | hello" in text and "out | bytes too" in text


def test_events_are_json_lines_and_redacted(tmp_path: Path, fixed_clock: dt.datetime) -> None:
    run = make(tmp_path, fixed_clock)
    record = run.event("answer_sent", prompt="password", answer=SECRET)
    run.event("progress", percent=35, message="Replacing")
    events = [json.loads(line) for line in (run.path / "events.jsonl").read_text().splitlines()]
    assert events[0] == {"time": "2026-06-01T12:00:00Z", "event": "answer_sent",
                         "prompt": "password", "answer": MASK}
    assert record == events[0]
    assert events[1]["percent"] == 35


def test_diagnosis_files_are_private_and_redacted(tmp_path: Path, now: dt.datetime) -> None:
    run = make(tmp_path, now)
    before = run.write_diagnosis("before", {"note": f"pw {SECRET}", "expired": ["vpxd"]})
    after = run.write_diagnosis("after", {"expired": []})
    assert before.name == "diagnosis-before.json" and after.name == "diagnosis-after.json"
    assert mode(before) == 0o600 and mode(after) == 0o600
    assert json.loads(before.read_text()) == {"note": f"pw {MASK}", "expired": ["vpxd"]}
    with pytest.raises(ValueError):
        run.write_diagnosis("during", {})


def test_backup_files_are_private_with_a_manifest(tmp_path: Path, now: dt.datetime) -> None:
    run = make(tmp_path, now)
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    path = run.backup("MACHINE_SSL_CERT.pem", pem, source="vecs-cli entry getcert",
                      kind="vecs-cert", store="MACHINE_SSL_CERT")
    run.backup("notes.txt", f"password {SECRET}".encode(), source="test")
    assert mode(path) == 0o600
    assert path.read_text() == pem
    assert SECRET not in (run.path / "backup" / "notes.txt").read_text()
    manifest = json.loads((run.path / "backup" / "manifest.json").read_text())
    assert mode(run.path / "backup" / "manifest.json") == 0o600
    assert manifest["complete"] is False
    entries = manifest["entries"]
    assert [e["file"] for e in entries] == ["MACHINE_SSL_CERT.pem", "notes.txt"]
    assert entries[0]["sha256"] == hashlib.sha256(pem.encode()).hexdigest()
    assert entries[0]["source"] == "vecs-cli entry getcert"
    assert entries[0]["kind"] == "vecs-cert" and entries[0]["store"] == "MACHINE_SSL_CERT"
    run.backup_complete(vecs_entries=1)
    manifest = json.loads((run.path / "backup" / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["counts"] == {"vecs_entries": 1}
    for bad in ("../escape", ".hidden", "manifest.json"):
        with pytest.raises(ValueError):
            run.backup(bad, "x", source="test")


def test_a_backup_file_is_never_overwritten(tmp_path: Path, now: dt.datetime) -> None:
    run = make(tmp_path, now)
    run.backup("step1-sts.old_TenantCredential-1.ldif", "first", source="fixsts")
    with pytest.raises(VcfixError, match="nothing was overwritten"):
        run.backup("step1-sts.old_TenantCredential-1.ldif", "second", source="fixsts")
    assert (run.path / "backup" / "step1-sts.old_TenantCredential-1.ldif").read_text() == "first"


def test_transcript_headers_and_commands(tmp_path: Path, fixed_clock: dt.datetime) -> None:
    run = make(tmp_path, fixed_clock)
    run.header("step 1 of 1: sts: /bin/bash /root/fixsts.sh")
    run.command("service-control --stop --all", 0, "Performing stop operation on service x...\n",
                keep=True)
    run.command("vecs-cli entry getkey --store s --alias a", 0,
                "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n", keep=False)
    lines = (run.path / "transcript.log").read_text().splitlines()
    stamp = "2026-06-01T12:00:00Z"
    assert lines == [
        f"{stamp} vcfix| ==== step 1 of 1: sts: /bin/bash /root/fixsts.sh ====",
        f"{stamp} cmd  | service-control --stop --all -> exit 0",
        f"{stamp} out | Performing stop operation on service x...",
        f"{stamp} cmd  | vecs-cli entry getkey --store s --alias a -> exit 0 "
        "(3 lines of output, not kept)",
    ]
