"""LDIF from ldapsearch: folding at 76 columns, base64 DER certificates, comments, CRLF."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from certfactory import appliance
from cryptography import x509

from vcfix.appliance.parsers.ldif import LdifEntry, parse_ldif
from vcfix.errors import VcfixError

CMD = "ldapsearch -LLL -x -H ldap://localhost:389 -b cn=vsphere.local,cn=Tenants"
BASE = "cn=vsphere.local,cn=Tenants,cn=IdentityManager,cn=Services,dc=vsphere,dc=local"


def fold(line: str, width: int = 76) -> str:
    """Fold like ldapsearch: at most ``width`` columns, continuations start with a space."""
    out = [line[:width]]
    rest = line[width:]
    while rest:
        out.append(" " + rest[: width - 1])
        rest = rest[width - 1:]
    return "\n".join(out)


@pytest.fixture
def ders(now: dt.datetime) -> list[bytes]:
    app = appliance(now)
    values = app.sts[0].certs
    assert all(isinstance(v, bytes) for v in values)
    return [v for v in values if isinstance(v, bytes)]


def sts_ldif(ders: list[bytes], *, attr: str = "userCertificate") -> str:
    lines = ["# extended LDIF", "#", "# LDAPv3", fold("# base <" + BASE + "> with scope subtree"),
             fold("# filter: (objectClass=vmwSTSTenantCredential) and a comment long enough to "
                  "be folded by the tool, whose continuation must not become an attribute"),
             "#", "", "version: 1", ""]
    lines += [fold(f"dn: cn=TenantCredential-1,{BASE}"), "objectClass: vmwSTSTenantCredential",
              "objectClass: top", "cn: TenantCredential-1"]
    lines += [fold(f"{attr}:: {base64.b64encode(der).decode()}") for der in ders]
    lines += ["", "# search result", "search: 2", "result: 0 Success", "",
              "# numResponses: 2", "# numEntries: 1", ""]
    return "\n".join(lines)


def test_folded_base64_certificates_unfold_to_the_same_der(ders: list[bytes]) -> None:
    text = sts_ldif(ders)
    assert max(len(line) for line in text.splitlines()) == 76  # really folded
    (entry,) = parse_ldif(text, CMD)
    assert entry.dn == f"cn=TenantCredential-1,{BASE}"
    assert entry.values("userCertificate") == ders
    assert entry.attrs["objectclass"] == ["vmwSTSTenantCredential", "top"]
    assert entry.attrs["cn"] == ["TenantCredential-1"]
    assert len(entry.attrs) == 3  # nothing from the folded comment
    leaf = x509.load_der_x509_certificate(ders[0])
    assert leaf.subject.rfc4514_string().endswith("CN=ssoserverSign")


def test_crlf_and_binary_option(ders: list[bytes]) -> None:
    text = sts_ldif(ders, attr="userCertificate;binary").replace("\n", "\r\n")
    (entry,) = parse_ldif(text, CMD)
    assert entry.attrs["usercertificate"] == ders


def test_fold_right_after_a_space_keeps_the_space() -> None:
    dn = "cn=vcsa01,ou=Domain Controllers,dc=vsphere,dc=local"
    text = f"dn: {dn}\nDescription: a value folded after a \n space\n"
    folded = "dn: cn=vcsa01,ou=Domain \n Controllers,dc=vsphere,dc=local\n"
    folded += text.split("\n", 1)[1]
    (entry,) = parse_ldif(folded, CMD)
    assert entry.dn == dn
    assert entry.attrs["description"] == ["a value folded after a space"]


def test_several_entries_base64_dn_and_comments() -> None:
    dn_b64 = base64.b64encode("cn=Trusted Ü,dc=local".encode()).decode()
    text = ("version: 1\n\n# entry one\ndn: cn=a,dc=local\ncn: a\n\n\n"
            f"dn:: {dn_b64}\n# a comment inside\n#  folded comment line\n cn: not an attr\n"
            "CN:   b   \n")
    first, second = parse_ldif(text, CMD)
    assert first == LdifEntry("cn=a,dc=local", {"cn": ["a"]})
    assert second.dn == "cn=Trusted Ü,dc=local"
    assert second.attrs == {"cn": ["b"]}


def test_empty_result_is_no_entry() -> None:
    assert parse_ldif("", CMD) == []
    assert parse_ldif("# search result\nsearch: 2\nresult: 0 Success\n", CMD) == []


def test_failed_search_trailer_is_an_error() -> None:
    with pytest.raises(VcfixError, match="ldapsearch.*result: 32 No such object"):
        parse_ldif("# search result\nsearch: 2\nresult: 32 No such object\n", CMD)


def test_damaged_base64_names_the_command(ders: list[bytes]) -> None:
    text = sts_ldif(ders).replace("userCertificate:: ", "userCertificate:: %%", 1)
    with pytest.raises(VcfixError, match="ldapsearch.*usercertificate"):
        parse_ldif(text, CMD)


def test_garbage_names_the_command() -> None:
    with pytest.raises(VcfixError) as info:
        parse_ldif("ldap_sasl_bind(SIMPLE): Can't contact LDAP server (-1)\n", CMD)
    assert "ldapsearch" in info.value.message
    assert any("Can't contact" in d for d in info.value.details)
