"""One authenticated SSH connection per host, shared by every call (OpenSSH multiplexing).

:class:`Master` opens it with the system ``ssh`` (the operator's ``~/.ssh/config``,
agent, keys and ``known_hosts``, or ``-F`` FILE), its control socket in a private 0700
folder (``mkdtemp``). On a terminal ssh itself asks for a password or OTP, once; vcfix
never sees it. ``batch`` (unattended, or no terminal) adds ``BatchMode=yes``: a host
that would ask anything fails at once. Host-key checking is left as configured: vcfix
never weakens it.

While vcfix runs, a "keeper" session holds the master open (``ControlPersist`` then
only counts idle time after vcfix is gone, even after ``kill -9``); :meth:`close` ends it
(``ssh -O exit``), also at exit and on SIGHUP/SIGTERM.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import List, Optional, Set

from vcfix.appliance.secretfile import also_on_signal
from vcfix.appliance.ssh.errors import explain
from vcfix.appliance.ssh.target import Reach, Target
from vcfix.errors import VcfixError

SSH = "ssh"
LINGER = 30  # seconds the master stays after its last session (vcfix killed)
ALIVE_INTERVAL, ALIVE_COUNT = 15, 3  # a silent network: the connection drops after ~45 s
OPEN_WAIT = 300.0  # the operator types a password or OTP within this long
_OPEN: Set[Master] = set()
_GUARD = threading.Lock()


class Master:
    def __init__(self, target: Target, reach: Reach) -> None:
        self.target, self.reach = target, reach
        self.folder = Path(tempfile.mkdtemp(prefix="vcfix-ssh-"))  # 0700
        self.socket = self.folder / "control"
        self.keeper: Optional[subprocess.Popen[bytes]] = None
        self.closed = False

    def options(self) -> List[str]:
        """ssh options common to the master and every call through it."""
        opts = ["-F", str(self.reach.ssh_config)] if self.reach.ssh_config else []
        if self.target.port:
            opts += ["-p", str(self.target.port)]
        opts += ["-o", f"ControlPath={self.socket}", "-o", "ServerAliveInterval="
                 f"{ALIVE_INTERVAL}", "-o", f"ServerAliveCountMax={ALIVE_COUNT}",
                 "-o", f"ConnectTimeout={int(self.reach.connect_timeout)}", "-e", "none"]
        if self.reach.batch:
            opts += ["-o", "BatchMode=yes"]
        return opts

    def argv(self, remote: str, *, tty: bool = False) -> List[str]:
        """The local argv of one call through the master (never a new login)."""
        return [SSH, *self.options(), "-o", "ControlMaster=no", "-tt" if tty else "-T",
                "-o", "LogLevel=ERROR", self.target.destination, "--", remote]

    def open(self) -> None:
        """Authenticate once; VcfixError naming the host when it cannot."""
        log = self.folder / "master.log"
        argv = [SSH, *self.options(), "-o", "ControlMaster=yes", "-o",
                f"ControlPersist={LINGER}", "-E", str(log), "-N", "-f",
                self.target.destination]
        with _GUARD:
            _OPEN.add(self)
        try:
            done = subprocess.run(argv, stdin=None if not self.reach.batch
                                  else subprocess.DEVNULL, timeout=OPEN_WAIT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except FileNotFoundError:
            self.close()
            raise VcfixError("remote mode needs the OpenSSH client ('ssh'), which is not "
                             "installed here") from None
        except subprocess.TimeoutExpired:
            self.close()
            raise VcfixError(f"{self.target}: no login within {OPEN_WAIT:g} s") from None
        if done.returncode != 0 or not self.socket.exists():
            text = log.read_text(errors="replace") if log.exists() else ""
            self.close()
            message, hint = explain(str(self.target), text)
            if self.reach.batch and "login was refused" in message:
                hint = ("unattended runs log in with a key only: put your public key in "
                        f"root's authorized_keys there (ssh-copy-id {self.target}) or load "
                        "it in ssh-agent; or run vcfix on a terminal")
            raise VcfixError(message, hint=hint)

    def hold(self) -> None:
        """Keep the master open for as long as vcfix runs (after the shell check)."""
        self.keeper = subprocess.Popen(self.argv("exec cat >/dev/null"),
                                       stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, start_new_session=True)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.keeper is not None:
            with contextlib.suppress(OSError):
                assert self.keeper.stdin is not None
                self.keeper.stdin.close()
        if self.socket.exists():
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                subprocess.run([SSH, *self.options(), "-O", "exit", self.target.destination],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=10)
        if self.keeper is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.keeper.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)
        with _GUARD:
            _OPEN.discard(self)


def close_all() -> None:
    """Close every master still open (at exit, on SIGHUP/SIGTERM)."""
    for master in list(_OPEN):
        master.close()


atexit.register(close_all)
also_on_signal(close_all)
