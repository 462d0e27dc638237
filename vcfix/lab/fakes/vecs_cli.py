"""Fake ``vecs-cli``: the VMware Endpoint Certificate Store, read from the lab state.

Supported: ``store list``; ``entry list --store S [--text]``;
``entry getcert --store S --alias A [--output FILE]``; ``entry getkey`` (same options).
Output as in docs/lab.md and the vendor reference: ``Label :<TAB>value`` lines
(spaces instead of TABs when the state setting ``vecs_spaces`` is true).
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any, Dict, List, Sequence

from vcfix.lab import state as lab_state
from vcfix.lab.fakes.common import (
    FakeError,
    fake_tool,
    load_state,
    out,
    service_running,
    split_options,
)

TOOL = "vecs-cli"
_VALUE_OPTIONS = ("--store", "--alias", "--output", "--server", "--upn", "--password")

# Lightwave error codes used here.
ERROR_FILE_NOT_FOUND = 2
ERROR_ACCESS_DENIED = 5
ERROR_CANNOT_CONNECT_VMAFD = 20
ERROR_INVALID_PARAMETER = 87
ERROR_OBJECT_NOT_FOUND = 4312
_ERROR_NAMES = {
    ERROR_FILE_NOT_FOUND: "ERROR_FILE_NOT_FOUND",
    ERROR_ACCESS_DENIED: "ERROR_ACCESS_DENIED",
    ERROR_CANNOT_CONNECT_VMAFD: "ERROR_CANNOT_CONNECT_VMAFD",
    ERROR_INVALID_PARAMETER: "ERROR_INVALID_PARAMETER",
    ERROR_OBJECT_NOT_FOUND: "ERROR_OBJECT_NOT_FOUND",
}

USAGE = (
    "Usage: vecs-cli { arguments }\n"
    "    store list\n"
    "    entry list --store <name> [--text]\n"
    "    entry getcert --store <name> --alias <alias> [--output <file>]\n"
    "    entry getkey --store <name> --alias <alias> [--output <file>]"
)


def failure(code: int, usage: bool = False) -> FakeError:
    """The vecs-cli error line; the exit status is the code's low byte, like the real one."""
    text = (
        f"vecs-cli failed. Error {code}: Operation failed with error "
        f"{_ERROR_NAMES.get(code, 'ERROR_UNKNOWN')} ({code}) "
    )
    if usage:
        text = USAGE + "\n" + text
    return FakeError(text, (code & 0xFF) or 1)


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    try:
        words, values, flags = split_options(argv, _VALUE_OPTIONS)
    except ValueError as exc:
        raise failure(ERROR_INVALID_PARAMETER, usage=True) from exc
    state = load_state(lab_root)
    if not service_running(state, "vmafdd"):
        raise failure(ERROR_CANNOT_CONNECT_VMAFD)
    sep = " " if lab_state.setting(state, "vecs_spaces") else "\t"
    command = tuple(words)
    if command == ("store", "list"):
        out("".join(f"{name}\n" for name in state.get("vecs", {})))
        return 0
    if command == ("entry", "list") and "--store" in values:
        entries = _store(state, values["--store"])
        out(_entry_list(entries, sep, text="--text" in flags))
        return 0
    if command in (("entry", "getcert"), ("entry", "getkey")) and {
        "--store",
        "--alias",
    } <= set(values):
        entry = _entry(state, values["--store"], values["--alias"])
        field = "cert" if command[1] == "getcert" else "key"
        if entry.get("type") == lab_state.SECRET_KEY or not entry.get(field):
            raise failure(ERROR_INVALID_PARAMETER)
        pem = _ends_with_newline(str(entry[field]))
        if "--output" in values:
            try:
                Path(values["--output"]).write_text(pem, encoding="ascii")
            except OSError as exc:
                denied = exc.errno in (errno.EACCES, errno.EPERM)
                raise failure(ERROR_ACCESS_DENIED if denied else ERROR_FILE_NOT_FOUND) from exc
        else:
            out(pem)
        return 0
    raise failure(ERROR_INVALID_PARAMETER, usage=True)


def _store(state: lab_state.State, name: str) -> List[Dict[str, Any]]:
    entries = lab_state.vecs_store(state, name)
    if entries is None:
        raise failure(ERROR_OBJECT_NOT_FOUND)
    return entries


def _entry(state: lab_state.State, store: str, alias: str) -> Dict[str, Any]:
    _store(state, store)
    entry = lab_state.vecs_entry(state, store, alias)
    if entry is None:
        raise failure(ERROR_OBJECT_NOT_FOUND)
    return entry


def _entry_list(entries: List[Dict[str, Any]], sep: str, *, text: bool) -> str:
    lines = [f"Number of entries in store :{sep}{len(entries)}"]
    for entry in entries:
        lines.append(f"Alias :{sep}{entry.get('alias', '')}")
        lines.append(f"Entry type :{sep}{entry.get('type', '')}")
        pem = entry.get("cert")
        if text and pem:
            lines.extend(_text_dump(str(pem)))
        else:
            lines.append(f"Certificate :{sep}{str(pem or '').strip()}")
        lines.append("")
    return "\n".join(lines) + "\n"


def _ends_with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


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


def _text_dump(pem: str) -> List[str]:
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
