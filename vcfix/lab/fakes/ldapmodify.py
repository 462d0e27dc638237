"""Fake OpenLDAP ``ldapmodify`` (and ``ldapadd``: ``-a``) on the lab's STS entries.

Options as the real client: ``-x``, ``-H ldap://host:port`` or ``-h``/``-p``, ``-D binddn``,
``-y file`` (the whole file is the password), ``-W``, ``-w`` (accepted; vcfix must never
use it), ``-f file`` (else standard input), ``-a`` (records without ``changetype`` are
adds), ``-c`` (go on after an error). Binds like the fake ldapsearch (the machine
account or the SSO administrator). Supported records: ``changetype: add`` of a
``TenantCredential-N`` (``vmwSTSTenantCredential``: ``userCertificate`` values, the
leaf first, and ``vmwSTSPrivateKey``) or ``TrustedCertChain-N``
(``vmwSTSTenantTrustedCertificateChain``), and ``changetype: delete`` of either: what
fixsts.sh does, and what restoring its LDIF exports takes. Prints ``adding new entry
"DN"`` / ``deleting entry "DN"`` like the real client.
"""

from __future__ import annotations

import base64
import getopt
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from vcfix.lab import state as lab_state
from vcfix.lab.fakes.common import FakeError, fake_tool, load_state, out
from vcfix.lab.fakes.ldapsearch import CANT_CONTACT, _bind, _password, _reachable, _target

TOOL = "ldapmodify"
KINDS = {"vmwststenantcredential": "tenant_credentials",
         "vmwststenanttrustedcertificatechain": "trusted_chains"}
Record = Tuple[str, str, Dict[str, List[bytes]]]  # dn, changetype, attributes (lower-case)


def parse(text: str, default: str) -> List[Record]:
    """LDIF change records: unfolded, comments and ``version:`` skipped."""
    records: List[Record] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines: List[str] = []
        for line in block.split("\n"):
            if line.startswith(" ") and lines:
                lines[-1] += line[1:]
            elif line.strip() and not line.startswith("#"):
                lines.append(line)
        attrs: Dict[str, List[bytes]] = {}
        for line in lines:
            name, _, value = line.partition(":")
            raw = (base64.b64decode(value[1:].strip()) if value.startswith(":")
                   else value.strip().encode("utf-8"))
            attrs.setdefault(name.strip().lower(), []).append(raw)
        if "dn" not in attrs:
            continue
        dn = attrs.pop("dn")[0].decode("utf-8")
        change = attrs.pop("changetype", [default.encode()])[0].decode("utf-8").strip()
        records.append((dn, change, attrs))
    return records


def _pem(der: bytes, label: str) -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode("ascii"), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def _cn(dn: str) -> str:
    return dn.split(",", 1)[0].partition("=")[2].strip()


def apply(state: lab_state.State, record: Record) -> str:
    """Apply one record to ``state``; returns the line the real client prints."""
    dn, change, attrs = record
    vmdir = state.setdefault("vmdir", {})
    cn = _cn(dn)
    if change == "delete":
        for key in KINDS.values():
            if any(e.get("cn") == cn for e in vmdir.get(key, [])):
                vmdir[key] = [e for e in vmdir[key] if e.get("cn") != cn]
                return f'deleting entry "{dn}"'
        raise FakeError(f'deleting entry "{dn}"\nldap_delete: No such object (32)', 32)
    if change != "add":
        raise FakeError(f"ldapmodify: changetype {change} is not simulated by the vcfix lab", 1)
    classes = [c.decode("utf-8").lower() for c in attrs.get("objectclass", [])]
    kinds = [KINDS[c] for c in classes if c in KINDS]
    if not kinds:
        raise FakeError(f'adding new entry "{dn}"\nldap_add: Object class violation (65)', 65)
    key = kinds[0]
    if any(e.get("cn") == cn for e in vmdir.get(key, [])):
        raise FakeError(f'adding new entry "{dn}"\nldap_add: Already exists (68)', 68)
    entry: Dict[str, object] = {"cn": cn, "certs": [_pem(d, "CERTIFICATE")
                                                     for d in attrs.get("usercertificate", [])]}
    if key == "tenant_credentials":
        keys = attrs.get("vmwstsprivatekey", [])
        entry["key"] = _pem(keys[0], "PRIVATE KEY") if keys else None
    vmdir.setdefault(key, []).append(entry)
    return f'adding new entry "{dn}"'


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    try:
        opts, _args = getopt.gnu_getopt(list(argv), "xacH:h:p:D:y:Ww:f:")
    except getopt.GetoptError as exc:
        raise FakeError(f"{TOOL}: {exc.msg}", 1) from exc
    values, flags = dict(opts), [o for o, _ in opts]
    state = load_state(lab_root)
    if not _reachable(state, *_target(values)):
        raise FakeError(CANT_CONTACT, 255)
    _bind(state, values.get("-D"), _password(values))
    try:
        text = Path(values["-f"]).read_text(encoding="utf-8") if "-f" in values \
            else sys.stdin.read()
    except OSError as exc:
        raise FakeError(f"{values['-f']}: {exc.strerror}", 1) from exc
    code = 0
    for record in parse(text, "add" if "-a" in flags else "modify"):
        try:
            with lab_state.transaction(lab_root) as current:
                out(apply(current, record) + "\n\n")
        except FakeError as exc:
            sys.stderr.write(exc.text + "\n")
            code = exc.exit_code
            if "-c" not in flags:
                return code
    return code
