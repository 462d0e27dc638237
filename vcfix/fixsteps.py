"""The executable steps of a fix: what each needs, says, and does.

Each step kind implements :class:`StepKind`: ``preflight`` resolves every answer
and checks every prerequisite before anything changes (MissingAnswer is exit 4);
``describe`` is the dry-run dialog; ``confirmation`` states what the step
replaces, restarts and how long the outage lasts; ``run`` does it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from vcfix.answers import Answers
from vcfix.appliance import Appliance
from vcfix.driver import DialogResult, describe_dialog, run_dialog
from vcfix.driver_match import check_answers
from vcfix.model import NodeInfo
from vcfix.plan import Step
from vcfix.playbook import Playbook, load
from vcfix.progress import Progress
from vcfix.redact import Redactor
from vcfix.rundir import RunDir
from vcfix.runner import Runner
from vcfix.ui import Prompter


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
    say: Callable[[str], None] = print


@dataclass
class StepOutcome:
    ok: bool
    summary: str
    details: List[str] = field(default_factory=list)
    follow_ups: List[str] = field(default_factory=list)


class StepKind:
    name = ""

    def preflight(self, ctx: StepContext) -> None:
        raise NotImplementedError

    def describe(self, ctx: StepContext) -> List[Tuple[str, str]]:
        raise NotImplementedError

    def confirmation(self, ctx: StepContext, step: Step) -> Tuple[str, List[str]]:
        raise NotImplementedError

    def run(self, ctx: StepContext, step: Step) -> StepOutcome:
        raise NotImplementedError


def child_env(redactor: Redactor) -> Dict[str, str]:
    """Our environment minus any variable holding a secret (VCFIX_SSO_PASSWORD...)."""
    return {k: v for k, v in os.environ.items() if not redactor.contains_secret(v)}


def abandon_callback(ctx: StepContext, tool: str) -> Callable[[], bool]:
    def confirm_abandon() -> bool:
        ctx.say(f"\n{tool} is replacing certificates. Stopping it now can leave this vCenter "
                "with a mix of old and new certificates and services that do not start; "
                "certificate-manager option 7 or the backup in the run directory would then "
                "be needed.")
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
    if result.operation_started:
        details.append("rolled back by the tool" if result.rolled_back
                       else "the tool did not report a rollback")
    if result.log_path:
        details.append(f"its log: {ctx.appliance.path(result.log_path)}")
    return StepOutcome(False, f"{playbook.description}: FAILED: {result.reason}", details)


class CertificateManagerStep(StepKind):
    """certificate-manager option 3, 6 or 8, driven from its playbook."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.playbook = load(name)

    def preflight(self, ctx: StepContext) -> None:
        ctx.appliance.tool("certificate-manager")
        check_answers(self.playbook, ctx.answers)

    def describe(self, ctx: StepContext) -> List[Tuple[str, str]]:
        rows = describe_dialog(self.playbook, ctx.answers)
        if ctx.node.node_type != "management":  # only asked with an external PSC
            psc = self.playbook.prompt("psc_address").description
            rows = [row for row in rows if not row[0].startswith(psc)]
        return rows

    def confirmation(self, ctx: StepContext, step: Step) -> Tuple[str, List[str]]:
        book = self.playbook
        details = [
            f"why: {step.reason}",
            f"replaces: {book.description} (previous ones are copied to BACKUP_STORE)",
            f"restarts: {book.restarts}",
            f"outage: about {book.outage_minutes} minutes",
            *(f"afterwards: {text}" for text in book.follow_ups),
        ]
        return f"Run certificate-manager option {book.option} now?", details

    def run(self, ctx: StepContext, step: Step) -> StepOutcome:
        assert ctx.rundir is not None
        argv = [str(ctx.appliance.tool("certificate-manager"))]
        progress = Progress(f"option {self.playbook.option}")
        try:
            result = run_dialog(
                self.playbook, argv, ctx.answers, redactor=ctx.redactor, rundir=ctx.rundir,
                env=child_env(ctx.redactor), prompt_timeout=ctx.prompt_timeout,
                overall_timeout=ctx.step_timeout,
                on_progress=progress.update,
                confirm_abandon=abandon_callback(ctx, "certificate-manager"), confirmed=True,
            )
        finally:
            progress.done()
        return dialog_outcome(result, ctx, self.playbook)


def step_kinds() -> Dict[str, Callable[[], StepKind]]:
    """The steps vcfix can run; a planned step missing here is reported as not available."""
    from vcfix.sts_step import StsStep

    return {
        "sts": StsStep,
        "machine-ssl": lambda: CertificateManagerStep("machine-ssl"),
        "solution-users": lambda: CertificateManagerStep("solution-users"),
        "reset-all": lambda: CertificateManagerStep("reset-all"),
    }
