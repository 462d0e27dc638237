"""vcfix diagnose over SSH: the same diagnosis as on the appliance, and every way a
connection can fail named in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.fixlab import fast_lab
from tests.remote.remote_lab import leftover_password_files, remote_args
from tests.remote.sshd import Sshd
from vcfix import cli


def diagnose_json(capsys: pytest.CaptureFixture[str], args: List[str]) -> Dict[str, Any]:
    code = cli.main([*args, "diagnose", "--json"])
    document: Dict[str, Any] = json.loads(capsys.readouterr().out)
    assert document["exit_code"] == code
    return document


def test_a_remote_diagnosis_equals_the_local_one(sshd: Sshd, tmp_path: Path, fixed_clock: Any,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", "VMware123!")
    root = fast_lab(tmp_path, "outage")
    before = sshd.authentications()
    local = diagnose_json(capsys, ["--root", str(root)])
    remote = diagnose_json(capsys, remote_args(sshd, root))
    assert remote["exit_code"] == local["exit_code"] == 2
    assert remote["plan"] == local["plan"]
    assert remote["certificates"] == local["certificates"]
    assert remote["sts"] == local["sts"]
    assert sshd.authentications() == before + 1  # one login for every call
    assert leftover_password_files(root) == []


def test_the_appliance_shell_is_named_and_nothing_else_is_sent(
        sshd: Sshd, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "healthy")
    sent_before = sshd.shell_log.read_text().splitlines() if sshd.shell_log.exists() else []
    document = diagnose_json(capsys, remote_args(sshd, root, sshd.shell_target))
    assert document["exit_code"] == 3
    assert "appliance shell" in document["error"]
    assert "chsh -s /bin/bash root" in document["error"]
    assert "KB 2100508" in document["error"]
    sent = sshd.shell_log.read_text().splitlines()[len(sent_before):]
    assert len(sent) == 1 and "vcfix-probe" in sent[0]  # the probe, then nothing


@pytest.mark.parametrize("case, expected", [
    ("closed", "connection refused"),
    ("unknown-key", "host key is not in known_hosts"),
    ("refused-key", "login was refused"),
])
def test_connection_failures_get_one_line_naming_the_host(
        sshd: Sshd, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        case: str, expected: str) -> None:
    root = fast_lab(tmp_path, "healthy")
    config = sshd.ssh_config.read_text()
    target = sshd.target
    if case == "closed":
        target = sshd.closed_target
    elif case == "unknown-key":
        (tmp_path / "empty_known_hosts").write_text("")
        config = config.replace(str(sshd.known_hosts), str(tmp_path / "empty_known_hosts"))
    else:
        other = tmp_path / "other_key"
        import subprocess
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)],
                       check=True)
        config = config.replace(str(sshd.client_key), str(other))
    (tmp_path / "ssh_config").write_text(config)
    args = ["--host", target, "--ssh-config", str(tmp_path / "ssh_config"), "--root", str(root)]
    document = diagnose_json(capsys, args)
    assert document["exit_code"] == 3
    assert document["error"].startswith(f"{target}: ")
    assert expected in document["error"]
    if case == "unknown-key":  # never accepted by itself
        assert (tmp_path / "empty_known_hosts").read_text() == ""


def test_a_silent_port_times_out_and_a_bad_name_fails_to_resolve(sshd: Sshd,
                                                                 tmp_path: Path) -> None:
    """The two failures that need no sshd: a port that accepts but never speaks SSH, and
    a name that does not resolve; each one line naming the host."""
    import socket

    from vcfix.appliance.ssh.target import Reach, parse_target
    from vcfix.appliance.ssh.transport import SshTransport
    from vcfix.errors import VcfixError

    reach = Reach(ssh_config=sshd.ssh_config, batch=True, connect_timeout=2)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        target = parse_target(f"root@127.0.0.1:{silent.getsockname()[1]}")
        with pytest.raises(VcfixError) as timed_out:
            SshTransport.open(target, reach)
    assert timed_out.value.message.startswith(f"{target}: ")
    assert "no answer within the connection timeout" in timed_out.value.message
    with pytest.raises(VcfixError) as unresolved:
        SshTransport.open(parse_target("root@vcsa.invalid"), reach)
    assert unresolved.value.message == "root@vcsa.invalid: the name does not resolve (DNS)"
