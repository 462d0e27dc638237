"""Restarting services after a step: the same progress, transcript headers and events for
every step that needs it (fixsts.sh and clean-crls restart all; the extension-thumbprint and
data-encipherment steps restart vpxd)."""

from __future__ import annotations

from typing import Callable, Optional, Tuple

from vcfix import clock
from vcfix.errors import VcfixError
from vcfix.fix.services import ServiceResult, run_all
from vcfix.fix.step import StepContext
from vcfix.fix.waiting import Waiting, describe
from vcfix.ui.progress import Progress

ONE_SERVICE_TIMEOUT = 900.0  # one service-control --stop/--start of a single service


def restart_all(ctx: StepContext, after: str) -> Optional[Tuple[str, ServiceResult]]:
    """``service-control --stop --all`` then ``--start --all`` (supervised, with progress and
    a ``service_control`` event each); the action and result of the first failure, or None."""
    assert ctx.rundir is not None
    for action in ("stop", "start"):
        ctx.say(f"service-control --{action} --all ...")
        ctx.rundir.header(f"service-control --{action} --all (after {after})")
        started = clock.iso(clock.now())
        shown = Progress(f"service-control --{action}")
        try:
            result = run_all(ctx.runner, action, shown.line, rundir=ctx.rundir,
                             on_wait=_show_wait(shown))
        finally:
            shown.done()
        ctx.rundir.event("service_control", action=action, ok=result.ok, started=started,
                         failed_service=result.failed_service, error=result.error)
        if not result.ok:
            return action, result
    return None


def restart_one(ctx: StepContext, service: str, after: str
                ) -> Optional[Tuple[str, VcfixError]]:
    """``service-control --stop SERVICE`` then ``--start SERVICE``; the action and error of
    the first failure, or None."""
    for action in ("stop", "start"):
        ctx.say(f"service-control --{action} {service} ...")
        if ctx.rundir is not None:
            ctx.rundir.header(f"service-control --{action} {service} (after {after}, "
                              f"{clock.iso(clock.now())})")
        try:
            ctx.runner.run("service-control", [f"--{action}", service],
                           timeout=ONE_SERVICE_TIMEOUT)
        except VcfixError as exc:
            return action, exc
    return None


def _show_wait(progress: Progress) -> Callable[[Waiting], None]:
    return lambda waiting: progress.waiting(describe(waiting))
