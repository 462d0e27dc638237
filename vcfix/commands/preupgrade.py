"""``vcfix preupgrade``: is this Enhanced Linked Mode (SSO) domain safe to upgrade?

On one node it reads the node's replication partners, vmdir state, server list and
Lookup Service registrations, and judges them (``--save FILE`` keeps the snapshot);
``--merge FILE...`` judges the snapshots of every node together. Exit codes: 0 safe,
1 warnings, 2 blocked (or a usage error), 3 unknown, 4 missing answer (sso.password).
See docs/preupgrade.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from vcfix.commands import hosts
from vcfix.errors import EXIT_UNKNOWN, EXIT_USAGE, VcfixError
from vcfix.redact import escape_controls

if TYPE_CHECKING:
    from vcfix.appliance.paths import Appliance
    from vcfix.preupgrade.snapshot import NodeSnapshot

MAX_RESAMPLE = 900.0
MAX_DURATION = 30 * 86400.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "preupgrade", parents=[common],
        help="check an ELM/SSO domain's replication before an upgrade",
        description="Check vmdir replication and Lookup Service registrations before "
        "upgrading a vCenter in an SSO domain. Run it on every node with --save, then "
        "judge the domain with --merge. Exit codes: 0 SAFE, 1 SAFE WITH WARNINGS, "
        "2 NOT SAFE (or a usage error), 3 UNKNOWN, 4 no SSO password.",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON verdict")
    parser.add_argument("--save", type=Path, metavar="FILE",
                        help="also write this node's snapshot (JSON) to FILE")
    parser.add_argument("--merge", type=Path, nargs="+", metavar="FILE",
                        help="judge these snapshots (one per node) instead of this node")
    parser.add_argument("--save-dir", type=Path, metavar="DIR",
                        help="with several hosts: also write each node's snapshot to "
                        "DIR/<node>.json")
    hosts.add_options(parser)
    parser.add_argument("--answers", type=Path, metavar="FILE",
                        help="answer file giving sso.password (and sso.username)")
    parser.add_argument("--resample-after", type=_seconds, default=None, metavar="S",
                        help="look again at partners that were behind after S seconds "
                        "(default 60; a node whose partners are in step never waits)")
    parser.add_argument("--max-age", type=duration, default=None, metavar="AGE",
                        help="with --merge: refuse snapshots older than AGE (e.g. 90m, 24h; "
                        "default 24h)")
    parser.add_argument("--max-spread", type=duration, default=None, metavar="AGE",
                        help="with --merge: refuse snapshots taken more than AGE apart "
                        "(default 2h)")
    parser.set_defaults(func=run)


def duration(text: str) -> dt.timedelta:
    """``90s``, ``30m``, ``24h``, ``2d`` or plain seconds; more than 0, at most 30 days."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    body, unit = (text[:-1], units[text[-1]]) if text[-1:] in units else (text, 1)
    try:
        value = float(body) * unit
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 90m, 24h)") from None
    if not math.isfinite(value) or not 0 < value <= MAX_DURATION:
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 and at most 30d")
    return dt.timedelta(seconds=value)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= MAX_RESAMPLE:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_RESAMPLE:g} seconds")
    return value


