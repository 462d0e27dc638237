"""Several hosts' diagnoses: the worst exit code, one line per host, the JSON document."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Dict, List

import pytest

from vcfix import __version__
from vcfix.appliance.paths import Appliance
from vcfix.appliance.ssh.hosts_file import HostEntry
from vcfix.appliance.ssh.target import Target
from vcfix.diagnose.examine import examine
from vcfix.diagnose.fleet import HostResult, fleet_json, render_lines, summary, worst_code
from vcfix.diagnose.model import Diagnosis
from vcfix.lab.build import create_lab
from vcfix.ui.style import Style


@pytest.mark.parametrize("codes, worst", [
    ([0, 1, 3, 2], 2), ([3, 2], 2), ([2, 3], 2),  # critical beats unknown
    ([0, 3, 1], 3), ([1, 3], 3),  # unknown beats warning
    ([0, 1, 0], 1), ([0, 0], 0), ([], 0),
    ([0, 70], 3),  # anything else counts as unknown
])
def test_worst_code(codes: List[int], worst: int) -> None:
    assert worst_code(codes) == worst


@pytest.fixture
def diagnoses(tmp_path: Path, fixed_clock: dt.datetime) -> Dict[str, Diagnosis]:
    """Real diagnoses of lab appliances, judged at the fixed clock."""
    return {name: examine(Appliance(create_lab(tmp_path / name, name)))
            for name in ("outage", "healthy")}


def results(diagnoses: Dict[str, Diagnosis]) -> List[HostResult]:
    lab = Target("root", "127.0.0.1", 2222)
    return [
        HostResult(HostEntry(Target("root", "vc1.corp.example")), diagnoses["outage"]),
        HostResult(HostEntry(lab, Path("/srv/labs/vc2")), diagnoses["healthy"]),
        HostResult(HostEntry(Target("admin", "vc3")),
                   error="root@vc3: cannot connect: Connection refused\x1b[2J\nsecond line"),
        HostResult(HostEntry(Target("root", "vc4")),
                   Diagnosis.unknown(None, "vecs-cli failed\nvmafdd is down", diagnoses[
                       "healthy"].checked_at)),
    ]


def test_one_line_per_host_then_the_summary(diagnoses: Dict[str, Diagnosis]) -> None:
    lines = render_lines(results(diagnoses), Style(False))
    assert len(lines) == 5
    outage, healthy, down, unknown, last = lines
    assert outage.split() == ["root@vc1.corp.example", "CRITICAL", "7.0.3.01400", "soonest",
                              "2026-05-17", "(expired)", "plan:", "sts,", "machine-ssl,",
                              "solution-users"]
    assert healthy.startswith("root@127.0.0.1:2222 /srv/labs/vc2  OK ")
    assert "plan: none" in healthy and "days)" in healthy
    # the unreachable host: its reason on the same line, control characters escaped
    assert down.split("  ")[0].rstrip() == "admin@vc3"
    assert "UNREACHABLE" in down and "\x1b" not in down and "\n" not in down
    assert down.endswith("Connection refused\\x1b[2J; second line")
    assert unknown.split()[:3] == ["root@vc4", "UNKNOWN", "?"]
    assert "error: vecs-cli failed; vmafdd is down" in unknown
    # columns line up: the status starts at the same place on every line
    assert len({line.index(word) for line, word in zip(lines, (
        "CRITICAL", "OK", "UNREACHABLE", "UNKNOWN"))}) == 1
    assert last == "4 hosts: 1 critical, 1 unknown, 1 unreachable, 1 ok; exit 2"


def test_colour_paints_only_the_status(diagnoses: Dict[str, Diagnosis]) -> None:
    plain = render_lines(results(diagnoses), Style(False))
    painted = render_lines(results(diagnoses), Style(True))
    assert "\033[31mCRITICAL\033[0m" in painted[0]
    assert painted[0].replace("\033[31m", "").replace("\033[0m", "") == plain[0]


def test_summary_of_one_unreachable_host() -> None:
    only = [HostResult(HostEntry(Target("root", "vc9")), error="timed out")]
    assert summary(only) == "1 host: 1 unreachable; exit 3"


def test_json_document(diagnoses: Dict[str, Diagnosis], fixed_clock: dt.datetime) -> None:
    doc = fleet_json(results(diagnoses), fixed_clock)
    assert json.loads(json.dumps(doc)) == doc  # plain JSON types only
    assert set(doc) == {"vcfix_version", "checked_at", "exit_code", "hosts"}
    assert (doc["vcfix_version"], doc["checked_at"], doc["exit_code"]) == (
        __version__, "2026-06-01T12:00:00Z", 2)
    outage, healthy, down, unknown = doc["hosts"]
    assert outage == {"host": "root@vc1.corp.example", "exit_code": 2,
                      "diagnosis": diagnoses["outage"].to_json()}
    assert healthy["host"] == "root@127.0.0.1:2222" and healthy["root"] == "/srv/labs/vc2"
    assert healthy["diagnosis"]["status"] == "ok" and healthy["exit_code"] == 0
    assert down == {"host": "admin@vc3", "exit_code": 3,
                    "error": "root@vc3: cannot connect: Connection refused\\x1b[2J; second line"}
    assert unknown["exit_code"] == 3 and unknown["diagnosis"]["status"] == "unknown"


def test_an_unfinished_fix_is_named_on_its_host(diagnoses: Dict[str, Diagnosis]) -> None:
    run_dir = "/home/op/.local/state/vcfix/hosts/root@vc1/runs/20260601T110000Z"
    result = HostResult(HostEntry(Target("root", "vc1")), diagnoses["outage"],
                        unfinished=run_dir)
    (line, _summary) = render_lines([result], Style(False))
    assert line.endswith(f"plan: sts, machine-ssl, solution-users  unfinished fix: {run_dir}")
    assert fleet_json([result], diagnoses["outage"].checked_at)["hosts"][0][
        "unfinished_fix"] == run_dir
    assert "unfinished_fix" not in fleet_json(results(diagnoses), diagnoses[
        "outage"].checked_at)["hosts"][0]
