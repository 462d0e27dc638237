"""Certificate facts and signature checks (pure; cryptography only).

Who signed a certificate is decided by VERIFYING ITS SIGNATURE with the candidate
issuer's public key, never by comparing names: a regenerated VMCA root keeps the
subject of the old one, so name matching would chain today's certificates to
yesterday's expired root. Key identifiers only narrow the search.

Thumbprints are SHA-1, upper-case hex with colons (``AB:CD:...``), as the vSphere
Client shows them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Set, Union

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from vcfix.errors import VcfixError

CertInput = Union[x509.Certificate, bytes, str]

_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"


@dataclass(frozen=True)
class CertFacts:
    subject: str  # RFC 4514
    issuer: str  # RFC 4514
    not_before: dt.datetime  # aware, UTC
    not_after: dt.datetime  # aware, UTC
    sha1: str  # "AB:CD:..."
    sans: List[str]  # DNS names, then IP addresses
    is_ca: bool
    ski: Optional[bytes]
    aki: Optional[bytes]
    self_signed: bool  # self-issued and verified with its own key
    serial: str = ""  # lower-case hex, no colons, as `openssl x509 -serial` shows it (any case)


def load_pem(pem: str, where: str = "certificate") -> x509.Certificate:
    """The first certificate in ``pem``; ``where`` (e.g. ``"vpxd/vpxd"``) names it in errors."""
    chain = load_pem_chain(pem, where)
    return chain[0]


def load_pem_chain(pem: str, where: str = "certificate") -> List[x509.Certificate]:
    """Every certificate in ``pem`` (an entry may hold a chain), in order."""
    data = pem.encode("ascii", "replace")
    if _PEM_BEGIN not in data:
        raise VcfixError(f"{where}: no PEM certificate found")
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise VcfixError(f"{where}: the PEM certificate cannot be read ({exc})") from exc


def load_any(value: CertInput, where: str) -> x509.Certificate:
    """A certificate from an ``x509.Certificate``, DER bytes, or PEM (str or bytes)."""
    if isinstance(value, x509.Certificate):
        return value
    if isinstance(value, str):
        return load_pem(value, where)
    if _PEM_BEGIN in value:
        return load_pem(value.decode("ascii", "replace"), where)
    try:
        return x509.load_der_x509_certificate(value)
    except ValueError as exc:
        raise VcfixError(f"{where}: the DER certificate cannot be read ({exc})") from exc


def sha1(cert: x509.Certificate) -> str:
    digest = cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - a thumbprint
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def not_after(cert: x509.Certificate) -> dt.datetime:
    value = getattr(cert, "not_valid_after_utc", None)
    if isinstance(value, dt.datetime):
        return value
    return cert.not_valid_after.replace(tzinfo=dt.timezone.utc)  # cryptography < 42


def not_before(cert: x509.Certificate) -> dt.datetime:
    value = getattr(cert, "not_valid_before_utc", None)
    if isinstance(value, dt.datetime):
        return value
    return cert.not_valid_before.replace(tzinfo=dt.timezone.utc)  # cryptography < 42


def display_name(name: x509.Name) -> str:
    """A name in certificate order, as VMware and OpenSSL show it: ``CN=CA, DC=vsphere, ...``.

    (RFC 4514 strings run in reverse order, which reads oddly next to vendor output.)
    """
    return ", ".join(rdn.rfc4514_string() for rdn in name.rdns)


def facts(cert: x509.Certificate) -> CertFacts:
    return CertFacts(
        subject=display_name(cert.subject),
        issuer=display_name(cert.issuer),
        not_before=not_before(cert),
        not_after=not_after(cert),
        sha1=sha1(cert),
        sans=sans(cert),
        is_ca=is_ca(cert),
        ski=ski(cert),
        aki=aki(cert),
        self_signed=signed_by(cert, cert),
        serial=format(cert.serial_number, "x"),
    )


def sans(cert: x509.Certificate) -> List[str]:
    """DNS names then IP addresses of the SAN extension (empty if absent or unreadable)."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    names = [str(n) for n in ext.get_values_for_type(x509.DNSName)]
    names += [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)]
    return names


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):
        return False


def ski(cert: x509.Certificate) -> Optional[bytes]:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except (x509.ExtensionNotFound, ValueError):
        return None


def aki(cert: x509.Certificate) -> Optional[bytes]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    return ext.key_identifier


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s public key verifies ``cert``'s signature.

    Key identifiers only narrow the search: when ``cert`` has an authority key
    identifier and ``issuer`` a subject key identifier and they differ, the
    signature is not checked.
    """
    cert_aki, issuer_ski = aki(cert), ski(issuer)
    if cert_aki is not None and issuer_ski is not None and cert_aki != issuer_ski:
        return False
    verify = getattr(cert, "verify_directly_issued_by", None)  # cryptography >= 40
    if verify is not None:
        try:
            verify(issuer)
            return True
        except InvalidSignature:
            return False
        except (ValueError, TypeError, UnsupportedAlgorithm):
            pass  # names differ in encoding, or a key type it does not handle: check by hand
    return _verify_by_hand(cert, issuer)


def _verify_by_hand(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        key = issuer.public_key()
        data, signature = cert.tbs_certificate_bytes, cert.signature
        algorithm = cert.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            params = getattr(cert, "signature_algorithm_parameters", None)
            pad = params if isinstance(params, padding.PSS) else padding.PKCS1v15()
            key.verify(signature, data, pad, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, dsa.DSAPublicKey) and algorithm is not None:
            key.verify(signature, data, algorithm)
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(signature, data)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


class IssuerPool:
    """Candidate CAs, searched BY SIGNATURE, keyed by SHA1 thumbprint; results cached.

    When several CAs verify a signature (a CA re-issued with the same key), the
    expired ones are ignored as long as one is valid at ``now``: a chain builder
    uses the valid one, so the expired copy is not what the certificate relies on.
    """

    def __init__(self, cas: Iterable[x509.Certificate], now: dt.datetime) -> None:
        self.now = now
        self.by_sha1: Dict[str, x509.Certificate] = {}
        for ca in cas:
            self.by_sha1.setdefault(sha1(ca), ca)
        self.roots: Set[str] = {k for k, ca in self.by_sha1.items() if signed_by(ca, ca)}
        self._cache: Dict[str, List[str]] = {}

    def issuers(self, cert: x509.Certificate) -> List[str]:
        """Thumbprints of the CAs whose key signed ``cert``.

        A self-signed certificate is a trust anchor: it has no issuer here (even if
        another CA with the same key would verify it).
        """
        own = sha1(cert)
        if own not in self._cache:
            found = [] if signed_by(cert, cert) else [
                k for k, ca in self.by_sha1.items() if k != own and signed_by(cert, ca)]
            valid = [k for k in found if not_after(self.by_sha1[k]) > self.now]
            self._cache[own] = valid or found
        return self._cache[own]

    def above(self, cert: x509.Certificate) -> Set[str]:
        """Every CA above ``cert``, following signatures up to the roots."""
        seen: Set[str] = set()
        todo = [cert]
        while todo:
            for issuer in self.issuers(todo.pop()):
                if issuer not in seen:
                    seen.add(issuer)
                    todo.append(self.by_sha1[issuer])
        return seen
