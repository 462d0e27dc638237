"""``vecs-cli entry list --text``: an OpenSSL-style text dump of a certificate or CRL.

The only part of the fake vecs-cli that needs ``cryptography`` (imported on use).
"""

from __future__ import annotations

from typing import Any, List

# --text: an OpenSSL-style dump (the only caller that needs cryptography).

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _openssl_date(value: Any) -> str:
    return (
        f"{_MONTHS[value.month - 1]} {value.day:2d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d} {value.year} GMT"
    )


def _openssl_name(name: Any) -> str:
    return ", ".join(f"{a.rfc4514_attribute_name}={a.value}" for a in name)


def _utc(obj: Any, attr: str) -> Any:
    value = getattr(obj, attr + "_utc", None)  # cryptography >= 42
    return value if value is not None else getattr(obj, attr)


def _hex(data: bytes) -> str:
    return ":".join(f"{b:02X}" for b in data)


def text_dump(pem: str) -> List[str]:
    from cryptography import x509

    if "X509 CRL" in pem:
        crl = x509.load_pem_x509_crl(pem.encode("ascii"))
        return [
            "Certificate Revocation List (CRL):",
            "        Version 2 (0x1)",
            "    Signature Algorithm: sha256WithRSAEncryption",
            f"        Issuer: {_openssl_name(crl.issuer)}",
            f"        Last Update: {_openssl_date(_utc(crl, 'last_update'))}",
            f"        Next Update: {_openssl_date(_utc(crl, 'next_update'))}",
            "No Revoked Certificates.",
        ]
    cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    serial = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, "big")
    lines = [
        "Certificate:",
        "    Data:",
        "        Version: 3 (0x2)",
        "        Serial Number:",
        f"            {_hex(serial).lower()}",
        "    Signature Algorithm: sha256WithRSAEncryption",
        f"        Issuer: {_openssl_name(cert.issuer)}",
        "        Validity",
        f"            Not Before: {_openssl_date(_utc(cert, 'not_valid_before'))}",
        f"            Not After : {_openssl_date(_utc(cert, 'not_valid_after'))}",
        f"        Subject: {_openssl_name(cert.subject)}",
        "        Subject Public Key Info:",
        "            Public Key Algorithm: rsaEncryption",
        f"                Public-Key: ({getattr(cert.public_key(), 'key_size', 0)} bit)",
        "        X509v3 extensions:",
    ]
    for ext in cert.extensions:
        value = ext.value
        critical = " critical" if ext.critical else ""
        if isinstance(value, x509.BasicConstraints):
            lines += [f"            X509v3 Basic Constraints:{critical}",
                      f"                CA:{'TRUE' if value.ca else 'FALSE'}"]
        elif isinstance(value, x509.SubjectKeyIdentifier):
            lines += ["            X509v3 Subject Key Identifier: ",
                      f"                {_hex(value.digest)}"]
        elif isinstance(value, x509.AuthorityKeyIdentifier) and value.key_identifier:
            lines += ["            X509v3 Authority Key Identifier: ",
                      f"                keyid:{_hex(value.key_identifier)}"]
        elif isinstance(value, x509.SubjectAlternativeName):
            names = [f"DNS:{n}" for n in value.get_values_for_type(x509.DNSName)]
            lines += ["            X509v3 Subject Alternative Name: ",
                      f"                {', '.join(names)}"]
    lines.append("    Signature Algorithm: sha256WithRSAEncryption")
    signature = cert.signature
    lines += [f"         {signature[i:i + 18].hex(':')}" for i in range(0, len(signature), 18)]
    return lines
