"""Fake ``certool``: VMCA's command line, the two commands a data-encipherment
regeneration uses.

``certool --genkey --privkey=FILE --pubkey=FILE`` writes a new RSA 2048 key pair (PEM).
``certool --gencert --cert=FILE --privkey=FILE --config=FILE [--Name=NAME]`` writes a
certificate for that key signed by the lab's current VMCA root (``state["vmca"]``), valid
two years from now: CN = ``--Name`` (else the config's ``Name``), C/ST/L/O/OU from the
config (``Key = value`` lines), SAN = the config's ``Hostname`` (comma separated). Both need
vmcad running (``Error: 382312694`` otherwise, like a VMCA that does not answer) and
print ``Status : Success`` on success; options take ``--opt=value`` or ``--opt value``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Sequence

from vcfix.lab.fakes.common import (
    FakeError,
    fake_tool,
    load_state,
    out,
    service_running,
    split_options,
)

TOOL = "certool"
_VALUE_OPTIONS = ("--privkey", "--pubkey", "--cert", "--config", "--Name", "--server")
USAGE = ("usage: certool --genkey --privkey=<file> --pubkey=<file>\n"
         "       certool --gencert --cert=<file> --privkey=<file> --config=<file> "
         "[--Name=<name>]")
NO_VMCA = "Error: 382312694 (VMCA_ERROR_CANNOT_CONNECT_VMCA): cannot connect to VMCA"


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    try:
        _words, values, flags = split_options(argv, _VALUE_OPTIONS)
    except ValueError as exc:
        raise FakeError(f"{USAGE}\n{exc}", 1) from exc
    state = load_state(lab_root)
    if not service_running(state, "vmcad"):
        raise FakeError(NO_VMCA, 1)
    if "--genkey" in flags and {"--privkey", "--pubkey"} <= set(values):
        return _genkey(values["--privkey"], values["--pubkey"])
    if "--gencert" in flags and {"--cert", "--privkey", "--config"} <= set(values):
        return _gencert(state, values)
    raise FakeError(USAGE, 1)


def _write(path: str, text: str, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
    except OSError as exc:
        raise FakeError(f"Error: cannot write {path}: {exc.strerror}", 1) from exc


def _genkey(private: str, public: str) -> int:
    from cryptography.hazmat.primitives import serialization

    from vcfix.lab import pki

    key = pki.new_key()
    _write(private, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode("ascii"), 0o600)
    _write(public, key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii"), 0o644)
    out("Status : Success\n")
    return 0


def parse_config(text: str) -> Dict[str, str]:
    values: Dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.strip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def _gencert(state: Dict[str, object], values: Dict[str, str]) -> int:
    import datetime as dt

    from cryptography.hazmat.primitives import serialization

    from vcfix import clock
    from vcfix.lab import pki, reissue
    from vcfix.lab.scenarios import TWO_YEARS

    try:
        config = parse_config(Path(values["--config"]).read_text(encoding="utf-8"))
        key = serialization.load_pem_private_key(
            Path(values["--privkey"]).read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise FakeError(f"Error: cannot read the key or the configuration: {exc}", 1) from exc
    fields = reissue.fields_from_cfg(config)
    name = values.get("--Name") or fields.name or "CA"
    now = clock.now().replace(microsecond=0)
    issued = pki.make_leaf(reissue.current_root(state), reissue.subject(name, fields),
                           now - reissue.PREDATE, now + dt.timedelta(days=TWO_YEARS),
                           sans=fields.hostnames, key=key)  # type: ignore[arg-type]
    _write(values["--cert"], issued.cert_pem, 0o644)
    out("Status : Success\n")
    return 0
