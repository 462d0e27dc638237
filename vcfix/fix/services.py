"""Stopping and starting every service with service-control, with progress."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from vcfix.appliance.runner import Runner, tail

RESTART_TIMEOUT = 1800.0  # starting everything takes minutes; give it half an hour
_OPERATION = re.compile(r"Performing\s+(start|stop)\s+operation\s+on\s+service\s+(\S+?)\.*$",
                        re.IGNORECASE)
_DONE = re.compile(r"Successfully\s+(started|stopped)\s+service\s+(\S+)", re.IGNORECASE)
_FAILED = re.compile(r"Service-control\s+failed\.\s*Error:?\s*(.*)", re.IGNORECASE)


@dataclass
class ServiceResult:
    ok: bool
    action: str
    failed_service: Optional[str] = None
    error: str = ""
    last_lines: List[str] = field(default_factory=list)


def failed_service(output: str) -> Optional[str]:
    """The service a failed service-control run names: from its JSON error blob when it has
    one, else the last service it was working on."""
    for line in output.splitlines():
        found = _FAILED.search(line)
        if not found:
            continue
        try:
            blob = json.loads(found.group(1))
            args = blob["detail"][0]["args"]
            if args:
                return str(args[0])
        except (ValueError, KeyError, IndexError, TypeError):
            pass
    current = None
    for line in output.splitlines():
        operation = _OPERATION.search(line.strip())
        if operation:
            current = operation.group(2)
        elif _DONE.search(line):
            current = None
    return current


def run_all(runner: Runner, action: str, on_progress: Callable[[str], None],
            timeout: float = RESTART_TIMEOUT) -> ServiceResult:
    """``service-control --<action> --all``; judged by exit status AND text."""

    def progress(line: str) -> None:
        operation = _OPERATION.search(line.strip())
        if operation:
            on_progress(f"{operation.group(1)} {operation.group(2)}")

    done = runner.stream("service-control", [f"--{action}", "--all"], progress, timeout=timeout)
    failed = bool(_FAILED.search(done.stdout)) or done.returncode != 0
    if not failed:
        return ServiceResult(True, action)
    error = next((m.group(0) for m in map(_FAILED.search, done.stdout.splitlines()) if m),
                 f"exit code {done.returncode}")
    return ServiceResult(False, action, failed_service(done.stdout), error, tail(done.stdout, 12))
