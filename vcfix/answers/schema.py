"""The answer file's schema: reading YAML with line numbers, and validating every key.

Pure checks (plus reading the files the answer file names): every problem is a
:class:`VcfixError` with exit code 2 naming the file, the key path (for example
``certificate.country``) and its line. Used by :mod:`vcfix.answers.answer_file`; :func:`read_yaml`
is shared with :mod:`vcfix.fix.dialog.playbook`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

import yaml

from vcfix.answers import rules
from vcfix.answers.bounds import MAX_YAML, check_shape, read_password_file
from vcfix.errors import EXIT_USAGE, VcfixError

ANSWER_KEYS: Tuple[str, ...] = (
    "sso.username", "sso.password", "certificate.country", "certificate.name",
    "certificate.organization", "certificate.org_unit", "certificate.state",
    "certificate.locality", "certificate.ip_address", "certificate.email", "psc.address",
    "fixsts.script",
)
SECRET_KEYS = frozenset({"sso.password"})
DERIVED: Tuple[str, ...] = ("hostnames", "vmca_name", "sso_user", "menu_option")
STEPS: Tuple[str, ...] = ("sts", "machine-ssl", "solution-users", "reset-all",
                          "data-encipherment", "clean-crls",
                          "extension-thumbprints")

# section -> field -> check (see _check)
SCHEMA: Dict[str, Dict[str, str]] = {
    "sso": {"username": "user", "password": "secret"},
    "certificate": {
        "country": "country", "name": "text", "organization": "text", "org_unit": "text",
        "state": "text", "locality": "text", "ip_address": "ip", "email": "email",
        "aliases": "hosts", "hostnames": "hosts", "vmca_name": "text",
    },
    "psc": {"address": "host"},
    "fixsts": {"script": "path"},
}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class SecretSource:
    """Where a secret comes from: ``literal``, ``env`` (resolved when asked) or ``file``."""

    kind: str
    ref: str
    value: Optional[str] = field(default=None, repr=False)

    def resolve(self) -> Optional[str]:
        if self.kind == "env":
            return os.environ.get(self.ref) or None
        return self.value

    def describe_missing(self) -> str:
        return f"environment variable {self.ref} is not set" if self.kind == "env" else ""


def bad_value(path: Optional[Path], key: str, lines: Mapping[str, int], message: str,
              *, exit_code: int = EXIT_USAGE) -> VcfixError:
    """The error for a bad entry: names the file, the key path and its line when known."""
    where = f" (line {lines[key]})" if key in lines else ""
    name = f", {key}{where}" if key else where
    source = f"answer file {path}" if path is not None else "answers"
    return VcfixError(f"{source}{name}: {message}", exit_code=exit_code)


def read_yaml(path: Path, *, what: str, exit_code: int = EXIT_USAGE
              ) -> Tuple[Any, Dict[str, int]]:
    """Parse a YAML file; return the data and the line of every key path (``a.b``, ``a[0]``).

    Syntax errors and duplicate keys become VcfixError naming ``what``, the file and the line.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_YAML + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise VcfixError(f"cannot read {what} {path}: {reason}", exit_code=exit_code) from exc
    if len(raw) > MAX_YAML:
        raise VcfixError(f"{what} {path} is larger than {MAX_YAML >> 20} MiB: refused",
                         exit_code=exit_code)
    check_shape(text, path, what, exit_code)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise VcfixError(f"{what} {path}: YAML syntax error{where}: {problem}",
                         exit_code=exit_code) from exc
    finally:
        loader.dispose()
    lines: Dict[str, int] = {}
    if node is not None:
        _index(node, "", lines, path, what, exit_code)
    return data, lines


def _index(node: yaml.Node, prefix: str, lines: Dict[str, int], path: Path, what: str,
           exit_code: int) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            if key in lines:
                raise VcfixError(f"{what} {path}: {key} (line {key_node.start_mark.line + 1}) "
                                 f"repeats the key of line {lines[key]}", exit_code=exit_code)
            lines[key] = key_node.start_mark.line + 1
            _index(value_node, key, lines, path, what, exit_code)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[f"{prefix}[{i}]"] = item.start_mark.line + 1
            _index(item, f"{prefix}[{i}]", lines, path, what, exit_code)