def run(args: argparse.Namespace) -> int:
    from vcfix.preupgrade.render import render_json, render_text
    from vcfix.preupgrade.rules import evaluate
    from vcfix.ui.style import safe_text, use_color

    not_reached: Optional[List[Dict[str, str]]] = None  # the several-host form only
    not_checked: List[str] = []
    if hosts.several(args):
        snapshots, not_reached, not_checked = _collect_several(args)
    else:
        snapshots = _load(args) if args.merge else [_collect(args)]
    verdict = evaluate(snapshots, not_checked)
    if args.json:
        json.dump(render_json(verdict, snapshots, not_reached=not_reached), sys.stdout,
                  indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(safe_text(render_text(verdict, snapshots,
                                               use_color(sys.stdout, args.no_color))))
        alone = not args.merge and not_reached is None
        if alone and any(f.rule == "missing-snapshot" for f in verdict.findings):
            print(f"\nThis judged {snapshots[0].host} alone. For the domain's verdict run "
                  "'vcfix preupgrade --save <node>.json' on every node, then "
                  "'vcfix preupgrade --merge <every node>.json' on one of them.")
    return verdict.exit_code


def _load(args: argparse.Namespace) -> List[NodeSnapshot]:
    from vcfix import clock
    from vcfix.preupgrade.intake import (
        DEFAULT_MAX_AGE,
        DEFAULT_MAX_SPREAD,
        check_times,
        read_snapshot,
    )

    for option in ("save", "answers", "resample_after", "save_dir"):
        if getattr(args, option) is not None:
            raise VcfixError(f"--merge judges saved snapshots: --{option.replace('_', '-')} "
                             "does not apply", exit_code=EXIT_USAGE)
    snapshots = [read_snapshot(path) for path in args.merge]
    check_times(snapshots, args.merge, clock.now(), args.max_age or DEFAULT_MAX_AGE,
                args.max_spread or DEFAULT_MAX_SPREAD)
    return snapshots


def _collect(args: argparse.Namespace) -> NodeSnapshot:
    """This node (or the one ``--host`` names)."""
    from vcfix.appliance.connect import open_appliance
    from vcfix.commands import reach
    from vcfix.preupgrade.collect import Credentials, collect_node

    collect_options(args)
    if args.save_dir is not None:
        raise VcfixError("--save-dir keeps the snapshots of several hosts (two --host or "
                         "more, --hosts-file); for one node use --save FILE",
                         exit_code=EXIT_USAGE)
    if args.save and not args.save.absolute().parent.is_dir():
        raise VcfixError(f"--save {args.save}: the folder {args.save.absolute().parent} does "
                         "not exist", exit_code=EXIT_USAGE)
    try:
        appliance = open_appliance(args.root, args.hosts[0] if args.hosts else None,
                                   reach(args, unattended=args.answers is not None))
    except VcfixError as exc:  # no connection: nothing could be determined
        exc.exit_code = EXIT_UNKNOWN
        raise
    try:
        check_node(appliance)
        username, password = sso_credentials(args.answers)
        snapshot = collect_node(appliance, Credentials.from_username(username, password),
                                resample_after=resample_after(args), on_wait=_waiting)
    finally:
        appliance.transport.close()
    if args.save:
        snapshot.save(args.save)
        print(escape_controls(f"vcfix: snapshot of {snapshot.host} saved to {args.save}"),
              file=sys.stderr)
    return snapshot


def _collect_several(args: argparse.Namespace
                     ) -> Tuple[List[NodeSnapshot], List[Dict[str, str]], List[str]]:
    from vcfix.commands.preupgrade_hosts import collect_hosts, save_dir
    from vcfix.preupgrade.collect import Credentials

    for option, instead in (("merge", "judges saved snapshots"),
                            ("save", "keeps one node's snapshot: use --save-dir DIR")):
        if getattr(args, option) is not None:
            raise VcfixError(f"--{option} does not go with several hosts: it {instead}",
                             exit_code=EXIT_USAGE)
    collect_options(args)
    folder = save_dir(args.save_dir) if args.save_dir is not None else None
    username, password = sso_credentials(args.answers)  # once, before any node
    return collect_hosts(args, Credentials.from_username(username, password),
                         resample_after(args), check_node, folder)


def collect_options(args: argparse.Namespace) -> None:
    """Refuse the options of --merge when nodes are read (usage error)."""
    for option in ("max_age", "max_spread"):
        if getattr(args, option) is not None:
            raise VcfixError(f"--{option.replace('_', '-')} applies to --merge only",
                             exit_code=EXIT_USAGE)


def resample_after(args: argparse.Namespace) -> float:
    from vcfix.preupgrade.collect import DEFAULT_RESAMPLE

    return DEFAULT_RESAMPLE if args.resample_after is None else float(args.resample_after)


def check_node(appliance: Appliance) -> None:
    """VcfixError (exit 3) when ``appliance`` holds no SSO directory replica to check."""
    try:
        appliance.tool("vdcrepadmin")
    except VcfixError as exc:
        exc.exit_code = EXIT_UNKNOWN
        raise
    if _node_type(appliance) == "management":
        raise VcfixError("this is a vCenter with an external PSC: it holds no replica of the "
                         "SSO directory to check", exit_code=EXIT_UNKNOWN,
                         hint="run 'vcfix preupgrade --save' on every PSC (and embedded "
                         "vCenter) of the SSO domain, then merge the snapshots")


def _node_type(appliance: Appliance) -> Optional[str]:
    try:
        return appliance.node_type()
    except VcfixError:
        return None  # the collection reports it


def _waiting(hosts: List[str], seconds: float) -> None:
    print(escape_controls(f"vcfix: {', '.join(hosts)} behind on this node's changes; looking "
                          f"again in {seconds:.0f} s (--resample-after)"),
          file=sys.stderr, flush=True)


def sso_credentials(answer_file: Optional[Path]) -> Tuple[Optional[str], str]:
    """(user name or None, password) from the answer file, else asked on the terminal.

    Raises MissingAnswer (exit 4) for ``sso.password`` when neither is possible.
    """
    from vcfix.answers.answer_file import Answers, load_answer_file

    answers = load_answer_file(answer_file) if answer_file else Answers()
    if interactive():
        answers = answers.with_context(ask=ask)
    password = answers.get("sso.password")
    return answers.peek("sso.username"), password


def interactive() -> bool:
    """Whether the operator can be asked (the question goes to stderr, not stdout)."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def ask(key: str, description: str, secret: bool) -> Optional[str]:
    """Ask one question on the terminal (on stderr: stdout may carry --json);
    Ctrl-C raises KeyboardInterrupt (exit 130)."""
    from vcfix.ui.prompts import InteractivePrompter

    return InteractivePrompter(stream=sys.stderr).ask(key, description, secret)
