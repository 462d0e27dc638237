"""``vcfix answers template``: a commented answer file to start from."""

from __future__ import annotations

import argparse
import sys

from vcfix.errors import EXIT_OK, EXIT_USAGE


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("answers", parents=[common], help="answer files for unattended runs")
    actions = parser.add_subparsers(dest="answers_command", metavar="ACTION")
    actions.add_parser("template", parents=[common],
                       help="print a commented answer-file template (no secrets)")
    parser.set_defaults(func=run, answers_parser=parser)


def run(args: argparse.Namespace) -> int:
    from vcfix.answers.answer_file import template

    if args.answers_command == "template":
        sys.stdout.write(template())
        return EXIT_OK
    args.answers_parser.print_help(sys.stderr)
    return EXIT_USAGE
