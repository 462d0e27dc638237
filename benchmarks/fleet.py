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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.remote.sshd, vcfix

from tests.remote.sshd import Sshd  # noqa: E402
from vcfix.lab.build import create_lab  # noqa: E402

VCFIX = [sys.executable, "-m", "vcfix"]


class ApplianceLikeSshd(Sshd):
    """The test sshd, but the commands it runs do not read root's ``~/.bashrc``.

    Debian's bash reads ``~/.bashrc`` for every command sshd runs (bash's
    SSH_SOURCE_BASHRC), and on a developer or CI machine root's ``~/.bashrc`` may start
    pyenv or nvm: 0.3-3 s per SSH command on a busy machine, which would measure this
    machine's shell set-up instead of vcfix (a VCSA's root has no such ``~/.bashrc``).
    ``SHLVL=1`` in the session environment (sshd's ``SetEnv``) makes bash skip it."""

    def _write_sshd_config(self) -> None:
        super()._write_sshd_config()
        config = self.base / "sshd_config"
        text = config.read_text()
        cut = text.find("Match ")
        config.write_text(text[:cut] + "SetEnv SHLVL=1\n" + text[cut:] if cut >= 0
                          else text + "SetEnv SHLVL=1\n")


def timed(cmd: list[str], env: dict[str, str], server: Sshd) -> tuple[float, int]:
    """Wall time and SSH authentications of one run (a verdict exit 0-2 expected)."""
    before = server.authentications()
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=900)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1, 2):
        sys.exit(f"{' '.join(cmd[2:])} failed ({proc.returncode}): "
                 f"{proc.stderr.decode(errors='replace')[-800:]}")
    time.sleep(0.2)  # let sshd finish writing its log
    return elapsed, server.authentications() - before


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
        server = ApplianceLikeSshd(base / "sshd", max_sessions=64).start()
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
            runs: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
            for _ in range(args.rounds):
                for name, cmd in commands.items():
                    runs[name].append(timed(cmd, env, server))
        finally:
            server.stop()

    median = {name: statistics.median(t for t, _ in got) for name, got in runs.items()}
    auths = {name: sorted({a for _, a in got}) for name, got in runs.items()}
    want_auths = {"local": 0, "one": 1, "fleet": args.hosts}
    rows = [
        ("local diagnose (no SSH)", "local", "1 lab"),
        ("one remote host", "one", "1 lab"),
        (f"fleet of {args.hosts} (--hosts-file)", "fleet", f"{args.hosts} labs"),
    ]
    print(f"lab scenario {args.scenario}, VCFIX_LAB_LATENCY_MS={args.latency_ms}, "
          f"{args.rounds} rounds (median), parallel {args.parallel or 'default (8)'}")
    print(f"  {'run':<30} {'what':>8} {'median':>8}  {'SSH auths':>9}")
    for label, name, what in rows:
        shown = ",".join(str(a) for a in auths[name])
        print(f"  {label:<30} {what:>8} {median[name]:7.2f}s  {shown:>9}")
    fleet_ratio = median["fleet"] / median["one"]
    one_ratio = median["one"] / median["local"]
    auths_ok = all(auths[name] == [want] for name, want in want_auths.items())
    print(f"  fleet / one   : {fleet_ratio:5.2f} (target <= 3.00)")
    print(f"  one / local   : {one_ratio:5.2f} (target <= 1.50)")
    print(f"  authentications = hosts: {'yes' if auths_ok else 'NO'} "
          f"(fleet {auths['fleet']}, one {auths['one']}, local {auths['local']})")
    return 0 if fleet_ratio <= 3 and one_ratio <= 1.5 and auths_ok else 1


if __name__ == "__main__":
    sys.exit(main())
