"""The remediation plan and the overall status, scenario by scenario (injected clock)."""

from __future__ import annotations

import datetime as dt

import certfactory as cf
import pytest

from vcfix.appliance.parsers.vecs import VecsEntry
from vcfix.diagnose import plan
from vcfix.diagnose.classify import SOLUTION_STORES
from vcfix.diagnose.model import Diagnosis

SOLUTION_IDS = [f"{s}/{s}" for s in ("machine", "vsphere-webclient", "vpxd", "vpxd-extension",
                                     "hvc", "wcp")]
MACHINE_ID = "MACHINE_SSL_CERT/__MACHINE_CERT"


def steps(diagnosis: Diagnosis) -> list[tuple[str, int | None]]:
    return [(s.step, s.option) for s in diagnosis.plan]


def codes(diagnosis: Diagnosis) -> set[str]:
    return {f.code for f in diagnosis.findings}


def step(diagnosis: Diagnosis, name: str) -> plan.Step:
    (found,) = [s for s in diagnosis.plan if s.step == name]
    return found


def test_healthy(now: dt.datetime) -> None:
    d = cf.appliance(now).diagnose()
    assert (d.status, d.exit_code, d.plan, d.caveats) == ("ok", 0, [], [])
    assert codes(d) == {"store-skipped"}  # TRUSTED_ROOT_CRLS, info only


def test_sts_expiring(now: dt.datetime) -> None:
    d = cf.appliance(now, sts_left=100).diagnose()
    assert steps(d) == [("sts", None)]
    assert d.status == "warning" and d.exit_code == 1
    sts = step(d, "sts")
    assert "VMDIR/TenantCredential-1" in sts.certificates and "100 days left" in sts.reason
    assert plan.CAVEAT_RESTART in d.caveats


def test_sts_expired(now: dt.datetime) -> None:
    d = cf.appliance(now, sts_left=-1).diagnose()
    assert steps(d) == [("sts", None)]
    assert d.status == "critical" and d.exit_code == 2
    assert "expired" in step(d, "sts").reason


def test_machine_ssl_expired(now: dt.datetime) -> None:
    d = cf.appliance(now, machine_left=-3).diagnose()
    assert steps(d) == [("machine-ssl", 3)]
    assert step(d, "machine-ssl").certificates == [MACHINE_ID]
    assert d.status == "critical"
    assert plan.CAVEAT_HOSTNAMES in d.caveats and plan.CAVEAT_VMCA_NAME in d.caveats


def test_machine_ssl_expiring(now: dt.datetime) -> None:
    d = cf.appliance(now, machine_left=30).diagnose()
    assert steps(d) == [("machine-ssl", 3)] and d.status == "warning"


def test_san_lacking_the_pnid(now: dt.datetime) -> None:
    d = cf.appliance(now, sans=["vcsa01", "192.0.2.10"]).diagnose()
    assert steps(d) == [("machine-ssl", 3)]
    assert "SAN lacks the PNID" in step(d, "machine-ssl").reason
    (finding,) = [f for f in d.findings if f.code == "san-lacks-pnid"]
    assert cf.PNID in finding.message and "vcsa01, 192.0.2.10" in finding.message
    assert d.status == "warning"


def test_san_pnid_differing_only_in_case_is_noted_not_fixed(now: dt.datetime) -> None:
    d = cf.appliance(now, sans=[cf.PNID.upper()]).diagnose()
    assert d.plan == [] and d.status == "ok"
    assert "san-pnid-case" in codes(d)


def test_solution_users_expired(now: dt.datetime) -> None:
    d = cf.appliance(now, solution_left=-10).diagnose()
    assert steps(d) == [("solution-users", 6)]
    assert step(d, "solution-users").certificates == SOLUTION_IDS
    assert d.status == "critical"
    assert plan.CAVEAT_HOSTNAMES not in d.caveats


def test_root_expired_resets_all_and_never_3_or_6(now: dt.datetime) -> None:
    app = cf.appliance(now, root_left=-2, machine_left=-1, solution_left=-1)
    d = app.diagnose()
    names = [s for s, _ in steps(d)]
    assert ("reset-all", 8) in steps(d)
    assert "machine-ssl" not in names and "solution-users" not in names
    assert "remove-unused-root" not in names
    # the root is also the CA of the STS chain: fixsts comes first (so SSO logins work)
    # and again after option 8, which does not reissue the STS certificate
    assert names == ["sts", "reset-all", "sts"]
    again = d.plan[2]
    assert "option 8 does not reissue" in again.reason
    assert again.certificates and all(c.startswith("VMDIR/") for c in again.certificates)
    reset = step(d, "reset-all")
    assert reset.certificates == [f"TRUSTED_ROOTS/{cf.thumb(app.root)}"]
    assert MACHINE_ID in reset.reason
    assert d.status == "critical"
    assert plan.CAVEAT_STS_AFTER_RESET in d.caveats and plan.CAVEAT_OTHER_STORES in d.caveats


