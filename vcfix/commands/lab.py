"""``vcfix lab``: build simulated appliances for rehearsals and tests.

``vcfix lab create DIR --scenario NAME`` lays out a simulated VCSA under DIR;
``vcfix lab scenarios`` lists the scenarios. See docs/lab.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any, List

from vcfix.errors import EXIT_OK, EXIT_USAGE
from vcfix.lab.scenarios import (
    MACHINE_SSL,
    OTHER,
    ROOT,
    SCENARIOS,
    SOLUTION_USERS,
    STALE_ROOT,
    STS,
    Scenario,
)

VERSIONS = ("6.7", "7.0", "8.0")
NODE_TYPES = ("embedded", "management")
GROUP_LABELS = (
    (ROOT, "VMCA root"),
    (STALE_ROOT, "older root (stale)"),
    (MACHINE_SSL, "Machine SSL"),
    (SOLUTION_USERS, "solution users"),
    (STS, "STS signing"),
    (OTHER, "data-encipherment, SMS"),
)


def register(subparsers: Any, parent: argparse.ArgumentParser) -> None:
    lab = subparsers.add_parser(
        "lab", parents=[parent], help="build a simulated appliance (rehearsals, tests)",
        description="Build simulated vCenter appliances to rehearse and test vcfix on.",
    )
    lab.set_defaults(func=run, lab_parser=lab)
    actions = lab.add_subparsers(dest="lab_command", metavar="ACTION")
    create = actions.add_parser(
        "create", parents=[parent], help="build a lab appliance in a folder",
        description="Build a simulated VCSA under DIR: fake vendor tools at their real "
                    "paths, real certificates dated by the scenario.",
    )
    create.add_argument("directory", metavar="DIR", type=Path, help="folder for the lab")
    create.add_argument("--scenario", required=True, choices=list(SCENARIOS),
                        metavar="NAME", help="what is broken (see 'vcfix lab scenarios')")
    create.add_argument("--version", dest="lab_version", choices=VERSIONS, default=None,
                        help="vCenter version (default 7.0; 6.7 for --node-type management)")
    create.add_argument("--pnid", default="vcsa01.lab.example",
                        help="the appliance's FQDN (default vcsa01.lab.example)")
    create.add_argument("--node-type", choices=NODE_TYPES, default="embedded",
                        help="embedded, or management (vCenter with an external PSC)")
    create.add_argument("--force", action="store_true",
                        help="build into a non-empty folder that is not a lab")
    actions.add_parser("scenarios", parents=[parent], help="list the lab scenarios")


def run(args: argparse.Namespace) -> int:
    command = getattr(args, "lab_command", None)
    if command == "scenarios":
        for line in scenario_lines():
            print(line)
        return EXIT_OK
    if command == "create":
        return _create(args)
    args.lab_parser.print_help()
    return EXIT_USAGE


def scenario_lines() -> List[str]:
    width = max(len(name) for name in SCENARIOS) + 2
    return [f"{name.ljust(width)}{s.description}" for name, s in SCENARIOS.items()]


def _create(args: argparse.Namespace) -> int:
    from vcfix import clock
    from vcfix.lab import state as lab_state
    from vcfix.lab.build import create_lab
    from vcfix.lab.fakes import FAKES

    version = args.lab_version or ("6.7" if args.node_type == "management" else "7.0")
    now = clock.now()
    root = create_lab(args.directory, args.scenario, version=version, pnid=args.pnid,
                      node_type=args.node_type, now=now, force=args.force)
    state = lab_state.load(root)
    scenario = SCENARIOS[args.scenario]
    node = "embedded node" if args.node_type == "embedded" else \
        f"vCenter with external PSC {state['dc_name']}"
    print(f"Built a vcfix lab in {root}")
    print(f"  scenario      {scenario.name}: {scenario.description}")
    print(f"  appliance     vCenter {state['version_build']}, {node}, PNID {state['pnid']}, "
          f"SSO domain {state['domain']}")
    print(f"  fake tools    {', '.join(FAKES)} (at their appliance paths)")
    print(f"  certificates  (relative to {clock.iso(now)})")
    for line in certificate_lines(scenario, now):
        print(f"    {line}")
    print(f"  SSO user      {state['sso']['username']} (the lab password is in docs/lab.md)")
    if args.node_type == "management" and not version.startswith("6."):
        print(f"  note          vCenter {version} has no external PSC; this combination is "
              "for testing only")
    print(f"Next: vcfix --root {root} diagnose")
    return EXIT_OK


def certificate_lines(scenario: Scenario, now: dt.datetime) -> List[str]:
    lines = []
    for group, label in GROUP_LABELS:
        life = scenario.life(group)
        if life is None:
            continue
        _start, end = life.window(now)
        days = life.days_left
        status = f"{days} days left" if days >= 0 else f"EXPIRED {-days} days ago"
        lines.append(f"{label.ljust(24)}expires {end:%Y-%m-%d}  ({status})")
    return lines
