"""``vcfix preupgrade`` end to end on ELM labs: every scenario on every node, merges,
the SSO password's paths, the resample, and the exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import pexpect
import pytest

import vcfix
from vcfix import cli
from vcfix.commands import preupgrade
from vcfix.lab import elm
from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.elm_build import create_domain_lab
from vcfix.lab.fakes.common import read_calls
from vcfix.preupgrade import collect
from vcfix.preupgrade.snapshot import NodeSnapshot, Partner

PASSWORD = lab_state.LAB_SSO_PASSWORD
V1, V2, V3 = (elm.node_host(i) for i in range(3))
ALONE = {"missing-snapshot"}  # one node alone never sees the whole domain

# scenario, nodes -> ([(exit code, rules) per node], (merged exit code, merged rules))
Expected = Tuple[List[Tuple[int, Set[str]]], Tuple[int, Set[str]]]
EXPECTED: Dict[Tuple[str, int], Expected] = {
    ("elm-healthy", 2): ([(1, ALONE), (1, ALONE)], (0, set())),
    ("elm-healthy", 3): ([(1, ALONE)] * 3, (0, set())),
    ("elm-chain", 3): ([(1, ALONE)] * 3, (1, {"chain-topology"})),
    ("elm-partner-down", 2): ([(2, ALONE | {"partner-host-unavailable"}), (3, set())],
                             (2, {"partner-host-unavailable"})),
    ("elm-lagging", 2): ([(2, ALONE | {"partner-changes-behind"}), (1, ALONE)],
                        (2, {"partner-changes-behind"})),
    ("elm-catching-up", 2): ([(1, ALONE), (1, ALONE)], (0, set())),
    ("elm-counters-disagree", 2): ([(2, ALONE | {"partner-changes-behind"}), (1, ALONE)],
                                  (2, {"partner-changes-behind"})),
    ("elm-oneway", 2): ([(2, ALONE | {"partner-status-unavailable"}),
                        (2, ALONE | {"no-partners"})],
                       (2, {"one-way-agreement", "partner-status-unavailable", "no-partners"})),
    ("elm-readonly", 2): ([(1, ALONE), (2, ALONE | {"vmdir-state"})], (2, {"vmdir-state"})),
    ("elm-version-mismatch", 2): ([(1, ALONE), (1, ALONE)], (2, {
        "registration-mismatch", "registration-count-mismatch", "own-version-mismatch",
        "mixed-versions"})),
}
VERDICTS = {0: "safe", 1: "warnings", 2: "blocked", 3: "unknown"}
HEADLINES = {0: "SAFE", 1: "SAFE WITH WARNINGS", 2: "NOT SAFE", 3: "UNKNOWN"}


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> List[float]:
    """Replace the resample pause: tests never sleep, and see every pause asked for."""
    pauses: List[float] = []
    monkeypatch.setattr(collect, "wait", pauses.append)
    monkeypatch.setattr(preupgrade, "interactive", lambda: False)
    return pauses


def answer_file(tmp_path: Path, password: str = PASSWORD) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(f"sso:\n  username: administrator@vsphere.local\n  password: '{password}'\n")
    path.chmod(0o600)
    return path


def main(capsys: pytest.CaptureFixture[str], *argv: str) -> Tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def check_node(capsys: pytest.CaptureFixture[str], root: Path, answers: Path,
               save: Optional[Path] = None, *extra: str) -> Tuple[int, Dict[str, Any]]:
    args = ["--root", str(root), "preupgrade", "--json", "--answers", str(answers), *extra]
    code, out, err = main(capsys, *args, *(["--save", str(save)] if save else []))
    assert PASSWORD not in out + err
    return code, json.loads(out)


def rules(doc: Dict[str, Any]) -> Set[str]:
    return {f["rule"] for f in doc["findings"]}


@pytest.mark.parametrize(("scenario", "nodes"), sorted(EXPECTED))
def test_every_scenario_on_every_node_then_merged(
    tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str],
    slept: List[float], scenario: str, nodes: int,
) -> None:
    roots = create_domain_lab(tmp_path / "elm", scenario, nodes=nodes, now=fixed_clock)
    answers = answer_file(tmp_path)
    per_node, (merged_code, merged_rules) = EXPECTED[(scenario, nodes)]
    saved = []
    for root, (want_code, want_rules) in zip(roots, per_node):
        save = tmp_path / f"{root.name}.json"
        code, doc = check_node(capsys, root, answers, save)
        assert (code, rules(doc)) == (want_code, want_rules), root.name
        assert doc["verdict"] == VERDICTS[code] and doc["exit_code"] == code
        assert [n["host"] for n in doc["nodes"]] == [root.name]
        assert json.loads(save.read_text())["host"] == root.name
        assert PASSWORD not in save.read_text()
        calls = read_calls(root)
        assert PASSWORD not in json.dumps(calls)
        samples = [c for c in calls if c["argv"][:2] == ["-f", "showpartnerstatus"]]
        behind = scenario in ("elm-lagging", "elm-catching-up") and root == roots[0]
        assert len(samples) == (2 if behind else 1)  # only a node with partners behind
        saved.append(str(save))
    assert len(slept) == (1 if scenario in ("elm-lagging", "elm-catching-up") else 0)
    code, out, _err = main(capsys, "preupgrade", "--json", "--merge", *saved)
    doc = json.loads(out)
    assert (code, rules(doc)) == (merged_code, merged_rules)
    assert doc["verdict"] == VERDICTS[code] and doc["checked_at"] == "2026-06-01T12:00:00Z"
    assert [n["host"] for n in doc["nodes"]] == [r.name for r in roots]
    text_code, text, _err = main(capsys, "preupgrade", "--merge", *saved)
    assert text_code == code and text.startswith(HEADLINES[code] + " - ")
    assert "This judged" not in text
    if scenario == "elm-version-mismatch":
        details = [d for f in doc["findings"] if f["rule"] == "registration-mismatch"
                   for d in f["details"]]
        assert any(d.startswith(f"vcenterserver of {V1} ") and
                   d.endswith(f"Version 7.0 on {V1}, 6.7 on {V2}") for d in details)
        assert any(d.startswith(f"hvc of {V1} ") and d.endswith(f"missing on {V2}")
                   for d in details)
        assert f"{V1} runs 7.0.3.01400 but" in text and "lsdoctor, VMware KB 80469" in text


def test_text_report_of_one_node(tmp_path: Path, fixed_clock: dt.datetime,
                                 capsys: pytest.CaptureFixture[str], slept: List[float]) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-catching-up", now=fixed_clock)
    code, out, err = main(capsys, "--root", str(roots[0]), "preupgrade", "--answers",
                          str(answer_file(tmp_path)), "--resample-after", "5")
    assert code == 1 and out.startswith("SAFE WITH WARNINGS - ")
    assert f"{V2} behind on this node's changes; looking again in" in err
    assert len(slept) == 1 and 0 <= slept[0] <= 5
    lines = out.splitlines()
    row = next(line for line in lines if line.strip().startswith(V2))
    assert row.split()[1:] == ["Yes", "Yes", "5", "0"]
    assert any(line.startswith("  vcenterserver ") and "2  6.7" in line for line in lines)
    assert f"This judged {V1} alone" in out and "--merge" in out


def test_wrong_password_is_exit_3_and_never_retried(
    tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str],
    slept: List[float],
) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-healthy", now=fixed_clock)
    bad = "Not-The-Pass9"
    save = tmp_path / "node.json"
    code, out, err = main(capsys, "--root", str(roots[0]), "preupgrade", "--answers",
                          str(answer_file(tmp_path, bad)), "--save", str(save))
    assert code == 3 and out == ""
    assert "SSO password for administrator was refused" in err
    assert "Error [User invalid credential] [9234]" in err and "will not retry" in err
    assert bad not in err
    calls = read_calls(roots[0])
    assert [c["argv"][:2] for c in calls if c["tool"] == "vdcrepadmin"] == [
        ["-f", "showpartnerstatus"]]
    assert bad not in json.dumps(calls) and not save.exists()


def test_password_from_the_environment(tmp_path: Path, fixed_clock: dt.datetime,
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch,
                                       slept: List[float]) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-readonly", now=fixed_clock)
    answers = tmp_path / "env.yaml"
    answers.write_text("sso:\n  password: {env: LAB_SSO_PW}\n")
    monkeypatch.setenv("LAB_SSO_PW", PASSWORD)
    code, doc = check_node(capsys, roots[1], answers)
    assert code == 2 and "vmdir-state" in rules(doc)
    assert doc["nodes"][0]["vmdir_state"] == "Read only"


def test_no_terminal_and_no_answer_file_is_exit_4(
    tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str],
    slept: List[float],
) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-healthy", now=fixed_clock)
    code, out, err = main(capsys, "--root", str(roots[0]), "preupgrade")
    assert code == 4 and out == "" and "sso.password" in err
    assert read_calls(roots[0]) == []  # nothing ran without the password
    code, out, err = main(capsys, "--root", str(roots[0]), "preupgrade", "--save",
                          str(tmp_path / "no" / "such" / "node.json"))
    assert code == 2 and "does not exist" in err
    code, out, err = main(capsys, "--root", str(tmp_path), "preupgrade")
    assert code == 3 and "vdcrepadmin not found" in err


def test_asked_interactively_and_ctrl_c(tmp_path: Path, fixed_clock: dt.datetime,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch,
                                        slept: List[float]) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-healthy", now=fixed_clock)
    asked: List[Tuple[str, bool]] = []

    def ask(key: str, description: str, secret: bool) -> Optional[str]:
        asked.append((key, secret))
        return PASSWORD

    monkeypatch.setattr(preupgrade, "interactive", lambda: True)
    monkeypatch.setattr(preupgrade, "ask", ask)
    code, out, _err = main(capsys, "--root", str(roots[0]), "preupgrade")
    assert code == 1 and asked == [("sso.password", True)] and PASSWORD not in out

    def interrupt(key: str, description: str, secret: bool) -> Optional[str]:
        raise KeyboardInterrupt

    monkeypatch.setattr(preupgrade, "ask", interrupt)
    code, out, err = main(capsys, "--root", str(roots[0]), "preupgrade")
    assert code == 130 and "interrupted" in err and out == ""


def spawn_vcfix(root: Path) -> Any:
    env = dict(os.environ, PYTHONPATH=str(Path(vcfix.__file__).resolve().parent.parent),
               VCFIX_NOW="2026-06-01T12:00:00+00:00", NO_COLOR="1")
    return pexpect.spawn(sys.executable, ["-m", "vcfix", "--root", str(root), "preupgrade",
                                          "--resample-after", "0"],
                         env=env, encoding="utf-8", timeout=60, dimensions=(40, 200))


def test_real_terminal_prompt(tmp_path: Path, now: dt.datetime) -> None:
    roots = create_domain_lab(tmp_path / "elm", "elm-healthy", now=now)
    child = spawn_vcfix(roots[0])
    child.expect("SSO administrator password")
    child.sendline(PASSWORD)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert "SAFE WITH WARNINGS" in (child.before or "") and PASSWORD not in (child.before or "")
    stopped = spawn_vcfix(roots[0])
    stopped.expect("SSO administrator password")
    stopped.sendcontrol("c")
    stopped.expect(pexpect.EOF)
    stopped.close()
    assert stopped.exitstatus == 130


def snapshot_file(tmp_path: Path, host: str, servers: List[str], peers: List[str]) -> Path:
    """A healthy node's snapshot file, written as --save writes it."""
    snap = NodeSnapshot(
        host=host, taken_at=dt.datetime(2026, 6, 1, 12, tzinfo=dt.timezone.utc),
        version="7.0.3.01400", node_type="embedded", machine_id=f"id-{host}",
        site="default-site", vmdir_state="Normal",
        partners=[Partner(p, True, True, 0, 10, 10) for p in peers], agreements=peers,
        servers=servers, registrations=[],
    )
    path = tmp_path / f"{host}.json"
    snap.save(path)
    return path


