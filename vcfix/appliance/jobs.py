"""Vendor tools that outlive vcfix: a supervised job and how vcfix follows it.

:class:`JobHandle` is what the fix sees of a supervised tool, wherever it runs; the
transport makes one (:meth:`vcfix.appliance.transport.Transport.launch_job`). Here:
:class:`Job` and :func:`launch_local`, which start :mod:`vcfix.appliance.supervise` in a
session of its own (environment from :func:`minimal_env`) in a 0700 job folder; the
supervisor starts the tool, copies what it prints to ``output.log``, passes answers
through the FIFO ``input`` and records ``status.json``. See docs/fix.md, "Tools that
outlive vcfix"; the SSH transport has its own (vcfix.appliance.ssh.jobs).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO, Dict, Mapping, Optional, Sequence

from vcfix.appliance.environ import minimal_env
from vcfix.appliance.supervise import INPUT, OUTPUT, STATUS
from vcfix.errors import VcfixError

START_WAIT = 60.0  # the supervisor records the tool's start within this long (busy host)


def display(argv: Sequence[str]) -> str:
    return " ".join([Path(argv[0]).name, *argv[1:]]) if argv else ""


class JobHandle:
    """A supervised tool as the fix sees it (on this machine or on a remote appliance)."""

    path: Path  # its folder (a remote job: the local record of it)
    command: str  # its command line for messages

    def status(self) -> Dict[str, Any]:
        """started, ended (ISO time or None), exit_status, signal, argv0."""
        raise NotImplementedError

    @property
    def ended(self) -> bool:
        return bool(self.status().get("ended"))

    def supervisor_alive(self) -> bool:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        """The tool has not ended and its supervisor still runs (it may still change things)."""
        return not self.ended and self.supervisor_alive()

    def read_new(self, size: int = 65536) -> bytes:
        """What the tool printed since the last call."""
        raise NotImplementedError

    def tail_bytes(self, size: int = 8192) -> bytes:
        """The last ``size`` bytes it printed."""
        raise NotImplementedError

    def send(self, text: str, *, secret: bool = False) -> None:
        """Type ``text`` into the tool's terminal (pty jobs only)."""
        raise NotImplementedError

    def kill(self, signum: int = signal.SIGTERM) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop reading its output."""

    def reap(self) -> None:
        """Done with it: collect what is left to collect, stop reading its output."""
        self.close()


class Job(JobHandle):
    """A tool supervised on this machine; ``proc`` is the supervisor when this vcfix
    started it."""

    def __init__(self, path: Path, command: str,
                 proc: Optional[subprocess.Popen[bytes]] = None) -> None:
        self.path, self.command, self.proc = path, command, proc
        self._output: Optional[BinaryIO] = None
        self._closed = False

    def status(self) -> Dict[str, Any]:
        try:
            data = json.loads((self.path / STATUS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def supervisor_alive(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        pid = self.status().get("supervisor_pid")
        if not isinstance(pid, int):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def read_new(self, size: int = 65536) -> bytes:
        """What the tool printed since the last call (secrets already masked)."""
        if self._closed:
            return b""
        if self._output is None:
            try:
                self._output = open(self.path / OUTPUT, "rb")  # noqa: SIM115 - kept open
            except FileNotFoundError:
                return b""
        return self._output.read(size) or b""

    def tail_bytes(self, size: int = 8192) -> bytes:
        try:
            with open(self.path / OUTPUT, "rb") as handle:
                handle.seek(max(0, os.fstat(handle.fileno()).st_size - size))
                return handle.read(size)
        except OSError:
            return b""

    def close(self) -> None:
        self._closed = True
        if self._output is not None:
            self._output.close()
            self._output = None

    def send(self, text: str, *, secret: bool = False) -> None:
        """Type ``text`` into the tool's terminal (pty jobs only)."""
        line = (json.dumps({"data": text, "secret": secret}) + "\n").encode("utf-8")
        fd = os.open(self.path / INPUT, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, line)  # one write below PIPE_BUF: never interleaved
        finally:
            os.close(fd)

    def kill(self, signum: int = signal.SIGTERM) -> None:
        pid = self.status().get("tool_pid")
        if isinstance(pid, int) and not self.ended:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def reap(self) -> None:
        """Collect the supervisor once it has exited (no zombie while vcfix runs); stop
        reading its output."""
        if self.proc is not None:
            self.proc.poll()
        self.close()


def launch_local(path: Path, argv: Sequence[str], *, pty: bool,
                 env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None) -> Job:
    """Start ``argv`` under a supervisor in the new folder ``path``; return once it runs."""
    if not os.access(argv[0], os.X_OK):
        raise VcfixError(f"cannot start '{display(argv)}': not an executable file")
    path.mkdir(mode=0o700)
    if pty:
        os.mkfifo(path / INPUT, 0o600)
    parent = str(Path(__file__).resolve().parent.parent.parent)
    boot = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from vcfix.appliance.supervise import main; sys.exit(main(sys.argv[2:]))")
    command = [sys.executable, "-c", boot, parent, str(path), *(["--pty"] if pty else []),
               "--", *argv]
    try:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=minimal_env(
                                    dict(env) if env is not None else None),
                                cwd=cwd, start_new_session=True, close_fds=True)
    except OSError as exc:
        raise VcfixError(f"cannot start '{display(argv)}': {exc.strerror}") from exc
    job = Job(path, display(argv), proc)
    deadline = time.monotonic() + START_WAIT
    while job.status().get("tool_pid") is None and not job.ended:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise VcfixError(f"cannot start '{display(argv)}': its supervisor did not start "
                             f"(see {path})")
        time.sleep(0.01)
    return job
