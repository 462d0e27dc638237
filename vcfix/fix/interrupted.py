"""Finding a fix run that ended without its final record, and saying what it left.

Every run writes ``run_finished`` last (in a ``finally``); a run directory without it
was killed (``kill -9``, a reboot, a crash of Python itself). :func:`find_unfinished`
finds the newest such run that no later ``vcfix fix`` has acknowledged (it writes
``interrupted.json`` into it), reads its events and the status of its supervised tools
(:mod:`vcfix.fix.jobs`), and :func:`render` says which step was running and how each
tool ended, or that it is still running. ``vcfix diagnose`` and ``vcfix fix`` show it
before anything else; ``vcfix fix`` refuses to start while such a tool still runs.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from vcfix import clock
from vcfix.appliance.jobs import JobHandle
from vcfix.appliance.lock import LOCK_NAME
from vcfix.appliance.parsers.service_control import parse_status
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.errors import VcfixError
from vcfix.fix.jobs import output_tail, read_jobs
from vcfix.fix.rundir import EVENTS

ACKNOWLEDGED = "interrupted.json"


@dataclass
class Unfinished:
    path: Path
    started: str
    steps: List[str]
    running_step: Optional[str]
    last_event: str
    jobs: List[JobHandle] = field(default_factory=list)

    @property
    def still_running(self) -> List[JobHandle]:
        return [job for job in self.jobs if job.running]


def read_events(run: Path) -> List[Dict[str, Any]]:
    try:
        text = (run / EVENTS).read_text(encoding="utf-8")
    except OSError:
        return []
    events = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by the kill
        if isinstance(record, dict):
            events.append(record)
    return events


def fix_running(state_dir: Path) -> bool:
    """Whether a ``vcfix fix`` holds the lock now (its run is not interrupted, just busy)."""
    try:
        fd = os.open(Path(state_dir) / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def running_step(events: List[Dict[str, Any]]) -> Optional[str]:
    """The step started last and not finished yet."""
    current = None
    for event in events:
        if event.get("event") == "step_started":
            current = event.get("step")
        elif event.get("event") in ("step_finished", "step_declined") and event.get("step"):
            current = None
    return str(current) if current else None


def find_unfinished(state_dir: Path, appliance: Optional[Appliance] = None
                    ) -> Optional[Unfinished]:
    """The newest run without its end record (``appliance``: where its jobs ran)."""
    runs = Path(state_dir) / "runs"
    if not runs.is_dir() or fix_running(Path(state_dir)):
        return None
    for run in sorted((p for p in runs.iterdir() if p.is_dir()), reverse=True):
        events = read_events(run)
        if any(e.get("event") == "run_finished" for e in events):
            return None  # the newest finished run: older ones were seen by it
        if (run / ACKNOWLEDGED).exists() or not events:
            continue
        started = next((e for e in events if e.get("event") == "run_started"), {})
        return Unfinished(run, str(events[0].get("time", "")),
                          [str(s) for s in started.get("steps", [])], running_step(events),
                          str(events[-1].get("event", "")), read_jobs(run, appliance))
    return None


def describe_job(job: JobHandle) -> str:
    status = job.status()
    if job.running:
        return (f"{job.command}: STILL RUNNING (pid {status.get('tool_pid')}); its output: "
                f"{job.path / 'output.log'}")
    if status.get("ended"):
        how = (f"exit status {status['exit_status']}" if status.get("exit_status") is not None
               else f"signal {status.get('signal')}")
        return f"{job.command}: ended at {status['ended']} with {how}"
    return (f"{job.command}: its supervisor is gone without recording the end (the machine "
            "restarted?): it may have been stopped half-way")


def render(found: Unfinished) -> List[str]:
    lines = [f"The last vcfix fix did not finish: run directory {found.path} (started "
             f"{found.started}) has no final record; vcfix was killed or the machine "
             "restarted."]
    if found.steps:
        lines.append(f"  planned steps: {', '.join(found.steps)}")
    step = found.running_step
    lines.append(f"  step running: {step}" if step else
                 f"  no step was running (last record: {found.last_event})")
    for job in found.jobs:
        lines.append(f"  {describe_job(job)}")
        lines += [f"    | {line}" for line in output_tail(job)]
    if found.still_running:
        lines.append("  Wait for it to finish before anything else (vcfix fix refuses to start "
                     "meanwhile).")
    return lines


def services_now(runner: Runner) -> str:
    """One line: how many services run now, and which do not."""
    command = "service-control --status --all"
    try:
        done = runner.run("service-control", ["--status", "--all"], check=False, timeout=60)
        sections = parse_status(done.stdout, command)
    except VcfixError as exc:
        return f"  services now: cannot tell ({exc.one_line()})"
    others = "; ".join(f"{state}: {' '.join(names)}" for state, names in sections.items()
                       if state != "Running" and names)
    return (f"  services now ({command}): {len(sections.get('Running', []))} running"
            + (f"; {others}" if others else ""))


def acknowledge(found: Unfinished) -> None:
    """Record that a later fix reported this run (it is then not reported again)."""
    record = {"time": clock.iso(clock.now()), "running_step": found.running_step,
              "jobs": [describe_job(job) for job in found.jobs]}
    fd = os.open(found.path / ACKNOWLEDGED, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2)


def report_unfinished(state_dir: Path, runner: Runner, say: Callable[[str], None], *,
                      acknowledging: bool) -> None:
    """Before anything else: what a killed earlier run left (refuse while its tool runs)."""
    found = find_unfinished(state_dir, runner.appliance)
    if found is None:
        return
    say("\n".join(render(found)))
    say(services_now(runner))
    say("  The diagnosis below shows the certificates as they are now.\n")
    running = found.still_running
    if running and acknowledging:
        raise VcfixError(f"{running[0].command} started by an earlier vcfix fix is still "
                         "running; vcfix does not start another change meanwhile",
                         hint=f"wait for it to finish (its output: {running[0].path}), "
                         "then run vcfix fix again")
    if acknowledging:
        acknowledge(found)
