"""Vendor tools that misbehave: secrets in the environment, floods, lingering children.

Real scripts on disk stand in for the tools; each records what it can see
(``/proc/<pid>/environ``) or misbehaves on purpose.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from vcfix.appliance.environ import minimal_env
from vcfix.appliance.paths import Appliance
from vcfix.appliance.pty_tool import run_with_password
from vcfix.appliance.runner import Runner
from vcfix.errors import VcfixError

SECRET = "Sup3r-Secret-Pw!"
VECS = "usr/lib/vmware-vmafd/bin/vecs-cli"


def tool(root: Path, body: str, rel: str = VECS) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def environ_of(path: Path) -> dict:  # type: ignore[type-arg]
    raw = path.read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", SECRET)
    monkeypatch.setenv("SOME_TOKEN", SECRET + "-token")
    monkeypatch.setenv("VMWARE_PYTHON_PATH", "/usr/lib/vmware/site-packages")


def test_minimal_env_keeps_only_what_tools_need(secret_env: None) -> None:
    env = minimal_env({"EXTRA": "1"})
    assert "VCFIX_SSO_PASSWORD" not in env and "SOME_TOKEN" not in env
    assert env["VMWARE_PYTHON_PATH"] == "/usr/lib/vmware/site-packages"
    assert env["EXTRA"] == "1" and "PATH" in env


def test_runner_children_see_no_secret(tmp_path: Path, secret_env: None) -> None:
    record = tmp_path / "env"
    tool(tmp_path, f"cat /proc/$$/environ > {record}")
    runner = Runner(Appliance(tmp_path), timeout=30)
    for call in (lambda: runner.run("vecs-cli", []),
                 lambda: runner.run("vecs-cli", [], env={"X": "1"}),
                 lambda: runner.stream("vecs-cli", [], lambda line: None)):
        record.unlink(missing_ok=True)
        call()
        seen = environ_of(record)
        assert SECRET not in record.read_text(errors="replace")
        assert "VCFIX_SSO_PASSWORD" not in seen and "SOME_TOKEN" not in seen
        assert seen["VMWARE_PYTHON_PATH"] == "/usr/lib/vmware/site-packages"


def test_pty_children_see_no_secret(tmp_path: Path, secret_env: None) -> None:
    record = tmp_path / "env"
    path = tool(tmp_path, f"cat /proc/$$/environ > {record}\nprintf 'password: '\nread pw\n"
                "echo done")
    result = run_with_password([str(path)], "pw-answer", timeout=30, env={"X": "1"})
    assert result.prompted and "done" in result.output
    seen = environ_of(record)
    assert "VCFIX_SSO_PASSWORD" not in seen and "SOME_TOKEN" not in seen and seen["X"] == "1"


def test_a_50_mb_line_is_neither_kept_whole_nor_quoted(tmp_path: Path) -> None:
    tool(tmp_path, "head -c 50000000 /dev/zero | tr '\\0' x\necho 'Error 5: boom' >&2\n"
         "head -c 50000000 /dev/zero | tr '\\0' y >&2\nexit 1")
    with pytest.raises(VcfixError) as info:
        Runner(Appliance(tmp_path), timeout=60).run("vecs-cli", ["store", "list"])
    assert len(info.value.render()) < 5000
    assert len(info.value.one_line()) < 5000


def test_too_much_output_is_refused_not_parsed(tmp_path: Path) -> None:
    tool(tmp_path, "head -c 40000000 /dev/zero | tr '\\0' x")
    with pytest.raises(VcfixError, match="printed more than 32 MiB") as info:
        Runner(Appliance(tmp_path), timeout=60).run("vecs-cli", ["store", "list"])
    assert len(info.value.render()) < 1000


def test_stream_cuts_endless_lines(tmp_path: Path) -> None:
    tool(tmp_path, "echo first\nhead -c 5000000 /dev/zero | tr '\\0' x\necho\necho last")
    seen: list = []  # type: ignore[type-arg]
    Runner(Appliance(tmp_path), timeout=60).stream("vecs-cli", [], seen.append)
    assert seen[0] == "first" and seen[-1] == "last" and len(seen) == 3
    assert all(len(line) <= 4096 for line in seen)


def test_a_child_left_holding_the_output_does_not_block(tmp_path: Path) -> None:
    # The tool exits at once, but its child keeps stdout open for 30 s: vcfix takes the
    # output at the deadline (1 s) and kills the group, instead of waiting for EOF.
    tool(tmp_path, "sleep 30 &\necho hello")
    done = Runner(Appliance(tmp_path), timeout=1).run("vecs-cli", [])
    assert done.returncode == 0 and done.stdout.strip() == "hello"


def test_a_hung_tool_and_its_children_are_killed(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    tool(tmp_path, f"sleep 30 &\necho $! > {pids}\necho started\nsleep 30")
    with pytest.raises(VcfixError, match="did not finish within 1 s") as info:
        Runner(Appliance(tmp_path), timeout=1).run("vecs-cli", [])
    assert "started" in info.value.render()
    assert_killed(int(pids.read_text()))


def assert_killed(pid: int) -> None:
    """``pid`` is gone or a zombie (SIGKILL was sent; a busy kernel may take a moment)."""
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists() or "Z" in _state(pid):
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still runs ({_state(pid)})")


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except OSError:
        return "Z"


def test_quoted_output_is_escaped(tmp_path: Path) -> None:
    tool(tmp_path, "printf 'Error \\033]0;owned\\007 \\342\\200\\256evil\\n' >&2\nexit 3")
    with pytest.raises(VcfixError) as info:
        Runner(Appliance(tmp_path), timeout=30).run("vecs-cli", [])
    shown = info.value.render()
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\\x1b]0;owned\\x07" in shown and "\\u202e" in shown
    assert os.linesep not in info.value.one_line()


@pytest.mark.parametrize("ending", ["exit 1", "sleep 30"])
def test_sensitive_output_is_never_quoted(ending: str, tmp_path: Path) -> None:
    tool(tmp_path, "echo '-----BEGIN PRIVATE KEY-----'\necho MIIEvSECRETKEY\n"
         f"echo 'Error 5: denied' >&2\n{ending}")
    with pytest.raises(VcfixError) as info:
        Runner(Appliance(tmp_path), timeout=1).run("vecs-cli", ["entry", "getkey"],
                                                   sensitive=True)
    shown = info.value.render()
    assert "SECRETKEY" not in shown and "PRIVATE KEY" not in shown
    assert "Error 5: denied" in shown


def test_output_is_decoded_as_before(tmp_path: Path) -> None:
    tool(tmp_path, "printf 'a\\r\\nb\\rc\\377\\n'")
    done = Runner(Appliance(tmp_path), timeout=30).run("vecs-cli", [])
    assert done.stdout == "a\nb\nc\ufffd\n"


def test_a_pty_tool_leaving_a_child_on_its_terminal_is_killed_with_it(tmp_path: Path) -> None:
    """The child keeps the pty open, so no end of output ever comes: at the timeout vcfix
    kills the tool's whole process group (its own session), not just the tool."""
    pids = tmp_path / "pids"
    path = tool(tmp_path, "printf 'password: '\nread pw\ntrap '' HUP\nsleep 60 &\n"
                          f"echo $! > {pids}\necho done\nsleep 60")  # deaf to the hang-up
    with pytest.raises(VcfixError, match="did not finish within 1 s"):
        run_with_password([str(path)], "pw-answer", prompt_timeout=30, timeout=1)
    assert_killed(int(pids.read_text()))
