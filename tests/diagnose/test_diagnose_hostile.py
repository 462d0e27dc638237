"""``vcfix diagnose`` against hostile or broken appliances: no secret, no crash, one hint."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vcfix import cli
from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab


def wrap(tool: Path, after: str) -> None:
    """Run the real tool, then ``after`` (shell)."""
    real = tool.with_name(tool.name + ".real")
    tool.rename(real)
    tool.write_text(f'#!/bin/sh\n"{real}" "$@"\n{after}\n')
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize("after", ["exit 1", "sleep 30"])
def test_machine_password_is_never_quoted(after: str, tmp_path: Path, fixed_clock: dt.datetime,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    secret = str(lab_state.load(root)["machine_account"]["password"])
    wrap(root / "opt/likewise/bin/lwregshell", after)
    for extra in (["--json"], []):
        code = cli.main(["--root", str(root), "diagnose", "--timeout", "2", *extra])
        out, err = capsys.readouterr()
        assert code in (1, 2, 3)
        assert secret not in out + err
        assert "lwregshell" in out
        assert "dcAccountPassword" not in out + err


def test_store_names_of_any_shape(tmp_path: Path, fixed_clock: dt.datetime,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    with lab_state.transaction(root) as state:
        entries = state["vecs"]["vpxd"]
        for name in (".hidden", "a/b", "with space", "semi;colon", "-dash"):
            state["vecs"][name] = [dict(e, alias=name) for e in entries]
    code = cli.main(["--root", str(root), "diagnose", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, doc["error"]
    stores = {c["store"] for c in doc["certificates"]}
    assert {".hidden", "a/b", "with space", "semi;colon", "-dash"} <= stores


def test_vmafdd_stopped_names_the_command_once(tmp_path: Path, fixed_clock: dt.datetime,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    subprocess.run([str(root / "usr/bin/service-control"), "--stop", "vmafdd"], check=True,
                   capture_output=True)
    code = cli.main(["--root", str(root), "diagnose"])
    out = capsys.readouterr().out
    assert code == 3
    assert out.count("service-control --start vmafdd") == 1
    assert "ERROR_CANNOT_CONNECT_VMAFD" not in out and "exit code 20" not in out
    cli.main(["--root", str(root), "diagnose", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"].count("service-control --start vmafdd") == 1


def test_broken_pipe_ends_quietly(tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = create_lab(tmp_path / "lab", "sts-expired")
    for extra in ([], ["--json"]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader is gone before vcfix writes (`| head -1` after a line)
        proc = subprocess.Popen([sys.executable, "-m", "vcfix", "--root", str(root),
                                 "diagnose", *extra], stdout=write_end, stderr=subprocess.PIPE)
        os.close(write_end)
        err = proc.communicate()[1].decode()
        assert proc.returncode == 2, err  # CRITICAL, as without the pipe
        assert err == ""


def test_vendor_text_is_escaped(tmp_path: Path, fixed_clock: dt.datetime,
                                capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    with lab_state.transaction(root) as state:
        entries = state["vecs"]["vpxd"]
        state["vecs"]["evil\x1b]0;owned\x07\u202e"] = [dict(e, alias="a\x1b[2J") for e in entries]
    cli.main(["--root", str(root), "diagnose"])
    out = capsys.readouterr().out
    assert "\x1b]" not in out and "\x1b[2J" not in out and "\u202e" not in out
    assert "\x07" not in out


def spy_password_file(root: Path, record: Path, after: str) -> None:
    """ldapsearch records its -y file's path and its folder's mode, then runs."""
    wrap(root / "opt/likewise/bin/ldapsearch",
         f'prev=; for a in "$@"; do if [ "$prev" = -y ]; then echo "$a" > {record}.tmp; '
         f'stat -c %a "$(dirname "$a")" >> {record}.tmp; mv {record}.tmp {record}; fi; '
         f'prev=$a; done\n{after}')


def vcfix_process(root: Path, tmp: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TMPDIR=str(tmp))
    return subprocess.Popen([sys.executable, "-m", "vcfix", "--root", str(root), "diagnose",
                             "--timeout", "60"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_password_file_is_private_and_removed_at_exit(tmp_path: Path,
                                                      fixed_clock: dt.datetime) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    record, tmp = tmp_path / "record", tmp_path / "tmp"
    tmp.mkdir()
    spy_password_file(root, record, "")
    assert vcfix_process(root, tmp).wait() == 0
    path, mode = record.read_text().split()
    assert mode == "700" and Path(path).parent.parent == tmp
    assert list(tmp.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_password_file_is_removed_on_a_signal(sig: int, tmp_path: Path,
                                              fixed_clock: dt.datetime) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    record, tmp = tmp_path / "record", tmp_path / "tmp"
    tmp.mkdir()
    spy_password_file(root, record, "sleep 60")
    proc = vcfix_process(root, tmp)
    while not record.exists() and proc.poll() is None:
        time.sleep(0.05)
    path = Path(record.read_text().split()[0])
    assert path.exists()
    proc.send_signal(sig)
    assert proc.wait() == -sig
    assert not path.exists() and list(tmp.iterdir()) == []


def test_a_store_name_with_a_nul_byte_is_not_a_crash(tmp_path: Path, fixed_clock: dt.datetime,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    with lab_state.transaction(root) as state:
        state["vecs"]["nul\x00store"] = [dict(state["vecs"]["vpxd"][0], alias="a\x00b")]
    assert cli.main(["--root", str(root), "diagnose"]) == 3
    assert "nul\\x00store" in capsys.readouterr().out
