"""The interactive wizard (`vcfix` with no command on a terminal), driven through a pty."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
from fixlab import PASSWORD, fast_lab, files_containing, tool_calls

from vcfix.lab import state as lab_state


def spawn(root: Path) -> pexpect.spawn:
    env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1",
               COLUMNS="120", LINES="50")
    env.pop("VCFIX_SSO_PASSWORD", None)
    return pexpect.spawn(sys.executable, ["-m", "vcfix", "--root", str(root)], env=env,
                         encoding="utf-8", timeout=60, dimensions=(50, 120))


def test_wizard_fixes_machine_ssl(tmp_path: Path) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    child = spawn(root)
    child.expect("Plan")
    child.expect("Use these values")
    child.send("y")
    child.expect("SSO administrator password")
    child.sendline(PASSWORD)
    child.expect(r"Run certificate-manager option 3 now\?")
    child.send("y")
    child.expect("the fix verified", timeout=240)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert PASSWORD not in (child.before or "")
    state = lab_state.load(root)
    assert state["vecs"]["BACKUP_STORE"]  # certificate-manager really ran
    assert not files_containing(root / "var/lib/vcfix", PASSWORD)


def test_ctrl_c_at_a_question_aborts_cleanly(tmp_path: Path) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    child = spawn(root)
    child.expect("Use these values")
    child.send("y")
    child.expect("SSO administrator password")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in (child.before or "")
    assert not tool_calls(root, "certificate-manager")
    assert not (root / "var/lib/vcfix/runs").exists()


def test_declining_the_step_changes_nothing(tmp_path: Path) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    before = lab_state.load(root)["vecs"]
    child = spawn(root)
    child.expect("Use these values")
    child.send("y")
    child.expect("SSO administrator password")
    child.sendline(PASSWORD)
    child.expect(r"Run certificate-manager option 3 now\?")
    child.send("n")
    child.expect("declined")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert not tool_calls(root, "certificate-manager")
    assert lab_state.load(root)["vecs"] == before
