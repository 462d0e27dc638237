"""How a dialog session ends: the step's state, abandoning, ending the tool, the result.

:class:`DialogSession` holds what one run of :func:`vcfix.fix.dialog.driver.run_dialog` knows
(the tool, its output scanner, the prompts answered, whether the operation started)
and does everything that ends it: records events, asks ``confirm_abandon`` after a
deferred Ctrl-C, ends the tool (Ctrl-D, then SIGTERM, then SIGKILL, draining its
output into the transcript meanwhile) and builds the redacted
:class:`~vcfix.fix.dialog.match.DialogResult`. The dialog loop itself (reading, matching,
answering) is :class:`vcfix.fix.dialog.driver._Session`, a subclass; the timings stay in
:mod:`vcfix.fix.dialog.driver` and are passed in.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from typing import Any, Callable, Dict, Iterator, List, Optional

import pexpect

from vcfix.fix.dialog.match import DialogResult, FailureLine, OutputScanner, risk_note, tool_name
from vcfix.fix.dialog.playbook import Playbook
from vcfix.fix.rundir import RunDir
from vcfix.redact import Redactor

__all__ = ["DialogSession", "hangup_deferred", "hangup_received", "sigint_handler"]

HANGUP_SIGNALS = (signal.SIGHUP, signal.SIGTERM)
_hangups: List[int] = []  # signals received while deferred (the process's, like signals)
_depth: List[int] = [0]


def hangup_received() -> Optional[int]:
    """The first SIGHUP/SIGTERM received while :func:`hangup_deferred` was in force."""
    return _hangups[0] if _hangups else None


def _on_hangup(signum: int, frame: object) -> None:
    if signum == signal.SIGHUP:  # the terminal is gone: write to nowhere
        with contextlib.suppress(OSError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            os.close(null)
    _hangups.append(signum)


@contextlib.contextmanager
def hangup_deferred() -> Iterator[None]:
    """SIGHUP and SIGTERM only set a flag meanwhile (checked at safe points), so that vcfix
    keeps following a tool that is changing certificates; nested uses share the flag."""
    if _depth[0]:
        _depth[0] += 1
        try:
            yield
        finally:
            _depth[0] -= 1
        return
    try:
        previous = [signal.signal(s, _on_hangup) for s in HANGUP_SIGNALS]
    except ValueError:  # not the main thread
        yield
        return
    _hangups.clear()
    _depth[0] = 1
    try:
        yield
    finally:
        _depth[0] = 0
        for signum, handler in zip(HANGUP_SIGNALS, previous):
            signal.signal(signum, handler)


@contextlib.contextmanager
def sigint_handler(handler: Callable[[int, Any], Any]) -> Iterator[None]:
    """Use ``handler`` for SIGINT meanwhile (main thread only; elsewhere nothing changes)."""
    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: KeyboardInterrupt is caught instead
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# Failures that stop the tool while it waits at a prompt (see DialogSession.began).
AT_A_PROMPT = ("repeated", "unrecognised", "credentials", "not_confirmed")


class DialogSession:
    """The state of one dialog and its ending; the loop sets ``child`` and ``result``."""

    def __init__(self, playbook: Playbook, redactor: Redactor, rundir: RunDir, *,
                 end_wait: float, read_size: int) -> None:
        self.pb, self.redactor, self.rundir = playbook, redactor, rundir
        self.end_wait, self.read_size = end_wait, read_size
        self.on_event: Optional[Callable[[Dict[str, Any]], None]] = None
        self.confirm_abandon: Optional[Callable[[], bool]] = None
        self.tool = tool_name(playbook)
        self.scanner = OutputScanner(playbook)
        self.counts: Dict[str, int] = {}
        self.started = False
        self.result: Optional[DialogResult] = None
        self.child: Any = None
        self.sigint = False

    def defer_sigint(self, signum: int, frame: object) -> None:
        self.sigint = True  # handled between steps: see vcfix.fix.dialog.driver._Session.run()

    def note_failures(self, failures: List[FailureLine]) -> None:
        for failure in failures:
            self.event("failure_seen", kind=failure.kind, line=failure.line)

    def interrupted(self) -> None:
        self.event("interrupt", operation_started=self.started)
        if self.confirm_abandon is None:
            self.event("interrupt_ignored", why="no way to confirm abandoning")
            return
        try:
            with sigint_handler(signal.default_int_handler):  # Ctrl-C works normally here
                abandon = bool(self.confirm_abandon())
        except KeyboardInterrupt:
            abandon = False
        if not abandon:
            self.event("interrupt_declined")
            return
        self.fail("abandoned", "abandoned at the operator's request")

    def began(self, kind: str) -> bool:
        """Had the change begun when vcfix stopped for ``kind``? Not while a tool that
        reports progress waits at a prompt and has printed none: after the confirmation
        certificate-manager may still ask (option 8 asks ``Continue operation`` twice)."""
        if not self.started:
            return False
        waiting = kind in AT_A_PROMPT and self.pb.progress is not None
        return not (waiting and self.scanner.last_progress is None)

    def hung_up(self, signum: int) -> None:
        """SIGHUP/SIGTERM: before the change, stop the tool; during it, let it finish."""
        name = signal.Signals(signum).name
        self.event("hangup", signal=name, operation_started=self.started)
        if not self.started:
            self.fail("hangup", f"vcfix received {name} before {self.tool} began the change, "
                      "and stopped it")
        else:
            self.rundir.note(f"{name} received: {self.tool} is changing certificates; "
                             "vcfix lets it finish and keeps recording")

    def fail(self, kind: str, reason: str, *, unrecognised: Optional[str] = None) -> None:
        """End the tool and fail the step; the reason says whether anything changed."""
        began = self.began(kind)
        self.end_tool()
        self.result = self.make_result(False, kind, reason + risk_note(self.pb, began),
                                       unrecognised)
        self.result.operation_started = began

    def make_result(self, ok: bool, kind: Optional[str], reason: str,
                    unrecognised: Optional[str] = None) -> DialogResult:
        def red(text: str) -> str:
            return self.rundir.redactor.redact(self.redactor.redact(text))
        logs = [f.log_path for f in self.scanner.failures if f.log_path]
        return DialogResult(
            ok=ok, reason=red(reason), exit_status=self.child.exitstatus,
            rolled_back=any(f.rolled_back for f in self.scanner.failures),
            last_lines=[red(line) for line in self.scanner.last_lines()],
            unrecognised_prompt=red(unrecognised) if unrecognised else None,
            log_path=logs[0] if logs else self.pb.log, failure_kind=kind,
            operation_started=self.started, prompts_seen=dict(self.counts))

    def end_tool(self) -> None:
        """End the tool cleanly: Ctrl-D, then SIGTERM, then SIGKILL, with short waits."""
        child = self.child
        if child is None or child.closed:
            return
        for how, action in (("Ctrl-D", child.sendeof),
                            ("SIGTERM", lambda: child.kill(signal.SIGTERM)),
                            ("SIGKILL", lambda: child.kill(signal.SIGKILL))):
            if not child.isalive():
                break
            self.rundir.note(f"ending {self.tool}: {how}")
            with contextlib.suppress(OSError):
                action()
            deadline = time.monotonic() + self.end_wait
            while time.monotonic() < deadline:  # read (into the transcript) until EOF
                try:
                    remaining = max(0.0, deadline - time.monotonic())
                    self.note_failures(self.scanner.feed(
                        child.read_nonblocking(self.read_size, timeout=remaining))[1])
                except (pexpect.TIMEOUT, KeyboardInterrupt):
                    continue
                except pexpect.EOF:
                    break
        child.close(force=True)

    def event(self, name: str, **fields: Any) -> None:
        record = self.rundir.event(name, **fields)
        if self.on_event:
            self.on_event(record)
