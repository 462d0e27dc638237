"""Benchmark: how fast ``python3 vcfix.pyz --version`` and ``--help`` answer once unpacked.

Target (issue 9): under 0.5 s each once the bundle's cache exists, and a file of at most
25 MB. Uses ``dist/vcfix.pyz`` (``scripts/build-bundle`` writes it; ``--build`` runs it
first), a throwaway HOME whose cache is warmed by one run, then times ``--rounds`` runs of
each command and prints the median and the worst, beside ``python3 -c pass`` (the
interpreter's own start-up, which the bundle cannot beat). Exit 1 when a median misses
the target. Run: ``python benchmarks/bundle_startup.py [--build] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUNDLE = REPO / "dist" / "vcfix.pyz"
TARGET_S = 0.5
MAX_BYTES = 25 * 1024 * 1024


def timed(argv: list[str], env: dict[str, str], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="run scripts/build-bundle first")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if args.build or not BUNDLE.exists():
        subprocess.run([str(REPO / "scripts" / "build-bundle")], check=True)
    size = BUNDLE.stat().st_size
    print(f"{BUNDLE}: {size / 1024 / 1024:.1f} MB (limit 25 MB)")
    missed = size > MAX_BYTES
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, HOME=home)
        env.pop("PYTHONPATH", None)
        subprocess.run([sys.executable, str(BUNDLE), "--version"], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # first run: unpacks into the cache
        base = statistics.median(timed([sys.executable, "-c", "pass"], env, args.rounds))
        print(f"python3 -c pass            median {base:.3f} s")
        for flag in ("--version", "--help"):
            times = timed([sys.executable, str(BUNDLE), flag], env, args.rounds)
            median = statistics.median(times)
            verdict = "ok" if median < TARGET_S else "MISSED"
            print(f"python3 vcfix.pyz {flag:<9} median {median:.3f} s, worst {max(times):.3f} s"
                  f"  (target < {TARGET_S} s: {verdict})")
            missed = missed or median >= TARGET_S
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
