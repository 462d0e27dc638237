"""Parsers for the VMDIR tools: vdcrepadmin, vdcadmintool and ``dir-cli state get``.

Pure functions: output text in, data out. Each takes the command string used in
error messages (never containing a password). They key on labels, not on
spacing: TABs, collapsed or extra padding, trailing spaces, blank lines and
unknown lines are tolerated. A failed vdcrepadmin is recognised by its text
whatever its exit status (that status is truncated to 8 bits and unreliable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional

from vcfix.appliance.runner import tail
from vcfix.errors import VcfixError

_VDC_FAILED = re.compile(r"vdcrepadmin\s+failed\b(?P<rest>.*)", re.IGNORECASE)
_BRACKETED = re.compile(r"\[([^\]]*)\]")
_WRONG_PASSWORD = re.compile(
    r"invalid\s+credential|wrong\s+password|logon\s+failure|authentication\s+fail"
    r"|password\s+(?:is\s+)?incorrect",
    re.IGNORECASE,
)
_KNOWN_CODES = {
    "9234": "the administrator password was refused",
    "9127": "the directory service (vmdird) is down or unreachable",
}

_PARTNER = re.compile(r"^partner\s*:\s*(?P<v>\S*)", re.IGNORECASE)
_YES_NO = r"\s*:\s*(?P<v>yes|no)\b"
_HOST_AVAILABLE = re.compile(r"^host\s+available" + _YES_NO, re.IGNORECASE)
_STATUS_AVAILABLE = re.compile(r"^status\s+available" + _YES_NO, re.IGNORECASE)
# The counters are signed 64-bit numbers: "Partner is -5 changes behind." happens (the
# counters disagree; reported, never read as healthy).
_MY_LAST = re.compile(r"^my\s+last\s+change\s+number\s*:\s*(?P<v>-?\d+)", re.IGNORECASE)
_SEEN = re.compile(
    r"^partner\s+has\s+seen\s+my\s+change\s+number\s*:\s*(?P<v>-?\d+)", re.IGNORECASE
)
_BEHIND = re.compile(r"^partner\s+is\s+(?P<v>-?\d+)\s+changes?\s+behind", re.IGNORECASE)

_LDAP_URI = re.compile(r"ldaps?://(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:/\s]+))", re.IGNORECASE)
_SERVER_DN = re.compile(
    r"cn\s*=\s*(?P<host>[^,=]+?)\s*,\s*cn\s*=\s*servers\s*,\s*cn\s*=\s*(?P<site>[^,=]+?)"
    r"\s*,\s*cn\s*=\s*sites\b",
    re.IGNORECASE,
)

_VMDIR_STATE = re.compile(r"vmdir\s+state\s+is\s*-?\s*(?P<v>.*?)\s*$", re.IGNORECASE)
_DIRCLI_STATE = re.compile(
    r"directory\s+server\s+state\s*:\s*(?P<v>.*?)\s*(?:\(\s*-?\d+\s*\))?\s*$", re.IGNORECASE
)
# Canonical spelling of the state names the tools print (compared case-insensitively).
STATE_NAMES = ("Normal", "Read only", "Startup", "Shutdown", "Undefined", "Standalone",
               "Restore", "Failure", "Read only demote", "(null)")
_STATE_KEYS = {re.sub(r"[\s_-]+", " ", n.lower()): n for n in STATE_NAMES}


class CredentialsRefused(VcfixError):
    """vdcrepadmin refused the SSO credentials (9234): never try the same password again."""


@dataclass(frozen=True)
class PartnerStatus:
    """One ``showpartnerstatus`` block. ``None`` means the line was not printed."""

    host: Optional[str]
    host_available: Optional[bool] = None
    status_available: Optional[bool] = None
    my_last_change: Optional[int] = None
    partner_seen_change: Optional[int] = None
    changes_behind: Optional[int] = None

    @property
    def attributable(self) -> bool:
        """False for a block that had no ``Partner:`` line (never counted as healthy)."""
        return self.host is not None


@dataclass(frozen=True)
class DirectoryServer:
    """One ``showservers`` entry."""

    host: str
    site: str


def check_vdcrepadmin_failure(text: str, command: str) -> None:
    """Raise :class:`VcfixError` when vdcrepadmin's text says it failed.

    A refused password raises :class:`CredentialsRefused` (a VcfixError).
    """
    for line in text.splitlines():
        match = _VDC_FAILED.search(line)
        if match:
            parts = [p.strip() for p in _BRACKETED.findall(match.group("rest"))]
            code = next((p for p in reversed(parts) if p.isdigit()), "")
            meaning = _KNOWN_CODES.get(code)
            message = f"'{command}' failed: {line.strip()}"
            if meaning:
                message += f" ({meaning})"
            refused = code == "9234" or bool(_WRONG_PASSWORD.search(line))
            kind = CredentialsRefused if refused else VcfixError
            raise kind(message, details=tail(text), hint=_hint(code, line))
        if _WRONG_PASSWORD.search(line):
            raise CredentialsRefused(
                f"'{command}' refused the administrator credentials: {line.strip()}",
                hint=_hint("9234", line),
            )


def _hint(code: str, line: str) -> Optional[str]:
    if code == "9234" or _WRONG_PASSWORD.search(line):
        return "check the SSO administrator user and password, then run the check again"
    if code == "9127":
        return "check that vmdird runs on this node ('service-control --status vmdird')"
    return None


def parse_partner_status(text: str, command: str) -> List[PartnerStatus]:
    """``vdcrepadmin -f showpartnerstatus``: one :class:`PartnerStatus` per block.

    Empty output gives an empty list (whether that is healthy is the rules' call).
    """
    check_vdcrepadmin_failure(text, command)
    blocks: List[Dict[str, object]] = []
    current: Optional[Dict[str, object]] = None
    recognised = 0
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            current = None  # a blank line ends the block
            continue
        match = _PARTNER.match(line)
        if match:
            current = {"host": match.group("v") or None}
            blocks.append(current)
            recognised += 1
            continue
        for key, pattern in _FIELDS:
            found = pattern.match(line)
            if not found:
                continue
            recognised += 1
            if current is None or key in current:
                current = {"host": None}  # a block without its Partner: line
                blocks.append(current)
            value = found.group("v")
            current[key] = value.lower() == "yes" if key.endswith("available") else int(value)
            break
    if not recognised and text.strip():
        raise VcfixError(f"'{command}' printed no partner status that vcfix understands",
                         details=tail(text))
    return [_partner(block) for block in blocks]


_FIELDS = (
    ("host_available", _HOST_AVAILABLE),
    ("status_available", _STATUS_AVAILABLE),
    ("my_last_change", _MY_LAST),
    ("partner_seen_change", _SEEN),
    ("changes_behind", _BEHIND),
)


def _partner(block: Dict[str, object]) -> PartnerStatus:
    def get(key: str) -> object:
        return block.get(key)

    def flag(key: str) -> Optional[bool]:
        value = get(key)
        return value if isinstance(value, bool) else None

    def number(key: str) -> Optional[int]:
        value = get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    host = get("host")
    last, seen = number("my_last_change"), number("partner_seen_change")
    behind = number("changes_behind")
    if behind is None and last is not None and seen is not None:
        behind = last - seen  # the summary line was lost; the numbers say it (signed)
    return PartnerStatus(
        host=host if isinstance(host, str) else None,
        host_available=flag("host_available"),
        status_available=flag("status_available"),
        my_last_change=last,
        partner_seen_change=seen,
        changes_behind=behind,
    )


def parse_partners(text: str, command: str) -> List[str]:
    """``vdcrepadmin -f showpartners``: the partner host of each agreement, in order."""
    check_vdcrepadmin_failure(text, command)
    hosts: List[str] = []
    for line in text.splitlines():
        for match in _LDAP_URI.finditer(line):
            host = match.group("v6") or match.group("host")
            if host and host not in hosts:
                hosts.append(host)
    if not hosts and text.strip():
        raise VcfixError(f"'{command}' printed no ldap:// partner that vcfix understands",
                         details=tail(text))
    return hosts


def parse_server_entries(text: str, command: str) -> List[DirectoryServer]:
    """``vdcrepadmin -f showservers``: every directory server of the domain with its site."""
    check_vdcrepadmin_failure(text, command)
    servers: List[DirectoryServer] = []
    for line in text.splitlines():
        match = _SERVER_DN.search(line)
        if match:
            entry = DirectoryServer(match.group("host").strip(), match.group("site").strip())
            if entry not in servers:
                servers.append(entry)
    if not servers:
        # A working directory always lists at least itself.
        raise VcfixError(f"'{command}' printed no directory server DN that vcfix understands",
                         details=tail(text))
    return servers


def parse_servers(text: str, command: str) -> List[str]:
    """``vdcrepadmin -f showservers``: the host names (see :func:`parse_server_entries`)."""
    return [entry.host for entry in parse_server_entries(text, command)]


def parse_vmdir_state(text: str, command: str) -> str:
    """The directory state from ``echo 6 | vdcadmintool`` or ``dir-cli state get``.

    Known names are returned in canonical spelling (``Normal``, ``Read only``,
    ``(null)``...); any other name is returned as printed.
    """
    states: List[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        match = _VMDIR_STATE.search(line) or _DIRCLI_STATE.search(line)
        if match and match.group("v"):
            value = match.group("v")
            states.append(_STATE_KEYS.get(re.sub(r"[\s_-]+", " ", value.lower()), value))
    if not states:
        hint = _hint("", text) if _WRONG_PASSWORD.search(text) else None
        raise VcfixError(f"'{command}' printed no directory state that vcfix understands",
                         details=tail(text), hint=hint)
    if len(set(states)) > 1:
        raise VcfixError(f"'{command}' printed conflicting directory states: "
                         + ", ".join(sorted(set(states))), details=tail(text))
    return states[0]
