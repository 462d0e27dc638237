"""Read one node's snapshot: the I/O half of the pre-upgrade check.

The calls that need no password (vmafd-cli, vdcadmintool/dir-cli, lstool.py)
run in worker threads while vdcrepadmin runs on a pty in this thread:
``showpartnerstatus`` first, alone, so that a refused password is tried exactly
once; then ``showpartners`` and ``showservers``. Partners that were behind are
sampled a second time ``resample_after`` seconds after the first sample (minus
the time the other calls took); a node whose partners are all in step never
waits. ``sleep`` is injectable so that tests never sleep.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple, TypeVar

from vcfix import clock
from vcfix.appliance.lstool_run import list_registrations
from vcfix.appliance.parsers import vmafd
from vcfix.appliance.paths import Appliance
from vcfix.appliance.pty_tool import run_with_password
from vcfix.appliance.runner import Runner, display, tail
from vcfix.errors import EXIT_UNKNOWN, VcfixError
from vcfix.preupgrade import parsers
from vcfix.preupgrade.snapshot import (
    NodeSnapshot,
    Partner,
    apply_resample,
    needs_resample,
    partners_from_status,
)

DEFAULT_RESAMPLE = 60.0
SMALL_TIMEOUT = 30.0  # vdcadmintool, dir-cli
LSTOOL_TIMEOUT = 300.0  # a JVM listing every registration of a large domain
T = TypeVar("T")
WaitCallback = Callable[[List[str], float], None]


@dataclass
class Credentials:
    """The SSO administrator as vdcrepadmin wants it: ``-u administrator``."""

    user: str
    password: str = field(repr=False)

    @classmethod
    def from_username(cls, username: Optional[str], password: str) -> Credentials:
        """``administrator@vsphere.local`` -> ``administrator`` (vdcrepadmin adds the domain)."""
        name = (username or "administrator").strip().split("@", 1)[0] or "administrator"
        return cls(name, password)


def collect_node(
    appliance: Appliance,
    credentials: Credentials,
    *,
    resample_after: float = DEFAULT_RESAMPLE,
    sleep: Optional[Callable[[float], None]] = None,
    runner: Optional[Runner] = None,
    on_wait: Optional[WaitCallback] = None,
) -> NodeSnapshot:
    """This node's snapshot; what could not be read is listed in its ``errors``.

    Raises :class:`VcfixError` (exit 3) when the node's name cannot be read or the
    SSO password is refused (after one try). ``sleep`` defaults to :func:`wait`.
    """
    runner = runner or Runner(appliance)
    taken_at = clock.now()
    notes = _Notes()
    guard = notes.guard
    with ThreadPoolExecutor(max_workers=6) as pool:
        pnid = pool.submit(_vmafd, runner, "get-pnid")
        machine_id = pool.submit(_vmafd, runner, "get-machine-id")
        site = pool.submit(_vmafd, runner, "get-site-name")
        state: "Future[str]" = pool.submit(vmdir_state, runner)
        lookup = pool.submit(registrations, appliance, runner)
        try:
            partners, agreements, servers = _replication(
                _Vdcrepadmin(appliance, credentials), pool, notes, resample_after,
                sleep or wait, on_wait)
        except parsers.CredentialsRefused as exc:
            raise _refused(exc, credentials) from exc
        host = _host(pnid)
        return NodeSnapshot(
            host=host, taken_at=taken_at,
            version=guard("version", appliance.version),
            node_type=guard("node type", appliance.node_type),
            machine_id=guard("machine ID", machine_id.result),
            site=guard("site", site.result),
            vmdir_state=guard("vmdir state", state.result),
            partners=partners, agreements=agreements, servers=servers,
            registrations=guard("Lookup Service registrations", lookup.result),
            errors=notes.errors,
        )


class _Notes:
    """What could not be read, as the snapshot's ``errors`` lines."""

    def __init__(self) -> None:
        self.errors: List[str] = []

    def note(self, what: str, exc: VcfixError) -> None:
        self.errors.append(f"{what}: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""))

    def guard(self, what: str, call: Callable[[], T]) -> Optional[T]:
        try:
            return call()
        except parsers.CredentialsRefused:
            raise
        except VcfixError as exc:
            self.note(what, exc)
            return None


def _replication(vdc: _Vdcrepadmin, pool: ThreadPoolExecutor, notes: _Notes,
                 resample_after: float, sleep: Callable[[float], None],
                 on_wait: Optional[WaitCallback]
                 ) -> Tuple[Optional[List[Partner]], Optional[List[str]], Optional[List[str]]]:
    """Partners (resampled when behind), agreements and servers from vdcrepadmin."""
    try:
        first = vdc.partner_status()  # alone: a refused password is tried once only
    except parsers.CredentialsRefused:
        raise
    except VcfixError as exc:  # vdcrepadmin is not asked again
        notes.note("replication (partners, agreements, servers)", exc)
        return None, None, None
    sampled = time.monotonic()
    partners = partners_from_status(first)
    listed = pool.submit(vdc.partners)  # the password is known good: these two side by side
    servers = notes.guard("servers", vdc.servers)
    agreements = notes.guard("agreements", listed.result)
    behind = needs_resample(partners)
    if behind:
        pause = max(0.0, resample_after - (time.monotonic() - sampled))
        if on_wait:
            on_wait(behind, pause)
        sleep(pause)
        second = notes.guard("second partner sample", vdc.partner_status)
        partners = apply_resample(partners, second or [])
    return partners, agreements, servers


def wait(seconds: float) -> None:
    """The pause before the second sample (tests replace it: they never sleep)."""
    time.sleep(seconds)


def _host(pnid: "Future[str]") -> str:
    try:
        return pnid.result()
    except VcfixError as exc:
        raise VcfixError(f"cannot tell which node this is: {exc.message}",
                         exit_code=EXIT_UNKNOWN, details=exc.details, hint=exc.hint) from exc


class PasswordRefused(VcfixError):
    """The SSO password was refused (tried once): no node is to be asked again."""


def _refused(exc: VcfixError, credentials: Credentials) -> VcfixError:
    return PasswordRefused(
        f"the SSO password for {credentials.user} was refused: {exc.message}",
        exit_code=EXIT_UNKNOWN, details=exc.details,
        hint="vcfix tried it once and will not retry (repeated failures can lock the "
             "administrator account): check sso.password in the answer file, then run "
             "the check again",
    )


class _Vdcrepadmin:
    """``vdcrepadmin -f <feature> -h localhost -u <user>``, password through its prompt."""

    def __init__(self, appliance: Appliance, credentials: Credentials) -> None:
        self.appliance = appliance
        self.credentials = credentials

    def _run(self, feature: str) -> str:
        argv = [str(self.appliance.tool("vdcrepadmin")), "-f", feature, "-h", "localhost",
                "-u", self.credentials.user]
        command = display(argv)
        done = run_with_password(argv, self.credentials.password,
                                 transport=self.appliance.transport)
        parsers.check_vdcrepadmin_failure(done.text, command)  # the text decides, not the status
        if not done.prompted:
            raise VcfixError(f"'{command}' did not ask for the password", details=tail(done.text))
        if done.exit_status != 0 and not done.output.strip():
            raise VcfixError(f"'{command}' failed with exit status {done.exit_status} and "
                             "printed nothing")
        return done.output

    def partner_status(self) -> List[parsers.PartnerStatus]:
        text = self._run("showpartnerstatus")
        return parsers.parse_partner_status(text, self._command("showpartnerstatus"))

    def partners(self) -> List[str]:
        return parsers.parse_partners(self._run("showpartners"), self._command("showpartners"))

    def servers(self) -> List[str]:
        return parsers.parse_servers(self._run("showservers"), self._command("showservers"))

    def _command(self, feature: str) -> str:
        return f"vdcrepadmin -f {feature} -h localhost -u {self.credentials.user}"


def _vmafd(runner: Runner, command: str) -> str:
    done = runner.run("vmafd-cli", [command, "--server-name", "localhost"])
    return vmafd.parse_value(done.stdout, done.command)


def vmdir_state(runner: Runner) -> str:
    """``echo 6 | vdcadmintool``; ``dir-cli state get`` names what it prints as ``(null)``."""
    try:
        done = runner.run("vdcadmintool", [], stdin="6\n", check=False, timeout=SMALL_TIMEOUT)
        state = parsers.parse_vmdir_state(done.stdout, f"echo 6 | {done.command}")
    except VcfixError:
        fallback = _dir_cli_state(runner)
        if fallback is None:
            raise
        return fallback
    if state == "(null)":
        return _dir_cli_state(runner) or state
    return state


def _dir_cli_state(runner: Runner) -> Optional[str]:
    try:
        done = runner.run("dir-cli", ["state", "get"], check=False, timeout=SMALL_TIMEOUT)
        return parsers.parse_vmdir_state(done.stdout, done.command)
    except VcfixError:
        return None


def registrations(appliance: Appliance, runner: Runner) -> List[parsers.Registration]:
    """``lstool.py list`` against this release's local Lookup Service URL.

    The 7.0+ path answers on port 7090, the 6.x path on 7080. A script that is not
    executable runs with the appliance's python.
    """
    return list_registrations(appliance, runner, timeout=LSTOOL_TIMEOUT)
