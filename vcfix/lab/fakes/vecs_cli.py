"""Fake ``vecs-cli``: the VMware Endpoint Certificate Store, read from the lab state.

Supported: ``store list``; ``entry list --store S [--text]``;
``store create --name S``; ``entry getcert --store S --alias A [--output FILE]``;
``entry getkey`` (same options);
``entry create --store S --alias A --cert FILE [--key FILE]`` (a Private Key entry with
``--key``, else a Trusted Cert, or a CRL entry when FILE holds an ``X509 CRL``; the store
is created if needed; an existing alias is error 183);
``entry delete --store S --alias A [-y]`` (without ``-y`` it asks
``Warning: This operation will delete entry [A] from store [S] Do you wish to continue? (y/n) :``).
Output as in docs/lab.md and the vendor reference: ``Label :<TAB>value`` lines
(spaces instead of TABs when the state setting ``vecs_spaces`` is true).
"""

from __future__ import annotations

import errno
import sys
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
from vcfix.lab.fakes.vecs_text import text_dump as _text_dump

TOOL = "vecs-cli"
_VALUE_OPTIONS = ("--store", "--alias", "--output", "--server", "--upn", "--password",
                  "--cert", "--key", "--name")

# Lightwave error codes used here.
ERROR_FILE_NOT_FOUND = 2
ERROR_ACCESS_DENIED = 5
ERROR_CANNOT_CONNECT_VMAFD = 20
ERROR_INVALID_PARAMETER = 87
ERROR_ALREADY_EXISTS = 183
ERROR_OBJECT_NOT_FOUND = 4312
_ERROR_NAMES = {
    ERROR_FILE_NOT_FOUND: "ERROR_FILE_NOT_FOUND",
    ERROR_ACCESS_DENIED: "ERROR_ACCESS_DENIED",
    ERROR_CANNOT_CONNECT_VMAFD: "ERROR_CANNOT_CONNECT_VMAFD",
    ERROR_INVALID_PARAMETER: "ERROR_INVALID_PARAMETER",
    ERROR_ALREADY_EXISTS: "ERROR_ALREADY_EXISTS",
    ERROR_OBJECT_NOT_FOUND: "ERROR_OBJECT_NOT_FOUND",
}

USAGE = (
    "Usage: vecs-cli { arguments }\n"
    "    store list\n"
    "    store create --name <name>\n"
    "    entry list --store <name> [--text]\n"
    "    entry getcert --store <name> --alias <alias> [--output <file>]\n"
    "    entry getkey --store <name> --alias <alias> [--output <file>]\n"
    "    entry create --store <name> --alias <alias> --cert <file> [--key <file>]\n"
    "    entry delete --store <name> --alias <alias> [-y]"
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
    command = tuple(w for w in words if w != "-y")
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
    if command == ("store", "create") and "--name" in values:
        with lab_state.transaction(lab_root) as current:
            current.setdefault("vecs", {}).setdefault(values["--name"], [])
        return 0
    if command == ("entry", "create") and {"--store", "--alias", "--cert"} <= set(values):
        return _create(lab_root, values)
    if command == ("entry", "delete") and {"--store", "--alias"} <= set(values):
        return _delete(lab_root, values["--store"], values["--alias"], "-y" in argv)
    raise failure(ERROR_INVALID_PARAMETER, usage=True)


def _read(path: str, marker: str) -> str:
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise failure(ERROR_FILE_NOT_FOUND) from exc
    if marker not in text:
        raise failure(ERROR_INVALID_PARAMETER)
    return _ends_with_newline(text)


def _create(lab_root: Path, values: Dict[str, str]) -> int:
    crl = "BEGIN X509 CRL" in _read(values["--cert"], "-----BEGIN ")
    cert = _read(values["--cert"], "BEGIN X509 CRL" if crl else "BEGIN CERTIFICATE")
    key = _read(values["--key"], "PRIVATE KEY") if "--key" in values else None
    kind = lab_state.PRIVATE_KEY if key else lab_state.CRL if crl else lab_state.TRUSTED_CERT
    with lab_state.transaction(lab_root) as current:
        entries = current.setdefault("vecs", {}).setdefault(values["--store"], [])
        if any(e.get("alias") == values["--alias"] for e in entries):
            raise failure(ERROR_ALREADY_EXISTS)
        entries.append({"alias": values["--alias"], "type": kind, "cert": cert, "key": key})
    return 0


def _delete(lab_root: Path, store: str, alias: str, yes: bool) -> int:
    if not yes:
        out(f"Warning: This operation will delete entry [{alias}] from store [{store}]\n"
            "Do you wish to continue? (y/n) : ")
        sys.stdout.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            return 0
    with lab_state.transaction(lab_root) as current:
        _entry(current, store, alias)
        current["vecs"][store] = [e for e in current["vecs"][store]
                                  if e.get("alias") != alias]
    return 0


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
