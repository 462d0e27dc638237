"""The checks beside the certificates (pure): CRL count, data-encipherment, Lookup Service
trust, and where their steps go in the plan."""

from __future__ import annotations

import base64
import datetime as dt
from typing import List

import certfactory as cf
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from vcfix.appliance.parsers.lstool import Endpoint, Registration
from vcfix.diagnose.checks import CheckInputs, merge_steps
from vcfix.diagnose.classify import CertRecord
from vcfix.diagnose.crls import count_crls, judge_crls
from vcfix.diagnose.encipherment import judge_encipherment
from vcfix.diagnose.ls_trust import judge_ls_trust
from vcfix.diagnose.plan import Step
from vcfix.errors import VcfixError

LIST = "vecs-cli entry list --store TRUSTED_ROOT_CRLS"
PEM = "-----BEGIN X509 CRL-----\nMIIBszCBnAIBATANBgkqhkiG9w0BAQsFADA=\n-----END X509 CRL-----"


def listing(aliases: List[str], sep: str = "\t", header: bool = True) -> str:
    lines = [f"Number of entries in store :{sep}{len(aliases)}"] if header else []
    for alias in aliases:
        lines += [f"Alias :{sep}{alias}", f"Entry type :{sep}Certification Revocation List",
                  f"Certificate :{sep}{PEM}", ""]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("sep", ["\t", " ", "  \t"])
def test_crls_are_counted_by_alias_lines(sep: str) -> None:
    got = count_crls(listing(["a1", "b2", "c3"], sep), LIST)
    assert got.count == 3 and got.aliases == ["a1", "b2", "c3"]


def test_crl_count_skips_unknown_lines_and_needs_no_header() -> None:
    text = "vmafd: note: something\n" + listing(["x", "y"], header=False) + "trailing words\n"
    assert count_crls(text, LIST).count == 2
    assert count_crls("Number of entries in store :\t0\n", LIST).count == 0


@pytest.mark.parametrize("text, words", [
    ("", "neither an entry count nor an alias"),
    ("Number of entries in store :\t5\nAlias :\ta\n", "announces 5 entries but lists 1"),
    ("Number of entries in store :\tmany\n", "entry count"),
])
def test_crl_count_not_understood_names_the_command(text: str, words: str) -> None:
    with pytest.raises(VcfixError, match=words) as info:
        count_crls(text, LIST)
    assert LIST in info.value.message


def test_judge_crls_threshold() -> None:
    assert judge_crls(30).status == "ok" and judge_crls(30).steps == []
    report = judge_crls(31)
    assert report.status == "warning"
    assert [s.step for s in report.steps] == ["clean-crls"]
    (finding,) = report.findings
    data = report.to_json()
    assert data["count"] == 31 and data["threshold"] == 30
    assert data["findings"] == [finding.to_json()]
    assert set(finding.to_json()) == {"severity", "summary", "procedure", "kb"}
    assert "KB 2146011" in finding.kb and "vecs-cli entry delete" in finding.procedure
    assert [f.code for f in report.main_findings()] == ["crls-many"]


def test_unread_crls_are_unknown_with_a_reason_never_a_warning() -> None:
    report = judge_crls(None, "'vecs-cli entry list --store TRUSTED_ROOT_CRLS' did not "
                        "finish within 300 s")
    assert report.status == "unknown" and "300 s" in str(report.reason)
    assert [(f.code, f.severity) for f in report.main_findings()] == [("check-not-done", "info")]
    assert judge_crls(None).main_findings() == []  # not asked for: nothing to say


def records(now: dt.datetime, **kw: float) -> List[CertRecord]:
    d = cf.appliance(now, **kw).diagnose()
    return d.certificates


@pytest.mark.parametrize("left, status, code", [
    (3000, "ok", None), (100, "warning", "data-encipherment-expiring"),
    (-1, "critical", "data-encipherment-expired")])
def test_data_encipherment(now: dt.datetime, left: float, status: str, code: str) -> None:
    report = judge_encipherment(records(now, other_left=left))
    assert report.status == status
    assert report.fields["days_left"] == (left if left > 0 else -1)
    if code is None:
        assert report.findings == [] and report.steps == []
        return
    (finding,) = report.findings
    assert finding.code == code and "guest customization" in finding.summary
    assert "encrypted VM" in finding.summary and "certool --gencert" in finding.procedure
    assert [s.step for s in report.steps] == ["data-encipherment"]


def test_data_encipherment_missing_is_unknown(now: dt.datetime) -> None:
    recs = [r for r in records(now) if r.store != "data-encipherment"]
    report = judge_encipherment(recs)
    assert report.status == "unknown" and "no data-encipherment" in str(report.reason)
    assert report.main_findings() == []


