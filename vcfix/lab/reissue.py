"""Reissuing lab certificates the way certificate-manager (and fixsts) would.

Every function works on a lab state dict (see :mod:`vcfix.lab.state`) and takes
``now`` explicitly; the caller loads and saves the state (inside
``vcfix.lab.state.transaction``). Keys are real RSA 2048 keys, certificates are
signed by the lab's current VMCA root (``state["vmca"]``).

- :func:`backup` copies entries to VECS ``BACKUP_STORE`` as ``bkp_<alias>``.
- :func:`reissue_machine_ssl` (option 3), :func:`reissue_solution_users` (option 6),
  :func:`regenerate_root` (the first half of option 8).
- :func:`snapshot` / :func:`restore` for the automatic rollback.
- :func:`issue_sts_chain` / :func:`replace_sts_chain` for the fixsts fake.
"""

from __future__ import annotations

import copy
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from vcfix.errors import VcfixError
from vcfix.lab import pki
from vcfix.lab import state as lab_state
from vcfix.lab.scenarios import (
    SOLUTION_USER_STORES,
    SOLUTION_USER_STORES_70,
    TEN_YEARS,
    TWO_YEARS,
)

BACKUP_STORE = "BACKUP_STORE"
MACHINE_SSL_STORE = "MACHINE_SSL_CERT"
MACHINE_SSL_ALIAS = "__MACHINE_CERT"
TRUSTED_ROOTS = "TRUSTED_ROOTS"
BACKUP_PREFIX = "bkp_"
PREDATE = dt.timedelta(minutes=10)  # new certificates start slightly before "now"
STS_CN = "ssoserverSign"


@dataclass(frozen=True)
class CertFields:
    """The certool.cfg answers (empty strings = not given)."""

    country: str = "US"
    name: str = "CA"
    organization: str = "VMware"
    org_unit: str = "VMware Engineering"
    state: str = "California"
    locality: str = "Palo Alto"
    ip_address: str = ""
    email: str = "email@acme.com"
    hostnames: Tuple[str, ...] = ()
    vmca_name: str = ""


def fields_from_cfg(values: Mapping[str, str], vmca_name: str = "") -> CertFields:
    """CertFields from certool.cfg keys (Country, Name, ..., Hostname comma-separated)."""
    hosts = tuple(h.strip() for h in values.get("Hostname", "").split(",") if h.strip())
    return CertFields(
        country=values.get("Country", ""), name=values.get("Name", ""),
        organization=values.get("Organization", ""), org_unit=values.get("OrgUnit", ""),
        state=values.get("State", ""), locality=values.get("Locality", ""),
        ip_address=values.get("IPAddress", ""), email=values.get("Email", ""),
        hostnames=hosts, vmca_name=vmca_name)


def stores_for(option: int, state: lab_state.State) -> List[str]:
    """The VECS stores certificate-manager ``option`` (3, 6, 8) replaces or extends."""
    stores = [MACHINE_SSL_STORE] if option in (3, 8) else []
    if option in (6, 8):
        stores += solution_user_stores(state)
    if option == 8:
        stores.append(TRUSTED_ROOTS)
    return stores


def apply(state: lab_state.State, action: str, option: int, fields: CertFields,
          now: dt.datetime) -> List[str]:
    """One step of certificate-manager ``option``; returns what it wrote.

    ``backup`` (the certificates the option replaces), ``root``, ``machine_ssl``,
    ``solution_users``.
    """
    if action == "backup":
        return backup(state, [s for s in stores_for(option, state) if s != TRUSTED_ROOTS])
    if action == "root":
        return [thumbprint(regenerate_root(state, fields.vmca_name, now).cert)]
    if action == "machine_ssl":
        return [thumbprint(reissue_machine_ssl(state, fields, now).cert)]
    if action == "solution_users":
        return reissue_solution_users(state, fields, now)
    raise ValueError(f"unknown certificate-manager step {action!r}")


def solution_user_stores(state: lab_state.State) -> List[str]:
    """The solution-user stores this lab has, in VECS order."""
    known = SOLUTION_USER_STORES + SOLUTION_USER_STORES_70
    return [name for name in state.get("vecs", {}) if name in known]


