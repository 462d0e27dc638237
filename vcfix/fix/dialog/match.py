"""The pure half of the dialog driver: reading a tool's output against a playbook.

:class:`OutputScanner` follows the output (lines split at ``\\n`` and ``\\r``, so
``\\r``-redrawn Status lines count one by one), reports progress, failure lines and
success lines, and knows the unfinished last line: the prompt a tool waits at.
:func:`match_prompt`, :func:`answer_for`, :func:`check_answers`,
:func:`describe_dialog` and :func:`conclude` need no terminal, so they are tested
without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Pattern, Set, Tuple

from vcfix.answers.answer_file import Answers, MissingAnswer
from vcfix.fix.dialog.playbook import Playbook, Prompt
from vcfix.redact import MASK

QUESTION_END = (":", "?", "]", ">")
_LOG_PATH = re.compile(r"(/[\w.@/-]+\.log)\b")
_END_PATTERNS: Dict[Tuple[str, str], Pattern[str]] = {}


@dataclass
class DialogResult:
    """How a dialog ended. ``last_lines``, ``reason`` and the quoted prompt are redacted."""

    ok: bool
    reason: str
    rolled_back: bool
    exit_status: Optional[int]
    last_lines: List[str]
    unrecognised_prompt: Optional[str]
    log_path: Optional[str]
    failure_kind: Optional[str] = None  # credentials, rollback, error, unrecognised, ...
    operation_started: bool = False  # False: vcfix stopped before the change began
    prompts_seen: Dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FailureLine:
    kind: str
    rolled_back: bool
    line: str
    log_path: Optional[str]


@dataclass
class OutputScanner:
    playbook: Playbook
    text: str = ""
    failures: List[FailureLine] = field(default_factory=list)
    success_seen: Set[int] = field(default_factory=set)
    last_progress: Optional[Tuple[int, str]] = None
    _line_start: int = 0
    _answered_at: int = 0

    def feed(self, chunk: str) -> Tuple[List[Tuple[int, str]], List[FailureLine]]:
        """Add output; return the new progress values and failure lines it completed."""
        self.text += chunk
        progress: List[Tuple[int, str]] = []
        failures: List[FailureLine] = []
        base = self._line_start
        for match in re.finditer(r"[\r\n]", self.text[base:]):
            end = base + match.start()
            segment = self.text[self._line_start:end]
            self._line_start = end + 1
            self._check(segment, progress, failures, complete=True)
        # Of a line without end (50 MB...) only the last 4 KiB can hold a prompt.
        self._line_start = max(self._line_start, len(self.text) - 4096)
        self._check(self.tail(), progress, failures, complete=False)
        return progress, failures

    def finish(self) -> Tuple[List[Tuple[int, str]], List[FailureLine]]:
        """The tool ended: the unfinished last line counts as a complete one."""
        progress: List[Tuple[int, str]] = []
        failures: List[FailureLine] = []
        self._check(self.tail(), progress, failures, complete=True)
        self._line_start = len(self.text)
        return progress, failures

    def _check(self, segment: str, progress: List[Tuple[int, str]],
               failures: List[FailureLine], *, complete: bool) -> None:
        if not segment.strip():
            return
        pb = self.playbook
        for i, pattern in enumerate(pb.success):
            if pattern.search(segment):
                self.success_seen.add(i)
        match = pb.progress.search(segment) if pb.progress else None
        if match:
            value = (int(match.group("percent")), match.group("message").strip())
            if value != self.last_progress:
                self.last_progress = value
                progress.append(value)
        if not complete:
            return
        for failure in pb.failures:
            if failure.pattern.search(segment):
                log = _LOG_PATH.search(segment)
                line = FailureLine(failure.kind, failure.rolled_back, segment.strip(),
                                   log.group(1) if log else None)
                self.failures.append(line)
                failures.append(line)

    def tail(self) -> str:
        """The unfinished last line (after the last line break or carriage return)."""
        return self.text[self._line_start:]

    def pending(self) -> str:
        """The unfinished last line, minus anything before vcfix's last answer."""
        return self.text[max(self._line_start, self._answered_at):]

    def mark_answered(self) -> None:
        self._answered_at = len(self.text)

    def since_answer(self) -> List[str]:
        """Non-blank lines printed since vcfix last answered."""
        return [s.strip() for s in re.split(r"[\r\n]+", self.text[self._answered_at:])
                if s.strip()]

    def last_lines(self, count: int = 12) -> List[str]:
        lines = [s.rstrip() for s in re.split(r"[\r\n]+", self.text) if s.strip()]
        return lines[-count:]

    @property
    def all_success(self) -> bool:
        return len(self.success_seen) == len(self.playbook.success)


def _at_end(prompt: Prompt) -> Pattern[str]:
    key = (prompt.id, prompt.pattern.pattern)
    if key not in _END_PATTERNS:
        _END_PATTERNS[key] = re.compile(rf"(?:{prompt.pattern.pattern})\s*$", prompt.pattern.flags)
    return _END_PATTERNS[key]


