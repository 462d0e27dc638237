"""Fake OpenLDAP ``ldapsearch`` against the lab's directory (the STS entries).

Options as the real client: ``-H ldap://host:port`` or ``-h host -p port``, ``-x``,
``-D binddn``, ``-y file`` (the whole file is the password), ``-W`` (prompt on the
terminal), ``-w pw`` (accepted like the real client; vcfix must never use it),
``-b base``, ``-s base|one|sub``, ``-L``/``-LL``/``-LLL``, ``-o ldif-wrap=no|N``,
then a filter and attribute names. The directory holds the
``TenantCredential-N`` and ``TrustedCertChain-N`` entries of the state's ``vmdir``
and their containers (built, filtered and written as LDIF lines by
:mod:`vcfix.lab.fakes.ldap_directory`). On a management node the directory is on the PSC
(``state["dc_name"]``): localhost cannot be contacted, like on a real one.
"""

from __future__ import annotations

import getopt
import os
import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from vcfix.lab import state as lab_state
from vcfix.lab.fakes.common import FakeError, error, fake_tool, load_state, out, service_running
from vcfix.lab.fakes.ldap_directory import AttrValue as AttrValue
from vcfix.lab.fakes.ldap_directory import Entry as Entry
from vcfix.lab.fakes.ldap_directory import directory as directory
from vcfix.lab.fakes.ldap_directory import fold as fold
from vcfix.lab.fakes.ldap_directory import ldif_line
from vcfix.lab.fakes.ldap_directory import matches as matches
from vcfix.lab.fakes.lwregshell import domain_dn

TOOL = "ldapsearch"
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1", "")
PORTS = (389, 636, 11711)
CANT_CONTACT = "ldap_sasl_bind(SIMPLE): Can't contact LDAP server (-1)"
INVALID_CREDENTIALS = "ldap_bind: Invalid credentials (49)"


def _norm(dn: str) -> str:
    return re.sub(r"\s*([,=])\s*", r"\1", dn.strip()).lower()


def _ufn(dn: str) -> str:
    rdns = [part.split("=", 1)[-1] for part in dn.split(",")]
    dcs = [p.split("=", 1)[1] for p in dn.split(",") if p.lower().startswith("dc=")]
    return ", ".join(rdns[: len(rdns) - len(dcs)] + [".".join(dcs)])


# --- the command --------------------------------------------------------------------------

@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    try:
        opts, args = getopt.gnu_getopt(list(argv), "xLZQNnvH:h:p:D:y:Ww:b:s:o:Y:")
    except getopt.GetoptError as exc:
        raise FakeError(f"{TOOL}: {exc.msg}\nusage: {TOOL} [options] [filter [attributes...]]",
                        1) from exc
    flags = [o for o, _ in opts]
    values = dict(opts)
    width: Optional[int] = 76
    for key, value in opts:
        if key == "-o":
            name, _, setting = value.partition("=")
            if name == "ldif-wrap":
                width = None if setting == "no" else int(setting) if setting.isdigit() else 76
            elif name not in ("nettimeout", "ldif_wrap"):
                raise FakeError(f"Invalid general option name: {name}", 1)
    state = load_state(lab_root)
    host, port = _target(values)
    if not _reachable(state, host, port):
        raise FakeError(CANT_CONTACT, 255)
    if "-x" not in flags:
        raise FakeError("ldap_sasl_interactive_bind_s: Unknown authentication method (-6)\n"
                        "\tadditional info: SASL(-4): no mechanism available: ", 250)
    _bind(state, values.get("-D"), _password(values))
    base, scope = values.get("-b", ""), values.get("-s", "sub")
    filt = args[0] if args else "(objectClass=*)"
    wanted = [a.lower() for a in args[1:]]
    entries = directory(state)
    if not any(_norm(dn) == _norm(base) for dn, _ in entries):
        raise FakeError("No such object (32)", 32)
    found: List[Entry] = []
    for dn, attrs in entries:
        try:
            hit = _in_scope(dn, base, scope) and matches(filt, dict(attrs))
        except ValueError as exc:
            raise FakeError(f'{TOOL}: ldap_search_ext: Bad search filter (-7)', 255) from exc
        if hit:
            found.append((dn, attrs))
    out(_ldif(found, wanted, width, flags.count("-L"), base, scope, filt, args[1:]))
    return 0


