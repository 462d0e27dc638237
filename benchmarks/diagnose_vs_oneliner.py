"""Benchmark: `vcfix diagnose` against the KB's vecs-cli one-liner on a slow lab.

Builds a lab (scenario `outage`), sets VCFIX_LAB_LATENCY_MS (default 200) so that
every fake vendor call takes that long, then times, over several rounds:

* vcfix: ``python -m vcfix --root LAB diagnose --json`` (VECS *and* STS), and
* the one-liner from the KB::

    for i in $(vecs-cli store list); do echo STORE $i;
      vecs-cli entry list --store $i --text | egrep "Alias|Not After"; done

It prints the median wall time of each, their ratio, and the number of vendor
processes each spawned (counted from the lab's calls.log). Target: vcfix at most
half the one-liner's time. Run: ``python benchmarks/diagnose_vs_oneliner.py``.
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

ONE_LINER = (
    'for i in $(vecs-cli store list); do echo STORE $i; '
    'vecs-cli entry list --store $i --text | egrep "Alias|Not After"; done'
)


def calls(lab: Path) -> int:
    log = lab / ".vcfix-lab" / "calls.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def timed(cmd: list[str], env: dict[str, str], lab: Path) -> tuple[float, int]:
    before = calls(lab)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1, 2):
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed, calls(lab) - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scenario", default="outage")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        lab = Path(tmp) / "lab"
        subprocess.run(
            [sys.executable, "-m", "vcfix", "lab", "create", str(lab), "--scenario", args.scenario],
            check=True, stdout=subprocess.DEVNULL,
        )
        env = dict(os.environ, VCFIX_LAB_LATENCY_MS=str(args.latency_ms))
        env["PATH"] = f"{lab}/usr/lib/vmware-vmafd/bin:{env['PATH']}"
        vcfix_cmd = [sys.executable, "-m", "vcfix", "--root", str(lab), "diagnose", "--json"]
        shell_cmd = ["bash", "-c", ONE_LINER]

        vcfix_runs, shell_runs = [], []
        for _ in range(args.rounds):
            vcfix_runs.append(timed(vcfix_cmd, env, lab))
            shell_runs.append(timed(shell_cmd, env, lab))

    v_time = statistics.median(t for t, _ in vcfix_runs)
    s_time = statistics.median(t for t, _ in shell_runs)
    print(f"lab scenario {args.scenario}, VCFIX_LAB_LATENCY_MS={args.latency_ms}, "
          f"{args.rounds} rounds (median)")
    print(f"  vcfix diagnose : {v_time:6.2f} s  {vcfix_runs[0][1]:3d} vendor processes "
          "(VECS + STS + services)")
    print(f"  KB one-liner   : {s_time:6.2f} s  {shell_runs[0][1]:3d} vendor processes "
          "(VECS only)")
    print(f"  ratio          : {v_time / s_time:6.2f} (target <= 0.50)")
    return 0 if v_time <= s_time / 2 else 1


if __name__ == "__main__":
    sys.exit(main())
