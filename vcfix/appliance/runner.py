"""Running vendor tools: one place for timeouts, errors and accounting.

Every call has a timeout. A missing tool, a timeout or a failure becomes a
:class:`VcfixError` that names the command and quotes what it printed. Secrets
never travel in ``argv`` nor in a child's environment (:func:`minimal_env`);
:func:`display` is what we show of a command line.

Each tool runs in its own process group (session): on a timeout the whole group is
killed, so a child the tool left behind holding its output open cannot block vcfix.
What is kept of a tool's output is capped (:data:`MAX_OUTPUT`); output that may hold
a secret (``sensitive=True``: the likewise registry) is never quoted in an error.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, List, Mapping, Optional, Sequence, Tuple

from vcfix.appliance.paths import Appliance
from vcfix.errors import DETAIL_WIDTH, VcfixError, clip

DEFAULT_TIMEOUT = 120.0
TAIL_LINES = 8
MAX_OUTPUT = 32 * 1024 * 1024  # bytes kept of one stream; beyond it the output is refused
LINE_MAX = 4096  # longest line handed on by stream() (the rest of the line is dropped)
DRAIN_GRACE = 2.0  # after a kill, how long to wait for the output pipes to close
NOT_SHOWN = "(its output is not shown: it may hold a secret)"


@dataclass(frozen=True)
class Completed:
    argv: Tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def command(self) -> str:
        return display(self.argv)


def display(argv: Sequence[str]) -> str:
    """A command line for messages: the tool's base name, then its arguments."""
    if not argv:
        return ""
    return " ".join([Path(argv[0]).name, *argv[1:]])


def tail(text: str, lines: int = TAIL_LINES) -> List[str]:
    """The last non-blank ``lines`` of ``text`` (each cut to a sane width)."""
    kept = [line.rstrip() for line in text[-lines * 2 * DETAIL_WIDTH:].splitlines()
            if line.strip()]
    return [clip(line) for line in kept[-lines:]]


