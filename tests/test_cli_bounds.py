"""Numeric options: 0 or less where meaningless, NaN, infinity and absurd values are a
usage error (exit 2), never a crash."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from vcfix import cli
from vcfix.lab.build import create_lab

BAD_SECONDS = ["0", "-1", "nan", "NaN", "inf", "-inf", "1e400", "1e12", "x"]


def usage_error(argv: list, capsys: pytest.CaptureFixture[str]) -> str:  # type: ignore[type-arg]
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("value", BAD_SECONDS)
@pytest.mark.parametrize("argv", [["diagnose", "--timeout"], ["fix", "--prompt-timeout"],
                                  ["fix", "--step-timeout"],
                                  ["preupgrade", "--resample-after"]])
def test_bad_seconds(argv: list, value: str,  # type: ignore[type-arg]
                     capsys: pytest.CaptureFixture[str]) -> None:
    if argv[-1] == "--resample-after" and value == "0":
        return  # 0: do not wait (meaningful)
    assert argv[-1] in usage_error([*argv, value], capsys)


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1e9", "1000000000", "2.5"])
def test_bad_warn_days(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert "--warn-days" in usage_error(["diagnose", "--warn-days", value], capsys)


def test_largest_warn_days_does_not_crash(tmp_path: Path, fixed_clock: dt.datetime,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    assert cli.main(["--root", str(root), "diagnose", "--warn-days", "36500"]) in (1, 2)
