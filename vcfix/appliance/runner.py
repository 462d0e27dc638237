"""Running vendor tools: one place for timeouts, errors and accounting.

Every call has a timeout. A missing tool, a timeout or a failure becomes a
:class:`VcfixError` that names the command and quotes what it printed. Secrets
never travel in ``argv``; :func:`display` is what we show of a command line.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Mapping, Optional, Sequence, Tuple

from vcfix.appliance.paths import Appliance
from vcfix.errors import VcfixError

DEFAULT_TIMEOUT = 120.0
TAIL_LINES = 8


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


def tail(text: str, lines: int = TAIL_LINES) -> list[str]:
    kept = [line.rstrip() for line in text.splitlines() if line.strip()]
    return kept[-lines:]


class Runner:
    """Runs the appliance's vendor tools by name, resolved under its root."""

    def __init__(self, appliance: Appliance, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.appliance = appliance
        self.timeout = timeout
        # Told of every finished call (the fix's transcript records them); None: nobody.
        self.observer: Optional[Callable[[Completed], None]] = None

    def argv(self, tool: str, args: Sequence[str]) -> list[str]:
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
    ) -> Completed:
        """Run ``tool`` with ``args``; raise :class:`VcfixError` on any failure.

        With ``check=False`` a non-zero exit is returned, not raised (for tools
        whose exit status is unreliable and which are judged by their text).
        """
        argv = self.argv(tool, args)
        limit = self.timeout if timeout is None else timeout
        try:
            proc = subprocess.run(
                argv,
                input=stdin if stdin is not None else "",
                capture_output=True,
                text=True,
                errors="replace",
                timeout=limit,
                env=dict(os.environ, **env) if env else None,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise VcfixError(
                f"'{display(argv)}' did not finish within {limit:g} s",
                details=tail(_text(exc.stdout) + _text(exc.stderr)),
            ) from exc
        except OSError as exc:
            raise VcfixError(f"cannot run '{display(argv)}': {exc.strerror}") from exc
        done = Completed(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
        if self.observer is not None:
            self.observer(done)
        if check and proc.returncode != 0:
            raise VcfixError(
                f"'{done.command}' failed with exit code {proc.returncode}",
                details=tail(proc.stderr) or tail(proc.stdout),
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
        """
        argv = self.argv(tool, args)
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        lines: List[str] = []
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, errors="replace",
                env=dict(env) if env is not None else None,
            )
        except OSError as exc:
            raise VcfixError(f"cannot run '{display(argv)}': {exc.strerror}") from exc
        timer = threading.Timer(limit, proc.kill)
        timer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                on_line(line.rstrip("\n"))
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


def _text(data: object) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data if isinstance(data, str) else ""
