"""``vcfix fix``: diagnose, plan, resolve answers, confirm, run the steps, verify.

Everything that can stop a run (a missing answer, a missing confirmation in an
unattended run, a missing tool or script) is checked before anything changes.
A dry run goes through the same path and stops where the first change would be.
"""

from __future__ import annotations

import datetime as dt
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

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
from vcfix.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, VcfixError
from vcfix.fix.backup import backup_vecs
from vcfix.fix.certool import certool_defaults
from vcfix.fix.dialog.session import hangup_deferred, hangup_received
from vcfix.fix.explain import (
    check_lines,
    outage_lines,
    refusal_details,
    stopped_lines,
    vcfix_command,
)
from vcfix.fix.interrupted import report_unfinished
from vcfix.fix.preflight import Thresholds, failed
from vcfix.fix.preflight import judge as judge_preflight
from vcfix.fix.preflight_read import read_facts
from vcfix.fix.review import (
    ask_valid,
    field_check,
    require_valid_values,
    review_certificate_answers,
)
from vcfix.fix.rundir import RunDir
from vcfix.fix.sso_check import verify_sso_password
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
    thresholds: Thresholds = field(default_factory=Thresholds)  # /storage/log free space


@dataclass
class RunEnd:
    """What ``run_finished`` records (written in a ``finally``, whatever happens)."""

    exit_code: int = EXIT_FAILED
    outcome: str = "step_failed"
    ok: bool = False
    problems: List[str] = field(default_factory=list)

    def fields(self) -> Dict[str, Any]:
        return {"exit_code": self.exit_code, "outcome": self.outcome, "ok": self.ok,
                "problems": self.problems}


def run_fix(opts: FixOptions) -> int:
    appliance = Appliance(opts.root)
    runner = Runner(appliance)
    say = opts.prompter.say
    state_dir = opts.state_dir or appliance.file("state_dir")
    report_unfinished(state_dir, runner, say, acknowledging=not opts.dry_run)
    say("Diagnosing...")
    collected = collect(appliance, runner)
    before = judge_collected(collected)
    if before.node is None:
        raise VcfixError(f"cannot fix what cannot be read: {before.error}")
    # the notes on answering certificate-manager matter only when the operator answers
    notes = before.caveats if opts.prompter.interactive else []
    say("\n".join(render_plan(before.plan, notes, opts.style, next_hint=False)))
    chosen = select_steps(before.plan, opts.steps)
    kinds = step_kinds()
    for step in chosen:
        if step.step not in kinds:
            say(f"\n'{step.step}' cannot be run by this version of vcfix: do it by hand "
                f"(fixsts.sh, KB 76719) and run '{vcfix_command(opts.root)} fix' again.")
    runnable = [s for s in chosen if s.step in kinds]
    if not runnable:
        say("\nNothing for vcfix to run.")
        return EXIT_OK if before.status in ("ok", "warning") and not chosen else EXIT_FAILED

    checks = judge_preflight(read_facts(appliance, runner, collected, before.node.node_type),
                             vcfix_command(opts.root), opts.thresholds)
    say("\n".join(check_lines(checks)))
    if failed(checks) and not opts.dry_run:
        raise VcfixError(
            f"vcfix will not start the fix: {len(failed(checks))} check(s) failed; nothing "
            "was changed", details=refusal_details(checks),
            hint=f"do what each failed check says, then run '{vcfix_command(opts.root)} fix' "
            "again")
    redactor = Redactor()
    ctx = StepContext(appliance, runner, prepare_answers(opts, appliance, runner, before),
                      opts.prompter, redactor, before.node, opts.prompt_timeout,
                      opts.step_timeout, say=say)
    plan: List[StepKind] = [kinds[s.step]() for s in runnable]  # one per step, in order
    names = [s.step for s in runnable]
    for kind in plan:
        kind.prerequisites(ctx)  # tools and scripts, before any question
    ctx.answers = review_certificate_answers(opts.prompter, ctx.answers, names)
    for kind in plan:
        kind.preflight(ctx)  # every answer, before anything changes
    require_valid_values(ctx.answers, names)  # certool.cfg values too, unattended
    secret = ctx.answers.peek("sso.password")
    if secret:
        redactor.add(secret)
    host = ctx.answers.peek("psc.address") if before.node.node_type == "management" else None
    try:
        if verify_sso_password(runner, ctx.answers, before.node, host or "localhost"):
            say("\nThe SSO password was verified (an LDAP bind to the directory).")
    except VcfixError as exc:
        if not (opts.dry_run and failed(checks)):
            raise
        say(f"\nThe SSO password could not be verified: {exc.message}")  # e.g. vmdird down
    say("\n".join(outage_lines([(s.step, *k.outage()) for s, k in zip(runnable, plan)])))

    if opts.dry_run:
        show_dry_run(ctx, runnable, plan)
        if failed(checks):
            say("\nA real run would refuse to start: see the failed checks above.")
            return EXIT_FAILED
        return EXIT_OK
    if not opts.prompter.interactive and not opts.prompter.assume_yes:
        opts.prompter.confirm(runnable[0].step, "")  # raises: exit 4, naming --yes
    with FixLock(appliance.file("lock_dir")):
        rundir = RunDir.create(state_dir, redactor)
        ctx.rundir = rundir
        rundir.event("preflight", checks=[c.to_json() for c in checks])
        say(f"\nRun directory: {rundir.path}")
        end = RunEnd()
        try:
            with hangup_deferred():  # SIGHUP/SIGTERM: the running tool finishes, then we stop
                end.exit_code = execute(ctx, before, collected, runnable, plan, rundir, end)
            return end.exit_code
        except KeyboardInterrupt:
            end.exit_code, end.outcome = EXIT_INTERRUPTED, "interrupted"
            raise
        except VcfixError as exc:
            end.exit_code = exc.exit_code
            raise
        finally:
            rundir.event("run_finished", **end.fields())


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
            if secret:
                return opts.prompter.ask(key, description, secret, defaults.get(key))
            return ask_valid(opts.prompter, key, description, defaults.get(key),
                             field_check(key))  # checked as typed, asked again if refused
    return opts.answers.with_context(pnid=before.node.pnid, domain=before.node.domain,
                                     defaults=defaults, ask=ask)