def validate(path: Path, data: Any, lines: Mapping[str, int]) -> Dict[str, object]:
    """Check an answer file's data against SCHEMA; return flat ``section.field`` values."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise bad_value(path, "", lines, "expected a mapping of sections "
                        f"({', '.join([*SCHEMA, 'steps'])})")
    values: Dict[str, object] = {}
    for section, body in data.items():
        if section == "steps":
            values["steps"] = _steps(path, body, lines)
            continue
        fields = SCHEMA.get(str(section))
        if fields is None:
            raise bad_value(path, str(section), lines,
                            f"unknown key; expected one of {', '.join([*SCHEMA, 'steps'])}")
        if body is None:
            continue
        if not isinstance(body, dict):
            raise bad_value(path, str(section), lines, "expected a mapping of keys")
        for name, value in body.items():
            key = f"{section}.{name}"
            check = fields.get(str(name))
            if check is None:
                raise bad_value(path, key, lines,
                                f"unknown key; expected one of {', '.join(fields)}")
            if value is not None:  # "key:" with no value counts as not set
                values[key] = _check(check, path, key, value, lines)
    if "certificate.hostnames" in values and "certificate.aliases" in values:
        raise bad_value(path, "certificate.hostnames", lines,
                        "give either 'hostnames' or 'aliases', not both")
    return values


def _steps(path: Path, value: Any, lines: Mapping[str, int]) -> object:
    if value == "auto":
        return "auto"
    if not isinstance(value, list) or not value:
        raise bad_value(path, "steps", lines, f"expected 'auto' or a list of: {', '.join(STEPS)}")
    for i, step in enumerate(value):
        if step not in STEPS or step in value[:i]:
            problem = "repeats a step" if step in value[:i] else f"unknown step {step!r}"
            raise bad_value(path, f"steps[{i}]", lines, f"{problem}; steps are {', '.join(STEPS)}")
    return list(value)


def _check(check: str, path: Path, key: str, value: Any, lines: Mapping[str, int]) -> object:
    def bad(message: str, at: str = key) -> VcfixError:
        return bad_value(path, at, lines, message)

    if check == "secret":
        return _secret(path, key, value, lines)
    if check == "hosts":
        if not isinstance(value, list):
            raise bad("expected a list of host names, e.g. [vcsa01.corp.example]")
        for i, host in enumerate(value):
            if not isinstance(host, str) or not _valid_host(host):
                raise bad(f"{host!r} is not a host name or IP address", f"{key}[{i}]")
        return [h.strip() for h in value]
    if not isinstance(value, str):
        hint = " (YAML reads NO as false: write 'NO')" if isinstance(value, bool) else ""
        raise bad(f"expected text, got {value!r}; put it in quotes{hint}")
    text = value.strip()
    if "\n" in text or "\r" in text:
        raise bad("expected a single line")
    reason = rules.check_key(key, text)
    if reason is not None:
        raise bad(reason)
    if check in ("user", "path") and (not text or " " in text):
        raise bad("expected a non-empty value without spaces")
    return text.upper() if check == "country" else text


def _valid_host(text: str) -> bool:
    return rules.control_character(text) is None and rules.is_host(text)


def _secret(path: Path, key: str, value: Any, lines: Mapping[str, int]) -> SecretSource:
    if isinstance(value, str):
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise bad_value(path, key, lines, (
                f"holds a literal password but the file is readable by others (mode {mode:04o}); "
                f"a literal password is accepted only when the file is readable by its owner "
                f"alone: run 'chmod 600 {path}', or use {{env: VCFIX_SSO_PASSWORD}} or "
                "{file: /root/sso.pw} instead"))
        if not value or "\n" in value:
            raise bad_value(path, key, lines, "expected a non-empty single-line password")
        return SecretSource("literal", "", value)
    if not isinstance(value, dict) or len(value) != 1 or not ({"env", "file"} & set(value)):
        raise bad_value(path, key, lines, "expected {env: VARIABLE} or {file: /path/to/file}")
    kind, ref = next(iter(value.items()))
    if not isinstance(ref, str) or not ref.strip():
        raise bad_value(path, key, lines, f"'{kind}' needs a name, e.g. VCFIX_SSO_PASSWORD")
    if kind == "env":
        if not _ENV_NAME.match(ref):
            raise bad_value(path, key, lines, f"{ref!r} is not an environment variable name")
        return SecretSource("env", ref)
    text = read_password_file(ref, lambda why: bad_value(path, key, lines, why))
    secret = text[:-1] if text.endswith("\n") else text
    secret = secret[:-1] if secret.endswith("\r") else secret
    if not secret or "\n" in secret:
        raise bad_value(path, key, lines, f"the password file {ref} must hold one non-empty line")
    return SecretSource("file", ref, secret)

