"""``vcfix diagnose`` over several appliances (two ``--host`` or more, ``--hosts-file``).

Each host gets its own connection, :class:`Runner` and :func:`examine`, ``--parallel``
at a time (:func:`vcfix.commands.fleet.over_hosts`); the output is one line per host and
a summary (or one JSON document), and the exit code the worst one
(:mod:`vcfix.diagnose.fleet`). A ``vcfix fix`` that did not finish on a host is named on
its line (its run directory); ``vcfix --host H diagnose`` on that host tells the rest.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Tuple

from vcfix import clock
from vcfix.appliance.connect import state_dir_for
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.appliance.ssh.hosts_file import HostEntry
from vcfix.commands import reach
from vcfix.commands.fleet import over_hosts
from vcfix.commands.hosts import entries
from vcfix.diagnose.examine import examine
from vcfix.diagnose.fleet import HostResult, fleet_json, render_lines, worst_code
from vcfix.diagnose.model import Diagnosis
from vcfix.errors import EXIT_USAGE, VcfixError
from vcfix.ui.style import Style, safe_text, use_color


def unfinished(appliance: Appliance) -> Optional[str]:
    """The run directory of the last ``vcfix fix`` on ``appliance`` if it did not finish."""
    from vcfix.fix.interrupted import find_unfinished

    try:
        found = find_unfinished(state_dir_for(appliance), appliance)
    except (OSError, VcfixError):
        return None  # the host's own diagnose tells
    return str(found.path) if found is not None else None


def run_hosts(args: argparse.Namespace) -> int:
    if args.state_dir is not None:
        raise VcfixError("--state-dir reports what an unfinished fix left on one appliance: "
                         "give one --host with it", exit_code=EXIT_USAGE)
    checked_at = clock.now()

    def work(entry: HostEntry, appliance: Appliance) -> Tuple[Diagnosis, Optional[str]]:
        left = unfinished(appliance)
        try:
            diagnosis = examine(appliance, warn_days=args.warn_days,
                                runner=Runner(appliance, timeout=args.timeout))
        except VcfixError as exc:  # reached, but nothing could be read at all
            diagnosis = Diagnosis.unknown(None, exc.one_line(), clock.now())
        return diagnosis, left

    outcomes = over_hosts(entries(args), reach(args), work, parallel=args.parallel)
    results = [HostResult(o.entry, o.value[0], unfinished=o.value[1]) if o.value
               else HostResult(o.entry, error=o.error) for o in outcomes]
    if args.json:
        json.dump(fleet_json(results, checked_at), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        style = Style(use_color(sys.stdout, args.no_color))
        print(safe_text("\n".join(render_lines(results, style))))
    return worst_code(r.exit_code for r in results)
