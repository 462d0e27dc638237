"""Keep the secrets of a run out of everything vcfix writes or shows.

A :class:`Redactor` knows the secrets of this run (the SSO password, once it is
resolved) and replaces every occurrence with ``********`` in any text:
transcripts, events, error messages, quoted last lines, saved JSON.

Streams (a tool's output read in chunks) use the *buffering* approach: a
:class:`RedactingStream` holds back the end of what it has seen while that end
could be the beginning of a secret, so a secret split across two reads is still
masked as a whole. :meth:`RedactingStream.flush` is the final pass that releases
(redacted) whatever is held when the stream ends or a line must be written now.

:func:`escape_controls` makes untrusted text (vendor output, certificate subjects,
snapshot files) safe to print on a terminal: no escape sequence, no bidi override.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, List, Match, Optional, Pattern, Tuple

MASK = "********"

# C0 controls but \t and \n, DEL, C1 controls, and the Unicode bidi controls.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f"
                       "\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    """``text`` with control characters and bidi overrides shown as ``\\xNN`` / ``\\uNNNN``."""
    return _CONTROLS.sub(_escape_one, text)


def _escape_one(match: Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class Redactor:
    """Replaces the secrets it knows with :data:`MASK`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: List[str] = []
        self._pattern: Optional[Pattern[str]] = None
        for secret in secrets:
            self.add(secret)

    @property
    def secrets(self) -> Tuple[str, ...]:
        return tuple(self._secrets)

    def add(self, secret: Optional[str]) -> None:
        """Remember ``secret`` (empty values are ignored)."""
        if not secret or secret in self._secrets:
            return
        self._secrets.append(secret)
        # Longest first, so that a secret containing another is masked whole.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def contains_secret(self, text: str) -> bool:
        return bool(self._pattern and self._pattern.search(text))

    def redact(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def redact_bytes(self, data: bytes) -> bytes:
        for secret in sorted(self._secrets, key=len, reverse=True):
            data = data.replace(secret.encode("utf-8"), MASK.encode("ascii"))
        return data

    def redact_obj(self, value: Any) -> Any:
        """``value`` (JSON-like: dicts, lists, strings) with every string redacted."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_obj(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.redact_obj(v) for v in value]
        return value

    def stream(self) -> RedactingStream:
        return RedactingStream(self)


class RedactingStream:
    """Redacts text that arrives in chunks, even when a secret is split between them."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._held = ""

    def feed(self, chunk: str) -> str:
        """Redacted text that is safe to write now; the rest is held back."""
        buf = self._held + chunk
        cut = self._safe_cut(buf)
        self._held = buf[cut:]
        return self._redactor.redact(buf[:cut])

    def flush(self) -> str:
        """Release (redacted) everything held back."""
        out, self._held = self._redactor.redact(self._held), ""
        return out

    def _safe_cut(self, buf: str) -> int:
        secrets = self._redactor.secrets
        if not secrets:
            return len(buf)
        # Hold the longest tail of buf that is a proper prefix of some secret.
        longest = max(len(s) for s in secrets)
        cut = len(buf)
        for start in range(max(0, len(buf) - longest + 1), len(buf)):
            tail = buf[start:]
            if any(len(s) > len(tail) and s.startswith(tail) for s in secrets):
                cut = start
                break
        # Never cut through a complete secret that starts before the cut.
        pattern = self._redactor._pattern
        if pattern is not None:
            for match in pattern.finditer(buf):
                if match.start() < cut < match.end():
                    cut = match.start()
                    break
        return cut
