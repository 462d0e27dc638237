"""``vcfix diagnose`` over several hosts, as far as it goes without an SSH server:
targets that cannot be reached, the options, and the several-host runner. The runs
against lab appliances behind a real sshd are in ``tests/remote``."""

from __future__ import annotations

import json
import re
import socket
import threading
from pathlib import Path
from typing import List, Tuple

import pytest

from vcfix import cli
from vcfix.appliance.paths import Appliance
from vcfix.appliance.ssh.hosts_file import HostEntry
from vcfix.appliance.ssh.target import Reach, Target
from vcfix.commands.fleet import concurrently, over_hosts
from vcfix.lab.build import create_lab


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_two_hosts_that_cannot_be_reached(capsys: pytest.CaptureFixture[str]) -> None:
    a, b = f"127.0.0.1:{closed_port()}", f"admin@127.0.0.1:{closed_port()}"
    code, out, _err = run(capsys, "--host", a, "--host", b, "diagnose")
    assert code == 3
    first, second, last = out.splitlines()
    host, status, reason = re.split(r"\s{2,}", first)
    assert (host, status) == (f"root@{a}", "UNREACHABLE") and host in reason  # names the host
    host, status, reason = re.split(r"\s{2,}", second)
    assert (host, status) == (b, "UNREACHABLE") and b in reason
    assert last == "2 hosts: 2 unreachable; exit 3"
    code, out, _err = run(capsys, "--host", a, "--host", b, "diagnose", "--json")
    doc = json.loads(out)
    assert code == 3 and set(doc) == {"vcfix_version", "checked_at", "exit_code", "hosts"}
    assert [(h["host"], h["exit_code"], set(h)) for h in doc["hosts"]] == [
        (f"root@{a}", 3, {"host", "exit_code", "error"}), (b, 3, {"host", "exit_code", "error"})]


def test_a_hosts_file_with_roots_and_repeats(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    hosts = tmp_path / "hosts"
    hosts.write_text(f"# labs\n127.0.0.1:{port} /srv/labs/vc1\n127.0.0.1:{port} /srv/labs/vc2\n"
                     f"root@127.0.0.1:{port} /srv/labs/vc1   # again\n")
    code, out, _err = run(capsys, "--root", "/srv/other", "--host", f"127.0.0.1:{port}",
                          "diagnose", "--hosts-file", str(hosts), "--json", "--parallel", "2")
    doc = json.loads(out)
    assert code == 3
    assert [(h["host"], h["root"]) for h in doc["hosts"]] == [
        (f"root@127.0.0.1:{port}", "/srv/other"), (f"root@127.0.0.1:{port}", "/srv/labs/vc1"),
        (f"root@127.0.0.1:{port}", "/srv/labs/vc2")]


def test_a_hosts_file_replaces_the_environment_default(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_HOST", "vc-from-env")
    hosts = tmp_path / "hosts"
    hosts.write_text(f"127.0.0.1:{closed_port()}\n")
    code, out, _err = run(capsys, "diagnose", "--hosts-file", str(hosts), "--json")
    assert code == 3 and "vc-from-env" not in out
    assert len(json.loads(out)["hosts"]) == 1  # a hosts file: the several-host document


def test_a_bad_hosts_file_line_is_a_usage_error(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("vc1\n\nvc2 -oProxyCommand=x\n")
    code, out, err = run(capsys, "diagnose", "--hosts-file", str(hosts))
    assert (code, out) == (2, "")
    assert f"{hosts}:3: the root folder '-oProxyCommand=x' must be an absolute path" in err


def test_state_dir_is_for_one_host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--host", "vc1", "--host", "vc2", "diagnose", "--state-dir",
                         str(tmp_path))
    assert (code, out) == (2, "") and "give one --host with it" in err


@pytest.mark.parametrize("value", ["0", "65", "x", "-1"])
def test_parallel_is_bounded(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--host", "a", "--host", "b", "diagnose", "--parallel", value])
    assert caught.value.code == 2
    assert "a whole number from 1 to 64" in capsys.readouterr().err


def test_one_host_keeps_the_single_host_document(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    code, out, _err = run(capsys, "--root", str(root), "--host", f"127.0.0.1:{closed_port()}",
                          "diagnose", "--json")
    doc = json.loads(out)
    assert "schema_version" in doc and "hosts" not in doc and doc["exit_code"] == code


@pytest.mark.parametrize("command", [["fix", "--dry-run"], ["restore", "/tmp/run"], []])
def test_other_commands_act_on_one_host(command: List[str],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--host", "vc1", "--host", "vc2", *command])
    assert caught.value.code == 2
    assert "acts on one appliance: give --host once" in capsys.readouterr().err


def test_the_same_host_twice_is_one_host(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    root = create_lab(tmp_path / "lab", "healthy")
    target = f"127.0.0.1:{closed_port()}"
    code, out, _err = run(capsys, "--root", str(root), "--host", target,
                          "--host", f"root@{target}", "diagnose", "--json")
    assert "schema_version" in json.loads(out)  # one distinct host: the single-host form


def test_without_batch_mode_hosts_are_connected_first_and_kept_in_order() -> None:
    targets = [Target("root", "127.0.0.1", closed_port()) for _ in range(3)]
    entries = [HostEntry(t, Path(f"/srv/lab{i}")) for i, t in enumerate(targets)]
    worked: List[HostEntry] = []

    def work(entry: HostEntry, appliance: Appliance) -> str:
        worked.append(entry)
        return "never"

    for batch in (False, True):
        outcomes = over_hosts(entries, Reach(batch=batch, connect_timeout=5), work, parallel=2)
        assert [o.entry for o in outcomes] == entries
        assert all(o.value is None and str(o.entry.target) in (o.error or "")
                   for o in outcomes)
    assert worked == []


def test_concurrently_runs_side_by_side_and_keeps_the_order() -> None:
    second_started = threading.Event()

    def call(item: int) -> int:
        if item == 0:  # finishes only once item 1 has started: they run side by side
            assert second_started.wait(30)
        else:
            second_started.set()
        return item * 10

    assert concurrently([0, 1], call, parallel=2) == [0, 10]
    assert concurrently([1, 2, 3], lambda i: i, parallel=1) == [1, 2, 3]


def test_concurrently_raises_what_a_call_raised() -> None:
    def call(item: int) -> int:
        if item == 1:
            raise KeyError(item)
        return item

    with pytest.raises(KeyError):
        concurrently([0, 1, 2, 3], call, parallel=2)
