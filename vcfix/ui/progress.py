"""Showing a vendor tool's progress: a bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from typing import Optional, TextIO

from vcfix.redact import escape_controls

WIDTH = 30


class Progress:
    def __init__(self, label: str, stream: Optional[TextIO] = None) -> None:
        self.label = label
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last: Optional[tuple[int, str]] = None

    def update(self, percent: int, message: str) -> None:
        percent = max(0, min(100, percent))
        message = escape_controls(message[:300])  # vendor text: no terminal escapes
        if self.last == (percent, message):
            return
        if self.tty:
            filled = WIDTH * percent // 100
            bar = "#" * filled + "." * (WIDTH - filled)
            self.stream.write(f"\r  [{bar}] {percent:3d}% {message[:60]:<60}")
        elif self.last is None or self.last[1] != message or percent == 100:
            self.stream.write(f"  {self.label}: {percent}% {message}\n")
        self.stream.flush()
        self.last = (percent, message)

    def done(self) -> None:
        if self.tty and self.last is not None:
            self.stream.write("\n")
            self.stream.flush()
