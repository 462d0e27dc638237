"""``vcfix restore RUN_DIR``: put back what a ``vcfix fix`` run replaced, from its backup."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List

from vcfix.errors import EXIT_USAGE, VcfixError

PARTS = ("vecs", "sts", "vmca")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "restore",
        parents=[common],
        help="put back what a fix run replaced (VECS, STS, VMCA root), from its backup",
        description="Check the run directory's backup (complete, checksums), compare it with "
        "the appliance, show every command, and after a confirmation put back the VECS "
        "entries (TRUSTED_ROOTS republished to VMDIR), the STS entries fixsts.sh exported, and "
        "the VMCA root files; then restart every service and diagnose again. Exit codes: 0 "
        "restored (or nothing to restore), 1 refused, failed or not matching the run's "
        "diagnosis-before.json, 2 invalid usage, 4 a missing password or confirmation. "
        "By hand: docs/restore.md.",
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR",
                        help="the run directory vcfix fix printed (<state-dir>/runs/<time>)")
    parser.add_argument("--answers", type=Path, metavar="FILE",
                        help="answer file (sso.password, for dir-cli): unattended")
    parser.add_argument("--yes", action="store_true", help="accept the confirmation")
    parser.add_argument("--dry-run", action="store_true",
                        help="show every command; change nothing")
    parser.add_argument("--steps", type=_parts, metavar="LIST",
                        help=f"restore only these parts (comma separated: {', '.join(PARTS)})")
    parser.set_defaults(func=run)


def _parts(text: str) -> List[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in PARTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown part {', '.join(unknown) or '(none)'}; choose from {', '.join(PARTS)}")
    return names


def run(args: argparse.Namespace) -> int:
    from vcfix.answers.answer_file import Answers, load_answer_file
    from vcfix.appliance.connect import connected
    from vcfix.commands import reach
    from vcfix.fix.restore_run import RestoreOptions, run_restore
    from vcfix.ui.prompts import make_prompter

    answers = load_answer_file(args.answers) if args.answers else Answers()
    prompter = make_prompter(unattended=args.answers is not None, assume_yes=args.yes)
    if len(args.hosts) > 1:
        raise VcfixError("vcfix restore acts on one appliance; give one --host",
                         exit_code=EXIT_USAGE)
    target = args.hosts[0] if args.hosts else None
    with connected(args.root, target, reach(args, unattended=args.answers is not None)) as app:
        return run_restore(RestoreOptions(root=args.root, run_dir=args.run_dir,
                                          answers=answers, prompter=prompter,
                                          parts=args.steps or PARTS, dry_run=args.dry_run,
                                          appliance=app))
