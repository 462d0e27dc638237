"""Doing one thing on several appliances at a time (``diagnose``, ``preupgrade``).

:func:`over_hosts` gives each host its own connection (:func:`connected`) and calls
``work(entry, appliance)`` with at most ``parallel`` hosts at a time. When ssh may ask
for a password or an OTP (``reach.batch`` False: a terminal), the hosts are connected
one after another first, so that prompts never interleave, and then worked on
concurrently; in batch mode each worker connects, works and disconnects, so at most
``parallel`` connections are open. A host that cannot be reached, or whose work raises
:class:`VcfixError`, gets its one-line reason; the others go on. :class:`Stop` raised by
``work`` ends the whole command (hosts not started yet are not started).
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Generic, List, Optional, Sequence, Tuple, TypeVar

from vcfix.appliance.connect import connected, open_appliance
from vcfix.appliance.paths import Appliance
from vcfix.appliance.ssh.hosts_file import HostEntry
from vcfix.appliance.ssh.target import Reach
from vcfix.errors import VcfixError

T = TypeVar("T")
R = TypeVar("R")
Work = Callable[[HostEntry, Appliance], T]


class Stop(Exception):
    """Raised by ``work`` to end the whole command with ``error`` (e.g. a refused SSO
    password: asking the other nodes would only lock the account sooner)."""

    def __init__(self, error: VcfixError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class Outcome(Generic[T]):
    entry: HostEntry
    value: Optional[T] = None
    error: Optional[str] = None  # one line, when ``value`` is None


def over_hosts(entries: Sequence[HostEntry], reach: Reach, work: Work[T], *, parallel: int,
               first_alone: bool = False) -> List[Outcome[T]]:
    """``work`` on every entry (in their order in the result); see the module docstring.

    ``first_alone``: work on one host alone until one succeeds, then on the others
    together (a password is tried on one node before every node is asked)."""
    if reach.batch:
        def pipelined(entry: HostEntry) -> Outcome[T]:
            try:
                with connected(entry.root_path, entry.target, reach) as appliance:
                    return _attempt(work, entry, appliance)
            except VcfixError as exc:
                return Outcome(entry, error=exc.one_line())
        return _in_turn(list(entries), pipelined, parallel, first_alone)
    with contextlib.ExitStack() as stack:
        reached: List[Tuple[HostEntry, Appliance]] = []
        failed: List[Outcome[T]] = []
        for entry in entries:  # one after another: ssh may prompt on the terminal
            try:
                appliance = open_appliance(entry.root_path, entry.target, reach)
            except VcfixError as exc:
                failed.append(Outcome(entry, error=exc.one_line()))
                continue
            stack.callback(appliance.transport.close)
            reached.append((entry, appliance))
        done = _in_turn(reached, lambda pair: _attempt(work, *pair), parallel, first_alone)
    by_entry = {o.entry: o for o in [*failed, *done]}
    return [by_entry[e] for e in entries]


def _attempt(work: Work[T], entry: HostEntry, appliance: Appliance) -> Outcome[T]:
    try:
        return Outcome(entry, value=work(entry, appliance))
    except VcfixError as exc:
        return Outcome(entry, error=exc.one_line())


def _in_turn(items: List[R], call: Callable[[R], Outcome[T]], parallel: int,
             first_alone: bool) -> List[Outcome[T]]:
    done: List[Outcome[T]] = []
    while first_alone and items:
        done.append(call(items.pop(0)))
        if done[-1].value is not None:
            break
    return done + concurrently(items, call, parallel)


def concurrently(items: Sequence[R], call: Callable[[R], T], parallel: int) -> List[T]:
    """``call`` on every item, at most ``parallel`` at a time, results in item order.
    An exception (Ctrl-C included) cancels the items not started and is raised once
    the running ones end."""
    if parallel <= 1 or len(items) <= 1:
        return [call(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(parallel, len(items))) as pool:
        futures = [pool.submit(call, item) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise
