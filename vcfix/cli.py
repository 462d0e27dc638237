"""Command line entry point: global options, dispatch, and the crash handler.

Each command lives in ``vcfix/commands/<name>.py`` and provides
``register(subparsers, parent)`` which adds its sub-parser and sets
``func=run``, where ``run(args) -> int`` returns the exit code. Command modules
import their heavy dependencies inside ``run`` so that ``vcfix --help`` and
``vcfix diagnose`` start fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, TextIO

from vcfix import __version__, install
from vcfix.appliance.paths import ROOT_ENV, default_root
from vcfix.appliance.secretfile import install_signal_cleanup
from vcfix.appliance.ssh.target import HOST_ENV, SSH_CONFIG_ENV, Target, parse_target
from vcfix.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, VcfixError

COMMANDS = (
    "vcfix.commands.diagnose",
    "vcfix.commands.lab",
    "vcfix.commands.fix",
    "vcfix.commands.answers",
    "vcfix.commands.preupgrade",
    "vcfix.commands.restore",
)

WIZARD_COMMAND = "fix"


def build_parser() -> argparse.ArgumentParser:
    # Global options are accepted before or after the command name.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"appliance root folder (env {ROOT_ENV}, default /)",
    )
    common.add_argument(
        "--no-color", action="store_true", default=argparse.SUPPRESS, help="never use colour"
    )
    common.add_argument(
        "--host", action="append", type=_target, default=argparse.SUPPRESS,
        metavar="[USER@]HOST[:PORT]",
        help=f"act on this appliance over SSH (env {HOST_ENV}; user root by default); "
        "diagnose and preupgrade take it several times",
    )
    common.add_argument(
        "--ssh-config", type=Path, default=argparse.SUPPRESS, metavar="FILE",
        help=f"ssh client configuration for --host: ssh -F FILE (env {SSH_CONFIG_ENV})",
    )
    parser = argparse.ArgumentParser(
        prog="vcfix",
        description="Diagnose and fix expired vCenter Server certificates.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=install.describe())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub, common)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    arglist = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arglist)
    if not hasattr(args, "root"):
        args.root = default_root()
    if not hasattr(args, "no_color"):
        args.no_color = bool(os.environ.get("NO_COLOR"))
    _remote_defaults(parser, args)
    func: Optional[Callable[[argparse.Namespace], int]] = getattr(args, "func", None)
    if func is None:
        if args.command is None and _interactive() and _has_command(parser, WIZARD_COMMAND):
            args = parser.parse_args([WIZARD_COMMAND, *arglist])
            args.root = getattr(args, "root", default_root())
            args.no_color = getattr(args, "no_color", False)
            _remote_defaults(parser, args)
            func = args.func
        else:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
    assert func is not None
    install_signal_cleanup()
    stdout, sys.stdout = sys.stdout, _PipeGuard(sys.stdout)
    try:
        return func(args)
    except BrokenPipeError:  # the reader went away (`vcfix diagnose | head -1`): not a bug
        return EXIT_OK
    except VcfixError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\nvcfix: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception:  # noqa: BLE001 - anything else is a bug: keep a report
        path = write_crash_report(arglist)
        print(
            f"vcfix: internal error (a bug in vcfix). Crash report: {path}\n"
            "Nothing more was changed after the error; please send the report to the vcfix team.",
            file=sys.stderr,
        )
        return 70
    finally:
        sys.stdout = stdout


def _target(text: str) -> Target:
    try:
        return parse_target(text)
    except VcfixError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _remote_defaults(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``args.hosts`` (a list of Target, from --host or VCFIX_HOST) and ``args.ssh_config``.

    Two targets or more are for the commands that take several (diagnose, preupgrade):
    any other command acts on one appliance, and two are a usage error."""
    args.hosts_from_env = not hasattr(args, "host")
    if args.hosts_from_env:
        env = os.environ.get(HOST_ENV, "").strip()
        try:
            args.host = [parse_target(env)] if env else []
        except VcfixError as exc:
            parser.error(f"{HOST_ENV}: {exc.message}")
    args.hosts = list(args.host)
    if len(set(args.hosts)) > 1 and not getattr(args, "several_hosts", False):
        name = f"vcfix {args.command}" if args.command else "vcfix"
        parser.error(f"{name} acts on one appliance: give --host once (diagnose and "
                     "preupgrade take several)")
    if not hasattr(args, "ssh_config"):
        env = os.environ.get(SSH_CONFIG_ENV, "").strip()
        args.ssh_config = Path(env) if env else None


class _PipeGuard:
    """stdout that quietly stops writing once its reader has gone (``| head -1``), so the
    command ends with its own exit code instead of a BrokenPipeError."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._gone()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._gone()

    def _gone(self) -> None:
        # Later writes, and Python's own flush at exit, go to /dev/null.
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _has_command(parser: argparse.ArgumentParser, name: str) -> bool:
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        choices = getattr(action, "choices", None) or {}
        if name in choices:
            return True
    return False


def crash_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "vcfix" / "crash"


def write_crash_report(argv: List[str]) -> Path:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    text = (
        f"vcfix {__version__} crash at {stamp}\n"
        f"python {sys.version.split()[0]} on {sys.platform}\n"
        f"command: vcfix {' '.join(_redact_argv(argv))}\n\n{traceback.format_exc()}"
    )
    for directory in (crash_dir(), Path(tempfile.gettempdir())):
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = directory / f"vcfix-crash-{stamp}-{os.getpid()}.txt"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            return path
        except OSError:
            continue
    sys.stderr.write(text)
    return Path("<stderr>")


def _redact_argv(argv: List[str]) -> List[str]:
    # vcfix never takes secrets on its command line, but be safe with reports.
    return ["********" if "password" in a.lower() and "=" in a else a for a in argv]
