"""One fix at a time per appliance.

The lock is an ``flock`` on ``<state-dir>/fix.lock``: the kernel releases it
when the holder exits, however it exits, so a crash never leaves a stale lock.
The file records who holds it (pid, host, start time, command) so that the
second operator is told whom to ask.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Dict, Optional, Type

from vcfix import clock
from vcfix.errors import EXIT_FAILED, VcfixError

LOCK_NAME = "fix.lock"


class FixLock:
    def __init__(self, state_dir: Path, command: str = "vcfix fix") -> None:
        self.path = Path(state_dir) / LOCK_NAME
        self.command = command
        self._handle: Optional[IO[str]] = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        handle = os.fdopen(fd, "r+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _describe(_read(handle))
            handle.close()
            raise VcfixError(
                f"another vcfix fix is already running on this appliance ({holder})",
                exit_code=EXIT_FAILED,
                hint=f"wait for it to finish; the lock is {self.path}",
            ) from None
        handle.seek(0)
        handle.truncate()
        json.dump({"pid": os.getpid(), "host": socket.gethostname(),
                   "started": clock.iso(clock.now()), "command": self.command}, handle)
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> FixLock:
        self.acquire()
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], value: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.release()


def _read(handle: IO[str]) -> Dict[str, Any]:
    try:
        handle.seek(0)
        data = json.loads(handle.read() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(holder: Dict[str, Any]) -> str:
    if not holder:
        return "holder unknown"
    return (f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, started "
            f"{holder.get('started', '?')}: {holder.get('command', '?')}")
