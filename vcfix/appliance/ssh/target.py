"""``[USER@]HOST[:PORT]``: which appliance, as which user (root unless told)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from vcfix.errors import EXIT_USAGE, VcfixError

DEFAULT_USER = "root"
HOST_ENV = "VCFIX_HOST"
SSH_CONFIG_ENV = "VCFIX_SSH_CONFIG"
MAX_TARGET = 255
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_HOST = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?")  # a name or IPv4
_IPV6 = re.compile(r"[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?")


@dataclass(frozen=True)
class Target:
    user: str
    host: str
    port: Optional[int] = None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.user}@{host}" + (f":{self.port}" if self.port else "")

    @property
    def destination(self) -> str:
        """What ssh takes as its destination argument (the port goes in ``-p``)."""
        return f"{self.user}@{self.host}"


@dataclass(frozen=True)
class Reach:
    """How to reach targets, from the global options (the same for every host)."""

    ssh_config: Optional[Path] = None  # --ssh-config: ssh -F FILE
    batch: bool = False  # never let ssh ask anything (unattended, or no terminal)
    connect_timeout: float = 10.0


def parse_target(text: str) -> Target:
    """``[USER@]HOST[:PORT]`` (an IPv6 address in brackets); VcfixError (usage) otherwise.

    Nothing that could be read by ssh as an option is accepted (no leading ``-``), nor
    spaces, quotes or other shell characters."""
    raw = text.strip()
    if not raw or len(raw) > MAX_TARGET:
        raise _bad(text, "empty or longer than 255 characters")
    user, at, rest = raw.rpartition("@")
    if not at:
        user, rest = DEFAULT_USER, raw
    if not _USER.fullmatch(user):
        raise _bad(text, "not a user name before '@'")
    port: Optional[int] = None
    if rest.startswith("["):
        host, close, tail = rest[1:].partition("]")
        if not close or not _IPV6.fullmatch(host):
            raise _bad(text, "not an IPv6 address in brackets")
        if tail:
            if not tail.startswith(":"):
                raise _bad(text, "unexpected text after ']'")
            port = _port(text, tail[1:])
    else:
        host, colon, port_text = rest.partition(":")
        if colon:
            port = _port(text, port_text)
        if not _HOST.fullmatch(host):
            raise _bad(text, "not a host name or address")
    return Target(user, host, port)


def _port(text: str, value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise _bad(text, "the port must be a number from 1 to 65535")
    return int(value)


def _bad(text: str, why: str) -> VcfixError:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return VcfixError(f"--host {shown!r}: {why} (expected [USER@]HOST[:PORT])",
                      exit_code=EXIT_USAGE)
