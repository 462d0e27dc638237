"""The lab's fakes for issue 14: certool, CRL entries in vecs-cli, stale Lookup Service trust."""

from __future__ import annotations

import base64
import datetime as dt
import os
import stat
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.fakes import FAKES
from vcfix.lab.reissue import CertFields, reissue_machine_ssl


def run(root: Path, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = root / FAKES[tool][0].lstrip("/")
    return subprocess.run([str(path), *args], capture_output=True, text=True, timeout=60,
                          check=False)


def test_certool_genkey_and_gencert_signed_by_vmca(tmp_path: Path, now: dt.datetime) -> None:
    root = create_lab(tmp_path / "lab", "healthy", now=now)
    key, pub, crt, cfg = (tmp_path / n for n in ("k.pem", "p.pem", "c.pem", "c.cfg"))
    cfg.write_text("Country = DE\nOrganization = ACME\nHostname = a.example, b.example\n")
    done = run(root, "certool", "--genkey", f"--privkey={key}", "--pubkey", str(pub))
    assert done.returncode == 0 and "Success" in done.stdout
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and "PRIVATE KEY" in key.read_text()
    assert "PRIVATE" not in done.stdout + done.stderr
    done = run(root, "certool", "--gencert", f"--cert={crt}", f"--privkey={key}",
               f"--config={cfg}", "--Name=data-encipherment")
    assert done.returncode == 0, done.stderr
    cert = x509.load_pem_x509_certificate(crt.read_bytes())
    ca = x509.load_pem_x509_certificate(lab_state.load(root)["vmca"]["cert"].encode())
    cert.verify_directly_issued_by(ca)
    assert cert.subject.rfc4514_string() == "O=ACME,C=DE,CN=data-encipherment"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["a.example", "b.example"]
    assert "BEGIN PUBLIC KEY" in pub.read_text()


def test_certool_needs_vmcad(tmp_path: Path, now: dt.datetime) -> None:
    root = create_lab(tmp_path / "lab", "healthy", now=now)
    with lab_state.transaction(root) as state:
        state["services"]["vmcad"] = "Stopped"
    done = run(root, "certool", "--genkey", f"--privkey={tmp_path / 'k'}",
               f"--pubkey={tmp_path / 'p'}")
    assert done.returncode == 1 and "VMCA" in done.stderr and not (tmp_path / "k").exists()


def test_vecs_cli_creates_a_crl_entry(tmp_path: Path, now: dt.datetime) -> None:
    root = create_lab(tmp_path / "lab", "healthy", now=now)
    crl = lab_state.load(root)["vecs"]["TRUSTED_ROOT_CRLS"][0]
    path = tmp_path / "crl.pem"
    path.write_text(crl["cert"])
    assert run(root, "vecs-cli", "entry", "delete", "--store", "TRUSTED_ROOT_CRLS",
               "--alias", crl["alias"], "-y").returncode == 0
    assert run(root, "vecs-cli", "entry", "create", "--store", "TRUSTED_ROOT_CRLS",
               "--alias", crl["alias"], "--cert", str(path)).returncode == 0
    back = lab_state.vecs_entry(lab_state.load(root), "TRUSTED_ROOT_CRLS", crl["alias"])
    assert back is not None and back["type"] == "Certification Revocation List"


def test_stale_lookup_trust_until_certificate_manager_replaces_machine_ssl(
        tmp_path: Path, now: dt.datetime) -> None:
    root = create_lab(tmp_path / "lab", "lookup-trust-stale", now=now)
    stale = lab_state.load(root)["lookup_ssl_trust"]
    url = "http://localhost:7090/lookupservice/sdk"
    listing = run(root, "lstool", "list", "--url", url).stdout
    assert f"SSL trust: {stale}" in listing
    with lab_state.transaction(root) as state:
        issued = reissue_machine_ssl(state, CertFields(), now)
    assert "lookup_ssl_trust" not in lab_state.load(root)
    current = base64.b64encode(issued.cert.public_bytes(Encoding.DER)).decode()
    listing = run(root, "lstool", "list", "--url", url).stdout
    assert f"SSL trust: {current}" in listing and stale not in listing
