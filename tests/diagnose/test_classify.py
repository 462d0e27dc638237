"""Certificate facts, signature checks and classification (groups, status, in use)."""

from __future__ import annotations

import datetime as dt

import certfactory as cf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.serialization import Encoding

from vcfix.appliance.parsers.vecs import VecsEntry
from vcfix.diagnose import certs
from vcfix.diagnose.classify import StsEntry, days_left, group_of, judge, status_of
from vcfix.errors import VcfixError
from vcfix.lab import pki

DAY = dt.timedelta(days=1)


def bare(subject: x509.Name, issuer: x509.Name, public_key: object, signer: object,
         now: dt.datetime, **sign: object) -> x509.Certificate:
    """A certificate WITHOUT key identifiers, so only the signature can link it."""
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(public_key)  # type: ignore[arg-type]
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - DAY).not_valid_after(now + 400 * DAY))
    return builder.sign(signer, hashes.SHA256(), **sign)  # type: ignore[arg-type]


# signed_by: the signature decides, never the name -----------------------------------------------

def test_same_subject_different_key_is_not_the_signer(now: dt.datetime) -> None:
    current, stale = cf.ca(now, 3000), cf.stale_root(now)
    leaf = cf.leaf(now, current, cf.PNID, 500)
    assert stale.cert.subject == current.cert.subject == leaf.cert.issuer
    assert certs.signed_by(leaf.cert, current.cert)
    assert not certs.signed_by(leaf.cert, stale.cert)


def test_without_key_identifiers_only_the_signature_decides(now: dt.datetime) -> None:
    current, stale = cf.key("root"), cf.key("old-root")
    name = cf.ROOT_NAME
    leaf = bare(pki.name("vcsa"), name, cf.key("leaf").public_key(), current, now)
    stale_root = bare(name, name, stale.public_key(), stale, now)
    current_root = bare(name, name, current.public_key(), current, now)
    assert certs.aki(leaf) is None and certs.ski(stale_root) is None
    assert certs.signed_by(leaf, current_root)
    assert not certs.signed_by(leaf, stale_root)


def test_mismatching_key_identifiers_skip_the_check(now: dt.datetime) -> None:
    root = cf.ca(now, 3000)
    other = cf.ca(now, 3000, key_name="intermediate")
    leaf = cf.leaf(now, root, "x", 100)
    assert certs.aki(leaf.cert) == certs.ski(root.cert) != certs.ski(other.cert)
    assert not certs.signed_by(leaf.cert, other.cert)


def test_ecdsa_and_rsa_pss_signatures(now: dt.datetime) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_root = pki.make_ca(pki.name("EC CA"), now - DAY, now + 900 * DAY, key=ec_key)  # type: ignore[arg-type]
    ec_leaf = pki.make_leaf(ec_root, pki.name("ec leaf"), now - DAY, now + 90 * DAY,
                            key=cf.key("leaf"))
    assert certs.signed_by(ec_leaf.cert, ec_root.cert)
    assert certs._verify_by_hand(ec_leaf.cert, ec_root.cert)
    assert not certs._verify_by_hand(ec_leaf.cert, cf.ca(now, 10).cert)

    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    root_key = cf.key("root")
    root = bare(pki.name("PSS CA"), pki.name("PSS CA"), root_key.public_key(), root_key, now)
    leaf = bare(pki.name("pss leaf"), pki.name("PSS CA"), cf.key("leaf").public_key(),
                root_key, now, rsa_padding=pss)
    assert certs.signed_by(leaf, root)
    assert certs._verify_by_hand(leaf, root)
    stale = bare(pki.name("PSS CA"), pki.name("PSS CA"), cf.key("old-root").public_key(),
                 cf.key("old-root"), now)
    assert not certs._verify_by_hand(leaf, stale)


# facts and loading ------------------------------------------------------------------------------

def test_facts(now: dt.datetime) -> None:
    root = cf.ca(now, 3000)
    leaf = pki.make_leaf(root, pki.name(cf.PNID), now - DAY, now + 10 * DAY,
                         sans=[cf.PNID, "vcsa01"], ips=["192.0.2.10"], key=cf.key("leaf"))
    facts = certs.facts(leaf.cert)
    assert facts.subject == f"CN={cf.PNID}"
    assert facts.issuer.startswith("CN=CA, DC=vsphere, DC=local")  # certificate order, not RFC 4514
    assert facts.issuer == certs.display_name(root.cert.subject)
    assert facts.not_after == now + 10 * DAY and facts.not_after.tzinfo is not None
    assert facts.sans == [cf.PNID, "vcsa01", "192.0.2.10"]
    assert not facts.is_ca and not facts.self_signed
    assert facts.aki == certs.ski(root.cert) and facts.ski is not None
    expected = leaf.cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303
    assert facts.sha1.replace(":", "") == expected and len(facts.sha1) == 59
    root_facts = certs.facts(root.cert)
    assert root_facts.is_ca and root_facts.self_signed


