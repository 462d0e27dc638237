"""``vcfix diagnose`` end to end on every lab scenario, and on broken appliances."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path
from typing import Any, Dict, List

import pytest

from vcfix import cli
from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.fakes.common import read_calls

# scenario -> (exit code, status, plan steps)
EXPECTED = {
    "healthy": (0, "ok", []),
    "sts-expiring": (1, "warning", ["sts"]),
    "sts-expired": (2, "critical", ["sts"]),
    "machine-ssl-expired": (2, "critical", ["machine-ssl"]),
    "solution-users-expired": (2, "critical", ["solution-users"]),
    "root-expired": (2, "critical", ["sts", "reset-all", "sts"]),
    "outage": (2, "critical", ["sts", "machine-ssl", "solution-users"]),
    "stale-root": (1, "warning", ["remove-unused-root"]),
    "extension-thumbprints-stale": (2, "critical", ["extension-thumbprints"]),
}


def diagnose_json(root: Path, capsys: pytest.CaptureFixture[str], *extra: str
                  ) -> tuple[int, Dict[str, Any]]:
    code = cli.main(["--root", str(root), "diagnose", "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_every_scenario(scenario: str, tmp_path: Path, fixed_clock: dt.datetime,
                        capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", scenario)
    code, doc = diagnose_json(root, capsys)
    want_code, want_status, want_steps = EXPECTED[scenario]
    assert (code, doc["status"]) == (want_code, want_status)
    assert [s["step"] for s in doc["plan"]] == want_steps
    assert doc["node"] == {"pnid": "vcsa01.lab.example", "domain": "vsphere.local",
                           "version": "7.0.3.01400", "node_type": "embedded"}
    assert doc["skipped_stores"] == ["TRUSTED_ROOT_CRLS"]
    assert doc["checked_at"] == "2026-06-01T12:00:00Z"
    for item in doc["certificates"] + doc["sts"]:
        for key in ("store", "alias", "group", "status", "subject", "issuer", "not_after",
                    "days_left", "sha1", "san"):
            assert key in item
    options = {s["step"]: s["option"] for s in doc["plan"]}
    assert all(options[k] == v for k, v in
               {"machine-ssl": 3, "solution-users": 6, "reset-all": 8, "sts": None}.items()
               if k in options)


def test_human_output_groups_and_plan(tmp_path: Path, fixed_clock: dt.datetime,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "outage")
    assert cli.main(["--root", str(root), "diagnose"]) == 2
    out = capsys.readouterr().out
    assert "\033[" not in out  # no colour when not on a terminal
    for title in ("Machine SSL", "Trusted roots", "Solution users", "STS signing"):
        assert title in out
    assert out.index("1. sts") < out.index("2. machine-ssl") < out.index("3. solution-users")
    assert "VMCA 'Name', give exactly the PNID" in out
    assert "CRITICAL" in out


def test_reads_each_store_once_counts_crls_without_text_and_no_password_in_argv(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    password = lab_state.load(root)["machine_account"]["password"]
    diagnose_json(root, capsys)
    calls = read_calls(root)
    listed = [c["argv"] for c in calls if c["tool"] == "vecs-cli" and "entry" in c["argv"]]
    stores = [argv[argv.index("--store") + 1] for argv in listed]
    # the CRLs are counted once, never with --text (an OpenSSL dump of each: hours)
    assert [a for a in listed if "TRUSTED_ROOT_CRLS" in a] == [
        ["entry", "list", "--store", "TRUSTED_ROOT_CRLS"]]
    assert len(stores) == len(set(stores)) and "MACHINE_SSL_CERT" in stores
    (ldap,) = [c["argv"] for c in calls if c["tool"] == "ldapsearch"]
    assert "-y" in ldap and "-w" not in ldap
    assert not any(password in arg for c in calls for arg in c["argv"])
    password_file = ldap[ldap.index("-y") + 1]
    assert not os.path.exists(password_file)  # removed after the call


def test_management_node_reads_sts_on_the_psc(tmp_path: Path, fixed_clock: dt.datetime,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "sts-expired", node_type="management")
    code, doc = diagnose_json(root, capsys)
    assert code == 2 and [s["step"] for s in doc["plan"]] == ["sts"]
    assert doc["node"]["node_type"] == "management"
    (ldap,) = [c["argv"] for c in read_calls(root) if c["tool"] == "ldapsearch"]
    assert any("psc01.lab.example" in arg for arg in ldap)


@pytest.mark.parametrize("version", ["6.7", "8.0"])
def test_other_versions(version: str, tmp_path: Path, fixed_clock: dt.datetime,
                        capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "solution-users-expired", version=version)
    code, doc = diagnose_json(root, capsys)
    stores = {c["store"] for c in doc["certificates"] if c["group"] == "solution-users"}
    assert ("hvc" in stores) == (version != "6.7")
    assert code == 2 and [s["step"] for s in doc["plan"]] == ["solution-users"]


def test_space_separated_vecs_output(tmp_path: Path, fixed_clock: dt.datetime,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "machine-ssl-expired")
    with lab_state.transaction(root) as state:
        state["settings"]["vecs_spaces"] = True
    code, doc = diagnose_json(root, capsys)
    assert code == 2 and [s["step"] for s in doc["plan"]] == ["machine-ssl"]


def test_warn_days_moves_the_threshold(tmp_path: Path, fixed_clock: dt.datetime,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "sts-expiring")
    code, doc = diagnose_json(root, capsys, "--warn-days", "30")
    assert code == 0 and doc["plan"] == []


# Broken appliances: exit 3, a message naming the command, never a traceback ------------------

def replace_tool(root: Path, relative: str, script: str) -> None:
    path = root / relative
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def unknown(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code = cli.main(["--root", str(root), "diagnose", *extra])
    captured = capsys.readouterr()
    assert code == 3
    assert "Traceback" not in captured.out + captured.err
    return captured.out + captured.err


def test_missing_tool(tmp_path: Path, fixed_clock: dt.datetime,
                      capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    (root / "usr/lib/vmware-vmafd/bin/vecs-cli").unlink()
    assert "vecs-cli not found" in unknown(root, capsys)


def test_failing_tool(tmp_path: Path, fixed_clock: dt.datetime,
                      capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    with lab_state.transaction(root) as state:
        state["services"]["vmafdd"] = "Stopped"
    out = unknown(root, capsys)
    assert "vmafd-cli get-pnid" in out or "vecs-cli" in out


def test_unparseable_output_names_the_command(tmp_path: Path, fixed_clock: dt.datetime,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    replace_tool(root, "usr/lib/vmware-vmafd/bin/vecs-cli",
                 'if [ "$1" = store ]; then echo MACHINE_SSL_CERT; else echo "segfault?!"; fi')
    out = unknown(root, capsys)
    assert "vecs-cli entry list --store MACHINE_SSL_CERT" in out


def test_timeout_names_the_command(tmp_path: Path, fixed_clock: dt.datetime,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    replace_tool(root, "opt/likewise/bin/lwregshell", "exec sleep 30")
    out = unknown(root, capsys, "--timeout", "0.5")
    assert "lwregshell list_values" in out and "did not finish within 0.5 s" in out


def test_wrong_machine_password_is_unknown(tmp_path: Path, fixed_clock: dt.datetime,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    dn = lab_state.load(root)["machine_account"]["dn"]
    replace_tool(root, "opt/likewise/bin/lwregshell",
                 f"echo '+  \"dcAccountDN\"  REG_SZ  \"{dn}\"'; "
                 "echo '+  \"dcAccountPassword\"  REG_SZ  \"not-the-password\"'")
    code = cli.main(["--root", str(root), "diagnose", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 3 and doc["status"] == "unknown"
    assert "ldapsearch" in doc["error"] and "Invalid credentials" in doc["error"]
    assert "VMDIR" in doc["skipped_stores"]
    assert "not-the-password" not in json.dumps(doc)


def test_not_an_appliance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = unknown(tmp_path, capsys)
    assert "cannot read the node type" in out and "appliance root" in out
    assert "nothing to do" not in out  # no plan from an incomplete diagnosis


def test_stores_are_read_concurrently(tmp_path: Path, fixed_clock: dt.datetime) -> None:
    """Every store listing is in flight at once: a barrier for all of them must open."""
    import threading

    from vcfix.appliance.paths import Appliance
    from vcfix.appliance.runner import Completed, Runner
    from vcfix.diagnose.collect import collect

    root = create_lab(tmp_path / "lab", "healthy")
    appliance = Appliance(root)
    real = Runner(appliance)
    stores: List[str] = real.run("vecs-cli", ["store", "list"]).stdout.split()
    # every store but TRUSTED_ROOT_CRLS, and the count of TRUSTED_ROOT_CRLS
    barrier = threading.Barrier(len(stores), timeout=20)

    class BarrierRunner(Runner):
        def run(self, tool: str, args: Any, **kw: Any) -> Completed:
            if tool == "vecs-cli" and args[:2] == ["entry", "list"]:
                barrier.wait()  # raises BrokenBarrierError if the listings run one by one
            return real.run(tool, args, **kw)

    got = collect(appliance, BarrierRunner(appliance))
    assert not got.errors and len(got.stores) == len(stores) - 1
