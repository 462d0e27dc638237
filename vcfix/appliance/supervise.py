"""The detached supervisor of one vendor tool, so that the tool outlives vcfix.

vcfix starts ``python -c <boot> JOBDIR [--pty] -- ARGV`` in a session of its own
(:func:`vcfix.fix.jobs.launch`), with no terminal: a dropped SSH session (SIGHUP),
SIGTERM or even ``kill -9`` of vcfix does not reach it or the tool. The supervisor
ignores SIGHUP, SIGINT and SIGTERM, starts the tool (with ``--pty``: on a pty of its
own, as its controlling terminal), copies everything the tool prints to
``JOBDIR/output.log``, passes on what vcfix writes into the FIFO ``JOBDIR/input``
(0600, one JSON line per answer; a ``secret`` answer is masked if the tool echoes it
and is never written anywhere) and records ``JOBDIR/status.json`` when the tool
starts and when it ends (exit status or signal). When vcfix is gone, a prompt can no
longer be answered: the supervisor then types Ctrl-D once, so that a tool waiting for
an answer ends instead of waiting for ever (one in the middle of an operation is not
reading and finishes its work).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

OUTPUT = "output.log"
INPUT = "input"
STATUS = "status.json"
MASK = b"********"
IDLE = 0.1  # flush a partial line (a prompt) after this long without output
NOECHO_WAIT = 2.0  # longest wait for the tool to turn echo off before a secret
IGNORED = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)  # by the supervisor itself


def now_iso() -> str:
    from vcfix import clock

    return clock.iso(clock.now())


def write_status(job: Path, record: Dict[str, Any]) -> None:
    """``status.json``, replaced atomically (0600)."""
    tmp = job / f".{STATUS}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    os.replace(tmp, job / STATUS)


def ended(record: Dict[str, Any], wait_status: int) -> Dict[str, Any]:
    code = os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else None
    sig = os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else None
    return {**record, "ended": now_iso(), "exit_status": code, "signal": sig}


class _Pty:
    """The copy loop between the tool's pty, output.log and the input FIFO."""

    def __init__(self, job: Path, master: int, pid: int) -> None:
        self.job, self.master, self.pid = job, master, pid
        self.out = os.open(job / OUTPUT, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.fifo = os.open(job / INPUT, os.O_RDWR | os.O_NONBLOCK)  # RDWR: never EOF
        self.secrets: List[bytes] = []
        self.pending = b""
        self.inbox = b""
        self.owner = os.getppid()
        self.orphaned = False

    def write(self, final: bool = False) -> None:
        cut = max(self.pending.rfind(b"\n"), self.pending.rfind(b"\r")) + 1
        if final:
            cut = len(self.pending)
        if cut:
            chunk, self.pending = self.pending[:cut], self.pending[cut:]
            for secret in self.secrets:
                chunk = chunk.replace(secret, MASK)
            os.write(self.out, chunk)

    def echo_off(self) -> None:
        deadline = time.monotonic() + NOECHO_WAIT
        while time.monotonic() < deadline:
            try:
                if not termios.tcgetattr(self.master)[3] & termios.ECHO:
                    return
            except termios.error:
                return
            time.sleep(0.05)

    def answer(self, line: bytes) -> None:
        message = json.loads(line.decode("utf-8"))
        data = str(message.get("data", "")).encode("utf-8")
        if message.get("secret"):
            if data.rstrip(b"\n"):
                self.secrets.append(data.rstrip(b"\n"))
            self.echo_off()
        os.write(self.master, data)

    def loop(self) -> int:
        while True:
            ready = select.select([self.master, self.fifo], [], [], IDLE)[0]
            if self.master in ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError as exc:
                    if exc.errno != errno.EIO:
                        raise
                    data = b""
                if not data:
                    break
                self.pending += data
                self.write()
            if self.fifo in ready:
                self.inbox += os.read(self.fifo, 4096)
                while b"\n" in self.inbox:
                    line, self.inbox = self.inbox.split(b"\n", 1)
                    self.answer(line)
            if not ready:
                self.write(final=True)
                self.watch_owner()
        self.write(final=True)
        os.close(self.fifo)
        with contextlib.suppress(OSError):
            os.unlink(self.job / INPUT)  # nothing more to type: no FIFO left in the run dir
        return os.waitpid(self.pid, 0)[1]

    def watch_owner(self) -> None:
        if not self.orphaned and os.getppid() != self.owner:
            self.orphaned = True  # vcfix is gone: nobody can answer a prompt any more
            os.write(self.master, b"\x04")


def default_signals() -> None:
    """The tool's signals as in a fresh process (ignored ones would survive exec)."""
    for signum in (*IGNORED, signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(signum, signal.SIG_DFL)


def run_pty(job: Path, argv: List[str], record: Dict[str, Any]) -> int:
    pid, master = pty.fork()
    if pid == 0:  # the tool: its own session, the pty its controlling terminal
        try:
            default_signals()
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
            os.execv(argv[0], argv)  # noqa: S606 - argv as given, no shell
        except OSError as exc:
            os.write(2, f"cannot start {argv[0]}: {exc.strerror}\n".encode())
        os._exit(127)
    write_status(job, {**record, "tool_pid": pid, "pty": True})
    return _Pty(job, master, pid).loop()


def run_plain(job: Path, argv: List[str], record: Dict[str, Any]) -> int:
    fd = os.open(job / OUTPUT, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=fd,
                                stderr=subprocess.STDOUT, preexec_fn=default_signals)
    except OSError as exc:
        os.write(fd, f"cannot start {argv[0]}: {exc.strerror}\n".encode())
        return 127 << 8
    write_status(job, {**record, "tool_pid": proc.pid, "pty": False})
    return os.waitpid(proc.pid, 0)[1]


def main(args: List[str]) -> int:
    if "--" not in args:
        sys.stderr.write("usage: supervise JOBDIR [--pty] -- ARGV\n")
        return 2
    split = args.index("--")
    job, flags, argv = Path(args[0]), args[1:split], args[split + 1:]
    for signum in IGNORED:
        signal.signal(signum, signal.SIG_IGN)
    record: Dict[str, Any] = {"supervisor_pid": os.getpid(), "tool_pid": None,
                              "argv0": os.path.basename(argv[0]), "started": now_iso(),
                              "ended": None, "exit_status": None, "signal": None}
    write_status(job, record)
    status = run_pty(job, argv, record) if "--pty" in flags else run_plain(job, argv, record)
    final: Optional[Dict[str, Any]] = None
    with contextlib.suppress(OSError, ValueError):
        final = json.loads((job / STATUS).read_text(encoding="utf-8"))
    write_status(job, ended(final or record, status))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
