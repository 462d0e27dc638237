"""vecs-cli entry getkey and --output: what vcfix's backup of VECS relies on."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.fakes import FAKES
from vcfix.lab.fakes.common import LATENCY_ENV

ERROR_87 = "vecs-cli failed. Error 87: Operation failed with error ERROR_INVALID_PARAMETER (87) "


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    now = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
    return create_lab(tmp_path_factory.mktemp("vecs") / "lab", "healthy", now=now)


def vecs(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != LATENCY_ENV}
    return subprocess.run([str(root / FAKES["vecs-cli"][0].lstrip("/")), *args],
                          capture_output=True, text=True, env=env, timeout=30, check=False)


def public_der(cert_pem: str, key_pem: str) -> tuple[bytes, bytes]:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    cert = x509.load_pem_x509_certificate(cert_pem.encode("ascii"))
    key = serialization.load_pem_private_key(key_pem.encode("ascii"), password=None)
    return cert.public_key().public_bytes(*fmt), key.public_key().public_bytes(*fmt)


@pytest.mark.parametrize(("store", "alias"), [("MACHINE_SSL_CERT", "__MACHINE_CERT"),
                                              ("vpxd", "vpxd"), ("SMS", "sms_self_signed")])
def test_getkey_prints_the_entry_key(lab: Path, store: str, alias: str) -> None:
    done = vecs(lab, "entry", "getkey", "--store", store, "--alias", alias)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("-----BEGIN PRIVATE KEY-----")
    assert done.stdout.endswith("-----END PRIVATE KEY-----\n")
    cert = vecs(lab, "entry", "getcert", "--store", store, "--alias", alias).stdout
    cert_public, key_public = public_der(cert, done.stdout)
    assert cert_public == key_public


@pytest.mark.parametrize("store", ["TRUSTED_ROOTS", "APPLMGMT_PASSWORD"])
def test_getkey_without_a_key_fails_like_the_real_tool(lab: Path, store: str) -> None:
    alias = lab_state.load(lab)["vecs"][store][0]["alias"]
    done = vecs(lab, "entry", "getkey", "--store", store, "--alias", alias)
    assert done.returncode == 87
    assert done.stderr == ERROR_87 + "\n"
    assert done.stdout == ""


def test_getkey_unknown_alias(lab: Path) -> None:
    done = vecs(lab, "entry", "getkey", "--store", "vpxd", "--alias", "nope")
    assert done.returncode != 0 and "Error 4312" in done.stderr


@pytest.mark.parametrize(("command", "marker"), [("getcert", "CERTIFICATE"),
                                                 ("getkey", "PRIVATE KEY")])
def test_output_writes_the_pem_to_a_file(lab: Path, tmp_path: Path, command: str,
                                         marker: str) -> None:
    target = tmp_path / f"{command}.pem"
    done = vecs(lab, "entry", command, "--store", "MACHINE_SSL_CERT", "--alias",
                "__MACHINE_CERT", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    entry = lab_state.vecs_entry(lab_state.load(lab), "MACHINE_SSL_CERT", "__MACHINE_CERT")
    assert entry is not None
    field = "cert" if command == "getcert" else "key"
    assert target.read_text(encoding="ascii").strip() == str(entry[field]).strip()
    assert f"-----BEGIN {marker}-----" in target.read_text(encoding="ascii")


def test_output_into_a_missing_folder_is_a_vecs_error(lab: Path, tmp_path: Path) -> None:
    done = vecs(lab, "entry", "getcert", "--store", "vpxd", "--alias", "vpxd", "--output",
                str(tmp_path / "missing" / "x.pem"))
    assert done.returncode != 0
    assert done.stderr.startswith("vecs-cli failed. Error 2: ")
    assert "Traceback" not in done.stderr
