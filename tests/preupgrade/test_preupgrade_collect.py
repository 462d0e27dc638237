"""Reading one node's snapshot from a lab: calls made, resampling, the password's path."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

from vcfix.appliance.paths import Appliance
from vcfix.appliance.pty_tool import run_with_password
from vcfix.errors import EXIT_UNKNOWN, VcfixError
from vcfix.lab import elm
from vcfix.lab import state as lab_state
from vcfix.lab.elm_build import create_domain_lab
from vcfix.lab.fakes import fake_path
from vcfix.lab.fakes.common import read_calls
from vcfix.preupgrade.collect import Credentials, collect_node
from vcfix.preupgrade.parsers import CredentialsRefused
from vcfix.preupgrade.snapshot import NodeSnapshot
from vcfix.redact import MASK

PASSWORD = lab_state.LAB_SSO_PASSWORD
V1, V2 = elm.node_host(0), elm.node_host(1)


class Recorder:
    """Stands in for the sleep and the wait notice: records, never sleeps."""

    def __init__(self) -> None:
        self.slept: List[float] = []
        self.notices: List[Tuple[List[str], float]] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def notice(self, hosts: List[str], seconds: float) -> None:
        self.notices.append((hosts, seconds))


def lab(tmp_path: Path, now: dt.datetime, scenario: str) -> List[Path]:
    return create_domain_lab(tmp_path / "elm", scenario, now=now)


def collect(root: Path, rec: Recorder, password: str = PASSWORD,
            resample: float = 60.0) -> NodeSnapshot:
    return collect_node(Appliance(root), Credentials("administrator", password),
                        resample_after=resample, sleep=rec.sleep, on_wait=rec.notice)


def features(root: Path) -> List[str]:
    return [c["argv"][1] for c in read_calls(root) if c["tool"] == "vdcrepadmin"]


def test_healthy_node_is_read_without_waiting(tmp_path: Path, fixed_clock: dt.datetime) -> None:
    roots = lab(tmp_path, fixed_clock, "elm-healthy")
    rec = Recorder()
    snap = collect(roots[0], rec)
    assert rec.slept == [] and rec.notices == []
    assert sorted(features(roots[0])) == ["showpartners", "showpartnerstatus", "showservers"]
    state = lab_state.load(roots[0])
    assert (snap.host, snap.version, snap.node_type, snap.machine_id, snap.site) == (
        V1, "6.7.0.58000", "embedded", state["machine_id"], "default-site")
    assert snap.taken_at == fixed_clock and snap.errors == []
    assert snap.vmdir_state == "Normal"
    assert [(p.host, p.changes_behind, p.changes_behind_after) for p in snap.partners or []] == [
        (V2, 0, None)]
    assert snap.agreements == [V2] and snap.servers == [V1, V2]
    assert len(snap.registrations or []) == 70  # 35 service types x 2 nodes
    calls = json.dumps(read_calls(roots[0]))
    assert PASSWORD not in calls and "-w" not in calls
    assert "dir-cli" not in calls  # vdcadmintool named the state


@pytest.mark.parametrize(("scenario", "after"), [("elm-catching-up", 0),
                                                 ("elm-lagging", 15)])
def test_partners_behind_are_sampled_again(tmp_path: Path, now: dt.datetime, scenario: str,
                                           after: int) -> None:
    roots = lab(tmp_path, now, scenario)
    rec = Recorder()
    snap = collect(roots[0], rec, resample=45.0)
    [partner] = snap.partners or []
    assert (partner.changes_behind, partner.changes_behind_after) == (
        12 if after else 5, after)
    assert len(rec.slept) == 1 and 15.0 < rec.slept[0] <= 45.0  # minus the time already spent
    assert rec.notices == [([V2], rec.slept[0])]
    assert features(roots[0]).count("showpartnerstatus") == 2


@pytest.mark.parametrize("exit_status", [None, 0])
def test_refused_password_is_tried_once(tmp_path: Path, now: dt.datetime,
                                        exit_status: object) -> None:
    roots = lab(tmp_path, now, "elm-healthy")
    if exit_status is not None:  # the tool's status lies: the text decides
        with lab_state.transaction(roots[0]) as state:
            state["settings"]["vdcrepadmin_exit_status"] = exit_status
    with pytest.raises(VcfixError) as caught:
        collect(roots[0], Recorder(), password="Wrong-Pass1")
    assert caught.value.exit_code == EXIT_UNKNOWN
    assert "password for administrator was refused" in caught.value.message
    assert "User invalid credential" in caught.value.message
    assert "will not retry" in (caught.value.hint or "")
    assert features(roots[0]) == ["showpartnerstatus"]
    assert "Wrong-Pass1" not in json.dumps(read_calls(roots[0]))
    assert "Wrong-Pass1" not in caught.value.render()


def test_node_with_vmdird_down_gives_errors_not_a_crash(tmp_path: Path,
                                                        now: dt.datetime) -> None:
    roots = lab(tmp_path, now, "elm-partner-down")
    snap = collect(roots[1], Recorder())
    assert snap.partners is None and snap.agreements is None and snap.servers is None
    assert snap.vmdir_state is None and snap.registrations is None
    assert any("Server down" in e and "vmdird" in e for e in snap.errors)
    assert features(roots[1]) == ["showpartnerstatus"]  # not asked again


def test_dir_cli_names_a_null_state(tmp_path: Path, now: dt.datetime) -> None:
    roots = lab(tmp_path, now, "elm-healthy")
    with lab_state.transaction(roots[0]) as state:
        state["settings"]["vmdir_state"] = "Standalone"
    assert collect(roots[0], Recorder()).vmdir_state == "Standalone"
    assert [c["argv"] for c in read_calls(roots[0]) if c["tool"] == "dir-cli"] == [
        ["state", "get"]]


def test_unknown_node_name_is_exit_3(tmp_path: Path, now: dt.datetime) -> None:
    roots = lab(tmp_path, now, "elm-healthy")
    with lab_state.transaction(roots[0]) as state:
        state["services"]["vmafdd"] = "Stopped"
    with pytest.raises(VcfixError, match="cannot tell which node this is") as caught:
        collect(roots[0], Recorder())
    assert caught.value.exit_code == EXIT_UNKNOWN


def test_lstool_that_is_not_executable_runs_with_the_appliance_python(
    tmp_path: Path, now: dt.datetime
) -> None:
    roots = lab(tmp_path, now, "elm-healthy")
    script = roots[0] / fake_path("lstool", "6.7").lstrip("/")
    script.chmod(0o644)
    python = roots[0] / "usr/bin/python"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    snap = collect(roots[0], Recorder())
    assert snap.errors == [] and len(snap.registrations or []) == 70
    [call] = [c for c in read_calls(roots[0]) if c["tool"] == "lstool"]
    assert call["argv"] == ["list", "--url", "http://localhost:7080/lookupservice/sdk",
                            "--no-check-cert"]


def test_credentials_from_the_answer_file_user_name() -> None:
    assert Credentials.from_username("administrator@vsphere.local", "x").user == "administrator"
    assert Credentials.from_username(None, "x").user == "administrator"
    assert Credentials.from_username("admin2@corp.local", "x").user == "admin2"
    assert "x" not in repr(Credentials.from_username(None, "x"))


# --- the pty helper ------------------------------------------------------------------------

def script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\nimport getpass, sys\n{body}")
    path.chmod(0o755)
    return path


def test_pty_answers_one_prompt_and_masks_an_echo(tmp_path: Path) -> None:
    echo = script(tmp_path, "echo", "pw = getpass.getpass('password: ')\n"
                  "print('got', pw)\nsys.exit(3)\n")
    done = run_with_password([str(echo)], "S3cret!x")
    assert done.prompted and done.exit_status == 3
    assert done.output.strip() == f"got {MASK}" and "S3cret!x" not in done.text


def test_pty_never_answers_a_second_prompt(tmp_path: Path) -> None:
    count = tmp_path / "answers"
    twice = script(tmp_path, "twice", "n = 0\nwhile True:\n"
                   "    getpass.getpass('password: ')\n    n += 1\n"
                   f"    open({str(count)!r}, 'w').write(str(n))\n")
    with pytest.raises(CredentialsRefused, match="never tries a password twice"):
        run_with_password([str(twice)], "S3cret!x")
    assert count.read_text() == "1"


def test_pty_without_a_prompt_and_with_a_silent_tool(tmp_path: Path) -> None:
    plain = script(tmp_path, "plain", "print('no question asked')\n")
    done = run_with_password([str(plain)], "S3cret!x")
    assert not done.prompted and done.output.strip() == "no question asked"
    silent = script(tmp_path, "silent", "sys.stdin.readline()\n")
    with pytest.raises(VcfixError, match="neither asked for the password nor finished"):
        run_with_password([str(silent)], "S3cret!x", prompt_timeout=0.3)
    with pytest.raises(VcfixError, match="would be in its argv"):
        run_with_password([str(plain), "--pw=S3cret!x"], "S3cret!x")
