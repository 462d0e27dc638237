"""The pre-upgrade verdict: merge what every node sees and judge it.

:func:`evaluate` takes one :class:`NodeSnapshot` per node and returns a
:class:`Verdict`: ``blocked`` when any blocking finding exists (even if something
else could not be determined), else ``unknown`` when something could not be
determined (a snapshot error or a field left ``None``), else ``warnings`` or
``safe``. The rules, their severity and advice are in :data:`RULES`
(docs/preupgrade-json.md lists them).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from vcfix.errors import VcfixError
from vcfix.replication.parsers import Registration
from vcfix.replication.snapshot import NodeSnapshot, host_key

SAFE, WARNINGS, BLOCKED, UNKNOWN = "safe", "warnings", "blocked", "unknown"
EXIT_CODES = {SAFE: 0, WARNINGS: 1, BLOCKED: 2, UNKNOWN: 3}
BLOCKING, WARNING = "blocking", "warning"
_FIELDS = ("version", "vmdir_state", "partners", "agreements", "servers", "registrations")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # BLOCKING or WARNING
    message: str
    nodes: Tuple[str, ...]
    why: str
    next_step: str
    details: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    verdict: str  # SAFE, WARNINGS, BLOCKED or UNKNOWN
    findings: Tuple[Finding, ...]
    unknowns: Tuple[str, ...]  # what could not be determined, "host: what"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


def finding(rule: str, message: str, nodes: Iterable[str], details: Iterable[str] = ()
            ) -> Finding:
    severity, why, next_step = RULES[rule]
    unique = tuple(dict.fromkeys(n for n in nodes if n))
    return Finding(rule, severity, message, unique, why, next_step, tuple(details))


def evaluate(snapshots: Sequence[NodeSnapshot]) -> Verdict:
    """Judge a domain from the snapshots of its nodes (one per node)."""
    domain = _Domain(snapshots)
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


def versions_agree(registered: str, build: str) -> bool:
    """Compare versions on the leading components both have, at most three.

    ``7.0.1.17451065`` (a registration) and ``7.0.1.00100`` (update.conf) agree;
    ``6.7`` and ``7.0.1.00100`` do not (6.7 vs 7.0).
    """
    a, b = registered.strip().split("."), build.strip().split(".")
    n = min(len(a), len(b), 3)
    return [_component(x) for x in a[:n]] == [_component(x) for x in b[:n]]


def _component(text: str) -> object:
    return int(text) if text.isdigit() else text.lower()


def is_product_version(version: str) -> bool:
    """A vSphere release number (6.7, 7.0.3...), not a service API version (1.0, 2.0)."""
    head = version.strip().split(".")[0]
    return head.isdigit() and int(head) >= 5


def trust_id(ssl_trust: str) -> str:
    """A short, stable name for an SSL trust blob (for messages)."""
    return "sha256:" + hashlib.sha256("".join(ssl_trust.split()).encode()).hexdigest()[:12]


class _Domain:
    """The merged view: snapshots by host, known servers, name resolution."""

    def __init__(self, snapshots: Sequence[NodeSnapshot]) -> None:
        if not snapshots:
            raise VcfixError("no node snapshot to evaluate")
        self.snaps = list(snapshots)
        self.by_key: Dict[str, NodeSnapshot] = {}
        for snap in self.snaps:
            key = host_key(snap.host)
            if key in self.by_key:
                raise VcfixError(f"two snapshots for {snap.host}: give one snapshot per node")
            self.by_key[key] = snap
        self.names: Dict[str, str] = {key: s.host for key, s in self.by_key.items()}
        for snap in self.snaps:
            for server in snap.servers or []:
                self.names.setdefault(self.resolve(server) or host_key(server), server)
        self.by_machine = {s.machine_id.strip().lower(): s for s in self.snaps if s.machine_id}
        self.unknowns: List[str] = []
        for snap in self.snaps:
            self.unknowns += [f"{snap.host}: {error}" for error in snap.errors]
            missing = [f for f in _FIELDS if getattr(snap, f) is None]
            if missing and not snap.errors:
                self.unknowns.append(f"{snap.host}: not determined: {', '.join(missing)}")

    def resolve(self, name: str) -> Optional[str]:
        """The key of the known node ``name`` designates, or None.

        Names match exactly (case and trailing dot aside) or, when one side is a short
        name, on the first label, provided that match is unique.
        """
        key = host_key(name)
        if key in self.names:
            return key
        matches = [k for k in self.names
                   if ("." not in key or "." not in k) and k.split(".")[0] == key.split(".")[0]]
        return matches[0] if len(matches) == 1 else None

    def owner(self, reg: Registration) -> Optional[NodeSnapshot]:
        """The node a registration belongs to: by Node ID (machine ID), else by URL host."""
        found = self.by_machine.get(reg.node_id.strip().lower())
        for url_host in reg.url_hosts:
            if found is not None:
                break
            found = self.by_key.get(self.resolve(url_host) or "")
        return found

    def name(self, key: str) -> str:
        return self.names.get(key, key)

    def edges(self) -> Dict[str, Set[str]]:
        """Undirected replication graph over every known node, from the agreements."""
        graph: Dict[str, Set[str]] = {key: set() for key in self.names}
        for snap in self.snaps:
            me = host_key(snap.host)
            for other in map(self.resolve, snap.agreements or []):
                if other is not None and other != me:
                    graph[me].add(other)
                    graph.setdefault(other, set()).add(me)
        return graph


def _components(graph: Dict[str, Set[str]], without: str = "") -> List[Set[str]]:
    seen: Set[str] = {without}
    groups: List[Set[str]] = []
    for start in sorted(graph):
        if start in seen:
            continue
        group, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                group.add(node)
                todo.extend(graph[node] - seen)
        groups.append(group)
    return groups


def _vmdir_state(d: _Domain) -> Iterable[Finding]:
    for s in d.snaps:
        if s.vmdir_state is not None and s.vmdir_state != "Normal":
            yield finding("vmdir-state", f"{s.host}: directory state is {s.vmdir_state!r}, "
                          "not Normal", [s.host])


def _partners(d: _Domain) -> Iterable[Finding]:
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
            elif p.changes_behind > 0 and p.changes_behind_after != 0:
                after = ("not confirmed cleared by a second sample"
                         if p.changes_behind_after is None
                         else f"still {p.changes_behind_after} on the second sample")
                yield finding("partner-changes-behind", f"{who}: partner is {p.changes_behind} "
                              f"changes behind ({after})", [s.host, peer])


def _no_partners(d: _Domain) -> Iterable[Finding]:
    if len(d.names) < 2:
        return
    for s in d.snaps:
        if s.partners == []:
            yield finding("no-partners", f"{s.host} has no replication partner, but the domain "
                          f"has {len(d.names)} directory servers", [s.host])


def _one_way(d: _Domain) -> Iterable[Finding]:
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


def _server_lists(d: _Domain) -> Iterable[Finding]:
    seen = {s.host: frozenset(d.resolve(x) or host_key(x) for x in s.servers)
            for s in d.snaps if s.servers is not None}
    if len(set(seen.values())) > 1:
        details = [f"{h} sees: {', '.join(sorted(d.name(k) for k in keys))}"
                   for h, keys in seen.items()]
        yield finding("server-list-mismatch", "the nodes disagree on the list of directory "
                      "servers in the domain", seen, details)


def _topology(d: _Domain) -> Iterable[Finding]:
    graph = d.edges()
    groups = _components(graph)
    complete = all(k in d.by_key and d.by_key[k].agreements is not None for k in graph)
    if len(groups) > 1 and complete:
        details = [", ".join(sorted(d.name(k) for k in g)) for g in groups]
        yield finding("replication-partitioned", f"the agreements split the domain into "
                      f"{len(groups)} groups that do not replicate with each other",
                      sorted(d.name(k) for k in graph), details)
    elif len(groups) == 1 and len(graph) >= 3:
        cuts = [k for k in sorted(graph) if len(_components(graph, without=k)) > 1]
        if cuts:
            names = [d.name(k) for k in cuts]
            yield finding("chain-topology", "the replication topology is a chain, not a ring "
                          f"or mesh: if {' or '.join(names)} is down, the domain splits", names)


def _views(d: _Domain) -> List[Tuple[NodeSnapshot, List[Registration]]]:
    return [(s, s.registrations) for s in d.snaps if s.registrations is not None]


_COMPARED: Tuple[Tuple[str, Callable[[Registration], str]], ...] = (
    ("Version", lambda r: r.version or "-"),
    ("URL", lambda r: ", ".join(r.urls) or "-"),
    ("SSL trust", lambda r: ", ".join(trust_id(t) for t in r.ssl_trusts) or "-"),
)


def _registrations_differ(d: _Domain) -> Iterable[Finding]:
    views = _views(d)
    by_id: Dict[str, Dict[str, Registration]] = defaultdict(dict)
    for s, regs in views:
        for reg in regs:
            if reg.service_id:
                by_id[reg.service_id][s.host] = reg
    details: List[str] = []
    nodes: Set[str] = set()
    for sid, seen in sorted(by_id.items()):
        sample = next(iter(seen.values()))
        owner = d.owner(sample)
        diffs = [f"missing on {s.host}" for s, _ in views if s.host not in seen]
        for label, show in _COMPARED:
            values = {h: show(r) for h, r in seen.items()}
            if len(set(values.values())) > 1:
                diffs.append(f"{label} " + ", ".join(f"{v} on {h}" for h, v in values.items()))
        if diffs:
            of = f" of {owner.host}" if owner else ""
            details.append(f"{sample.service_type}{of} (Service ID {sid}): " + "; ".join(diffs))
            nodes.update(s.host for s, _ in views)
    if details:
        yield finding("registration-mismatch", f"{len(details)} Lookup Service registration(s) "
                      "differ depending on the node asked", sorted(nodes), details)
    counts = {s.host: Counter(r.service_type for r in regs) for s, regs in views}
    types = sorted({t for c in counts.values() for t in c})
    uneven = [t for t in types if len({c[t] for c in counts.values()}) > 1]
    if uneven:
        yield finding("registration-count-mismatch", "registration counts per service type "
                      "differ between nodes", counts,
                      [f"{t}: " + ", ".join(f"{c[t]} on {h}" for h, c in counts.items())
                       for t in uneven])


def _own_versions(d: _Domain) -> Iterable[Finding]:
    details: Dict[str, List[str]] = defaultdict(list)
    viewers: Dict[str, List[str]] = defaultdict(list)
    for viewer, regs in _views(d):
        for reg in regs:
            owner = d.owner(reg) if is_product_version(reg.version) else None
            if owner and owner.version and not versions_agree(reg.version, owner.version):
                details[owner.host].append(f"seen from {viewer.host}: {reg.service_type} "
                                           f"Version {reg.version}")
                viewers[owner.host].append(viewer.host)
    for owner in d.snaps:
        if details[owner.host]:
            yield finding("own-version-mismatch", f"{owner.host} runs {owner.version} but "
                          f"{len(details[owner.host])} of its registrations carry another "
                          "version", [owner.host, *viewers[owner.host]], details[owner.host])


def _duplicates_and_sites(d: _Domain) -> Iterable[Finding]:
    details: List[str] = []
    nodes: Set[str] = set()
    sites: Dict[str, Set[str]] = defaultdict(set)
    for viewer, regs in _views(d):
        per_node: Dict[Tuple[str, str], List[str]] = defaultdict(list)
        for reg in regs:
            owner = d.owner(reg)
            node = owner.host if owner else reg.node_id or ",".join(reg.url_hosts)
            per_node[(node, reg.service_type)].append(reg.service_id or "?")
            if reg.site_id:
                sites[node].add(reg.site_id)
        for (node, stype), ids in sorted(per_node.items()):
            if len(ids) > 1 and node:
                details.append(f"seen from {viewer.host}: {stype} registered {len(ids)} times "
                               f"for {node} ({', '.join(ids)})")
                nodes.update((viewer.host, node))
    if details:
        yield finding("duplicate-registration", "a service type is registered more than once "
                      "for one node", sorted(nodes), details)
    for node, site_ids in sorted(sites.items()):
        if len(site_ids) > 1 and node:
            yield finding("site-mismatch", f"{node} is registered under {len(site_ids)} Site "
                          f"IDs: {', '.join(sorted(site_ids))}", [node])


def _mixed_versions(d: _Domain) -> Iterable[Finding]:
    releases = {s.host: ".".join(s.version.split(".")[:2]) for s in d.snaps if s.version}
    if len(set(releases.values())) > 1:
        yield finding("mixed-versions", "the nodes run different releases: " + ", ".join(
            f"{h} {v}" for h, v in releases.items()), releases)


def _partner_names(d: _Domain) -> Iterable[Finding]:
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


def _missing(d: _Domain) -> Iterable[Finding]:
    absent = [d.name(k) for k in d.names if k not in d.by_key]
    if absent:
        yield finding("missing-snapshot", "no snapshot from " + ", ".join(absent)
                      + " (listed as a directory server)", absent)


_CHECKS: Tuple[Callable[[_Domain], Iterable[Finding]], ...] = (
    _vmdir_state, _partners, _no_partners, _one_way, _server_lists, _topology,
    _registrations_differ, _own_versions, _duplicates_and_sites,
    _mixed_versions, _partner_names, _missing,
)

_KB_REPL = "VMware KB 2127057, Broadcom 316504"
_KB_LS = "lsdoctor, VMware KB 80469"
_BACKUP = ("Back up (or snapshot) ALL nodes together, powered off, before any repair: "
           "restoring one node alone breaks replication.")
_RERUN = "Run the check again once fixed."
_REPL_FIRST = ("Fix every replication finding first (registrations only converge through "
               "replication), then run the check again.")

# rule -> (severity, why it matters, what to do next)
RULES: Dict[str, Tuple[str, str, str]] = {
    "vmdir-state": (BLOCKING,
        "Anything but Normal means the node's directory (vmdird) does not fully serve or "
        "replicate: the upgrade would migrate a directory out of step with its partners.",
        "Check vmdird ('service-control --status vmdird') and "
        "/var/log/vmware/vmdird/vmdird-syslog.log; restart vmdird if it is stopped. If the "
        f"state does not return to Normal, open a support case. {_RERUN}"),
    "partner-unattributable": (BLOCKING,
        "vdcrepadmin printed a partner block without its 'Partner:' line: vcfix cannot tell "
        "which partner it describes, so it cannot count it as healthy.",
        "Run 'vdcrepadmin -f showpartnerstatus -h localhost -u administrator' by hand on the "
        f"node and read every block ({_KB_REPL}). {_RERUN}"),
    "partner-host-unavailable": (BLOCKING,
        "The node cannot reach or bind to the partner's directory (vmdird down, network, DNS "
        "or the machine account): its changes, including re-registrations made by an "
        "upgrade, never reach that partner.",
        "On the partner check 'service-control --status vmdird', forward and reverse DNS of "
        f"both nodes and port 389 between them ({_KB_REPL}). {_RERUN}"),
    "partner-status-unavailable": (BLOCKING,
        "The partner answers but its replication status for this node cannot be read: "
        "usually the agreement back to this node is missing (one-way) or broken.",
        "Compare 'vdcrepadmin -f showpartners' on both nodes; a missing direction must be "
        f"recreated ({_KB_REPL}). {_RERUN}"),
    "partner-incomplete": (BLOCKING,
        "The partner block lacks the availability or change-count lines a healthy partner "
        "shows: its replication cannot be confirmed.",
        "Run 'vdcrepadmin -f showpartnerstatus -h localhost -u administrator' by hand on the "
        f"node ({_KB_REPL}). {_RERUN}"),
    "partner-changes-behind": (BLOCKING,
        "The partner has not consumed this node's latest changes and they did not clear on "
        "a second look: replication is stuck, and an upgrade now re-registers services the "
        "partner never sees (the version mismatch that breaks Enhanced Linked Mode).",
        "Wait five minutes and check again; if the count stays or grows, look for "
        "replication errors in vmdird-syslog.log on both nodes "
        f"({_KB_REPL})."),
    "no-partners": (BLOCKING,
        "The node has no replication partner although the domain has other directory "
        "servers: it neither sends nor receives changes.",
        "Compare 'vdcrepadmin -f showpartners' and 'showservers' on every node. Recreating "
        f"agreements is a support procedure ({_KB_REPL}); do not upgrade until it is fixed."),
    "one-way-agreement": (BLOCKING,
        "Agreements must exist in both directions; with one, changes flow one way only and "
        "the other node drifts (registrations, trusted roots, users).",
        "Compare 'vdcrepadmin -f showpartners' on both nodes and recreate the missing "
        f"direction ({_KB_REPL}). {_RERUN}"),
    "server-list-mismatch": (BLOCKING,
        "Every node must see the same directory servers; a difference means replication has "
        "not converged or a removed node left entries behind.",
        "Compare 'vdcrepadmin -f showservers' on every node; remove a decommissioned node "
        f"only with 'cmsso-util unregister' as documented ({_KB_REPL}). {_RERUN}"),
    "replication-partitioned": (BLOCKING,
        "The agreements split the domain into groups that never exchange changes.",
        f"Reconnect the groups with an agreement ({_KB_REPL}), with support if unsure. "
        f"{_RERUN}"),
    "registration-mismatch": (BLOCKING,
        "Lookup Service registrations are directory data, identical on every healthy node. "
        "Answers that depend on the node asked are how an upgrade breaks Enhanced Linked "
        "Mode: the upgraded node re-registers, its partners keep the old registration.",
        f"{_REPL_FIRST} If they still differ, repair them with {_KB_LS}. {_BACKUP}"),
    "registration-count-mismatch": (BLOCKING,
        "The nodes do not hold the same registrations: some were added or removed on one "
        "node and never replicated.",
        f"{_REPL_FIRST} If counts still differ, repair them with {_KB_LS}. {_BACKUP}"),
    "own-version-mismatch": (BLOCKING,
        "A node's registrations should carry its own release; another version means an "
        "upgrade's re-registration (or a restore) did not reach this view of the directory.",
        f"{_REPL_FIRST} If the version stays wrong, repair it with {_KB_LS}. {_BACKUP}"),
    "duplicate-registration": (BLOCKING,
        "Two registrations of one service type for one node are left over from a failed "
        "upgrade, re-registration or repointing; clients and the upgrade may pick the "
        "stale one.",
        f"Identify and remove the stale registration with {_KB_LS}. {_BACKUP}"),
    "site-mismatch": (BLOCKING,
        "A node registered under two Site IDs confuses site affinity and the upgrade's "
        "pre-checks.",
        f"Find the stale registrations with {_KB_LS}. {_BACKUP}"),
    "mixed-versions": (WARNING,
        "The nodes run different releases. That is expected only while a domain is being "
        "upgraded, one node after another.",
        "Upgrade every node of the domain in the documented order and do not leave it mixed "
        "longer than needed."),
    "chain-topology": (WARNING,
        "With a chain, one node down (or being upgraded) splits the remaining nodes.",
        f"Consider closing the ring with one more agreement before the upgrade ({_KB_REPL})."),
    "partner-name": (WARNING,
        "A partner named by IP address or short name depends on that address or the DNS "
        "search path; a change during the upgrade breaks replication.",
        "Check that every node resolves forward and reverse by its FQDN (the name it was "
        "deployed with)."),
    "missing-snapshot": (WARNING,
        "A directory server of the domain was not checked: its state, partners and "
        "registrations are unknown.",
        "Run the check on that node and merge its snapshot; if the node no longer exists, "
        "it must be removed with 'cmsso-util unregister'."),
}
