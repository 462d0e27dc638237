"""``vcfix diagnose``: what expired, what will, and what to run, in one command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from vcfix.commands import seconds
from vcfix.errors import VcfixError

if TYPE_CHECKING:
    from vcfix.appliance.paths import Appliance

MAX_TIMEOUT = 86400.0  # a day
MAX_WARN_DAYS = 36500  # a century: more is a typo (and overflows the date arithmetic)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "diagnose",
        parents=[common],
        help="check every VECS and STS certificate and print the remediation plan",
        description="Check every VECS store and the STS signing certificate, classify what "
        "expired or expires soon, and print the ordered remediation plan. Exit codes: "
        "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON document")
    parser.add_argument("--warn-days", type=_days, default=180, metavar="N",
                        help="report certificates expiring within N days (default 180)")
    parser.add_argument("--timeout", type=seconds(MAX_TIMEOUT), default=120.0, metavar="S",
                        help="give up on a vendor command after S seconds (default 120)")
    parser.add_argument("--state-dir", type=Path, metavar="DIR",
                        help="where vcfix fix keeps its run directories, to report a fix "
                        "that did not finish (default: var/lib/vcfix under the root)")
    parser.set_defaults(func=run)


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text!r}") from None
    if not 0 <= value <= MAX_WARN_DAYS:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_WARN_DAYS}")
    return value


def run(args: argparse.Namespace) -> int:
    from vcfix import clock
    from vcfix.appliance.connect import connected
    from vcfix.appliance.runner import Runner
    from vcfix.commands import reach
    from vcfix.diagnose.examine import examine
    from vcfix.diagnose.model import Diagnosis
    from vcfix.diagnose.report import render, vcfix_command
    from vcfix.ui.style import Style, safe_text, use_color

    try:
        with connected(args.root, args.hosts[0] if args.hosts else None,
                       reach(args)) as appliance:
            report_unfinished(appliance, args)  # before anything else
            diagnosis = examine(appliance, warn_days=args.warn_days,
                                runner=Runner(appliance, timeout=args.timeout))
    except VcfixError as exc:  # nothing could be read at all
        diagnosis = Diagnosis.unknown(None, exc.one_line(), clock.now())
    if args.json:
        json.dump(diagnosis.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(safe_text(render(diagnosis, Style(use_color(sys.stdout, args.no_color)),
                               vcfix_command(args.root, _host(args)))))
    return diagnosis.exit_code


def report_unfinished(appliance: Appliance, args: argparse.Namespace) -> None:
    """What a killed ``vcfix fix`` left; on stderr with --json (stdout stays JSON)."""
    from vcfix.appliance.connect import state_dir_for
    from vcfix.appliance.runner import Runner
    from vcfix.fix.interrupted import find_unfinished, render, services_now

    found = find_unfinished(args.state_dir or state_dir_for(appliance), appliance)
    if found is None:
        return
    notice = sys.stderr if args.json else sys.stdout
    lines = [*render(found), services_now(Runner(appliance, timeout=args.timeout)),
             "  The report below shows the certificates as they are now.", "", ""]
    notice.write("\n".join(lines))
    notice.flush()


def _host(args: argparse.Namespace) -> Optional[str]:
    hosts = getattr(args, "hosts", None) or []
    return str(hosts[0]) if hosts else None
