"""Terminal colour, only where it helps: on a terminal, unless NO_COLOR or --no-color."""

from __future__ import annotations

import os
from typing import TextIO

_CODES = {"red": "31", "green": "32", "yellow": "33", "cyan": "36", "bold": "1", "dim": "2"}


def use_color(stream: TextIO, disabled: bool = False) -> bool:
    if disabled or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def paint(self, text: str, *names: str) -> str:
        if not self.color or not names:
            return text
        codes = ";".join(_CODES[n] for n in names)
        return f"\033[{codes}m{text}\033[0m"

    def status(self, text: str, status: str) -> str:
        """Colour ``text`` by a certificate or overall status."""
        colour = {
            "expired": "red", "critical": "red", "expiring": "yellow", "warning": "yellow",
            "unknown": "yellow", "ok": "green",
        }.get(status)
        return self.paint(text, colour) if colour else text