def _target(values: Dict[str, str]) -> Tuple[str, int]:
    if "-H" in values:
        uri = values["-H"].replace(",", " ").split()[0] if values["-H"].strip() else ""
        match = re.match(r"^(ldaps?)://\[?([^\]/:]*)\]?(?::(\d+))?/?$", uri)
        if not match:
            raise FakeError(f"Could not parse LDAP URI(s)={values['-H']} (-9)", 1)
        default = 636 if match.group(1) == "ldaps" else 389
        return match.group(2), int(match.group(3) or default)
    return values.get("-h", "localhost"), int(values.get("-p", "389") or 389)


def _reachable(state: lab_state.State, host: str, port: int) -> bool:
    if port not in PORTS:
        return False
    if state.get("node_type") == "management":  # the directory lives on the PSC
        return host.lower() == str(state["dc_name"]).lower()
    local = host.lower() in LOCAL_NAMES or host.lower() == str(state["pnid"]).lower()
    return local and service_running(state, "vmdird")


def _password(values: Dict[str, str]) -> Optional[str]:
    if "-y" in values:
        path = values["-y"]
        try:
            if os.stat(path).st_mode & 0o077:
                error(f"Warning: Password file {path} is publicly readable/writeable")
            with open(path, "rb") as handle:
                return handle.read().decode("utf-8", "surrogateescape")
        except OSError as exc:
            raise FakeError(f"{path}: {exc.strerror}", 1) from exc
    if "-W" in values:
        import getpass

        return getpass.getpass("Enter LDAP Password: ")
    return values.get("-w")


def _bind(state: lab_state.State, dn: Optional[str], password: Optional[str]) -> None:
    if dn is None:
        raise FakeError("ldap_search_ext: Insufficient access (50)", 50)
    if not password:
        raise FakeError("ldap_bind: Server is unwilling to perform (53)\n"
                        "\tadditional info: unauthenticated bind (DN with no password) "
                        "disallowed", 53)
    user = str(state["sso"]["username"]).split("@")[0]
    accounts = {
        _norm(state["machine_account"]["dn"]): state["machine_account"]["password"],
        _norm(f"cn={user},cn=users,{domain_dn(state['domain'])}"): state["sso"]["password"],
    }
    if accounts.get(_norm(dn)) != password:
        raise FakeError(INVALID_CREDENTIALS, 49)


def _in_scope(dn: str, base: str, scope: str) -> bool:
    ndn, nbase = _norm(dn), _norm(base)
    if scope == "base":
        return ndn == nbase
    if scope in ("one", "onelevel"):
        return ndn.partition(",")[2] == nbase
    return ndn == nbase or ndn.endswith("," + nbase)


def _ldif(found: List[Entry], wanted: List[str], width: Optional[int], level: int,
          base: str, scope: str, filt: str, requested: Sequence[str]) -> str:
    lines: List[str] = ["version: 1", ""] if level in (1, 2) else []
    comments = level < 2
    if comments:
        scope_word = {"base": "baseObject", "one": "oneLevel"}.get(scope, "subtree")
        lines += ["# extended LDIF", "#", "# LDAPv3", f"# base <{base}> with scope {scope_word}",
                  f"# filter: {filt}",
                  f"# requesting: {' '.join(requested) or 'ALL'} ", "#", ""]
    for dn, attrs in found:
        if comments:
            lines.append(f"# {_ufn(dn)}")
        lines += fold(ldif_line("dn", dn), width)
        for name, vals in attrs:
            if "1.1" in wanted or (wanted and "*" not in wanted and name.lower() not in wanted):
                continue
            for value in vals:
                lines += fold(ldif_line(name, value), width)
        lines.append("")
    if comments:
        lines += ["# search result", "search: 2", "result: 0 Success", "",
                  f"# numResponses: {len(found) + 1}", f"# numEntries: {len(found)}"]
    return "".join(line + "\n" for line in lines)