class Runner:
    """Runs the appliance's vendor tools by name, resolved under its root."""

    def __init__(self, appliance: Appliance, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.appliance = appliance
        self.timeout = timeout
        # Told of every finished call (the fix's transcript records them); None: nobody.
        self.observer: Optional[Callable[[Completed], None]] = None

    def argv(self, tool: str, args: Sequence[str]) -> List[str]:
        return [str(self.appliance.tool(tool)), *args]

    def run(
        self,
        tool: str,
        args: Sequence[str],
        *,
        timeout: Optional[float] = None,
        stdin: Optional[str] = None,
        check: bool = True,
        env: Optional[Mapping[str, str]] = None,
        sensitive: bool = False,
    ) -> Completed:
        """Run ``tool`` with ``args``; raise :class:`VcfixError` on any failure.

        With ``check=False`` a non-zero exit is returned, not raised (for tools
        whose exit status is unreliable and which are judged by their text).
        ``sensitive``: its standard output may hold a secret (a password, a private key)
        and is never quoted; only what it printed on stderr is.
        """
        argv = self.argv(tool, args)
        limit = self.timeout if timeout is None else timeout
        try:
            local, local_env = self.appliance.transport.command(argv, env)
            proc = subprocess.Popen(
                local, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=local_env, start_new_session=True,
            )
        except OSError as exc:
            raise VcfixError(f"cannot run '{display(argv)}': {exc.strerror}") from exc
        except ValueError as exc:  # a NUL byte (or unencodable text) in an argument
            raise VcfixError(f"cannot run '{display(argv)}': {exc}") from exc
        streams = [_Capture(proc.stdout), _Capture(proc.stderr)]
        threading.Thread(target=_feed, args=(proc.stdin, stdin or ""), daemon=True).start()
        timed_out = _wait(proc, streams, limit)
        out, err = (s.text() for s in streams)
        quoted = (tail(err) or [NOT_SHOWN]) if sensitive else None  # stdout: never
        if timed_out:
            raise VcfixError(f"'{display(argv)}' did not finish within {limit:g} s",
                             details=quoted or tail(out + err))
        if any(s.overflow for s in streams):
            raise VcfixError(f"'{display(argv)}' printed more than {MAX_OUTPUT >> 20} MiB; "
                             "vcfix did not read the rest and ignored its output")
        done = Completed(tuple(argv), proc.returncode, out, err)
        if self.observer is not None:
            self.observer(done)
        if check and proc.returncode != 0:
            raise VcfixError(
                f"'{done.command}' failed with exit code {proc.returncode}",
                details=quoted or tail(err) or tail(out),
            )
        return done

    def stream(
        self,
        tool: str,
        args: Sequence[str],
        on_line: Callable[[str], None],
        *,
        timeout: Optional[float] = None,
        env: Optional[Mapping[str, str]] = None,
    ) -> Completed:
        """Run ``tool`` and hand each line it prints to ``on_line`` as it comes.

        For long commands with progress (service-control --start --all). Never
        raises for a non-zero exit: the caller judges the text and the status.
        Lines longer than :data:`LINE_MAX` are cut; at most :data:`MAX_OUTPUT` is kept.
        """
        argv = self.argv(tool, args)
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        lines: List[str] = []
        kept = 0
        try:
            local, local_env = self.appliance.transport.command(argv, env)
            proc = subprocess.Popen(
                local, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, errors="replace",
                env=local_env, start_new_session=True,
            )
        except OSError as exc:
            raise VcfixError(f"cannot run '{display(argv)}': {exc.strerror}") from exc
        except ValueError as exc:  # a NUL byte (or unencodable text) in an argument
            raise VcfixError(f"cannot run '{display(argv)}': {exc}") from exc
        timer = threading.Timer(limit, _kill_group, args=(proc,))
        timer.start()
        try:
            assert proc.stdout is not None
            cut = False  # inside a line longer than LINE_MAX: drop until its end
            for line in iter(lambda: proc.stdout.readline(LINE_MAX), ""):  # type: ignore
                whole = line.endswith("\n")
                if not cut and kept < MAX_OUTPUT:
                    lines.append(line if whole else line + "\n")
                    kept += len(line)
                    on_line(line.rstrip("\n"))
                cut = not whole
            proc.wait()
        finally:
            timer.cancel()
        if time.monotonic() >= deadline and proc.returncode != 0:
            raise VcfixError(f"'{display(argv)}' did not finish within {limit:g} s",
                             details=tail("".join(lines)))
        done = Completed(tuple(argv), proc.returncode, "".join(lines), "")
        if self.observer is not None:
            self.observer(done)
        return done


class _Capture:
    """Reads one output pipe in a thread, keeping at most MAX_OUTPUT bytes."""

    def __init__(self, pipe: Optional[IO[bytes]]) -> None:
        assert pipe is not None
        self.chunks: List[bytes] = []
        self.size = 0
        self.overflow = False
        self.thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self.thread.start()

    def _read(self, pipe: IO[bytes]) -> None:
        fd = pipe.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            if self.size + len(chunk) > MAX_OUTPUT:
                self.overflow = True  # keep reading (and dropping) so the tool is not blocked
                continue
            self.chunks.append(chunk)
            self.size += len(chunk)

    def text(self) -> str:
        """Decoded as subprocess(text=True) did: invalid UTF-8 replaced, universal newlines."""
        text = b"".join(self.chunks).decode("utf-8", "replace")
        return text.replace("\r\n", "\n").replace("\r", "\n")


def _feed(pipe: Optional[IO[bytes]], text: str) -> None:
    assert pipe is not None
    try:
        pipe.write(text.encode("utf-8"))
        pipe.close()
    except OSError:  # the tool does not read its input, or is gone
        pass


def _wait(proc: subprocess.Popen[bytes], streams: Sequence[_Capture], limit: float) -> bool:
    """Wait for the tool and its output; True when it ran past ``limit`` (then killed).

    A tool that exits but leaves a child holding its output open is waited for until
    the deadline only; then its process group is killed and its output taken as is.
    """
    deadline = time.monotonic() + limit
    timed_out = False
    try:
        proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
    for stream in streams:
        stream.thread.join(max(0.0, deadline - time.monotonic()))
    if timed_out or any(s.thread.is_alive() for s in streams):
        _kill_group(proc)
        for stream in streams:
            stream.thread.join(DRAIN_GRACE)
        proc.wait()
    return timed_out


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the tool's whole process group (it is its own session leader)."""
    with contextlib.suppress(OSError):  # already gone
        os.killpg(proc.pid, signal.SIGKILL)
