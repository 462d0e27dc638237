"""The lab builder: layout, state and certificates of every scenario."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import threading
from pathlib import Path
from typing import Dict, List

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from vcfix.errors import VcfixError
from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab, machine_password
from vcfix.lab.scenarios import SCENARIOS

SOLUTION_67 = ["machine", "vsphere-webclient", "vpxd", "vpxd-extension"]
SOLUTION_70 = SOLUTION_67 + ["hvc", "wcp"]
ROOT_SUBJECT = ("CN=CA,DC=vsphere,DC=local,C=US,ST=California,O=vcsa01.lab.example,"
                "OU=VMware Engineering")

# Expected days left per scenario (independent of scenarios.py, so a wrong scenario fails):
# "ok" = more than 180 days left, "soon" = 0..180 days left, "expired" = already expired.
EXPECTED: Dict[str, Dict[str, str]] = {
    "healthy": {"root": "ok", "machine": "ok", "solution": "ok", "sts": "ok"},
    "sts-expiring": {"root": "ok", "machine": "ok", "solution": "ok", "sts": "soon"},
    "sts-expired": {"root": "ok", "machine": "ok", "solution": "ok", "sts": "expired"},
    "machine-ssl-expired": {"root": "ok", "machine": "expired", "solution": "ok", "sts": "ok"},
    "solution-users-expired": {"root": "ok", "machine": "ok", "solution": "expired",
                               "sts": "ok"},
    "root-expired": {"root": "expired", "machine": "ok", "solution": "ok", "sts": "ok"},
    "outage": {"root": "ok", "machine": "expired", "solution": "expired", "sts": "expired"},
    "stale-root": {"root": "ok", "machine": "ok", "solution": "ok", "sts": "ok"},
    "extension-thumbprints-stale": {"root": "ok", "machine": "ok", "solution": "ok",
                                    "sts": "ok"},
    "crls-many": {"root": "ok", "machine": "ok", "solution": "ok", "sts": "ok"},
    "data-encipherment-expired": {"root": "ok", "machine": "ok", "solution": "ok", "sts": "ok"},
    "lookup-trust-stale": {"root": "ok", "machine": "ok", "solution": "ok", "sts": "ok"},
}


def cert(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def days_left(c: x509.Certificate, now: dt.datetime) -> float:
    return (c.not_valid_after_utc - now).total_seconds() / 86400


def status(c: x509.Certificate, now: dt.datetime) -> str:
    left = days_left(c, now)
    return "expired" if left < 0 else "soon" if left <= 180 else "ok"


def public_der(c: x509.Certificate) -> bytes:
    return c.public_key().public_bytes(serialization.Encoding.DER,
                                       serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(entry: Dict[str, str]) -> bool:
    key = serialization.load_pem_private_key(entry["key"].encode("ascii"), password=None,
                                             unsafe_skip_rsa_key_validation=True)
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == public_der(cert(entry["cert"]))


def only(state: lab_state.State, store: str) -> Dict[str, str]:
    entries: List[Dict[str, str]] = state["vecs"][store]
    assert len(entries) == 1
    return entries[0]


def test_scenarios_are_the_documented_set() -> None:
    assert set(SCENARIOS) == set(EXPECTED)
    assert all(s.description and "\n" not in s.description for s in SCENARIOS.values())


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_scenario_certificates(tmp_path: Path, now: dt.datetime, scenario: str) -> None:
    root_dir = create_lab(tmp_path / "lab", scenario, now=now)
    state = lab_state.load(root_dir)
    want = EXPECTED[scenario]
    assert state["scenario"] == scenario

    root = cert(state["vmca"]["cert"])
    assert root.subject.rfc4514_string() == ",".join(reversed(ROOT_SUBJECT.split(",")))
    root.verify_directly_issued_by(root)
    assert status(root, now) == want["root"]
    assert root.not_valid_after_utc - root.not_valid_before_utc >= dt.timedelta(days=3650)

    trusted = state["vecs"]["TRUSTED_ROOTS"]
    aliases = {e["alias"]: cert(e["cert"]) for e in trusted}
    assert all(e["type"] == "Trusted Cert" for e in trusted)
    for alias, c in aliases.items():
        assert alias == c.fingerprint(hashes.SHA1()).hex()  # noqa: S303
    assert root.fingerprint(hashes.SHA1()).hex() in aliases  # noqa: S303

    machine = only(state, "MACHINE_SSL_CERT")
    assert machine["alias"] == "__MACHINE_CERT" and machine["type"] == "Private Key"
    msl = cert(machine["cert"])
    assert msl.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == state["pnid"]
    san = msl.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [state["pnid"]]
    msl.verify_directly_issued_by(root)
    assert key_matches(machine)
    assert status(msl, now) == want["machine"]

    for store in SOLUTION_70:
        entry = only(state, store)
        assert entry["alias"] == store and entry["type"] == "Private Key"
        user = cert(entry["cert"])
        cn = user.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert cn == f"{store}-{state['machine_id']}"
        user.verify_directly_issued_by(root)
        assert key_matches(entry)
        assert status(user, now) == want["solution"]

    (credential,) = state["vmdir"]["tenant_credentials"]
    (chain,) = state["vmdir"]["trusted_chains"]
    assert credential["cn"] == "TenantCredential-1" and chain["cn"] == "TrustedCertChain-1"
    sts = cert(credential["certs"][0])
    sts.verify_directly_issued_by(root)
    assert cert(credential["certs"][1]) == root
    assert chain["certs"] == credential["certs"]
    assert key_matches({"cert": credential["certs"][0], "key": credential["key"]})
    assert status(sts, now) == want["sts"]

    for store in ("data-encipherment", "SMS"):
        other = cert(only(state, store)["cert"])
        other.verify_directly_issued_by(root)
        if store == "data-encipherment" and scenario == "data-encipherment-expired":
            assert -11 < days_left(other, now) < -9  # expired 10 days ago
        else:
            assert days_left(other, now) > 1000 or scenario == "root-expired"
    assert only(state, "APPLMGMT_PASSWORD")["type"] == "Secret Key"
    assert only(state, "APPLMGMT_PASSWORD")["cert"] is None
    crls = state["vecs"]["TRUSTED_ROOT_CRLS"]
    assert len(crls) == (120 if scenario == "crls-many" else 3)
    assert len({e["alias"] for e in crls}) == len(crls)
    assert all(e["type"] == "Certification Revocation List" for e in crls)
    for entry in crls:
        x509.load_pem_x509_crl(entry["cert"].encode("ascii"))

    assert len(trusted) == (2 if scenario == "stale-root" else 1)
    stale_trust = state.get("lookup_ssl_trust")  # what the Lookup Service registrations trust
    assert (stale_trust is not None) == (scenario == "lookup-trust-stale")
    if stale_trust:
        old = x509.load_der_x509_certificate(base64.b64decode(stale_trust))
        assert status(old, now) == "expired" and old.subject == msl.subject


def test_healthy_was_deployed_about_200_days_ago(tmp_path: Path, now: dt.datetime) -> None:
    state = lab_state.load(create_lab(tmp_path / "lab", "healthy", now=now))
    issued = cert(state["vmca"]["cert"]).not_valid_before_utc
    assert 190 <= (now - issued).days <= 210


def test_outage_expires_everything_with_a_two_year_life(tmp_path: Path,
                                                        now: dt.datetime) -> None:
    state = lab_state.load(create_lab(tmp_path / "lab", "outage", now=now))
    msl = cert(only(state, "MACHINE_SSL_CERT")["cert"])
    assert dt.timedelta(days=729) <= msl.not_valid_after_utc - msl.not_valid_before_utc
    assert 730 < (now - msl.not_valid_before_utc).days < 800
    assert days_left(cert(state["vmca"]["cert"]), now) > 365


def test_stale_root_has_same_subject_other_key_and_signs_nothing(
    tmp_path: Path, now: dt.datetime
) -> None:
    state = lab_state.load(create_lab(tmp_path / "lab", "stale-root", now=now))
    root = cert(state["vmca"]["cert"])
    stale = [cert(e["cert"]) for e in state["vecs"]["TRUSTED_ROOTS"]
             if cert(e["cert"]) != root]
    assert len(stale) == 1
    old = stale[0]
    assert old.subject == root.subject
    assert public_der(old) != public_der(root)
    assert days_left(old, now) < 0
    in_use = [cert(e["cert"]) for store, entries in state["vecs"].items()
              if store not in ("TRUSTED_ROOTS", "TRUSTED_ROOT_CRLS")
              for e in entries if e["cert"]]
    in_use += [cert(p) for c in state["vmdir"]["tenant_credentials"] for p in c["certs"][:1]]
    for leaf in in_use:
        with pytest.raises(InvalidSignature):
            leaf.verify_directly_issued_by(old)


@pytest.mark.parametrize(("version", "build", "stores"), [
    ("6.7", "6.7.0.58000", SOLUTION_67),
    ("7.0", "7.0.3.01400", SOLUTION_70),
    ("8.0", "8.0.2.00100", SOLUTION_70),
])
def test_layout_and_versions(tmp_path: Path, now: dt.datetime, version: str, build: str,
                             stores: List[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy", version=version, now=now)
    assert root == (tmp_path / "lab").absolute()
    for tool in ("usr/lib/vmware-vmafd/bin/vecs-cli", "usr/lib/vmware-vmafd/bin/vmafd-cli",
                 "opt/likewise/bin/lwregshell", "opt/likewise/bin/ldapsearch",
                 "usr/bin/service-control"):
        path = root / tool
        assert path.is_file() and os.access(path, os.X_OK), tool
        assert path.read_text().startswith("#!")
    assert (root / "etc/vmware/deployment.node.type").read_text().strip() == "embedded"
    conf = json.loads((root / "etc/applmgmt/appliance/update.conf").read_text())
    assert conf["version"] == build
    assert (root / "var/log/vmware/vmcad").is_dir()
    assert not any((root / "var/log/vmware/vmcad").iterdir())
    state = lab_state.load(root)
    assert state["version"] == version and state["version_build"] == build
    assert [s for s in SOLUTION_70 if s in state["vecs"]] == stores
    assert state["created"] == "2026-06-01T12:00:00Z"


def test_state_has_the_documented_keys(tmp_path: Path, now: dt.datetime) -> None:
    state = lab_state.load(create_lab(tmp_path / "lab", "healthy", now=now))
    for key in ("version", "version_build", "pnid", "domain", "node_type", "machine_id",
                "site", "dc_name", "machine_account", "sso", "vecs", "vmdir", "vmca",
                "services", "settings"):
        assert key in state, key
    assert state["domain"] == "vsphere.local"
    assert state["dc_name"] == state["pnid"] == "vcsa01.lab.example"
    assert state["machine_account"]["dn"] == (
        "cn=vcsa01.lab.example,ou=Domain Controllers,dc=vsphere,dc=local")
    assert state["sso"] == {"username": "administrator@vsphere.local",
                            "password": lab_state.LAB_SSO_PASSWORD}
    assert lab_state.LAB_SSO_PASSWORD == "VMware123!"
    assert state["settings"] == {}
    assert state["services"]["vmdird"] == "Running"
    assert "Stopped" in state["services"].values()
    assert len(state["services"]) >= 25
    assert oct(lab_state.state_path(tmp_path / "lab").stat().st_mode & 0o777) == "0o600"


def test_management_node_points_at_the_psc(tmp_path: Path, now: dt.datetime) -> None:
    root = create_lab(tmp_path / "lab", "healthy", version="6.7", node_type="management",
                      pnid="vc01.corp.example", now=now)
    state = lab_state.load(root)
    assert state["dc_name"] == "psc01.corp.example"
    assert state["machine_account"]["dn"].startswith("cn=vc01.corp.example,ou=Computers,")
    assert (root / "etc/vmware/deployment.node.type").read_text().strip() == "management"
    assert "vmdird" not in state["services"]


def test_machine_password_exercises_escaping() -> None:
    passwords = {machine_password() for _ in range(20)}
    assert len(passwords) == 20
    assert all('"' in p and "\\" in p and len(p) == 20 for p in passwords)


def test_refuses_a_non_empty_folder_that_is_not_a_lab(tmp_path: Path,
                                                      now: dt.datetime) -> None:
    target = tmp_path / "stuff"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(VcfixError, match="not empty and is not a vcfix lab"):
        create_lab(target, "healthy", now=now)
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    create_lab(target, "healthy", now=now, force=True)
    assert (target / "notes.txt").read_text() == "mine"
    assert lab_state.is_lab(target)


def test_force_never_overwrites_a_real_vendor_tool(tmp_path: Path, now: dt.datetime) -> None:
    real = tmp_path / "appliance" / "usr/lib/vmware-vmafd/bin/vecs-cli"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"\x7fELF real binary")
    with pytest.raises(VcfixError, match="not lab shims"):
        create_lab(tmp_path / "appliance", "healthy", now=now, force=True)
    assert real.read_bytes() == b"\x7fELF real binary"


def test_rebuilding_a_lab_replaces_it(tmp_path: Path, now: dt.datetime) -> None:
    root = create_lab(tmp_path / "lab", "healthy", now=now)
    first = lab_state.load(root)["machine_id"]
    (root / "var/log/vmware/vmcad/certificate-manager.log").write_text("old run")
    lab_state.calls_log_path(root).write_text('{"tool": "vecs-cli"}\n')
    create_lab(root, "outage", now=now)
    state = lab_state.load(root)
    assert state["scenario"] == "outage" and state["machine_id"] != first
    assert not (root / "var/log/vmware/vmcad/certificate-manager.log").exists()
    assert lab_state.calls_log_path(root).read_text() == ""


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scenario": "nope"}, "unknown lab scenario"),
    ({"version": "6.5"}, "unknown lab version"),
    ({"node_type": "infrastructure"}, "unknown lab node type"),
    ({"pnid": "bad name"}, "not a host name"),
])
def test_bad_arguments_are_refused_before_anything_is_written(
    tmp_path: Path, now: dt.datetime, kwargs: Dict[str, str], message: str
) -> None:
    args = {"scenario": "healthy", **kwargs}
    scenario = args.pop("scenario")
    with pytest.raises(VcfixError, match=message):
        create_lab(tmp_path / "lab", scenario, now=now, **args)  # type: ignore[arg-type]
    assert not (tmp_path / "lab").exists()


def test_state_load_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(VcfixError, match="no lab state at .*state.json"):
        lab_state.load(tmp_path)
    lab_state.lab_dir(tmp_path).mkdir()
    lab_state.state_path(tmp_path).write_text("{broken")
    with pytest.raises(VcfixError, match="not valid JSON"):
        lab_state.load(tmp_path)
    assert not lab_state.is_lab(tmp_path)


def test_transaction_saves_only_on_success(tmp_path: Path) -> None:
    lab_state.save(tmp_path, {"lab_format": 1, "settings": {}})
    with lab_state.transaction(tmp_path) as state:
        state["settings"]["vecs_spaces"] = True
    assert lab_state.setting(lab_state.load(tmp_path), "vecs_spaces") is True
    with pytest.raises(RuntimeError), lab_state.transaction(tmp_path) as state:
        state["settings"]["vecs_spaces"] = False
        raise RuntimeError("fake failed half-way")
    assert lab_state.load(tmp_path)["settings"]["vecs_spaces"] is True
    leftovers = [p.name for p in lab_state.lab_dir(tmp_path).iterdir()]
    assert sorted(leftovers) == ["state.json", "state.lock"]


def test_concurrent_transactions_lose_no_update(tmp_path: Path) -> None:
    lab_state.save(tmp_path, {"lab_format": 1, "counter": 0})

    def bump() -> None:
        for _ in range(25):
            with lab_state.transaction(tmp_path) as state:
                state["counter"] += 1

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert lab_state.load(tmp_path)["counter"] == 100
