"""The dialog driver against fake dialog programs (scripted_tool.py beside it)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from vcfix.answers.answer_file import Answers, MissingAnswer, load_answer_file
from vcfix.errors import EXIT_MISSING_ANSWER, VcfixError
from vcfix.fix.dialog import driver, playbook
from vcfix.fix.dialog.driver import DialogResult, run_dialog
from vcfix.fix.dialog.match import OutputScanner, check_answers, describe_dialog
from vcfix.fix.rundir import RunDir
from vcfix.redact import MASK, Redactor

FIXTURE = Path(__file__).parent / "scripted_tool.py"
PNID = "vcsa01.corp.example"
SECRET = "S3cret!pw"
STATUS_OK = "\rStatus : 100% Completed [All tasks completed successfully]\n"

ANSWER_FILE = """\
sso:
  password: {{file: {pw}}}
certificate:
  country: US
  name: CA
  organization: VMware
  org_unit: VMware Engineering
  state: California
  locality: Palo Alto
  ip_address: ""
  email: email@acme.com
  aliases: [vcsa01-alias.corp.example]
"""


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(driver, "SETTLE", 0.01)
    monkeypatch.setattr(driver, "END_WAIT", 0.3)
    monkeypatch.setattr(driver, "SEND_DELAY", 0.0)


@dataclass
class Run:
    result: DialogResult
    rundir: RunDir
    records: List[Dict[str, str]]
    progress: List[Tuple[int, str]] = field(default_factory=list)
    events: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def answers_given(self) -> List[str]:
        return [r["answer"] for r in self.records]

    @property
    def transcript(self) -> str:
        return (self.rundir.path / "transcript.log").read_text()


def make_answers(tmp_path: Path, text: str = ANSWER_FILE) -> Answers:
    pw = tmp_path / "sso.pw"
    pw.write_text(SECRET + "\n")
    pw.chmod(0o600)  # a password file others can read is refused
    path = tmp_path / "answers.yaml"
    path.write_text(text.format(pw=pw))
    return load_answer_file(path).with_context(pnid=PNID, domain="vsphere.local")


def assert_no_secret_in(directory: Path) -> None:
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path


def drive(tmp_path: Path, name: str, script: List[Dict[str, Any]], *,
          answers: Optional[Answers] = None, **kwargs: Any) -> Run:
    script_path = tmp_path / "script.json"
    script_path.write_text(json.dumps(script))
    record = tmp_path / "record.jsonl"
    redactor = Redactor()
    rundir = RunDir.create(tmp_path / "state", redactor)
    progress: List[Tuple[int, str]] = []
    events: List[Dict[str, Any]] = []
    kwargs.setdefault("confirmed", True)
    kwargs.setdefault("prompt_timeout", 1.0)
    result = run_dialog(
        playbook.load(name), [sys.executable, str(FIXTURE), str(script_path), str(record)],
        answers or make_answers(tmp_path), redactor=redactor, rundir=rundir,
        on_progress=lambda p, m: progress.append((p, m)), on_event=events.append, **kwargs)
    records = [json.loads(line) for line in record.read_text().splitlines()] \
        if record.exists() else []
    assert_no_secret_in(rundir.path)
    assert SECRET not in json.dumps(result.__dict__)
    return Run(result, rundir, records, progress, events)


def password_file(tmp_path: Path, content: str = SECRET) -> str:
    path = tmp_path / "expected.pw"
    path.write_text(content)
    return str(path)


def intro(tmp_path: Path, option: int, **secret_options: Any) -> List[Dict[str, Any]]:
    return [
        {"say": "    *** Welcome to the vSphere 7.0 Certificate Manager ***"},
        {"say": "Note : Use Ctrl-D to exit."},
        {"ask": "Option[1 to 8]: ", "expect": str(option)},
        {"say": "Please provide valid SSO and VC privileged user credential to perform "
                "certificate operations."},
        {"ask": "Enter username [Administrator@vsphere.local]:"},
        {"secret": "Enter password:", "password_file": password_file(tmp_path),
         **secret_options},
    ]


FIELDS = [
    {"ask": "Enter proper value for 'Country' [Default value : US] : "},
    {"ask": "Enter proper value for 'Name' [Default value : CA] : "},
    {"ask": "Enter proper value for 'Organization' [Default value : VMware] : "},
    {"ask": "Enter proper value for 'OrgUnit' [optional] : "},
    {"ask": "Enter proper value for 'State' [Default value : California] : "},
    {"ask": "Enter proper value for 'Locality' [Default value : Palo Alto] : "},
    {"ask": "Enter proper value for 'IPAddress' [optional] : "},
    {"ask": "Enter proper value for 'Email' [Default value : email@acme.com] : "},
    {"ask": "Enter proper value for 'Hostname' (Provide comma separated values for multiple "
            "Hostname entries) [Enter valid Fully Qualified Domain Name(FQDN), For Example : "
            "example.domain.com] : "},
    {"ask": "Enter proper value for VMCA 'Name' :"},
]

CONFIRM = [
    {"say": "You are going to regenerate Machine SSL cert using VMCA"},
    {"ask": "Continue operation : Option[Y/N] ? : ", "expect": "Y"},
]


def option3(tmp_path: Path, after: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return intro(tmp_path, 3) + [{"say": "Please configure certool.cfg with proper values "
                                         "before proceeding to next step."}] \
        + FIELDS + CONFIRM + after


# -- success --------------------------------------------------------------------------------------

def test_option3_success_with_progress_redrawn_by_carriage_returns(tmp_path: Path) -> None:
    run = drive(tmp_path, "machine-ssl", option3(tmp_path, [
        {"raw": "\rStatus : 0% Completed [Starting]"},
        {"raw": "\rStatus : 35% Completed [Replacing Machine SSL Cert...]"},
        {"raw": "\rStatus : 35% Completed [Replacing Machine SSL Cert...]"},
        {"raw": "\rStatus : 85% Completed [Restarting services]"},
        {"raw": STATUS_OK},
    ]))
    assert run.result.ok, run.result.reason
    assert run.result.exit_status == 0 and run.result.failure_kind is None
    assert run.result.operation_started and not run.result.rolled_back
    assert run.progress == [(0, "Starting"), (35, "Replacing Machine SSL Cert..."),
                            (85, "Restarting services"), (100, "All tasks completed successfully")]
    assert run.answers_given == [
        "3", "administrator@vsphere.local", "<right>", "US", "CA", "VMware",
        "VMware Engineering", "California", "Palo Alto", "", "email@acme.com",
        f"{PNID},vcsa01-alias.corp.example", PNID, "Y"]
    assert f"sent| {MASK}" in run.transcript
    assert "out | Status : 35% Completed [Replacing Machine SSL Cert...]" in run.transcript
    names = [e["event"] for e in run.events]
    assert names[0] == "tool_started" and names[-1] == "tool_finished"
    assert {"event": "answer_sent", "prompt": "password", "answer": MASK}.items() <= \
        next(e for e in run.events if e.get("prompt") == "password"
             and e["event"] == "answer_sent").items()


def test_option6_prompts_out_of_order_repeated_and_optional(tmp_path: Path) -> None:
    pw = password_file(tmp_path)
    script = [
        {"say": "Note : Use Ctrl-D to exit."},
        {"ask": "Option[1 to 8]: ", "expect": "6"},
        {"ask": "Enter IP address or host name of the Platform Services Controller : "},
        {"secret": "Enter password:", "password_file": pw},
        {"ask": "Enter username [Administrator@vsphere.local]:"},
        {"ask": "certool.cfg file exists, Do you wish to reconfigure : Option[Y/N] ? : ",
         "expect": "Y"},
        {"ask": "Enter proper value for 'State' [Previous value : California] : "},
        {"ask": "Enter proper value for 'Country' [Previous value : US] : "},
        {"ask": "Enter proper value for 'Country' [Previous value : US] : "},
        {"say": "You are going to regenerate Solution User Certificates using VMCA"},
        {"ask": "Continue operation : Option[Y/N] ? : ", "expect": "Y"},
        {"raw": STATUS_OK},
    ]
    text = ANSWER_FILE + "psc:\n  address: psc01.corp.example\n"
    run = drive(tmp_path, "solution-users", script, answers=make_answers(tmp_path, text))
    assert run.result.ok, run.result.reason
    assert run.answers_given == ["6", "psc01.corp.example", "<right>",
                                 "administrator@vsphere.local", "Y", "California", "US", "US",
                                 "Y"]
    assert run.result.prompts_seen["country"] == 2


def test_option8_answers_the_configuration_file_question_with_y(tmp_path: Path) -> None:
    script = [{"ask": "Option[1 to 8]: ", "expect": "8"},
              {"ask": "Do you wish to generate all certificates using configuration file : "
                      "Option[Y/N] ? : ", "expect": "Y"}] + intro(tmp_path, 8)[3:] + FIELDS + [
        {"say": "You are going to reset by regenerating Root Certificate and replace all "
                "certificates using VMCA"},
        {"ask": "Continue operation : Option[Y/N] ? : ", "expect": "Y"},
        {"raw": STATUS_OK}]
    run = drive(tmp_path, "reset-all", script)
    assert run.result.ok, run.result.reason
    assert run.answers_given[:2] == ["8", "Y"]


def test_a_return_to_the_menu_after_success_is_not_answered(tmp_path: Path) -> None:
    run = drive(tmp_path, "machine-ssl", option3(tmp_path, [
        {"raw": STATUS_OK}, {"ask": "Option[1 to 8]: "}]))
    assert run.result.ok and "left unanswered" in run.result.reason
    assert run.answers_given.count("3") == 1


def test_fixsts_success_needs_all_three_lines(tmp_path: Path) -> None:
    lines = ['adding new entry "cn=TenantCredential-1,cn=vsphere.local,cn=Tenants"',
             'adding new entry "cn=TrustedCertChain-1,cn=TrustedCertificateChains"',
             "Replacement finished - Please restart services on all vCenters and PSCs"]
    head = [{"say": "Detected DN: cn=vcsa01.corp.example,ou=Domain Controllers"},
            {"say": "Detected SSO domain name: vsphere.local"},
            {"secret": "Enter password for administrator@vsphere.local: ",
             "password_file": password_file(tmp_path)}]
    run = drive(tmp_path, "fixsts", head + [{"say": line} for line in lines])
    assert run.result.ok, run.result.reason
    missing = drive(tmp_path, "fixsts", head + [{"say": lines[0]}, {"say": lines[2]}])
    assert not missing.result.ok and missing.result.failure_kind == "no_success"
    assert 'adding new entry "cn=TrustedCertChain-' in missing.result.reason


def test_fixsts_wrong_password_fails_on_the_ldap_error(tmp_path: Path) -> None:
    script = [{"secret": "Enter password for administrator@vsphere.local: ",
               "password_file": password_file(tmp_path, "another"), "check": False},
              {"say": "ldap_bind: Invalid credentials (49)"},
              {"say": "Replacement finished - Please restart services"}]
    run = drive(tmp_path, "fixsts", script)
    assert not run.result.ok and run.result.failure_kind == "credentials"
    assert "Invalid credentials" in run.result.reason


def test_fixsts_is_not_started_without_confirmation(tmp_path: Path) -> None:
    with pytest.raises(VcfixError, match="was not confirmed"):
        drive(tmp_path, "fixsts", [{"say": "should never run"}], confirmed=False)
    assert not (tmp_path / "record.jsonl").exists()


# -- failures -------------------------------------------------------------------------------------

def test_rollback_is_reported_with_its_lines(tmp_path: Path) -> None:
    run = drive(tmp_path, "machine-ssl", option3(tmp_path, [
        {"raw": "\rStatus : 30% Completed [Replacing Machine SSL Cert...]"},
        {"raw": "\rStatus : 60% Completed [Operation failed, performing automatic rollback]\n"},
        {"say": "Performing rollback of Machine SSL Cert..."},
        {"say": "Rollback completed successfully"},
        {"exit": 1}]))
    result = run.result
    assert not result.ok and result.failure_kind == "rollback" and result.rolled_back
    assert "Operation failed, performing automatic rollback" in result.reason
    assert "rollback complete" in result.reason
    assert result.last_lines[-2:] == ["Performing rollback of Machine SSL Cert...",
                                      "Rollback completed successfully"]
    assert result.exit_status == 1


def test_error_while_names_the_log(tmp_path: Path) -> None:
    log = "/var/log/vmware/vmcad/certificate-manager-7.log"
    run = drive(tmp_path, "machine-ssl", option3(tmp_path, [
        {"raw": "\rStatus : 50% Completed [Replacing Machine SSL Cert...]\n"},
        {"say": f"Error while replacing Machine SSL Cert, please see {log} for more "
                "information."},
        {"exit": 1}]))
    assert not run.result.ok and run.result.failure_kind == "error"
    assert run.result.log_path == log and not run.result.rolled_back
    assert "Error while replacing Machine SSL Cert" in run.result.reason


def test_refused_password_message_is_not_retried(tmp_path: Path) -> None:
    script = intro(tmp_path, 3, tries=3,
                   refuse="Incorrect Password! Try Again! (2 attempt/s left)") + FIELDS
    script[5]["password_file"] = password_file(tmp_path, "not the answer")
    run = drive(tmp_path, "machine-ssl", script)
    assert not run.result.ok and run.result.failure_kind == "credentials"
    assert run.answers_given.count("<wrong>") == 1
    assert "never retries" in run.result.reason and "nothing was changed" in run.result.reason
    assert not run.result.operation_started


def test_a_second_password_prompt_means_refused(tmp_path: Path) -> None:
    script = intro(tmp_path, 3, tries=2) + FIELDS
    script[5]["password_file"] = password_file(tmp_path, "not the answer")
    run = drive(tmp_path, "machine-ssl", script)
    assert not run.result.ok and run.result.failure_kind == "credentials"
    assert run.answers_given.count("<wrong>") == 1
    assert "asked for the password again" in run.result.reason


def test_validation_reasks_beyond_max_repeats_fail_quoting_the_tool(tmp_path: Path) -> None:
    script = intro(tmp_path, 3) + [
        {"ask": "Enter proper value for 'Country' [Default value : US] : ",
         "valid": "[A-Z]{3}", "error": "Enter valid 2 letter country code"}]
    run = drive(tmp_path, "machine-ssl", script)
    assert not run.result.ok and run.result.failure_kind == "repeated"
    assert "Enter valid 2 letter country code" in run.result.reason
    assert run.answers_given.count("US") == 2
    assert not run.result.operation_started


def test_early_exit_names_what_was_never_asked(tmp_path: Path) -> None:
    script = intro(tmp_path, 3)[:5] + [{"say": "Unable to reach the Lookup Service"},
                                       {"exit": 0}]
    run = drive(tmp_path, "machine-ssl", script)
    assert not run.result.ok and run.result.failure_kind == "early_exit"
    assert "before the operation started" in run.result.reason
    assert "SSO administrator password" in run.result.reason
    assert run.result.last_lines[-1] == "Unable to reach the Lookup Service"


def test_non_zero_exit_fails_even_after_the_success_line(tmp_path: Path) -> None:
    run = drive(tmp_path, "machine-ssl", option3(tmp_path, [{"raw": STATUS_OK}, {"exit": 2}]))
    assert not run.result.ok and run.result.failure_kind == "exit_status"
    assert run.result.exit_status == 2 and "exited with status 2" in run.result.reason


def test_missing_success_line_fails(tmp_path: Path) -> None:
    run = drive(tmp_path, "machine-ssl", option3(tmp_path, [
        {"raw": "\rStatus : 90% Completed [Restarting services]\n"}]))
    assert not run.result.ok and run.result.failure_kind == "no_success"
    assert "All tasks completed successfully" in run.result.reason


def test_unrecognised_prompt_stops_quotes_it_and_ends_the_tool(tmp_path: Path) -> None:
    question = "Do you accept the new license terms? [yes/no]:"
    script = intro(tmp_path, 3)[:5] + [{"ask": question + " "}, {"say": "accepted"}]
    run = drive(tmp_path, "machine-ssl", script, prompt_timeout=0.5)
    result = run.result
    assert not result.ok and result.failure_kind == "unrecognised"
    assert result.unrecognised_prompt == question
    assert question in result.reason and "nothing was changed" in result.reason
    assert len(run.records) == 2  # menu and username; the question was never answered
    assert result.exit_status == 1  # it read EOF (Ctrl-D) and ended
    assert "vcfix| ending certificate-manager: Ctrl-D" in run.transcript


def test_a_tool_ignoring_ctrl_d_and_sigterm_is_killed(tmp_path: Path) -> None:
    run = drive(tmp_path, "machine-ssl", [{"stubborn": True}, {"ask": "Proceed anyway? "}],
                prompt_timeout=0.3)
    assert run.result.failure_kind == "unrecognised"
    assert "ending certificate-manager: SIGKILL" in run.transcript
    assert run.result.exit_status is None  # killed by a signal


def test_long_silence_within_the_deadline_is_tolerated(tmp_path: Path) -> None:
    run = drive(tmp_path, "machine-ssl", option3(tmp_path, [
        {"raw": "\rStatus : 75% Completed [Restarting services]"},
        {"sleep": 0.9},
        {"say": ""}, {"say": "Starting services..."},
        {"sleep": 0.7},
        {"raw": STATUS_OK}]), prompt_timeout=0.3)
    assert run.result.ok, run.result.reason


def test_overall_deadline_ends_the_tool_and_warns(tmp_path: Path) -> None:
    script = [{"ask": "Option[1 to 8]: "}, *CONFIRM,
              {"raw": "\rStatus : 75% Completed [Restarting services]"}, {"sleep": 20}]
    run = drive(tmp_path, "machine-ssl", script, overall_timeout=1.0)
    assert not run.result.ok and run.result.failure_kind == "timeout"
    assert run.result.operation_started
    assert "half-replaced" in run.result.reason and "option 7" in run.result.reason


def test_continue_is_answered_n_without_confirmation(tmp_path: Path) -> None:
    run = drive(tmp_path, "machine-ssl", option3(tmp_path, []), confirmed=False)
    assert not run.result.ok and run.result.failure_kind == "not_confirmed"
    assert run.answers_given[-1] == "N" and not run.result.operation_started


def test_missing_answer_stops_before_the_tool_starts(tmp_path: Path) -> None:
    text = ANSWER_FILE.replace("  country: US\n", "")
    with pytest.raises(MissingAnswer) as info:
        drive(tmp_path, "machine-ssl", [{"say": "should never run"}],
              answers=make_answers(tmp_path, text))
    assert info.value.exit_code == EXIT_MISSING_ANSWER and info.value.key == \
        "certificate.country"
    assert not (tmp_path / "record.jsonl").exists()


def test_missing_optional_answer_ends_the_dialog_with_exit_4(tmp_path: Path) -> None:
    script = [{"ask": "Option[1 to 8]: "},
              {"ask": "Enter IP address or host name of the Platform Services Controller : "}]
    with pytest.raises(MissingAnswer, match="psc.address"):
        drive(tmp_path, "machine-ssl", script)
    records = (tmp_path / "record.jsonl").read_text().splitlines()
    assert len(records) == 1  # the menu only; the tool was then ended


def test_a_secret_in_argv_is_refused(tmp_path: Path) -> None:
    redactor = Redactor()
    rundir = RunDir.create(tmp_path / "state", redactor)
    with pytest.raises(VcfixError, match="command line or environment"):
        run_dialog(playbook.load("machine-ssl"), ["/bin/echo", f"--password={SECRET}"],
                   make_answers(tmp_path), redactor=redactor, rundir=rundir, confirmed=True)


def test_a_tool_echoing_the_password_is_redacted_everywhere(tmp_path: Path) -> None:
    run = drive(tmp_path, "machine-ssl", option3(tmp_path, [
        {"say": f"debug: the password was {SECRET}"}, {"raw": STATUS_OK}]))
    assert run.result.ok
    assert f"debug: the password was {MASK}" in run.transcript
    assert f"debug: the password was {MASK}" in run.result.last_lines


# -- Ctrl-C ----------------------------------------------------------------------------------

def interrupted_script(tmp_path: Path, pause: float) -> List[Dict[str, Any]]:
    return option3(tmp_path, [
        {"raw": "\rStatus : 40% Completed [Replacing Machine SSL Cert...]"},
        {"signal_pid": os.getpid()}, {"sleep": pause}, {"raw": STATUS_OK}])


def test_ctrl_c_declined_keeps_driving(tmp_path: Path) -> None:
    asked: List[bool] = []

    def confirm() -> bool:
        asked.append(True)
        return False

    run = drive(tmp_path, "machine-ssl", interrupted_script(tmp_path, 0.5),
                confirm_abandon=confirm)
    assert asked == [True]
    assert run.result.ok, run.result.reason
    assert [e["event"] for e in run.events if "interrupt" in e["event"]] == [
        "interrupt", "interrupt_declined"]


def test_ctrl_c_confirmed_ends_the_tool_and_explains_the_risk(tmp_path: Path) -> None:
    run = drive(tmp_path, "machine-ssl", interrupted_script(tmp_path, 20),
                confirm_abandon=lambda: True)
    result = run.result
    assert not result.ok and result.failure_kind == "abandoned"
    assert result.operation_started
    assert "half-replaced" in result.reason and "option 7" in result.reason
    assert "ending certificate-manager: SIGTERM" in run.transcript


def test_ctrl_c_before_the_operation_says_nothing_changed(tmp_path: Path) -> None:
    script = intro(tmp_path, 3)[:3] + [{"signal_pid": os.getpid()}, {"sleep": 20}]
    run = drive(tmp_path, "machine-ssl", script, confirm_abandon=lambda: True)
    assert run.result.failure_kind == "abandoned" and not run.result.operation_started
    assert "nothing was changed" in run.result.reason


# -- SIGHUP / SIGTERM, silences ----------------------------------------------------------------
# (SIGTERM here: a SIGHUP also sends vcfix's output to /dev/null, which pytest would not like;
# tests/fix/test_fix_hangup.py sends real SIGHUPs and kill -9 to a vcfix process.)

def test_sigterm_during_the_replacement_lets_the_tool_finish(tmp_path: Path) -> None:
    run = drive(tmp_path, "machine-ssl", option3(tmp_path, [
        {"raw": "\rStatus : 40% Completed [Replacing Machine SSL Cert...]"},
        {"signal_pid": os.getpid(), "signal": "SIGTERM"}, {"sleep": 0.5}, {"raw": STATUS_OK}]))
    assert run.result.ok, run.result.reason
    hangups = [e for e in run.events if e["event"] == "hangup"]
    assert [(e["signal"], e["operation_started"]) for e in hangups] == [("SIGTERM", True)]
    assert "SIGTERM received: certificate-manager is changing certificates" in run.transcript


def test_sigterm_before_the_change_stops_the_tool_and_says_nothing_changed(
        tmp_path: Path) -> None:
    script = intro(tmp_path, 3)[:3] + [{"signal_pid": os.getpid(), "signal": "SIGTERM"},
                                       {"sleep": 20}]
    run = drive(tmp_path, "machine-ssl", script)
    assert run.result.failure_kind == "hangup" and not run.result.operation_started
    assert "nothing was changed" in run.result.reason


def test_the_tool_runs_detached_with_its_output_on_disk(tmp_path: Path) -> None:
    run = drive(tmp_path, "machine-ssl", option3(tmp_path, [
        {"say": "session check"}, {"raw": STATUS_OK}]))
    (job,) = (run.rundir.path / "jobs").iterdir()
    status = json.loads((job / "status.json").read_text())
    assert status["exit_status"] == 0 and status["ended"] and status["pty"]
    assert status["supervisor_pid"] != os.getpid()
    assert "session check" in (job / "output.log").read_text()
    assert oct((job / "output.log").stat().st_mode & 0o777) == "0o600"
    assert not (job / "input").exists()  # the FIFO is removed when the tool ends
    assert [e["job"] for e in run.events if e["event"] == "job_started"] == [job.name]


def test_silence_is_shown_with_phase_and_limits(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(driver, "WAIT_SHOW", 0.2)
    seen: List[Any] = []
    run = drive(tmp_path, "machine-ssl", option3(tmp_path, [
        {"raw": "\rStatus : 70% Completed [Stopping services...]"}, {"sleep": 1.5},
        {"raw": STATUS_OK}]), on_wait=seen.append)
    assert run.result.ok
    assert seen and all(w.phase == "Stopping services..." for w in seen)
    assert seen[0].tool == "certificate-manager" and seen[0].quiet >= 0.2
    assert seen[0].limit == 2400 and seen[0].silence_limit > 0


# -- pure parts ------------------------------------------------------------------------------

def test_describe_dialog_shows_answers_with_secrets_masked(tmp_path: Path) -> None:
    def no_questions(key: str, description: str, secret: bool) -> Optional[str]:
        raise AssertionError("a dry run must not ask")

    answers = make_answers(tmp_path).with_context(ask=no_questions)
    rows = dict(describe_dialog(playbook.load("machine-ssl"), answers))
    assert rows["certificate-manager menu"] == "3"
    assert rows["SSO administrator password"] == MASK
    assert rows["certool.cfg Hostname (the PNID first, then the aliases)"] == \
        f"{PNID},vcsa01-alias.corp.example"
    assert rows["certool.cfg IPAddress"] == "(empty: keep the tool's default)"
    assert rows["Platform Services Controller address (vCenter with an external PSC only) "
                "(if asked)"] == "(missing: psc.address)"
    assert any(v == "Y (only after your confirmation)" for v in rows.values())
    assert SECRET not in json.dumps(rows)


def test_check_answers_raises_exit_4_for_a_required_answer(tmp_path: Path) -> None:
    answers = make_answers(tmp_path, ANSWER_FILE.replace("  state: California\n", ""))
    with pytest.raises(MissingAnswer, match="certificate.state"):
        check_answers(playbook.load("machine-ssl"), answers)
    assert check_answers(playbook.load("solution-users"), answers)["menu"] == "6"


def test_scanner_follows_redraws_split_across_chunks() -> None:
    scanner = OutputScanner(playbook.load("machine-ssl"))
    assert scanner.feed("\rStatus : 3") == ([], [])
    progress, _ = scanner.feed("5% Completed [Replacing Machine SSL Cert...]")
    assert progress == [(35, "Replacing Machine SSL Cert...")]
    progress, failures = scanner.feed("\rStatus : 60% Completed [Operation failed, perf")
    assert failures == []
    progress, failures = scanner.feed("orming automatic rollback]\r\n")
    assert [f.kind for f in failures] == ["rollback"]
    assert progress == [(60, "Operation failed, performing automatic rollback")]
    scanner.feed("Enter password:")
    assert scanner.pending() == "Enter password:"
    scanner.mark_answered()
    assert scanner.pending() == ""


def test_silence_beyond_silence_ok_ends_the_tool(tmp_path: Path) -> None:
    custom = tmp_path / "quiet.yaml"
    custom.write_text(
        "id: quiet\ntool: certool\noption: null\ndescription: a quiet tool\nlog: /var/log/q.log\n"
        "timeouts: {prompt: 5, overall: 60, silence_ok: 0.6}\nsuccess: ['done']\nprompts:\n"
        "  - {id: go, description: go on, pattern: 'Go on\\?', answer: {constant: 'yes'}}\n")
    script_path = tmp_path / "script.json"
    script_path.write_text(json.dumps([{"ask": "Go on? "}, {"say": "working..."},
                                       {"sleep": 20}]))
    redactor = Redactor()
    rundir = RunDir.create(tmp_path / "state", redactor)
    result = run_dialog(playbook.load_file(custom), [sys.executable, str(FIXTURE),
                                                     str(script_path)],
                        Answers(), redactor=redactor, rundir=rundir, confirmed=True)
    assert not result.ok and result.failure_kind == "silence"
    assert "printed nothing for" in result.reason and "/var/log/q.log" in result.reason
    assert result.last_lines[-1] == "working..."


def test_a_missing_program_is_a_vcfix_error(tmp_path: Path) -> None:
    redactor = Redactor()
    rundir = RunDir.create(tmp_path / "state", redactor)
    with pytest.raises(VcfixError, match="cannot start 'certificate-manager'"):
        run_dialog(playbook.load("machine-ssl"), [str(tmp_path / "certificate-manager")],
                   make_answers(tmp_path), redactor=redactor, rundir=rundir, confirmed=True)
