"""``lwregshell list_values '[HKEY_...]'`` output (the likewise registry).

Typical lines::

    [HKEY_THIS_MACHINE\\services\\vmdir]
    +  "dcAccountDN"   REG_SZ        "cn=vcsa,ou=Domain Controllers,dc=vsphere,dc=local"
    +  "Autostart"     REG_DWORD     0x00000001 (1)
       "LoadOrder"     REG_MULTI_SZ  "Local" "ActiveDirectory"

The leading ``+`` (value set, not a schema default) may be absent; TABs and
spaces vary. Inside quoted strings ``\\"`` and ``\\\\`` are escapes. REG_DWORD
and REG_QWORD values are returned as decimal text; REG_MULTI_SZ strings (on the
value's line or on following lines holding only quoted strings) are joined with
``\\n``; other types keep their printed text.

The registry holds the machine account password, so errors never quote the output.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from vcfix.appliance.parsers import lines_of, not_understood

_INT_VALUE = re.compile(r"^0x([0-9a-fA-F]+)(?:\s*\((-?\d+)\))?$")


def parse_values(text: str, command: str) -> Dict[str, str]:
    """Value name (exactly as printed) -> value as text."""
    values: Dict[str, str] = {}
    multis: Dict[str, List[str]] = {}
    saw_header = False
    multi: Optional[str] = None  # the REG_MULTI_SZ value that continuation lines extend
    for number, line in enumerate(lines_of(text), 1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            saw_header, multi = True, None
            continue
        body = stripped[1:].lstrip() if stripped.startswith("+") else stripped
        if not body.startswith('"'):
            multi = None
            continue  # unknown line
        strings, rest = _quoted_run(body, command, number)
        if not rest:
            if multi is not None:
                multis[multi].extend(strings)  # continuation of a REG_MULTI_SZ
            continue
        name, multi = strings[0], None
        parts = rest.split(None, 1)
        reg_type, raw = parts[0], (parts[1].strip() if len(parts) > 1 else "")
        if reg_type in ("REG_SZ", "REG_EXPAND_SZ"):
            found, _ = _quoted_run(raw, command, number)
            values[name] = found[0] if found else raw
        elif reg_type == "REG_MULTI_SZ":
            multis[name] = _quoted_run(raw, command, number)[0]
            values[name] = ""
            multi = name
        elif reg_type in ("REG_DWORD", "REG_QWORD"):
            values[name] = _integer(raw)
        elif reg_type.startswith("REG_"):
            values[name] = raw
        # anything else: not a value line, skipped
    for name, strings in multis.items():
        values[name] = "\n".join(strings)
    if not values and not saw_header:
        raise not_understood(command, "no registry key or value found", quote=False)
    return values


def _quoted_run(body: str, command: str, number: int) -> Tuple[List[str], str]:
    """Leading quoted strings of ``body`` (escapes resolved) and the text after them."""
    strings: List[str] = []
    pos = 0
    while pos < len(body) and body[pos] == '"':
        value, pos = _quoted(body, pos, command, number)
        strings.append(value)
        while pos < len(body) and body[pos].isspace():
            pos += 1
    return strings, body[pos:].strip()


def _quoted(body: str, start: int, command: str, number: int) -> Tuple[str, int]:
    out: List[str] = []
    pos = start + 1
    while pos < len(body):
        ch = body[pos]
        if ch == "\\" and pos + 1 < len(body) and body[pos + 1] in '"\\':
            out.append(body[pos + 1])
            pos += 2
        elif ch == '"':
            return "".join(out), pos + 1
        else:
            out.append(ch)
            pos += 1
    # Never quote the line: it may hold the machine password.
    raise not_understood(command, f"unterminated quoted string on line {number}", quote=False)


def _integer(raw: str) -> str:
    match = _INT_VALUE.match(raw)
    if match:
        return match.group(2) if match.group(2) is not None else str(int(match.group(1), 16))
    return raw
