"""The ELM lab: scenarios, layout, and the fakes vdcrepadmin, vdcadmintool, dir-cli, lstool.py.

Every fake runs as the executable it pretends to be, and its output goes through the
parsers vcfix uses on real appliances.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Dict, List, Optional

import pexpect
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from vcfix import cli
from vcfix.errors import VcfixError
from vcfix.lab import elm
from vcfix.lab import state as lab_state
from vcfix.lab.elm_build import create_domain_lab, node_roots
from vcfix.lab.elm_domain import load_domain
from vcfix.lab.fakes import FAKES, common, fake_path
from vcfix.lab.fakes.common import read_calls
from vcfix.preupgrade.parsers import (
    CredentialsRefused,
    parse_lstool,
    parse_partner_status,
    parse_partners,
    parse_server_entries,
    parse_vmdir_state,
)

PASSWORD = lab_state.LAB_SSO_PASSWORD
V1, V2, V3 = (elm.node_host(i) for i in range(3))


def tool(root: Path, name: str) -> Path:
    return root / fake_path(name, lab_state.load(root)["version"]).lstrip("/")


def run(root: Path, name: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ)
    environ.pop(common.LATENCY_ENV, None)
    return subprocess.run([str(tool(root, name)), *args], capture_output=True, text=True,
                          input=stdin, env=environ, timeout=60, check=False)


def vdc(root: Path, feature: str, password: str = PASSWORD, user: str = "administrator",
        host: str = "localhost") -> subprocess.CompletedProcess[str]:
    return run(root, "vdcrepadmin", "-f", feature, "-h", host, "-u", user, "-w", password)


def set_state(root: Path, **settings: object) -> None:
    with lab_state.transaction(root) as state:
        state.setdefault("settings", {}).update(settings)


@pytest.fixture
def pair(tmp_path: Path, now: dt.datetime) -> List[Path]:
    return create_domain_lab(tmp_path / "elm", "elm-healthy", now=now)


# --- scenarios and domain state (pure) ---------------------------------------------------

def test_links_are_a_ring_or_a_chain() -> None:
    assert elm.links(2, chain=False) == [(0, 1)]
    assert elm.links(3, chain=False) == [(0, 1), (1, 2), (2, 0)]
    assert elm.links(3, chain=True) == [(0, 1), (1, 2)]


def test_plan_checks_node_counts_and_releases() -> None:
    scenarios = elm.ELM_SCENARIOS
    assert [n.release for n in elm.plan(scenarios["elm-healthy"])] == ["6.7", "6.7"]
    assert len(elm.plan(scenarios["elm-healthy"], 3)) == 3
    assert [n.release for n in elm.plan(scenarios["elm-version-mismatch"], 3, "7.0")] == [
        "8.0", "7.0", "7.0"]
    with pytest.raises(VcfixError, match="has 3 nodes, not 2"):
        elm.plan(scenarios["elm-chain"], 2)
    with pytest.raises(VcfixError, match="no later release"):
        elm.plan(scenarios["elm-version-mismatch"], 2, "8.0")
    with pytest.raises(VcfixError, match="unknown lab version"):
        elm.plan(scenarios["elm-healthy"], 2, "5.5")


def test_domain_state_of_the_fault_scenarios() -> None:
    spec = elm.ELM_SCENARIOS["elm-oneway"]
    state = elm.domain_state(spec, elm.plan(spec, 3))
    assert state["nodes"] == [V1, V2, V3]
    assert [V2, V1] not in state["agreements"] and [V1, V2] in state["agreements"]
    assert len(state["agreements"]) == 5
    mismatch = elm.ELM_SCENARIOS["elm-version-mismatch"]
    assert elm.domain_state(mismatch, elm.plan(mismatch))["stale"] == {V2: {V1: "6.7"}}


def test_changes_behind_clear_or_grow() -> None:
    assert elm.changes_behind(None, 1) == 0
    clears = {"behind": 5, "clears_after": 1, "grow": 0}
    assert [elm.changes_behind(clears, n) for n in (1, 2, 3)] == [5, 0, 0]
    stuck = {"behind": 12, "clears_after": None, "grow": 3}
    assert [elm.changes_behind(stuck, n) for n in (1, 2, 3)] == [12, 15, 18]


# --- layout ---------------------------------------------------------------------------------

def test_each_node_is_a_complete_lab(tmp_path: Path, now: dt.datetime) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-healthy", nodes=3, version="7.0", now=now)
    assert [r.name for r in roots] == [V1, V2, V3]
    assert node_roots(tmp_path / "elm") == roots
    domain = load_domain(roots[0])
    assert domain is not None and domain["nodes"] == [V1, V2, V3]
    states = [lab_state.load(r) for r in roots]
    assert [s["pnid"] for s in states] == [V1, V2, V3]
    assert len({s["machine_id"] for s in states}) == 3
    keys = {s["vecs"]["MACHINE_SSL_CERT"][0]["key"] for s in states}
    assert len(keys) == 3  # every node has its own keys
    for root in roots:
        assert run(root, "vecs-cli", "store", "list").returncode == 0
        assert (root / FAKES["lstool"][0].lstrip("/")).is_file()  # 7.0 path
    assert cli.main(["--root", str(roots[1]), "diagnose"]) == 0


def test_67_nodes_keep_lstool_at_the_6x_path(pair: List[Path]) -> None:
    assert (pair[0] / "usr/lib/vmidentity/tools/scripts/lstool.py").is_file()
    assert not (pair[0] / FAKES["lstool"][0].lstrip("/")).exists()


def test_rebuilding_replaces_an_elm_lab_and_refuses_foreign_folders(
    tmp_path: Path, now: dt.datetime
) -> None:
    folder = tmp_path / "elm"
    create_domain_lab(folder, "elm-healthy", nodes=3, now=now)
    roots = create_domain_lab(folder, "elm-readonly", now=now)
    assert sorted(p.name for p in folder.iterdir()) == [elm.DOMAIN_DIR, V1, V2]
    assert lab_state.load(roots[1])["settings"]["vmdir_state"] == "Read only"
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(VcfixError, match="not empty and is not a vcfix lab"):
        create_domain_lab(busy, "elm-healthy", now=now)
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]


def test_lab_cli_builds_elm_labs(tmp_path: Path, fixed_clock: dt.datetime,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lab", "scenarios"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert set(elm.ELM_SCENARIOS) <= set(listed)
    target = tmp_path / "domain"
    assert cli.main(["lab", "create", str(target), "--scenario", "elm-chain"]) == 0
    out = capsys.readouterr().out
    assert f"--root {target.absolute() / V3}" in out and "preupgrade" in out
    assert PASSWORD not in out
    assert cli.main(["lab", "create", str(target), "--scenario", "elm-healthy",
                     "--nodes", "3"]) == 0
    assert len(node_roots(target)) == 3
    capsys.readouterr()
    assert cli.main(["lab", "create", str(tmp_path / "x"), "--scenario", "healthy",
                     "--nodes", "2"]) == 2
    assert "--nodes applies to the ELM" in capsys.readouterr().err
    assert cli.main(["lab", "create", str(tmp_path / "y"), "--scenario", "elm-chain",
                     "--nodes", "2"]) == 1
    assert "has 3 nodes, not 2" in capsys.readouterr().err


# --- vdcrepadmin ----------------------------------------------------------------------------

def test_partner_status_of_a_healthy_pair(pair: List[Path]) -> None:
    done = vdc(pair[0], "showpartnerstatus")
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        f"Partner: {V2}", "Host available:   Yes", "Status available: Yes",
        f"My last change number:             {elm.BASE_USN}",
        f"Partner has seen my change number: {elm.BASE_USN}", "Partner is 0 changes behind."]
    [status] = parse_partner_status(done.stdout, "vdcrepadmin")
    assert (status.host, status.host_available, status.status_available,
            status.changes_behind) == (V2, True, True, 0)


def test_partners_and_servers(tmp_path: Path, now: dt.datetime) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-chain", now=now)
    assert parse_partners(vdc(roots[1], "showpartners").stdout, "x") == [V1, V3]
    assert parse_partners(vdc(roots[0], "showpartners").stdout, "x") == [V2]
    servers = parse_server_entries(vdc(roots[2], "showservers").stdout, "x")
    assert [(s.host, s.site) for s in servers] == [(h, "default-site") for h in (V1, V2, V3)]


def test_password_prompt_on_the_terminal(pair: List[Path]) -> None:
    child = pexpect.spawn(str(tool(pair[0], "vdcrepadmin")),
                          ["-f", "showpartners", "-h", "localhost", "-u", "administrator"],
                          encoding="utf-8", timeout=30)
    child.expect_exact("password: ")
    child.sendline(PASSWORD)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert f"ldap://{V2}" in (child.before or "") and PASSWORD not in (child.before or "")
    assert read_calls(pair[0])[-1]["argv"] == ["-f", "showpartners", "-h", "localhost", "-u",
                                               "administrator"]


def test_wrong_password_error_line_and_unreliable_status(pair: List[Path]) -> None:
    done = vdc(pair[0], "showservers", password="nope")
    line = "Vdcrepadmin failed. Error [User invalid credential] [9234]"
    assert done.stdout.strip() == line and done.returncode == 9234 & 0xFF
    set_state(pair[0], vdcrepadmin_exit_status=0)
    done = vdc(pair[0], "showservers", password="nope")
    assert done.returncode == 0 and done.stdout.strip() == line
    with pytest.raises(CredentialsRefused, match="password was refused"):
        parse_server_entries(done.stdout, "vdcrepadmin -f showservers")
    assert vdc(pair[0], "showservers", user="root").stdout.strip() == line


def test_server_down_and_remote_hosts(tmp_path: Path, now: dt.datetime) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-partner-down", now=now)
    down = vdc(roots[1], "showpartnerstatus")
    assert down.stdout.strip() == "Vdcrepadmin failed. Error [Server down] [9127]"
    assert down.returncode == 9127 & 0xFF
    with pytest.raises(VcfixError, match="vmdird"):
        parse_partner_status(down.stdout, "vdcrepadmin")
    text = vdc(roots[0], "showpartnerstatus").stdout
    assert text.splitlines() == [f"Partner: {V2}", "Host available:   No"]
    assert "Server down" in vdc(roots[0], "showservers", host=V2).stdout


@pytest.mark.parametrize(("scenario", "expect"), [
    ("elm-lagging", [(12, 9346, 9334), (15, 9349, 9334)]),
    ("elm-catching-up", [(5, 9346, 9341), (0, 9346, 9346)]),
    ("elm-counters-disagree", [(-5, 9346, 9351)]),  # signed: "Partner is -5 changes behind."
])
def test_lag_between_two_samples(tmp_path: Path, now: dt.datetime, scenario: str,
                                 expect: List[object]) -> None:
    roots = create_domain_lab(tmp_path / "elm", scenario, now=now)
    seen = []
    for _ in expect:
        [status] = parse_partner_status(vdc(roots[0], "showpartnerstatus").stdout, "x")
        seen.append((status.changes_behind, status.my_last_change,
                     status.partner_seen_change))
    assert seen == expect
    [back] = parse_partner_status(vdc(roots[1], "showpartnerstatus").stdout, "x")
    assert back.changes_behind == 0


def test_oneway_agreement(tmp_path: Path, now: dt.datetime) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-oneway", now=now)
    [status] = parse_partner_status(vdc(roots[0], "showpartnerstatus").stdout, "x")
    assert (status.host_available, status.status_available, status.changes_behind) == (
        True, False, None)
    assert vdc(roots[1], "showpartnerstatus").stdout == ""
    assert parse_partners(vdc(roots[1], "showpartners").stdout, "x") == []


# --- vdcadmintool and dir-cli ------------------------------------------------------------

@pytest.mark.parametrize(("knob", "menu", "named"), [
    (None, "Normal", "Normal"),
    ("Read only", "Read only", "Read only"),
    ("Standalone", "(null)", "Standalone"),
    ("Restore", "(null)", "Restore"),
])
def test_vmdir_state(pair: List[Path], knob: Optional[str], menu: str, named: str) -> None:
    if knob:
        set_state(pair[0], vmdir_state=knob)
    done = run(pair[0], "vdcadmintool", stdin="6\n")
    assert done.returncode == 0
    assert f" VmDir State is - {menu}" in done.stdout.splitlines()
    assert done.stdout.count("Please select:") == 2
    assert parse_vmdir_state(done.stdout, "vdcadmintool") == menu
    state = run(pair[0], "dir-cli", "state", "get")
    assert state.returncode == 0 and state.stdout.startswith(f"Directory Server State: {named} (")
    assert parse_vmdir_state(state.stdout, "dir-cli state get") == named


def test_vmdir_state_with_vmdird_stopped(tmp_path: Path, now: dt.datetime) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-partner-down", now=now)
    done = run(roots[1], "vdcadmintool", stdin="6\n")
    with pytest.raises(VcfixError, match="no directory state"):
        parse_vmdir_state(done.stdout, "vdcadmintool")
    assert run(roots[1], "dir-cli", "state", "get").returncode != 0
    assert run(roots[0], "dir-cli", "trustedcert", "list").returncode == 22


# --- lstool.py -------------------------------------------------------------------------------

def machine_der(root: Path) -> bytes:
    pem = lab_state.load(root)["vecs"]["MACHINE_SSL_CERT"][0]["cert"]
    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(
        serialization.Encoding.DER)


def test_lstool_lists_every_nodes_registrations(pair: List[Path]) -> None:
    done = run(pair[1], "lstool", "list", "--url", "http://localhost:7080/lookupservice/sdk",
               "--no-check-cert")
    assert done.returncode == 0
    assert done.stderr.startswith("Picked up JAVA_TOOL_OPTIONS:")
    assert "\tURL: https://" in done.stdout and "\t\tcis.common.ep.localurl" in done.stdout
    regs = parse_lstool(done.stdout + done.stderr, "lstool.py list")
    states = [lab_state.load(r) for r in pair]
    for root, state in zip(pair, states):
        own = [r for r in regs if r.node_id == state["machine_id"]]
        assert 30 <= len({r.service_type for r in own}) == len(own) <= 40
        assert {e.ssl_trust for r in own for e in r.endpoints} == {
            base64.b64encode(machine_der(root)).decode()}
        assert {r.site_id for r in own} == {"default-site"}
        vc = next(r for r in own if r.service_type == "vcenterserver")
        assert vc.version == "6.7" and vc.url_hosts == (state["pnid"],)
    again = run(pair[0], "lstool", "list", "--url", "http://localhost:7080/lookupservice/sdk")
    assert sorted(parse_lstool(again.stdout, "x"), key=lambda r: r.service_id) == sorted(
        regs, key=lambda r: r.service_id)  # the same set from every node


def test_lstool_stale_view_after_an_upgrade(tmp_path: Path, now: dt.datetime) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-version-mismatch", now=now)
    upgraded = lab_state.load(roots[0])
    assert upgraded["version"] == "7.0" and lab_state.load(roots[1])["version"] == "6.7"

    def versions(root: Path, url: str) -> Dict[str, str]:
        regs = parse_lstool(run(root, "lstool", "list", "--url", url).stdout, "x")
        return {r.service_type: r.version for r in regs
                if r.node_id == upgraded["machine_id"]}

    own = versions(roots[0], "http://localhost:7090/lookupservice/sdk")
    seen = versions(roots[1], "http://localhost:7080/lookupservice/sdk")
    assert own["vcenterserver"] == "7.0" and seen["vcenterserver"] == "6.7"
    assert "hvc" in own and "hvc" not in seen and "vsphereclient" in seen


def test_lstool_refuses_the_wrong_port_or_a_stopped_service(pair: List[Path]) -> None:
    done = run(pair[0], "lstool", "list", "--url", "http://localhost:7090/lookupservice/sdk")
    assert done.returncode == 1 and "ConnectionRefusedError" in done.stderr
    with pytest.raises(VcfixError, match="exception"):
        parse_lstool(done.stdout + done.stderr, "lstool.py list")
    https = run(pair[0], "lstool", "list", "--url", f"https://{V1}/lookupservice/sdk")
    assert https.returncode == 0
    with lab_state.transaction(pair[0]) as state:
        state["services"]["lookupsvc"] = "Stopped"
    stopped = run(pair[0], "lstool", "list", "--url", "http://localhost:7080/lookupservice/sdk")
    assert stopped.returncode == 1
    assert run(pair[0], "lstool", "unregister").returncode == 2


def test_calls_are_logged(pair: List[Path]) -> None:
    vdc(pair[0], "showservers")
    run(pair[0], "vdcadmintool", stdin="6\n")
    tools = [c["tool"] for c in read_calls(pair[0])]
    assert tools == ["vdcrepadmin", "vdcadmintool"]
    assert json.dumps(read_calls(pair[1])) == "[]"


def test_a_management_node_holds_no_directory(tmp_path: Path, now: dt.datetime) -> None:
    from vcfix.lab.build import create_lab

    mgmt = create_lab(tmp_path / "mgmt", "healthy", version="6.7", node_type="management",
                      now=now)
    assert "[Server down] [9127]" in vdc(mgmt, "showservers").stdout
    assert "VmDir State is" not in run(mgmt, "vdcadmintool", stdin="6\n").stdout
    assert run(mgmt, "lstool", "list", "--url",
               "http://localhost:7080/lookupservice/sdk").returncode == 1
