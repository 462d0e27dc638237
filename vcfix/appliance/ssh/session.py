"""One remote shell command line at a time through a host's master connection."""

from __future__ import annotations

import contextlib
import subprocess

from vcfix.appliance.ssh.master import Master
from vcfix.appliance.ssh.remote import TEST, script, ssh_env
from vcfix.errors import VcfixError
from vcfix.redact import escape_controls

CALL_TIMEOUT = 60.0  # a file operation or a look at a job (a tool has its own timeout)


class Session:
    def __init__(self, master: Master) -> None:
        self.master = master
        self.label = str(master.target)

    def call(self, line: str, *, stdin: bytes = b"",
             timeout: float = CALL_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
        """Run one remote shell command line; the connection failing is a VcfixError."""
        try:
            done = subprocess.run(self.master.argv(line), input=stdin, capture_output=True,
                                  timeout=timeout, env=ssh_env())
        except subprocess.TimeoutExpired:
            raise VcfixError(f"{self.label}: no answer within {timeout:g} s") from None
        if done.returncode == 255:
            err = escape_controls(done.stderr.decode("utf-8", "replace").strip()[-300:])
            raise VcfixError(f"{self.label}: the SSH connection failed ({err or 'no reason'})",
                             hint=f"check that {self.label} is reachable, then run the same "
                             "command again")
        return done

    def test(self, flag: str, path: str) -> bool:
        """``test FLAG PATH`` on the appliance."""
        return self.call(script(TEST, flag, path)).returncode == 0

    def holder(self, line: str) -> subprocess.Popen[bytes]:
        """Start a remote command line that holds something (a lock, a password file) for
        as long as its stdin stays open; :func:`let_go` ends it."""
        return subprocess.Popen(self.master.argv(line), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env=ssh_env(), start_new_session=True)


def let_go(proc: subprocess.Popen[bytes]) -> None:
    """Close a holder's stdin (the remote side lets go and cleans up) and reap it."""
    with contextlib.suppress(OSError):
        assert proc.stdin is not None
        proc.stdin.close()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
