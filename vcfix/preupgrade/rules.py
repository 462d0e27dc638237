"""The pre-upgrade verdict: merge what every node sees and judge it.

:func:`evaluate` takes one :class:`NodeSnapshot` per node and returns a
:class:`Verdict`: ``blocked`` when any blocking finding exists (even if something
else could not be determined), else ``unknown`` when something could not be
determined (a snapshot error or a field left ``None``), else ``warnings`` or
``safe``. The rules, their severity and advice are in :data:`RULES`
(docs/preupgrade-json.md lists them).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Callable, Iterable, List, Sequence, Tuple

from vcfix.preupgrade.rules_advice import BLOCKING, RULES, WARNING
from vcfix.preupgrade.rules_domain import Domain, Finding, components, finding
from vcfix.preupgrade.rules_lookup import (
    duplicates_and_sites,
    is_product_version,
    own_versions,
    registrations_differ,
    trust_id,
    versions_agree,
)
from vcfix.preupgrade.snapshot import NodeSnapshot, host_key

__all__ = [
    "BLOCKED", "BLOCKING", "EXIT_CODES", "RULES", "SAFE", "UNKNOWN", "WARNING", "WARNINGS",
    "Finding", "Verdict", "evaluate", "finding", "is_product_version", "trust_id",
    "versions_agree",
]

SAFE, WARNINGS, BLOCKED, UNKNOWN = "safe", "warnings", "blocked", "unknown"
EXIT_CODES = {SAFE: 0, WARNINGS: 1, BLOCKED: 2, UNKNOWN: 3}


@dataclass(frozen=True)
class Verdict:
    verdict: str  # SAFE, WARNINGS, BLOCKED or UNKNOWN
    findings: Tuple[Finding, ...]
    unknowns: Tuple[str, ...]  # what could not be determined, "host: what"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


def evaluate(snapshots: Sequence[NodeSnapshot], not_checked: Sequence[str] = ()) -> Verdict:
    """Judge a domain from the snapshots of its nodes (one per node).

    ``not_checked``: the nodes that were asked for but gave no snapshot, one
    ``"<node>: <why>"`` each; each is something not determined (never SAFE)."""
    domain = Domain(snapshots)
    domain.unknowns += list(not_checked)
    findings: List[Finding] = []
    for check in _CHECKS:
        findings.extend(check(domain))
    if any(f.severity == BLOCKING for f in findings):
        verdict = BLOCKED
    elif domain.unknowns:
        verdict = UNKNOWN
    else:
        verdict = WARNINGS if findings else SAFE
    findings.sort(key=lambda f: f.severity != BLOCKING)  # stable: blocking first
    return Verdict(verdict, tuple(findings), tuple(domain.unknowns))


def _vmdir_state(d: Domain) -> Iterable[Finding]:
    for s in d.snaps:
        if s.vmdir_state is not None and s.vmdir_state != "Normal":
            yield finding("vmdir-state", f"{s.host}: directory state is {s.vmdir_state!r}, "
                          "not Normal", [s.host])


def _partners(d: Domain) -> Iterable[Finding]:
    for s in d.snaps:
        for p in s.partners or []:
            who = f"{s.host} -> {p.host}"
            peer = d.name(d.resolve(p.host) or p.host) if p.host else ""
            if p.host is None:
                yield finding("partner-unattributable", f"{s.host}: a partner status block "
                              "has no 'Partner:' line", [s.host])
            elif p.host_available is False:
                yield finding("partner-host-unavailable", f"{who}: Host available: No",
                              [s.host, peer])
            elif p.host_available is True and p.status_available is False:
                yield finding("partner-status-unavailable", f"{who}: Status available: No",
                              [s.host, peer])
            elif p.host_available is None or p.status_available is None or (
                p.changes_behind is None
            ):
                yield finding("partner-incomplete", f"{who}: the partner status block lacks "
                              "the availability or change-count lines", [s.host, peer])
            elif p.changes_behind < 0:
                yield finding("partner-changes-behind", f"{who}: partner is {p.changes_behind} "
                              "changes behind (a negative count: the change counters "
                              "disagree)", [s.host, peer])
            elif p.changes_behind > 0 and p.changes_behind_after != 0:
                after = ("not confirmed cleared by a second sample"
                         if p.changes_behind_after is None
                         else f"still {p.changes_behind_after} on the second sample")
                yield finding("partner-changes-behind", f"{who}: partner is {p.changes_behind} "
                              f"changes behind ({after})", [s.host, peer])


def _no_partners(d: Domain) -> Iterable[Finding]:
    if len(d.names) < 2:
        return
    for s in d.snaps:
        if s.partners == []:
            yield finding("no-partners", f"{s.host} has no replication partner, but the domain "
                          f"has {len(d.names)} directory servers", [s.host])


def _one_way(d: Domain) -> Iterable[Finding]:
    for s in d.snaps:
        me = host_key(s.host)
        for name in s.agreements or []:
            other = d.by_key.get(d.resolve(name) or "")
            if other is None or other.agreements is None or other is s:
                continue
            back = [d.resolve(n) for n in other.agreements]
            if me in back:
                continue
            if None in back:
                d.unknowns.append(f"{other.host}: cannot tell whether its agreements "
                                  f"({', '.join(other.agreements)}) include {s.host}")
                continue
            yield finding("one-way-agreement", f"{s.host} has an agreement with {other.host}, "
                          f"but {other.host} has none with {s.host}", [s.host, other.host])


def _server_lists(d: Domain) -> Iterable[Finding]:
    seen = {s.host: frozenset(d.resolve(x) or host_key(x) for x in s.servers)
            for s in d.snaps if s.servers is not None}
    if len(set(seen.values())) > 1:
        details = [f"{h} sees: {', '.join(sorted(d.name(k) for k in keys))}"
                   for h, keys in seen.items()]
        yield finding("server-list-mismatch", "the nodes disagree on the list of directory "
                      "servers in the domain", seen, details)


def _topology(d: Domain) -> Iterable[Finding]:
    graph = d.edges()
    groups = components(graph)
    complete = all(k in d.by_key and d.by_key[k].agreements is not None for k in graph)
    if len(groups) > 1 and complete:
        details = [", ".join(sorted(d.name(k) for k in g)) for g in groups]
        yield finding("replication-partitioned", f"the agreements split the domain into "
                      f"{len(groups)} groups that do not replicate with each other",
                      sorted(d.name(k) for k in graph), details)
    elif len(groups) == 1 and len(graph) >= 3 and complete:
        # Only the whole domain's agreements show a chain: one node of a ring sees a star.
        cuts = [k for k in sorted(graph) if len(components(graph, without=k)) > 1]
        if cuts:
            names = [d.name(k) for k in cuts]
            yield finding("chain-topology", "the replication topology is a chain, not a ring "
                          f"or mesh: if {' or '.join(names)} is down, the domain splits", names)


def _mixed_versions(d: Domain) -> Iterable[Finding]:
    releases = {s.host: ".".join(s.version.split(".")[:2]) for s in d.snaps if s.version}
    if len(set(releases.values())) > 1:
        yield finding("mixed-versions", "the nodes run different releases: " + ", ".join(
            f"{h} {v}" for h, v in releases.items()), releases)


def _partner_names(d: Domain) -> Iterable[Finding]:
    for s in d.snaps:
        names = [p.host for p in s.partners or [] if p.host] + list(s.agreements or [])
        odd = [n for n in dict.fromkeys(names) if _is_ip(n) or "." not in n]
        if odd:
            yield finding("partner-name", f"{s.host} names partners by IP address or short "
                          f"name: {', '.join(odd)}", [s.host])


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def _missing(d: Domain) -> Iterable[Finding]:
    absent = [d.name(k) for k in d.names if k not in d.by_key]
    if absent:
        yield finding("missing-snapshot", "no snapshot from " + ", ".join(absent)
                      + " (listed as a directory server)", absent)


_CHECKS: Tuple[Callable[[Domain], Iterable[Finding]], ...] = (
    _vmdir_state, _partners, _no_partners, _one_way, _server_lists, _topology,
    registrations_differ, own_versions, duplicates_and_sites,
    _mixed_versions, _partner_names, _missing,
)
