"""Files vcfix writes as root cannot be bent by another user: symlinks planted by
``nobody`` in a shared sticky folder, folders of other users, umask, the appliance lock,
and fixsts.script outside --root."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import pytest
from fixlab import PASSWORD, answer_file, fast_lab, fix_cli, tool_calls

from vcfix import cli
from vcfix.appliance.lock import FixLock
from vcfix.appliance.paths import Appliance
from vcfix.errors import VcfixError
from vcfix.fix.rundir import RunDir, _write_private
from vcfix.preupgrade.snapshot import NodeSnapshot

NOBODY = 65534


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder like /tmp: world-writable with the sticky bit, reachable by nobody."""
    if os.geteuid() != 0:
        pytest.skip("planting as another user needs root")
    folder = Path(tempfile.mkdtemp(prefix="vcfix-shared-"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder)


def as_nobody(action: Callable[[], None]) -> None:
    """Run ``action`` in a forked child that is the unprivileged user nobody."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            action()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def fix(root: Path, tmp_path: Path, state: Path, *extra: str) -> int:
    return fix_cli(root, tmp_path, "--yes", *extra, state=state)


def test_state_dir_planted_as_a_symlink_is_refused(shared: Path, tmp_path: Path,
                                                   fixed_clock: dt.datetime,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    victim = tmp_path / "victim"
    victim.mkdir()
    as_nobody(lambda: os.symlink(victim, shared / "state"))
    assert fix(root, tmp_path, shared / "state") == 2
    err = capsys.readouterr().err
    assert "symbolic link" in err and "refuses" in err
    assert list(victim.iterdir()) == [] and not tool_calls(root, "certificate-manager")


def test_state_dir_of_another_user_is_refused(shared: Path, tmp_path: Path,
                                             fixed_clock: dt.datetime,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    as_nobody(lambda: os.mkdir(shared / "state", 0o700))
    assert fix(root, tmp_path, shared / "state") == 2
    assert "belongs to another user" in capsys.readouterr().err
    assert not tool_calls(root, "certificate-manager")


def test_state_dir_under_a_folder_others_can_write_is_refused(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)  # no sticky bit: anyone could swap our folder
    assert fix(root, tmp_path, open_dir / "state") == 2
    assert "can be written to by others" in capsys.readouterr().err


def test_state_dir_that_is_a_file_is_a_usage_error(tmp_path: Path, fixed_clock: dt.datetime,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    (tmp_path / "state").write_text("x")
    assert fix(root, tmp_path, tmp_path / "state") == 2
    assert "not a folder" in capsys.readouterr().err


def test_snapshot_save_replaces_a_planted_symlink(shared: Path, tmp_path: Path,
                                                  now: dt.datetime) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    as_nobody(lambda: os.symlink(victim, shared / "node.json"))
    NodeSnapshot("vcsa01", now).save(shared / "node.json")
    assert victim.read_text() == "precious"
    assert not (shared / "node.json").is_symlink()
    assert NodeSnapshot.load(shared / "node.json").host == "vcsa01"


def test_private_write_never_follows_a_planted_temp_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / ".key.tmp").symlink_to(victim)
    _write_private(tmp_path / "key", b"PRIVATE KEY")
    assert victim.read_text() == "precious"
    assert (tmp_path / "key").read_bytes() == b"PRIVATE KEY"


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_folders_are_0700_whatever_the_umask(umask: int, tmp_path: Path,
                                             now: dt.datetime) -> None:
    old = os.umask(umask)
    try:
        run = RunDir.create(tmp_path / "a" / "b" / "state", now=now)
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "state",
                   run.path.parent, run.path, run.path / "backup"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder


def test_the_lock_belongs_to_the_appliance(tmp_path: Path, fixed_clock: dt.datetime,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    with FixLock(Appliance(root).file("lock_dir"), command="vcfix fix --state-dir /other"):
        assert fix(root, tmp_path, tmp_path / "mine") == 1
    assert "already running" in capsys.readouterr().err
    assert not tool_calls(root, "certificate-manager")


def test_a_symlink_as_the_lock_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    lock_dir = tmp_path / "run"
    lock_dir.mkdir(mode=0o700)
    (lock_dir / "vcfix-fix.lock").symlink_to(victim)
    with pytest.raises(VcfixError) as info, FixLock(lock_dir):
        pass
    assert info.value.exit_code == 2 and victim.read_text() == "precious"


@pytest.mark.parametrize("where", ["dotdot", "symlink"])
def test_fixsts_script_must_be_inside_the_root(where: str, tmp_path: Path,
                                               fixed_clock: dt.datetime,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "sts-expired")
    outside = tmp_path / "evil.sh"
    outside.write_text("echo owned\n")
    if where == "symlink":
        (root / "root" / "evil.sh").symlink_to(outside)
        script = "/root/evil.sh"
    else:
        script = "/root/" + "../" * (len(root.parts) + 2) + str(outside).lstrip("/")
    answers = answer_file(tmp_path, f"fixsts:\n  script: {script}\n")
    code = cli.main(["--root", str(root), "fix", "--answers", str(answers), "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2 and "outside the appliance root" in err


def test_an_unwritable_state_dir_is_a_usage_error(shared: Path, now: dt.datetime) -> None:
    def attempt() -> None:
        state = shared / "state"
        state.mkdir(mode=0o500)
        try:
            RunDir.create(state, now=now)
        except VcfixError as exc:
            if exc.exit_code == 2 and "not writable by this user" in exc.message:
                return
            raise
        raise AssertionError("an unwritable state directory was accepted")

    as_nobody(attempt)
