"""``vcfix restore RUN_DIR``: put back what a ``vcfix fix`` run replaced, then check.

Refuses a run directory whose backup is incomplete or altered
(:mod:`vcfix.fix.restore_backup`) before anything changes; reads the appliance, plans
(:mod:`vcfix.fix.restore_plan`), shows every command, asks (``--yes`` unattended),
runs them in order under the fix lock, stops at the first failure saying what was and
was not put back, restarts every service and diagnoses again: the certificates
(ids, thumbprints and serials) must be those of the run's ``diagnosis-before.json``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from vcfix import clock
from vcfix.answers.answer_file import Answers
from vcfix.appliance.lock import FixLock
from vcfix.appliance.paths import Appliance
from vcfix.appliance.pty_tool import run_with_password
from vcfix.appliance.runner import Runner
from vcfix.diagnose.collect import _machine_account, collect
from vcfix.diagnose.crls import LIST_TIMEOUT, read_crls
from vcfix.diagnose.examine import examine
from vcfix.errors import EXIT_FAILED, EXIT_OK, VcfixError
from vcfix.fix.restore_backup import load_backup
from vcfix.fix.restore_plan import (
    CRL_KIND,
    PARTS,
    PWFILE,
    VCDB_KIND,
    Action,
    crl_difference,
    differences,
    plan_crls,
    plan_sts,
    plan_vcdb,
    plan_vecs,
    plan_vmca,
)
from vcfix.fix.restore_remote import staged, unstage
from vcfix.fix.rundir import RunDir
from vcfix.fix.services import run_all
from vcfix.redact import Redactor
from vcfix.ui.prompts import Prompter

Say = Callable[[str], None]


@dataclass
class RestoreOptions:
    root: Path
    run_dir: Path
    answers: Answers
    prompter: Prompter
    parts: Sequence[str] = PARTS
    dry_run: bool = False
    appliance: Optional[Appliance] = None  # connected (--host); None: Appliance(root) here


def run_restore(opts: RestoreOptions) -> int:
    say = opts.prompter.say
    backup = load_backup(opts.run_dir)  # refuses before anything is read or changed
    appliance = opts.appliance or Appliance(opts.root)
    runner = Runner(appliance)
    say(f"Backup of {backup.run_dir}: complete, {len(backup.entries)} files, checksums match.")
    say("Reading the appliance...")
    now = collect(appliance, runner)
    if now.node is None:
        raise VcfixError("cannot read the appliance, so nothing can be compared with the "
                         "backup; nothing was changed",
                         details=[e.one_line() for e in now.errors])
    unread = [s for s in now.unread_stores if s != "VMDIR" or "sts" in opts.parts]
    if unread:
        raise VcfixError(f"cannot read {', '.join(unread)} now; nothing was changed")
    ask = None
    if opts.prompter.interactive:
        def ask(key: str, description: str, secret: bool) -> Optional[str]:
            return opts.prompter.ask(key, description, secret, None)
    answers = opts.answers.with_context(pnid=now.node.pnid, domain=now.node.domain, ask=ask)
    workdir = backup.run_dir / f"restore-{clock.now():%Y%m%dT%H%M%SZ}"
    actions: List[Action] = []
    if "vecs" in opts.parts:
        actions += plan_vecs(backup, now.stores, answers.derived("sso_user"), workdir)
        if backup.of_kind(CRL_KIND):  # a clean-crls run: the CRLs that are gone
            actions += plan_crls(backup, read_crls(runner, LIST_TIMEOUT).aliases, workdir)
    machine = _machine_account(runner) if "sts" in opts.parts else ("", "")
    if "sts" in opts.parts:
        current = [(e.dn_cn, e.kind, [c for c in e.certs if isinstance(c, bytes)])
                   for e in now.sts]
        actions += plan_sts(backup, current, now.node.domain, machine[0],
                            workdir / "sts-restore.ldif")
    if "vmca" in opts.parts:
        files = {str(e["path"]): _read(appliance, str(e["path"]))
                 for e in backup.of_kind("vmca-cert", "vmca-key")}
        actions += plan_vmca(backup, files)
    if "vcdb" in opts.parts and backup.of_kind(VCDB_KIND):
        read = now.extensions
        if read is None or read.registrations is None:
            raise VcfixError("cannot read the extension registrations in VCDB now; nothing "
                             "was changed", details=[read.error if read else "not read"])
        actions += plan_vcdb(backup, {r.ext_id: r.thumbprint for r in read.registrations})
    show(say, actions)
    if not actions:
        say("\nNothing to restore: the appliance already matches the backup "
            f"({', '.join(opts.parts)}).")
        return EXIT_OK
    if opts.dry_run:
        say("\nDry run: nothing was changed.")
        return EXIT_OK
    password = answers.get("sso.password") if any(a.credential == "sso" for a in actions) \
        else ""
    question = (f"Put back {len(actions)} items from {backup.run_dir.name} and restart every "
                "service (an outage of several minutes)?")
    if not opts.prompter.confirm("restore", question, []):
        say("Restore declined: nothing was changed.")
        return EXIT_FAILED
    with FixLock(backup.run_dir.parent.parent, command="vcfix restore"):
        execute(say, appliance, runner, actions, workdir, password, machine[1])
        return check(say, appliance, runner, backup.before, set(opts.parts) == set(PARTS),
                     crls="vecs" in opts.parts and bool(backup.of_kind(CRL_KIND)))


def _read(appliance: Appliance, path: str) -> Optional[bytes]:
    try:
        return appliance.read_bytes(path)
    except OSError:
        return None


def show(say: Say, actions: Sequence[Action]) -> None:
    say(f"\n{len(actions)} change(s), then service-control --stop --all and --start --all:")
    for number, action in enumerate(actions, 1):
        say(f"  {number}. [{action.part}] {action.what}")
        say(f"     $ {action.shown()}")
        for path, text in action.files.items():
            unfolded = text.replace("\n ", "")  # LDIF continuation lines
            lines = [ln for ln in unfolded.splitlines() if ln.startswith(("dn:", "changetype:"))]
            say(f"     ({path.name}: " + ("; ".join(lines) if lines else "a certificate") + ")")
        if action.credential == "sso":
            say("     (dir-cli asks the SSO administrator password on its terminal)")
        if action.stdin:
            say(f"     (on its standard input: {' '.join(action.stdin.split())})")


def execute(say: Say, appliance: Appliance, runner: Runner, actions: Sequence[Action],
            workdir: Path, password: str, machine_password: str) -> None:
    workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        _run_actions(say, appliance, runner, actions, workdir, password, machine_password)
    finally:
        unstage(appliance, workdir.parent)
    record = RunDir(workdir, Redactor([password, machine_password]))  # jobs/ of the restarts
    record.appliance = appliance
    for action_name in ("stop", "start"):
        say(f"service-control --{action_name} --all ...")
        result = run_all(runner, action_name, lambda text: say(f"  {text}"), rundir=record)
        if not result.ok:
            name = result.failed_service or "a service"
            raise VcfixError(f"everything was put back, but {name} failed to {action_name}",
                             details=result.last_lines,
                             hint="service-control --start --all")


def _run_actions(say: Say, appliance: Appliance, runner: Runner, actions: Sequence[Action],
                 workdir: Path, password: str, machine_password: str) -> None:
    for number, action in enumerate(staged(appliance, actions, workdir.parent), 1):
        say(f"{number}/{len(actions)} $ {action.shown()}")
        try:
            run_action(appliance, runner, action, password, machine_password)
        except VcfixError as exc:
            left = [f"not done: {a.shown()}" for a in actions[number:]]
            raise VcfixError(f"the restore stopped at step {number} of {len(actions)}: "
                             f"{exc.one_line()}; steps 1 to {number - 1} were done",
                             details=left, hint="see docs/restore.md to finish by hand") from exc


def run_action(appliance: Appliance, runner: Runner, action: Action, password: str,
               machine_password: str) -> None:
    for path, text in action.files.items():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    if action.copy:
        source, target, mode = action.copy
        appliance.transport.write_file(str(appliance.path(target)), source.read_bytes(), mode)
    elif action.credential == "sso":
        result = run_with_password(runner.argv(action.tool, action.args), password,
                                   transport=appliance.transport)
        if result.exit_status != 0:
            raise VcfixError(f"'{action.shown()}' failed (exit {result.exit_status})",
                             details=result.text.strip().splitlines()[-4:])
    elif action.credential == "machine":
        with runner.appliance.secret_file(machine_password) as pwfile:
            runner.run(action.tool, [pwfile if a == PWFILE else a for a in action.args])
    else:
        runner.run(action.tool, action.args, stdin=action.stdin or None)


def check(say: Say, appliance: Appliance, runner: Runner, before: Dict[str, Any],
          complete: bool, crls: bool = False) -> int:
    """``crls``: the CRLs were put back too, so their count must be that of before."""
    say("\nDiagnosing again...")
    after = examine(appliance, runner=runner).to_json()
    missing = differences(before, after) + (crl_difference(before, after) if crls else [])
    if not missing:
        say("Restored: the certificates (ids, thumbprints and serials) and the extension "
            "thumbprints in VCDB are those of diagnosis-before.json.")
        return EXIT_OK
    say("The certificates differ from diagnosis-before.json:")
    say("\n".join(f"  {line}" for line in missing))
    if not complete:
        say("(expected: --steps restored only some parts)")
        return EXIT_OK
    return EXIT_FAILED

