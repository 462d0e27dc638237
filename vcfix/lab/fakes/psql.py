"""Fake ``psql`` (``/opt/vmware/vpostgres/current/bin/psql``): VCDB's ``vpx_ext`` only.

``psql -d VCDB -U postgres [-v ON_ERROR_STOP=1] [-t] [-A] [-q] [-c SQL]``: the SQL comes
from ``-c`` or, as vcfix sends it, from standard input. Output as real psql prints it:
aligned with a header, a ``---+---`` rule and a ``(N rows)`` footer by default; ``-A``
``value|value``; ``-t`` rows only; command tags (``BEGIN``, ``UPDATE 1``, ``COMMIT``)
unless ``-q``; ``ERROR:  ...`` on stderr. With ``ON_ERROR_STOP=1`` the first error ends
psql with exit 3 (an open transaction is lost); without it psql goes on and exits 0.
Connecting fails (exit 2) while ``vmware-vpostgres`` is not running, and for another
database or user. ``settings.vcdb_fail_ext``: an UPDATE of that extension fails. The SQL
the fake understands is in :mod:`vcfix.lab.vcdb`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from vcfix.lab import state as lab_state
from vcfix.lab import vcdb
from vcfix.lab.fakes.common import FakeError, error, fake_tool, load_state, out, service_running

TOOL = "psql"
NO_SERVER = ("psql: error: could not connect to server: No such file or directory\n"
             "\tIs the server running locally and accepting\n"
             '\tconnections on Unix domain socket "/var/run/vpostgres/.s.PGSQL.5432"?')
MAX_SCRIPT = 1024 * 1024


class Options:
    def __init__(self, argv: Sequence[str]) -> None:
        self.database = self.user = ""
        self.command: Optional[str] = None
        self.variables: Dict[str, str] = {}
        self.tuples_only = self.unaligned = self.quiet = False
        items = list(argv)
        while items:
            item = items.pop(0)
            if item in ("-d", "-U", "-v", "-c"):
                if not items:
                    raise FakeError(f"psql: error: option requires an argument -- '{item[1]}'",
                                    1)
                value = items.pop(0)
                if item == "-d":
                    self.database = value
                elif item == "-U":
                    self.user = value
                elif item == "-c":
                    self.command = value
                else:
                    name, _, setting = value.partition("=")
                    self.variables[name] = setting
            elif item.startswith("-") and not item.startswith("--") and set(item[1:]) <= set(
                    "tAqX"):
                self.tuples_only |= "t" in item
                self.unaligned |= "A" in item
                self.quiet |= "q" in item
            elif item in ("--tuples-only", "--no-align", "--quiet", "--no-psqlrc"):
                self.tuples_only |= item == "--tuples-only"
                self.unaligned |= item == "--no-align"
                self.quiet |= item == "--quiet"
            else:
                raise FakeError(f"psql: error: invalid option -- '{item}'\n"
                                "Try \"psql --help\" for more information.", 1)


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    opts = Options(argv)
    state = load_state(lab_root)
    if not service_running(state, "vmware-vpostgres"):
        raise FakeError(NO_SERVER, 2)
    if opts.database != "VCDB":
        raise FakeError(f'psql: error: FATAL:  database "{opts.database or "root"}" does '
                        "not exist", 2)
    if opts.user != "postgres":
        raise FakeError(f'psql: error: FATAL:  role "{opts.user or "root"}" does not exist', 2)
    script = opts.command if opts.command is not None else sys.stdin.read(MAX_SCRIPT)
    stop = opts.variables.get("ON_ERROR_STOP", "") in ("1", "on", "true")
    with lab_state.transaction(lab_root) as live:
        fail = lab_state.setting(live, "vcdb_fail_ext")
        results, errors, stopped = vcdb.run_script(live, script, stop_on_error=stop,
                                                   fail_ext=fail)
    lines: List[str] = []
    for result in results:
        lines += vcdb.format_result(result, tuples_only=opts.tuples_only,
                                    unaligned=opts.unaligned, quiet=opts.quiet)
    if lines:
        out("\n".join(lines) + "\n")
    for text in errors:
        error(f"psql:<stdin>:1: {text}" if opts.command is None else text)
    return 3 if stopped else 0
