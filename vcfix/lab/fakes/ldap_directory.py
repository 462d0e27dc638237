"""The lab directory's entries and their LDIF form, for the fake LDAP tools.

:func:`directory` builds the entries (containers first) from the state's ``vmdir``:
the STS ``TenantCredential-N`` and ``TrustedCertChain-N`` entries and their
containers. :func:`matches` evaluates an LDAP search filter on an entry;
:func:`ldif_line` and :func:`fold` write LDIF lines as OpenLDAP does. Used by
:mod:`vcfix.lab.fakes.ldapsearch` and :mod:`vcfix.lab.fakes.fixsts`.
"""

from __future__ import annotations

import base64
import re
from typing import Callable, Dict, List, Optional, Tuple, Union

from vcfix.lab import state as lab_state
from vcfix.lab.fakes.lwregshell import domain_dn

__all__ = ["AttrValue", "Entry", "directory", "fold", "ldif_line", "matches"]

AttrValue = Union[str, bytes]
Entry = Tuple[str, List[Tuple[str, List[AttrValue]]]]
Pred = Callable[[Dict[str, List[AttrValue]]], bool]


def _der(pem: str) -> bytes:
    body = [ln for ln in pem.strip().splitlines() if ln and not ln.startswith("-----")]
    return base64.b64decode("".join(body))


def directory(state: lab_state.State) -> List[Entry]:
    """The directory's entries (containers first), built from ``state["vmdir"]``."""
    domain = str(state["domain"])
    base = domain_dn(domain)
    services = f"cn=Services,{base}"
    tenant = f"cn={domain},cn=Tenants,cn=IdentityManager,{services}"
    chains = f"cn=TrustedCertificateChains,{tenant}"
    entries: List[Entry] = []
    for dn, classes in (
        (base, ["top", "dcObject", "domain"]),
        (services, ["top", "container"]),
        (f"cn=IdentityManager,{services}", ["top", "container"]),
        (f"cn=Tenants,cn=IdentityManager,{services}", ["top", "container"]),
        (tenant, ["top", "vmwSTSTenant"]),
        (chains, ["top", "container"]),
    ):
        entries.append((dn, [("objectClass", list(classes))]))
    vmdir = state.get("vmdir") or {}
    for cred in vmdir.get("tenant_credentials", []):
        attrs: List[Tuple[str, List[AttrValue]]] = [
            ("objectClass", ["top", "vmwSTSTenantCredential"]),
            ("cn", [cred["cn"]]),
            ("userCertificate", [_der(c) for c in cred["certs"]]),
        ]
        if cred.get("key"):
            attrs.append(("vmwSTSPrivateKey", [_der(cred["key"])]))
        entries.append((f"cn={cred['cn']},{tenant}", attrs))
    for chain in vmdir.get("trusted_chains", []):
        entries.append((f"cn={chain['cn']},{chains}", [
            ("objectClass", ["top", "vmwSTSTenantTrustedCertificateChain"]),
            ("cn", [chain["cn"]]),
            ("userCertificate", [_der(c) for c in chain["certs"]]),
        ]))
    return entries


# --- filters: (&...) (|...) (!...) (attr=value) (attr=*) (attr=pre*post) -----------------

def _unescape(value: str) -> str:
    return re.sub(r"\\([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), value)


def matches(text: str, attrs: Dict[str, List[AttrValue]]) -> bool:
    """Evaluate LDAP filter ``text`` on an entry; ValueError when it is malformed."""
    text = text.strip()
    pred, rest = _parse(text if text.startswith("(") else f"({text})")
    if rest.strip():
        raise ValueError(text)
    return pred(attrs)


def _parse(text: str) -> Tuple[Pred, str]:
    if not text.startswith("("):
        raise ValueError(text)
    body = text[1:]
    if body[:1] in ("&", "|", "!"):
        op, rest = body[0], body[1:].lstrip()
        parts: List[Pred] = []
        while rest.startswith("("):
            part, rest = _parse(rest)
            parts.append(part)
            rest = rest.lstrip()
        if not rest.startswith(")") or (op == "!" and len(parts) != 1):
            raise ValueError(text)
        if op == "&":
            return (lambda a: all(p(a) for p in parts)), rest[1:]
        if op == "|":
            return (lambda a: any(p(a) for p in parts)), rest[1:]
        return (lambda a: not parts[0](a)), rest[1:]
    end = body.find(")")
    attr, eq, value = body[:end].partition("=")
    if end < 0 or not eq or not attr.strip() or attr.strip()[-1] in "<>~":
        raise ValueError(text)
    return _item(attr.strip().lower(), value), body[end + 1:]


def _item(attr: str, value: str) -> Pred:
    pattern = re.compile(
        "^" + ".*".join(re.escape(_unescape(p)) for p in value.split("*")) + "$", re.IGNORECASE
    )

    def test(attrs: Dict[str, List[AttrValue]]) -> bool:
        values = [v for name, vs in attrs.items() if name.lower() == attr for v in vs]
        if value == "*":
            return bool(values)
        return any(isinstance(v, str) and pattern.match(v) for v in values)

    return test


# --- LDIF ---------------------------------------------------------------------------------

def ldif_line(name: str, value: AttrValue) -> str:
    """One LDIF ``name: value`` line, base64 (``name::``) when the value needs it."""
    if isinstance(value, bytes):
        return f"{name}:: {base64.b64encode(value).decode('ascii')}"
    if value and (value[0] in " :<" or value[-1] == " " or not value.isascii()
                  or not value.isprintable()):
        return f"{name}:: {base64.b64encode(value.encode('utf-8')).decode('ascii')}"
    return f"{name}: {value}"


def fold(line: str, width: Optional[int]) -> List[str]:
    """Fold one LDIF line at ``width`` columns, continuations starting with a space."""
    if not width or width < 2 or len(line) <= width:
        return [line]
    lines, rest = [line[:width]], line[width:]
    while rest:
        lines.append(" " + rest[: width - 1])
        rest = rest[width - 1:]
    return lines
