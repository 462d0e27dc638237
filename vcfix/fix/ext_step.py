"""The ``extension-thumbprints`` step: VCDB's ``vpx_ext`` rows back onto vpxd-extension.

When it runs (last: it needs the final vpxd-extension certificate) it reads the
certificate from VECS and the rows of ESX Agent Manager, Auto Deploy and Image Builder
from VCDB. Rows that already match are left alone, and a step with nothing stale says
so and changes nothing (it is planned after option 6 or 8 without knowing whether the
replacement left the rows behind). Otherwise it saves the rows in the run's backup
(``backup/step<N>-vcdb.vpx_ext.json``, in the manifest; ``vcfix restore`` puts them
back), updates the stale ones in one transaction (KB 2112577), restarts vmware-vpxd
and reads the rows again: every one must match.
"""

from __future__ import annotations

import json
from typing import List, Sequence, Tuple

from vcfix.diagnose.extensions import (
    EXTENSIONS,
    KB,
    PSQL_ARGS,
    SELECT_SQL,
    STEP,
    Registration,
    matches,
    update_sql,
)
from vcfix.diagnose.plan import Step
from vcfix.diagnose.read_extensions import psql, read_expected, select_registrations
from vcfix.errors import VcfixError
from vcfix.fix.restart import restart_one
from vcfix.fix.step import StepContext, StepKind, StepOutcome

SERVICE = "vmware-vpxd"
OUTAGE_MINUTES = 3
BACKUP_KIND = "vcdb-rows"
PSQL = "psql " + " ".join(PSQL_ARGS)