def current_root(state: lab_state.State) -> pki.Issued:
    vmca = state.get("vmca") or {}
    try:
        return pki.load_issued(str(vmca["cert"]), str(vmca["key"]))
    except (KeyError, ValueError) as exc:
        raise VcfixError("the lab state has no usable VMCA root (state['vmca'])") from exc


def backup(state: lab_state.State, stores: Sequence[str]) -> List[str]:
    """Copy every certificate of ``stores`` to BACKUP_STORE as ``bkp_<alias>``.

    An earlier backup with the same alias is replaced. Returns the aliases written.
    """
    vecs: Dict[str, List[Dict[str, Any]]] = state.setdefault("vecs", {})
    target = vecs.setdefault(BACKUP_STORE, [])
    written = []
    for store in stores:
        for entry in vecs.get(store) or []:
            if not entry.get("cert"):
                continue
            alias = BACKUP_PREFIX + str(entry.get("alias", ""))
            target[:] = [e for e in target if e.get("alias") != alias]
            target.append({"alias": alias, "type": entry.get("type", lab_state.PRIVATE_KEY),
                           "cert": entry.get("cert"), "key": entry.get("key")})
            written.append(alias)
    return written


def snapshot(state: lab_state.State, stores: Sequence[str]) -> Dict[str, Any]:
    """A copy of ``stores`` and the VMCA root, for :func:`restore`."""
    vecs = state.get("vecs", {})
    return {
        "stores": {name: copy.deepcopy(vecs[name]) for name in stores if name in vecs},
        "vmca": copy.deepcopy(state.get("vmca")),
    }


def restore(state: lab_state.State, saved: Dict[str, Any]) -> None:
    """Put back what :func:`snapshot` saved (other stores, BACKUP_STORE included, stay)."""
    vecs = state.setdefault("vecs", {})
    for name, entries in saved["stores"].items():
        vecs[name] = copy.deepcopy(entries)
    state["vmca"] = copy.deepcopy(saved["vmca"])


def subject(cn: str, fields: CertFields, *, org_unit: Optional[str] = None) -> x509.Name:
    """CN, C, ST, L, O, OU from the answers (empty values left out)."""
    ou = fields.org_unit if org_unit is None else org_unit
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    for oid, value in ((NameOID.COUNTRY_NAME, fields.country),
                       (NameOID.STATE_OR_PROVINCE_NAME, fields.state),
                       (NameOID.LOCALITY_NAME, fields.locality),
                       (NameOID.ORGANIZATION_NAME, fields.organization),
                       (NameOID.ORGANIZATIONAL_UNIT_NAME, ou)):
        if value:
            attrs.append(x509.NameAttribute(oid, value))
    return x509.Name(attrs)


def _window(now: dt.datetime, days: int) -> Tuple[dt.datetime, dt.datetime]:
    start = now.replace(microsecond=0) - PREDATE
    return start, now.replace(microsecond=0) + dt.timedelta(days=days)


def _set_entry(state: lab_state.State, store: str, alias: str, issued: pki.Issued) -> None:
    entries: List[Dict[str, Any]] = state.setdefault("vecs", {}).setdefault(store, [])
    entry = {"alias": alias, "type": lab_state.PRIVATE_KEY, "cert": issued.cert_pem,
             "key": issued.key_pem}
    for index, old in enumerate(entries):
        if old.get("alias") == alias:
            entries[index] = entry
            return
    entries.append(entry)


def reissue_machine_ssl(state: lab_state.State, fields: CertFields,
                        now: dt.datetime) -> pki.Issued:
    """A new ``__MACHINE_CERT``: CN = first host name, SAN = every host name (+ IP)."""
    hosts = list(fields.hostnames) or [str(state.get("pnid", ""))]
    if not hosts[0]:
        raise VcfixError("no host name for the new Machine SSL certificate")
    ips = [fields.ip_address] if fields.ip_address else []
    issued = pki.make_leaf(current_root(state), subject(hosts[0], fields),
                           *_window(now, TWO_YEARS), sans=hosts, ips=ips)
    _set_entry(state, MACHINE_SSL_STORE, MACHINE_SSL_ALIAS, issued)
    state.pop("lookup_ssl_trust", None)  # certificate-manager updates the registrations
    return issued