def test_load_errors_name_the_store_and_alias(now: dt.datetime) -> None:
    with pytest.raises(VcfixError, match="vpxd/vpxd: no PEM"):
        certs.load_pem("garbage", "vpxd/vpxd")
    broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    with pytest.raises(VcfixError, match="MACHINE_SSL_CERT/__MACHINE_CERT: the PEM"):
        certs.load_pem(broken, "MACHINE_SSL_CERT/__MACHINE_CERT")
    with pytest.raises(VcfixError, match="VMDIR/TenantCredential-1: the DER"):
        certs.load_any(b"\x30\x03junk", "VMDIR/TenantCredential-1")
    root = cf.ca(now, 10).cert
    for form in (root, root.public_bytes(Encoding.DER), root.public_bytes(Encoding.PEM),
                 root.public_bytes(Encoding.PEM).decode()):
        assert certs.load_any(form, "x") == root


# groups, status, days ---------------------------------------------------------------------------

@pytest.mark.parametrize(("store", "group"), [
    ("MACHINE_SSL_CERT", "machine-ssl"), ("TRUSTED_ROOTS", "trusted-roots"),
    ("machine", "solution-users"), ("vsphere-webclient", "solution-users"),
    ("vpxd", "solution-users"), ("vpxd-extension", "solution-users"),
    ("hvc", "solution-users"), ("wcp", "solution-users"), ("VMDIR", "sts"),
    ("data-encipherment", "other"), ("SMS", "other"), ("BACKUP_STORE", "other"),
    ("BACKUP_STORE_H5C", "other"), ("STS_INTERNAL_SSL_CERT", "other"),
])
def test_groups(store: str, group: str) -> None:
    assert group_of(store) == group


def test_status_and_days_left_boundaries(now: dt.datetime) -> None:
    assert status_of(now, now, 180) == "expired"
    assert status_of(now + dt.timedelta(seconds=1), now, 180) == "expiring"
    assert status_of(now + 180 * DAY, now, 180) == "expiring"
    assert status_of(now + 180 * DAY + dt.timedelta(seconds=1), now, 180) == "ok"
    assert status_of(now + 20 * DAY, now, 10) == "ok"
    assert days_left(now + 99.9 * DAY, now) == 99
    assert days_left(now - dt.timedelta(hours=1), now) == -1
    assert days_left(now - 30 * DAY, now) == -30


# in use, signs, chains ----------------------------------------------------------------------------

def ids(records: list) -> set[str]:  # type: ignore[type-arg]
    return {r.id for r in records}


def test_healthy_in_use_and_what_the_root_signs(now: dt.datetime) -> None:
    app = cf.appliance(now)
    judged = judge(app.stores, app.sts, now=now)
    by_id = {r.id: r for r in judged.records + judged.sts}
    root_id = f"TRUSTED_ROOTS/{cf.thumb(app.root)}"
    assert by_id[root_id].role == "root" and by_id[root_id].in_use
    assert set(by_id[root_id].signs) == {
        "MACHINE_SSL_CERT/__MACHINE_CERT", "VMDIR/TenantCredential-1",
        *(f"{s}/{s}" for s in ("machine", "vsphere-webclient", "vpxd", "vpxd-extension", "hvc",
                               "wcp"))}
    assert by_id[root_id].also_signs == ["data-encipherment/data-encipherment"]
    assert not by_id["data-encipherment/data-encipherment"].in_use
    assert by_id["VMDIR/TenantCredential-1"].role == "sts-signing"
    assert by_id["VMDIR/TenantCredential-1/1"].in_use  # the root's copy in the STS chain
    assert by_id["VMDIR/TrustedCertChain-1"].in_use  # a copy of the signing leaf
    assert by_id["vpxd/vpxd"].issuer_id == root_id and by_id["vpxd/vpxd"].chain_complete
    assert judged.skipped_entries == {"Secret Key": 1}
    assert all(r.status == "ok" for r in by_id.values())


