"""The appliance over SSH: vendor tools run there, files are read there, vcfix stays here.

:meth:`SshTransport.open` authenticates once (:class:`~vcfix.appliance.ssh.master.Master`)
and checks, within seconds and before anything else is sent, that commands reach a POSIX
shell: root's default login shell on a VCSA is the appliance shell, which answers
``Unknown command`` to everything (the reason scp fails too). Every later call goes
through the master: a tool is ``ssh ... -- <one quoted command line>``
(:mod:`~vcfix.appliance.ssh.remote`); a file is read with ``head -c`` and its problems
come back as the ``OSError`` a local ``open`` would raise.
"""

from __future__ import annotations

import errno
import subprocess
from pathlib import Path
from typing import ContextManager, Dict, List, Mapping, Optional, Sequence, Tuple

from vcfix.appliance.jobs import JobHandle
from vcfix.appliance.ssh import remote
from vcfix.appliance.ssh.errors import SHELL_FIX
from vcfix.appliance.ssh.master import Master
from vcfix.appliance.ssh.session import CALL_TIMEOUT, Session
from vcfix.appliance.ssh.target import Reach, Target
from vcfix.appliance.transport import MAX_FILE, Transport
from vcfix.errors import VcfixError
from vcfix.redact import escape_controls

PROBE_TIMEOUT = 60.0  # a bound for a loaded appliance; an answer takes a fraction of a second
_READ_ERRORS = {3: (errno.ENOENT, "No such file or directory"),
                4: (errno.EINVAL, "not a regular file"),
                5: (errno.EACCES, "Permission denied")}


class SshTransport(Transport):
    remote = True

    def __init__(self, target: Target, reach: Reach) -> None:
        super().__init__()
        self.target = target
        self.label = str(target)
        self.master = Master(target, reach)
        self.session = Session(self.master)

    @classmethod
    def open(cls, target: Target, reach: Reach) -> SshTransport:
        transport = cls(target, reach)
        try:
            transport.master.open()
            transport.check_shell()
            transport.master.hold()
        except BaseException:
            transport.close()
            raise
        return transport

    def check_shell(self) -> None:
        done = self.call(remote.PROBE, timeout=PROBE_TIMEOUT)
        text = done.stdout.decode("utf-8", "replace")
        if remote.PROBE_ANSWER in text.split():
            return
        seen = escape_controls(" ".join(text.split())[:160]) or "nothing"
        if "Unknown command" in text or "Command>" in text:
            raise VcfixError(f"{self.label}: commands sent over SSH reach the appliance shell, "
                             "not bash; vcfix sent nothing else", hint=SHELL_FIX)
        raise VcfixError(f"{self.label}: the login shell there did not run a plain command "
                         f"(it answered: {seen}); vcfix sent nothing else", hint=SHELL_FIX)

    # -- processes -----------------------------------------------------------------------

    def command(self, argv: Sequence[str], env: Optional[Mapping[str, str]] = None, *,
                cwd: Optional[str] = None, tty: bool = False) -> Tuple[List[str], Dict[str, str]]:
        line = remote.command_line(argv, env, cwd=cwd)
        return self.master.argv(line, tty=tty), remote.ssh_env()

    def local_cwd(self, cwd: Optional[str]) -> Optional[str]:
        return None  # the remote command changes directory itself

    def call(self, line: str, *, stdin: bytes = b"",
             timeout: float = CALL_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
        return self.session.call(line, stdin=stdin, timeout=timeout)

    # -- files ---------------------------------------------------------------------------

    def _test(self, flag: str, path: str) -> bool:
        return self.session.test(flag, path)

    def exists(self, path: str) -> bool:
        return self._test("-e", path)

    def is_file(self, path: str) -> bool:
        return self._test("-f", path)

    def executable(self, path: str) -> bool:
        return self._test("-f", path) and self._test("-x", path)

    def readable(self, path: str) -> bool:
        return self._test("-r", path)

    def realpath(self, path: str) -> str:
        done = self.call(remote.script(remote.REALPATH, path))
        return done.stdout.decode("utf-8", "replace").strip() or path

    def read_bytes(self, path: str, limit: int = MAX_FILE) -> bytes:
        done = self.call(remote.script(remote.READ, path, str(limit + 1)))
        if done.returncode in _READ_ERRORS:
            code, text = _READ_ERRORS[done.returncode]
            raise OSError(code, text, path)
        if done.returncode != 0:
            raise OSError(errno.EIO, f"cannot read it on {self.label}", path)
        if len(done.stdout) > limit:
            raise OSError(errno.EFBIG, f"larger than {limit} bytes", path)
        return done.stdout

    def list_files(self, path: str) -> Dict[str, float]:
        done = self.call(remote.script(remote.LIST, path))
        found: Dict[str, float] = {}
        for item in done.stdout.split(b"\0"):
            stamp, _, name = item.decode("utf-8", "replace").partition(" ")
            try:
                found[name] = float(stamp)
            except ValueError:
                continue
        return found

    def free_space(self, path: str) -> Tuple[int, int]:
        done = self.call(remote.script(remote.FREE, path))
        lines = done.stdout.decode("utf-8", "replace").splitlines()
        fields = lines[-1].split() if done.returncode == 0 and lines else []
        try:
            return int(fields[3]) * 1024, int(fields[1]) * 1024
        except (IndexError, ValueError):
            raise OSError(errno.EIO, f"df on {self.label} printed no size", path) from None

    def put_files(self, folder: str, files: Mapping[str, bytes]) -> None:
        done = self.call(remote.script(remote.PUT, folder), stdin=remote.tar(files),
                         timeout=CALL_TIMEOUT * 5)
        if done.returncode != 0:
            raise VcfixError(f"cannot write {folder} on {self.label} (exit status "
                             f"{done.returncode}); nothing was changed")

    def write_file(self, path: str, data: bytes, mode: int) -> None:
        done = self.call(remote.script(remote.WRITE, path, f"{mode & 0o7777:o}"), stdin=data)
        if done.returncode != 0:
            raise VcfixError(f"cannot write {path} on {self.label} (exit status "
                             f"{done.returncode}; a link is refused)")

    def remove_tree(self, folder: str) -> None:
        self.call(remote.script(remote.REMOVE, folder))

    def fix_lock(self, directory: Path, command: str) -> ContextManager[object]:
        from vcfix.appliance.ssh.lock import RemoteLock

        return RemoteLock(self.session, directory, command)

    def secret_file(self, secret: str, folder: str = "/tmp") -> ContextManager[str]:  # noqa: S108
        from vcfix.appliance.ssh.secret import remote_secret_file

        return remote_secret_file(self.session, secret, folder)

    # -- jobs ----------------------------------------------------------------------------

    def launch_job(self, job_dir: str, argv: Sequence[str], *, pty: bool,
                   env: Optional[Mapping[str, str]] = None,
                   cwd: Optional[str] = None) -> JobHandle:
        from vcfix.appliance.ssh.jobs import RemoteJob

        return RemoteJob.launch(self.session, job_dir, argv, pty=pty, env=env, cwd=cwd)

    def attach_job(self, job_dir: str) -> JobHandle:
        from vcfix.appliance.ssh.jobs import RemoteJob

        return RemoteJob(self.session, job_dir, "")

    def close(self) -> None:
        self.master.close()

