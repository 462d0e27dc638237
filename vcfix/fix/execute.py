"""The changing half of ``vcfix fix``: backup, the confirmed steps, verification.

Everything here runs inside the run directory, and whatever happens (a failed backup, a
declined step, Ctrl-C, SIGHUP/SIGTERM, an error) the record ends with ``run_finished``
and ``summary.md`` (docs/run-record.md): a run directory without them is what the next
run reports as interrupted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from vcfix import clock
from vcfix.diagnose.collect import Collected
from vcfix.diagnose.examine import examine
from vcfix.diagnose.model import Diagnosis
from vcfix.diagnose.plan import Step
from vcfix.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, VcfixError
from vcfix.fix.backup import backup_before_change
from vcfix.fix.dialog.session import hangup_received
from vcfix.fix.explain import stopped_lines
from vcfix.fix.rundir import EVENTS, SUMMARY, RunDir
from vcfix.fix.step import StepContext, StepKind, StepOutcome
from vcfix.fix.summary import Header
from vcfix.fix.summary import render as render_summary
from vcfix.fix.verify import verify


@dataclass
class RunEnd:
    """What ``run_finished`` records (written in a ``finally``, whatever happens)."""

    exit_code: int = EXIT_FAILED
    outcome: str = "step_failed"
    ok: bool = False  # what is left to fix is in the ``verification`` event

    def fields(self) -> Dict[str, Any]:
        return {"exit_code": self.exit_code, "outcome": self.outcome, "ok": self.ok}


def execute(ctx: StepContext, before: Diagnosis, collected: Collected, steps: Sequence[Step],
            plan: Sequence[StepKind], rundir: RunDir, header: Header) -> int:
    """Backup, steps, verification; always ends the record (run_finished, summary.md)."""
    say = ctx.say
    end = RunEnd()
    phase = "backup"
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
                                 and before.node.node_type != "management",
                                 crls=any(s.step == "clean-crls" for s in steps)))
        phase = "steps"
        outcomes = run_steps(ctx, steps, plan, rundir, end)
        say("\nDiagnosing again...")
        rundir.header("diagnose again")
        after = examine(ctx.appliance, runner=ctx.runner)
        rundir.write_diagnosis("after", after.to_json())
        report, follow_ups = final_report(ctx, outcomes, after, rundir, clock.now(), end)
        return end.exit_code
    except VcfixError as exc:
        end.exit_code = exc.exit_code
        end.outcome = "preflight_failed" if phase == "backup" else "step_failed"
        report = [f"vcfix: error: {exc.one_line()}"]
        raise
    except KeyboardInterrupt:
        end.exit_code, end.outcome = EXIT_INTERRUPTED, "interrupted"
        report = ["interrupted (Ctrl-C)"]
        raise
    finally:
        ctx.runner.observer = None
        rundir.event("run_finished", **end.fields())
        with contextlib.suppress(OSError):  # never hide why the run ended
            write_summary(rundir, header, report, follow_ups)
        rundir.drop_appliance_copy()


def record_refusal(rundir: RunDir, before: Diagnosis, steps: Sequence[Step], header: Header,
                   checks: Sequence[Dict[str, Any]], error: VcfixError) -> None:
    """A run its preflight refused (nothing changed) still leaves its record: what was
    planned, the checks, ``run_finished`` (``preflight_failed``) and ``summary.md``."""
    assert before.node is not None
    rundir.event("run_started", steps=[s.step for s in steps], node=before.node.to_json(),
                 vcfix_version=header.vcfix_version, command_line=header.command_line,
                 interactive=header.interactive)
    rundir.event("preflight", checks=list(checks))
    rundir.event("run_finished", exit_code=error.exit_code, outcome="preflight_failed",
                 ok=False)
    with contextlib.suppress(OSError):
        write_summary(rundir, header, [f"vcfix: error: {error.one_line()}"], [])


def run_steps(ctx: StepContext, steps: Sequence[Step], plan: Sequence[StepKind],
              rundir: RunDir, end: RunEnd) -> List[StepOutcome]:
    """Each step in turn after its confirmation; stops at a declined or failed one, and
    after the running one when SIGHUP/SIGTERM arrived."""
    say = ctx.say
    outcomes: List[StepOutcome] = []
    done: List[str] = []
    names = [s.step for s in steps]
    running: Optional[str] = None  # the confirmed step, while it runs
    try:
        for index, step in enumerate(steps):
            kind, number = plan[index], index + 1
            ctx.step_number = number
            question, details = kind.confirmation(ctx, step)
            say(f"\nStep {number} of {len(steps)}: {step.step}")
            if not ctx.prompter.confirm(step.step, question, details):
                say(f"Step '{step.step}' declined: stopping here, nothing more is changed.")
                say("\n".join(stopped_lines(ctx.appliance.root, done, names[index:],
                                            f"step '{step.step}' declined")))
                rundir.event("step_declined", step=step.step, number=number)
                outcomes.append(StepOutcome(False, f"{step.step}: declined by the operator"))
                end.outcome = "declined"
                return outcomes
            command = kind.command(ctx)
            rundir.header(f"step {number} of {len(steps)}: {step.step}: {command} "
                          f"(started {clock.iso(clock.now())})")
            rundir.event("step_started", step=step.step, number=number, of=len(steps),
                         command=command)
            running = step.step
            outcome = kind.run(ctx, step)
            running = None
            rundir.event("step_finished", step=step.step, number=number, ok=outcome.ok,
                         summary=outcome.summary)
            outcomes.append(outcome)
            done += [f"{step.step} ({outcome.summary})"] if outcome.ok else []
            say(outcome.summary)
            for line in outcome.details:
                say(f"  {line}")
            if not outcome.ok:
                break
            signum = hangup_received()
            if signum and index + 1 < len(steps):
                stop_after_signal(ctx, signal.Signals(signum).name, done, steps, index, outcomes)
                end.outcome = "interrupted"
                break
    except KeyboardInterrupt:
        why = "interrupted (Ctrl-C)" + (f" while '{running}' ran: it may have changed part "
                                        "of the appliance" if running else "")
        say("\n".join(stopped_lines(ctx.appliance.root, done, names[len(done):], why)))
        raise
    if hangup_received() and not all(o.ok for o in outcomes):
        end.outcome = "interrupted"  # the signal stopped a step before its change, or the next
    return outcomes


def stop_after_signal(ctx: StepContext, name: str, done: List[str], steps: Sequence[Step],
                      index: int, outcomes: List[StepOutcome]) -> None:
    """SIGHUP/SIGTERM arrived during step ``index``: it finished; start no further one."""
    assert ctx.rundir is not None
    ctx.say(f"vcfix received {name}: {steps[index].step} finished; no further step is "
            "started.")
    ctx.say("\n".join(stopped_lines(ctx.appliance.root, done,
                                    [s.step for s in steps[index + 1:]],
                                    f"vcfix received {name}")))
    ctx.rundir.event("stopped_by_signal", signal=name, next_step=steps[index + 1].step)
    outcomes.append(StepOutcome(False, f"{steps[index + 1].step}: not started ({name})"))


def final_report(ctx: StepContext, outcomes: Sequence[StepOutcome], after: Diagnosis,
                 rundir: RunDir, when: dt.datetime,
                 end: RunEnd) -> Tuple[List[str], List[str]]:
    """Print the report; sets ``end`` and returns the report's lines and the follow-ups."""
    result = verify(after)
    all_ok = all(o.ok for o in outcomes) and result.ok
    rundir.event("verification", ok=result.ok, problems=result.problems,
                 leftovers=result.leftovers)
    end.ok = all_ok
    if end.outcome == "step_failed":  # not declined or interrupted
        end.outcome = ("verified" if all_ok else "step_failed"
                       if not all(o.ok for o in outcomes) else "not_verified")
    end.exit_code = EXIT_OK if all_ok else EXIT_FAILED
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
    return lines, follow_ups


def write_summary(rundir: RunDir, header: Header, report: Sequence[str],
                  follow_ups: Sequence[str]) -> None:
    try:
        text = (rundir.path / EVENTS).read_text(encoding="utf-8")
        events = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (OSError, ValueError):
        events = []
    rundir.write_text(SUMMARY, render_summary(header, events, report, follow_ups))
