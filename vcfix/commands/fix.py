"""``vcfix fix``: run the remediation plan (interactive, dry-run, or unattended)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List

from vcfix.commands import seconds
from vcfix.errors import EXIT_USAGE, VcfixError

STEP_NAMES = ("sts", "machine-ssl", "solution-users", "reset-all", "data-encipherment",
              "clean-crls", "extension-thumbprints")
MAX_TIMEOUT = 86400.0  # a day
MAX_STEP_TIMEOUT = 7 * 86400.0  # a week


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "fix",
        parents=[common],
        help="run the plan: fixsts, certificate-manager options 3, 6, 8, data-encipherment, "
        "clean-crls",
        description="Diagnose, show the plan, then run its steps in order, answering the vendor "
        "tools' prompts. Interactive on a terminal; unattended with --answers. Exit codes: 0 "
        "fixed and verified, 1 a step failed or the fix did not verify, 2 invalid usage or "
        "answer file, 4 a missing answer, 130 interrupted.",
    )
    parser.add_argument("--answers", type=Path, metavar="FILE",
                        help="answer file (YAML): unattended, never prompts")
    parser.add_argument("--yes", action="store_true", help="accept the step confirmations")
    parser.add_argument("--dry-run", action="store_true",
                        help="show the plan and each step's dialog; change nothing")
    parser.add_argument("--steps", type=_steps, metavar="LIST",
                        help=f"run only these planned steps (comma separated: "
                        f"{', '.join(STEP_NAMES)})")
    parser.add_argument("--state-dir", type=Path, metavar="DIR",
                        help="where run directories and the lock live "
                        "(default: var/lib/vcfix under the root)")
    parser.add_argument("--prompt-timeout", type=seconds(MAX_TIMEOUT), metavar="S", default=None,
                        help="stop when the tool waits at an unrecognised prompt this long "
                        "(default 30)")
    parser.add_argument("--step-timeout", type=seconds(MAX_STEP_TIMEOUT), metavar="S",
                        default=None,
                        help="give up on a step that has not finished after S seconds "
                        "(default: the playbook's, e.g. 2400 for option 3)")
    parser.set_defaults(func=run)


def _steps(text: str) -> List[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in STEP_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown step {', '.join(unknown) or '(none)'}; choose from {', '.join(STEP_NAMES)}")
    return names


def run(args: argparse.Namespace) -> int:
    from vcfix.answers.answer_file import Answers, load_answer_file
    from vcfix.appliance.connect import connected
    from vcfix.commands import reach
    from vcfix.fix.run import FixOptions, run_fix
    from vcfix.ui.prompts import make_prompter
    from vcfix.ui.style import Style, use_color

    for flag, value in (("--prompt-timeout", args.prompt_timeout),
                        ("--step-timeout", args.step_timeout)):
        if value is not None and value <= 0:
            raise VcfixError(f"{flag} must be more than 0 seconds", exit_code=EXIT_USAGE)
    answers = load_answer_file(args.answers) if args.answers else Answers()
    steps = args.steps
    if steps is None and args.answers and answers.steps != "auto":
        steps = list(answers.steps)
    prompter = make_prompter(unattended=args.answers is not None, assume_yes=args.yes)
    if len(args.hosts) > 1:
        raise VcfixError("vcfix fix acts on one appliance at a time; give one --host",
                         exit_code=EXIT_USAGE)
    options = FixOptions(
        command_line=command_line(args),
        root=args.root, answers=answers, prompter=prompter,
        style=Style(use_color(sys.stdout, args.no_color)), steps=steps,
        dry_run=args.dry_run, state_dir=args.state_dir, prompt_timeout=args.prompt_timeout,
        step_timeout=args.step_timeout,
    )
    target = args.hosts[0] if args.hosts else None
    with connected(args.root, target, reach(args, unattended=args.answers is not None)) as app:
        options.appliance = app
        return run_fix(options)


def command_line(args: argparse.Namespace) -> str:
    """The command as given, rebuilt from its options (vcfix takes no secret on it)."""
    words = ["vcfix"]
    if getattr(args, "hosts", None):
        words += ["--host", str(args.hosts[0])]
    if str(args.root) != "/":
        words += ["--root", str(args.root)]
    words.append("fix")
    for flag, value in (("--answers", args.answers), ("--steps", ",".join(args.steps or [])),
                        ("--state-dir", args.state_dir),
                        ("--prompt-timeout", args.prompt_timeout),
                        ("--step-timeout", args.step_timeout)):
        if value:
            words += [flag, str(value)]
    words += [flag for flag, on in (("--yes", args.yes), ("--dry-run", args.dry_run)) if on]
    return " ".join(words)
