"""What every step of a fix implements, and what the steps share.

Each step kind implements :class:`StepKind`: ``preflight`` resolves every answer
and checks every prerequisite before anything changes (MissingAnswer is exit 4);
``describe`` is the dry-run dialog; ``confirmation`` states what the step
replaces, restarts and how long the outage lasts; ``run`` does it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from vcfix.answers.answer_file import Answers
from vcfix.appliance.environ import minimal_env
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.diagnose.model import NodeInfo
from vcfix.diagnose.plan import Step
from vcfix.fix.dialog.driver import DialogResult
from vcfix.fix.dialog.playbook import Playbook
from vcfix.fix.rundir import RunDir
from vcfix.redact import Redactor
from vcfix.ui.prompts import Prompter


@dataclass
class StepContext:
    appliance: Appliance
    runner: Runner
    answers: Answers
    prompter: Prompter
    redactor: Redactor
    node: NodeInfo
    prompt_timeout: Optional[float] = None
    step_timeout: Optional[float] = None
    rundir: Optional[RunDir] = None  # None in a dry run
    step_number: int = 0  # the running step's number (1 = first), for per-step records
    say: Callable[[str], None] = print
    memo: Dict[str, str] = field(default_factory=dict)  # what was asked once per run


@dataclass
class StepOutcome:
    ok: bool
    summary: str
    details: List[str] = field(default_factory=list)
    follow_ups: List[str] = field(default_factory=list)


class StepKind:
    name = ""

    def prerequisites(self, ctx: StepContext) -> None:
        """What must exist before any question is asked (tools, scripts)."""

    def preflight(self, ctx: StepContext) -> None:
        raise NotImplementedError

    def outage(self) -> Tuple[int, str]:
        """(minutes of outage, which services restart when) for the plan's total."""
        raise NotImplementedError

    def describe(self, ctx: StepContext) -> List[Tuple[str, str]]:
        raise NotImplementedError

    def confirmation(self, ctx: StepContext, step: Step) -> Tuple[str, List[str]]:
        raise NotImplementedError

    def run(self, ctx: StepContext, step: Step) -> StepOutcome:
        raise NotImplementedError

    def command(self, ctx: StepContext) -> str:
        """The command the step runs, for the record (no secret)."""
        return self.name


def child_env(redactor: Redactor) -> Dict[str, str]:
    """The minimal environment (:func:`minimal_env`) minus any variable holding a secret."""
    return {k: v for k, v in minimal_env().items() if not redactor.contains_secret(v)}


def abandon_callback(ctx: StepContext, tool: str) -> Callable[[], bool]:
    def confirm_abandon() -> bool:
        revert = ("the LDIF exports fixsts.sh keeps in /tmp/vmware-fixsts" if tool == "fixsts.sh"
                  else "certificate-manager option 7 or the backup in the run directory")
        ctx.say(f"\n{tool} is replacing certificates. Stopping it now can leave this "
                "vCenter with a mix of old and new certificates and services that do not "
                f"start; {revert} would then be needed.")
        if not ctx.prompter.interactive:
            ctx.say("Unattended run: vcfix keeps waiting for it to finish.")
            return False
        # always a real question: --yes accepts steps, never abandoning one
        return ctx.prompter.question("abandon", f"Abandon {tool} anyway?", False)

    return confirm_abandon


def dialog_outcome(result: DialogResult, ctx: StepContext, playbook: Playbook) -> StepOutcome:
    if result.ok:
        return StepOutcome(True, f"{playbook.description}: done", [],
                           list(playbook.follow_ups))
    details = [f"the tool's last lines: {line}" for line in result.last_lines[-8:]]
    if result.unrecognised_prompt:
        details.insert(0, f"unrecognised prompt: {result.unrecognised_prompt!r} (vcfix answers "
                          "only prompts it knows; nothing was typed into it)")
    if result.operation_started and playbook.tool != "fixsts":  # fixsts has no rollback
        details.append("rolled back by the tool" if result.rolled_back
                       else "the tool did not report a rollback")
    if result.failure_kind == "credentials":
        details.insert(0, "the SSO password was refused"
                       + ("" if result.operation_started else "; nothing was changed")
                       + ": run again with the right password")
    if result.log_path:
        details.append(f"its log: {ctx.appliance.path(result.log_path)}")
    return StepOutcome(False, f"{playbook.description}: FAILED: {result.reason}", details)
