"""The ``sts`` step: fixsts.sh (KB 76719), a restart of every service, a check.

vcfix drives the script the operator downloaded (it does not ship it): it
answers the one password prompt through a pty, requires both ``adding new
entry`` lines and ``Replacement finished``, keeps the script's LDIF exports in
the run's backup (the script leaves them in /tmp), restarts every service on
this node and reads the STS certificate again.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Tuple

from vcfix.appliance.paths import FILES
from vcfix.diagnose.examine import examine
from vcfix.diagnose.plan import Step
from vcfix.errors import EXIT_USAGE, VcfixError
from vcfix.fix.backup import encode
from vcfix.fix.dialog.driver import describe_dialog, run_dialog
from vcfix.fix.dialog.match import check_answers
from vcfix.fix.dialog.playbook import load
from vcfix.fix.other_nodes import other_nodes
from vcfix.fix.restart import restart_all
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

BASH = "/bin/bash"  # the appliance's shell runs the script, as the KB says (bash fixsts.sh)
SCRIPT_KEY = "fixsts.script"
DEFAULT_SCRIPT = FILES["fixsts_default"]
MIN_DAYS_LEFT = 180  # the new STS certificate must not itself be "expiring"


class StsStep(StepKind):
    name = "sts"

    def __init__(self) -> None:
        self.playbook = load("fixsts")
        self.script: Optional[Path] = None
        self.before: Dict[str, float] = {}  # the exports folder before fixsts ran

    # -- before anything changes ------------------------------------------------------------
    def prerequisites(self, ctx: StepContext) -> None:
        if ctx.node.node_type == "management":
            raise VcfixError(
                "the sts step cannot run on this node: it is a vCenter with an external PSC, "
                "and fixsts.sh refuses such nodes",
                hint="run vcfix (or fixsts.sh) on the PSC, or on an embedded vCenter of the same "
                "SSO domain, then restart the services of every node, this one included",
            )
        self.script = self.locate(ctx)

    def preflight(self, ctx: StepContext) -> None:
        check_answers(self.playbook, ctx.answers)

    def outage(self) -> Tuple[int, str]:
        return (self.playbook.outage_minutes,
                "after fixsts.sh: every service on this node (service-control --stop --all, "
                "then --start --all); SSO logins fail meanwhile")

    def locate(self, ctx: StepContext) -> Path:
        """The script, found once per run (a plan with two sts steps asks at most once)."""
        known = ctx.memo.get(SCRIPT_KEY)
        if known is not None:
            return Path(known)
        given = ctx.answers.peek(SCRIPT_KEY)
        path = (given or DEFAULT_SCRIPT).strip()
        script = ctx.appliance.path(path)
        files = ctx.appliance.transport
        while ctx.prompter.interactive and given is None and not files.is_file(str(script)):
            ctx.say(f"fixsts.sh (VMware KB 76719) is not at {path}.")
            typed = ctx.prompter.ask(SCRIPT_KEY, "path of fixsts.sh (KB 76719) on the "
                                     "appliance (empty: stop)", False, "")
            if not typed or not typed.strip():
                break
            path = typed.strip()
            script = ctx.appliance.path(path)
        root = Path(files.realpath(str(ctx.appliance.root)))
        real = Path(files.realpath(str(script)))
        if real != root and root not in real.parents:
            raise VcfixError(f"{SCRIPT_KEY} {path} resolves to {real}, outside the "
                             f"appliance root {root}; vcfix runs only a script on the appliance",
                             exit_code=EXIT_USAGE)
        if not files.is_file(str(script)):
            raise VcfixError(
                f"fixsts.sh not found at {script}; nothing was changed",
                hint="download fixsts.sh from VMware KB 76719 to the appliance and give its path "
                f"as '{SCRIPT_KEY}' in the answer file (default {DEFAULT_SCRIPT})",
            )
        if not files.readable(str(script)):
            raise VcfixError(f"fixsts.sh at {script} is not readable by this user")
        ctx.memo[SCRIPT_KEY] = str(script)
        return script

    def describe(self, ctx: StepContext) -> List[Tuple[str, str]]:
        rows = [("script", f"{BASH} {self.script}" + self.crlf_note(ctx))]
        rows += describe_dialog(self.playbook, ctx.answers)
        rows += [("then", "service-control --stop --all"),
                 ("then", "service-control --start --all"),
                 ("then", "read the STS signing certificate again")]
        return rows

    def crlf_note(self, ctx: StepContext) -> str:
        if self.script and b"\r\n" in ctx.appliance.transport.read_bytes(str(self.script)):
            return " (has CRLF line endings: a corrected copy runs, the original is untouched)"
        return ""

    def confirmation(self, ctx: StepContext, step: Step) -> Tuple[str, List[str]]:
        details = [
            f"why: {step.reason}",
            "replaces: the STS signing certificate (TenantCredential and TrustedCertChain "
            "entries in VMDIR), with a new one signed by VMCA",
            "restarts: every service on this node (service-control --stop --all, --start --all)",
            f"outage: about {self.playbook.outage_minutes} minutes (SSO logins fail meanwhile)",
            "afterwards: every other vCenter and PSC of the SSO domain needs a service restart",
        ]
        return f"Run {self.script} now?", details

    def command(self, ctx: StepContext) -> str:
        return f"{BASH} {self.script}"

    # -- the change ---------------------------------------------------------------------------
    def run(self, ctx: StepContext, step: Step) -> StepOutcome:
        assert ctx.rundir is not None and self.script is not None
        script = self.runnable_copy(ctx)
        # exports already there (unchanged) are from an earlier run; by listing, not by
        # clock, so that an appliance clock that differs from ours does not matter
        self.before = ctx.appliance.transport.list_files(str(ctx.appliance.file("fixsts_dir")))
        progress = Progress("fixsts.sh")
        try:
            result = run_dialog(
                self.playbook, [BASH, str(script)], ctx.answers, redactor=ctx.redactor,
                rundir=ctx.rundir, env=child_env(ctx.redactor),
                prompt_timeout=ctx.prompt_timeout, overall_timeout=ctx.step_timeout,
                confirm_abandon=abandon_callback(ctx, "fixsts.sh"), confirmed=True,
                on_wait=lambda waiting: progress.waiting(describe(waiting)),
            )
        finally:
            progress.done()
        kept = self.keep_exports(ctx)
        if not result.ok:
            outcome = dialog_outcome(result, ctx, self.playbook)
            outcome.details.append(f"its log: {ctx.appliance.file('fixsts_log')}")
            return outcome
        ctx.say(f"fixsts.sh finished; {kept} LDIF export(s) copied to the run's backup.")
        failed = restart_all(ctx, "fixsts.sh")
        if failed is not None:
            action, services = failed
            name = services.failed_service or "a service"
            return StepOutcome(False, f"fixsts.sh replaced the STS certificate, but "
                               f"{name} failed to {action}",
                               [services.error, *services.last_lines,
                                "start it by hand (service-control --start --all) before "
                                "any other step"])
        return self.check(ctx)

    def runnable_copy(self, ctx: StepContext) -> Path:
        """The script itself, or a copy with LF endings in the run directory (never the
        original: the operator's file stays as downloaded)."""
        assert ctx.rundir is not None and self.script is not None
        files = ctx.appliance.transport
        data = files.read_bytes(str(self.script))
        if b"\r\n" not in data:
            return self.script
        folder = ctx.rundir.path  # the script runs where the appliance's tools run
        if files.remote:
            folder = ctx.appliance.file("state_dir") / "scripts" / ctx.rundir.path.name
        copy = folder / "fixsts-lf.sh"
        files.put_files(str(folder), {copy.name: data.replace(b"\r\n", b"\n")})
        ctx.say(f"{self.script} has CRLF line endings: running a corrected copy ({copy}).")
        ctx.rundir.note(f"fixsts.sh had CRLF line endings; ran the corrected copy {copy}")
        return copy

    def keep_exports(self, ctx: StepContext) -> int:
        """Copy fixsts.sh's LDIF exports to ``backup/step<N>-sts.<name>`` (one set per
        sts step: a second fixsts never overwrites the first one's)."""
        assert ctx.rundir is not None
        found = ctx.appliance.transport.list_files(str(ctx.appliance.file("fixsts_dir")))
        kept = []
        for file_name, mtime in sorted(found.items()):
            if not file_name.endswith(".ldif") or self.before.get(file_name) == mtime:
                continue
            path = PurePosixPath(FILES["fixsts_dir"]) / file_name
            name = f"step{ctx.step_number}-sts.{encode(path.stem)}.ldif"
            ctx.rundir.backup(name, ctx.appliance.read_bytes(str(path)), kind="sts-ldif",
                              step=ctx.step_number, original=path.name,
                              source=f"fixsts.sh export {path}")
            kept.append(name)
        ctx.rundir.event("sts_exports", number=ctx.step_number, files=kept)
        return len(kept)

    def check(self, ctx: StepContext) -> StepOutcome:
        after = examine(ctx.appliance, runner=ctx.runner)
        leaves = [r for r in after.sts if r.role == "sts-signing"]
        chain = [r for r in after.sts if r.in_use and r.role != "sts-signing"]
        good = leaves and all(r.days_left >= MIN_DAYS_LEFT and r.status == "ok" for r in leaves)
        if not good:
            shown = [f"{r.id}: {r.status}, {r.days_left} days left" for r in leaves]
            return StepOutcome(False, "fixsts.sh ran, but the STS signing certificate read "
                               "back is not valid for long enough", shown or [after.error or ""])
        # fixsts signs with the current VMCA root: if that root is itself expired, the
        # plan's reset-all (and the second sts after it) move the chain to a new root;
        # the final verification judges the chain.
        notes = [f"its chain still holds {r.id}, {r.status}: reset-all and a second fixsts "
                 "replace it" for r in chain if r.status != "ok"]
        until = min(r.facts.not_after for r in leaves)
        follow = [other_nodes_note(ctx)]  # this node was restarted above
        return StepOutcome(True, f"STS signing certificate replaced: valid until "
                           f"{until:%Y-%m-%d} ({min(r.days_left for r in leaves)} days)",
                           notes, follow)


def other_nodes_note(ctx: StepContext) -> str:
    nodes = other_nodes(ctx)
    if nodes is None:
        return ("Restart the services of every other vCenter and PSC of this SSO domain too "
                "(vcfix could not list them: check vdcrepadmin -f showservers).")
    if not nodes:
        return "This node is the only directory server of its SSO domain: no other node to restart."
    return ("Restart the services of the other nodes of this SSO domain too: "
            + ", ".join(nodes))
