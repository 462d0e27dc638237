"""The extension-thumbprint check, pure (issue 14): judging, the SQL, the plan."""

from __future__ import annotations

import datetime as dt
import re

import certfactory as cf
import pytest

from vcfix.diagnose import extensions as ext
from vcfix.diagnose.extensions import ExtensionsRead, Registration
from vcfix.diagnose.plan import Step

NEW = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD"
OLD = "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78"
IDS = ("com.vmware.vim.eam", "com.vmware.rbd", "com.vmware.imagebuilder")


def read(*thumbprints: str, extra: bool = True) -> ExtensionsRead:
    rows = [Registration(i, t) for i, t in zip(IDS, thumbprints)]
    return ExtensionsRead(rows + ([Registration("com.example.backup", OLD)] if extra else []))


def test_matching_registrations_are_ok() -> None:
    result = ext.judge(read(NEW, NEW.lower(), NEW.replace(":", "")), NEW)
    assert result.status == "ok" and not result.findings and not result.stale()
    assert [e["ext_id"] for e in result.to_json()["extensions"]] == list(IDS)  # partner: not
    assert all(e["matches"] for e in result.to_json()["extensions"])


def test_a_stale_registration_is_critical_with_the_procedure_and_kb() -> None:
    result = ext.judge(read(OLD, NEW, NEW), NEW)
    doc = result.to_json()
    assert doc["status"] == "critical" and doc["expected"] == NEW
    assert [e["matches"] for e in doc["extensions"]] == [False, True, True]
    (finding,) = doc["findings"]
    assert set(finding) == {"severity", "summary", "procedure", "kb"}
    assert finding["severity"] == "critical" and finding["kb"] == "2112577"
    assert "com.vmware.vim.eam" in finding["summary"] and OLD in finding["summary"]
    assert "--steps extension-thumbprints" in finding["procedure"]


@pytest.mark.parametrize("missing_tool, severity", [(True, "info"), (False, "unknown")])
def test_psql_missing_or_failing_is_unknown_with_a_reason(missing_tool: bool,
                                                          severity: str) -> None:
    why = "psql not found (looked at /opt/vmware/vpostgres/current/bin/psql)"
    result = ext.judge(ExtensionsRead(error=why, missing_tool=missing_tool), NEW)
    assert (result.status, result.reason) == ("unknown", why)
    assert [f["severity"] for f in result.findings] == [severity]


def test_not_applicable_none_registered_and_no_certificate() -> None:
    assert ext.judge(ExtensionsRead(not_applicable="a PSC"), None).status == "ok"
    none = ext.judge(ExtensionsRead([]), NEW)
    assert none.status == "ok" and "registered" in none.reason
    unread = ext.judge(read(OLD, OLD, OLD), None)
    assert unread.status == "unknown" and "vpxd-extension" in unread.reason


def test_apply_makes_the_diagnosis_critical_and_plans_the_step_before_manual_ones(
        now: dt.datetime) -> None:
    diagnosis = cf.appliance(now).diagnose()
    assert diagnosis.status == "ok"
    diagnosis.plan.append(Step("remove-unused-root", None, "manual"))
    ext.apply(diagnosis, read(OLD, OLD, NEW), NEW)
    assert diagnosis.status == "critical"
    assert [s.step for s in diagnosis.plan] == ["extension-thumbprints", "remove-unused-root"]
    assert "com.vmware.vim.eam" in diagnosis.plan[0].reason
    assert "com.vmware.imagebuilder" not in diagnosis.plan[0].reason
    (finding,) = [f for f in diagnosis.findings if f.code == "extension-thumbprint-stale"]
    assert finding.certificates == ["vpxd-extension/vpxd-extension"]
    assert diagnosis.to_json()["checks"]["extension_thumbprints"]["status"] == "critical"


def test_apply_unknown_and_info_findings(now: dt.datetime) -> None:
    failing = cf.appliance(now).diagnose()
    ext.apply(failing, ExtensionsRead(error="'psql' failed with exit code 2"), NEW)
    assert failing.status == "unknown" and not failing.plan
    missing = cf.appliance(now).diagnose()
    ext.apply(missing, ExtensionsRead(error="psql not found", missing_tool=True), NEW)
    assert missing.status == "ok"  # a 6.x build without psql there: said, not a failure
    assert [f.severity for f in missing.findings
            if f.code == "extension-thumbprints-not-checked"] == ["info"]


def test_update_sql_is_one_transaction_and_validates_everything() -> None:
    sql = ext.update_sql([("com.vmware.rbd", NEW), ("com.vmware.vim.eam", NEW)])
    update = "UPDATE vpx_ext SET thumbprint = '{}' WHERE ext_id = '{}';"
    assert sql.splitlines() == ["BEGIN;", update.format(NEW, "com.vmware.rbd"),
                                update.format(NEW, "com.vmware.vim.eam"), "COMMIT;"]
    for bad in (NEW.lower(), NEW + "'; DROP TABLE vpx_ext; --", NEW[:-3], "x" * 59):
        with pytest.raises(ValueError):
            ext.update_sql([("com.vmware.rbd", bad)])
    with pytest.raises(ValueError):
        ext.update_sql([("com.vmware.rbd' OR '1'='1", NEW)])


def test_the_select_names_exactly_the_three_extensions() -> None:
    assert re.findall(r"'([^']+)'", ext.SELECT_SQL) == list(ext.EXTENSIONS) == list(IDS)


def test_follow_up_after_option_6_or_8_only_when_not_excluded() -> None:
    six = [Step("sts", None, "x"), Step("solution-users", 6, "y")]
    checks = {"extension_thumbprints": ext.judge(read(NEW, NEW, NEW), NEW).to_json()}
    steps = ext.follow_up(six, None, checks)
    assert [s.step for s in steps] == ["sts", "solution-users", "extension-thumbprints"]
    assert "option 6" in steps[-1].reason and "only if left behind" in steps[-1].reason
    eight = ext.follow_up([Step("reset-all", 8, "z"), Step("sts", None, "again")], None,
                          checks)
    assert "option 8" in eight[-1].reason
    assert [s.step for s in ext.follow_up([Step("machine-ssl", 3, "m")], None, checks)] == [
        "machine-ssl"]
    assert [s.step for s in ext.follow_up(six, ["solution-users"], checks)] == [
        "sts", "solution-users"]
    assert len(ext.follow_up(six, ["solution-users", "extension-thumbprints"], checks)) == 3
    planned = six + [Step("extension-thumbprints", None, "stale now")]
    assert ext.follow_up(planned, None, checks) == planned  # never twice
    # nothing read (no psql, psql failing, a PSC), or nothing registered: option 6 alone
    for nothing in (ExtensionsRead(error="psql not found", missing_tool=True),
                    ExtensionsRead(not_applicable="a PSC"), ExtensionsRead([])):
        unread = {"extension_thumbprints": ext.judge(nothing, NEW).to_json()}
        assert ext.follow_up(six, None, unread) == six
    assert ext.follow_up(six, None, {}) == six
