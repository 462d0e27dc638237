"""``vecs-cli`` output: ``store list`` and ``entry list --store S [--text]``.

``entry list`` prints ``Number of entries in store :<TAB>N`` and then, per entry,
``Alias :<TAB>a``, ``Entry type :<TAB>t``, ``Certificate :<TAB>`` followed by
the PEM (nothing for a Secret Key) and a blank line. Published copies show spaces
instead of TABs, so every line is split on its first colon. The PEM may start on
the ``Certificate :`` line itself or on the next line, and an entry may hold a
chain (several PEM blocks): :attr:`VecsEntry.pem` keeps all of them. With
``--text`` the PEM is replaced by an OpenSSL dump; its ``Not After :`` line is
kept as :attr:`VecsEntry.not_after`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import List, Optional

from vcfix.appliance.parsers import lines_of, not_understood, split_field

PRIVATE_KEY = "Private Key"
SECRET_KEY = "Secret Key"  # noqa: S105 - a VECS entry type, not a secret
TRUSTED_CERT = "Trusted Cert"
CRL = "Certification Revocation List"
ENTRY_TYPES = (PRIVATE_KEY, SECRET_KEY, TRUSTED_CERT, CRL)

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_NOT_AFTER = re.compile(
    r"not\s+after\s*:\s*([a-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})"
    r"(?:\s+(?:gmt|utc|z))?\s*$",
    re.IGNORECASE,
)
_PEM_BEGIN = "-----BEGIN "
_PEM_END = "-----END "


@dataclass(frozen=True)
class VecsEntry:
    """One VECS entry. ``pem`` is None when the entry has no certificate."""

    alias: str
    entry_type: str
    pem: Optional[str]
    not_after: Optional[dt.datetime] = None  # from ``--text`` output only


def parse_store_list(text: str, command: str) -> List[str]:
    """``vecs-cli store list``: one store name per line.

    Blank lines and message lines (``Label: text``, a colon then a space or the end)
    are skipped; any other name is kept as printed (``.hidden``, ``a/b``, spaces, ``;``).
    """
    stores: List[str] = []
    for line in lines_of(text):
        name = line.strip()
        if not name:
            continue
        if re.search(r":(\s|$)", name):
            continue  # a message (e.g. an error), not a store line
        stores.append(name)
    if not stores:
        raise not_understood(command, "no store listed", text)
    return stores


class _Entry:
    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.entry_type = ""
        self.pem_lines: List[str] = []
        self.not_after: Optional[dt.datetime] = None

    def freeze(self) -> VecsEntry:
        pem = "\n".join(self.pem_lines) + "\n" if self.pem_lines else None
        return VecsEntry(self.alias, self.entry_type, pem, self.not_after)


def parse_entry_list(text: str, command: str) -> List[VecsEntry]:
    """``vecs-cli entry list --store S [--text]`` -> the entries, in order."""
    entries: List[_Entry] = []
    count: Optional[int] = None
    current: Optional[_Entry] = None
    in_pem = False
    for number, line in enumerate(lines_of(text), 1):
        stripped = line.strip()
        if in_pem:
            assert current is not None
            if not stripped:
                continue
            current.pem_lines.append(stripped)
            if stripped.startswith(_PEM_END):
                in_pem = False
            continue
        if stripped.startswith(_PEM_BEGIN):
            if current is None:
                raise not_understood(command, f"a certificate before any alias (line {number})",
                                     text)
            current.pem_lines.append(stripped)
            in_pem = True
            continue
        field = split_field(stripped)
        if field is None:
            continue
        key, value = field
        if key == "number of entries in store":
            if not value.isdigit():
                raise not_understood(command, f"entry count '{value}' is not a number", text)
            count = int(value)
        elif key == "alias":
            current = _Entry(value)
            entries.append(current)
        elif current is None:
            continue
        elif key == "entry type":
            current.entry_type = value
        elif key == "certificate" and value.startswith(_PEM_BEGIN):
            current.pem_lines.append(value)
            in_pem = True
        elif key == "not after" and current.not_after is None:
            current.not_after = _not_after_of(stripped)
    if in_pem:
        assert current is not None
        raise not_understood(command, f"the certificate of alias '{current.alias}' is cut short",
                             text)
    if count is None and not entries:
        raise not_understood(command, "no entry count and no alias found", text)
    if count is not None and count != len(entries):
        raise not_understood(
            command, f"it announces {count} entries but lists {len(entries)}", text
        )
    return [entry.freeze() for entry in entries]


def parse_not_after(text: str, command: str = "vecs-cli entry list --text") -> dt.datetime:
    """The first ``Not After : Apr  6 11:57:19 2029 GMT`` in an OpenSSL text dump (UTC)."""
    for line in lines_of(text):
        field = split_field(line.strip())
        if field and field[0] == "not after":
            value = _not_after_of(line.strip())
            if value is None:
                raise not_understood(command, f"cannot read the date in '{line.strip()}'", text)
            return value
    raise not_understood(command, "no 'Not After' line found", text)


def _not_after_of(line: str) -> Optional[dt.datetime]:
    match = _NOT_AFTER.search(line)
    if not match:
        return None
    month = _MONTHS.get(match.group(1).lower())
    if month is None:
        return None
    day, hour, minute, second, year = (int(match.group(i)) for i in range(2, 7))
    try:
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.timezone.utc)
    except ValueError:
        return None


__all__ = [
    "CRL",
    "ENTRY_TYPES",
    "PRIVATE_KEY",
    "SECRET_KEY",
    "TRUSTED_CERT",
    "VecsEntry",
    "parse_entry_list",
    "parse_not_after",
    "parse_store_list",
]
