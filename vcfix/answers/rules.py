"""The rules every certificate value follows, wherever it comes from.

Pure functions shared by the answer file (:mod:`vcfix.answers.schema`) and the
interactive wizard (:mod:`vcfix.fix.review`, the questions of ``vcfix fix``): each
returns None for a good value, or the reason it is refused, so the wizard can ask
again with that reason and the answer file can name the key and line.

Length limits are the X.509 upper bounds of RFC 5280 (Appendix A.1): 64 characters
for the common name (certool's ``Name``, the VMCA ``Name``), the organization and the
organizational unit, 128 for the state and the locality, 255 for the e-mail address.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import Dict, Optional, Sequence

# Check name -> longest value (characters); see the module docstring.
MAX_LENGTH: Dict[str, int] = {"cn": 64, "o": 64, "ou": 64, "st": 128, "l": 128, "email": 255}
# Answer key -> check name (see :func:`check`).
KEY_CHECKS: Dict[str, str] = {
    "certificate.country": "country",
    "certificate.name": "cn",
    "certificate.organization": "o",
    "certificate.org_unit": "ou",
    "certificate.state": "st",
    "certificate.locality": "l",
    "certificate.ip_address": "ip",
    "certificate.email": "email",
    "certificate.vmca_name": "cn",
    "psc.address": "host",
}
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def control_character(text: str) -> Optional[str]:
    """The first control character (C0, C1, DEL, line separators, bidi overrides), or None."""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI:
            return char
    return None


def is_host(text: str) -> bool:
    """A DNS host name (labels of letters, digits and inner hyphens) or an IP address."""
    text = text.strip()
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return len(text) <= 253 and bool(_HOST.match(text))


def check(name: str, text: str) -> Optional[str]:
    """Why ``text`` is not a good value for check ``name`` (see :data:`KEY_CHECKS`); None if
    it is. Empty values are judged by the caller (some fields may be empty)."""
    bad = control_character(text)
    if bad is not None:
        return f"it contains the control character {bad!r}; type printable characters only"
    text = text.strip()
    if name == "country" and not re.fullmatch(r"[A-Za-z]{2}", text):
        return f"{text!r} is not a two-letter country code (e.g. US, DE)"
    if name == "ip" and text:
        try:
            ipaddress.ip_address(text)
        except ValueError:
            return f"{text!r} is not an IP address (leave it empty for none)"
    if name == "email" and text and not _EMAIL.fullmatch(text):
        return f"{text!r} is not an e-mail address"
    if name == "host" and not is_host(text):
        return f"{text!r} is not a host name or IP address"
    limit = MAX_LENGTH.get(name)
    if limit is not None and len(text) > limit:
        return f"it is {len(text)} characters long; X.509 allows at most {limit} here"
    return None


def check_key(key: str, text: str) -> Optional[str]:
    """:func:`check` for an answer key; keys without a rule only refuse control characters."""
    name = KEY_CHECKS.get(key)
    if name is None:
        bad = control_character(text)
        return None if bad is None else f"it contains the control character {bad!r}"
    return check(name, text)


def check_hostnames(names: Sequence[str], pnid: Optional[str]) -> Optional[str]:
    """Why a Hostname list is refused: a name that is not a host, or no PNID in it."""
    for name in names:
        if not is_host(name):
            return f"{name!r} is not a host name or IP address"
    if pnid and pnid.lower() not in (n.strip().lower() for n in names):
        return (f"the list lacks the PNID {pnid}: the Machine SSL certificate must hold it, "
                "or clients and services cannot reach this vCenter by its registered name")
    return None
