"""``vcfix fix``: diagnose, plan, resolve answers, confirm, run the steps, verify.

Everything that can stop a run (a missing answer, a missing confirmation in an
unattended run, a missing tool or script) is checked before anything changes.
A dry run goes through the same path and stops where the first change would be.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from vcfix import __version__, clock
from vcfix.answers.answer_file import Answers
from vcfix.appliance.lock import FixLock
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.diagnose.collect import Collected, collect
from vcfix.diagnose.examine import examine, judge_collected
from vcfix.diagnose.model import Diagnosis
from vcfix.diagnose.plan import Step
from vcfix.diagnose.report import render_plan
from vcfix.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, VcfixError
from vcfix.fix.backup import backup_before_change
from vcfix.fix.certool import certool_defaults
from vcfix.fix.review import review_certificate_answers
from vcfix.fix.rundir import EVENTS, SUMMARY, RunDir
from vcfix.fix.step import StepContext, StepKind, StepOutcome
from vcfix.fix.steps import step_kinds
from vcfix.fix.summary import Header
from vcfix.fix.summary import render as render_summary
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
    command_line: str = "vcfix fix"  # as typed, for the record (vcfix takes no secret there)


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
    with FixLock(state_dir):
        rundir = RunDir.create(state_dir, redactor)
        ctx.rundir = rundir
        say(f"\nRun directory: {rundir.path}")
        header = Header(before.node.pnid, before.node.version, before.node.node_type,
                        before.node.domain, __version__, opts.command_line,
                        opts.prompter.interactive, str(rundir.path))
        return execute(ctx, before, collected, runnable, plan, rundir, header)


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
            plan: Sequence[StepKind], rundir: RunDir, header: Header) -> int:
    """Backup, steps, verification; always ends the record (run_finished, summary.md)."""
    say = ctx.say
    code, outcome, phase = EXIT_FAILED, "step_failed", "backup"
    report: List[str] = []
    follow_ups: List[str] = []
    ctx.runner.observer = lambda done: rundir.command(
        done.command, done.returncode, done.stdout,
        keep=Path(done.argv[0]).name == "service-control")
    try:
        assert before.node is not None
        rundir.event("run_started", steps=[s.step for s in steps], node=before.node.to_json(),
                     vcfix_version=header.vcfix_version, command_line=header.command_line,
                     interactive=header.interactive)
        rundir.write_diagnosis("before", before.to_json())
        say(backup_before_change(ctx.runner, ctx.appliance, rundir, collected.stores,
                                 collected.unread_stores,
                                 vmca_root=any(s.step == "reset-all" for s in steps)
                                 and before.node.node_type != "management"))
        phase = "steps"
        outcomes, declined = run_steps(ctx, steps, plan, rundir)
        say("\nDiagnosing again...")
        rundir.header("diagnose again")
        after = examine(ctx.appliance, runner=ctx.runner)
        rundir.write_diagnosis("after", after.to_json())
        code, report, follow_ups = final_report(ctx, outcomes, after, rundir, clock.now())
        outcome = ("declined" if declined else "verified" if code == EXIT_OK
                   else "step_failed" if not all(o.ok for o in outcomes) else "not_verified")
        return code
    except VcfixError as exc:
        code = exc.exit_code
        outcome = "preflight_failed" if phase == "backup" else "step_failed"
        report = [f"vcfix: error: {exc.one_line()}"]
        raise
    except KeyboardInterrupt:
        code, outcome, report = EXIT_INTERRUPTED, "interrupted", ["interrupted (Ctrl-C)"]
        raise
    finally:
        ctx.runner.observer = None
        rundir.event("run_finished", exit_code=code, outcome=outcome, ok=code == EXIT_OK)
        with contextlib.suppress(OSError):  # never hide why the run ended
            write_summary(rundir, header, report, follow_ups)


def run_steps(ctx: StepContext, steps: Sequence[Step], plan: Sequence[StepKind],
              rundir: RunDir) -> Tuple[List[StepOutcome], bool]:
    """Each step in turn after its confirmation; stops at a declined or failed one."""
    outcomes: List[StepOutcome] = []
    for index, step in enumerate(steps):
        kind, number = plan[index], index + 1
        ctx.step_number = number
        question, details = kind.confirmation(ctx, step)
        ctx.say(f"\nStep {number} of {len(steps)}: {step.step}")
        if not ctx.prompter.confirm(step.step, question, details):
            ctx.say(f"Step '{step.step}' declined: stopping here, nothing more is changed.")
            rundir.event("step_declined", step=step.step, number=number)
            outcomes.append(StepOutcome(False, f"{step.step}: declined by the operator"))
            return outcomes, True
        command = kind.command(ctx)
        rundir.header(f"step {number} of {len(steps)}: {step.step}: {command} "
                      f"(started {clock.iso(clock.now())})")
        rundir.event("step_started", step=step.step, number=number, of=len(steps),
                     command=command)
        outcome = kind.run(ctx, step)
        rundir.event("step_finished", step=step.step, number=number, ok=outcome.ok,
                     summary=outcome.summary)
        outcomes.append(outcome)
        ctx.say(outcome.summary)
        for line in outcome.details:
            ctx.say(f"  {line}")
        if not outcome.ok:
            break
    return outcomes, False


def final_report(ctx: StepContext, outcomes: Sequence[StepOutcome], after: Diagnosis,
                 rundir: RunDir, when: dt.datetime) -> Tuple[int, List[str], List[str]]:
    """Print the report; returns the exit code, the report's lines and the follow-ups."""
    result = verify(after)
    all_ok = all(o.ok for o in outcomes) and result.ok
    rundir.event("verification", ok=result.ok, problems=result.problems,
                 leftovers=result.leftovers)
    lines = ["", "Result"]
    for outcome in outcomes:
        lines.append(f"  {'ok    ' if outcome.ok else 'FAILED'} {outcome.summary}")
    lines += [f"  not fixed: {problem}" for problem in result.problems]
    follow_ups = list(dict.fromkeys(f for o in outcomes if o.ok for f in o.follow_ups))
    if follow_ups:
        lines += ["", "What to do next", *(f"  - {f}" for f in follow_ups)]
    if result.leftovers:
        lines += ["", "Left for you (not failures)", *(f"  - {i}" for i in result.leftovers)]
    verdict = "the fix verified" if all_ok else "the fix did NOT verify"
    lines += ["", f"{verdict} at {clock.iso(when)}. Run directory: {rundir.path}"]
    ctx.say("\n".join(lines))
    return (EXIT_OK if all_ok else EXIT_FAILED), lines, follow_ups


def write_summary(rundir: RunDir, header: Header, report: Sequence[str],
                  follow_ups: Sequence[str]) -> None:
    try:
        text = (rundir.path / EVENTS).read_text(encoding="utf-8")
        events = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (OSError, ValueError):
        events = []
    rundir.write_text(SUMMARY, render_summary(header, events, report, follow_ups))
