"""The ``data-encipherment`` step: a new data-encipherment certificate signed by VMCA.

certificate-manager never reissues it, so vcfix does what the KB does by hand: a new key
(``certool --genkey``) and certificate (``certool --gencert ... --Name=data-encipherment``,
certool.cfg values from the appliance's certool.cfg or VMware's defaults, Hostname the
PNID) in a private folder on the appliance (``Appliance.secret_file``: 0700, key file 0600,
removed afterwards, never printed; over ``--host`` too); the
old certificate and key are already in the run's backup (every VECS entry is, before the
first change); then ``vecs-cli entry delete`` and ``entry create`` in the
``data-encipherment`` store, and a restart of vpxd. ``vcfix restore`` puts the old entry
back.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from typing import List, Optional, Tuple

from vcfix import clock
from vcfix.diagnose import certs
from vcfix.diagnose.encipherment import ALIAS, STORE
from vcfix.diagnose.plan import Step
from vcfix.errors import VcfixError
from vcfix.fix.certool import certool_defaults
from vcfix.fix.restart import restart_one
from vcfix.fix.step import StepContext, StepKind, StepOutcome

SERVICE = "vmware-vpxd"
MIN_DAYS_LEFT = 180
OUTAGE_MINUTES = 5
CFG_FIELDS = (("Country", "certificate.country"), ("Organization", "certificate.organization"),
              ("OrgUnit", "certificate.org_unit"), ("State", "certificate.state"),
              ("Locality", "certificate.locality"), ("Email", "certificate.email"))
FOLLOW_UP = ("Guest customization specifications store their passwords encrypted with the "
             "data-encipherment key: edit each specification in the vSphere Client and type "
             "its passwords again.")


class DataEnciphermentStep(StepKind):
    name = "data-encipherment"

    def prerequisites(self, ctx: StepContext) -> None:
        for tool in ("certool", "vecs-cli", "service-control"):
            ctx.appliance.tool(tool)

    def preflight(self, ctx: StepContext) -> None:
        """No answer needed: the certool.cfg values come from the appliance or defaults."""

    def outage(self) -> Tuple[int, str]:
        return (OUTAGE_MINUTES, f"after the new certificate is stored: {SERVICE} "
                "(the vSphere Client and API are unavailable meanwhile)")

    def describe(self, ctx: StepContext) -> List[Tuple[str, str]]:
        return [("key", "certool --genkey --privkey=KEY --pubkey=PUB (private folder, 0600)"),
                ("certificate", "certool --gencert --cert=CRT --privkey=KEY --config=CFG "
                                "--Name=data-encipherment (signed by VMCA)"),
                ("config", "; ".join(f"{k} = {v}" for k, v in self.config(ctx))),
                ("then", f"vecs-cli entry delete --store {STORE} --alias {ALIAS} -y"),
                ("then", f"vecs-cli entry create --store {STORE} --alias {ALIAS} --cert CRT "
                         "--key KEY"),
                ("then", f"service-control --stop {SERVICE}, then --start {SERVICE}")]

    def confirmation(self, ctx: StepContext, step: Step) -> Tuple[str, List[str]]:
        details = [f"why: {step.reason}",
                   f"replaces: the {STORE} certificate and key (old ones in the run's "
                   "backup; 'vcfix restore RUN_DIR' puts them back) with new ones signed "
                   "by VMCA",
                   f"restarts: {SERVICE} (service-control --stop/--start {SERVICE})",
                   f"outage: about {OUTAGE_MINUTES} minutes (vSphere Client and API)",
                   f"afterwards: {FOLLOW_UP}"]
        return "Regenerate the data-encipherment certificate now?", details

    def command(self, ctx: StepContext) -> str:
        return "certool --genkey/--gencert, vecs-cli entry delete/create, vpxd restart"

    def config(self, ctx: StepContext) -> List[Tuple[str, str]]:
        defaults = certool_defaults(ctx.appliance)
        rows = [("Name", ALIAS)]
        for cfg_key, answer_key in CFG_FIELDS:
            value = ctx.answers.peek(answer_key) or defaults.get(answer_key, "")
            if value:
                rows.append((cfg_key, re.sub(r"[\r\n]", " ", value)))
        return rows + [("Hostname", ctx.node.pnid)]

    def run(self, ctx: StepContext, step: Step) -> StepOutcome:
        assert ctx.rundir is not None
        if not self.backed_up(ctx):
            return StepOutcome(False, f"data-encipherment: FAILED: the run's backup holds no "
                               f"copy of {STORE}/{ALIAS} (certificate and key); nothing was "
                               "changed")
        # a 0700 folder on the appliance holding an empty 0600 file (for the key), removed
        # with everything in it when the block ends (at exit and on SIGHUP/SIGTERM too)
        with ctx.appliance.secret_file("") as key:
            return self.replace(ctx, posixpath.dirname(key), key)

    def backed_up(self, ctx: StepContext) -> bool:
        assert ctx.rundir is not None
        kinds = {e.get("kind") for e in ctx.rundir.manifest().get("entries", [])
                 if e.get("store") == STORE and e.get("alias") == ALIAS}
        return {"vecs-cert", "vecs-key"} <= kinds

    def replace(self, ctx: StepContext, folder: str, key: str) -> StepOutcome:
        pub, crt, cfg = (posixpath.join(folder, n) for n in ("de.pub", "de.crt", "de.cfg"))
        text = "".join(f"{k} = {v}\n" for k, v in self.config(ctx))
        try:
            ctx.appliance.transport.write_file(cfg, text.encode("utf-8"), 0o600)
            ctx.runner.run("certool", ["--genkey", f"--privkey={key}", f"--pubkey={pub}"],
                           sensitive=True)
            ctx.runner.run("certool", ["--gencert", f"--cert={crt}", f"--privkey={key}",
                                       f"--config={cfg}", f"--Name={ALIAS}"])
            pem = ctx.appliance.transport.read_bytes(crt).decode("ascii", "replace")
            problem = self.check_new(pem)
            if problem is None:
                ctx.runner.run("vecs-cli", ["entry", "delete", "--store", STORE,
                                            "--alias", ALIAS, "-y"])
        except (VcfixError, OSError) as exc:
            message = exc.message if isinstance(exc, VcfixError) else str(exc.strerror)
            details = exc.details if isinstance(exc, VcfixError) else []
            return StepOutcome(False, f"data-encipherment: FAILED: {message}; nothing was "
                               "changed", list(details))
        if problem:
            return StepOutcome(False, f"data-encipherment: FAILED: {problem}; nothing was "
                               "changed")
        try:
            ctx.runner.run("vecs-cli", ["entry", "create", "--store", STORE, "--alias", ALIAS,
                                        "--cert", crt, "--key", key])
        except VcfixError as exc:
            return StepOutcome(False, f"data-encipherment: FAILED: the old entry was deleted "
                               f"and the new one could not be stored: {exc.message}",
                               [*exc.details, f"put the old one back: 'vcfix restore "
                                f"{ctx.rundir.path if ctx.rundir else 'RUN_DIR'}'"])
        failed = restart_one(ctx, SERVICE, "the new data-encipherment entry")
        if failed is not None:
            action, error = failed
            return StepOutcome(False, f"data-encipherment stored, but {SERVICE} failed to "
                               f"{action}: {error.message}",
                               [*error.details, f"start it: service-control --start {SERVICE}"])
        return self.check(ctx, pem)

    def check_new(self, pem: str) -> Optional[str]:
        try:
            new = certs.facts(certs.load_pem_chain(pem, "the new certificate")[0])
        except VcfixError as exc:
            return f"certool wrote no readable certificate ({exc.message})"
        if new.not_after <= clock.now() + dt.timedelta(days=MIN_DAYS_LEFT):
            return f"the new certificate is valid only until {new.not_after:%Y-%m-%d}"
        return None

    def check(self, ctx: StepContext, pem: str) -> StepOutcome:
        done = ctx.runner.run("vecs-cli", ["entry", "getcert", "--store", STORE,
                                           "--alias", ALIAS])
        if re.sub(r"\s", "", done.stdout) != re.sub(r"\s", "", pem):
            return StepOutcome(False, f"data-encipherment: FAILED: {STORE}/{ALIAS} read back "
                               "is not the new certificate")
        new = certs.facts(certs.load_pem_chain(pem, "the new certificate")[0])
        return StepOutcome(True, f"data-encipherment regenerated, signed by VMCA: valid until "
                           f"{new.not_after:%Y-%m-%d}; {SERVICE} restarted", [], [FOLLOW_UP])
