"""Terminal colour, only where it helps: on a terminal, unless NO_COLOR or --no-color.

:func:`safe_text` is what every command prints: untrusted text (vendor output,
certificate subjects, snapshot files) with its control characters and bidi overrides
escaped, while the colour codes :class:`Style` adds (and only those) still work.
"""

from __future__ import annotations

import os
import re
from typing import TextIO

from vcfix.redact import escape_controls

_CODES = {"red": "31", "green": "32", "yellow": "33", "cyan": "36", "bold": "1", "dim": "2"}
# Our own SGR sequences, as escape_controls shows them: only these are given back.
_OURS = re.compile(r"\\x1b\[((?:(?:3[1236]|[012]);)*(?:3[1236]|[012]))m")


def safe_text(text: str) -> str:
    """``text`` escaped for a terminal (see the module docstring)."""
    return _OURS.sub(lambda m: f"\033[{m.group(1)}m", escape_controls(text))


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
