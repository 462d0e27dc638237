"""The one expected-error type.

Anything vcfix expects to go wrong (a vendor tool missing, failing, timing out or
printing something we do not understand; a bad answer file; a refused password)
is raised as :class:`VcfixError` with a message written for the operator. Every
other exception is a bug: the CLI turns it into a crash report.
"""

from __future__ import annotations

from typing import Optional, Sequence

from vcfix.redact import escape_controls

# Exit codes shared by the commands (see docs/exit-codes.md).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNKNOWN = 3
EXIT_MISSING_ANSWER = 4
EXIT_INTERRUPTED = 130

DETAIL_WIDTH = 300  # a quoted line of vendor output is cut here (a tool may print 50 MB)
MESSAGE_WIDTH = 2000


class VcfixError(Exception):
    """An expected failure with a message meant for the operator.

    ``exit_code`` is the code the command exits with when nothing more specific
    applies; ``details`` are extra lines (for example the last lines a vendor tool
    printed) shown under the message.
    """

    def __init__(
        self,
        message: str,
        *,
        exit_code: int = EXIT_FAILED,
        details: Sequence[str] = (),
        hint: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.details = tuple(clip(line) for line in details)
        self.hint = hint

    def one_line(self) -> str:
        """Message, details and hint on one line (for JSON fields and summaries)."""
        parts = [clip(self.message, MESSAGE_WIDTH), *self.details]
        parts += [f"hint: {self.hint}"] if self.hint else []
        return escape_controls(" | ".join(part.strip() for part in parts if part.strip()))

    def render(self) -> str:
        lines = [f"vcfix: {clip(self.message, MESSAGE_WIDTH)}"]
        lines.extend(f"    {line}" for line in self.details)
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return escape_controls("\n".join(lines))


def clip(line: str, width: int = DETAIL_WIDTH) -> str:
    """``line`` cut to ``width`` characters (a quoted vendor line must not flood the screen)."""
    if len(line) <= width:
        return line
    return f"{line[:width]}... ({len(line) - width} more characters)"
