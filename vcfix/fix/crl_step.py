"""The ``clean-crls`` step: delete the CRLs of VECS ``TRUSTED_ROOT_CRLS``, restart, count.

The KB 2146011 / KB 326288 procedure: every CRL was copied to the run's backup before the
first change (:mod:`vcfix.fix.crl_backup`); each one the backup holds is deleted
(``vecs-cli entry delete --store TRUSTED_ROOT_CRLS --alias A -y``), every service restarts
(``service-control --stop --all``, ``--start --all``), and the store is counted again:
vmafd puts back the CRLs its CAs still publish in VMDIR, so what is left must be at most
the threshold. ``vcfix restore RUN_DIR`` puts the deleted CRLs back.
"""

from __future__ import annotations

from typing import List, Tuple

from vcfix.diagnose.crls import LIST_TIMEOUT, STORE, THRESHOLD, read_crls
from vcfix.diagnose.plan import Step
from vcfix.errors import VcfixError
from vcfix.fix.crl_backup import saved_crls
from vcfix.fix.restart import restart_all
from vcfix.fix.step import StepContext, StepKind, StepOutcome
from vcfix.ui.progress import Progress

OUTAGE_MINUTES = 20  # a restart of every service


class CleanCrlsStep(StepKind):
    name = "clean-crls"

    def prerequisites(self, ctx: StepContext) -> None:
        for tool in ("vecs-cli", "service-control"):
            ctx.appliance.tool(tool)

    def preflight(self, ctx: StepContext) -> None:
        """No answer needed (no password, no certificate field)."""

    def outage(self) -> Tuple[int, str]:
        return (OUTAGE_MINUTES, "after the CRLs are deleted: every service on this node "
                "(service-control --stop --all, then --start --all)")

    def describe(self, ctx: StepContext) -> List[Tuple[str, str]]:
        return [("backup", f"every CRL of {STORE} into the run's backup (before any change)"),
                ("then", f"vecs-cli entry delete --store {STORE} --alias ALIAS -y (each CRL "
                         "backed up)"),
                ("then", "service-control --stop --all"),
                ("then", "service-control --start --all"),
                ("then", f"vecs-cli entry list --store {STORE} (count again, without --text)")]

    def confirmation(self, ctx: StepContext, step: Step) -> Tuple[str, List[str]]:
        details = [f"why: {step.reason}",
                   f"deletes: every CRL of VECS {STORE} (kept in the run's backup; "
                   "'vcfix restore RUN_DIR' puts them back); vmafd brings back those still "
                   "published in VMDIR",
                   "restarts: every service on this node (service-control --stop --all, "
                   "--start --all)",
                   f"outage: about {OUTAGE_MINUTES} minutes"]
        return f"Delete the CRLs of {STORE} and restart every service now?", details

    def command(self, ctx: StepContext) -> str:
        return f"vecs-cli entry delete --store {STORE} (each CRL), then a restart"

    def run(self, ctx: StepContext, step: Step) -> StepOutcome:
        assert ctx.rundir is not None
        saved = saved_crls(ctx.rundir.manifest(), ctx.rundir.path)
        if saved is None:
            return StepOutcome(False, "clean-crls: FAILED: the run's backup holds no copy of "
                               "the CRLs; nothing was deleted")
        backed_up = {str(e.get("alias")) for e in saved}
        now = read_crls(ctx.runner, LIST_TIMEOUT)
        targets = [a for a in now.aliases if a in backed_up]
        left_alone = len(now.aliases) - len(targets)
        ctx.say(f"Deleting {len(targets)} CRLs from {STORE}...")
        progress = Progress("vecs-cli entry delete")
        deleted = 0
        every = max(1, len(targets) // 10)  # progress in tenths
        try:
            for alias in targets:
                try:
                    ctx.runner.run("vecs-cli", ["entry", "delete", "--store", STORE,
                                                "--alias", alias, "-y"])
                except VcfixError as exc:
                    ctx.rundir.event("crls_deleted", deleted=deleted, left_alone=left_alone,
                                     failed=alias)
                    return StepOutcome(False, f"clean-crls: FAILED after deleting {deleted} of "
                                       f"{len(targets)} CRLs: {exc.message}",
                                       [*exc.details, "nothing was restarted; 'vcfix restore "
                                        f"{ctx.rundir.path}' puts the deleted CRLs back"])
                deleted += 1
                if deleted % every == 0 or deleted == len(targets):
                    progress.line(f"{deleted}/{len(targets)}")
        finally:
            progress.done()
        ctx.rundir.event("crls_deleted", deleted=deleted, left_alone=left_alone)
        failed = restart_all(ctx, "clean-crls")
        if failed is not None:
            action, result = failed
            return StepOutcome(False, f"{deleted} CRLs deleted, but "
                               f"{result.failed_service or 'a service'} failed to {action}",
                               [result.error, *result.last_lines,
                                "start it by hand (service-control --start --all)"])
        after = read_crls(ctx.runner, LIST_TIMEOUT).count
        if after > THRESHOLD:
            return StepOutcome(False, f"clean-crls: {deleted} CRLs deleted, but {STORE} holds "
                               f"{after} after the restart (more than {THRESHOLD})",
                               ["vmafd brings back the CRLs of CAs still published in VMDIR: "
                                "check 'dir-cli trustedcert list' for CAs no longer needed"])
        return StepOutcome(True, f"{deleted} CRLs deleted from {STORE} (kept in the run's "
                           f"backup); {after} after the restart", [])

