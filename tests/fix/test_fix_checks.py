"""``vcfix fix`` and ``vcfix restore`` for the steps of issue 14: clean-crls and
data-encipherment (unattended, dry run, backup and manifest, restore)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
from cryptography import x509
from fixlab import (
    PASSWORD,
    answer_file,
    fast_lab,
    files_containing,
    fix_cli,
    only_run_dir,
    tool_calls,
)

from vcfix import cli
from vcfix.lab import state as lab_state

CRLS = "TRUSTED_ROOT_CRLS"


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCFIX_SSO_PASSWORD", PASSWORD)


def diagnosis(root: Path, capsys: pytest.CaptureFixture[str]) -> Dict[str, Any]:
    capsys.readouterr()
    cli.main(["--root", str(root), "diagnose", "--json"])
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def restore(root: Path, tmp_path: Path, run: Path, *extra: str) -> int:
    return cli.main(["--root", str(root), "restore", str(run), "--answers",
                     str(answer_file(tmp_path)), *extra])


def manifest(run: Path) -> Dict[str, Any]:
    return json.loads((run / "backup" / "manifest.json").read_text())  # type: ignore[no-any-return]


def crl_aliases(root: Path) -> List[str]:
    return [e["alias"] for e in lab_state.load(root)["vecs"][CRLS]]


def test_clean_crls_unattended(tmp_path: Path, fixed_clock: dt.datetime,
                               capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "crls-many")
    before = lab_state.load(root)["vecs"][CRLS]
    assert fix_cli(root, tmp_path, "--yes") == 0
    out = capsys.readouterr().out
    assert "120 CRLs deleted" in out and "the fix verified" in out
    assert crl_aliases(root) == []
    doc = diagnosis(root, capsys)
    assert doc["status"] == "ok" and doc["checks"]["crls"]["count"] == 0
    run = only_run_dir(tmp_path / "state")
    kept = manifest(run)
    assert kept["complete"] and kept["counts"]["crls"] == 120
    (item,) = [e for e in kept["entries"] if e["kind"] == "vecs-crls"]
    assert item["store"] == CRLS and item["count"] == 120
    saved = json.loads((run / "backup" / item["file"]).read_text())["entries"]
    assert [(e["alias"], e["pem"].strip()) for e in saved] == [
        (e["alias"], e["cert"].strip()) for e in before]
    assert all(e["entry_type"] == "Certification Revocation List" for e in saved)
    deletes = [c["argv"] for c in tool_calls(root, "vecs-cli") if "delete" in c["argv"]]
    assert len(deletes) == 120 and all(a[-1] == "-y" and CRLS in a for a in deletes)
    restarts = [c["argv"] for c in tool_calls(root, "service-control") if "--all" in c["argv"]
                and "--status" not in c["argv"]]
    assert restarts == [["--stop", "--all"], ["--start", "--all"]]
    # the listing that counts is never --text
    assert not any("--text" in c["argv"] for c in tool_calls(root, "vecs-cli"))


def test_clean_crls_then_restore_puts_them_back(tmp_path: Path, fixed_clock: dt.datetime,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "crls-many")
    before = sorted(crl_aliases(root))
    assert fix_cli(root, tmp_path, "--yes") == 0
    run = only_run_dir(tmp_path / "state")
    capsys.readouterr()
    assert restore(root, tmp_path, run, "--dry-run") == 0
    assert "put back the CRL" in capsys.readouterr().out and crl_aliases(root) == []
    assert restore(root, tmp_path, run, "--yes") == 0
    assert "are those of diagnosis-before.json" in capsys.readouterr().out
    assert sorted(crl_aliases(root)) == before
    entries = lab_state.load(root)["vecs"][CRLS]
    assert all(e["type"] == "Certification Revocation List" for e in entries)
    for entry in entries:
        x509.load_pem_x509_crl(entry["cert"].encode("ascii"))
    assert diagnosis(root, capsys)["checks"]["crls"]["count"] == 120


def data_encipherment(root: Path) -> Dict[str, Any]:
    (entry,) = lab_state.load(root)["vecs"]["data-encipherment"]
    return entry  # type: ignore[no-any-return]


def test_data_encipherment_unattended(tmp_path: Path, fixed_clock: dt.datetime,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "data-encipherment-expired")
    old = data_encipherment(root)
    assert fix_cli(root, tmp_path, "--yes") == 0
    out = capsys.readouterr().out
    assert "data-encipherment regenerated, signed by VMCA" in out
    assert "Guest customization specifications" in out  # the follow-up
    new = data_encipherment(root)
    assert new["cert"] != old["cert"] and new["key"] != old["key"]
    assert new["alias"] == "data-encipherment" and new["type"] == "Private Key"
    cert = x509.load_pem_x509_certificate(new["cert"].encode("ascii"))
    root_ca = x509.load_pem_x509_certificate(lab_state.load(root)["vmca"]["cert"].encode())
    cert.verify_directly_issued_by(root_ca)
    assert cert.not_valid_after_utc > fixed_clock + dt.timedelta(days=700)
    doc = diagnosis(root, capsys)
    assert doc["status"] == "ok" and doc["checks"]["data_encipherment"]["status"] == "ok"
    # the old certificate and key are in the backup, listed in the manifest
    run = only_run_dir(tmp_path / "state")
    kept = {e["kind"]: e for e in manifest(run)["entries"]
            if e.get("store") == "data-encipherment"}
    assert set(kept) == {"vecs-cert", "vecs-key"}
    assert (run / "backup" / kept["vecs-key"]["file"]).read_text() == old["key"]
    # the new key went through files in a private folder, removed afterwards, never argv
    certool = [c["argv"] for c in tool_calls(root, "certool")]
    assert [a[0] for a in certool] == ["--genkey", "--gencert"]
    key_path = Path(certool[0][1].split("=", 1)[1])
    assert not key_path.parent.exists()
    assert not any("PRIVATE KEY" in a for c in tool_calls(root, "vecs-cli") for a in c["argv"])
    assert files_containing(run, new["key"].strip().splitlines()[1]) == []
    restarts = [c["argv"] for c in tool_calls(root, "service-control")
                if "vmware-vpxd" in c["argv"]]
    assert restarts == [["--stop", "vmware-vpxd"], ["--start", "vmware-vpxd"]]


def test_data_encipherment_then_restore(tmp_path: Path, fixed_clock: dt.datetime,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "data-encipherment-expired")
    old = data_encipherment(root)
    assert fix_cli(root, tmp_path, "--yes") == 0
    assert restore(root, tmp_path, only_run_dir(tmp_path / "state"), "--yes") == 0
    assert data_encipherment(root)["cert"].strip() == old["cert"].strip()
    assert data_encipherment(root)["key"].strip() == old["key"].strip()


@pytest.mark.parametrize("scenario, tool", [("crls-many", "vecs-cli"),
                                            ("data-encipherment-expired", "certool")])
def test_dry_run_changes_nothing(scenario: str, tool: str, tmp_path: Path,
                                 fixed_clock: dt.datetime,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, scenario)
    before = lab_state.load(root)["vecs"]
    assert fix_cli(root, tmp_path, "--dry-run") == 0
    out = capsys.readouterr().out
    step = "clean-crls" if scenario == "crls-many" else "data-encipherment"
    assert f"Step 1: {step}" in out and "Dry run: nothing will be changed" in out
    assert lab_state.load(root)["vecs"] == before
    assert not tool_calls(root, "certool")
    assert not any(w in c["argv"] for c in tool_calls(root, "vecs-cli")
                   for w in ("delete", "create"))
    assert not (tmp_path / "state").exists()


def test_steps_by_name_and_in_answer_files(tmp_path: Path, fixed_clock: dt.datetime,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "crls-many")
    assert fix_cli(root, tmp_path, "--dry-run", "--steps", "clean-crls") == 0
    assert "Step 1: clean-crls" in capsys.readouterr().out
    assert fix_cli(root, tmp_path, "--dry-run",
                   body="steps: [data-encipherment, clean-crls]\n") == 0
    assert "Step 1: clean-crls" in capsys.readouterr().out
    assert fix_cli(root, tmp_path, "--yes", "--steps", "data-encipherment") == 0
    assert "Nothing for vcfix to run" in capsys.readouterr().out
    assert len(crl_aliases(root)) == 120


def test_a_stale_lookup_trust_is_left_to_the_operator_with_its_procedure(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "lookup-trust-stale")
    assert fix_cli(root, tmp_path, "--yes") == 1  # nothing vcfix can run; still critical
    out = capsys.readouterr().out
    assert "Nothing for vcfix to run" in out and "lsdoctor.py --trustfix" in out
    # with a step to run, the fix verifies and the mismatch is left for the operator
    with lab_state.transaction(root) as state:
        state["vecs"][CRLS] = state["vecs"][CRLS] * 11  # 33 CRLs, renamed below
        for number, entry in enumerate(state["vecs"][CRLS]):
            state["vecs"][CRLS][number] = dict(entry, alias=f"{entry['alias']}-{number}")
    assert fix_cli(root, tmp_path, "--yes") == 0
    out = capsys.readouterr().out
    report = out[out.index("Left for you"):]
    assert "Lookup Service registrations" in report and "lsdoctor" in report


def test_a_failing_certool_changes_nothing(tmp_path: Path, fixed_clock: dt.datetime,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "data-encipherment-expired")
    old = data_encipherment(root)
    shim = root / "usr/lib/vmware-vmca/bin/certool"
    shim.write_text("#!/bin/sh\necho 'Error: 382312694: VMCA refused' >&2\nexit 1\n")
    assert fix_cli(root, tmp_path, "--yes") == 1
    out = capsys.readouterr().out
    assert "data-encipherment: FAILED" in out and "nothing was changed" in out
    assert data_encipherment(root) == old
    shim.unlink()
    assert fix_cli(root, tmp_path, "--yes") != 0  # a missing certool: refused up front
    assert "certool not found" in capsys.readouterr().err
    assert data_encipherment(root) == old


def test_a_delete_that_fails_half_way_stops_and_restore_puts_them_back(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    root = fast_lab(tmp_path, "crls-many")
    before = sorted(crl_aliases(root))
    vecs = root / "usr/lib/vmware-vmafd/bin/vecs-cli"
    real = vecs.with_name("vecs-cli.real")
    vecs.rename(real)
    count = tmp_path / "deletes"
    vecs.write_text(  # the sixth delete fails
        '#!/bin/sh\ncase "$*" in *delete*) echo x >> "' + str(count) + '"\n'
        '  [ "$(wc -l < "' + str(count) + '")" -gt 5 ] && '
        '{ echo "vecs-cli failed. Error 5: ERROR_ACCESS_DENIED" >&2; exit 5; };; esac\n'
        f'exec "{real}" "$@"\n')
    vecs.chmod(0o755)
    assert fix_cli(root, tmp_path, "--yes") == 1
    out = capsys.readouterr().out
    assert "FAILED after deleting 5 of 120 CRLs" in out and "vcfix restore" in out
    assert len(crl_aliases(root)) == 115
    assert not [c for c in tool_calls(root, "service-control") if "--all" in c["argv"]
                and "--status" not in c["argv"]]  # nothing restarted
    vecs.unlink()
    real.rename(vecs)
    assert restore(root, tmp_path, only_run_dir(tmp_path / "state"), "--yes") == 0
    assert sorted(crl_aliases(root)) == before