def test_root_expiring(now: dt.datetime) -> None:
    d = cf.appliance(now, root_left=90).diagnose()
    assert [s for s, _ in steps(d)] == ["sts", "reset-all", "sts"]
    assert d.status == "warning"


def test_everything_expired_sts_first(now: dt.datetime) -> None:
    d = cf.appliance(now, machine_left=-5, solution_left=-5, sts_left=-5).diagnose()
    assert steps(d) == [("sts", None), ("machine-ssl", 3), ("solution-users", 6)]
    assert d.status == "critical" and d.exit_code == 2


def test_stale_root_with_the_same_subject_is_only_a_removal(now: dt.datetime) -> None:
    """Signature verification beats issuer-name matching: no reset-all for a stale root."""
    app = cf.appliance(now)
    stale = cf.stale_root(now)
    app.trust(stale)
    d = app.diagnose()
    assert steps(d) == [("remove-unused-root", None)]
    removal = step(d, "remove-unused-root")
    assert removal.certificates == [f"TRUSTED_ROOTS/{cf.thumb(stale)}"]
    assert "other nodes" in removal.reason
    assert d.status == "warning" and d.exit_code == 1
    assert "expired-unused" in codes(d)


def test_expired_backup_store_copy_is_information_with_its_removal(now: dt.datetime) -> None:
    """certificate-manager's own copies: a successful fix leaves them and must end OK."""
    app = cf.appliance(now)
    old = cf.leaf(now, app.root, cf.PNID, -40)
    app.stores["BACKUP_STORE"] = [cf.entry("bkp___MACHINE_CERT", old),
                                  VecsEntry("bkp___MACHINE_CERT_key", "Secret Key", None)]
    d = app.diagnose()
    assert d.plan == [] and d.status == "ok"
    assert "expired-unused" not in codes(d)
    (finding,) = [f for f in d.findings if f.code == "backup-copy"]
    assert finding.severity == "info"
    assert finding.certificates == ["BACKUP_STORE/bkp___MACHINE_CERT"]
    assert ("vecs-cli entry delete --store BACKUP_STORE --alias bkp___MACHINE_CERT -y"
            in finding.message)


def test_expired_data_encipherment_is_critical_with_its_step(now: dt.datetime) -> None:
    """It used to be an 'unused' warning; vpxd needs it (guest customization, encrypted VMs)."""
    d = cf.appliance(now, other_left=-1).diagnose()
    assert [s.step for s in d.plan] == ["data-encipherment"] and d.status == "critical"
    codes = {f.code: f for f in d.findings}
    assert "data-encipherment-expired" in codes
    assert "data-encipherment/data-encipherment" not in {
        c for f in d.findings if f.code == "expired-unused" for c in f.certificates}


def test_intermediate_ca_expired_in_the_chain(now: dt.datetime) -> None:
    app = cf.appliance(now, intermediate_left=-1)
    d = app.diagnose()
    assert [s for s, _ in steps(d)] == ["sts", "reset-all", "sts"]
    assert step(d, "reset-all").certificates == [f"TRUSTED_ROOTS/{cf.thumb(app.signer)}"]
    assert d.status == "critical"


def test_intermediate_ca_healthy_chain(now: dt.datetime) -> None:
    d = cf.appliance(now, intermediate_left=1000, machine_left=-1).diagnose()
    assert steps(d) == [("machine-ssl", 3)]


def test_unused_expired_root_never_triggers_reset_all(now: dt.datetime) -> None:
    app = cf.appliance(now, machine_left=-1)
    app.trust(cf.stale_root(now, left=-400))
    d = app.diagnose()
    assert [s for s, _ in steps(d)] == ["machine-ssl", "remove-unused-root"]


@pytest.mark.parametrize(("severities", "expected"), [
    ([], "ok"), (["info"], "ok"), (["warning", "info"], "warning"),
    (["unknown", "warning"], "unknown"),
])
def test_status_from_findings(severities: list[str], expected: str) -> None:
    findings = [plan.Finding("x", s, "m") for s in severities]
    assert plan.overall_status([], findings) == expected


def test_old_root_signing_only_the_sts_chain_is_fixsts_work(now: dt.datetime) -> None:
    """After option 8 the expired old root still ends the STS chain: fixsts, not option 8."""
    app = cf.appliance(now, root_left=-5)  # every certificate signed by the expired root
    new_root = cf.ca(now, 3600, key_name="new-root")
    app.trust(new_root)
    machine = cf.leaf(now, new_root, cf.PNID, 700, sans=[cf.PNID])
    app.stores["MACHINE_SSL_CERT"] = [cf.entry("__MACHINE_CERT", machine)]
    for store in SOLUTION_STORES:
        app.stores[store] = [cf.entry(store, cf.leaf(now, new_root, f"{store}-1234", 700))]
    d = app.diagnose()
    names = [s for s, _ in steps(d)]
    assert names == ["sts"]  # no reset-all: option 8 would not touch the STS chain
    assert d.status == "critical"
