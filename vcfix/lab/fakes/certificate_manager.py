"""Fake ``certificate-manager``: VMware's interactive certificate tool, for the lab.

Options 3 (Machine SSL), 6 (solution users) and 8 (reset all) run the real dialog
(:mod:`vcfix.lab.fakes.certmgr_dialog`), then reissue certificates in the lab state
(:mod:`vcfix.lab.reissue`) while ``Status : NN% Completed [...]`` lines are redrawn
with a carriage return. Pacing and failure injection come from the state's
``settings`` (``vcfix lab set``; docs/lab.md). The password is read without echo and
never written anywhere.
"""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Dict, List, Optional, Sequence, Tuple

from vcfix import clock
from vcfix.lab import state as lab_state
from vcfix.lab import vmca_files
from vcfix.lab.fakes import certmgr_dialog as d
from vcfix.lab.fakes.certmgr_dialog import Console, EndOfInput, log
from vcfix.lab.fakes.common import error, fake_tool, load_state

TOOL = "certificate-manager"
SIMULATED = (3, 6, 8)
NOT_A_TTY = ("certificate-manager: stdin is not a terminal (termios.error: (25, "
             "'Inappropriate ioctl for device')); run it from an interactive session")
USE_CONFIG = ("Do you wish to generate all certificates using configuration file : "
              "Option[Y/N] ? : ")
CONTINUE = "Continue operation : Option[Y/N] ? : "
GOING = {
    3: "You are going to regenerate Machine SSL cert using VMCA",
    6: "You are going to regenerate Solution User Certificates using VMCA",
    8: "You are going to reset by regenerating Root Certificate and replace all "
       "certificates using VMCA",
}
ROLLBACK_STATUS = "Operation failed, performing automatic rollback"
ROLLBACK_DONE = "Rollback completed successfully"
DONE = "All tasks completed successfully"
# option -> (what is rolled back, in order; what failed)
ROLLBACK = {
    3: (("Machine SSL Cert",), "replacing Machine SSL Cert"),
    6: (("Solution User Certs",), "replacing Solution User Certs"),
    8: (("Solution User Certs", "Machine SSL Cert", "Root Cert"), "resetting all Certificates"),
}
ROLLBACK_SECONDS = 300.0


@dataclass(frozen=True)
class Step:
    percent: int
    message: str
    seconds: float  # how long a real appliance takes after this line (x settings.speed)
    action: str = ""  # a vcfix.lab.reissue.apply step


_SERVICES = (Step(70, "Stopping services...", 200), Step(85, "Starting services...", 400),
             Step(100, DONE, 0))
PLANS: Dict[int, Tuple[Step, ...]] = {
    3: (Step(0, "Operation started", 2),
        Step(10, "Generating Machine SSL cert using VMCA", 8),
        Step(20, "Backing up Machine SSL Cert to BACKUP_STORE", 2, "backup"),
        Step(35, "Replacing Machine SSL Cert...", 10, "machine_ssl"),
        Step(60, "Updating service registrations...", 10)) + _SERVICES,
    6: (Step(0, "Operation started", 2),
        Step(10, "Generating Solution User certificates using VMCA", 10),
        Step(20, "Backing up Solution User Certs to BACKUP_STORE", 2, "backup"),
        Step(35, "Replacing Solution User Certs...", 20, "solution_users"),
        Step(60, "Updating service registrations...", 20)) + _SERVICES,
    8: (Step(0, "Operation started", 2),
        Step(5, "Backing up all certificates to BACKUP_STORE", 2, "backup"),
        Step(10, "Regenerating VMCA Root Certificate...", 10, "root"),
        Step(25, "Replacing Machine SSL Cert...", 15, "machine_ssl"),
        Step(45, "Replacing Solution User Certs...", 25, "solution_users"),
        Step(60, "Publishing Root Cert and updating service registrations...", 20),
        Step(70, "Stopping services...", 300), Step(85, "Starting services...", 500),
        Step(100, DONE, 0)),
}


def status(percent: int, message: str) -> str:
    return f"Status : {percent}% Completed [{message}]"


def rollback_lines(option: int) -> Tuple[List[str], str]:
    """The rollback lines of ``option`` and its closing error line."""
    parts, what = ROLLBACK[option]
    failure = f"Error while {what}, please see {d.LOG} for more information."
    return [f"Performing rollback of {part}..." for part in parts], failure


class Terminated(Exception):
    """SIGTERM."""


def _on_sigterm(_signum: int, _frame: Optional[FrameType]) -> None:
    raise Terminated


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    if not sys.stdin.isatty():
        error(NOT_A_TTY)
        return 1
    signal.signal(signal.SIGTERM, _on_sigterm)
    console = Console()
    state = load_state(lab_root)
    try:
        console.say(d.banner(str(state.get("version", ""))))
        console.say(d.NOTE)
        option = d.ask_menu(console)
        if option is None:
            console.say()
            return 0
        log(lab_root, f"Selected option {option}: {d.MENU[option - 1]}")
        if option not in SIMULATED:
            error(f"Option {option} ({d.MENU[option - 1]}) is not simulated in the vcfix lab; "
                  "only options 3, 6 and 8 are. Nothing was changed.")
            return 1
        return _operate(option, console, lab_root, state)
    except EndOfInput:
        console.say()
        log(lab_root, "Input closed (Ctrl-D); operation not performed")
        return 1
    except Terminated:
        console.say()
        log(lab_root, "Terminated by SIGTERM", "ERROR")
        return 143
    except KeyboardInterrupt:
        console.say()
        log(lab_root, "Interrupted (Ctrl-C)", "ERROR")
        return 130


def _operate(option: int, console: Console, root: Path, state: lab_state.State) -> int:
    if option == 8 and not console.yes(USE_CONFIG):
        error("Generating each certificate with its own configuration is not simulated in "
              "the vcfix lab (answer Y). Nothing was changed.")
        return 1
    if not d.ask_credentials(console, root, state):
        return 1
    if state.get("node_type") == "management":
        d.ask_psc(console, state)
    unexpected = lab_state.setting(state, "cm_unexpected_prompt")
    if unexpected:
        log(root, "Lab setting cm_unexpected_prompt: asking an unexpected question", "WARNING")
        while True:
            console.ask(str(unexpected))
    values, vmca_name = d.ask_certool(console, root, str(state.get("version", "")))
    log(root, "certool.cfg values: " + ", ".join(f"{k}={v}" for k, v in values.items()))
    if option == 8 and not console.yes(CONTINUE):  # 8 asks twice (7.0/8.0 runbooks)
        log(root, "Operation not confirmed; nothing was changed")
        return 0
    console.say(GOING[option])
    if not console.yes(CONTINUE):
        log(root, "Operation not confirmed; nothing was changed")
        return 0
    return _work(option, _Progress(console), root, values, vmca_name)


def _work(option: int, progress: _Progress, root: Path, values: Dict[str, str],
          vmca_name: str) -> int:
    """Run the plan of ``option``: progress lines, reissue, injected failures."""
    from vcfix.lab import reissue

    fields = reissue.fields_from_cfg(values, vmca_name)
    state = load_state(root)
    speed = max(float(lab_state.setting(state, "speed")), 0.0)
    rollback_at = lab_state.setting(state, "cm_rollback_at")
    hang_at = lab_state.setting(state, "cm_hang_at")
    saved = reissue.snapshot(state, reissue.stores_for(option, state))
    log(root, f"Operation started: {d.MENU[option - 1]}")
    message = PLANS[option][0].message
    for step in PLANS[option]:
        if hang_at is not None and step.percent >= int(hang_at):
            progress.show(int(hang_at), message)
            log(root, f"Lab setting cm_hang_at: stopped at {hang_at}%", "WARNING")
            while True:
                time.sleep(3600)
        if rollback_at is not None and step.percent >= int(rollback_at):
            return _rollback(option, progress, root, saved, int(rollback_at), speed)
        progress.show(step.percent, step.message)
        message = step.message
        if step.action:
            with lab_state.transaction(root) as current:
                done = reissue.apply(current, step.action, option, fields, clock.now())
                if step.action == "root":
                    vmca_files.write(root, current)
            log(root, f"{step.message} done: {', '.join(done) or 'nothing to do'}")
        pause(step.seconds * speed)
    progress.end()
    cfg = root / d.CERTOOL_CFG.lstrip("/")
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(d.format_cfg(values), encoding="utf-8")
    log(root, DONE)
    return 0


def _rollback(option: int, progress: _Progress, root: Path, saved: Dict[str, Any],
              percent: int, speed: float) -> int:
    from vcfix.lab import reissue

    progress.show(percent, ROLLBACK_STATUS)
    progress.end()
    log(root, f"Lab setting cm_rollback_at: operation failed at {percent}%", "ERROR")
    lines, failure = rollback_lines(option)
    for line in lines:
        progress.console.say(line)
        log(root, line)
    with lab_state.transaction(root) as current:
        reissue.restore(current, saved)
        if option == 8:
            vmca_files.write(root, current)
    pause(ROLLBACK_SECONDS * speed)
    for line, level in ((ROLLBACK_DONE, "INFO"), (failure, "ERROR")):
        progress.console.say(line)
        log(root, line, level)
    return 1


class _Progress:
    """``Status`` lines redrawn in place with a carriage return."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.width = 0

    def show(self, percent: int, message: str) -> None:
        text = status(percent, message)
        self.console.say("\r" + text.ljust(self.width), end="")
        self.width = max(self.width, len(text))

    def end(self) -> None:
        self.console.say()


def pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)
