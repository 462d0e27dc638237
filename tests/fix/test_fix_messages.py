"""What a fix asks and says: the password checked once, questions asked once, the outage,
notes only where they apply, and the facts when a run stops early."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from fixlab import PASSWORD, fast_lab, fix_cli, tool_calls
from scripted import Scripted

from vcfix import cli
from vcfix.answers.answer_file import Answers
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.diagnose.model import NodeInfo
from vcfix.fix.other_nodes import relevant_follow_ups
from vcfix.fix.run import FixOptions, run_fix
from vcfix.fix.step import StepContext
from vcfix.lab import state as lab_state
from vcfix.redact import Redactor
from vcfix.ui.prompts import Prompter
from vcfix.ui.style import Style

NOTES = "Before you answer certificate-manager"


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)


def fix(root: Path, tmp_path: Path, *extra: str) -> int:
    return fix_cli(root, tmp_path, *extra)


def interactive(root: Path, tmp_path: Path, typed: list,  # type: ignore[type-arg]
                dry_run: bool = False) -> Scripted:
    prompter = Scripted(typed)
    run_fix(FixOptions(root=root, answers=Answers(), prompter=prompter, style=Style(False),
                       dry_run=dry_run, state_dir=tmp_path / "state"))
    return prompter


# -- the SSO password: verified once, before anything changes ------------------------------

def test_a_wrong_password_stops_before_certificate_manager(
        tmp_path: Path, fixed_clock: dt.datetime, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", "Not-The-Passw0rd")
    root = fast_lab(tmp_path, "machine-ssl-expired")
    assert fix(root, tmp_path, "--yes") == 1
    err = capsys.readouterr().err
    assert "nothing was changed" in err and "run again with the right password" in err
    assert not tool_calls(root, "certificate-manager")
    (run,) = list((tmp_path / "state" / "runs").iterdir())  # the refusal is on record
    record = (run / "events.jsonl").read_text()
    assert '"outcome": "preflight_failed"' in record and "Not-The-Passw0rd" not in record
    assert "Not-The-Passw0rd" not in (run / "summary.md").read_text()


def test_the_labs_ldapsearch_refuses_a_wrong_sso_password(tmp_path: Path) -> None:
    root = fast_lab(tmp_path, "healthy")
    tool = Appliance(root).tool("ldapsearch")
    for password, code in ((PASSWORD, 0), ("wrong", 49)):
        secret = tmp_path / "pw"
        secret.write_text(password)
        secret.chmod(0o600)
        done = subprocess.run(
            [str(tool), "-x", "-H", "ldap://localhost:389", "-D",
             "cn=administrator,cn=users,dc=vsphere,dc=local", "-y", str(secret),
             "-b", "dc=vsphere,dc=local", "-s", "base", "(objectClass=*)", "1.1"],
            capture_output=True, text=True, check=False)
        assert done.returncode == code, done.stderr
    assert "Invalid credentials" in done.stderr


# -- the plan's outage ---------------------------------------------------------------------

def test_the_plan_states_the_total_outage_and_the_restarts(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "root-expired")  # sts, reset-all, sts, extension-thumbprints
    assert fix(root, tmp_path, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Expected outage: about 88 minutes in total" in out
    assert "1. sts: about 20 minutes; restarts after fixsts.sh: every service" in out
    assert "2. reset-all: about 45 minutes; restarts during option 8" in out
    assert "3. sts: about 20 minutes" in out
    assert "4. extension-thumbprints: about 3 minutes; restarts after the update, vmware-vpxd" \
        in out


# -- each question once; a missing script before any question ------------------------------

def test_two_sts_steps_ask_for_the_script_once_and_before_anything_else(
        tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = fast_lab(tmp_path, "root-expired")  # sts, reset-all, sts
    (root / "opt/kb").mkdir(parents=True)
    (root / "root/fixsts.sh").rename(root / "opt/kb/fixsts.sh")
    prompter = interactive(root, tmp_path, ["/opt/kb/fixsts.sh", True, PASSWORD],
                           dry_run=True)
    assert prompter.asked == ["fixsts.script", "certificate-values", "sso.password"]
    missing = prompter.said.index("fixsts.sh (VMware KB 76719) is not at /root/fixsts.sh.")
    assert missing < prompter.said.index("[asked fixsts.script]")
    assert "/opt/kb/fixsts.sh" in prompter.output


def test_a_missing_script_is_reported_before_the_password_is_used(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "sts-expired")
    (root / "root/fixsts.sh").unlink()
    assert fix(root, tmp_path, "--yes") == 1
    assert "fixsts.sh not found" in capsys.readouterr().err
    binds = [c for c in tool_calls(root, "ldapsearch") if "cn=users" in " ".join(c["argv"])]
    assert not binds


# -- messages follow the facts -------------------------------------------------------------

def test_a_fixsts_failure_says_nothing_about_rollbacks(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "sts-expired")
    with lab_state.transaction(root) as state:
        state["settings"]["fixsts_fail"] = True
    assert fix(root, tmp_path, "--yes") == 1
    out = capsys.readouterr().out
    assert "FAILED" in out
    assert "rollback" not in out.lower() and "option 7" not in out


def test_a_declined_step_says_what_was_done_and_how_to_continue(
        tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = fast_lab(tmp_path, "outage")  # sts, machine-ssl, solution-users
    prompter = interactive(root, tmp_path, [True, PASSWORD, True, False])
    out = prompter.output
    assert "Stopped: step 'machine-ssl' declined." in out
    assert "done: sts (STS signing certificate replaced" in out
    assert "not done: machine-ssl, solution-users" in out
    assert f"to continue: vcfix --root {root} fix --steps machine-ssl,solution-users" in out
    assert not tool_calls(root, "certificate-manager")


def test_ctrl_c_at_a_confirmation_says_nothing_was_changed_and_how_to_continue(
        tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = fast_lab(tmp_path, "outage")
    prompter = Scripted([True, PASSWORD, KeyboardInterrupt()])
    with pytest.raises(KeyboardInterrupt):
        run_fix(FixOptions(root=root, answers=Answers(), prompter=prompter,
                           style=Style(False), state_dir=tmp_path / "state"))
    out = prompter.output
    assert "Stopped: interrupted (Ctrl-C)." in out and "done: nothing was changed" in out
    assert f"vcfix --root {root} fix --steps sts,machine-ssl,solution-users" in out
    assert not tool_calls(root, "fixsts.sh")


# -- notes only where they apply; hints name the appliance --------------------------------

def test_certificate_manager_notes_only_when_the_operator_answers(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    assert fix(root, tmp_path, "--dry-run") == 0
    out = capsys.readouterr().out
    assert NOTES not in out
    assert "Enhanced Linked Mode" not in out  # a single node: no partners
    prompter = interactive(root, tmp_path, [True, PASSWORD], dry_run=True)
    assert NOTES in prompter.output


def test_the_elm_note_stays_when_the_node_has_partners(tmp_path: Path) -> None:
    appliance = Appliance(tmp_path)
    ctx = StepContext(appliance, Runner(appliance), Answers(), Prompter(), Redactor(),
                      NodeInfo("vcsa01.lab.example", "vsphere.local", "7.0.3", "embedded"))
    notes = ["Clients may need to re-accept it.", "With Enhanced Linked Mode, check the rest."]
    ctx.memo["other_nodes"] = "vcsa02.lab.example"
    assert relevant_follow_ups(ctx, notes) == notes
    ctx.memo["other_nodes"] = ""
    assert relevant_follow_ups(ctx, notes) == notes[:1]


def test_next_hints_keep_the_root(tmp_path: Path, fixed_clock: dt.datetime,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    cli.main(["--root", str(root), "diagnose"])
    assert f"Next: 'vcfix --root {root} fix --dry-run'" in capsys.readouterr().out


def test_unattended_values_from_certool_cfg_follow_the_same_rules(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    cfg = root / "usr/lib/vmware-vmca/share/config/certool.cfg"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("Country = US\nOrganization = " + "O" * 70 + "\n")
    assert fix(root, tmp_path, "--yes") == 2
    err = capsys.readouterr().err
    assert "nothing was changed" in err and "Organization: it is 70 characters long" in err
    assert not tool_calls(root, "certificate-manager")
