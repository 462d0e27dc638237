"""What every fake tool shares: latency, the call log, errors, state access.

A fake module looks like::

    @fake_tool("vecs-cli")
    def main(argv: Sequence[str], lab_root: Path) -> int:
        state = load_state(lab_root)
        ...
        raise FakeError("vecs-cli failed. Error 87: ...", 87)   # stderr + exit code

:func:`fake_tool` runs on every call, before the tool's own code: it reads
``VCFIX_LAB_LATENCY_MS`` and sleeps that long, and appends one JSON line
``{"tool", "argv", "pid", "latency_ms", "time"}`` to ``DIR/.vcfix-lab/calls.log``
(argv exactly as given, so tests can prove that no password travelled in it).
Keep this module free of heavy imports: fakes must start fast.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple

from vcfix.errors import VcfixError
from vcfix.lab import state as lab_state

LATENCY_ENV = "VCFIX_LAB_LATENCY_MS"

FakeMain = Callable[[Sequence[str], Path], int]


class FakeError(Exception):
    """Ends a fake: ``text`` goes to stderr, ``exit_code`` is the exit status."""

    def __init__(self, text: str, exit_code: int = 1) -> None:
        super().__init__(text)
        self.text = text
        self.exit_code = exit_code


def fake_tool(tool: str) -> Callable[[FakeMain], FakeMain]:
    """Decorate a fake's ``main(argv, lab_root)``: latency, call log, error output."""

    def decorate(main: FakeMain) -> FakeMain:
        @functools.wraps(main)
        def wrapper(argv: Sequence[str], lab_root: Path) -> int:
            return run_fake(tool, main, argv, lab_root)

        return wrapper

    return decorate


def run_fake(tool: str, main: FakeMain, argv: Sequence[str], lab_root: Path) -> int:
    args = [str(a) for a in argv]
    root = Path(lab_root)
    latency = latency_ms()
    log_call(root, tool, args, latency)
    if latency > 0:
        time.sleep(latency / 1000.0)
    try:
        return main(args, root)
    except FakeError as exc:
        error(exc.text)
        return exc.exit_code
    except VcfixError as exc:  # the lab itself is broken (state missing...)
        error(f"{tool} (vcfix lab): {exc.message}")
        return 1
    except BrokenPipeError:
        return 1


def latency_ms() -> float:
    """``VCFIX_LAB_LATENCY_MS`` as milliseconds (0 when unset or not a number)."""
    raw = os.environ.get(LATENCY_ENV, "").strip()
    try:
        value = float(raw) if raw else 0.0
    except ValueError:
        return 0.0
    return value if value > 0 else 0.0


def log_call(root: Path, tool: str, argv: Sequence[str], latency: float) -> None:
    """Append one line to calls.log (one write on an O_APPEND file: lines never mix)."""
    record = {
        "tool": tool,
        "argv": list(argv),
        "pid": os.getpid(),
        "latency_ms": latency,
        "time": round(time.time(), 3),
    }
    line = (json.dumps(record) + "\n").encode("utf-8")
    path = lab_state.calls_log_path(root)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError:
        return  # not a lab (or read-only): the tool still answers
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_calls(root: Path) -> List[Dict[str, Any]]:
    """Every call recorded in ``root``'s calls.log, oldest first (for tests, benchmarks)."""
    path = lab_state.calls_log_path(root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def load_state(root: Path) -> lab_state.State:
    return lab_state.load(root)


def out(text: str) -> None:
    sys.stdout.write(text)


def error(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")


def service_running(state: lab_state.State, name: str) -> bool:
    """Whether the simulated service ``name`` runs (absent services count as running)."""
    return bool((state.get("services") or {}).get(name, "Running") == "Running")


def split_options(
    argv: Sequence[str], with_value: Sequence[str]
) -> Tuple[List[str], Dict[str, str], List[str]]:
    """Split ``--name value`` / ``--flag`` style arguments (vecs-cli, vmafd-cli...).

    Returns (positional words, options with a value, flags). Raises
    :class:`ValueError` when an option that needs a value has none.
    """
    words: List[str] = []
    values: Dict[str, str] = {}
    flags: List[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        item = items[i]
        if item.startswith("--"):
            name, eq, inline = item.partition("=")
            if name in with_value:
                if eq:
                    values[name] = inline
                elif i + 1 < len(items):
                    i += 1
                    values[name] = items[i]
                else:
                    raise ValueError(f"option {name} needs a value")
            else:
                flags.append(name)
        else:
            words.append(item)
        i += 1
    return words, values, flags
