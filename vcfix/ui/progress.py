"""Showing a vendor tool's progress: a bar on a terminal, plain lines otherwise.

While the tool is quiet, :meth:`Progress.waiting` shows a status line (elapsed time,
silence, what is normal, the deadline): redrawn under the bar on a terminal, a plain
line otherwise.
"""

from __future__ import annotations

import sys
from typing import Optional, TextIO, Tuple

from vcfix.redact import escape_controls

WIDTH = 30


class Progress:
    def __init__(self, label: str, stream: Optional[TextIO] = None) -> None:
        self.label = label
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last: Optional[Tuple[int, str]] = None
        self.waited = False  # a waiting line is on screen (terminal only)

    def update(self, percent: int, message: str) -> None:
        percent = max(0, min(100, percent))
        message = escape_controls(message[:300])  # vendor text: no terminal escapes
        if self.last == (percent, message):
            return
        if self.tty:
            if self.waited:  # clear the waiting line; back to the bar's line
                self.stream.write("\r\x1b[K" + ("\x1b[1A" if self.last is not None else ""))
                self.waited = False
            filled = WIDTH * percent // 100
            bar = "#" * filled + "." * (WIDTH - filled)
            self.stream.write(f"\r  [{bar}] {percent:3d}% {message[:60]:<60}")
        elif self.last is None or self.last[1] != message or percent == 100:
            self.stream.write(f"  {self.label}: {percent}% {message}\n")
        self.stream.flush()
        self.last = (percent, message)

    def line(self, text: str) -> None:
        """A line of the tool's own progress (service-control's operations)."""
        self.done()
        self.stream.write(f"  {text}\n")
        self.stream.flush()
        self.last, self.waited = None, False

    def waiting(self, text: str) -> None:
        """The tool is quiet: say for how long, what is normal, and the deadline."""
        if self.tty:
            if not self.waited and self.last is not None:
                self.stream.write("\n")  # under the bar
            self.stream.write(f"\r\x1b[K  {text}")
            self.waited = True
        else:
            self.stream.write(f"  {text}\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and (self.last is not None or self.waited):
            self.stream.write("\n")
            self.stream.flush()
