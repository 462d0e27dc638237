"""examples/ansible run by the real ansible-playbook against lab appliances behind a real sshd.

vcfix runs on the controller in remote mode, one process per inventory host; the labs are
the remote roots (``vcfix_root``) on 127.0.0.1, reached through the test sshd, and one
inventory host points at a port nobody listens on. ansible-playbook is slow to start, so
every test runs the playbook once and the labs and the server are built once per module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import yaml
from conftest import FIXED_NOW
from fixlab import PASSWORD, files_containing

from tests.remote.sshd import Sshd
from vcfix.lab.build import create_lab
from vcfix.lab.elm_build import create_domain_lab

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "ansible"
VCFIX = [sys.executable, "-m", "vcfix"]
SCENARIOS = {"vcsa01": "healthy", "vcsa02": "outage", "vcsa04": "sts-expiring"}
DOWN = "vcsa03"  # a port nobody listens on


def ansible_playbook() -> str:
    """The real ansible-playbook: beside this Python (the test venv), else on PATH."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.exists():
        return str(beside)
    found = shutil.which("ansible-playbook")
    if found is None:
        pytest.fail(f"ansible-playbook is neither beside {sys.executable} nor on PATH: "
                    "install the test extras (pip install -e '.[test]' brings ansible-core)")
    return found


