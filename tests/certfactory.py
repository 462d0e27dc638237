"""Test helper: appliance certificate scenarios built with vcfix.lab.pki.

Validity is given as days left relative to the injected ``now`` (negative =
expired that many days ago). Keys come from a small per-process pool (RSA key
generation is the slow part): CAs get distinct keys, leaves share one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Dict, List, Optional, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from vcfix.appliance.parsers.vecs import VecsEntry
from vcfix.diagnose.classify import SOLUTION_STORES, StsEntry
from vcfix.diagnose.model import Diagnosis, NodeInfo, diagnose
from vcfix.lab import pki

PNID = "vcsa01.lab.example"
DOMAIN = "vsphere.local"
ROOT_NAME = pki.name("CA", dc=("vsphere", "local"), c="US", st="California", o=PNID,
                     ou="VMware Engineering")
DAY = dt.timedelta(days=1)


@cache
def key(name: str) -> rsa.RSAPrivateKey:
    """One RSA key per name for the whole test session."""
    return pki.new_key()


def valid(now: dt.datetime, left: float, life: float) -> tuple[dt.datetime, dt.datetime]:
    """(not_before, not_after) for a certificate with ``left`` days to go."""
    not_after = now + left * DAY
    return not_after - life * DAY, not_after


def ca(now: dt.datetime, left: float, *, life: float = 3650, subject: x509.Name = ROOT_NAME,
       key_name: str = "root", issuer: Optional[pki.Issued] = None) -> pki.Issued:
    return pki.make_ca(subject, *valid(now, left, life), issuer=issuer, key=key(key_name))


def leaf(now: dt.datetime, issuer: pki.Issued, cn: str, left: float, *, life: float = 730,
         sans: Sequence[str] = ()) -> pki.Issued:
    return pki.make_leaf(issuer, pki.name(cn, dc=("vsphere", "local")), *valid(now, left, life),
                         sans=sans, key=key("leaf"))


def thumb(issued: pki.Issued) -> str:
    """A TRUSTED_ROOTS alias: the SHA1 thumbprint, lower-case hex without colons."""
    return issued.cert.fingerprint(hashes.SHA1()).hex()  # noqa: S303


def entry(alias: str, issued: Optional[pki.Issued], entry_type: str = "Private Key"
          ) -> VecsEntry:
    return VecsEntry(alias, entry_type, issued.cert_pem if issued else None)


@dataclass
class Appliance:
    now: dt.datetime
    root: pki.Issued
    signer: pki.Issued  # what signs the leaves: the root or an intermediate
    stores: Dict[str, List[VecsEntry]] = field(default_factory=dict)
    sts: List[StsEntry] = field(default_factory=list)
    pnid: str = PNID

    def node(self) -> NodeInfo:
        return NodeInfo(self.pnid, DOMAIN, "7.0.3.01400", "embedded")

    def trust(self, issued: pki.Issued) -> None:
        self.stores.setdefault("TRUSTED_ROOTS", []).append(
            entry(thumb(issued), issued, "Trusted Cert"))

    def diagnose(self, **kwargs: object) -> Diagnosis:
        kwargs.setdefault("skipped_stores", ["TRUSTED_ROOT_CRLS"])
        return diagnose(self.node(), self.stores, self.sts, now=self.now,
                        **kwargs)  # type: ignore[arg-type]


def appliance(now: dt.datetime, *, root_left: float = 3450, machine_left: float = 530,
              solution_left: float = 530, sts_left: float = 530, other_left: float = 3000,
              sans: Optional[Sequence[str]] = None, intermediate_left: Optional[float] = None,
              pnid: str = PNID) -> Appliance:
    """A healthy 7.0 embedded appliance (deployed ~200 days ago) unless told otherwise.

    ``intermediate_left`` puts an intermediate CA (in TRUSTED_ROOTS and in the STS
    chain) between the root and every leaf.
    """
    root = ca(now, root_left)
    signer = root
    if intermediate_left is not None:
        signer = ca(now, intermediate_left, life=1825, key_name="intermediate", issuer=root,
                    subject=pki.name("VMCA Intermediate", dc=("vsphere", "local")))
    app = Appliance(now, root, signer, pnid=pnid)
    app.trust(root)
    if signer is not root:
        app.trust(signer)
    machine = leaf(now, signer, pnid, machine_left, sans=[pnid] if sans is None else sans)
    app.stores["MACHINE_SSL_CERT"] = [entry("__MACHINE_CERT", machine)]
    for store in SOLUTION_STORES:
        app.stores[store] = [entry(store, leaf(now, signer, f"{store}-1234", solution_left))]
    app.stores["data-encipherment"] = [entry("data-encipherment",
                                             leaf(now, signer, "data-encipherment", other_left,
                                                  life=3650))]
    app.stores["APPLMGMT_PASSWORD"] = [VecsEntry("location_password_default", "Secret Key",
                                                 None)]
    sts_leaf = leaf(now, signer, "ssoserverSign", sts_left)
    chain = [sts_leaf.cert] + ([signer.cert] if signer is not root else []) + [root.cert]
    app.sts = [StsEntry("TenantCredential-1", "tenant-credential", [der(c) for c in chain]),
               StsEntry("TrustedCertChain-1", "trusted-chain", [der(c) for c in chain])]
    return app


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def stale_root(now: dt.datetime, left: float = -30) -> pki.Issued:
    """An older root with the SAME subject as the current one but another key."""
    return ca(now, left, key_name="old-root")
