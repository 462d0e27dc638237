"""Benchmark: remote mode over a fleet of lab appliances behind a real sshd.

Builds N labs (default 20, scenario ``outage``) and starts the test suite's sshd on
127.0.0.1 (tests/remote/sshd.py: throwaway keys, pinned host key, its log in VERBOSE),
then times, with every fake vendor call taking VCFIX_LAB_LATENCY_MS (default 200; the
SSH transport passes it to the lab tools on the target):

* local:  ``vcfix --root LAB01 diagnose --json`` (no SSH at all),
* one:    ``vcfix --host root@127.0.0.1:PORT --root LAB01 diagnose --json``,
* fleet:  ``vcfix diagnose --hosts-file HOSTS --json``, the N labs, one ``TARGET ROOT``
  line each (vcfix's default ``--parallel``, 8, unless ``--parallel`` is given),

and counts the SSH authentications of each run (``Accepted publickey`` lines in sshd's
log). Targets: fleet <= 3 x one; one <= 1.5 x local; authentications = hosts (one
connection per host, reused for every call). Prints a table; exits 1 when a target is
missed. Run: ``python benchmarks/fleet.py`` (root, or a user who may run sshd).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.remote.sshd, vcfix

from tests.remote.sshd import Sshd  # noqa: E402
from vcfix.lab.build import create_lab  # noqa: E402

VCFIX = [sys.executable, "-m", "vcfix"]


class Run(NamedTuple):
    wall: float  # seconds
    auths: int  # SSH authentications sshd accepted
    jump_cpu: float  # CPU seconds of vcfix and its ssh clients (the jump host's share)
    appliance_cpu: float  # CPU seconds of sshd's sessions and the lab tools (the appliances')


def sshd_cpu(server: Sshd) -> float:
    """CPU seconds of the sshd listener and every session it has reaped (with their
    shells and lab tools), from /proc: utime, stime, cutime, cstime."""
    assert server.proc is not None
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict[str, str], server: Sshd) -> Run:
    """One run (a verdict exit 0-2 expected), measured."""
    before = (server.authentications(), children_cpu(), sshd_cpu(server))
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=900)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1, 2):
        sys.exit(f"{' '.join(cmd[2:])} failed ({proc.returncode}): "
                 f"{proc.stderr.decode(errors='replace')[-800:]}")
    deadline = time.monotonic() + 10
    while server.sessions() and time.monotonic() < deadline:
        time.sleep(0.1)  # every connection closed: its CPU is counted, its log written
    return Run(elapsed, server.authentications() - before[0], children_cpu() - before[1],
               sshd_cpu(server) - before[2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=None,
                        help="vcfix diagnose --parallel N for the fleet (default: vcfix's)")
    parser.add_argument("--scenario", default="outage")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vcfix-fleet-") as tmp:
        base = Path(tmp)
        labs = [create_lab(base / f"vcsa{i:02d}", args.scenario,
                           pnid=f"vcsa{i:02d}.lab.example") for i in range(1, args.hosts + 1)]
        server = Sshd(base / "sshd", max_sessions=64).start()
        try:
            hosts_file = base / "hosts"
            hosts_file.write_text("".join(f"{server.target} {lab}\n" for lab in labs))
            env = {k: v for k, v in os.environ.items() if not k.startswith("VCFIX_")}
            env["VCFIX_LAB_LATENCY_MS"] = str(args.latency_ms)
            ssh = ["--ssh-config", str(server.ssh_config)]
            commands = {
                "local": [*VCFIX, "--root", str(labs[0]), "diagnose", "--json"],
                "one": [*VCFIX, *ssh, "--host", server.target, "--root", str(labs[0]),
                        "diagnose", "--json"],
                "fleet": [*VCFIX, *ssh, "diagnose", "--hosts-file", str(hosts_file), "--json",
                          *(["--parallel", str(args.parallel)] if args.parallel else [])],
            }
            runs: dict[str, list[Run]] = {name: [] for name in commands}
            for _ in range(args.rounds):
                for name, cmd in commands.items():
                    runs[name].append(timed(cmd, env, server))
        finally:
            server.stop()
    return report(args, runs)


def report(args: argparse.Namespace, runs: dict[str, list[Run]]) -> int:
    def med(name: str, field: str) -> float:
        return statistics.median(getattr(r, field) for r in runs[name])

    auths = {name: sorted({r.auths for r in got}) for name, got in runs.items()}
    want_auths = {"local": [0], "one": [1], "fleet": [args.hosts]}
    cores = os.cpu_count() or 1
    print(f"lab scenario {args.scenario}, VCFIX_LAB_LATENCY_MS={args.latency_ms}, "
          f"{args.rounds} rounds (median), parallel {args.parallel or 'default (8)'}, "
          f"{cores} cores")
    print(f"  {'run':<28} {'wall':>8} {'SSH auths':>9} {'CPU jump host':>14} "
          f"{'CPU appliances':>15}")
    labels = {"local": "local diagnose (no SSH)", "one": "one remote host",
              "fleet": f"{args.hosts} hosts (--hosts-file)"}
    for name, label in labels.items():
        shown = ",".join(str(a) for a in auths[name])
        print(f"  {label:<28} {med(name, 'wall'):7.2f}s {shown:>9} "
              f"{med(name, 'jump_cpu'):13.2f}s {med(name, 'appliance_cpu'):14.2f}s")
    fleet_ratio = med("fleet", "wall") / med("one", "wall")
    one_ratio = med("one", "wall") / med("local", "wall")
    auths_ok = auths == want_auths
    floor = med("fleet", "appliance_cpu") / cores
    print(f"  fleet / one : {fleet_ratio:5.2f} (target <= 3.00)")
    print(f"  one / local : {one_ratio:5.2f} (target <= 1.50)")
    print(f"  authentications = hosts: {'yes' if auths_ok else 'NO'} "
          f"(fleet {auths['fleet']}, one {auths['one']}, local {auths['local']})")
    print(f"  the {args.hosts} simulated appliances' own CPU alone needs >= {floor:.1f} s "
          f"on {cores} cores ({floor / med('one', 'wall'):.1f} x one host)")
    return 0 if fleet_ratio <= 3 and one_ratio <= 1.5 and auths_ok else 1

if __name__ == "__main__":
    sys.exit(main())
