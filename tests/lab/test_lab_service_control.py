"""The lab's service-control: --stop/--start (--all or names) and --status, run as executables."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

from vcfix import cli
from vcfix.appliance.parsers.service_control import parse_status
from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.fakes import FAKES, service_control
from vcfix.lab.fakes.common import LATENCY_ENV

FAIL_JSON = (
    'Service-control failed. Error: {{"detail": [{{"id": "install.ciscommon.service.failstart", '
    '"translatable": "An error occurred while starting service \'%(0)s\'", "args": ["{name}"], '
    '"localized": "An error occurred while starting service \'{name}\'"}}], '
    '"componentKey": null, "problemId": null, "resolution": null}}'
)


@pytest.fixture
def lab(tmp_path: Path, now: dt.datetime) -> Path:
    root = create_lab(tmp_path / "lab", "healthy", now=now)
    with lab_state.transaction(root) as state:
        state["settings"]["speed"] = 0.0001
    return root


def run(root: Path, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != LATENCY_ENV}
    return subprocess.run([str(root / FAKES[tool][0].lstrip("/")), *args], capture_output=True,
                          text=True, env=env, timeout=60, check=False, start_new_session=True)


def sc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(root, "service-control", *args)


def services(root: Path) -> Dict[str, str]:
    return dict(lab_state.load(root)["services"])


def pairs(stdout: str, verb: str) -> List[str]:
    """Service names of the per-service lines, checking each 'Performing' has its 'Successfully'."""
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    names = []
    for first, second in zip(lines, lines[1:]):
        if first.startswith(f"Performing {verb} operation on service "):
            name = first[len(f"Performing {verb} operation on service "):].rstrip(".")
            assert second == f"Successfully {verb.replace('stop', 'stopp')}ed service {name}"
            names.append(name)
    return names


def test_stop_start_status_round_trip(lab: Path) -> None:
    before = services(lab)
    running = {n for n, s in before.items() if s == "Running"}

    stopped = sc(lab, "--stop", "--all")
    assert stopped.returncode == 0, stopped.stderr
    lines = stopped.stdout.splitlines()
    assert lines[0] == service_control.NOT_CANCELLABLE
    assert lines[-2:] == ["Performing stop operation on profile: ALL...",
                          "Successfully stopped profile: ALL."]
    assert set(pairs(stopped.stdout, "stop")) == running
    assert set(services(lab).values()) == {"Stopped"}
    status = parse_status(sc(lab, "--status", "--all").stdout, "service-control --status")
    assert set(status) == {"Stopped"} and set(status["Stopped"]) == set(before)

    started = sc(lab, "--start", "--all")
    assert started.returncode == 0, started.stderr
    assert started.stdout.splitlines()[-2:] == ["Performing start operation on profile: ALL...",
                                                "Successfully started profile: ALL."]
    assert set(pairs(started.stdout, "start")) == set(before) - set(service_control.MANUAL)
    assert services(lab) == before  # manual-startup services stay stopped
    status = parse_status(sc(lab, "--status", "--all").stdout, "service-control --status")
    assert set(status["Running"]) == running


def test_directory_services_start_first_and_stop_last(lab: Path) -> None:
    stop_names = pairs(sc(lab, "--stop", "--all").stdout, "stop")
    start_names = pairs(sc(lab, "--start", "--all").stdout, "start")
    assert start_names[:5] == ["lwsmd", "vmafdd", "vmdird", "vmcad", "vmware-stsd"]
    assert stop_names[-5:] == ["vmware-stsd", "vmcad", "vmdird", "vmafdd", "lwsmd"]


def test_other_fakes_fail_while_stopped_and_work_after_start(lab: Path, tmp_path: Path) -> None:
    state = lab_state.load(lab)
    secret = tmp_path / "pw"
    secret.write_text(state["machine_account"]["password"])
    secret.chmod(0o600)
    ldap = ["-h", "localhost", "-x", "-D", state["machine_account"]["dn"], "-y", str(secret),
            "-b", "dc=vsphere,dc=local", "-LLL", "(objectClass=vmwSTSTenantCredential)", "cn"]

    assert sc(lab, "--stop", "--all").returncode == 0
    vecs = run(lab, "vecs-cli", "store", "list")
    assert vecs.returncode != 0 and "Error 20" in vecs.stderr
    assert run(lab, "vmafd-cli", "get-pnid", "--server-name", "localhost").returncode == 20
    assert run(lab, "ldapsearch", *ldap).returncode == 255

    assert sc(lab, "--start", "--all").returncode == 0
    assert "MACHINE_SSL_CERT" in run(lab, "vecs-cli", "store", "list").stdout
    assert "cn: TenantCredential-1" in run(lab, "ldapsearch", *ldap).stdout


def test_failing_service_names_itself_and_exits_non_zero(lab: Path) -> None:
    assert cli.main(["lab", "set", str(lab), "sc_fail_service=vmware-vpxd"]) == 0
    assert sc(lab, "--stop", "--all").returncode == 0
    done = sc(lab, "--start", "--all")
    assert done.returncode != 0
    assert FAIL_JSON.format(name="vmware-vpxd") in done.stderr.splitlines()
    blob = json.loads(done.stderr.split("Error: ", 1)[1])
    assert blob["detail"][0]["args"] == ["vmware-vpxd"]
    assert "Successfully started profile" not in done.stdout
    assert done.stdout.splitlines()[-1] == "Performing start operation on service vmware-vpxd..."

    order = service_control.start_order(
        [n for n in services(lab) if n not in service_control.MANUAL])
    cut = order.index("vmware-vpxd")
    now = services(lab)
    assert all(now[n] == "Running" for n in order[:cut])
    assert all(now[n] == "Stopped" for n in order[cut:])
    assert pairs(done.stdout, "start") == order[:cut]


def test_one_service_stop_and_start(lab: Path) -> None:
    stopped = sc(lab, "--stop", "vmdird")
    assert stopped.returncode == 0
    assert stopped.stdout.splitlines()[1:] == ["Performing stop operation on service vmdird...",
                                               "Successfully stopped service vmdird"]
    assert services(lab)["vmdird"] == "Stopped" and services(lab)["vmafdd"] == "Running"
    assert "vmdird" in parse_status(sc(lab, "--status", "vmdird").stdout, "sc")["Stopped"]
    started = sc(lab, "--start", "vmdird")
    assert started.returncode == 0 and "profile" not in started.stdout
    assert services(lab)["vmdird"] == "Running"


def test_one_failing_service_start(lab: Path) -> None:
    with lab_state.transaction(lab) as state:
        state["settings"]["sc_fail_service"] = "vmdird"
        state["services"]["vmdird"] = "Stopped"
    done = sc(lab, "--start", "vmdird")
    assert done.returncode != 0 and FAIL_JSON.format(name="vmdird") in done.stderr
    assert services(lab)["vmdird"] == "Stopped"


@pytest.mark.parametrize("args", [("--start",), ("--stop", "--all", "vmdird")])
def test_start_stop_need_all_or_names(lab: Path, args: List[str]) -> None:
    before = services(lab)
    done = sc(lab, *args)
    assert done.returncode == 2 and "--all or service names" in done.stderr
    assert services(lab) == before


def test_unknown_service_is_refused(lab: Path) -> None:
    done = sc(lab, "--start", "no-such-service")
    assert done.returncode == 1 and "no-such-service" in done.stderr and done.stdout == ""


# --- pacing and progress (in process: pauses recorded, not slept) ---------------------------

def test_start_takes_the_real_durations_times_speed(
        lab: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with lab_state.transaction(lab) as state:
        state["settings"]["speed"] = 0.5
        state["services"] = {"vmdird": "Stopped", "vmware-vpxd": "Stopped", "applmgmt": "Stopped"}
    seen: List[Any] = []

    def sleep(seconds: float) -> None:  # what --status would show while it waits
        seen.append((seconds, dict(services(lab))))

    monkeypatch.delenv(LATENCY_ENV, raising=False)
    monkeypatch.setattr(service_control.time, "sleep", sleep)
    assert service_control.main(["--start", "--all"], lab) == 0
    assert [s for s, _ in seen] == [5.0, 2.5, 22.5]  # vmdird 10 s, applmgmt 5 s, vpxd 45 s
    assert seen[0][1] == {"vmdird": "StartPending", "vmware-vpxd": "Stopped",
                          "applmgmt": "Stopped"}
    assert seen[1][1] == {"vmdird": "Running", "vmware-vpxd": "Stopped",
                          "applmgmt": "StartPending"}
    assert "Successfully started profile: ALL." in capsys.readouterr().out


def test_lab_set_accepts_sc_fail_service(lab: Path) -> None:
    assert lab_state.SETTINGS["sc_fail_service"][:2] == ("text", None)
    assert cli.main(["lab", "set", str(lab), "sc_fail_service=vsphere-ui"]) == 0
    assert lab_state.setting(lab_state.load(lab), "sc_fail_service") == "vsphere-ui"
