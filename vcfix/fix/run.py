"""``vcfix fix``: diagnose, plan, resolve answers, confirm, run the steps, verify.

Everything that can stop a run (a missing answer, a missing confirmation in an
unattended run, a missing tool or script) is checked before anything changes.
A dry run goes through the same path and stops where the first change would be.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

from vcfix import clock
from vcfix.answers.answer_file import Answers
from vcfix.appliance.lock import FixLock
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.diagnose.collect import Collected, collect
from vcfix.diagnose.examine import examine, judge_collected
from vcfix.diagnose.model import Diagnosis
from vcfix.diagnose.plan import Step
from vcfix.diagnose.report import render_plan
from vcfix.errors import EXIT_FAILED, EXIT_OK, VcfixError
from vcfix.fix.backup import backup_vecs
from vcfix.fix.certool import certool_defaults
from vcfix.fix.review import review_certificate_answers
from vcfix.fix.rundir import RunDir
from vcfix.fix.step import StepContext, StepKind, StepOutcome
from vcfix.fix.steps import step_kinds
from vcfix.fix.verify import EXECUTABLE_STEPS, verify
from vcfix.redact import MASK, Redactor
from vcfix.ui.prompts import Prompter
from vcfix.ui.style import Style


@dataclass
class FixOptions:
    root: Path
    answers: Answers
    prompter: Prompter
    style: Style
    steps: Optional[List[str]] = None  # None: what the plan says
    dry_run: bool = False
    state_dir: Optional[Path] = None
    prompt_timeout: Optional[float] = None
    step_timeout: Optional[float] = None


def run_fix(opts: FixOptions) -> int:
    appliance = Appliance(opts.root)
    runner = Runner(appliance)
    say = opts.prompter.say
    say("Diagnosing...")
    collected = collect(appliance, runner)
    before = judge_collected(collected)
    if before.node is None:
        raise VcfixError(f"cannot fix what cannot be read: {before.error}")
    say("\n".join(render_plan(before.plan, before.caveats, opts.style, next_hint=False)))
    chosen = select_steps(before.plan, opts.steps)
    kinds = step_kinds()
    for step in chosen:
        if step.step not in kinds:
            say(f"\n'{step.step}' cannot be run by this version of vcfix: do it by hand "
                "(fixsts.sh, KB 76719) and run vcfix fix again.")
    runnable = [s for s in chosen if s.step in kinds]
    if not runnable:
        say("\nNothing for vcfix to run.")
        return EXIT_OK if before.status in ("ok", "warning") and not chosen else EXIT_FAILED

    redactor = Redactor()
    answers = prepare_answers(opts, appliance, runner, before)
    answers = review_certificate_answers(opts.prompter, answers, [s.step for s in runnable])
    ctx = StepContext(appliance, runner, answers, opts.prompter, redactor, before.node,
                      opts.prompt_timeout, opts.step_timeout, say=say)
    plan: List[StepKind] = [kinds[s.step]() for s in runnable]  # one per step, in order
    for kind in plan:
        kind.preflight(ctx)  # every answer and prerequisite, before anything changes
    secret = answers.peek("sso.password")
    if secret:
        redactor.add(secret)

    if opts.dry_run:
        show_dry_run(ctx, runnable, plan)
        return EXIT_OK
    if not opts.prompter.interactive and not opts.prompter.assume_yes:
        opts.prompter.confirm(runnable[0].step, "")  # raises: exit 4, naming --yes
    state_dir = opts.state_dir or appliance.file("state_dir")
    with FixLock(appliance.file("lock_dir")):
        rundir = RunDir.create(state_dir, redactor)
        ctx.rundir = rundir
        say(f"\nRun directory: {rundir.path}")
        return execute(ctx, before, collected, runnable, plan, rundir)


def select_steps(plan: Sequence[Step], requested: Optional[Sequence[str]]) -> List[Step]:
    executable = [s for s in plan if s.step in EXECUTABLE_STEPS]
    if requested is None:
        return executable
    return [s for s in executable if s.step in requested]


def prepare_answers(opts: FixOptions, appliance: Appliance, runner: Runner,
                    before: Diagnosis) -> Answers:
    assert before.node is not None
    defaults = certool_defaults(appliance)
    if before.node.node_type == "management":  # certificate-manager asks for the PSC
        done = runner.run("vmafd-cli", ["get-dc-name", "--server-name", "localhost"])
        defaults["psc.address"] = done.stdout.strip()
    ask = None
    if opts.prompter.interactive:
        def ask(key: str, description: str, secret: bool) -> Optional[str]:
            return opts.prompter.ask(key, description, secret, defaults.get(key))
    return opts.answers.with_context(pnid=before.node.pnid, domain=before.node.domain,
                                     defaults=defaults, ask=ask)


def show_dry_run(ctx: StepContext, steps: Sequence[Step], plan: Sequence[StepKind]) -> None:
    ctx.say("\nDry run: nothing will be changed and no vendor tool will be started.")
    for index, step in enumerate(steps):
        kind = plan[index]
        question, details = kind.confirmation(ctx, step)
        ctx.say(f"\nStep {index + 1}: {step.step}")
        for line in details:
            ctx.say(f"  {line}")
        ctx.say(f"  confirmation: {question}")
        ctx.say("  dialog (prompt -> answer):")
        for prompt, answer in kind.describe(ctx):
            ctx.say(f"    {prompt} -> {answer}")
    ctx.say(f"\n(secrets are shown as {MASK})")


def execute(ctx: StepContext, before: Diagnosis, collected: Collected, steps: Sequence[Step],
            plan: Sequence[StepKind], rundir: RunDir) -> int:
    say = ctx.say
    rundir.write_diagnosis("before", before.to_json())
    rundir.event("run_started", steps=[s.step for s in steps])
    say(f"Backed up {backup_vecs(ctx.runner, rundir, collected.stores)} VECS certificates and keys "
        f"to {rundir.path / 'backup'}")
    outcomes: List[StepOutcome] = []
    for index, step in enumerate(steps):
        kind = plan[index]
        question, details = kind.confirmation(ctx, step)
        say(f"\nStep {index + 1} of {len(steps)}: {step.step}")
        if not ctx.prompter.confirm(step.step, question, details):
            say(f"Step '{step.step}' declined: stopping here, nothing more is changed.")
            rundir.event("step_declined", step=step.step)
            outcomes.append(StepOutcome(False, f"{step.step}: declined by the operator"))
            break
        rundir.event("step_confirmed", step=step.step)
        outcome = kind.run(ctx, step)
        rundir.event("step_result", step=step.step, ok=outcome.ok, summary=outcome.summary)
        outcomes.append(outcome)
        say(outcome.summary)
        for line in outcome.details:
            say(f"  {line}")
        if not outcome.ok:
            break
    say("\nDiagnosing again...")
    after = examine(ctx.appliance, runner=ctx.runner)
    rundir.write_diagnosis("after", after.to_json())
    return final_report(ctx, outcomes, after, rundir, clock.now())


def final_report(ctx: StepContext, outcomes: Sequence[StepOutcome], after: Diagnosis,
                 rundir: RunDir, when: dt.datetime) -> int:
    say = ctx.say
    result = verify(after)
    all_ok = all(o.ok for o in outcomes) and result.ok
    rundir.event("run_finished", ok=all_ok, problems=result.problems)
    say("\nResult")
    for outcome in outcomes:
        say(f"  {'ok    ' if outcome.ok else 'FAILED'} {outcome.summary}")
    for problem in result.problems:
        say(f"  not fixed: {problem}")
    follow_ups = [f for o in outcomes if o.ok for f in o.follow_ups]
    if follow_ups:
        say("\nWhat to do next")
        say("\n".join(f"  - {f}" for f in dict.fromkeys(follow_ups)))
    if result.leftovers:
        say("\nLeft for you (not failures)")
        say("\n".join(f"  - {item}" for item in result.leftovers))
    verdict = "the fix verified" if all_ok else "the fix did NOT verify"
    say(f"\n{verdict} at {clock.iso(when)}. Run directory: {rundir.path}")
    return EXIT_OK if all_ok else EXIT_FAILED