def show_dry_run(ctx: StepContext, steps: Sequence[Step], plan: Sequence[StepKind]) -> None:
    ctx.say("\nDry run: nothing will be changed and no step's tool will be started.")
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
            plan: Sequence[StepKind], rundir: RunDir, end: RunEnd) -> int:
    say = ctx.say
    rundir.write_diagnosis("before", before.to_json())
    rundir.event("run_started", steps=[s.step for s in steps])
    say(f"Backed up {backup_vecs(ctx.runner, rundir, collected.stores)} VECS certificates and keys "
        f"to {rundir.path / 'backup'}")
    outcomes: List[StepOutcome] = []
    done: List[str] = []
    names = [s.step for s in steps]
    running: Optional[str] = None  # the confirmed step, while it runs
    try:
        for index, step in enumerate(steps):
            kind = plan[index]
            question, details = kind.confirmation(ctx, step)
            say(f"\nStep {index + 1} of {len(steps)}: {step.step}")
            if not ctx.prompter.confirm(step.step, question, details):
                say(f"Step '{step.step}' declined: stopping here, nothing more is changed.")
                say("\n".join(stopped_lines(ctx.appliance.root, done, names[index:],
                                            f"step '{step.step}' declined")))
                rundir.event("step_declined", step=step.step)
                outcomes.append(StepOutcome(False, f"{step.step}: declined by the operator"))
                end.outcome = "declined"
                break
            rundir.event("step_confirmed", step=step.step)
            running = step.step
            outcome = kind.run(ctx, step)
            running = None
            rundir.event("step_result", step=step.step, ok=outcome.ok, summary=outcome.summary)
            outcomes.append(outcome)
            done += [f"{step.step} ({outcome.summary})"] if outcome.ok else []
            say(outcome.summary)
            for line in outcome.details:
                say(f"  {line}")
            if not outcome.ok:
                break
            signum = hangup_received()
            if signum and index + 1 < len(steps):
                name = signal.Signals(signum).name
                say(f"vcfix received {name}: {step.step} finished; no further step is started.")
                say("\n".join(stopped_lines(ctx.appliance.root, done, names[index + 1:],
                                            f"vcfix received {name}")))
                rundir.event("stopped_by_signal", signal=name, next_step=steps[index + 1].step)
                outcomes.append(StepOutcome(False, f"{steps[index + 1].step}: not started "
                                            f"({name})"))
                end.outcome = "interrupted"
                break
    except KeyboardInterrupt:
        why = "interrupted (Ctrl-C)" + (f" while '{running}' ran: it may have changed part "
                                        "of the appliance" if running else "")
        say("\n".join(stopped_lines(ctx.appliance.root, done, names[len(done):], why)))
        raise
    if hangup_received() and not all(o.ok for o in outcomes):
        end.outcome = "interrupted"  # the signal stopped a step before its change, or the next
    say("\nDiagnosing again...")
    after = examine(ctx.appliance, runner=ctx.runner)
    rundir.write_diagnosis("after", after.to_json())
    return final_report(ctx, outcomes, after, rundir, clock.now(), end)


def final_report(ctx: StepContext, outcomes: Sequence[StepOutcome], after: Diagnosis,
                 rundir: RunDir, when: dt.datetime, end: Optional[RunEnd] = None) -> int:
    say = ctx.say
    result = verify(after)
    all_ok = all(o.ok for o in outcomes) and result.ok
    end = end or RunEnd()
    end.ok, end.problems = all_ok, list(result.problems)
    if end.outcome == "step_failed":  # not declined or interrupted
        end.outcome = ("verified" if all_ok else "step_failed"
                       if not all(o.ok for o in outcomes) else "not_verified")
    end.exit_code = EXIT_OK if all_ok else EXIT_FAILED
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
