"""Stopping and starting every service with service-control, with progress.

``service-control --start/--stop --all`` runs under a detached supervisor
(:func:`vcfix.fix.jobs.launch`): a dropped session or a killed vcfix does not stop it
half-way. Its lines are followed from the job's output file; during a silence
``on_wait`` is called every :data:`WAIT_SHOW` seconds. A failure names the services
from the tool's JSON error, which may be spread over many lines.
"""

from __future__ import annotations

import codecs
import json
import re
import signal
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, List, Optional

from vcfix import clock
from vcfix.appliance.runner import Runner, display, tail
from vcfix.errors import VcfixError
from vcfix.fix.jobs import launch
from vcfix.fix.rundir import RunDir
from vcfix.fix.waiting import Waiting

RESTART_TIMEOUT = 1800.0  # starting everything takes minutes; give it half an hour
WAIT_SHOW = 10.0
POLL = 0.1
_OPERATION = re.compile(r"Performing\s+(start|stop)\s+operation\s+on\s+(service|profile)\s*:?"
                        r"\s*(\S+?)\.*$", re.IGNORECASE)
_DONE = re.compile(r"Successfully\s+(started|stopped)\s+service\s+(\S+)", re.IGNORECASE)
_FAILED = re.compile(r"Service-control\s+failed\.\s*Error:?\s*(.*)", re.IGNORECASE)
_NAMED = re.compile(r"Failed\s+to\s+(?:start|stop)\s+(.+?)\s+services?\b", re.IGNORECASE)


@dataclass
class ServiceResult:
    ok: bool
    action: str
    failed_service: Optional[str] = None  # the names of failed_services, joined
    error: str = ""
    last_lines: List[str] = field(default_factory=list)
    failed_services: List[str] = field(default_factory=list)


def _strings(blob: Any) -> Iterator[str]:
    if isinstance(blob, str):
        yield blob
    elif isinstance(blob, dict):
        for value in blob.values():
            yield from _strings(value)
    elif isinstance(blob, list):
        for value in blob:
            yield from _strings(value)


def _named(blob: Any) -> List[str]:
    """``Failed to start eam, vsphere-ui services`` in any string of the error, else the
    first argument of its first detail."""
    for text in _strings(blob):
        found = _NAMED.search(text)
        if found:
            return [n.strip() for n in re.split(r",|\band\b", found.group(1)) if n.strip()]
    try:
        args = blob["detail"][0]["args"]
        return [str(args[0])] if args else []
    except (KeyError, IndexError, TypeError):
        return []


def failed_services(output: str) -> List[str]:
    """The services a failed service-control run names: from its JSON error (on one line or
    many) when it has one, else the last service it was working on."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        found = _FAILED.search(line)
        if not found:
            continue
        rest = "\n".join([found.group(1), *lines[index + 1:]])
        try:
            blob, _ = json.JSONDecoder().raw_decode(rest[rest.index("{"):])
        except ValueError:
            blob = None
        names = _named(blob) or _named(rest)
        if names:
            return names
    current = None
    for line in lines:
        operation = _OPERATION.search(line.strip())
        if operation and operation.group(2).lower() == "service":
            current = operation.group(3)
        elif _DONE.search(line):
            current = None
    return [current] if current else []


def failed_service(output: str) -> Optional[str]:
    """:func:`failed_services`, joined (None when it names none)."""
    return ", ".join(failed_services(output)) or None


def run_all(runner: Runner, action: str, on_progress: Callable[[str], None],
            timeout: float = RESTART_TIMEOUT, *, rundir: RunDir,
            on_wait: Optional[Callable[[Waiting], None]] = None) -> ServiceResult:
    """``service-control --<action> --all`` under a supervisor; judged by exit status AND
    text."""
    argv = runner.argv("service-control", [f"--{action}", "--all"])
    job = launch(rundir.path, f"service-control-{action}", argv, pty=False,
                 appliance=runner.appliance)
    rundir.event("job_started", job=job.path.name, command=display(argv))
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    begin = last = time.monotonic()
    lines: List[str] = []
    partial, phase, shown = "", "", 0
    while True:
        ended = job.ended or not job.supervisor_alive()
        data = job.read_new()
        if data:
            *complete, partial = (partial + decoder.decode(data)).split("\n")
            for line in complete:
                lines.append(line + "\n")
                operation = _OPERATION.search(line.strip())
                if operation:
                    phase = " ".join(operation.group(1, 3)).lower()
                    on_progress(phase if operation.group(2).lower() == "service"
                                else f"{phase} (profile)")
            last, shown = time.monotonic(), 0
            continue
        if ended:
            break
        quiet, elapsed = time.monotonic() - last, time.monotonic() - begin
        if elapsed > timeout:
            job.kill(signal.SIGKILL)
            job.reap()
            raise VcfixError(f"'{display(argv)}' did not finish within {timeout:g} s",
                             details=tail("".join(lines)))
        if on_wait is not None and quiet >= WAIT_SHOW * (shown + 1):
            shown = int(quiet // WAIT_SHOW)
            on_wait(Waiting("service-control", elapsed, quiet, phase, timeout, timeout,
                            clock.now()))
        time.sleep(POLL)
    job.reap()
    stdout = "".join(lines) + partial
    status = job.status()
    code = status.get("exit_status")
    rundir.event("job_ended", job=job.path.name, exit_status=code, signal=status.get("signal"))
    rundir.command(display(argv), code if isinstance(code, int) else -1, stdout, keep=True)
    failed = bool(_FAILED.search(stdout)) or code != 0
    if not failed:
        return ServiceResult(True, action)
    error = next((m.group(0) for m in map(_FAILED.search, stdout.splitlines()) if m),
                 f"exit code {code}")
    names = failed_services(stdout)
    return ServiceResult(False, action, ", ".join(names) or None, error, tail(stdout, 12), names)
