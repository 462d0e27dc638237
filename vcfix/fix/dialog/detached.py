"""The dialog driver's view of a supervised tool: the part of pexpect's API it uses.

:class:`DetachedChild` starts the tool through :func:`vcfix.fix.jobs.launch` (a pty of
its own, under a supervisor in its own session, so that it outlives vcfix) and offers
what :mod:`vcfix.fix.dialog.driver` and :mod:`vcfix.fix.dialog.session` call on a
``pexpect.spawn``: ``read_nonblocking`` (raising ``pexpect.TIMEOUT`` / ``pexpect.EOF``),
``sendline``, ``sendeof``, ``kill``, ``isalive``, ``close``, ``exitstatus`` and
``signalstatus``. The engine's behaviour is the same; only the process ownership moved.
"""

from __future__ import annotations

import codecs
import signal
import time
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence

import pexpect

from vcfix.appliance.jobs import JobHandle
from vcfix.appliance.paths import Appliance
from vcfix.fix.jobs import launch

POLL = 0.05  # how often the output file is looked at while waiting


class DetachedChild:
    """A tool on a pty owned by its supervisor; vcfix reads its output file."""

    def __init__(self, job: JobHandle) -> None:
        self.job = job
        self.logfile_read: Any = None
        self.delaybeforesend: Optional[float] = 0.05
        self.closed = False
        self.exitstatus: Optional[int] = None
        self.signalstatus: Optional[int] = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buffer: List[str] = []

    @classmethod
    def start(cls, run_path: Path, name: str, argv: Sequence[str], *,
              env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None,
              appliance: Optional[Appliance] = None) -> DetachedChild:
        return cls(launch(run_path, name, argv, pty=True, env=env, cwd=cwd,
                          appliance=appliance))

    def read_nonblocking(self, size: int = 4096, timeout: Optional[float] = 0.5) -> str:
        deadline = time.monotonic() + (timeout or 0.0)
        while True:
            ended = self.job.ended or not self.job.supervisor_alive()
            text = self._decoder.decode(self.job.read_new(size))
            if text:
                if self.logfile_read is not None:
                    self.logfile_read.write(text)
                return text
            if ended:
                self._finish()
                raise pexpect.EOF(f"{self.job.command} ended")
            if time.monotonic() >= deadline:
                raise pexpect.TIMEOUT(f"{self.job.command}: no output")
            time.sleep(POLL)

    def _finish(self) -> None:
        status = self.job.status()
        self.exitstatus, self.signalstatus = status.get("exit_status"), status.get("signal")
        self.job.reap()

    def sendline(self, text: str = "", secret: bool = False) -> None:
        if self.delaybeforesend:
            time.sleep(self.delaybeforesend)
        self.job.send(text + "\n", secret=secret)

    def sendeof(self) -> None:
        self.job.send("\x04")

    def waitnoecho(self, timeout: Optional[float] = None) -> bool:
        """The supervisor waits for echo to be off before it types a secret."""
        return True

    def kill(self, signum: int) -> None:
        self.job.kill(signum)

    def isalive(self) -> bool:
        return bool(self.job.running)

    def close(self, force: bool = True) -> None:
        if force and self.job.running:
            self.job.kill(signal.SIGKILL)
            deadline = time.monotonic() + 2.0
            while self.job.running and time.monotonic() < deadline:
                time.sleep(POLL)
        self._finish()
        self.closed = True
