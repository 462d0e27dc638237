"""The fix lock of a remote appliance, held through SSH for as long as the fix runs.

The same ``flock`` on the same file as :class:`vcfix.appliance.lock.FixLock` (so a vcfix
on the appliance and one on a jump host exclude each other), taken by a shell on the
appliance that then waits for its stdin to close: when the fix ends, when vcfix dies, or
when the connection drops, the shell exits and the kernel releases the lock. The file
names the holder (its machine, pid, start time, command) for the next operator.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Optional, Type

from vcfix import clock
from vcfix.appliance.lock import LOCK_NAME, describe_holder
from vcfix.appliance.ssh import remote
from vcfix.appliance.ssh.session import Session, let_go
from vcfix.errors import EXIT_FAILED, EXIT_USAGE, VcfixError

TAKE = r'''
f=$1; holder=$2
umask 077
d=${f%/*}
[ -d "$d" ] || mkdir -p -m 755 -- "$d" || { echo NODIR; exit 3; }
[ ! -L "$d" ] || { echo LINK; exit 4; }
[ ! -L "$f" ] || { echo LINK; exit 4; }
[ ! -e "$f" ] || [ -f "$f" ] || { echo NOTFILE; exit 4; }
exec 9>>"$f" || { echo NOOPEN; exit 5; }
if ! flock -n 9; then echo HELD; head -c 4096 -- "$f"; echo; exit 6; fi
printf '%s\n' "$holder" > "$f"
echo LOCKED
cat >/dev/null
: > "$f"
'''


class RemoteLock:
    def __init__(self, session: Session, directory: Path, command: str = "vcfix fix") -> None:
        self.session = session
        self.path = str(Path(directory) / LOCK_NAME)
        self.command = command
        self.proc: Optional[subprocess.Popen[bytes]] = None

    def acquire(self) -> None:
        holder = json.dumps({"pid": os.getpid(), "host": f"{socket.gethostname()} (over SSH)",
                             "started": clock.iso(clock.now()), "command": self.command})
        proc = self.session.holder(remote.script(TAKE, self.path, holder))
        assert proc.stdout is not None
        first = proc.stdout.readline().decode("utf-8", "replace").strip()
        if first == "LOCKED":
            self.proc = proc
            return
        rest = proc.stdout.read(8192).decode("utf-8", "replace")
        let_go(proc)
        where = f"{self.path} on {self.session.label}"
        if first == "HELD":
            try:
                data = json.loads(rest.strip() or "{}")
            except ValueError:
                data = {}
            raise VcfixError(
                "another vcfix fix is already running on this appliance "
                f"({describe_holder(data if isinstance(data, dict) else {})})",
                exit_code=EXIT_FAILED, hint=f"wait for it to finish; the lock is {where}")
        raise VcfixError(f"cannot take the fix lock {where} ({first or 'no answer'}); vcfix "
                         "refuses a lock that is a link or not a regular file",
                         exit_code=EXIT_USAGE)

    def release(self) -> None:
        if self.proc is not None:
            let_go(self.proc)
            self.proc = None

    def __enter__(self) -> RemoteLock:
        self.acquire()
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], value: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.release()
