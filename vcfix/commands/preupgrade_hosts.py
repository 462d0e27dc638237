"""``vcfix preupgrade`` over every node of an SSO domain in one command (two ``--host`` or
more, ``--hosts-file``): the same verdict, output and exit codes as ``--merge`` of the
nodes' snapshots.

The SSO password is asked once (or taken from the answer file) before any node is
reached. It is tried on one node first; only when that node accepted it are the others
read, together: a refused password is never sent to another node (repeated failures can
lock the administrator account). A node that cannot be reached or read is listed with
its reason, and counts as not determined (the verdict is never SAFE without it).
``--save-dir DIR`` keeps each node's snapshot as ``DIR/<node>.json`` (0600 files).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from vcfix.appliance.paths import Appliance
from vcfix.appliance.ssh.hosts_file import HostEntry
from vcfix.commands import reach
from vcfix.commands.fleet import Outcome, Stop, over_hosts
from vcfix.commands.hosts import DEFAULT_PARALLEL, entries
from vcfix.errors import EXIT_UNKNOWN, EXIT_USAGE, VcfixError
from vcfix.preupgrade.collect import Credentials, PasswordRefused, collect_node
from vcfix.preupgrade.snapshot import NodeSnapshot, host_key
from vcfix.redact import escape_controls

NotReached = Dict[str, str]


def collect_hosts(args: argparse.Namespace, credentials: Credentials, resample: float,
                  check_node: Callable[[Appliance], None], save_dir: Optional[Path]
                  ) -> Tuple[List[NodeSnapshot], List[NotReached], List[str]]:
    """Read every node of ``args``' targets with ``credentials`` (``check_node`` first
    refuses an appliance that holds no directory replica), save the snapshots to
    ``save_dir``; return (the snapshots, the nodes not reached as JSON items, the same
    as "not determined" lines for the verdict)."""
    nodes = entries(args)

    def work(entry: HostEntry, appliance: Appliance) -> NodeSnapshot:
        check_node(appliance)
        try:
            return collect_node(appliance, credentials, resample_after=resample,
                                on_wait=lambda behind, pause: _waiting(entry, behind, pause))
        except PasswordRefused as exc:
            raise Stop(exc) from exc

    try:
        outcomes = over_hosts(nodes, reach(args, unattended=args.answers is not None), work,
                              parallel=DEFAULT_PARALLEL, first_alone=True)
    except Stop as stop:
        raise stop.error from None
    failed = [o for o in outcomes if o.value is None]
    snapshots = _distinct(outcomes)
    if not snapshots:
        raise VcfixError("no node of the domain could be checked", exit_code=EXIT_UNKNOWN,
                         details=[f"{o.entry.label}: {o.error}" for o in failed])
    if save_dir is not None:
        for snapshot in snapshots:
            path = save_dir / f"{file_name(snapshot.host)}.json"
            snapshot.save(path)
            print(escape_controls(f"vcfix: snapshot of {snapshot.host} saved to {path}"),
                  file=sys.stderr)
    return (snapshots, [not_reached(o) for o in failed],
            [f"{o.entry.label}: not checked: {o.error}" for o in failed])


def not_reached(outcome: Outcome[NodeSnapshot]) -> NotReached:
    item = {"host": str(outcome.entry.target)}
    if outcome.entry.root is not None:
        item["root"] = str(outcome.entry.root)
    item["error"] = outcome.error or "not reached"
    return item


def _distinct(outcomes: Sequence[Outcome[NodeSnapshot]]) -> List[NodeSnapshot]:
    """The snapshots; a usage error when two targets reached the same node."""
    seen: Dict[str, HostEntry] = {}
    snapshots: List[NodeSnapshot] = []
    for outcome in outcomes:
        if outcome.value is None:
            continue
        key = host_key(outcome.value.host)
        if key in seen:
            raise VcfixError(escape_controls(
                f"{seen[key].label} and {outcome.entry.label} are the same node "
                f"({outcome.value.host}): list each node of the domain once"),
                exit_code=EXIT_USAGE)
        seen[key] = outcome.entry
        snapshots.append(outcome.value)
    return snapshots


def file_name(host: str) -> str:
    """A node name as a file name: ``vcsa01.corp.example``; other characters become ``_``."""
    return re.sub(r"[^a-z0-9._-]", "_", host_key(host)).lstrip(".") or "node"


def save_dir(path: Path) -> Path:
    """``--save-dir``: an existing folder, or a new private one in an existing folder."""
    if not path.is_dir():
        try:
            path.mkdir(mode=0o700)
        except OSError as exc:
            raise VcfixError(f"--save-dir {path}: cannot make the folder: {exc.strerror}",
                             exit_code=EXIT_USAGE) from None
    return path


def _waiting(entry: HostEntry, behind: List[str], seconds: float) -> None:
    print(escape_controls(f"vcfix: {entry.label}: {', '.join(behind)} behind on this node's "
                          f"changes; looking again in {seconds:.0f} s (--resample-after)"),
          file=sys.stderr, flush=True)