def test_merge_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            fixed_clock: dt.datetime) -> None:
    snap = snapshot_file(tmp_path, V1, [V1], [])
    assert main(capsys, "preupgrade", "--merge", str(snap))[0] == 0
    code, _out, err = main(capsys, "preupgrade", "--merge", str(snap), "--save", "x.json")
    assert code == 2 and "--save does not apply" in err
    code, _out, err = main(capsys, "preupgrade", "--merge", str(snap), "--answers", "a.yaml")
    assert code == 2 and "--answers does not apply" in err
    code, _out, err = main(capsys, "preupgrade", "--merge", str(snap), str(snap))
    assert code == 2 and "two snapshots for" in err
    junk = tmp_path / "junk.json"
    junk.write_text("{}")
    code, _out, err = main(capsys, "preupgrade", "--merge", str(snap), str(junk))
    assert code == 2 and f"{junk} is not a vcfix pre-upgrade snapshot" in err
    code, _out, err = main(capsys, "preupgrade", "--merge", str(tmp_path / "none.json"))
    assert code == 2 and "cannot read snapshot" in err
    with pytest.raises(SystemExit) as caught:
        cli.main(["preupgrade", "--resample-after", "-1"])
    assert caught.value.code == 2


def test_merge_needs_no_root_and_warns_about_a_missing_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fixed_clock: dt.datetime
) -> None:
    servers = [V1, V2, V3]
    files = [snapshot_file(tmp_path, V1, servers, [V2, V3]),
             snapshot_file(tmp_path, V2, servers, [V1, V3])]
    code, out, _err = main(capsys, "--root", str(tmp_path / "nowhere"), "preupgrade",
                           "--json", "--merge", *map(str, files))
    doc = json.loads(out)
    assert code == 1 and rules(doc) == {"missing-snapshot"}
    [missing] = doc["findings"]
    assert missing["nodes"] == [V3] and missing["severity"] == "warning"
    assert set(doc) == {"format", "vcfix_version", "checked_at", "verdict", "exit_code",
                        "nodes", "findings", "unknowns"}


def test_single_node_lab_and_management_node(tmp_path: Path, fixed_clock: dt.datetime,
                                             capsys: pytest.CaptureFixture[str],
                                             slept: List[float]) -> None:
    alone = create_lab(tmp_path / "alone", "healthy", now=fixed_clock)  # 7.0: port 7090
    code, doc = check_node(capsys, alone, answer_file(tmp_path))
    assert (code, doc["verdict"], doc["findings"]) == (0, "safe", [])
    [node] = doc["nodes"]
    assert node["partners"] == [] and node["servers"] == ["vcsa01.lab.example"]
    assert node["registrations"]["vcenterserver"] == 1
    assert node["registration_versions"]["vcenterserver"] == ["7.0"]
    mgmt = create_lab(tmp_path / "mgmt", "healthy", version="6.7", node_type="management",
                      now=fixed_clock)
    code, out, err = main(capsys, "--root", str(mgmt), "preupgrade", "--answers",
                          str(answer_file(tmp_path)))
    assert code == 3 and out == "" and "external PSC" in err and "every PSC" in err
    assert read_calls(mgmt) == []
