"""vcfix.lab.reissue: certificate-manager's and fixsts's effects on a lab state."""

from __future__ import annotations

import copy
import datetime as dt
import ipaddress
import itertools
from typing import Any, Iterator, List

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from vcfix.errors import VcfixError
from vcfix.lab import pki, reissue
from vcfix.lab.build import build_state
from vcfix.lab.scenarios import SHARED_KEYS
from vcfix.lab.state import State

PNID = "vcsa01.lab.example"
FIELDS = reissue.CertFields(country="DE", organization="Acme", org_unit="IT", state="Bayern",
                            locality="Munich", ip_address="10.0.0.5",
                            hostnames=(PNID, "vcsa01", "vc.alias.example"),
                            vmca_name=PNID)


@pytest.fixture(autouse=True, scope="module")
def few_keys() -> Iterator[None]:
    """RSA key generation is the cost: hand out ten fresh keys in turn (distinct per test)."""
    SHARED_KEYS.reserve(12)  # the labs' own keys first, so that they stay distinct
    pool = itertools.cycle([pki.new_key() for _ in range(10)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pki, "new_key", lambda: next(pool))
        yield


def make_state(now: dt.datetime, version: str = "7.0", scenario: str = "outage") -> State:
    return build_state(scenario, version=version, pnid=PNID, node_type="embedded", now=now)


def cert(pem: Any) -> x509.Certificate:
    return x509.load_pem_x509_certificate(str(pem).encode("ascii"))


def entry(state: State, store: str, alias: str) -> Any:
    return next(e for e in state["vecs"][store] if e["alias"] == alias)


def root_cert(state: State) -> x509.Certificate:
    return cert(state["vmca"]["cert"])


def attr(name: x509.Name, oid: x509.ObjectIdentifier) -> List[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(oid)]


def key_matches(cert_pem: Any, key_pem: Any) -> bool:
    key = serialization.load_pem_private_key(str(key_pem).encode("ascii"), password=None)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return bool(cert(cert_pem).public_key().public_bytes(der, public)
                == key.public_key().public_bytes(der, public))


def test_machine_ssl_takes_the_answers_and_is_signed_by_the_root(now: dt.datetime) -> None:
    state = make_state(now)
    old = entry(state, "MACHINE_SSL_CERT", "__MACHINE_CERT")["cert"]
    reissue.reissue_machine_ssl(state, FIELDS, now)
    new = entry(state, "MACHINE_SSL_CERT", "__MACHINE_CERT")
    leaf = cert(new["cert"])
    assert new["cert"] != old and key_matches(new["cert"], new["key"])
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == list(FIELDS.hostnames)
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("10.0.0.5")]
    assert attr(leaf.subject, NameOID.COMMON_NAME) == [PNID]
    assert attr(leaf.subject, NameOID.COUNTRY_NAME) == ["DE"]
    assert attr(leaf.subject, NameOID.LOCALITY_NAME) == ["Munich"]
    assert attr(leaf.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == ["IT"]
    leaf.verify_directly_issued_by(root_cert(state))
    assert leaf.not_valid_before_utc <= now < leaf.not_valid_after_utc
    assert leaf.not_valid_after_utc == (now + dt.timedelta(days=730)).replace(microsecond=0)
    assert len(state["vecs"]["MACHINE_SSL_CERT"]) == 1


def test_backup_copies_and_replaces_earlier_backups(now: dt.datetime) -> None:
    state = make_state(now)
    first = entry(state, "MACHINE_SSL_CERT", "__MACHINE_CERT")
    assert reissue.backup(state, ["MACHINE_SSL_CERT"]) == ["bkp___MACHINE_CERT"]
    reissue.reissue_machine_ssl(state, FIELDS, now)
    second = entry(state, "MACHINE_SSL_CERT", "__MACHINE_CERT")
    reissue.backup(state, ["MACHINE_SSL_CERT", "vpxd"])
    backups = state["vecs"]["BACKUP_STORE"]
    assert [e["alias"] for e in backups] == ["bkp___MACHINE_CERT", "bkp_vpxd"]
    assert backups[0]["cert"] == second["cert"] != first["cert"]
    assert backups[0]["key"] == second["key"]
    assert list(state["vecs"])[-1] == "BACKUP_STORE"


@pytest.mark.parametrize(("version", "stores"), [
    ("6.7", ["machine", "vsphere-webclient", "vpxd", "vpxd-extension"]),
    ("7.0", ["machine", "vsphere-webclient", "vpxd", "vpxd-extension", "hvc", "wcp"]),
])
def test_solution_users_reissued_in_every_store(now: dt.datetime, version: str,
                                                stores: List[str]) -> None:
    state = make_state(now, version)
    before = copy.deepcopy(state["vecs"])
    assert reissue.reissue_solution_users(state, FIELDS, now) == stores
    machine_id = state["machine_id"]
    for store in stores:
        new = entry(state, store, store)
        leaf = cert(new["cert"])
        assert new["cert"] != before[store][0]["cert"] and key_matches(new["cert"], new["key"])
        assert attr(leaf.subject, NameOID.COMMON_NAME) == [f"{store}-{machine_id}"]
        assert attr(leaf.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == [f"mID-{machine_id}"]
        leaf.verify_directly_issued_by(root_cert(state))
    for untouched in ("MACHINE_SSL_CERT", "data-encipherment", "SMS", "TRUSTED_ROOTS"):
        assert state["vecs"][untouched] == before[untouched]


def test_new_root_keeps_the_subject_but_the_vmca_name(now: dt.datetime) -> None:
    state = make_state(now, scenario="healthy")
    old_pem = state["vmca"]["cert"]
    old = cert(old_pem)
    new = reissue.regenerate_root(state, "vcsa-new.lab.example", now).cert
    assert state["vmca"]["cert"] != old_pem and key_matches(state["vmca"]["cert"],
                                                           state["vmca"]["key"])
    assert [a.oid for a in new.subject] == [a.oid for a in old.subject]
    assert attr(new.subject, NameOID.ORGANIZATION_NAME) == ["vcsa-new.lab.example"]
    changed = [a for a, b in zip(new.subject, old.subject) if a != b]
    assert [a.oid for a in changed] == [NameOID.ORGANIZATION_NAME]
    assert new.not_valid_after_utc == (now + dt.timedelta(days=3652)).replace(microsecond=0)
    new.verify_directly_issued_by(new)
    roots = state["vecs"]["TRUSTED_ROOTS"]
    assert [cert(e["cert"]) for e in roots] == [old, new]
    assert roots[-1]["alias"] == reissue.thumbprint(new)


def test_reset_all_steps_chain_leaves_to_the_new_root(now: dt.datetime) -> None:
    state = make_state(now)
    before = copy.deepcopy(state)
    for action in ("backup", "root", "machine_ssl", "solution_users"):
        reissue.apply(state, action, 8, FIELDS, now)
    root = root_cert(state)
    assert root != cert(before["vmca"]["cert"])
    for store in ["MACHINE_SSL_CERT", *reissue.solution_user_stores(state)]:
        cert(state["vecs"][store][0]["cert"]).verify_directly_issued_by(root)
    sts = ("tenant_credentials", "trusted_chains")  # option 8 leaves the STS certificate alone
    assert {k: state["vmdir"][k] for k in sts} == {k: before["vmdir"][k] for k in sts}
    assert state["vmdir"]["trusted_certs"][-1] == state["vmca"]["cert"]  # and publishes
    assert state["vecs"]["data-encipherment"] == before["vecs"]["data-encipherment"]
    assert state["vecs"]["SMS"] == before["vecs"]["SMS"]
    aliases = [e["alias"] for e in state["vecs"]["BACKUP_STORE"]]
    assert aliases == ["bkp___MACHINE_CERT", "bkp_machine", "bkp_vsphere-webclient",
                       "bkp_vpxd", "bkp_vpxd-extension", "bkp_hvc", "bkp_wcp"]
    assert state["vecs"]["BACKUP_STORE"][0]["cert"] == \
        before["vecs"]["MACHINE_SSL_CERT"][0]["cert"]


def test_snapshot_restore_undoes_a_reset_but_keeps_the_backups(now: dt.datetime) -> None:
    state = make_state(now)
    before = copy.deepcopy(state)
    saved = reissue.snapshot(state, reissue.stores_for(8, state))
    for action in ("backup", "root", "machine_ssl", "solution_users"):
        reissue.apply(state, action, 8, FIELDS, now)
    reissue.restore(state, saved)
    assert state["vmca"] == before["vmca"]
    for store, entries in before["vecs"].items():
        assert state["vecs"][store] == entries
    assert len(state["vecs"]["BACKUP_STORE"]) == 7


def test_stores_for_each_option(now: dt.datetime) -> None:
    state = make_state(now, "6.7")
    users = ["machine", "vsphere-webclient", "vpxd", "vpxd-extension"]
    assert reissue.stores_for(3, state) == ["MACHINE_SSL_CERT"]
    assert reissue.stores_for(6, state) == users
    assert reissue.stores_for(8, state) == ["MACHINE_SSL_CERT", *users, "TRUSTED_ROOTS"]
    with pytest.raises(ValueError, match="unknown"):
        reissue.apply(state, "nonsense", 3, FIELDS, now)


def test_fields_from_cfg() -> None:
    fields = reissue.fields_from_cfg({"Country": "FR", "Hostname": " a.example , b ,",
                                      "OrgUnit": ""}, "a.example")
    assert fields.country == "FR" and fields.org_unit == "" and fields.vmca_name == "a.example"
    assert fields.hostnames == ("a.example", "b")


def test_sts_chain_from_the_current_root(now: dt.datetime) -> None:
    state = make_state(now, scenario="sts-expired")
    state["vmdir"]["tenant_credentials"].append({"cn": "TenantCredential-2", "certs": [],
                                                 "key": None})
    chain = reissue.replace_sts_chain(state, now)
    leaf, root = (cert(p) for p in chain["certs"])
    assert root == root_cert(state)
    leaf.verify_directly_issued_by(root)
    assert key_matches(chain["certs"][0], chain["key"])
    assert leaf.not_valid_after_utc > now + dt.timedelta(days=700)
    assert attr(leaf.subject, NameOID.COMMON_NAME) == ["ssoserverSign"]
    vmdir = state["vmdir"]
    assert [c["cn"] for c in vmdir["tenant_credentials"]] == ["TenantCredential-1"]
    assert vmdir["tenant_credentials"][0]["certs"] == chain["certs"]
    assert vmdir["trusted_chains"] == [{"cn": "TrustedCertChain-1", "certs": chain["certs"]}]


def test_a_state_without_a_root_is_an_error(now: dt.datetime) -> None:
    state = make_state(now)
    del state["vmca"]
    with pytest.raises(VcfixError, match="VMCA root"):
        reissue.reissue_machine_ssl(state, FIELDS, now)
