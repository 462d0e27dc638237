"""LDIF as printed by ``ldapsearch`` (RFC 2849, the parts ldapsearch uses).

- Long lines are folded (at 76 columns by default): a line that begins with one
  space continues the previous line, also inside base64 values.
- ``attr:: <base64>`` values are returned as ``bytes``, ``attr: value`` as ``str``
  (``attr:< URL`` is kept as the URL text).
- ``# comments`` (and their continuation lines), ``version: 1`` and the
  ``search:``/``result:`` trailer that ldapsearch prints without ``-LLL`` are
  skipped; a trailer with a non-zero result code is an error.
- Entries are separated by blank lines; CRLF is tolerated; attribute names are
  lower-cased, and the ``;binary`` transfer option is dropped
  (``userCertificate;binary`` -> ``usercertificate``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

from vcfix.appliance.parsers import not_understood

Value = Union[bytes, str]


@dataclass
class LdifEntry:
    dn: str
    attrs: Dict[str, List[Value]] = field(default_factory=dict)

    def values(self, name: str) -> List[Value]:
        """The values of attribute ``name`` (any case); empty list when absent."""
        return self.attrs.get(name.lower(), [])


def parse_ldif(text: str, command: str) -> List[LdifEntry]:
    """The entries of ``text`` in order. Empty output (no entry found) -> ``[]``."""
    entries: List[LdifEntry] = []
    unknown = 0
    for record in _records(_unfold(text)):
        pairs = [_pair(line, command) for line in record]
        known = [p for p in pairs if p is not None]
        unknown += len(pairs) - len(known)
        if not known:
            continue
        first_name, first_value = known[0]
        if first_name == "version" and len(known) > 1:
            known = known[1:]
            first_name, first_value = known[0]
        if first_name == "dn":
            dn = first_value.decode("utf-8", "replace") if isinstance(first_value,
                                                                      bytes) else first_value
            entry = LdifEntry(dn)
            for name, value in known[1:]:
                entry.attrs.setdefault(name, []).append(value)
            entries.append(entry)
        elif first_name in ("search", "result", "version"):
            _check_result(known, command, text)
        else:
            unknown += len(known)
    if not entries and unknown:
        raise not_understood(command, "no LDIF entry (dn:) found", text)
    return entries


def _unfold(text: str) -> List[str]:
    """Logical lines: continuations joined, comments dropped, blank lines kept as "".

    Trailing spaces are NOT stripped before unfolding: ldapsearch folds at a fixed
    column, so a fold can fall right after a space inside a DN or a value.
    """
    logical: List[str] = []
    in_comment = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            logical.append("")
            in_comment = False
        elif line.startswith(" ") and (in_comment or (logical and logical[-1])):
            if not in_comment:
                logical[-1] += line[1:]
        elif line.startswith("#"):
            in_comment = True
        else:
            in_comment = False
            logical.append(line)
    return logical


def _records(lines: List[str]) -> List[List[str]]:
    records: List[List[str]] = [[]]
    for line in lines:
        if line == "":
            if records[-1]:
                records.append([])
        else:
            records[-1].append(line)
    return [r for r in records if r]


def _pair(line: str, command: str) -> Optional[Tuple[str, Value]]:
    name, sep, rest = line.partition(":")
    name = name.strip().lower()
    if not sep or not name or " " in name:
        return None
    if name.endswith(";binary"):
        name = name[: -len(";binary")]
    if rest.startswith(":"):
        data = "".join(rest[1:].split())
        try:
            return name, base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise not_understood(
                command, f"the base64 value of '{name}' is damaged ({exc})", line
            ) from exc
    if rest.startswith("<"):
        return name, rest[1:].strip()
    return name, rest.strip()


def _check_result(pairs: List[Tuple[str, Value]], command: str, text: str) -> None:
    for name, value in pairs:
        if name == "result" and isinstance(value, str):
            code = value.split()[0] if value.split() else ""
            if code != "0":
                raise not_understood(command, f"the search ended with 'result: {value}'", text)
