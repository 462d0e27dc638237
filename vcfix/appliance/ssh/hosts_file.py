"""``--hosts-file FILE``: the appliances a several-host command looks at.

One target a line, ``[USER@]HOST[:PORT]``, optionally followed by whitespace and the
appliance's root folder on that host (its ``--root``: several lab appliances behind one
sshd; a real appliance's line has none and the global ``--root`` applies). ``#`` starts
a comment (at the start of a line or after whitespace); blank lines are skipped. The
file is bounded (:data:`MAX_BYTES`, :data:`MAX_TARGETS`); a line that is not a target is
a usage error naming ``file:line``. :func:`parse_hosts` is pure; :func:`read_hosts_file`
reads the file (a regular file only, never past the bound).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional

from vcfix.appliance.safefs import read_small_file
from vcfix.appliance.ssh.target import Target, parse_target
from vcfix.errors import EXIT_USAGE, VcfixError
from vcfix.redact import escape_controls

MAX_BYTES = 1 << 20  # 1 MiB
MAX_TARGETS = 1000
MAX_ROOT = 4096
_COMMENT = re.compile(r"(^|\s)#.*$")


@dataclass(frozen=True)
class HostEntry:
    """One appliance to look at: ``target``, and its root folder there (None: ``--root``)."""

    target: Target
    root: Optional[Path] = None

    @property
    def label(self) -> str:
        """How messages and the per-host lines name it: ``root@vc1`` or
        ``root@127.0.0.1:2222 /srv/labs/vc3`` (the root only when one was given)."""
        return str(self.target) if self.root is None else f"{self.target} {self.root}"

    def resolved(self, default: Path) -> HostEntry:
        """This entry with its effective root: its own, else ``default`` (the global
        ``--root``); None when that is ``/`` (a real appliance)."""
        root = default if self.root is None else self.root
        return HostEntry(self.target, None if str(root) in ("/", "") else root)

    @property
    def root_path(self) -> Path:
        return Path("/") if self.root is None else self.root


def _usage(message: str) -> VcfixError:
    return VcfixError(message, exit_code=EXIT_USAGE)


def parse_hosts(text: str, source: str) -> List[HostEntry]:
    """The entries of a hosts file's ``text`` (duplicates removed, order kept).

    VcfixError (usage, exit 2) naming ``source:line`` for a line that is not
    ``[USER@]HOST[:PORT] [ROOT]``, and when there are more than :data:`MAX_TARGETS`
    or none at all."""
    entries: List[HostEntry] = []
    for number, raw in enumerate(text.splitlines(), 1):
        fields = _COMMENT.sub("", raw).split()
        if not fields:
            continue
        where = f"{source}:{number}"
        if len(fields) > 2:
            raise _usage(escape_controls(
                f"{where}: expected [USER@]HOST[:PORT] and at most a root folder, found "
                f"{len(fields)} fields"))
        try:
            target = parse_target(fields[0])
        except VcfixError as exc:
            why = exc.message.replace("--host ", "", 1)
            raise _usage(escape_controls(f"{where}: {why}")) from None
        root = _root(fields[1], where) if len(fields) == 2 else None
        entries.append(HostEntry(target, root))
        if len(entries) > MAX_TARGETS:
            raise _usage(f"{where}: more than {MAX_TARGETS} targets; split the file")
    if not entries:
        raise _usage(escape_controls(f"{source}: no target in the file (one "
                                     "[USER@]HOST[:PORT] a line)"))
    return unique(entries)


def _root(text: str, where: str) -> Path:
    if not text.startswith("/") or len(text) > MAX_ROOT or "\x00" in text:
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise _usage(escape_controls(
            f"{where}: the root folder {shown!r} must be an absolute path (e.g. /srv/labs/vc3)"))
    return Path(text)


def unique(entries: Iterable[HostEntry]) -> List[HostEntry]:
    """``entries`` without repeats (same target and root), in their first order."""
    return list(dict.fromkeys(entries))


def read_hosts_file(path: Path) -> List[HostEntry]:
    """The entries of the hosts file at ``path`` (see the module docstring)."""
    text = read_small_file(str(path), MAX_BYTES, "hosts file", _usage)
    return parse_hosts(text, str(path))


__all__ = ["MAX_BYTES", "MAX_TARGETS", "HostEntry", "parse_hosts", "read_hosts_file",
           "unique"]