def reissue_solution_users(state: lab_state.State, fields: CertFields,
                           now: dt.datetime) -> List[str]:
    """New certificates for every solution-user store; returns the stores replaced."""
    root = current_root(state)
    machine_id = str(state.get("machine_id", ""))
    host = fields.hostnames[0] if fields.hostnames else str(state.get("pnid", ""))
    stores = solution_user_stores(state)
    with ThreadPoolExecutor(max_workers=max(len(stores), 1)) as pool:  # keys cost the time
        keys = list(pool.map(lambda _: pki.new_key(), stores))
    for store, key in zip(stores, keys):
        name = subject(f"{store}-{machine_id}", fields, org_unit=f"mID-{machine_id}")
        issued = pki.make_leaf(root, name, *_window(now, TWO_YEARS),
                               sans=[host] if host else [], key=key)
        _set_entry(state, store, store, issued)
    return stores


def thumbprint(cert: x509.Certificate) -> str:
    """The TRUSTED_ROOTS alias of ``cert``: SHA1, lower-case hex."""
    return cert.fingerprint(hashes.SHA1()).hex()  # noqa: S303 - a VECS alias


def regenerate_root(state: lab_state.State, vmca_name: str, now: dt.datetime) -> pki.Issued:
    """A new VMCA root (ten years, new key) with the old subject, O = ``vmca_name``.

    It becomes ``state["vmca"]``, is added to TRUSTED_ROOTS and published to VMDIR
    (``state["vmdir"]["trusted_certs"]``); the old root stays in both.
    """
    rdns = []
    for rdn in current_root(state).cert.subject.rdns:
        attrs: List[x509.NameAttribute[Any]] = list(rdn)
        if vmca_name:
            attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, vmca_name)
                     if a.oid == NameOID.ORGANIZATION_NAME else a for a in attrs]
        rdns.append(x509.RelativeDistinguishedName(attrs))
    root = pki.make_ca(x509.Name(rdns), *_window(now, TEN_YEARS))
    roots: List[Dict[str, Any]] = state.setdefault("vecs", {}).setdefault(TRUSTED_ROOTS, [])
    roots.append({"alias": thumbprint(root.cert), "type": lab_state.TRUSTED_CERT,
                  "cert": root.cert_pem, "key": None})
    state["vmca"] = {"cert": root.cert_pem, "key": root.key_pem}
    vmdir = state.setdefault("vmdir", {})  # option 8 publishes the new root to VMDIR
    vmdir["trusted_certs"] = [*vmdir.get("trusted_certs", []), root.cert_pem]
    return root


def issue_sts_chain(state: lab_state.State, now: dt.datetime,
                    days: int = TWO_YEARS) -> Dict[str, Any]:
    """A new STS signing certificate from the current VMCA root.

    Returns ``{"certs": [leaf PEM, root PEM], "key": key PEM}``, the shape of a
    ``state["vmdir"]["tenant_credentials"]`` entry without its ``cn``.
    """
    root = current_root(state)
    name = pki.name(STS_CN, c="US", st="California", o="VMware", ou="VMware Engineering")
    leaf = pki.make_leaf(root, name, *_window(now, days))
    return {"certs": [leaf.cert_pem, root.cert_pem], "key": leaf.key_pem}


def replace_sts_chain(state: lab_state.State, now: dt.datetime) -> Dict[str, Any]:
    """What fixsts does: every TenantCredential/TrustedCertChain replaced by one new pair."""
    chain = issue_sts_chain(state, now)
    state["vmdir"] = dict(state.get("vmdir") or {})
    state["vmdir"]["tenant_credentials"] = [{"cn": "TenantCredential-1", **chain}]
    state["vmdir"]["trusted_chains"] = [{"cn": "TrustedCertChain-1",
                                         "certs": list(chain["certs"])}]
    return chain
