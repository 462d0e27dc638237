"""Which appliances a several-host command looks at: ``--host`` (several times, or
``VCFIX_HOST``) and ``--hosts-file FILE``, each with its root folder.

``diagnose`` and ``preupgrade`` call :func:`add_options` and switch to their several-host
form when :func:`several` says so; every other command acts on one appliance (the CLI
refuses two targets for them).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List

from vcfix.appliance.ssh.hosts_file import HostEntry, read_hosts_file, unique

DEFAULT_PARALLEL = 8
MAX_PARALLEL = 64


def add_options(parser: argparse.ArgumentParser, *, parallel: bool = False) -> None:
    parser.add_argument(
        "--hosts-file", type=Path, metavar="FILE",
        help="look at every appliance listed in FILE: one [USER@]HOST[:PORT] a line, "
        "optionally followed by its root folder; '#' comments")
    if parallel:
        parser.add_argument(
            "--parallel", type=_parallel, default=DEFAULT_PARALLEL, metavar="N",
            help=f"with several hosts: look at N at a time (default {DEFAULT_PARALLEL}, "
            f"at most {MAX_PARALLEL})")
    parser.set_defaults(several_hosts=True)


def _parallel(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_PARALLEL:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number from 1 to {MAX_PARALLEL}")
    return int(text)


def several(args: argparse.Namespace) -> bool:
    """A hosts file, or more than one distinct ``--host``: the several-host form (one
    ``--host`` or ``VCFIX_HOST`` keeps the single-host output)."""
    return getattr(args, "hosts_file", None) is not None or len(set(args.hosts)) > 1


def entries(args: argparse.Namespace) -> List[HostEntry]:
    """Every appliance to look at, in order, each with its effective root (its line's,
    else ``--root``), repeats removed. ``VCFIX_HOST`` gives way to a hosts file."""
    from_env = getattr(args, "hosts_from_env", False)
    given = [] if from_env and args.hosts_file is not None else [HostEntry(t) for t in args.hosts]
    if args.hosts_file is not None:
        given += read_hosts_file(args.hosts_file)
    return unique(e.resolved(args.root) for e in given)
