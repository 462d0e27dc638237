"""The pre-upgrade rules on Lookup Service registrations.

Registrations are directory data: every healthy node returns the same set. These
checks compare what each node sees (same Service ID, same Version/URL/SSL trust,
same counts per service type), a node's own registrations against its build, and
look for duplicates and nodes registered under two sites. Pure logic.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from typing import Callable, Dict, Iterable, List, Set, Tuple

from vcfix.preupgrade.parsers import Registration
from vcfix.preupgrade.rules_domain import Domain, Finding, finding
from vcfix.preupgrade.snapshot import NodeSnapshot


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


def _views(d: Domain) -> List[Tuple[NodeSnapshot, List[Registration]]]:
    return [(s, s.registrations) for s in d.snaps if s.registrations is not None]


_COMPARED: Tuple[Tuple[str, Callable[[Registration], str]], ...] = (
    ("Version", lambda r: r.version or "-"),
    ("URL", lambda r: ", ".join(r.urls) or "-"),
    ("SSL trust", lambda r: ", ".join(trust_id(t) for t in r.ssl_trusts) or "-"),
)


def registrations_differ(d: Domain) -> Iterable[Finding]:
    views = _views(d)
    by_id: Dict[str, Dict[str, Registration]] = defaultdict(dict)
    for s, regs in views:
        for reg in regs:
            if reg.service_id:
                by_id[reg.service_id][s.host] = reg
    details: List[str] = []
    nodes: Set[str] = set()
    # By service type, then Service ID: the operator reads vcenterserver next to sso:sts.
    for sid, seen in sorted(by_id.items(), key=lambda kv: (_stype(kv[1]), kv[0])):
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


def _stype(seen: Dict[str, Registration]) -> str:
    return next(iter(seen.values())).service_type


def own_versions(d: Domain) -> Iterable[Finding]:
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


def duplicates_and_sites(d: Domain) -> Iterable[Finding]:
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
