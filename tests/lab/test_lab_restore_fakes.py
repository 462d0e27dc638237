"""The fakes ``vcfix restore`` relies on: vecs-cli create/delete, dir-cli trustedcert,
ldapmodify, and the VMCA root files that vmcad reads when it starts."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from typing import Optional

import pexpect
import pytest

from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.fakes import FAKES
from vcfix.lab.fakes.common import LATENCY_ENV

NOW = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    root = create_lab(tmp_path / "lab", "healthy", now=NOW)
    with lab_state.transaction(root) as state:
        state["settings"]["speed"] = 0
    return root


def tool(root: Path, name: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != LATENCY_ENV}
    return subprocess.run([str(root / FAKES[name][0].lstrip("/")), *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def write(path: Path, text: Optional[str]) -> str:
    path.write_text(text or "")
    return str(path)


def test_vecs_cli_create_and_delete(lab: Path, tmp_path: Path) -> None:
    entry = lab_state.load(lab)["vecs"]["vpxd"][0]
    cert, key = write(tmp_path / "c.pem", entry["cert"]), write(tmp_path / "k.pem", entry["key"])
    assert tool(lab, "vecs-cli", "entry", "create", "--store", "vpxd", "--alias", "vpxd",
                "--cert", cert, "--key", key).returncode == 183  # already there
    declined = tool(lab, "vecs-cli", "entry", "delete", "--store", "vpxd", "--alias", "vpxd",
                    stdin="n\n")
    assert "Do you wish to continue? (y/n)" in declined.stdout
    assert lab_state.load(lab)["vecs"]["vpxd"]
    assert tool(lab, "vecs-cli", "entry", "delete", "--store", "vpxd", "--alias", "vpxd",
                "-y").returncode == 0
    assert lab_state.load(lab)["vecs"]["vpxd"] == []
    assert tool(lab, "vecs-cli", "store", "create", "--name", "new one").returncode == 0
    for store, args in (("vpxd", ["--key", key]), ("new one", [])):
        done = tool(lab, "vecs-cli", "entry", "create", "--store", store, "--alias", "vpxd",
                    "--cert", cert, *args)
        assert done.returncode == 0, done.stderr
    vecs = lab_state.load(lab)["vecs"]
    assert vecs["vpxd"] == [entry]
    assert vecs["new one"][0]["type"] == "Trusted Cert" and vecs["new one"][0]["key"] is None


def dir_cli(lab: Path, password: str, *args: str) -> tuple[int, str]:
    child = pexpect.spawn(str(lab / FAKES["dir-cli"][0].lstrip("/")), list(args),
                          encoding="utf-8", timeout=30)
    child.expect("Enter password for administrator@vsphere.local: ")
    child.sendline(password)
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus or 0, child.before or ""


def test_dir_cli_trustedcert_asks_the_password_on_its_terminal(lab: Path, tmp_path: Path) -> None:
    pem = lab_state.load(lab)["vecs"]["SMS"][0]["cert"]
    cert = write(tmp_path / "c.pem", pem)
    code, text = dir_cli(lab, "wrong", "trustedcert", "publish", "--cert", cert)
    assert code == 49 and "Invalid credentials" in text
    assert dir_cli(lab, lab_state.LAB_SSO_PASSWORD, "trustedcert", "publish", "--cert",
                   cert)[0] == 0
    assert pem in lab_state.load(lab)["vmdir"]["trusted_certs"]
    assert dir_cli(lab, lab_state.LAB_SSO_PASSWORD, "trustedcert", "unpublish", "--cert",
                   cert)[0] == 0
    assert pem not in lab_state.load(lab)["vmdir"]["trusted_certs"]


def test_ldapmodify_deletes_and_adds_sts_entries(lab: Path, tmp_path: Path) -> None:
    state = lab_state.load(lab)
    account = state["machine_account"]
    pw = tmp_path / "pw"
    pw.write_text(account["password"])
    pw.chmod(0o600)
    base = "cn=vsphere.local,cn=Tenants,cn=IdentityManager,cn=Services,dc=vsphere,dc=local"
    login = ["-x", "-H", "ldap://localhost:389", "-D", account["dn"], "-y", str(pw)]
    export = tool(lab, "ldapsearch", "-LLL", *login, "-b", base,
                  "(objectClass=vmwSTSTenantCredential)").stdout
    delete = write(tmp_path / "d.ldif", f"dn: cn=TenantCredential-1,{base}\nchangetype: delete\n")
    done = tool(lab, "ldapmodify", *login, "-f", delete)
    assert done.returncode == 0 and "deleting entry" in done.stdout
    assert lab_state.load(lab)["vmdir"]["tenant_credentials"] == []
    assert tool(lab, "ldapmodify", *login, "-f", delete).returncode == 32  # gone
    done = tool(lab, "ldapmodify", "-a", *login, "-f", write(tmp_path / "a.ldif", export))
    assert done.returncode == 0 and "adding new entry" in done.stdout
    assert lab_state.load(lab)["vmdir"]["tenant_credentials"] == \
        state["vmdir"]["tenant_credentials"]
    assert tool(lab, "ldapmodify", "-a", *login, "-f", str(tmp_path / "a.ldif")).returncode == 68
    pw.write_text("wrong")
    assert tool(lab, "ldapmodify", *login, "-f", delete).returncode == 49


def test_vmcad_reads_the_root_files_when_it_starts(lab: Path, tmp_path: Path) -> None:
    cert = lab / "var/lib/vmware/vmca/root.cer"
    key = lab / "var/lib/vmware/vmca/privatekey.pem"
    state = lab_state.load(lab)
    assert cert.read_text() == state["vmca"]["cert"] and oct(key.stat().st_mode)[-3:] == "600"
    other = state["vecs"]["vpxd"][0]
    cert.write_text(other["cert"])
    key.write_text(other["key"])
    assert lab_state.load(lab)["vmca"] == state["vmca"]  # read only when vmcad starts
    assert tool(lab, "service-control", "--stop", "vmcad").returncode == 0
    assert tool(lab, "service-control", "--start", "vmcad").returncode == 0
    assert lab_state.load(lab)["vmca"] == {"cert": other["cert"], "key": other["key"]}
