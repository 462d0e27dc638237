"""One module per command; each has ``register(subparsers, parent)`` and ``run(args) -> int``.

:func:`seconds` is the argparse type of every duration option: a finite number above 0
and at most a sane maximum, else a usage error (exit 2).
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Callable

from vcfix.appliance.ssh.target import Reach


def seconds(maximum: float) -> Callable[[str], float]:
    """An argparse type: seconds, more than 0 and at most ``maximum`` (NaN, inf refused)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if not math.isfinite(value) or not 0 < value <= maximum:
            raise argparse.ArgumentTypeError(
                f"{text!r}: must be more than 0 and at most {maximum:g} seconds")
        return value
    return parse


def reach(args: argparse.Namespace, *, unattended: bool = False) -> Reach:
    """How to reach ``--host`` targets: ssh may ask for a password or OTP only on a terminal
    and never in an unattended run (then a host that would ask is an error)."""
    batch = unattended or not (sys.stdin.isatty() and sys.stderr.isatty())
    return Reach(ssh_config=getattr(args, "ssh_config", None), batch=batch)
