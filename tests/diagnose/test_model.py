"""The Diagnosis model and its JSON document (docs/diagnose-json.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import certfactory as cf

from vcfix import __version__
from vcfix.appliance.parsers.vecs import VecsEntry
from vcfix.diagnose.model import EXIT_CODES, Diagnosis, NodeInfo, diagnose

TOP_KEYS = {"schema_version", "vcfix_version", "checked_at", "status", "exit_code", "error",
            "node", "warn_days", "certificates", "sts", "skipped_stores", "skipped_entries",
            "plan", "findings", "caveats", "services", "checks"}
CERT_KEYS = {"id", "store", "alias", "entry_type", "group", "role", "status", "days_left",
             "in_use", "subject", "issuer", "issuer_id", "not_before", "not_after", "sha1",
             "serial", "san", "is_ca", "self_signed", "chain_complete", "signs", "also_signs"}
DOC = Path(__file__).resolve().parents[2] / "docs" / "diagnose-json.md"


def test_exit_codes() -> None:
    assert EXIT_CODES == {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}


def test_json_shape(now: dt.datetime) -> None:
    app = cf.appliance(now, machine_left=-3)
    data = app.diagnose().to_json()
    assert json.loads(json.dumps(data)) == data  # plain JSON types only
    assert set(data) == TOP_KEYS
    assert data["vcfix_version"] == __version__
    assert data["checked_at"] == "2026-06-01T12:00:00Z"
    assert data["node"] == {"pnid": cf.PNID, "domain": "vsphere.local",
                            "version": "7.0.3.01400", "node_type": "embedded"}
    assert (data["status"], data["exit_code"], data["error"]) == ("critical", 2, None)
    assert data["skipped_stores"] == ["TRUSTED_ROOT_CRLS"]
    assert data["skipped_entries"] == {"Secret Key": 1}
    assert data["plan"] == [{"step": "machine-ssl", "option": 3,
                             "reason": data["plan"][0]["reason"],
                             "certificates": ["MACHINE_SSL_CERT/__MACHINE_CERT"]}]
    for item in data["certificates"] + data["sts"]:
        assert set(item) == CERT_KEYS
    machine = next(c for c in data["certificates"] if c["alias"] == "__MACHINE_CERT")
    assert machine["store"] == "MACHINE_SSL_CERT" and machine["group"] == "machine-ssl"
    assert machine["status"] == "expired" and machine["days_left"] == -3
    assert machine["not_after"] == "2026-05-29T12:00:00Z"
    assert machine["san"] == [cf.PNID] and machine["in_use"] is True
    assert machine["sha1"].count(":") == 19 and machine["sha1"] == machine["sha1"].upper()
    root = next(c for c in data["certificates"] if c["store"] == "TRUSTED_ROOTS")
    assert "MACHINE_SSL_CERT/__MACHINE_CERT" in root["signs"]
    sts_ids = [c["id"] for c in data["sts"]]
    assert sts_ids[:2] == ["VMDIR/TenantCredential-1", "VMDIR/TenantCredential-1/1"]
    assert {c["store"] for c in data["sts"]} == {"VMDIR"}
    assert {c["group"] for c in data["sts"]} == {"sts"}


def test_unknown_constructor(now: dt.datetime) -> None:
    d = Diagnosis.unknown(None, "'vecs-cli store list' did not finish within 120 s", now)
    data = d.to_json()
    assert (d.status, d.exit_code) == ("unknown", 3)
    assert data["error"] == "'vecs-cli store list' did not finish within 120 s"
    assert data["node"] is None and data["certificates"] == [] and data["plan"] == []
    node = NodeInfo("vcsa", "vsphere.local", "8.0.2.00100", "management")
    assert Diagnosis.unknown(node, "x", now).to_json()["node"]["node_type"] == "management"


def test_unreadable_machine_ssl_makes_the_result_unknown(now: dt.datetime) -> None:
    app = cf.appliance(now)
    app.stores["MACHINE_SSL_CERT"] = [VecsEntry("__MACHINE_CERT", "Private Key", "garbage")]
    d = app.diagnose()
    assert d.status == "unknown" and d.exit_code == 3
    (finding,) = [f for f in d.findings if f.code == "unreadable-certificate"]
    assert finding.certificates == ["MACHINE_SSL_CERT/__MACHINE_CERT"]
    assert "machine-ssl-missing" not in {f.code for f in d.findings}


def test_expired_in_use_beats_unknown(now: dt.datetime) -> None:
    app = cf.appliance(now, solution_left=-1)
    d = app.diagnose(skipped_stores=["TRUSTED_ROOT_CRLS", "VMDIR"])
    assert d.status == "critical"
    assert "store-not-checked" in {f.code for f in d.findings}


def test_skipped_important_store_and_missing_pieces_are_unknown(now: dt.datetime) -> None:
    app = cf.appliance(now)
    d = app.diagnose(skipped_stores=["vpxd"])
    assert d.status == "unknown"
    del app.stores["MACHINE_SSL_CERT"]
    app.sts = []
    d = app.diagnose()
    assert {"machine-ssl-missing", "sts-missing"} <= {f.code for f in d.findings}
    assert d.status == "unknown"


def test_unreadable_certificate_in_another_store_is_a_warning(now: dt.datetime) -> None:
    app = cf.appliance(now)
    app.stores["SMS"] = [VecsEntry("sms_self_signed", "Private Key", "garbage")]
    assert app.diagnose().status == "warning"


def test_chain_without_a_root_is_a_warning(now: dt.datetime) -> None:
    app = cf.appliance(now)
    del app.stores["TRUSTED_ROOTS"]
    app.sts = [s.__class__(s.dn_cn, s.kind, list(s.certs[:1])) for s in app.sts]
    d = diagnose(app.node(), app.stores, app.sts, now=now)
    incomplete = {c for f in d.findings if f.code == "chain-incomplete" for c in f.certificates}
    assert "MACHINE_SSL_CERT/__MACHINE_CERT" in incomplete
    assert d.status == "warning"


def test_warn_days_is_applied_and_reported(now: dt.datetime) -> None:
    app = cf.appliance(now, sts_left=100)
    d = app.diagnose(warn_days=60)
    assert d.status == "ok" and d.to_json()["warn_days"] == 60


def test_every_json_field_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for key in TOP_KEYS | CERT_KEYS:
        assert f"`{key}`" in text, key
