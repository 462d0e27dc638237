"""vecs-cli output: store list, entry list (TAB and space forms), --text dumps."""

from __future__ import annotations

import datetime as dt

import pytest
from certfactory import appliance
from cryptography.hazmat.primitives.serialization import Encoding

from vcfix.appliance.parsers.vecs import (
    VecsEntry,
    parse_entry_list,
    parse_not_after,
    parse_store_list,
)
from vcfix.diagnose import certs
from vcfix.errors import VcfixError

CMD = "vecs-cli entry list --store MACHINE_SSL_CERT"


@pytest.fixture
def pems(now: dt.datetime) -> dict[str, str]:
    app = appliance(now)
    machine = app.stores["MACHINE_SSL_CERT"][0].pem
    root = app.stores["TRUSTED_ROOTS"][0].pem
    assert machine and root
    return {"machine": machine, "root": root}


def listing(pems: dict[str, str], sep: str = "\t") -> str:
    return (
        f"Number of entries in store :{sep}3\n"
        f"Alias :{sep}__MACHINE_CERT\n"
        f"Entry type :{sep}Private Key\n"
        f"Certificate :{sep}{pems['machine']}\n"
        f"Alias :{sep}location_password_default\n"
        f"Entry type :{sep}Secret Key\n"
        f"Certificate :{sep}\n\n"
        f"Alias :{sep}9f1e7c\n"
        f"Entry type :{sep}Trusted Cert\n"
        f"Certificate :{sep}\n{pems['root']}\n"
    )


def test_store_list_tolerates_blanks_trailing_spaces_and_crlf() -> None:
    text = "MACHINE_SSL_CERT  \r\nTRUSTED_ROOTS\r\n\r\nmachine\nvpxd-extension\t\n\n"
    assert parse_store_list(text, "vecs-cli store list") == [
        "MACHINE_SSL_CERT", "TRUSTED_ROOTS", "machine", "vpxd-extension"]


def test_store_list_without_a_store_names_the_command() -> None:
    with pytest.raises(VcfixError, match="vecs-cli store list"):
        parse_store_list("vecs-cli failed. Error 20: no AFD\n", "vecs-cli store list")


@pytest.mark.parametrize("sep", ["\t", " ", "   ", " \t "])
def test_entry_list_tab_and_space_forms(pems: dict[str, str], sep: str) -> None:
    entries = parse_entry_list(listing(pems, sep), CMD)
    assert [(e.alias, e.entry_type) for e in entries] == [
        ("__MACHINE_CERT", "Private Key"),
        ("location_password_default", "Secret Key"),
        ("9f1e7c", "Trusted Cert"),
    ]
    assert entries[1].pem is None
    machine = certs.load_pem(entries[0].pem or "", "MACHINE_SSL_CERT/__MACHINE_CERT")
    assert machine.public_bytes(Encoding.PEM).decode() == pems["machine"]
    root = certs.load_pem(entries[2].pem or "", "TRUSTED_ROOTS/9f1e7c")
    assert root.public_bytes(Encoding.PEM).decode() == pems["root"]


def test_entry_list_trailing_spaces_crlf_and_unknown_lines(pems: dict[str, str]) -> None:
    text = listing(pems).replace("\n", "   \r\n")
    text = "vecs-cli: some banner the tool never printed before\n" + text + "Footer : ignored\n"
    entries = parse_entry_list(text, CMD)
    assert [e.alias for e in entries] == ["__MACHINE_CERT", "location_password_default", "9f1e7c"]
    assert entries[0].pem is not None and entries[0].pem.startswith("-----BEGIN CERTIFICATE-----")


def test_entry_list_alias_keeps_text_after_the_first_colon() -> None:
    text = "Number of entries in store :\t1\nAlias :\tbkp_a:b\nEntry type :\tSecret Key\n"
    assert parse_entry_list(text, CMD) == [VecsEntry("bkp_a:b", "Secret Key", None)]


def test_entry_list_keeps_a_chain_stored_with_an_entry(pems: dict[str, str]) -> None:
    text = (f"Number of entries in store :\t1\nAlias :\t__MACHINE_CERT\n"
            f"Entry type :\tPrivate Key\nCertificate :\t{pems['machine']}{pems['root']}\n")
    (entry,) = parse_entry_list(text, CMD)
    assert len(certs.load_pem_chain(entry.pem or "", "x")) == 2


def test_empty_store() -> None:
    assert parse_entry_list("Number of entries in store :\t0\n", CMD) == []
    assert parse_entry_list("Number of entries in store : 0   \n\n", CMD) == []


def test_count_mismatch_names_the_command(pems: dict[str, str]) -> None:
    text = listing(pems).replace(":\t3", ":\t4", 1)
    with pytest.raises(VcfixError, match="MACHINE_SSL_CERT.*4 entries but lists 3"):
        parse_entry_list(text, CMD)


def test_unrecognisable_output_names_the_command() -> None:
    with pytest.raises(VcfixError) as info:
        parse_entry_list("Segmentation fault\n", CMD)
    assert CMD in info.value.message
    assert "Segmentation fault" in info.value.details


def test_cut_short_certificate_is_an_error(pems: dict[str, str]) -> None:
    text = listing(pems)
    cut = text[: text.index("-----END CERTIFICATE-----")]
    with pytest.raises(VcfixError, match="__MACHINE_CERT.*cut short"):
        parse_entry_list(cut, CMD)


TEXT_DUMP = """Number of entries in store :\t1
Alias :\t__MACHINE_CERT
Entry type :\tPrivate Key
Certificate :\tCertificate:
    Data:
        Version: 3 (0x2)
        Serial Number:
            ee:3c:0f:5b:2a:9c:4e:11
    Signature Algorithm: sha256WithRSAEncryption
        Issuer: CN=CA, DC=vsphere, DC=local, C=US, ST=California, O=vcsa01.lab.example
        Validity
            Not Before: Apr  6 11:57:19 2024 GMT
            Not After : Apr  6 11:57:19 2029 GMT   \n        Subject: CN=vcsa01.lab.example

"""


def test_text_dump_entries_and_not_after() -> None:
    (entry,) = parse_entry_list(TEXT_DUMP, CMD + " --text")
    expected = dt.datetime(2029, 4, 6, 11, 57, 19, tzinfo=dt.timezone.utc)
    assert (entry.alias, entry.pem, entry.not_after) == ("__MACHINE_CERT", None, expected)
    assert parse_not_after(TEXT_DUMP) == expected
    assert parse_not_after("Not After :Dec 31 23:59:59 2030 GMT") == dt.datetime(
        2030, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc)


def test_not_after_missing_or_garbled() -> None:
    with pytest.raises(VcfixError, match="no 'Not After'"):
        parse_not_after("Subject: CN=x\n", "vecs-cli entry list --store X --text")
    with pytest.raises(VcfixError, match="cannot read the date"):
        parse_not_after("  Not After : sometime soon\n")
