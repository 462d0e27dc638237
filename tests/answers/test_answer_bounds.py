"""Hostile answer files and password files: bounded, refused with a message naming the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vcfix.answers.answer_file import load_answer_file
from vcfix.errors import VcfixError


def answers(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def refused(path: Path) -> VcfixError:
    with pytest.raises(VcfixError) as info:
        load_answer_file(path)
    assert info.value.exit_code == 2
    assert str(path) in info.value.message
    return info.value


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    error = refused(answers(tmp_path, "\n".join(lines) + "\n"))
    assert "anchor or alias" in error.message


def test_an_alias_is_refused(tmp_path: Path) -> None:
    text = "certificate:\n  name: &n CA\n  organization: *n\n"
    assert "anchor or alias" in refused(answers(tmp_path, text)).message


def test_deep_nesting_is_refused_without_recursion(tmp_path: Path) -> None:
    text = "sso: " + "[" * 100000 + "]" * 100000 + "\n"
    assert "nests deeper" in refused(answers(tmp_path, text)).message


def test_a_huge_file_is_refused(tmp_path: Path) -> None:
    text = "# " + "x" * (1024 * 1024) + "\nsteps: auto\n"
    assert "larger than 1 MiB" in refused(answers(tmp_path, text)).message


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    path = answers(tmp_path, "")
    path.write_bytes(b"sso:\n  username: \xff\xfe\n")
    assert "not UTF-8" in refused(path).message


def pw_answers(tmp_path: Path, pw: Path) -> Path:
    return answers(tmp_path, f"sso:\n  password: {{file: '{pw}'}}\n")


def test_password_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pw.fifo"
    os.mkfifo(fifo, 0o600)
    assert "not a regular file" in refused(pw_answers(tmp_path, fifo)).message


@pytest.mark.parametrize("target", ["/dev/zero", "DIR"])
def test_password_device_or_directory_is_refused(target: str, tmp_path: Path) -> None:
    path = tmp_path if target == "DIR" else Path(target)
    assert "not a regular file" in refused(pw_answers(tmp_path, path)).message


def test_password_file_too_large_is_refused(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("x" * 5000)
    pw.chmod(0o600)
    assert "larger than 4096 bytes" in refused(pw_answers(tmp_path, pw)).message


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_password_file_readable_by_others_is_refused(mode: int, tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("secret\n")
    pw.chmod(mode)
    assert "chmod 600" in refused(pw_answers(tmp_path, pw)).message


def test_private_password_file_is_accepted(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("secret\n")
    pw.chmod(0o400)
    assert load_answer_file(pw_answers(tmp_path, pw)).get("sso.password") == "secret"
