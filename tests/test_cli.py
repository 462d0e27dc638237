"""The entry point: crash reports, usage, and the README/CI agreement."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from vcfix import cli

ROOT = Path(__file__).resolve().parent.parent


def test_a_bug_prints_a_crash_report_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))

    def broken(args: argparse.Namespace) -> int:
        raise RuntimeError("boom")

    from vcfix.commands import diagnose

    monkeypatch.setattr(diagnose, "run", broken)  # registered when main() builds its parser
    assert cli.main(["diagnose"]) == 70
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (report,) = (tmp_path / "vcfix" / "crash").iterdir()
    assert str(report) in err
    assert "RuntimeError: boom" in report.read_text()
    assert report.stat().st_mode & 0o077 == 0


def test_no_command_without_a_terminal_is_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "diagnose" in capsys.readouterr().err


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme[readme.index("## Quick start"):readme.index("## Usage")]
    commands = re.findall(r"```sh\n(.+?)\n```", quick)
    assert len(commands) == 2  # install + lab + diagnose; tests
    assert "vcfix lab create" in commands[0] and "diagnose" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert commands[1] in ci