def registration(stype: str, host: str, trust: bytes) -> Registration:
    b64 = base64.b64encode(trust).decode("ascii")
    return Registration(name=f"{stype}.name", service_type=stype, service_id=f"id-{stype}",
                        endpoints=(Endpoint(url=f"https://{host}:443/{stype}", ssl_trust=b64),))


def trust_case(now: dt.datetime):  # type: ignore[no-untyped-def]
    d = cf.appliance(now).diagnose()
    machine = d.record("MACHINE_SSL_CERT/__MACHINE_CERT")
    assert machine is not None
    old = cf.appliance(now).diagnose().record("MACHINE_SSL_CERT/__MACHINE_CERT")
    assert old is not None and old.facts.sha1 != machine.facts.sha1
    good, stale = (r.cert.public_bytes(Encoding.DER) for r in (machine, old))
    regs = [registration("vcenterserver", cf.PNID, good),
            registration("cs.identity", cf.PNID.upper(), stale),
            registration("sso:sts", cf.PNID, stale),
            registration("vcenterserver", "other.lab.example", stale)]  # another node's
    return machine, old, regs


def test_ls_trust_mismatch_names_node_types_and_procedure(now: dt.datetime) -> None:
    machine, old, regs = trust_case(now)
    report = judge_ls_trust(regs, None, pnid=cf.PNID, version="7.0.3.01400", machine=machine,
                            plan=[])
    assert report.status == "critical" and report.steps == []
    data = report.to_json()
    assert data["node"] == cf.PNID and data["registrations"] == 3
    assert [(m["service_type"], m["service_id"]) for m in data["mismatched"]] == [
        ("cs.identity", "id-cs.identity"), ("sso:sts", "id-sso:sts")]
    assert {m["trusted_sha1"] for m in data["mismatched"]} == {old.facts.sha1}
    (finding,) = report.findings
    assert "cs.identity, sso:sts" in finding.summary and cf.PNID in finding.summary
    assert "lsdoctor" in finding.procedure and "--trustfix" in finding.procedure
    assert finding.kb == "KB 80469" and finding.severity == "critical"
    six = judge_ls_trust(regs, None, pnid=cf.PNID, version="6.7.0.58000", machine=machine,
                         plan=[])
    assert "ls_update_certs.py" in six.findings[0].procedure
    assert old.facts.sha1 in six.findings[0].procedure


def test_ls_trust_mismatch_explained_by_a_machine_ssl_plan(now: dt.datetime) -> None:
    machine, _old, regs = trust_case(now)
    for step in ("machine-ssl", "reset-all"):
        report = judge_ls_trust(regs, None, pnid=cf.PNID, version="7.0.3.01400",
                                machine=machine, plan=[Step(step, 3, "why")])
        assert report.status == "warning" and report.findings == []
        assert step in report.fields["note"] and len(report.fields["mismatched"]) == 2


def test_ls_trust_matching_and_unknown(now: dt.datetime) -> None:
    machine, _old, regs = trust_case(now)
    assert judge_ls_trust(regs[:1], None, pnid=cf.PNID, version="7.0", machine=machine,
                          plan=[]).status == "ok"
    failed = judge_ls_trust(None, "'lstool.py list' failed with exit code 1", pnid=cf.PNID,
                            version="7.0", machine=machine, plan=[])
    assert failed.status == "unknown" and "lstool.py" in str(failed.reason)
    assert [f.code for f in failed.main_findings()] == ["check-not-done"]
    nobody = judge_ls_trust(regs[3:], None, pnid=cf.PNID, version="7.0", machine=machine,
                            plan=[])
    assert nobody.status == "unknown" and "no Lookup Service registration" in str(nobody.reason)


def test_new_steps_go_after_the_certificate_manager_steps() -> None:
    plan = [Step(n, None, "") for n in ("sts", "reset-all", "sts", "remove-unused-root")]
    extra = [Step("clean-crls", None, ""), Step("data-encipherment", None, "")]
    assert [s.step for s in merge_steps(plan, extra)] == [
        "sts", "reset-all", "sts", "data-encipherment", "clean-crls", "remove-unused-root"]
    assert [s.step for s in merge_steps([], extra)] == ["data-encipherment", "clean-crls"]


def test_diagnosis_joins_the_checks(now: dt.datetime) -> None:
    app = cf.appliance(now, other_left=-1, machine_left=-1)
    d = app.diagnose(checks_input=CheckInputs(crl_count=45, registrations=[]))
    assert [s.step for s in d.plan] == ["machine-ssl", "data-encipherment", "clean-crls"]
    assert set(d.to_json()["checks"]) == {"crls", "data_encipherment", "lookup_service_trust"}
    assert {"crls-many", "data-encipherment-expired"} <= {f.code for f in d.findings}
    assert d.status == "critical"
