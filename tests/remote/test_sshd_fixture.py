"""The fixture itself: a key login works, host keys are pinned, the shell port refuses."""

from __future__ import annotations

import subprocess

from tests.remote.sshd import Sshd


def ssh(server: Sshd, port: int, *command: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(["ssh", "-F", str(server.ssh_config), "-o", "BatchMode=yes",
                           "-p", str(port), "root@127.0.0.1", *command],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


def test_a_command_runs_over_a_key_login(sshd: Sshd) -> None:
    done = ssh(sshd, sshd.port, "echo", "vcfix-$((40+2))")
    assert (done.returncode, done.stdout) == (0, "vcfix-42\n")
    assert sshd.authentications() >= 1


def test_the_appliance_shell_port_refuses_commands(sshd: Sshd) -> None:
    done = ssh(sshd, sshd.shell_port, "echo", "vcfix-$((40+2))")
    assert done.returncode == 1
    assert done.stdout.startswith("Unknown command: `echo'")
