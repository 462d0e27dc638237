"""The interactive wizard (`vcfix` with no command on a terminal), driven through a pty."""

from __future__ import annotations

import json
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


def up_to_the_step_question(root: Path) -> pexpect.spawn:
    child = spawn(root)
    child.expect("Plan")
    child.expect("Use these values")
    child.send("y")
    child.expect("SSO administrator password")
    child.sendline(PASSWORD)
    child.expect(r"Run certificate-manager option 3 now\?")
    return child


def test_wizard_fixes_machine_ssl(tmp_path: Path) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    child = up_to_the_step_question(root)
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
    child = up_to_the_step_question(root)
    child.send("n")
    child.expect("declined")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert not tool_calls(root, "certificate-manager")
    assert lab_state.load(root)["vecs"] == before
    (run,) = (root / "var/lib/vcfix/runs").iterdir()
    last = json.loads((run / "events.jsonl").read_text().splitlines()[-1])
    assert (last["event"], last["outcome"], last["exit_code"]) == ("run_finished", "declined", 1)
    assert "| mode | interactive |" in (run / "summary.md").read_text()


def test_ctrl_c_during_the_replacement_does_not_kill_certificate_manager(tmp_path: Path) -> None:
    """Unattended: vcfix explains the risk and keeps waiting; the step completes."""
    root = fast_lab(tmp_path, "machine-ssl-expired")
    with lab_state.transaction(root) as state:
        state["settings"]["speed"] = 0.02  # slow enough to interrupt mid-way
    answers = tmp_path / "answers.yaml"
    answers.write_text("sso:\n  password: {env: VCFIX_SSO_PASSWORD}\n")
    answers.chmod(0o600)
    env = dict(os.environ, VCFIX_SSO_PASSWORD=PASSWORD, NO_COLOR="1")
    child = pexpect.spawn(sys.executable, ["-m", "vcfix", "--root", str(root), "fix",
                                           "--answers", str(answers), "--yes"],
                          env=env, encoding="utf-8", timeout=120)
    child.expect(r"Replacing Machine SSL")
    child.sendcontrol("c")
    child.expect("is replacing certificates")
    child.expect("keeps waiting")
    child.expect("the fix verified", timeout=240)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_wizard_regenerates_data_encipherment_without_a_password(tmp_path: Path) -> None:
    """No certificate-manager: no certificate values to review, no SSO password to give."""
    root = fast_lab(tmp_path, "data-encipherment-expired")
    old = lab_state.load(root)["vecs"]["data-encipherment"]
    child = spawn(root)
    child.expect("Plan")
    child.expect(r"Regenerate the data-encipherment certificate now\?")
    assert "SSO administrator password" not in (child.before or "")
    child.send("y")
    child.expect("the fix verified", timeout=240)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert lab_state.load(root)["vecs"]["data-encipherment"] != old
    assert [c["argv"][0] for c in tool_calls(root, "certool")] == ["--genkey", "--gencert"]
