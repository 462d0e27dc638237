"""Driving an interactive vendor tool through a pty, as a playbook says.

:func:`run_dialog` answers the prompts it recognises (any order, repeats, optional
ones), never one it does not, reports progress, and judges the outcome from
failure/success lines and the exit status. Only what the tool prints is logged
(pexpect ``logfile_read`` into the run's transcript, through its Redactor); vcfix
records what it sends itself, secrets as ``********``. The tool runs detached (it outlives
vcfix: :mod:`vcfix.fix.dialog.detached`). Ctrl-C does not kill it: SIGINT is deferred to a
safe point and ``confirm_abandon`` is asked; SIGHUP/SIGTERM stop it only before the change
began. ``on_wait`` is called every :data:`WAIT_SHOW` seconds of silence. The
pure matching lives in :mod:`vcfix.fix.dialog.match`, the session's ending (abandoning,
ending the tool, the result) in :mod:`vcfix.fix.dialog.session`; see docs/playbooks.md.
"""

from __future__ import annotations

import contextlib
import termios
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import pexpect

from vcfix import clock
from vcfix.answers.answer_file import Answers
from vcfix.appliance.runner import display
from vcfix.errors import VcfixError
from vcfix.fix.dialog.detached import DetachedChild
from vcfix.fix.dialog.match import (
    DialogResult,
    FailureLine,
    answer_for,
    check_answers,
    conclude,
    describe_dialog,
    looks_like_question,
    match_prompt,
    tool_name,
)
from vcfix.fix.dialog.playbook import Playbook, Prompt
from vcfix.fix.dialog.session import DialogSession, hangup_deferred, hangup_received, sigint_handler
from vcfix.fix.rundir import RunDir
from vcfix.fix.waiting import Waiting
from vcfix.redact import MASK, Redactor

__all__ = ["DialogResult", "describe_dialog", "run_dialog"]

SETTLE = 0.1  # quiet time after a prompt before answering (a prompt may arrive in pieces)
POLL = 0.5  # longest single wait for output (also the latency of a deferred Ctrl-C)
END_WAIT = 2.0  # wait after Ctrl-D, then after SIGTERM, before the next step
NOECHO_WAIT = 2.0  # longest wait for the tool to turn echo off before a secret is sent
WAITING_EVENT = 60.0  # a "waiting" event after each minute of silence
WAIT_SHOW = 10.0  # on_wait (the screen) after each 10 s of silence
SEND_DELAY = 0.05  # pexpect's pause before each send (a tool may still be setting up)
READ_SIZE = 4096


def run_dialog(
    playbook: Playbook, argv: Sequence[str], answers: Answers, *, redactor: Redactor,
    rundir: RunDir, env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None,
    prompt_timeout: Optional[float] = None, overall_timeout: Optional[float] = None,
    on_progress: Optional[Callable[[int, str], None]] = None,
    confirm_abandon: Optional[Callable[[], bool]] = None,
    on_event: Optional[Callable[[Dict[str, Any]], None]] = None, confirmed: bool = False,
    on_wait: Optional[Callable[[Waiting], None]] = None,
) -> DialogResult:
    """Run ``argv`` under a pty and drive its dialog with ``playbook``.

    ``confirmed``: the operator (or ``--yes``) approved the change. Only then is a
    ``confirm`` prompt answered Y (else N, and the step fails); a playbook without one
    is not started at all. Missing answers raise MissingAnswer (exit 4) before the tool
    starts. Timeouts default to the playbook's (``prompt`` 30 s).
    """
    resolved = check_answers(playbook, answers)
    for prompt in playbook.prompts:
        if prompt.secret and prompt.id in resolved:
            redactor.add(resolved[prompt.id])
            rundir.redactor.add(resolved[prompt.id])
    tool = tool_name(playbook)
    if not confirmed and not any(p.confirm for p in playbook.prompts):
        raise VcfixError(f"{tool} was not started: the change ({playbook.description}) "
                         "was not confirmed")
    if any(redactor.contains_secret(t) for t in [*argv, *(env or {}).values()]):
        raise VcfixError(f"refusing to start {tool}: a secret would appear in its command "
                         "line or environment")
    session = _Session(playbook, answers, redactor, rundir, confirmed)
    session.on_progress, session.on_event = on_progress, on_event
    session.confirm_abandon, session.on_wait = confirm_abandon, on_wait
    if prompt_timeout is not None:
        session.prompt_timeout = prompt_timeout
    if overall_timeout is not None:
        session.overall = overall_timeout
    return session.run(list(argv), env, cwd)


