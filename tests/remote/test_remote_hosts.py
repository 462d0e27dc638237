"""Several hosts over a real sshd: ``diagnose`` of two lab appliances and a closed port,
``preupgrade`` of a three-node ELM domain from a hosts file with one root a line."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import List, Tuple

import pytest

from tests.remote.sshd import Sshd
from vcfix import cli
from vcfix.appliance.paths import Appliance
from vcfix.appliance.ssh.hosts_file import HostEntry
from vcfix.appliance.ssh.target import Reach, parse_target
from vcfix.commands import preupgrade
from vcfix.commands.fleet import over_hosts
from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.elm_build import create_domain_lab

PASSWORD = lab_state.LAB_SSO_PASSWORD


def run(capsys: pytest.CaptureFixture[str], sshd: Sshd, *argv: str) -> Tuple[int, str, str]:
    code = cli.main(["--ssh-config", str(sshd.ssh_config), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def quick(*roots: Path) -> List[Path]:
    """Lab appliances whose fake tools do not pretend to be slow."""
    for root in roots:
        with lab_state.transaction(root) as state:
            state["settings"]["speed"] = 0.0005
    return list(roots)


def hosts_file(tmp_path: Path, lines: List[str]) -> Path:
    path = tmp_path / "hosts"
    path.write_text("# lab appliances behind the test sshd\n" + "\n".join(lines) + "\n")
    return path


def test_diagnose_two_lab_hosts_and_a_closed_port(
        tmp_path: Path, sshd: Sshd, capsys: pytest.CaptureFixture[str]) -> None:
    outage, healthy = quick(create_lab(tmp_path / "vc1", "outage"),
                            create_lab(tmp_path / "vc2", "healthy"))
    hosts = hosts_file(tmp_path, [f"{sshd.target} {outage}", f"{sshd.target} {healthy}",
                                  sshd.closed_target])
    logins = sshd.authentications()
    code, out, _err = run(capsys, sshd, "diagnose", "--hosts-file", str(hosts))
    assert code == 2, out + _err  # critical beats the unreachable host's unknown
    assert sshd.authentications() - logins == 2  # one connection per host reached
    first, second, third, last = out.splitlines()
    host, status, version, soonest, plan = re.split(r"\s{2,}", first)
    assert (host, status, version, plan) == (f"{sshd.target} {outage}", "CRITICAL",
                                             "7.0.3.01400",
                                             "plan: sts, machine-ssl, solution-users")
    assert soonest.startswith("soonest ") and soonest.endswith(" (expired)")
    host, status, version, soonest, plan = re.split(r"\s{2,}", second)
    assert (host, status, version, plan) == (f"{sshd.target} {healthy}", "OK", "7.0.3.01400",
                                             "plan: none")
    assert soonest.startswith("soonest ") and soonest.endswith(" days)")
    host, status, reason = re.split(r"\s{2,}", third)
    assert (host, status) == (sshd.closed_target, "UNREACHABLE")
    assert sshd.closed_target in reason or "127.0.0.1" in reason
    assert last == "3 hosts: 1 critical, 1 unreachable, 1 ok; exit 2"

    code, out, err = run(capsys, sshd, "diagnose", "--hosts-file", str(hosts), "--json",
                         "--parallel", "3")
    doc = json.loads(out)
    assert (code, doc["exit_code"]) == (2, 2), out + err
    vc1, vc2, down = doc["hosts"]
    assert (vc1["host"], vc1["root"], vc1["exit_code"]) == (sshd.target, str(outage), 2)
    assert vc1["diagnosis"]["status"] == "critical"
    assert vc1["diagnosis"]["node"]["pnid"] == "vcsa01.lab.example"
    assert (vc2["root"], vc2["diagnosis"]["status"]) == (str(healthy), "ok")
    assert set(down) == {"host", "exit_code", "error"} and down["exit_code"] == 3


@pytest.fixture
def answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(preupgrade, "interactive", lambda: False)
    path = tmp_path / "answers.yaml"
    path.write_text(f"sso:\n  username: administrator@vsphere.local\n  password: '{PASSWORD}'\n")
    path.chmod(0o600)
    return path


def test_preupgrade_over_three_nodes_from_a_hosts_file(
        tmp_path: Path, sshd: Sshd, capsys: pytest.CaptureFixture[str], answers: Path) -> None:
    roots = quick(*create_domain_lab(tmp_path / "elm", "elm-chain", nodes=3))
    hosts = hosts_file(tmp_path, [f"{sshd.target} {root}" for root in roots])
    saved = tmp_path / "snapshots"
    logins = sshd.authentications()
    code, out, err = run(capsys, sshd, "preupgrade", "--hosts-file", str(hosts), "--answers",
                         str(answers), "--save-dir", str(saved), "--json")
    doc = json.loads(out)
    assert (code, doc["verdict"]) == (1, "warnings"), out + err
    assert sshd.authentications() - logins == 3  # one connection per node
    assert {f["rule"] for f in doc["findings"]} == {"chain-topology"}
    assert [n["host"] for n in doc["nodes"]] == [r.name for r in roots]
    assert doc["not_reached"] == [] and doc["unknowns"] == []
    files = sorted(saved.iterdir())
    assert [f.name for f in files] == [f"{r.name}.json" for r in roots]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert PASSWORD not in out + err + "".join(f.read_text() for f in files)

    # the same verdict, text and exit code as --merge of the saved snapshots
    code_text, text, _err = run(capsys, sshd, "preupgrade", "--hosts-file", str(hosts),
                                "--answers", str(answers))
    merged_code, merged, _err = run(capsys, sshd, "preupgrade", "--merge",
                                    *(str(f) for f in files))
    assert (code_text, merged_code) == (1, 1)
    assert text == merged


def test_preupgrade_with_a_node_down_is_not_safe_or_unknown(
        tmp_path: Path, sshd: Sshd, capsys: pytest.CaptureFixture[str], answers: Path) -> None:
    roots = quick(*create_domain_lab(tmp_path / "elm", "elm-healthy", nodes=3))
    hosts = hosts_file(tmp_path, [f"{sshd.target} {roots[0]}", f"{sshd.target} {roots[1]}",
                                  f"{sshd.closed_target} {roots[2]}"])
    code, out, _err = run(capsys, sshd, "preupgrade", "--hosts-file", str(hosts), "--answers",
                          str(answers), "--json")
    doc = json.loads(out)
    assert (code, doc["verdict"]) == (3, "unknown")  # never SAFE without every node
    (down,) = doc["not_reached"]
    assert (down["host"], down["root"]) == (sshd.closed_target, str(roots[2]))
    assert any(u.startswith(f"{sshd.closed_target} {roots[2]}: not checked: ")
               for u in doc["unknowns"])
    assert "missing-snapshot" in {f["rule"] for f in doc["findings"]}


def test_preupgrade_refused_password_asks_one_node_only(
        tmp_path: Path, sshd: Sshd, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from vcfix.lab.fakes.common import read_calls

    monkeypatch.setattr(preupgrade, "interactive", lambda: False)
    roots = quick(*create_domain_lab(tmp_path / "elm", "elm-healthy", nodes=3))
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("sso:\n  password: 'not-the-password'\n")
    wrong.chmod(0o600)
    hosts = hosts_file(tmp_path, [f"{sshd.target} {root}" for root in roots])
    code, out, err = run(capsys, sshd, "preupgrade", "--hosts-file", str(hosts), "--answers",
                         str(wrong))
    assert (code, out) == (3, "")
    assert "was refused" in err and "not-the-password" not in err
    asked = [r for r in roots if any(c["tool"] == "vdcrepadmin" for c in read_calls(r))]
    assert asked == [roots[0]]  # the other nodes were never sent the refused password


def test_without_batch_mode_every_host_is_connected_before_any_work(
        tmp_path: Path, sshd: Sshd) -> None:
    """On a terminal ssh may prompt: the hosts are connected one after another first (the
    prompts never interleave), then worked on together, each on its own connection."""
    roots = [create_lab(tmp_path / f"vc{i}", "healthy", version=v)
             for i, v in enumerate(("6.7", "8.0"))]
    target = parse_target(sshd.target)
    entries = [HostEntry(target, roots[0]), HostEntry(parse_target(sshd.closed_target)),
               HostEntry(target, roots[1])]
    logins = sshd.authentications()
    seen_logins: List[int] = []

    def work(entry: HostEntry, appliance: Appliance) -> str:
        seen_logins.append(sshd.authentications() - logins)
        assert appliance.transport.remote and appliance.root == entry.root
        return appliance.version()

    outcomes = over_hosts(entries, Reach(ssh_config=sshd.ssh_config, batch=False), work,
                          parallel=2)
    assert [o.entry for o in outcomes] == entries
    assert [(o.value or "")[:4] for o in outcomes] == ["6.7.", "", "8.0."], outcomes
    assert outcomes[1].error and sshd.closed_target in outcomes[1].error
    assert seen_logins == [2, 2]  # both logins happened before the first work began


def test_preupgrade_of_one_node_over_ssh(tmp_path: Path, sshd: Sshd,
                                         capsys: pytest.CaptureFixture[str],
                                         answers: Path) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-healthy", nodes=2)
    logins = sshd.authentications()
    code, out, err = run(capsys, sshd, "--host", sshd.target, "--root", str(roots[1]),
                         "preupgrade", "--answers", str(answers), "--json")
    doc = json.loads(out)
    assert (code, [n["host"] for n in doc["nodes"]]) == (1, [roots[1].name]), out + err
    assert {f["rule"] for f in doc["findings"]} == {"missing-snapshot"}  # alone, as locally
    assert "not_reached" not in doc and sshd.authentications() - logins == 1
    code, out, err = run(capsys, sshd, "--host", sshd.closed_target, "--root", str(roots[1]),
                         "preupgrade", "--answers", str(answers))
    assert (code, out) == (3, "") and sshd.closed_target in err
