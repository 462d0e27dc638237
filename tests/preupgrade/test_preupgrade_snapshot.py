"""Node snapshots: JSON round trip, load errors, and the resample helpers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from vcfix.errors import VcfixError
from vcfix.preupgrade.parsers import Endpoint, PartnerStatus, Registration
from vcfix.preupgrade.snapshot import (
    FORMAT,
    NodeSnapshot,
    Partner,
    apply_resample,
    host_key,
    load,
    needs_resample,
    partners_from_status,
)


def full_snapshot(now: dt.datetime) -> NodeSnapshot:
    reg = Registration(
        name="vcenterserver", description="vCenter Server", service_product="com.vmware.cis",
        service_type="vcenterserver", service_id="sid-1", site_id="default-first-site",
        node_id="node-1", owner_id="vpxd@vsphere.local", version="7.0.1.17451065",
        endpoints=(Endpoint("com.vmware.vim", "vmomi", "https://vc1.lab.example/sdk", "MIIB",
                            {"cis.common.ep.localurl": "http://localhost:8085/sdk"}),),
        attributes={"com.vmware.cis.cm.HostId": "node-1"},
    )
    return NodeSnapshot(
        host="vc1.lab.example", taken_at=now, version="7.0.1.00100", node_type="embedded",
        machine_id="node-1", site="default-first-site", vmdir_state="Normal",
        partners=[Partner("vc2.lab.example", True, True, 3, 10, 7, 0),
                  Partner(None, False)],
        agreements=["vc2.lab.example"], servers=["vc1.lab.example", "vc2.lab.example"],
        registrations=[reg], errors=["lstool printed a warning"],
    )


def test_json_round_trip(now: dt.datetime) -> None:
    snap = full_snapshot(now)
    data = json.loads(json.dumps(snap.to_json()))
    assert data["format"] == FORMAT
    assert data["taken_at"] == "2026-06-01T12:00:00Z"
    assert data["partners"][1]["attributable"] is False
    assert data["partners"][0]["changes_behind_after"] == 0
    assert NodeSnapshot.from_json(data) == snap


def test_undetermined_fields_stay_none(now: dt.datetime) -> None:
    snap = NodeSnapshot(host="vc1.lab.example", taken_at=now, errors=["vdcrepadmin failed"])
    data = snap.to_json()
    assert data["partners"] is None and data["registrations"] is None
    again = NodeSnapshot.from_json(json.loads(json.dumps(data)))
    assert again == snap and again.partners is None


def test_save_and_load(tmp_path: Path, now: dt.datetime) -> None:
    snap = full_snapshot(now)
    path = tmp_path / "vc1.json"
    snap.save(path)
    assert load(path) == snap == NodeSnapshot.load(path)
    assert [p.name for p in tmp_path.iterdir()] == ["vc1.json"]  # no temp file left


def test_save_to_missing_folder_fails(tmp_path: Path, now: dt.datetime) -> None:
    with pytest.raises(VcfixError, match="cannot write snapshot"):
        full_snapshot(now).save(tmp_path / "absent" / "vc1.json")


@pytest.mark.parametrize(("content", "message"), [
    ("not json {", "not JSON"),
    ('{"hello": 1}', "is not a vcfix pre-upgrade snapshot"),
    ('[1, 2]', "is not a vcfix pre-upgrade snapshot"),
    ('{"format": "vcfix-preupgrade-snapshot/9", "host": "x"}', "same vcfix version"),
    ('{"format": "vcfix-preupgrade-snapshot/1", "taken_at": "2026-06-01T12:00:00Z"}',
     "'host' is missing"),
    ('{"format": "vcfix-preupgrade-snapshot/1", "host": "x", "taken_at": "yesterday"}',
     "taken_at"),
    ('{"format": "vcfix-preupgrade-snapshot/1", "host": "x", "taken_at": "2026-06-01T12:00:00Z",'
     ' "partners": [{"host": "y", "changes_behind": "3"}]}', "changes_behind"),
    ('{"format": "vcfix-preupgrade-snapshot/1", "host": "x", "taken_at": "2026-06-01T12:00:00Z",'
     ' "partners": [{"host": "y", "changes_behind": true}]}', "changes_behind"),
    ('{"format": "vcfix-preupgrade-snapshot/1", "host": "x", "taken_at": "2026-06-01T12:00:00Z",'
     ' "servers": ["a", 1]}', "servers"),
    ('{"format": "vcfix-preupgrade-snapshot/1", "host": "x", "taken_at": "2026-06-01T12:00:00Z",'
     ' "registrations": [{"attributes": {"k": 1}}]}', "attributes"),
])
def test_load_rejects_bad_or_foreign_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "snap.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(VcfixError, match=message) as info:
        load(path)
    assert str(path) in info.value.message


def test_load_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(VcfixError, match="cannot read snapshot .*absent.json"):
        load(tmp_path / "absent.json")


STATUSES = [
    PartnerStatus("vc2.lab.example", True, True, 100, 100, 0),
    PartnerStatus("vc3.lab.example", True, True, 100, 60, 40),
    PartnerStatus("VC4.lab.example.", True, True, 100, 98, 2),
    PartnerStatus(None, True, True, 100, 90, 10),
    PartnerStatus("vc5.lab.example", False),
]


def test_needs_resample_only_partners_behind() -> None:
    partners = partners_from_status(STATUSES)
    assert needs_resample(partners) == ["vc3.lab.example", "VC4.lab.example."]
    assert needs_resample(partners_from_status(STATUSES[:1] + STATUSES[4:])) == []


def test_apply_resample_fills_only_partners_that_were_behind() -> None:
    partners = partners_from_status(STATUSES)
    second = [
        PartnerStatus("vc2.lab.example", True, True, 120, 100, 20),  # was 0: not touched
        PartnerStatus("vc3.lab.example", True, True, 120, 120, 0),
        PartnerStatus("vc4.lab.example", True, True, 120, 110, 10),
        PartnerStatus(None, True, True, 120, 120, 0),
    ]
    after = apply_resample(partners, second)
    assert [p.changes_behind_after for p in after] == [None, 0, 10, None, None]
    assert [p.changes_behind for p in after] == [0, 40, 2, 10, None]
    assert apply_resample(partners, [])[1].changes_behind_after is None


def test_partner_from_status_and_host_key() -> None:
    partner = Partner.from_status(STATUSES[1])
    assert (partner.host, partner.changes_behind, partner.partner_seen_change) == (
        "vc3.lab.example", 40, 60)
    assert partner.attributable and not Partner.from_status(STATUSES[3]).attributable
    assert host_key(" VC1.Lab.Example. ") == "vc1.lab.example"
