"""Running a vendor tool that asks for a password on its terminal (vdcrepadmin).

The password never travels in argv: the tool runs on a pty (pexpect) and vcfix
answers its ``password: `` prompt once. A second prompt is never answered (a
refused password is never retried: repeated failures can lock the SSO
administrator account). What the tool prints is returned with every occurrence of
the password masked, in case a tool echoes it; nothing is logged here.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from vcfix.appliance.parsers.vmdir import CredentialsRefused
from vcfix.appliance.runner import display, tail
from vcfix.appliance.transport import LOCAL, Transport
from vcfix.errors import VcfixError
from vcfix.redact import Redactor

PROMPT = re.compile(r"(?i)\bpassword(?: for \S+)?:[ \t]*$")  # dir-cli names the login
PROMPT_TIMEOUT = 30.0
DEFAULT_TIMEOUT = 120.0
SEARCH_WINDOW = 8192  # the prompt ends the output: never search a 50 MB line whole


@dataclass(frozen=True)
class PtyResult:
    """What the tool printed (password masked): ``output`` is what came after the
    answered prompt, or everything when it never asked; ``preamble`` what came before."""

    preamble: str
    output: str
    exit_status: Optional[int]  # None when it was ended by a signal
    prompted: bool  # whether it asked for the password

    @property
    def text(self) -> str:
        return self.preamble + self.output


def run_with_password(
    argv: Sequence[str],
    password: str,
    *,
    prompt_timeout: float = PROMPT_TIMEOUT,
    timeout: float = DEFAULT_TIMEOUT,
    env: Optional[Mapping[str, str]] = None,
    transport: Transport = LOCAL,
) -> PtyResult:
    """Run ``argv`` on a pty and answer its one ``password:`` prompt with ``password``.

    Raises :class:`VcfixError` when it cannot start or times out, and
    :class:`CredentialsRefused` when it asks for the password a second time.
    """
    import pexpect

    command = display(argv)
    if any(password and password in arg for arg in argv):
        raise VcfixError(f"refusing to run '{command}': the password would be in its argv")
    try:
        local, local_env = transport.command(argv, env, tty=True)
        child = pexpect.spawn(local[0], local[1:], encoding="utf-8",
                              codec_errors="replace", echo=False, dimensions=(24, 200),
                              searchwindowsize=SEARCH_WINDOW, env=local_env)
    except (OSError, ValueError, pexpect.ExceptionPexpect) as exc:
        raise VcfixError(f"cannot run '{command}': {exc}") from exc
    child.delaybeforesend = None  # pexpect's default pauses cost ~0.15 s a call
    child.delayafterclose = child.delayafterterminate = 0.05
    preamble = printed = ""
    prompted = False
    try:
        index = child.expect([PROMPT, pexpect.EOF, pexpect.TIMEOUT], timeout=prompt_timeout)
        printed = _text(child.before)
        if index == 2:
            raise VcfixError(f"'{command}' neither asked for the password nor finished within "
                             f"{prompt_timeout:g} s", details=tail(_mask(printed, password)))
        if index == 0:
            prompted = True
            preamble, printed = printed, ""
            child.sendline(password)
            index = child.expect([PROMPT, pexpect.EOF, pexpect.TIMEOUT], timeout=timeout)
            printed = _text(child.before)
            if index == 0:
                raise CredentialsRefused(
                    f"'{command}' asked for the password a second time: the password was "
                    "refused, and vcfix never tries a password twice",
                    details=tail(_mask(printed, password)),
                    hint="check the SSO administrator password, then run the check again",
                )
            if index == 2:
                raise VcfixError(f"'{command}' did not finish within {timeout:g} s",
                                 details=tail(_mask(printed, password)))
        child.wait()  # it printed everything (EOF): collect its exit status
    finally:
        if child.pid and child.exitstatus is None and child.signalstatus is None:
            with contextlib.suppress(OSError):  # not reaped: its pid is still its group's
                os.killpg(child.pid, signal.SIGKILL)  # what it left running on its pty too
        child.close(force=True)  # after wait() this only closes the pty
    status = child.exitstatus if child.signalstatus is None else None
    return PtyResult(_mask(preamble, password), _mask(printed, password), status, prompted)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _mask(text: str, password: str) -> str:
    clean = text.replace("\r\n", "\n").replace("\r", "\n")
    return Redactor([password] if password else []).redact(clean)
