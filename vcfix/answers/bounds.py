"""Untrusted input files read within bounds: answer-file YAML and password files.

Pure checks plus bounded reads, shared by :mod:`vcfix.answers.schema`: YAML anchors and
aliases are refused (no "billion laughs"), nesting is limited, and a ``{file: PATH}``
password file must be a small regular file that only its owner can read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable

import yaml

from vcfix.errors import VcfixError

MAX_YAML = 1024 * 1024  # an answer file (or playbook) larger than this is refused
MAX_DEPTH = 16  # nesting deeper than this is refused (ours use 2 or 3 levels)
MAX_PASSWORD_FILE = 4096


def check_shape(text: str, path: Path, what: str, exit_code: int) -> None:
    """Refuse anchors and aliases (no billion laughs) and deep nesting, from the parser's
    events, before anything is built (the parser itself does not recurse)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else 0
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise VcfixError(f"{what} {path}: line {line} uses a YAML anchor or alias "
                                 "(&name, *name); they are not allowed: write the value out",
                                 exit_code=exit_code)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise VcfixError(f"{what} {path}: line {line} nests deeper than "
                                     f"{MAX_DEPTH} levels: refused", exit_code=exit_code)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return  # the loader reports syntax errors with their line


def read_password_file(ref: str, bad: Callable[[str], VcfixError]) -> str:
    """The content of a ``{file: PATH}`` password file: a regular file of at most 4 KiB
    that neither group nor others can read (opened without blocking: a FIFO is refused)."""
    try:
        fd = os.open(ref, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise bad(f"cannot read the password file {ref}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise bad(f"the password file {ref} is not a regular file")
        if info.st_size > MAX_PASSWORD_FILE:
            raise bad(f"the password file {ref} is larger than {MAX_PASSWORD_FILE} bytes")
        if info.st_mode & 0o044:
            raise bad(f"the password file {ref} is readable by others (mode "
                      f"{info.st_mode & 0o777:04o}): run 'chmod 600 {ref}'")
        raw = os.read(fd, MAX_PASSWORD_FILE + 1)
    except OSError as exc:
        raise bad(f"cannot read the password file {ref}: {exc.strerror}") from None
    finally:
        os.close(fd)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad(f"cannot read the password file {ref}: not UTF-8 text") from None
