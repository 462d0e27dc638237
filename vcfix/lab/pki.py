"""Real X.509 certificates for the lab, made with cryptography.

Everything takes explicit validity dates, so callers derive them from an
injected clock. Keys are RSA 2048, like VMCA's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_SIZE = 2048


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def cert_pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def name(cn: str, *, dc: Sequence[str] = (), c: str = "", st: str = "", o: str = "",
         ou: str = "") -> x509.Name:
    """An X.509 name built like VMCA's: CN, then DC components, then C, ST, O, OU."""
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    attrs += [x509.NameAttribute(NameOID.DOMAIN_COMPONENT, part) for part in dc]
    for oid, value in (
        (NameOID.COUNTRY_NAME, c),
        (NameOID.STATE_OR_PROVINCE_NAME, st),
        (NameOID.ORGANIZATION_NAME, o),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
    ):
        if value:
            attrs.append(x509.NameAttribute(oid, value))
    return x509.Name(attrs)


def make_ca(subject: x509.Name, not_before: dt.datetime, not_after: dt.datetime, *,
            issuer: Optional[Issued] = None, key: Optional[rsa.RSAPrivateKey] = None) -> Issued:
    """A CA certificate: self-signed root when ``issuer`` is None, else an intermediate."""
    key = key or new_key()
    builder = _builder(subject, key, not_before, not_after, issuer)
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    builder = builder.add_extension(
        x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                      data_encipherment=False, key_agreement=False, key_cert_sign=True,
                      crl_sign=True, encipher_only=False, decipher_only=False),
        critical=True,
    )
    signer = issuer.key if issuer else key
    return Issued(builder.sign(signer, hashes.SHA256()), key)


def make_leaf(issuer: Issued, subject: x509.Name, not_before: dt.datetime,
              not_after: dt.datetime, *, sans: Sequence[str] = (),
              ips: Sequence[str] = (), key: Optional[rsa.RSAPrivateKey] = None) -> Issued:
    """An end-entity certificate signed by ``issuer`` with DNS (and IP) SANs."""
    import ipaddress

    key = key or new_key()
    builder = _builder(subject, key, not_before, not_after, issuer)
    builder = builder.add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True
    )
    general: List[x509.GeneralName] = [x509.DNSName(s) for s in sans]
    general += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    if general:
        builder = builder.add_extension(x509.SubjectAlternativeName(general), critical=False)
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
        critical=False,
    )
    return Issued(builder.sign(issuer.key, hashes.SHA256()), key)


def _builder(subject: x509.Name, key: rsa.RSAPrivateKey, not_before: dt.datetime,
             not_after: dt.datetime, issuer: Optional[Issued]) -> x509.CertificateBuilder:
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    authority = issuer.key.public_key() if issuer else public
    return builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(authority), critical=False
    )


def load_issued(cert_pem: str, key_pem: str) -> Issued:
    key = serialization.load_pem_private_key(key_pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("lab keys are RSA")
    return Issued(x509.load_pem_x509_certificate(cert_pem.encode("ascii")), key)
