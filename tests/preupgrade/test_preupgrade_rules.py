"""The pre-upgrade verdict: every rule firing and not firing, merges, precedence, rendering."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import pytest

from vcfix import __version__
from vcfix.errors import VcfixError
from vcfix.preupgrade.parsers import Endpoint, Registration
from vcfix.preupgrade.render import render_json, render_text
from vcfix.preupgrade.rules import (
    BLOCKED,
    BLOCKING,
    RULES,
    SAFE,
    UNKNOWN,
    WARNING,
    WARNINGS,
    Verdict,
    evaluate,
    finding,
    is_product_version,
    versions_agree,
)
from vcfix.preupgrade.snapshot import NodeSnapshot, Partner

NOW = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
TYPES = {"vcenterserver": True, "cs.identity": False, "sso:sts": True, "cs.license": False}
BUILD = {"6.7": "6.7.0.44000", "7.0": "7.0.1.00100"}
REG_VERSION = {"6.7": "6.7", "7.0": "7.0.1.17451065"}


def fqdn(name: str) -> str:
    return f"{name}.lab.example"


def node_id(name: str) -> str:
    return f"id-{name}"


def registrations(name: str, release: str, site: str = "default-first-site"
                  ) -> List[Registration]:
    """The registrations node ``name`` makes at ``release`` (product or API versions)."""
    return [
        Registration(
            name=stype, service_type=stype, service_id=f"{stype}@{name}", site_id=site,
            node_id=node_id(name), version=REG_VERSION[release] if product else "1.0",
            endpoints=(Endpoint("t", "vmomi", f"https://{fqdn(name)}/{stype}", f"TRUST{name}"),),
        )
        for stype, product in TYPES.items()
    ]


def healthy(peer: str) -> Partner:
    return Partner(fqdn(peer), True, True, 0, 100, 100)


def domain(names: Sequence[str], links: Iterable[Tuple[str, str]],
           releases: Optional[Dict[str, str]] = None) -> List[NodeSnapshot]:
    """Healthy snapshots of ``names`` with two-way agreements along ``links``."""
    releases = releases or {}
    peers: Dict[str, List[str]] = {n: [] for n in names}
    for a, b in links:
        peers[a].append(b)
        peers[b].append(a)
    regs = [r for n in names for r in registrations(n, releases.get(n, "7.0"))]
    return [
        NodeSnapshot(
            host=fqdn(n), taken_at=NOW, version=BUILD[releases.get(n, "7.0")],
            node_type="embedded", machine_id=node_id(n), site="default-first-site",
            vmdir_state="Normal", partners=[healthy(p) for p in peers[n]],
            agreements=[fqdn(p) for p in peers[n]], servers=[fqdn(x) for x in names],
            registrations=list(regs),
        )
        for n in names
    ]


def ring(*names: str) -> List[NodeSnapshot]:
    return domain(names, [(names[i], names[(i + 1) % len(names)]) for i in range(len(names))]
                  if len(names) > 2 else [(names[0], names[1])])


def change(snaps: List[NodeSnapshot], name: str, **changes: object) -> List[NodeSnapshot]:
    return [dataclasses.replace(s, **changes) if s.host == fqdn(name) else s  # type: ignore[arg-type]
            for s in snaps]


def rules(verdict: Verdict) -> List[str]:
    return [f.rule for f in verdict.findings]


def only(verdict: Verdict, rule: str) -> Tuple[str, ...]:
    found = [f for f in verdict.findings if f.rule == rule]
    assert len(found) == 1, rules(verdict)
    return found[0].nodes


# --- safe domains ----------------------------------------------------------------------------

def test_single_node_without_partners_is_safe() -> None:
    verdict = evaluate(domain(["vc1"], []))
    assert (verdict.verdict, verdict.findings, verdict.unknowns, verdict.exit_code) == (
        SAFE, (), (), 0)


@pytest.mark.parametrize("names", [("vc1", "vc2"), ("vc1", "vc2", "vc3"),
                                   ("vc1", "vc2", "vc3", "vc4")])
def test_healthy_ring_is_safe(names: Tuple[str, ...]) -> None:
    assert evaluate(ring(*names)).verdict == SAFE


# --- vmdir state and partners ----------------------------------------------------------------

@pytest.mark.parametrize("state", ["Read only", "(null)", "Startup", "Standalone"])
def test_vmdir_state_not_normal_blocks(state: str) -> None:
    verdict = evaluate(change(ring("vc1", "vc2"), "vc2", vmdir_state=state))
    assert verdict.verdict == BLOCKED and verdict.exit_code == 2
    assert only(verdict, "vmdir-state") == (fqdn("vc2"),)


@pytest.mark.parametrize(("partner", "rule"), [
    (Partner(fqdn("vc2"), False), "partner-host-unavailable"),
    (Partner(fqdn("vc2"), True, False), "partner-status-unavailable"),
    (Partner(fqdn("vc2"), True, True, 12, 100, 88), "partner-changes-behind"),
    (Partner(fqdn("vc2"), True, True, 12, 100, 88, 5), "partner-changes-behind"),
    (Partner(None, True, True, 0, 100, 100), "partner-unattributable"),
    (Partner(fqdn("vc2"), None), "partner-incomplete"),
    (Partner(fqdn("vc2"), True, None), "partner-incomplete"),
    (Partner(fqdn("vc2"), True, True, None), "partner-incomplete"),
])
def test_partner_faults_block(partner: Partner, rule: str) -> None:
    verdict = evaluate(change(ring("vc1", "vc2"), "vc1", partners=[partner]))
    assert verdict.verdict == BLOCKED
    assert rules(verdict) == [rule]
    assert fqdn("vc1") in only(verdict, rule)


def test_changes_behind_that_cleared_on_resample_are_fine() -> None:
    snaps = change(ring("vc1", "vc2"), "vc1",
                   partners=[Partner(fqdn("vc2"), True, True, 12, 100, 88, 0)])
    assert evaluate(snaps).verdict == SAFE


def test_empty_partner_output_blocks_only_in_a_multi_server_domain() -> None:
    snaps = change(ring("vc1", "vc2"), "vc2", partners=[], agreements=[])
    verdict = evaluate(snaps)
    assert "no-partners" in rules(verdict) and verdict.verdict == BLOCKED
    assert only(verdict, "no-partners") == (fqdn("vc2"),)
    lonely = change(domain(["vc1"], []), "vc1", servers=[fqdn("vc1"), fqdn("vc9")])
    verdict = evaluate(lonely)
    assert rules(verdict) == ["no-partners", "missing-snapshot"]


# --- agreements, server lists, topology ------------------------------------------------------

def test_one_way_agreement_blocks() -> None:
    snaps = change(ring("vc1", "vc2"), "vc2", agreements=[])
    verdict = evaluate(snaps)
    assert verdict.verdict == BLOCKED
    assert only(verdict, "one-way-agreement") == (fqdn("vc1"), fqdn("vc2"))


def test_one_way_not_judged_without_the_other_snapshot() -> None:
    snaps = ring("vc1", "vc2")[:1]
    verdict = evaluate(snaps)
    assert rules(verdict) == ["missing-snapshot"] and verdict.verdict == WARNINGS
    assert verdict.exit_code == 1
    assert only(verdict, "missing-snapshot") == (fqdn("vc2"),)


def test_short_name_agreement_resolves_but_warns() -> None:
    snaps = change(ring("vc1", "vc2"), "vc2", agreements=["vc1"])
    verdict = evaluate(snaps)
    assert rules(verdict) == ["partner-name"] and verdict.verdict == WARNINGS


def test_agreement_by_ip_cannot_be_matched_so_unknown() -> None:
    snaps = change(ring("vc1", "vc2"), "vc2", agreements=["192.0.2.10"])
    verdict = evaluate(snaps)
    assert verdict.verdict == UNKNOWN and verdict.exit_code == 3
    assert rules(verdict) == ["partner-name"]
    assert "192.0.2.10" in verdict.unknowns[0]


def test_server_list_mismatch_blocks() -> None:
    snaps = change(ring("vc1", "vc2"), "vc2", servers=[fqdn("vc2"), fqdn("vc1"), fqdn("old")])
    verdict = evaluate(snaps)
    assert rules(verdict) == ["server-list-mismatch", "missing-snapshot"]
    found = verdict.findings[0]
    assert set(found.nodes) == {fqdn("vc1"), fqdn("vc2")}
    assert any("old.lab.example" in d for d in found.details)
    same_set = change(ring("vc1", "vc2"), "vc2", servers=[fqdn("VC1") + ".", fqdn("vc2")])
    assert evaluate(same_set).verdict == SAFE


def test_chain_of_three_warns_and_names_the_middle() -> None:
    snaps = domain(["vc1", "vc2", "vc3"], [("vc1", "vc2"), ("vc2", "vc3")])
    verdict = evaluate(snaps)
    assert verdict.verdict == WARNINGS and rules(verdict) == ["chain-topology"]
    assert only(verdict, "chain-topology") == (fqdn("vc2"),)
    assert evaluate(domain(["vc1", "vc2"], [("vc1", "vc2")])).verdict == SAFE


def test_partitioned_domain_blocks() -> None:
    snaps = domain(["vc1", "vc2", "vc3", "vc4"], [("vc1", "vc2"), ("vc3", "vc4")])
    verdict = evaluate(snaps)
    assert rules(verdict) == ["replication-partitioned"]
    assert len(verdict.findings[0].details) == 2


# --- Lookup Service registrations ------------------------------------------------------------

def test_seed_scenario_upgraded_node_seen_at_old_version_blocks() -> None:
    """vc1 upgraded to 7.0 and re-registered; vc2 never received it and still sees 6.7."""
    snaps = domain(["vc1", "vc2"], [("vc1", "vc2")], {"vc1": "7.0", "vc2": "6.7"})
    stale = registrations("vc1", "6.7") + registrations("vc2", "6.7")
    snaps = change(snaps, "vc2", registrations=stale)
    verdict = evaluate(snaps)
    assert verdict.verdict == BLOCKED
    assert rules(verdict) == ["registration-mismatch", "own-version-mismatch", "mixed-versions"]
    mismatch = verdict.findings[0]
    assert any("(Service ID vcenterserver@vc1)" in d and "7.0.1.17451065 on vc1.lab.example" in d
               and "6.7 on vc2.lab.example" in d for d in mismatch.details)
    assert len(mismatch.details) == 2  # vcenterserver and sso:sts; API versions agree
    own = verdict.findings[1]
    assert own.nodes == (fqdn("vc1"), fqdn("vc2"))
    assert "KB 80469" in own.next_step


def test_upgraded_domain_with_consistent_registrations_is_only_mixed() -> None:
    snaps = domain(["vc1", "vc2"], [("vc1", "vc2")], {"vc1": "7.0", "vc2": "6.7"})
    assert rules(evaluate(snaps)) == ["mixed-versions"]


def test_own_version_mismatch_on_a_single_node() -> None:
    snaps = change(domain(["vc1"], []), "vc1", registrations=registrations("vc1", "6.7"))
    verdict = evaluate(snaps)
    assert rules(verdict) == ["own-version-mismatch"]
    assert len(verdict.findings[0].details) == 2


def test_own_registrations_matched_by_url_host_without_machine_id() -> None:
    snaps = change(domain(["vc1"], []), "vc1", machine_id=None,
                   registrations=registrations("vc1", "6.7"))
    assert rules(evaluate(snaps)) == ["own-version-mismatch"]


@pytest.mark.parametrize(("registered", "build", "agree"), [
    ("7.0.1.17451065", "7.0.1.00100", True),
    ("6.7", "7.0.1.00100", False),
    ("7.0", "7.0.3.01400", True),
    ("7.0.2.1", "7.0.3.01400", False),
    ("8.0.0", "8.0.0.10000", True),
])
def test_versions_agree(registered: str, build: str, agree: bool) -> None:
    assert versions_agree(registered, build) is agree


def test_api_versions_are_not_product_versions() -> None:
    assert is_product_version("6.7") and is_product_version("7.0.1.17451065")
    assert not is_product_version("1.0") and not is_product_version("2.0")


@pytest.mark.parametrize(("field", "value", "label"), [
    ("endpoints", (Endpoint("t", "vmomi", "https://vc1-old.lab.example/x", "TRUSTvc1"),), "URL"),
    ("endpoints", (Endpoint("t", "vmomi", "https://vc1.lab.example/cs.identity", "OLD"),),
     "SSL trust"),
])
def test_registration_differing_by_url_or_trust_blocks(field: str, value: object,
                                                        label: str) -> None:
    snaps = ring("vc1", "vc2")
    regs = list(snaps[1].registrations or [])
    regs[1] = dataclasses.replace(regs[1], **{field: value})  # type: ignore[arg-type]
    verdict = evaluate(change(snaps, "vc2", registrations=regs))
    assert rules(verdict) == ["registration-mismatch"]
    (detail,) = verdict.findings[0].details
    assert detail.startswith("cs.identity of vc1.lab.example (Service ID cs.identity@vc1): "
                             + label)


def test_registration_count_mismatch_blocks() -> None:
    snaps = ring("vc1", "vc2")
    regs = [r for r in snaps[1].registrations or [] if r.service_id != "cs.license@vc2"]
    verdict = evaluate(change(snaps, "vc2", registrations=regs))
    assert rules(verdict) == ["registration-mismatch", "registration-count-mismatch"]
    assert verdict.findings[1].details == (
        "cs.license: 2 on vc1.lab.example, 1 on vc2.lab.example",)


def test_duplicate_registration_blocks() -> None:
    snaps = domain(["vc1"], [])
    extra = dataclasses.replace(registrations("vc1", "7.0")[0], service_id="vc-again")
    verdict = evaluate(change(snaps, "vc1", registrations=[*(snaps[0].registrations or []), extra]))
    assert rules(verdict) == ["duplicate-registration"]
    assert "vcenterserver registered 2 times" in verdict.findings[0].details[0]


def test_node_under_two_site_ids_blocks() -> None:
    snaps = domain(["vc1"], [])
    regs = registrations("vc1", "7.0")
    regs[2] = dataclasses.replace(regs[2], site_id="site-b")
    verdict = evaluate(change(snaps, "vc1", registrations=regs))
    assert rules(verdict) == ["site-mismatch"]
    assert "default-first-site, site-b" in verdict.findings[0].message


# --- warnings ---------------------------------------------------------------------------------

def test_mixed_versions_only_on_major_minor() -> None:
    snaps = change(ring("vc1", "vc2"), "vc2", version="7.0.1.00300")
    assert evaluate(snaps).verdict == SAFE
    snaps = domain(["vc1", "vc2"], [("vc1", "vc2")], {"vc1": "7.0", "vc2": "6.7"})
    assert rules(evaluate(snaps)) == ["mixed-versions"]


@pytest.mark.parametrize("name", ["192.0.2.7", "vc2", "fd00::2"])
def test_partner_named_by_ip_or_short_name_warns(name: str) -> None:
    snaps = change(domain(["vc1"], []), "vc1", partners=[Partner(name, True, True, 0, 5, 5)])
    assert rules(evaluate(snaps)) == ["partner-name"]


# --- precedence, merging errors ---------------------------------------------------------------

def test_snapshot_error_alone_is_unknown() -> None:
    snaps = change(ring("vc1", "vc2"), "vc2", registrations=None,
                   errors=["lstool failed: ConnectException"])
    verdict = evaluate(snaps)
    assert (verdict.verdict, rules(verdict)) == (UNKNOWN, [])
    assert verdict.unknowns == ("vc2.lab.example: lstool failed: ConnectException",)


def test_undetermined_field_without_error_is_unknown() -> None:
    verdict = evaluate(change(ring("vc1", "vc2"), "vc1", vmdir_state=None))
    assert verdict.verdict == UNKNOWN and "vmdir_state" in verdict.unknowns[0]


def test_blocking_wins_over_unknown_and_unknown_over_warning() -> None:
    base = change(ring("vc1", "vc2"), "vc2", errors=["lstool failed"])
    assert evaluate(change(base, "vc1", vmdir_state="Read only")).verdict == BLOCKED
    chain = domain(["vc1", "vc2", "vc3"], [("vc1", "vc2"), ("vc2", "vc3")])
    verdict = evaluate(change(chain, "vc3", errors=["lstool failed"]))
    assert (verdict.verdict, rules(verdict)) == (UNKNOWN, ["chain-topology"])


def test_findings_carry_advice_and_blocking_come_first() -> None:
    snaps = domain(["vc1", "vc2", "vc3"], [("vc1", "vc2"), ("vc2", "vc3")])
    verdict = evaluate(change(snaps, "vc3", vmdir_state="Read only"))
    assert [f.severity for f in verdict.findings] == [BLOCKING, WARNING]
    assert all(sev in (BLOCKING, WARNING) and why and step for sev, why, step in RULES.values())
    assert "KB 2127057" in RULES["partner-changes-behind"][2]


def test_bad_merge_input_raises() -> None:
    with pytest.raises(VcfixError, match="no node snapshot"):
        evaluate([])
    with pytest.raises(VcfixError, match="two snapshots for"):
        evaluate(ring("vc1", "vc2") + ring("vc1", "vc2")[:1])


# --- rendering ----------------------------------------------------------------------------------

def test_render_text_safe_and_blocked() -> None:
    snaps = ring("vc1", "vc2", "vc3")
    text = render_text(evaluate(snaps), snaps, color=False)
    assert text.startswith("SAFE - ") and "\033[" not in text
    assert "vc1.lab.example: version 7.0.1.00100, vmdir Normal" in text
    header = [line for line in text.splitlines() if line.strip().startswith("service type")]
    assert header and all(fqdn(n) in header[0] for n in ("vc1", "vc2", "vc3"))
    assert any(line.split()[:4] == ["vcenterserver", "3", "7.0.1.17451065", "3"]
               for line in text.splitlines())

    bad = change(snaps, "vc1", partners=[Partner(fqdn("vc2"), True, True, 7, 20, 13, 7),
                                          healthy("vc3")])
    text = render_text(evaluate(bad), bad, color=True)
    assert text.startswith("\033[1;31mNOT SAFE\033[0m - ")
    row = next(line for line in text.splitlines() if line.strip().startswith(fqdn("vc2")))
    assert row.split() == [fqdn("vc2"), "Yes", "Yes", "7", "7"]
    assert "partner-changes-behind" in text and "why: " in text and "next: " in text


def test_render_text_headlines_and_detail_cap() -> None:
    assert render_text(evaluate(domain(["vc1", "vc2", "vc3"], [("vc1", "vc2"), ("vc2", "vc3")])),
                       [], color=False).startswith("SAFE WITH WARNINGS - ")
    unknown = change(ring("vc1", "vc2"), "vc2", errors=["lstool failed"])
    text = render_text(evaluate(unknown), unknown, color=False)
    assert text.startswith("UNKNOWN - ") and "vc2.lab.example: lstool failed" in text
    many = Verdict(BLOCKED, (finding("duplicate-registration", "m", [fqdn("vc1")],
                                     [f"line {i}" for i in range(13)]),), ())
    text = render_text(many, [], color=False)
    assert "    - line 9\n" in text and "line 10" not in text
    assert "... and 3 more (all of them are in the JSON output)" in text
    assert render_json(many, [])["findings"][0]["details"][12] == "line 12"


def test_render_json_schema() -> None:
    snaps = domain(["vc1", "vc2"], [("vc1", "vc2")], {"vc1": "7.0", "vc2": "6.7"})
    snaps = change(snaps, "vc2", errors=["dir-cli printed a warning"])
    verdict = evaluate(snaps)
    data = json.loads(json.dumps(render_json(verdict, snaps)))
    assert data["vcfix_version"] == __version__
    assert data["checked_at"] == "2026-06-01T12:00:00Z"
    assert (data["verdict"], data["exit_code"]) == ("unknown", 3)
    node = data["nodes"][0]
    assert {k: node[k] for k in ("host", "version", "vmdir_state")} == {
        "host": "vc1.lab.example", "version": "7.0.1.00100", "vmdir_state": "Normal"}
    assert node["partners"] == [{
        "host": "vc2.lab.example", "attributable": True, "host_available": True,
        "status_available": True, "changes_behind": 0, "changes_behind_after": None}]
    assert node["registrations"] == {"cs.identity": 2, "cs.license": 2, "sso:sts": 2,
                                     "vcenterserver": 2}
    assert node["registration_versions"]["vcenterserver"] == ["6.7", "7.0.1.17451065"]
    (warning,) = data["findings"]
    assert set(warning) == {"rule", "severity", "message", "nodes", "why", "next_step",
                            "details"}
    assert (warning["rule"], warning["severity"]) == ("mixed-versions", "warning")
    assert data["unknowns"] == ["vc2.lab.example: dir-cli printed a warning"]
    later = NOW + dt.timedelta(minutes=5)
    assert render_json(verdict, snaps, checked_at=later)["checked_at"] == "2026-06-01T12:05:00Z"


def test_snapshot_named_by_short_name_matches_fqdn_server_entries() -> None:
    snaps = change(domain(["vc1"], []), "vc1", host="vc1")
    assert evaluate(snaps).verdict == SAFE