class ExtensionThumbprintsStep(StepKind):
    name = STEP

    def prerequisites(self, ctx: StepContext) -> None:
        if ctx.node.node_type == "infrastructure":
            raise VcfixError(f"the {STEP} step cannot run on a Platform Services Controller: "
                             "the extensions are registered in the vCenter's database",
                             hint="run vcfix on the vCenter Server")
        ctx.appliance.tool("psql")

    def preflight(self, ctx: StepContext) -> None:
        """Nothing to answer: psql connects as postgres, without a password, as root."""

    def outage(self) -> Tuple[int, str]:
        return (OUTAGE_MINUTES, f"after the update, {SERVICE} only (service-control --stop, "
                "then --start; the vSphere Client and API are down meanwhile); nothing when "
                "the registrations already match")

    def describe(self, ctx: StepContext) -> List[Tuple[str, str]]:
        rows = [("read", f"vecs-cli entry list --store vpxd-extension; {PSQL} "
                         f"<<< \"{SELECT_SQL.strip()}\"")]
        try:
            expected = read_expected(ctx.runner)
            stale = _stale(select_registrations(ctx.runner), expected)
        except VcfixError as exc:
            stale, expected = [], ""
            rows.append(("now", f"could not be read: {exc.one_line()}"))
        if stale:
            sql = update_sql([(r.ext_id, expected) for r in stale])
            rows.append(("save", "the rows to the run's backup (step<N>-vcdb.vpx_ext.json)"))
            rows.append(("update", f"{PSQL} <<< \"{' '.join(sql.split())}\""))
        else:
            rows.append(("update", "only the rows that do not match the vpxd-extension "
                         "certificate when the step runs (after option 6/8: its new one), in "
                         "one transaction (BEGIN; UPDATE vpx_ext SET thumbprint = ... WHERE "
                         "ext_id = ...; COMMIT;); none would be changed now"))
        return rows + [("then", f"service-control --stop {SERVICE}"),
                       ("then", f"service-control --start {SERVICE}"),
                       ("then", "read vpx_ext again: every row must match")]

    def confirmation(self, ctx: StepContext, step: Step) -> Tuple[str, List[str]]:
        details = [
            f"why: {step.reason}",
            "replaces: the thumbprint VCDB (vpx_ext) holds for "
            + ", ".join(f"{name} ({ext})" for ext, name in EXTENSIONS.items())
            + ", with the vpxd-extension certificate's, in one transaction (KB " + KB + "); "
            "the old rows are saved in the run's backup first; rows that match are left alone",
            f"restarts: {SERVICE} (only if a row was updated)",
            f"outage: about {OUTAGE_MINUTES} minutes (vpxd only)",
        ]
        return "Update the extension thumbprints in VCDB and restart vpxd now?", details

    def command(self, ctx: StepContext) -> str:
        return (f"{PSQL} (UPDATE vpx_ext, one transaction); service-control --stop/--start "
                f"{SERVICE}")

    def run(self, ctx: StepContext, step: Step) -> StepOutcome:
        assert ctx.rundir is not None
        try:
            expected = read_expected(ctx.runner)
            rows = [r for r in select_registrations(ctx.runner) if r.ext_id in EXTENSIONS]
        except VcfixError as exc:
            return StepOutcome(False, f"{STEP}: could not read the registrations; nothing "
                               "was changed", [exc.one_line()])
        stale = _stale(rows, expected)
        ctx.rundir.note(f"vpxd-extension {expected}; stale: "
                        + (", ".join(r.ext_id for r in stale) or "none"))
        if not stale:
            ctx.rundir.event("extension_thumbprints", number=ctx.step_number,
                             expected=expected, stale=[], backup=None, updated=False)
            return StepOutcome(True, f"extension thumbprints: already matching the "
                               f"vpxd-extension certificate ({expected}); nothing changed")
        name = f"step{ctx.step_number}-vcdb.vpx_ext.json"
        saved = {"table": "vpx_ext", "expected": expected,
                 "rows": [{"ext_id": r.ext_id, "thumbprint": r.thumbprint} for r in rows]}
        ctx.rundir.backup(name, json.dumps(saved, indent=2) + "\n", kind=BACKUP_KIND,
                          step=ctx.step_number, table="vpx_ext",
                          source=f"VCDB vpx_ext rows before step {ctx.step_number} (psql)")
        ids = [r.ext_id for r in stale]
        ctx.say(f"Saved {len(rows)} vpx_ext rows to the run's backup ({name}); updating "
                f"{', '.join(ids)} in one transaction...")
        try:
            psql(ctx.runner, update_sql([(r.ext_id, expected) for r in stale]))
        except VcfixError as exc:
            ctx.rundir.event("extension_thumbprints", number=ctx.step_number,
                             expected=expected, stale=ids, backup=name, updated=False)
            return StepOutcome(False, f"{STEP}: the UPDATE failed and its transaction did not "
                               "commit: the rows were not changed", [exc.one_line()])
        ctx.rundir.event("extension_thumbprints", number=ctx.step_number, expected=expected,
                         stale=ids, backup=name, updated=True)
        failed = restart_one(ctx, SERVICE, "the update")
        if failed is not None:
            action, error = failed
            return StepOutcome(False, f"the extension thumbprints were updated, but "
                               f"{SERVICE} failed to {action}",
                               [error.one_line(), f"start it by hand: service-control "
                                f"--start {SERVICE}"])
        return self.check(ctx, expected, ids)

    def check(self, ctx: StepContext, expected: str, ids: Sequence[str]) -> StepOutcome:
        try:
            left = _stale(select_registrations(ctx.runner), expected)
        except VcfixError as exc:
            return StepOutcome(False, f"{STEP}: updated, but the rows could not be read "
                               "again", [exc.one_line()])
        if left:
            return StepOutcome(False, f"{STEP}: still not matching after the update: "
                               + ", ".join(f"{r.ext_id} ({r.thumbprint})" for r in left))
        return StepOutcome(True, f"extension thumbprints updated: {', '.join(ids)} now "
                           f"registered with {expected}; {SERVICE} restarted")


def _stale(rows: Sequence[Registration], expected: str) -> List[Registration]:
    return [r for r in rows if r.ext_id in EXTENSIONS and not matches(r.thumbprint, expected)]
