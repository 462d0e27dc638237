"""``create_domain_lab``: lay out an ELM lab, one complete appliance per node.

``DIR/<node FQDN>/`` is a full single-node lab made by
:func:`vcfix.lab.build.create_lab` (healthy certificates, every fake tool), with
the scenario's faults written into its state (``settings.vmdir_state``,
``services.vmdird``) and an ``elm`` key naming the domain. The shared state is
``DIR/.vcfix-lab-domain/domain.json`` (see :mod:`vcfix.lab.elm`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import List, Optional

from vcfix import clock
from vcfix.errors import VcfixError
from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab, prepare_folder
from vcfix.lab.elm import DOMAIN_DIR, ELM_SCENARIOS, domain_state, plan
from vcfix.lab.elm_domain import is_domain_folder, read_domain, save_domain
from vcfix.lab.scenarios import SHARED_KEYS, KeyPool

CERTIFICATES = "healthy"  # the certificate scenario of every ELM node
# One key pool per node index, kept for the process like SHARED_KEYS: the nodes of one
# ELM lab never share a key, and the next ELM lab costs no key generation.
_NODE_KEYS: List[KeyPool] = [SHARED_KEYS]


def create_domain_lab(
    directory: Path,
    scenario: str,
    *,
    nodes: Optional[int] = None,
    version: Optional[str] = None,
    now: Optional[dt.datetime] = None,
    force: bool = False,
) -> List[Path]:
    """Build the ELM lab ``scenario`` under ``directory``; return the node roots in order.

    An existing lab (ELM or single-node) in ``directory`` is replaced entirely; any
    other non-empty folder is refused unless ``force`` (each node folder is still
    checked like :func:`create_lab` checks its folder).
    """
    if scenario not in ELM_SCENARIOS:
        raise VcfixError(f"unknown ELM lab scenario {scenario!r}",
                         hint=f"choose one of: {', '.join(ELM_SCENARIOS)}")
    spec = ELM_SCENARIOS[scenario]
    nodes_plan = plan(spec, nodes, version)
    when = now or clock.now()
    folder = prepare_folder(Path(directory), force, _holds_a_lab)
    roots: List[Path] = []
    for node in nodes_plan:
        while len(_NODE_KEYS) <= node.index:
            _NODE_KEYS.append(KeyPool())
        root = create_lab(folder / node.host, CERTIFICATES, version=node.release,
                          pnid=node.host, now=when, force=force, keys=_NODE_KEYS[node.index])
        with lab_state.transaction(root) as state:
            state["elm"] = {"scenario": scenario, "node": node.index,
                            "domain": f"../{DOMAIN_DIR}"}
            if node.vmdir_state != "Normal":
                state.setdefault("settings", {})["vmdir_state"] = node.vmdir_state
            if node.vmdird_stopped:
                state["services"]["vmdird"] = "Stopped"
        roots.append(root)
    save_domain(folder, domain_state(spec, nodes_plan))
    return roots


def _holds_a_lab(folder: Path) -> bool:
    return is_domain_folder(folder) or lab_state.is_lab(folder)


def node_roots(folder: Path) -> List[Path]:
    """The node roots of the ELM lab in ``folder``, in domain order."""
    domain = read_domain(folder)
    if domain is None:
        raise VcfixError(f"{folder} holds no ELM lab (no {DOMAIN_DIR}/)")
    return [Path(folder).absolute() / str(host) for host in domain["nodes"]]


def describe(folder: Path, scenario: str, roots: List[Path]) -> List[str]:
    """What ``vcfix lab create`` prints about an ELM lab (no secrets)."""
    spec = ELM_SCENARIOS[scenario]
    states = [lab_state.load(root) for root in roots]
    lines = [f"Built a vcfix ELM lab in {folder.absolute()}: {len(roots)} nodes, SSO domain "
             f"{states[0]['domain']}",
             f"  scenario      {spec.name}: {spec.description}"]
    for root, state in zip(roots, states):
        lines.append(f"  node          {state['pnid']}  vCenter {state['version_build']}  "
                     f"--root {root}")
    lines += [f"  domain state  {folder.absolute() / DOMAIN_DIR}",
              f"  SSO user      {states[0]['sso']['username']} (the lab password is in "
              "docs/lab.md)",
              "Next, on every node: vcfix --root DIR/<node> preupgrade --save <node>.json, "
              "then: vcfix preupgrade --merge <node>.json...",
              f"  e.g. vcfix --root {roots[0]} preupgrade --save {states[0]['pnid']}.json"]
    return lines