class _Session(DialogSession):
    """One dialog; :meth:`run` loops until ``result`` is set (its ending: the base class)."""

    def __init__(self, playbook: Playbook, answers: Answers, redactor: Redactor,
                 rundir: RunDir, confirmed: bool) -> None:
        super().__init__(playbook, redactor, rundir, end_wait=END_WAIT, read_size=READ_SIZE)
        self.answers, self.confirmed = answers, confirmed
        self.on_progress: Optional[Callable[[int, str], None]] = None
        self.on_wait: Optional[Callable[[Waiting], None]] = None
        self.candidate: Optional[Prompt] = None
        self.prompt_timeout, self.overall = playbook.timeouts.prompt, playbook.timeouts.overall
        self.last_output = self.begin = time.monotonic()
        self.waiting_reported, self.wait_shown, self.hangup_seen = 0, 0, False

    def run(self, argv: List[str], env: Optional[Mapping[str, str]],
            cwd: Optional[str]) -> DialogResult:
        self.event("tool_started", playbook=self.pb.id, command=display(argv))
        self.child = DetachedChild.start(self.rundir.path, self.pb.id, argv, env=env, cwd=cwd,
                                         appliance=self.rundir.appliance)
        self.event("job_started", job=self.child.job.path.name)
        self.child.logfile_read = self.rundir.transcript_sink()  # what the tool prints only
        self.child.delaybeforesend = SEND_DELAY
        self.last_output = self.begin = time.monotonic()
        try:
            with sigint_handler(self.defer_sigint), hangup_deferred():
                while self.result is None:
                    try:
                        self.step()
                    except KeyboardInterrupt:  # SIGINT could not be deferred (not main thread)
                        self.sigint = True
                    if self.sigint and self.result is None:
                        self.sigint = False
                        self.interrupted()
                    hangup = hangup_received()
                    if hangup and not self.hangup_seen and self.result is None:
                        self.hangup_seen = True
                        self.hung_up(hangup)
        except BaseException as exc:  # e.g. MissingAnswer: end the tool, then re-raise
            if self.result is None:
                self.end_tool()
                self.event("tool_aborted", error=str(exc) or type(exc).__name__)
            raise
        finally:
            self.rundir.flush_output()
        r = self.result
        self.event("tool_finished", ok=r.ok, reason=r.reason, failure_kind=r.failure_kind,
                   rolled_back=r.rolled_back, exit_status=r.exit_status)
        return r

    def step(self) -> None:
        if time.monotonic() - self.begin >= self.overall:
            self.fail("timeout", f"{self.tool} did not finish within {self.overall:g} s")
            return
        try:
            chunk = self.child.read_nonblocking(READ_SIZE, timeout=SETTLE if self.candidate
                                                else POLL)
        except pexpect.TIMEOUT:
            self.quiet()
            return
        except pexpect.EOF:
            self.finished()
            return
        self.last_output, self.waiting_reported, self.wait_shown = time.monotonic(), 0, 0
        self.absorb(*self.scanner.feed(chunk))
        if self.result is None:
            self.candidate = match_prompt(self.pb, self.scanner.pending())

    def absorb(self, progress: List[Tuple[int, str]], failures: List[FailureLine]) -> None:
        for percent, message in progress:
            self.event("progress", percent=percent, message=message)
            if self.on_progress:
                self.on_progress(percent, self.redactor.redact(message))
        self.note_failures(failures)
        for failure in failures:
            if failure.kind == "credentials" and not self.started and self.result is None:
                self.fail("credentials", f"{self.tool} refused the credentials: "
                          f"{failure.line}; vcfix never retries a password")

    def quiet(self) -> None:
        silence = time.monotonic() - self.last_output
        if self.candidate is not None:
            prompt, self.candidate = self.candidate, None
            self.answer(prompt)
            return
        tail = self.scanner.pending().strip()
        if tail and match_prompt(self.pb, tail):  # e.g. a Ctrl-C came between read and answer
            self.candidate = match_prompt(self.pb, tail)
        elif looks_like_question(self.pb, tail) and silence >= self.prompt_timeout:
            self.fail("unrecognised", f"{self.tool} asked something vcfix does not recognise: "
                      f"{tail!r}; vcfix did not answer it", unrecognised=tail)
        elif silence >= self.pb.timeouts.silence_ok:
            self.fail("silence", f"{self.tool} printed nothing for {silence:.0f} s")
        else:
            self.show_wait(silence)
            if silence >= WAITING_EVENT * (self.waiting_reported + 1):
                self.waiting_reported += 1
                self.event("waiting", seconds=round(silence), last=self.scanner.last_progress)

    def show_wait(self, silence: float) -> None:
        if self.on_wait is not None and silence >= WAIT_SHOW * (self.wait_shown + 1):
            self.wait_shown, last = int(silence // WAIT_SHOW), self.scanner.last_progress
            self.on_wait(Waiting(self.tool, time.monotonic() - self.begin, silence,
                                 last[1] if last else "", self.overall,
                                 self.pb.timeouts.silence_ok, clock.now()))

    def finished(self) -> None:
        self.child.close()
        self.absorb(*self.scanner.finish())
        ok, kind, reason = conclude(self.pb, self.scanner, exit_status=self.child.exitstatus,
                                    signal=self.child.signalstatus, started=self.started,
                                    counts=self.counts)
        self.result = self.make_result(ok, kind, reason)

    def answer(self, prompt: Prompt) -> None:
        count = self.counts[prompt.id] = self.counts.get(prompt.id, 0) + 1
        self.event("prompt_matched", prompt=prompt.id, count=count)
        failures = self.scanner.failures
        if self.scanner.all_success and not failures:
            self.end_tool()
            self.result = self.make_result(True, None, (
                f"{self.tool} completed: {self.pb.description}; it then asked "
                f"'{prompt.description}', which vcfix left unanswered (tool closed)"))
        elif failures:
            self.fail(failures[0].kind, f"{self.tool} reported a failure ({failures[0].line}) "
                      f"and then asked '{prompt.description}'; vcfix did not answer")
        elif count > 1 + prompt.max_repeats and prompt.secret:
            self.fail("credentials", f"{self.tool} asked for the password again: it refused "
                      "the one given; vcfix never retries a password")
        elif count > 1 + prompt.max_repeats:
            said = self.scanner.since_answer()[:-1][-2:]
            self.fail("repeated", f"{self.tool} asked '{prompt.description}' {count} times"
                      + ("; it said: " + " / ".join(said) if said else ""))
        elif prompt.confirm and not self.confirmed:
            self.send(prompt, "N")
            self.fail("not_confirmed", f"vcfix answered N to '{prompt.description}': the "
                      "change was not confirmed")
        else:
            value = answer_for(prompt, self.pb, self.answers)
            if prompt.yes_no and value not in ("Y", "N"):
                raise VcfixError(f"playbook {self.pb.id}: {prompt.id} must be answered Y or N")
            if prompt.secret:
                self.redactor.add(value)
                self.rundir.redactor.add(value)
            if prompt.confirm or not any(p.confirm for p in self.pb.prompts):
                self.started = True  # set first: if sending fails midway, assume it began
            self.send(prompt, value)

    def send(self, prompt: Prompt, value: str) -> None:
        if prompt.secret:  # let the tool turn echo off first (the Redactor masks it anyway)
            with contextlib.suppress(OSError, termios.error):
                self.child.waitnoecho(timeout=NOECHO_WAIT)
        shown = MASK if prompt.secret else self.redactor.redact(value)
        self.rundir.transcript_sent(shown)
        self.child.sendline(value, secret=prompt.secret)
        self.event("answer_sent", prompt=prompt.id, answer=shown)
        self.scanner.mark_answered()