def match_prompt(playbook: Playbook, line: str) -> Optional[Prompt]:
    """The prompt ``line`` ends with (the longest match wins); None if none matches."""
    best: Optional[Prompt] = None
    best_len = -1
    for prompt in playbook.prompts:
        match = _at_end(prompt).search(line)
        if match and match.end() - match.start() > best_len:
            best, best_len = prompt, match.end() - match.start()
    return best


def looks_like_question(playbook: Playbook, line: str) -> bool:
    """Does the unfinished last line look like a question (and not a Status line)?"""
    text = line.rstrip()
    if not text or not text.endswith(QUESTION_END):
        return False
    return not (playbook.progress and playbook.progress.search(text))


def answer_for(prompt: Prompt, playbook: Playbook, answers: Answers) -> str:
    """The text to send for ``prompt`` (may raise MissingAnswer or VcfixError)."""
    spec = prompt.answer
    if spec.kind == "constant":
        return spec.value
    if spec.kind == "key":
        return answers.get(spec.value)
    if spec.value == "menu_option":
        return str(playbook.option)
    return answers.derived(spec.value)


def check_answers(playbook: Playbook, answers: Answers) -> Dict[str, str]:
    """Resolve the answer of every non-optional prompt now, before anything starts.

    Raises MissingAnswer (exit 4) naming the key, or VcfixError for a refused value.
    """
    return {p.id: answer_for(p, playbook, answers) for p in playbook.prompts if not p.optional}


def describe_dialog(playbook: Playbook, answers: Answers) -> List[Tuple[str, str]]:
    """(prompt, answer shown) pairs for a dry run: secrets as ********, missing answers as
    ``(missing: key)``; nothing is started and the operator is not asked anything."""
    quiet = answers.quiet()
    rows: List[Tuple[str, str]] = []
    for prompt in playbook.prompts:
        label = prompt.description + (" (if asked)" if prompt.optional else "")
        try:
            shown = answer_for(prompt, playbook, quiet)
        except MissingAnswer as exc:
            shown = f"(missing: {exc.key})"
        else:
            if prompt.secret:
                shown = MASK
            elif shown == "":
                shown = "(empty: keep the tool's default)"
        if prompt.confirm:
            shown += " (only after your confirmation)"
        rows.append((label, shown))
    return rows


def humanize(pattern: Pattern[str]) -> str:
    """A readable form of a success pattern, for messages."""
    text = re.sub(r"\\s[+*]|\\s", " ", pattern.pattern)
    text = re.sub(r'"\?', '"', text).replace("\\", "")
    return re.sub(r"\s+", " ", text).strip()


def conclude(playbook: Playbook, scanner: OutputScanner, *, exit_status: Optional[int],
             signal: Optional[int], started: bool, counts: Dict[str, int]
             ) -> Tuple[bool, Optional[str], str]:
    """Judge a tool that ended by itself: (ok, failure kind, reason)."""
    tool = tool_name(playbook)
    if scanner.failures:
        kinds = [f.kind for f in scanner.failures]
        kind = next(k for k in ("credentials", "rollback", "error") if k in kinds)
        first = next(f for f in scanner.failures if f.kind == kind)
        reason = f"{tool} reported a failure: {first.line}"
        if "rollback" in kinds:
            reason += ("; it reported the rollback complete" if any(
                f.rolled_back for f in scanner.failures)
                else "; it started a rollback but did not report it complete")
        return False, kind, reason
    unasked = [p.description for p in playbook.prompts if not p.optional and p.id not in counts]
    early = f"; it never asked: {', '.join(unasked)}" if unasked and not started else ""
    if signal is not None or (exit_status not in (0, None)):
        how = f"was killed by signal {signal}" if signal is not None else \
            f"exited with status {exit_status}"
        return False, "early_exit" if early else "exit_status", f"{tool} {how}{early}"
    if not scanner.all_success:
        if early:
            return False, "early_exit", f"{tool} ended before the operation started{early}"
        missing = [humanize(p) for i, p in enumerate(playbook.success)
                   if i not in scanner.success_seen]
        return False, "no_success", (f"{tool} ended without the success line(s): "
                                     + "; ".join(missing))
    return True, None, f"{tool} completed: {playbook.description}"


def risk_note(playbook: Playbook, started: bool) -> str:
    """What stopping now means, appended to a failure reason (fixsts.sh has no rollback:
    its note never mentions one)."""
    if not started:
        return " (stopped before the operation started: nothing was changed)"
    if playbook.tool == "fixsts":
        return (f"; the STS certificates may be half-replaced: read {playbook.log} and keep "
                "the LDIF exports in /tmp/vmware-fixsts (vcfix copies them to the run's "
                "backup)")
    return (f"; certificates may be half-replaced: read {playbook.log}, and "
            "certificate-manager option 7 reverts the last operation")


def tool_name(playbook: Playbook) -> str:
    return "fixsts.sh" if playbook.tool == "fixsts" else playbook.tool
