"""Untrusted input files read within bounds: answer-file YAML and password files.

Pure checks plus bounded reads, shared by :mod:`vcfix.answers.schema`: YAML anchors and
aliases are refused (no "billion laughs"), nesting is limited, and a ``{file: PATH}``
password file must be a small regular file that only its owner can read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import yaml

from vcfix.appliance.safefs import read_small_file
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
    return read_small_file(ref, MAX_PASSWORD_FILE, "the password file", bad, private=True)
