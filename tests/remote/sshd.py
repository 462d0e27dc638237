"""A real OpenSSH server on 127.0.0.1 for remote-mode tests and benchmarks.

:class:`Sshd` starts ``/usr/sbin/sshd`` (Debian package openssh-server; ``.ci/run``
installs it) in the foreground at a free port, with a throwaway host key, a throwaway
client key in its own ``authorized_keys`` and an ``ssh_config`` for vcfix's
``--ssh-config`` that pins the host key (``StrictHostKeyChecking yes`` with its own
known_hosts) and never looks at the operator's ``~/.ssh``. A second port serves the
appliance shell case: every command there is answered by the lab's fake appliancesh
(``ForceCommand``), like root on a VCSA whose login shell was never changed.
Nothing outside the given folder is written; sshd logs to ``sshd.log`` there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

SSHD = "/usr/sbin/sshd"
APPLIANCESH = Path(__file__).with_name("appliancesh.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vcfix-test",
                    "-f", str(path)], check=True, stdin=subprocess.DEVNULL)


class Sshd:
    """One sshd; ``target(port=...)`` and ``ssh_config`` are what vcfix is given."""

    def __init__(self, base: Path, *, max_sessions: int = 64) -> None:
        self.base = base
        self.port = free_port()
        self.shell_port = free_port()  # root's login shell is the appliance shell here
        self.closed_port = free_port()  # nobody listens (a closed port)
        self.max_sessions = max_sessions
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.log = base / "sshd.log"
        self.ssh_config = base / "ssh_config"
        self.known_hosts = base / "known_hosts"
        self.client_key = base / "client_ed25519"
        self.shell_log = base / "appliancesh.log"  # every command the appliance shell got

    @property
    def target(self) -> str:
        return f"root@127.0.0.1:{self.port}"

    @property
    def shell_target(self) -> str:
        return f"root@127.0.0.1:{self.shell_port}"

    @property
    def closed_target(self) -> str:
        return f"root@127.0.0.1:{self.closed_port}"

    def start(self) -> Sshd:
        if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
            raise RuntimeError("/run/sshd (sshd's privilege separation folder) is missing: "
                               "'mkdir -p /run/sshd' (.ci/run does)")
        if not os.path.exists(SSHD):
            raise RuntimeError(f"{SSHD} is missing: install the Debian package openssh-server "
                               "(.ci/run does)")
        self.base.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o700)
        keygen(self.base / "host_ed25519")
        keygen(self.client_key)
        (self.base / "authorized_keys").write_text(
            (self.base / "client_ed25519.pub").read_text())
        os.chmod(self.base / "authorized_keys", 0o600)
        host_key = (self.base / "host_ed25519.pub").read_text().split()[:2]
        self.known_hosts.write_text("".join(
            f"[127.0.0.1]:{port} {' '.join(host_key)}\n"
            for port in (self.port, self.shell_port, self.closed_port)))
        self._write_sshd_config()
        self._write_ssh_config()
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-f", str(self.base / "sshd_config"), "-E", str(self.log)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + 20
        while not self._listening():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not start: {self.log.read_text()[-2000:]}"
                                   if self.log.exists() else "sshd did not start")
            time.sleep(0.05)
        return self

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _write_sshd_config(self) -> None:
        lines = [
            f"Port {self.port}", f"Port {self.shell_port}", "ListenAddress 127.0.0.1",
            f"HostKey {self.base / 'host_ed25519'}", f"PidFile {self.base / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.base / 'authorized_keys'}",
            "StrictModes no", "PubkeyAuthentication yes", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password",
            "UsePAM no", "LogLevel VERBOSE", "PrintMotd no", "PrintLastLog no",
            f"MaxSessions {self.max_sessions}", "MaxStartups 200:30:400",
            "AllowTcpForwarding no", "X11Forwarding no", "PermitUserEnvironment no",
            # bash started by sshd reads ~/.bashrc (Debian's SSH_SOURCE_BASHRC) unless it
            # is a nested shell: this machine's root .bashrc (pyenv) would cost ~0.5 s a
            # call, which a VCSA's does not. Sessions are otherwise as they come.
            "SetEnv SHLVL=1",
            f"Match LocalPort {self.shell_port}",
            f"    ForceCommand {sys.executable} -sE {APPLIANCESH} {self.shell_log}",
        ]
        (self.base / "sshd_config").write_text("\n".join(lines) + "\n")

    def _write_ssh_config(self) -> None:
        lines = [
            "Host 127.0.0.1",
            f"    IdentityFile {self.client_key}",
            "    IdentitiesOnly yes",
            "    IdentityAgent none",
            f"    UserKnownHostsFile {self.known_hosts}",
            "    GlobalKnownHostsFile /dev/null",
            "    StrictHostKeyChecking yes",
            "    PasswordAuthentication no",
            "    KbdInteractiveAuthentication no",
            "    LogLevel ERROR",
        ]
        self.ssh_config.write_text("\n".join(lines) + "\n")
        os.chmod(self.ssh_config, 0o600)

    def authentications(self) -> int:
        """How many logins sshd accepted so far (its log)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text.count("Accepted publickey")

    def sessions(self) -> List[int]:
        """The pids of sshd's per-connection processes (children of the listener)."""
        assert self.proc is not None
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                found.append(int(entry.name))
        return found

    def drop_connections(self) -> int:
        """Kill every connection, as a network drop would (the listener stays)."""
        pids = self.sessions()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.drop_connections()
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
