"""``vcfix lab``: build simulated appliances for rehearsals and tests.

``vcfix lab create DIR --scenario NAME`` lays out a simulated VCSA under DIR;
``vcfix lab scenarios`` lists the scenarios; ``vcfix lab set DIR KEY=VALUE...``
sets a lab's failure-injection settings. See docs/lab.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any, Dict, List, Tuple

from vcfix.errors import EXIT_OK, EXIT_USAGE, VcfixError
from vcfix.lab import state as lab_state
from vcfix.lab.elm import ELM_SCENARIOS
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
    create.add_argument("--scenario", required=True, choices=[*SCENARIOS, *ELM_SCENARIOS],
                        metavar="NAME", help="what is broken (see 'vcfix lab scenarios')")
    create.add_argument("--nodes", type=int, choices=(2, 3), default=None,
                        help="ELM (elm-*) scenarios only: number of nodes (default 2)")
    create.add_argument("--version", dest="lab_version", choices=VERSIONS, default=None,
                        help="vCenter version (default 7.0; 6.7 for --node-type management "
                             "and the elm-* scenarios)")
    create.add_argument("--pnid", default="vcsa01.lab.example",
                        help="the appliance's FQDN (default vcsa01.lab.example)")
    create.add_argument("--node-type", choices=NODE_TYPES, default="embedded",
                        help="embedded, or management (vCenter with an external PSC)")
    create.add_argument("--force", action="store_true",
                        help="build into a non-empty folder that is not a lab")
    actions.add_parser("scenarios", parents=[parent], help="list the lab scenarios")
    settings = actions.add_parser(
        "set", parents=[parent], help="set a lab's failure-injection settings",
        description="Set failure-injection settings of the lab in DIR (KEY= resets KEY to its "
                    "default). Without KEY=VALUE, print the current settings.",
        epilog=settings_help(), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    settings.add_argument("directory", metavar="DIR", type=Path, help="the lab's folder")
    settings.add_argument("assignments", metavar="KEY=VALUE", nargs="*",
                          help="a setting and its value")


def run(args: argparse.Namespace) -> int:
    command = getattr(args, "lab_command", None)
    if command == "scenarios":
        for line in scenario_lines():
            print(line)
        return EXIT_OK
    if command == "create":
        return _create(args)
    if command == "set":
        return _set(args)
    args.lab_parser.print_help()
    return EXIT_USAGE


def scenario_lines() -> List[str]:
    width = max(len(name) for name in [*SCENARIOS, *ELM_SCENARIOS]) + 2
    return [f"{name.ljust(width)}{s.description}" for name, s in SCENARIOS.items()] + [
        f"{name.ljust(width)}{s.description}" for name, s in ELM_SCENARIOS.items()]


def _create(args: argparse.Namespace) -> int:
    from vcfix import clock
    from vcfix.lab import state as lab_state
    from vcfix.lab.build import create_lab
    from vcfix.lab.fakes import FAKES

    if args.scenario in ELM_SCENARIOS:
        return _create_elm(args)
    if args.nodes is not None:
        raise VcfixError("--nodes applies to the ELM (elm-*) scenarios only",
                         exit_code=EXIT_USAGE)
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


def _create_elm(args: argparse.Namespace) -> int:
    from vcfix.lab.elm_build import create_domain_lab, describe

    if args.node_type != "embedded" or args.pnid != "vcsa01.lab.example":
        raise VcfixError("ELM labs are embedded nodes named vcsa01, vcsa02...: --node-type "
                         "and --pnid do not apply", exit_code=EXIT_USAGE)
    roots = create_domain_lab(args.directory, args.scenario, nodes=args.nodes,
                              version=args.lab_version, force=args.force)
    for line in describe(args.directory, args.scenario, roots):
        print(line)
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


_KIND_HELP = {"bool": "true|false", "speed": "number >= 0", "percent": "0-99", "text": "text"}


def settings_help() -> str:
    lines = ["settings:"]
    for name, (kind, default, text) in lab_state.SETTINGS.items():
        shown = "unset" if default is None else json.dumps(default)
        lines.append(f"  {name}={_KIND_HELP[kind]} (default {shown})")
        lines.append(f"      {text}")
    return "\n".join(lines)


def parse_assignment(text: str) -> Tuple[str, Any]:
    """``KEY=VALUE`` -> (key, value); value None means "back to the default"."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or key not in lab_state.SETTINGS:
        known = ", ".join(lab_state.SETTINGS)
        raise VcfixError(f"vcfix lab set: {text!r} is not KEY=VALUE with a known key",
                         exit_code=EXIT_USAGE, hint=f"known keys: {known}")
    kind = lab_state.SETTINGS[key][0]
    if raw == "":
        return key, None
    value = _convert(kind, raw.strip() if kind != "text" else raw)
    if value is None:
        raise VcfixError(f"vcfix lab set: {key} needs {_KIND_HELP[kind]}, not {raw!r}",
                         exit_code=EXIT_USAGE)
    return key, value


def _convert(kind: str, raw: str) -> Any:
    if kind == "bool":
        lowered = raw.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        return False if lowered in ("false", "no", "off", "0") else None
    if kind == "speed":
        try:
            number = float(raw)
        except ValueError:
            return None
        return number if math.isfinite(number) and number >= 0 else None
    if kind == "percent":
        return int(raw) if raw.isdigit() and int(raw) <= 99 else None
    return raw


def _set(args: argparse.Namespace) -> int:
    root = Path(args.directory)
    if not lab_state.is_lab(root):
        raise VcfixError(f"{root} is not a vcfix lab (no {lab_state.state_path(root)})",
                         hint="make one with: vcfix lab create DIR --scenario NAME")
    changes = [parse_assignment(item) for item in args.assignments]
    with lab_state.transaction(root) as state:
        settings: Dict[str, Any] = state.setdefault("settings", {})
        for key, value in changes:
            if value is None:
                settings.pop(key, None)
            else:
                settings[key] = value
        current = dict(settings)
    for name, (_kind, default, _text) in lab_state.SETTINGS.items():
        value = current.get(name, default)
        origin = "" if name in current else "  (default)"
        print(f"{name} = {'unset' if value is None else json.dumps(value)}{origin}")
    return EXIT_OK