class Fleet:
    def __init__(self, base: Path, server: Sshd) -> None:
        self.base = base
        self.server = server
        self.roots: Dict[str, Path] = {}

    def host(self, name: str, **extra: Any) -> Dict[str, Any]:
        """An inventory host reached through the sshd as ansible_host:ansible_port (the
        target is ansible_user@ansible_host:ansible_port); DOWN gets the closed port."""
        port = self.server.closed_port if name == DOWN else self.server.port
        entry: Dict[str, Any] = {"ansible_host": "127.0.0.1", "ansible_port": port,
                                 "vcfix_root": str(self.roots.get(name, self.base / "none"))}
        entry.update(extra)
        return entry

    def named_host(self, name: str) -> Dict[str, Any]:
        """An inventory host known by its name alone (the target is root@NAME), as most
        inventories list their vCenters: an ssh_config (:meth:`aliases`) says where it is."""
        return {"vcfix_root": str(self.roots.get(name, self.base / "none")),
                "vcfix_ssh_config": str(self.aliases())}

    def aliases(self) -> Path:
        """An ssh_config naming vcsa01-vcsa04 (DOWN at the closed port), then the test
        sshd's settings (key, pinned known_hosts) for every host."""
        path = self.base / "aliases_ssh_config"
        names = " ".join(n for n in SCENARIOS if n != DOWN)
        settings = self.server.ssh_config.read_text().split("\n", 1)[1]
        path.write_text(
            f"Host {names}\n    HostName 127.0.0.1\n    Port {self.server.port}\n"
            f"Host {DOWN}\n    HostName 127.0.0.1\n    Port {self.server.closed_port}\n"
            f"Host *\n{settings}")
        os.chmod(path, 0o600)
        return path

    def inventory(self, name: str, groups: Dict[str, Dict[str, Dict[str, Any]]]) -> Path:
        path = self.base / f"{name}.yml"
        common = {"ansible_user": "root", "vcfix_command": VCFIX,
                  "vcfix_ssh_config": str(self.server.ssh_config)}
        doc = {"all": {"vars": common,
                       "children": {group: {"hosts": hosts} for group, hosts in groups.items()}}}
        path.write_text(yaml.safe_dump(doc))
        return path

    def play(self, playbook: str, inventory: Path,
             *extra: str) -> "subprocess.CompletedProcess[str]":
        scratch = self.base / "scratch"
        for sub in ("home", "local", "remote", "tmp"):
            (scratch / sub).mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ANSIBLE_", "VCFIX_"))}
        env.update({
            "VCFIX_NOW": FIXED_NOW.isoformat(),  # the labs were built at FIXED_NOW
            "ANSIBLE_CONFIG": str(EXAMPLES / "ansible.cfg"),
            "ANSIBLE_HOME": str(scratch / "home"),
            "ANSIBLE_LOCAL_TEMP": str(scratch / "local"),
            "ANSIBLE_REMOTE_TEMP": str(scratch / "remote"),  # the copy module's staging
            "ANSIBLE_NOCOLOR": "1",
            "TMPDIR": str(scratch / "tmp"),
        })
        return subprocess.run(
            [ansible_playbook(), "-i", str(inventory), str(EXAMPLES / playbook), *extra],
            cwd=EXAMPLES, env=env, capture_output=True, text=True, timeout=280,
            stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    base = tmp_path_factory.mktemp("fleet")
    server = Sshd(base / "sshd").start()
    try:
        found = Fleet(base, server)
        for name, scenario in SCENARIOS.items():
            found.roots[name] = create_lab(base / name, scenario, now=FIXED_NOW)
        yield found
    finally:
        server.stop()


def report_lines(stdout: str) -> Dict[str, str]:
    """host -> its one-line report (the debug task's msg)."""
    found = re.findall(r'"msg": "((vcsa\d\d|broken): [A-Z]+.*)"', stdout)
    return {host: line for line, host in found}


def recap(stdout: str) -> Dict[str, Dict[str, int]]:
    return {m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
            for m in re.finditer(r"^(\S+)\s+: (ok=.*)$", stdout, re.M)}


def test_diagnose_playbook_in_strict_mode_over_four_vcenters(fleet: Fleet) -> None:
    """One run (ansible-playbook is slow to start; under xdist a shared run would be
    repeated on every worker): OK, CRITICAL, unreachable and WARNING vCenters, listed by
    name as inventories do, strict mode and a report folder."""
    names = ["vcsa01", "vcsa02", DOWN, "vcsa04"]
    inventory = fleet.inventory("strict", {"vcenters": {n: fleet.named_host(n) for n in names}})
    reports = fleet.base / "reports"
    before = fleet.server.log.read_text(errors="replace")
    done = fleet.play("diagnose.yml", inventory, "-e", "vcfix_strict=true",
                      "-e", f"vcfix_report_dir={reports}")
    sshd_log = fleet.server.log.read_text(errors="replace")[len(before):]
    every_host_is_reported_with_status_expiry_and_plan(done)
    critical_and_unreachable_hosts_are_marked_and_strict_fails_last(done)
    # one login per reachable vCenter: vcsa01, vcsa02, vcsa04 (nothing listens for vcsa03)
    assert sshd_log.count("Accepted publickey") == 3, sshd_log
    the_reports_are_kept_as_the_multi_host_document(reports)


def every_host_is_reported_with_status_expiry_and_plan(
        done: "subprocess.CompletedProcess[str]") -> None:
    lines = report_lines(done.stdout)
    assert set(lines) == {"vcsa01", "vcsa02", "vcsa03", "vcsa04"}, done.stdout + done.stderr
    assert lines["vcsa01"].startswith("vcsa01: OK (7.0.3.01400); soonest expiry ")
    assert lines["vcsa01"].endswith("; plan: nothing to do")
    assert lines["vcsa02"].startswith(
        "vcsa02: CRITICAL (7.0.3.01400); soonest expiry MACHINE_SSL_CERT/__MACHINE_CERT ")
    assert "(-15 days); plan: sts, machine-ssl, solution-users" in lines["vcsa02"]
    assert lines["vcsa04"].startswith(
        "vcsa04: WARNING (7.0.3.01400); soonest expiry VMDIR/TenantCredential-1 ")
    assert lines["vcsa04"].endswith("(100 days); plan: sts")
    down = lines["vcsa03"]
    assert down.startswith("vcsa03: UNKNOWN; UNREACHABLE: "), down
    assert "root@vcsa03: " in down  # vcfix names the host, as the inventory does


def critical_and_unreachable_hosts_are_marked_and_strict_fails_last(
        done: "subprocess.CompletedProcess[str]") -> None:
    out = done.stdout
    assert '"CRITICAL (expired in use): vcsa02"' in out
    assert '"UNKNOWN (not checked): vcsa03"' in out
    assert '"UNREACHABLE (of the unknown): vcsa03"' in out
    assert '"WARNING: vcsa04"' in out and '"OK: vcsa01"' in out
    # strict mode: the play fails, but only after every host was diagnosed and reported
    assert done.returncode == 2, out + done.stderr
    failed = out.index("vcfix: critical: vcsa02; not checked: vcsa03")
    assert failed > max(out.index(f'"msg": "{h}: ') for h in ("vcsa01", "vcsa02", "vcsa03",
                                                             "vcsa04"))
    hosts = recap(out)
    assert {h: hosts[h]["failed"] for h in ("vcsa02", "vcsa03", "vcsa04")} == {
        "vcsa02": 0, "vcsa03": 0, "vcsa04": 0}
    assert all(hosts[h]["unreachable"] == 0 for h in hosts)


def the_reports_are_kept_as_the_multi_host_document(reports: Path) -> None:
    fleet_doc = json.loads((reports / "fleet.json").read_text())
    assert set(fleet_doc) == {"vcfix_version", "checked_at", "hosts"}
    assert [(h["host"], h["exit_code"]) for h in fleet_doc["hosts"]] == [
        ("vcsa01", 0), ("vcsa02", 2), ("vcsa03", 3), ("vcsa04", 1)]
    by_host = {h["host"]: h["diagnosis"] for h in fleet_doc["hosts"]}
    assert by_host["vcsa02"]["node"]["pnid"] == "vcsa01.lab.example"
    assert [s["step"] for s in by_host["vcsa02"]["plan"]] == [
        "sts", "machine-ssl", "solution-users"]
    assert by_host["vcsa03"]["status"] == "unknown" and by_host["vcsa03"]["error"]
    assert by_host["vcsa03"]["node"] is None
    for name in ("vcsa01", "vcsa02", "vcsa03", "vcsa04"):
        path = reports / f"{name}.json"
        assert json.loads(path.read_text()) == by_host[name]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_without_strict_mode_every_host_runs_and_the_play_passes(fleet: Fleet) -> None:
    """A host vcfix prints no document for (here a usage error) is unknown too, and neither
    it, an unreachable host nor a critical one stops the others or fails the play."""
    inventory = fleet.inventory("lenient", {"vcenters": {
        "broken": fleet.host("vcsa01", vcfix_warn_days=-1),
        "vcsa02": fleet.host("vcsa02"),
        DOWN: fleet.host(DOWN),
    }})
    done = fleet.play("diagnose.yml", inventory)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = report_lines(done.stdout)
    assert lines["broken"].startswith(
        "broken: UNKNOWN; UNREACHABLE: vcfix printed no diagnosis (exit 2): ")
    assert "--warn-days" in lines["broken"]
    assert lines["vcsa02"].startswith("vcsa02: CRITICAL")
    assert lines["vcsa03"].startswith("vcsa03: UNKNOWN; UNREACHABLE: ")
    assert '"UNKNOWN (not checked): broken, vcsa03"' in done.stdout
    assert not (fleet.base / "reports-lenient").exists()


@pytest.fixture(scope="module")
def vault(fleet: Fleet) -> List[str]:
    """vcfix_sso_password in an Ansible Vault file, and the options that open it."""
    password_file = fleet.base / "vault-pass"
    password_file.write_text("vault-secret-for-tests\n")
    os.chmod(password_file, 0o600)
    vault_bin = Path(ansible_playbook()).with_name("ansible-vault")
    encrypted = subprocess.run(
        [str(vault_bin), "encrypt_string", "--vault-password-file", str(password_file),
         "--stdin-name", "vcfix_sso_password"],
        input=PASSWORD, capture_output=True, text=True, timeout=120, check=True).stdout
    vars_file = fleet.base / "vault.yml"
    vars_file.write_text(encrypted)
    assert PASSWORD not in vars_file.read_text()
    return ["--vault-password-file", str(password_file), "-e", f"@{vars_file}"]


def test_preupgrade_of_a_three_node_domain(fleet: Fleet, vault: List[str]) -> None:
    roots = create_domain_lab(fleet.base / "elm", "elm-healthy", nodes=3, now=FIXED_NOW)
    nodes = {root.name.split(".")[0]: {"ansible_host": "127.0.0.1",
                                       "ansible_port": fleet.server.port,
                                       "vcfix_root": str(root)} for root in roots}
    inventory = fleet.inventory("domain", {"sso_lab": nodes})
    reports = fleet.base / "reports-domain"
    done = fleet.play("preupgrade.yml", inventory, "-e", "vcfix_domain=sso_lab",
                      "-e", f"vcfix_report_dir={reports}", "-e", "vcfix_strict=true", *vault)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "vcfix preupgrade: SAFE (exit 0)" in out
    for root in roots:
        assert f"node {root.name}: version " in out
    verdict = json.loads((reports / "preupgrade.json").read_text())
    assert (verdict["verdict"], verdict["exit_code"]) == ("safe", 0)
    assert sorted(n["host"] for n in verdict["nodes"]) == sorted(r.name for r in roots)
    # the password went through a 0600 file that is gone, and nowhere else
    assert PASSWORD not in out + done.stderr
    scratch = fleet.base / "scratch"
    assert files_containing(scratch, PASSWORD) == []
    assert not list((scratch / "tmp").glob("*.vcfix"))
