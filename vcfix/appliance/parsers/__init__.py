"""Parsers: vendor tool output (text) -> data. Pure functions, no I/O.

Each parser takes the text a tool printed and the command string (for messages)
and is tolerant of the drift seen between builds and in published copies: TAB or
spaces, trailing spaces, blank lines, CRLF, and unknown lines, which are skipped.
When nothing it recognises is found it raises :class:`VcfixError` naming the
command.

This module holds the small helpers the parsers share.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from vcfix.errors import VcfixError

DETAIL_LINES = 6


def lines_of(text: str) -> List[str]:
    """The lines of ``text`` with CR and trailing white space removed."""
    return [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def split_field(line: str) -> Optional[Tuple[str, str]]:
    """``'Entry type :<TAB>Private Key'`` -> ``('entry type', 'Private Key')``.

    Splits on the FIRST colon; the key is lower-cased with its inner white space
    collapsed to one space, the value is stripped. ``None`` when there is no colon.
    """
    key, sep, value = line.partition(":")
    if not sep:
        return None
    return " ".join(key.split()).lower(), value.strip()


def not_understood(
    command: str, what: str, text: str = "", *, quote: bool = True
) -> VcfixError:
    """The error for output a parser cannot read.

    ``quote=False`` keeps the output out of the message: use it for output that
    may hold a secret (the likewise registry holds the machine password).
    """
    details: Sequence[str] = ()
    if quote:
        shown = [line for line in lines_of(text) if line.strip()]
        details = shown[:DETAIL_LINES] if shown else ["(the output was empty)"]
    return VcfixError(f"could not read the output of '{command}': {what}", details=details)
