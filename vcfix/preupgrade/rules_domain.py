"""The merged view of an SSO domain that the pre-upgrade rules judge.

:class:`Domain` indexes the node snapshots by host, knows every directory server
any node listed, resolves the names nodes use for each other, and collects what
could not be determined. :func:`finding` builds a :class:`Finding` with the
advice of its rule. Pure logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from vcfix.errors import EXIT_USAGE, VcfixError
from vcfix.preupgrade.parsers import Registration
from vcfix.preupgrade.rules_advice import RULES
from vcfix.preupgrade.snapshot import NodeSnapshot, host_key

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


def finding(rule: str, message: str, nodes: Iterable[str], details: Iterable[str] = ()
            ) -> Finding:
    severity, why, next_step = RULES[rule]
    unique = tuple(dict.fromkeys(n for n in nodes if n))
    return Finding(rule, severity, message, unique, why, next_step, tuple(details))


class Domain:
    """The merged view: snapshots by host, known servers, name resolution."""

    def __init__(self, snapshots: Sequence[NodeSnapshot]) -> None:
        if not snapshots:
            raise VcfixError("no node snapshot to evaluate", exit_code=EXIT_USAGE)
        self.snaps = list(snapshots)
        self.by_key: Dict[str, NodeSnapshot] = {}
        for snap in self.snaps:
            key = host_key(snap.host)
            if key in self.by_key:
                raise VcfixError(f"two snapshots for {snap.host}: give one snapshot per node",
                                 exit_code=EXIT_USAGE)
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


def components(graph: Dict[str, Set[str]], without: str = "") -> List[Set[str]]:
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