def test_stale_root_with_the_same_subject_signs_nothing(now: dt.datetime) -> None:
    app = cf.appliance(now)
    stale = cf.stale_root(now)
    app.trust(stale)
    judged = judge(app.stores, app.sts, now=now)
    roots = {r.alias: r for r in judged.records if r.store == "TRUSTED_ROOTS"}
    assert roots[cf.thumb(stale)].facts.subject == roots[cf.thumb(app.root)].facts.subject
    assert not roots[cf.thumb(stale)].in_use and roots[cf.thumb(stale)].signs == []
    assert roots[cf.thumb(stale)].status == "expired"
    assert roots[cf.thumb(app.root)].in_use


def test_intermediate_ca_in_the_chain(now: dt.datetime) -> None:
    app = cf.appliance(now, intermediate_left=1000)
    judged = judge(app.stores, app.sts, now=now)
    by_id = {r.id: r for r in judged.records + judged.sts}
    root = by_id[f"TRUSTED_ROOTS/{cf.thumb(app.root)}"]
    inter = by_id[f"TRUSTED_ROOTS/{cf.thumb(app.signer)}"]
    assert inter.role == "intermediate" and root.role == "root"
    assert "MACHINE_SSL_CERT/__MACHINE_CERT" in inter.signs
    assert "MACHINE_SSL_CERT/__MACHINE_CERT" in root.signs  # through the intermediate
    assert by_id["MACHINE_SSL_CERT/__MACHINE_CERT"].issuer_id == inter.id
    assert by_id["VMDIR/TenantCredential-1/2"].in_use  # root at index 2 of the STS chain


def test_chain_stored_with_the_entry_completes_the_path(now: dt.datetime) -> None:
    app = cf.appliance(now, intermediate_left=1000)
    inter_alias = cf.thumb(app.signer)
    trusted = app.stores["TRUSTED_ROOTS"]
    app.stores["TRUSTED_ROOTS"] = [e for e in trusted if e.alias != inter_alias]
    machine = app.stores["MACHINE_SSL_CERT"][0]
    app.stores["MACHINE_SSL_CERT"] = [VecsEntry(machine.alias, machine.entry_type,
                                                (machine.pem or "") + app.signer.cert_pem)]
    judged = judge(app.stores, app.sts, now=now)
    by_id = {r.id: r for r in judged.records + judged.sts}
    assert by_id["MACHINE_SSL_CERT/__MACHINE_CERT"].chain_complete
    # vpxd finds its issuer in the STS chain, where the intermediate also sits
    assert by_id["vpxd/vpxd"].issuer_id == "VMDIR/TenantCredential-1/1"
    assert "MACHINE_SSL_CERT/__MACHINE_CERT" in by_id[f"TRUSTED_ROOTS/{cf.thumb(app.root)}"].signs


def test_expired_copy_is_ignored_when_a_valid_ca_has_the_same_key(now: dt.datetime) -> None:
    app = cf.appliance(now)
    old_copy = cf.ca(now, -10)  # same key ("root"), same subject, expired: a re-issued CA
    app.trust(old_copy)
    judged = judge(app.stores, app.sts, now=now)
    roots = {r.alias: r for r in judged.records if r.store == "TRUSTED_ROOTS"}
    assert roots[cf.thumb(app.root)].in_use and not roots[cf.thumb(old_copy)].in_use


def test_secret_keys_and_crls_are_not_judged(now: dt.datetime) -> None:
    stores = {"TRUSTED_ROOT_CRLS": [VecsEntry("crl1", "Certification Revocation List", None),
                                    VecsEntry("crl2", "Certification Revocation List", None)],
              "APPLMGMT_PASSWORD": [VecsEntry("p", "Secret Key", None)]}
    judged = judge(stores, [], now=now)
    assert judged.records == [] and judged.problems == []
    assert judged.skipped_entries == {"Certification Revocation List": 2, "Secret Key": 1}


def test_unreadable_certificates_become_problems(now: dt.datetime) -> None:
    stores = {"MACHINE_SSL_CERT": [VecsEntry("__MACHINE_CERT", "Private Key", "junk")],
              "SMS": [VecsEntry("sms_self_signed", "Private Key", "junk")],
              "vpxd": [VecsEntry("vpxd", "Private Key", None)]}
    sts = [StsEntry("TenantCredential-1", "tenant-credential", [b"junk"])]
    judged = judge(stores, sts, now=now)
    problems = {p.id: (p.essential, p.code) for p in judged.problems}
    assert problems == {
        "MACHINE_SSL_CERT/__MACHINE_CERT": (True, "unreadable-certificate"),
        "SMS/sms_self_signed": (False, "unreadable-certificate"),
        "vpxd/vpxd": (True, "no-certificate"),
        "VMDIR/TenantCredential-1": (True, "unreadable-certificate"),
    }
