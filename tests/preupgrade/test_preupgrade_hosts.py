"""``vcfix preupgrade`` over several hosts, as far as it goes without an SSH server: a node
not checked is never SAFE, the options, the password asked before any node. The runs
over lab nodes behind a real sshd are in ``tests/remote``."""

from __future__ import annotations

import dataclasses
import json
import socket
from pathlib import Path
from typing import List, Tuple

import pytest

from tests.preupgrade.test_preupgrade_rules import ring
from vcfix import cli
from vcfix.commands import preupgrade
from vcfix.commands.preupgrade_hosts import file_name
from vcfix.lab import state as lab_state
from vcfix.preupgrade.render import render_json, render_text
from vcfix.preupgrade.rules import BLOCKED, SAFE, UNKNOWN, evaluate

PASSWORD = lab_state.LAB_SSO_PASSWORD


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(preupgrade, "interactive", lambda: False)
    path = tmp_path / "answers.yaml"
    path.write_text(f"sso:\n  password: '{PASSWORD}'\n")
    path.chmod(0o600)
    return path


def test_a_node_not_checked_is_never_safe() -> None:
    snaps = ring("vc1", "vc2")
    assert evaluate(snaps).verdict == SAFE
    verdict = evaluate(snaps, ["root@vc3: not checked: connection refused"])
    assert (verdict.verdict, verdict.exit_code) == (UNKNOWN, 3)
    assert verdict.unknowns == ("root@vc3: not checked: connection refused",)
    assert "  - root@vc3: not checked: connection refused" in render_text(verdict, snaps, False)
    read_only = dataclasses.replace(snaps[0], vmdir_state="Read only")
    blocked = evaluate([read_only, snaps[1]], ["root@vc3: not checked: timed out"])
    assert blocked.verdict == BLOCKED  # a blocking finding still says NOT SAFE


def test_json_lists_the_nodes_not_reached() -> None:
    snaps = ring("vc1", "vc2")
    verdict = evaluate(snaps, ["root@vc3: not checked: refused"])
    doc = render_json(verdict, snaps, not_reached=[{"host": "root@vc3", "error": "refused"}])
    assert doc["not_reached"] == [{"host": "root@vc3", "error": "refused"}]
    assert "not_reached" not in render_json(verdict, snaps)  # --merge: as before


def test_no_node_reached_is_unknown(capsys: pytest.CaptureFixture[str], answers: Path) -> None:
    a, b = f"127.0.0.1:{closed_port()}", f"127.0.0.1:{closed_port()}"
    code, out, err = run(capsys, "--host", a, "--host", b, "preupgrade", "--answers",
                         str(answers))
    assert (code, out) == (3, "")
    assert "no node of the domain could be checked" in err
    assert f"root@{a}: root@{a}" in err and f"root@{b}: root@{b}" in err  # each with its reason
    assert PASSWORD not in err


def test_the_password_is_needed_before_any_node(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preupgrade, "interactive", lambda: False)
    code, _out, err = run(capsys, "--host", f"127.0.0.1:{closed_port()}", "--host",
                          f"127.0.0.1:{closed_port()}", "preupgrade")
    assert code == 4 and "sso.password" in err and "could be checked" not in err


@pytest.mark.parametrize("extra, message", [
    (["--save", "x.json"], "--save does not go with several hosts"),
    (["--merge", "a.json"], "--merge does not go with several hosts"),
    (["--max-age", "1h"], "--max-age applies to --merge only"),
])
def test_options_that_do_not_go_with_several_hosts(
        extra: List[str], message: str, capsys: pytest.CaptureFixture[str],
        answers: Path) -> None:
    code, _out, err = run(capsys, "--host", "vc1", "--host", "vc2", "preupgrade",
                          "--answers", str(answers), *extra)
    assert code == 2 and message in err


def test_save_dir_is_for_several_hosts(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       answers: Path) -> None:
    code, _out, err = run(capsys, "--root", str(tmp_path), "preupgrade", "--answers",
                          str(answers), "--save-dir", str(tmp_path / "snaps"))
    assert code == 2 and "for one node use --save FILE" in err
    code, _out, err = run(capsys, "preupgrade", "--merge", "a.json", "--save-dir", "d")
    assert code == 2 and "--save-dir does not apply" in err


def test_save_dir_must_be_makeable(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   answers: Path) -> None:
    code, _out, err = run(capsys, "--host", "vc1", "--host", "vc2", "preupgrade", "--answers",
                          str(answers), "--save-dir", str(tmp_path / "no" / "such"))
    assert code == 2 and "--save-dir" in err and "cannot make the folder" in err


@pytest.mark.parametrize("host, name", [
    ("VCSA01.Corp.Example.", "vcsa01.corp.example"), ("../../etc/x", "_.._etc_x"),
    ("...", "node"), ("fe80::1", "fe80__1"),
])
def test_snapshot_file_names(host: str, name: str) -> None:
    assert file_name(host) == name


def test_json_dump_of_not_reached_is_plain() -> None:
    snaps = ring("vc1", "vc2")
    doc = render_json(evaluate(snaps), snaps, not_reached=[])
    assert json.loads(json.dumps(doc))["not_reached"] == []
