"""Multi-node (ELM) lab scenarios: several appliances replicating one SSO domain.

Pure data and the pure construction of the shared domain state. An ELM lab is a
folder holding one complete single-node lab per node (``DIR/<node FQDN>/``, built
by :func:`vcfix.lab.build.create_lab`) and the state they share in
``DIR/.vcfix-lab-domain/domain.json``: which node has a replication agreement with
which, how far behind each partner is, and which node still shows another node's
registrations at an old release. The fakes of each node read it to answer
vdcrepadmin, lstool.py and friends (see docs/lab.md, "ELM labs").

Nodes are numbered from 0; node ``i`` is ``vcsa0<i+1>.lab.example``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from vcfix.errors import VcfixError

DOMAIN_DIR = ".vcfix-lab-domain"
DOMAIN_FILE = "domain.json"
DOMAIN_FORMAT = 1
RELEASES = ("6.7", "7.0", "8.0")
DEFAULT_RELEASE = "6.7"  # the usual ELM pre-upgrade situation: a 6.7 domain going to 7.0
BASE_USN = 9346
USN_STEP = 1000  # node i's last change number starts at BASE_USN + i * USN_STEP


def node_host(index: int) -> str:
    return f"vcsa{index + 1:02d}.lab.example"


@dataclass(frozen=True)
class Lag:
    """A partner ``behind`` changes behind, as seen from the agreement's source node.

    ``clears_after``: after that many ``showpartnerstatus`` calls on the source the
    partner reads 0 behind (None: never). ``grow``: changes added per further call
    while it does not clear (a stuck partner falls further behind).
    """

    behind: int
    clears_after: Optional[int] = None
    grow: int = 0


@dataclass(frozen=True)
class ElmScenario:
    name: str
    description: str
    node_counts: Tuple[int, ...] = (2, 3)  # the first is the default
    chain: bool = False  # nodes linked 0-1-2 instead of a ring
    upgraded: Tuple[int, ...] = ()  # nodes on the release after the others'
    vmdir_states: Mapping[int, str] = field(default_factory=dict)
    vmdird_stopped: Tuple[int, ...] = ()
    missing: Tuple[Tuple[int, int], ...] = ()  # agreements (from, to) that do not exist
    lags: Mapping[Tuple[int, int], Lag] = field(default_factory=dict)
    stale: Tuple[Tuple[int, int], ...] = ()  # (viewer, owner): owner shown at its old release

    @property
    def default_nodes(self) -> int:
        return self.node_counts[0]


_LIST = (
    ElmScenario("elm-healthy", "2 nodes (or 3 in a ring), every partner in step: SAFE once "
                "every node's snapshot is merged"),
    ElmScenario("elm-chain", "3 nodes replicating in a chain vcsa01-vcsa02-vcsa03 (no ring): "
                "a warning, vcsa02 is a single point of failure", node_counts=(3,), chain=True),
    ElmScenario("elm-partner-down", "vmdird is stopped on vcsa02: its partners see "
                "'Host available: No'; on vcsa02 itself vdcrepadmin fails (Server down)",
                vmdird_stopped=(1,)),
    ElmScenario("elm-lagging", "vcsa02 is behind on vcsa01's changes and does not catch up "
                "(the count grows between samples)", lags={(0, 1): Lag(12, None, 3)}),
    ElmScenario("elm-catching-up", "vcsa02 is 5 changes behind vcsa01 on the first look and "
                "caught up on the second (a normal replication cycle)",
                lags={(0, 1): Lag(5, 1)}),
    ElmScenario("elm-counters-disagree", "vcsa01 reads vcsa02 as -5 changes behind (the "
                "signed change counters disagree; real builds print this)",
                lags={(0, 1): Lag(-5)}),
    ElmScenario("elm-oneway", "vcsa01 has an agreement with vcsa02 but vcsa02 none back: "
                "'Status available: No' on vcsa01, no partner on vcsa02", missing=((1, 0),)),
    ElmScenario("elm-readonly", "vcsa02's directory is in 'Read only' state, not Normal",
                vmdir_states={1: "Read only"}),
    ElmScenario("elm-version-mismatch", "vcsa01 upgraded to the next release (6.7 -> 7.0) but "
                "vcsa02 still shows its registrations at 6.7; replication looks healthy now: "
                "only the merged check sees it",
                upgraded=(0,), stale=((1, 0),)),
)

ELM_SCENARIOS: Dict[str, ElmScenario] = {s.name: s for s in _LIST}


@dataclass(frozen=True)
class NodePlan:
    """What one node of an ELM lab is: its host, release and injected faults."""

    index: int
    host: str
    release: str
    vmdir_state: str = "Normal"
    vmdird_stopped: bool = False


def links(nodes: int, chain: bool) -> List[Tuple[int, int]]:
    """The two-way replication links: a ring (all pairs for 3), or a chain 0-1-2."""
    if nodes == 2:
        return [(0, 1)]
    pairs = [(i, i + 1) for i in range(nodes - 1)]
    return pairs if chain else [*pairs, (nodes - 1, 0)]


def plan(scenario: ElmScenario, nodes: Optional[int] = None,
         release: Optional[str] = None) -> List[NodePlan]:
    """The nodes of ``scenario``; VcfixError for a node count or release it cannot use."""
    count = scenario.default_nodes if nodes is None else nodes
    if count not in scenario.node_counts:
        allowed = " or ".join(str(n) for n in scenario.node_counts)
        raise VcfixError(f"lab scenario {scenario.name} has {allowed} nodes, not {count}")
    base = release or DEFAULT_RELEASE
    if base not in RELEASES:
        raise VcfixError(f"unknown lab version {base!r}", hint=f"choose one of: "
                         f"{', '.join(RELEASES)}")
    later = RELEASES[RELEASES.index(base) + 1] if base != RELEASES[-1] else None
    if scenario.upgraded and later is None:
        raise VcfixError(f"lab scenario {scenario.name} upgrades a node past {base}, "
                         "and the lab knows no later release",
                         hint=f"use --version {RELEASES[-2]} or older")
    return [
        NodePlan(
            index=i, host=node_host(i),
            release=later if i in scenario.upgraded and later else base,
            vmdir_state=scenario.vmdir_states.get(i, "Normal"),
            vmdird_stopped=i in scenario.vmdird_stopped,
        )
        for i in range(count)
    ]


def domain_state(scenario: ElmScenario, nodes: List[NodePlan]) -> Dict[str, Any]:
    """The shared state of an ELM lab (``DIR/.vcfix-lab-domain/domain.json``)."""
    hosts = [n.host for n in nodes]
    count = len(nodes)
    agreements = []
    for a, b in links(count, scenario.chain):
        for src, dst in ((a, b), (b, a)):
            if (src, dst) not in scenario.missing:
                agreements.append([hosts[src], hosts[dst]])
    lag = {
        edge_key(hosts[a], hosts[b]): {"behind": lg.behind, "clears_after": lg.clears_after,
                                       "grow": lg.grow}
        for (a, b), lg in scenario.lags.items() if a < count and b < count
    }
    stale: Dict[str, Dict[str, str]] = {}
    for viewer, owner in scenario.stale:
        if viewer < count and owner < count:
            old = min((n.release for n in nodes), key=RELEASES.index)
            stale.setdefault(hosts[viewer], {})[hosts[owner]] = old
    return {
        "lab_format": DOMAIN_FORMAT,
        "scenario": scenario.name,
        "nodes": hosts,
        "agreements": agreements,
        "usn": {h: BASE_USN + i * USN_STEP for i, h in enumerate(hosts)},
        "lag": lag,
        "stale": stale,
        "calls": {h: 0 for h in hosts},
    }


def edge_key(source: str, partner: str) -> str:
    """The key of a directed agreement in ``domain["lag"]``."""
    return f"{source}>{partner}"


def changes_behind(lag: Optional[Mapping[str, Any]], calls: int) -> int:
    """How far behind a partner reads on the ``calls``-th showpartnerstatus (from 1)."""
    if not lag:
        return 0
    clears = lag.get("clears_after")
    if isinstance(clears, int) and calls > clears:
        return 0
    return int(lag.get("behind", 0)) + int(lag.get("grow", 0)) * max(0, calls - 1)
