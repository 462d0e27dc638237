"""The pure parts of remote mode: remote command lines, ssh's failures, script's log."""

from __future__ import annotations

import shlex
import subprocess

from vcfix.appliance.ssh import remote
from vcfix.appliance.ssh.errors import explain
from vcfix.appliance.ssh.jobs import _without_script_lines


def test_a_command_line_quotes_every_word_and_passes_only_the_allowed_environment(
        monkeypatch: object) -> None:
    line = remote.command_line(["/usr/bin/vecs-cli", "a b", "$(reboot)", "it's"],
                               {"TERM": "xterm", "BAD NAME": "x"}, cwd="/tmp/x y")
    assert "cd '/tmp/x y' && exec env" in line
    words = shlex.split(line.split("exec env ", 1)[1])
    assert words[-4:] == ["/usr/bin/vecs-cli", "a b", "$(reboot)", "it's"]
    assert "TERM=xterm" in words and "LANG=C" in words
    assert not [w for w in words if w.startswith("BAD")]
    done = subprocess.run(["sh", "-c", remote.script('printf "%s|" "$@"', "a b", "$(x)", "'")],
                          capture_output=True, text=True, check=True)
    assert done.stdout == "a b|$(x)|'|"


def test_ssh_failures_become_one_line_naming_the_host() -> None:
    cases = {
        "ssh: connect to host vc1 port 22: Connection refused": "connection refused",
        "No ED25519 host key is known for [vc1]:22 and you have requested strict checking.\n"
        "Host key verification failed.": "host key is not in known_hosts",
        "root@vc1: Permission denied (publickey,password).": "login was refused",
        "ssh: Could not resolve hostname vc1: Name or service not known": "does not resolve",
        "ssh: connect to host vc1 port 22: Connection timed out": "connection timeout",
        "@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@": "has CHANGED",
    }
    for stderr, expected in cases.items():
        message, _hint = explain("root@vc1", stderr)
        assert message.startswith("root@vc1: ") and expected in message, (stderr, message)
    message, hint = explain("root@vc1", "weird \x1b[31mthing\n")
    assert message == "root@vc1: ssh could not connect (weird \\x1b[31mthing)" and hint is None


def test_the_header_and_footer_of_script_are_not_the_tools_output() -> None:
    log = (b'Script started on 2026-12-02 11:58:23+00:00 [COMMAND="x"]\n'
           b"Option[1 to 8]: 3\r\n")
    assert _without_script_lines(log, True) == b"Option[1 to 8]: 3\r\n"
    assert _without_script_lines(log, False) == log
    end = b"Continue : \r\n\nScript done on 2026-12-02 11:58:28+00:00 [COMMAND_EXIT_CODE=\"1\"]\n"
    assert _without_script_lines(end, False) == b"Continue : \r\n"
