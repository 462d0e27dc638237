"""The certificate-manager steps: option 3, 6 or 8, driven from their playbooks."""

from __future__ import annotations

from typing import List, Tuple

from vcfix.diagnose.plan import Step
from vcfix.fix.dialog.driver import describe_dialog, run_dialog
from vcfix.fix.dialog.match import check_answers
from vcfix.fix.dialog.playbook import load
from vcfix.fix.other_nodes import relevant_follow_ups
from vcfix.fix.step import (
    StepContext,
    StepKind,
    StepOutcome,
    abandon_callback,
    child_env,
    dialog_outcome,
)
from vcfix.fix.waiting import describe
from vcfix.ui.progress import Progress


class CertificateManagerStep(StepKind):
    """certificate-manager option 3, 6 or 8, driven from its playbook."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.playbook = load(name)

    def prerequisites(self, ctx: StepContext) -> None:
        ctx.appliance.tool("certificate-manager")

    def preflight(self, ctx: StepContext) -> None:
        check_answers(self.playbook, ctx.answers)

    def outage(self) -> Tuple[int, str]:
        return (self.playbook.outage_minutes,
                f"during option {self.playbook.option}, at about 70-85 %: "
                f"{self.playbook.restarts}")

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
            *(f"afterwards: {text}" for text in relevant_follow_ups(ctx, book.follow_ups)),
        ]
        return f"Run certificate-manager option {book.option} now?", details

    def command(self, ctx: StepContext) -> str:
        return f"certificate-manager option {self.playbook.option}"

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
                on_wait=lambda waiting: progress.waiting(describe(waiting)),
                confirm_abandon=abandon_callback(ctx, "certificate-manager"), confirmed=True,
            )
        finally:
            progress.done()
        outcome = dialog_outcome(result, ctx, self.playbook)
        outcome.follow_ups = relevant_follow_ups(ctx, outcome.follow_ups)
        return outcome
