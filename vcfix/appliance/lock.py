"""One fix at a time per appliance.

The lock is an ``flock`` on ``/run/vcfix-fix.lock`` of the appliance (under
``--root``), not in the state directory: two runs with different ``--state-dir``
still exclude each other. ``/run`` exists on every systemd VCSA (6.5 and later),
only root can create files there, and it is emptied at boot. The kernel releases
the lock when the holder exits, however it exits, so a crash never leaves a stale lock.
The file is opened without following a symlink and must be a regular file of ours.
The file records who holds it (pid, host, start time, command) so that the
second operator is told whom to ask.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import stat
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Dict, Optional, Type

from vcfix import clock
from vcfix.appliance.safefs import NOFOLLOW, private_dir
from vcfix.errors import EXIT_FAILED, EXIT_USAGE, VcfixError

LOCK_NAME = "vcfix-fix.lock"


class FixLock:
    def __init__(self, directory: Path, command: str = "vcfix fix") -> None:
        """The lock file in ``directory``: the appliance's ``file("lock_dir")``."""
        self.path = Path(directory) / LOCK_NAME
        self.command = command
        self._handle: Optional[IO[str]] = None

    def acquire(self) -> None:
        private_dir(self.path.parent, "lock folder")
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | NOFOLLOW, 0o600)
        except OSError as exc:
            raise VcfixError(f"cannot open the fix lock {self.path}: {exc.strerror}"
                             + (" (a symbolic link?)" if os.path.islink(self.path) else ""),
                             exit_code=EXIT_USAGE) from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            os.close(fd)
            raise VcfixError(f"the fix lock {self.path} is not a regular file of this user; "
                             "vcfix refuses it", exit_code=EXIT_USAGE)
        handle = os.fdopen(fd, "r+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = describe_holder(_read(handle))
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


def describe_holder(holder: Dict[str, Any]) -> str:
    if not holder:
        return "holder unknown"
    return (f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, started "
            f"{holder.get('started', '?')}: {holder.get('command', '?')}")
