"""``vcfix fix`` with hostile neighbours: secrets in the environment, odd store names."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from fixlab import PASSWORD, fast_lab, files_containing, fix_cli, only_run_dir

from vcfix.lab import state as lab_state


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))  # crash reports, if any


def spy(tool: Path, record: Path) -> None:
    """Record the tool's environment (/proc/PID/environ), then run the real tool."""
    real = tool.with_name(tool.name + ".real")
    tool.rename(real)
    tool.write_text(f'#!/bin/sh\ncat /proc/$$/environ >> {record}\necho >> {record}\n'
                    f'exec "{real}" "$@"\n')
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


def fix(root: Path, tmp_path: Path) -> int:
    return fix_cli(root, tmp_path, "--yes")


def test_no_child_sees_the_sso_password(tmp_path: Path, fixed_clock: dt.datetime,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    record = tmp_path / "environ"
    spy(root / "usr/lib/vmware-vmca/bin/certificate-manager", record)  # the dialog driver
    spy(root / "usr/lib/vmware-vmafd/bin/vecs-cli", record)  # Runner
    assert fix(root, tmp_path) == 0, capsys.readouterr()
    seen = record.read_bytes()
    assert seen.count(b"\n") > 5  # both tools ran, several times
    assert PASSWORD.encode() not in seen and b"VCFIX_SSO_PASSWORD" not in seen


def test_store_and_alias_names_of_any_shape_do_not_crash(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    names = [".hidden", "a/b", "with space", "semi;colon", "..", "-dash"]
    with lab_state.transaction(root) as state:
        [entry] = state["vecs"]["vpxd"]
        for name in names:
            state["vecs"][name] = [dict(entry, alias=name)]
    code = fix(root, tmp_path)
    out, err = capsys.readouterr()
    assert code == 0, err
    backup = only_run_dir(tmp_path / "state") / "backup"
    assert all(p.parent == backup for p in backup.rglob("*"))  # nothing outside backup/
    assert len(list(backup.iterdir())) > 2 * len(names)
    assert not files_containing(tmp_path / "state", PASSWORD)
