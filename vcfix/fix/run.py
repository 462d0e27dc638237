"""``vcfix fix``: diagnose, plan, resolve answers, confirm, run the steps, verify.

Everything that can stop a run (a missing answer, a missing confirmation in an
unattended run, a missing tool or script) is checked before anything changes.
A dry run goes through the same path and stops where the first change would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence

from vcfix import __version__
from vcfix.answers.answer_file import Answers
from vcfix.appliance.connect import state_dir_for
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.diagnose.collect import collect
from vcfix.diagnose.examine import judge_collected
from vcfix.diagnose.extensions import follow_up
from vcfix.diagnose.model import Diagnosis
from vcfix.diagnose.plan import Step
from vcfix.diagnose.report import render_plan
from vcfix.errors import EXIT_FAILED, EXIT_OK, VcfixError
from vcfix.fix.certool import certool_defaults
from vcfix.fix.dialog.session import hangup_deferred
from vcfix.fix.execute import execute, record_refusal
from vcfix.fix.explain import (
    check_lines,
    outage_lines,
    refusal_details,
    vcfix_command,
)
from vcfix.fix.interrupted import report_unfinished
from vcfix.fix.preflight import Check, Thresholds, failed
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
from vcfix.fix.step import StepContext, StepKind
from vcfix.fix.steps import step_kinds
from vcfix.fix.summary import Header
from vcfix.fix.verify import EXECUTABLE_STEPS, MANUAL_FINDINGS
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
    command_line: str = "vcfix fix"  # as typed, for the record (vcfix takes no secret there)
    appliance: Optional[Appliance] = None  # connected (--host); None: Appliance(root) here


def run_fix(opts: FixOptions) -> int:
    appliance = opts.appliance or Appliance(opts.root)
    runner = Runner(appliance)
    say = opts.prompter.say
    state_dir = opts.state_dir or state_dir_for(appliance)
    report_unfinished(state_dir, runner, say, acknowledging=not opts.dry_run)
    say("Diagnosing...")
    collected = collect(appliance, runner)
    before = judge_collected(collected)
    if before.node is None:
        raise VcfixError(f"cannot fix what cannot be read: {before.error}")
    # the notes on answering certificate-manager matter only when the operator answers
    notes = before.caveats if opts.prompter.interactive else []
    say("\n".join(render_plan(before.plan, notes, opts.style, next_hint=False)))
    chosen = select_steps(before.plan, opts.steps, before.checks)
    kinds = step_kinds()
    for step in chosen:
        if step.step not in kinds:
            say(f"\n'{step.step}' cannot be run by this version of vcfix: do it by hand "
                f"(fixsts.sh, KB 76719) and run '{vcfix_command(opts.root)} fix' again.")
    runnable = [s for s in chosen if s.step in kinds]
    if not runnable:
        say("\nNothing for vcfix to run.")
        for finding in before.findings:
            if finding.code in MANUAL_FINDINGS:  # what is left is done by hand
                say(f"  ! {finding.message}")
        return EXIT_OK if before.status in ("ok", "warning") and not chosen else EXIT_FAILED

    checks = judge_preflight(read_facts(appliance, runner, collected, before.node.node_type),
                             vcfix_command(opts.root), opts.thresholds)
    say("\n".join(check_lines(checks)))
    if failed(checks) and not opts.dry_run:
        refusal = VcfixError(
            f"vcfix will not start the fix: {len(failed(checks))} check(s) failed; nothing "
            "was changed", details=refusal_details(checks),
            hint=f"do what each failed check says, then run '{vcfix_command(opts.root)} fix' "
            "again")
        keep_refusal(opts, state_dir, before, runnable, checks, refusal)
        raise refusal
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
        if not opts.dry_run:
            keep_refusal(opts, state_dir, before, runnable, checks, exc, redactor)
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
    with appliance.transport.fix_lock(appliance.file("lock_dir"), opts.command_line):
        rundir = RunDir.create(state_dir, redactor)
        rundir.appliance = appliance
        ctx.rundir = rundir
        rundir.event("preflight", checks=[c.to_json() for c in checks])
        say(f"\nRun directory: {rundir.path}")
        header = Header(before.node.pnid, before.node.version, before.node.node_type,
                        before.node.domain, __version__, opts.command_line,
                        opts.prompter.interactive, str(rundir.path))
        with hangup_deferred():  # SIGHUP/SIGTERM: the running tool finishes, then we stop
            return execute(ctx, before, collected, runnable, plan, rundir, header)


def keep_refusal(opts: FixOptions, state_dir: Path, before: Diagnosis, steps: Sequence[Step],
                 checks: Sequence[Check], error: VcfixError,
                 redactor: Optional[Redactor] = None) -> None:
    """Record a run refused before any change (a failed check, a wrong SSO password)."""
    assert before.node is not None
    try:
        appliance = opts.appliance or Appliance(opts.root)
        with appliance.transport.fix_lock(appliance.file("lock_dir"), opts.command_line):
            rundir = RunDir.create(state_dir, redactor or Redactor())
            header = Header(before.node.pnid, before.node.version, before.node.node_type,
                            before.node.domain, __version__, opts.command_line,
                            opts.prompter.interactive, str(rundir.path))
            record_refusal(rundir, before, steps, header, [c.to_json() for c in checks],
                           error)
    except (VcfixError, OSError):
        pass  # no record (say, a state directory vcfix refuses): the refusal still stands


def select_steps(plan: Sequence[Step], requested: Optional[Sequence[str]],
                 checks: Optional[Mapping[str, Any]] = None) -> List[Step]:
    executable = [s for s in plan if s.step in EXECUTABLE_STEPS]
    if requested is not None:
        executable = [s for s in executable if s.step in requested]
    # extension-thumbprints after option 6/8, when the diagnosis read registrations
    return follow_up(executable, requested, checks or {})


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
