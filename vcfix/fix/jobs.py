"""Starting a vendor tool under a detached supervisor, and following it from vcfix.

:func:`launch` makes ``<run dir>/jobs/NN-NAME/`` (0700) and starts
:mod:`vcfix.fix.supervise` in a session of its own, with the environment from
:func:`vcfix.appliance.runner.minimal_env`; the supervisor starts the tool. A
:class:`Job` reads what the tool printed (``output.log``), sends answers through the
FIFO and reads ``status.json``; :func:`read_jobs` finds the jobs of a run that vcfix
no longer follows (an interrupted run). See docs/fix.md, "Tools that outlive vcfix".
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
from typing import Any, BinaryIO, Dict, List, Mapping, Optional, Sequence

from vcfix.appliance.environ import minimal_env
from vcfix.appliance.runner import display
from vcfix.errors import VcfixError
from vcfix.fix.supervise import INPUT, OUTPUT, STATUS

JOBS = "jobs"
START_WAIT = 60.0  # the supervisor records the tool's start within this long (busy host)


class Job:
    """One supervised tool; ``proc`` is the supervisor when this vcfix started it."""

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

    @property
    def ended(self) -> bool:
        return bool(self.status().get("ended"))

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

    @property
    def running(self) -> bool:
        """The tool has not ended and its supervisor still runs (it may still change things)."""
        return not self.ended and self.supervisor_alive()

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


def launch(run_path: Path, name: str, argv: Sequence[str], *, pty: bool,
           env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None) -> Job:
    """Start ``argv`` under a supervisor that outlives vcfix; return once it runs."""
    if not os.access(argv[0], os.X_OK):
        raise VcfixError(f"cannot start '{display(argv)}': not an executable file")
    jobs = run_path / JOBS
    jobs.mkdir(mode=0o700, exist_ok=True)
    path = jobs / f"{len(list(jobs.iterdir())) + 1:02d}-{name}"
    path.mkdir(mode=0o700)
    if pty:
        os.mkfifo(path / INPUT, 0o600)
    parent = str(Path(__file__).resolve().parent.parent.parent)
    boot = ("import sys; sys.path.insert(0, sys.argv[1]); from vcfix.fix.supervise import main; "
            "sys.exit(main(sys.argv[2:]))")
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


def read_jobs(run_path: Path) -> List[Job]:
    """The jobs recorded in a run directory, in the order they started."""
    folder = run_path / JOBS
    if not folder.is_dir():
        return []
    jobs = []
    for path in sorted(p for p in folder.iterdir() if p.is_dir()):
        job = Job(path, str(Job(path, "").status().get("argv0") or path.name))
        jobs.append(job)
    return jobs


def output_tail(job: Job, lines: int = 3) -> List[str]:
    """The last lines a job printed, ``\\r`` redraws split, control characters dropped."""
    try:
        raw = (job.path / OUTPUT).read_bytes()[-8192:]
    except OSError:
        return []
    text = raw.decode("utf-8", "replace").replace("\r", "\n")
    kept = ["".join(c for c in line if c.isprintable()).strip() for line in text.split("\n")]
    return [line for line in kept if line][-lines:]
