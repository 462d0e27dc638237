"""The lab's fixsts.sh stand-in, run with bash under a pty as vcfix will run it."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Tuple

import pexpect
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding

from vcfix import cli
from vcfix.appliance.parsers.ldif import parse_ldif
from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.fakes import FAKES, fixsts
from vcfix.lab.fakes.common import LATENCY_ENV, read_calls

PASSWORD = lab_state.LAB_SSO_PASSWORD
PROMPT = "Enter password for administrator@vsphere.local: "
TENANT = "cn=vsphere.local,cn=Tenants,cn=IdentityManager,cn=Services,dc=vsphere,dc=local"
CRED_DN = f"cn=TenantCredential-1,{TENANT}"
CHAIN_DN = f"cn=TrustedCertChain-1,cn=TrustedCertificateChains,{TENANT}"
NOW = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.timezone.utc)  # VCFIX_NOW for every run


def make_lab(tmp_path: Path, now: dt.datetime = NOW, node_type: str = "embedded",
             **settings: Any) -> Path:
    version = "6.7" if node_type == "management" else "7.0"
    root = create_lab(tmp_path / "lab", "sts-expired", version=version, node_type=node_type,
                      now=now)
    with lab_state.transaction(root) as state:
        state["settings"].update({"speed": 0.0001, **settings})
    return root


def script(root: Path) -> Path:
    return root / "root" / "fixsts.sh"


def environ() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != LATENCY_ENV}
    env["VCFIX_NOW"] = NOW.isoformat()
    return env


def run_pty(root: Path, password: str = PASSWORD) -> Tuple[int, str]:
    """``/bin/bash /root/fixsts.sh`` on a pty, answering the password; (exit, transcript)."""
    transcript = io.StringIO()
    child = pexpect.spawn("/bin/bash", [str(script(root))], env=environ(),
                          encoding="utf-8", timeout=20)
    child.logfile_read = transcript
    child.expect_exact(PROMPT)
    child.sendline(password)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, "fixsts.sh was killed"
    return int(child.exitstatus), transcript.getvalue().replace("\r\n", "\n")


def run_bash(root: Path, path: Path) -> subprocess.CompletedProcess[str]:
    """bash PATH without a terminal (start_new_session: getpass cannot open /dev/tty)."""
    return subprocess.run(["/bin/bash", str(path)], capture_output=True, text=True, input="",
                          env=environ(), timeout=30, check=False, start_new_session=True)


def vmdir(root: Path) -> Dict[str, Any]:
    return dict(lab_state.load(root)["vmdir"])


def cert(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def der_list(pems: List[str]) -> List[bytes]:
    from cryptography.hazmat.primitives.serialization import Encoding

    return [cert(p).public_bytes(Encoding.DER) for p in pems]


def exports(root: Path) -> Dict[str, Path]:
    folder = root / "tmp" / "vmware-fixsts"
    return {p.name: p for p in folder.glob("*.ldif")} if folder.is_dir() else {}


def fixsts_log(root: Path) -> str:
    return (root / "tmp" / "vmware-fixsts" / "fix_sts_cert.log").read_text(encoding="utf-8")


# --- installation ---------------------------------------------------------------------------

def test_installed_as_an_executable_bash_script_outside_vendor_paths(
        tmp_path: Path, now: dt.datetime) -> None:
    root = make_lab(tmp_path, now)
    path = script(root)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash\n") and fixsts.MARKER in text
    assert "\r" not in text and os.access(path, os.X_OK)
    assert subprocess.run(["/bin/bash", "-n", str(path)], check=False).returncode == 0
    vendor = {root / p.lstrip("/") for p, _ in FAKES.values()}
    assert path not in vendor and "fixsts" not in FAKES


# --- the successful run (one run, read by several tests) -----------------------------------

class Success(NamedTuple):
    root: Path
    old: Dict[str, Any]  # state["vmdir"] before the run
    code: int
    text: str


@pytest.fixture(scope="module")
def success(tmp_path_factory: pytest.TempPathFactory) -> Success:
    root = make_lab(tmp_path_factory.mktemp("fixsts"))
    old = vmdir(root)
    code, text = run_pty(root)
    return Success(root, old, code, text)


def test_success_prints_the_reference_lines(success: Success) -> None:
    state = lab_state.load(success.root)
    assert success.code == 0
    text = success.text
    for line in (f"Detected DN: {state['machine_account']['dn']}",
                 "Detected PNID: vcsa01.lab.example", "Detected PSC: vcsa01.lab.example",
                 "Detected SSO domain name: vsphere.local", fixsts.STARTING,
                 f'adding new entry "{CRED_DN}"', f'adding new entry "{CHAIN_DN}"',
                 fixsts.FINISHED):
        assert line + "\n" in text
    assert text.index("Detected SSO") < text.index(PROMPT) < text.index(fixsts.STARTING)
    assert text.index(fixsts.STARTING) < text.index(f'"{CRED_DN}"') < text.index(
        f'"{CHAIN_DN}"') < text.index(fixsts.FINISHED)


def test_success_replaces_the_chain_with_one_signed_by_the_current_root(
        success: Success) -> None:
    new, old = vmdir(success.root), success.old
    [cred], [chain] = new["tenant_credentials"], new["trusted_chains"]
    root_cert = cert(lab_state.load(success.root)["vmca"]["cert"])
    leaf = cert(cred["certs"][0])
    assert cred["cn"] == "TenantCredential-1" and chain["cn"] == "TrustedCertChain-1"
    assert cred["certs"] != old["tenant_credentials"][0]["certs"]
    assert leaf.issuer == root_cert.subject and cert(cred["certs"][1]) == root_cert
    root_key: Any = root_cert.public_key()
    root_key.verify(leaf.signature, leaf.tbs_certificate_bytes, padding.PKCS1v15(),
                    leaf.signature_hash_algorithm)  # raises if the root did not sign it
    assert leaf.not_valid_after_utc == NOW + dt.timedelta(days=730)
    assert NOW - dt.timedelta(hours=1) <= leaf.not_valid_before_utc <= NOW
    assert chain["certs"] == cred["certs"]
    assert cred["key"] and cred["key"] != old["tenant_credentials"][0]["key"]


def test_old_chain_is_exported_to_ldif_that_parses_back(success: Success) -> None:
    files = exports(success.root)
    assert set(files) == {"old_TenantCredential-1.ldif", "old_TrustedCertChain-1.ldif"}
    [cred] = parse_ldif(files["old_TenantCredential-1.ldif"].read_text(), "test")
    [chain] = parse_ldif(files["old_TrustedCertChain-1.ldif"].read_text(), "test")
    assert cred.dn == CRED_DN and chain.dn == CHAIN_DN
    old = success.old
    assert cred.values("userCertificate") == der_list(old["tenant_credentials"][0]["certs"])
    assert chain.values("userCertificate") == der_list(old["trusted_chains"][0]["certs"])
    assert "vmwSTSTenantCredential" in cred.values("objectClass")
    raw = files["old_TenantCredential-1.ldif"].read_text()
    assert "\nuserCertificate:: MII" in raw and all(len(ln) <= 76 for ln in raw.splitlines())
    assert all(p.stat().st_mode & 0o077 == 0 for p in files.values())
    assert "/tmp/vmware-fixsts/old_TenantCredential-1.ldif" in success.text


def test_password_is_not_echoed_logged_nor_in_argv(success: Success) -> None:
    assert PASSWORD not in success.text
    log = fixsts_log(success.root)
    assert "Detected PNID: vcsa01.lab.example" in log and fixsts.FINISHED in log
    assert PASSWORD not in log
    for path in exports(success.root).values():
        assert PASSWORD not in path.read_text()
    calls = read_calls(success.root)
    assert [c["argv"] for c in calls if c["tool"] == "fixsts.sh"] == [[]]
    assert all(PASSWORD not in " ".join(c["argv"]) for c in calls)


# --- failures -------------------------------------------------------------------------------

def test_wrong_password_changes_nothing_and_still_exits_zero(
        tmp_path: Path, now: dt.datetime) -> None:
    root = make_lab(tmp_path, now)
    before = vmdir(root)
    code, text = run_pty(root, password="not-the-password")
    assert vmdir(root) == before
    assert "ldap_bind: Invalid credentials (49)" in text
    assert "adding new entry" not in text
    assert code == 0 and fixsts.FINISHED in text  # the real script checks nothing
    assert exports(root) == {}
    assert "not-the-password" not in text + fixsts_log(root)


def test_ctrl_c_at_the_password_question_changes_nothing(
        tmp_path: Path, now: dt.datetime) -> None:
    root = make_lab(tmp_path, now)
    before = vmdir(root)
    child = pexpect.spawn("/bin/bash", [str(script(root))], env=environ(), encoding="utf-8",
                          timeout=20)
    child.expect_exact(PROMPT)
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 and "Traceback" not in str(child.before)
    assert vmdir(root) == before and exports(root) == {}


def test_management_node_is_refused(tmp_path: Path, now: dt.datetime) -> None:
    root = make_lab(tmp_path, now, node_type="management")
    before = vmdir(root)
    done = run_bash(root, script(root))
    assert done.returncode == 1
    assert "Detected this node is a vCenter server with external PSC." in done.stdout
    assert "Platform Services Controller (psc01.lab.example)" in done.stdout
    assert "Enter password" not in done.stdout + done.stderr
    assert "Detected DN" not in done.stdout
    assert vmdir(root) == before


def test_crlf_copy_fails_as_bash_does(tmp_path: Path, now: dt.datetime) -> None:
    root = make_lab(tmp_path, now)
    before = vmdir(root)
    copy = root / "root" / "fixsts-windows.sh"
    copy.write_bytes(script(root).read_bytes().replace(b"\n", b"\r\n"))
    copy.chmod(0o755)

    done = run_bash(root, copy)
    assert done.returncode != 0
    assert "$'\\r': command not found" in done.stderr

    direct = subprocess.run(["/bin/bash", "-c", str(copy)], capture_output=True, text=True,
                            env=environ(), timeout=30, check=False, start_new_session=True)
    assert direct.returncode != 0
    # bash up to 5.1: "/bin/bash^M: bad interpreter"; 5.2: "cannot execute: required file..."
    assert "bad interpreter" in direct.stderr or "required file not found" in direct.stderr
    assert vmdir(root) == before
    assert not [c for c in read_calls(root) if c["tool"] == "fixsts.sh"]


def test_fixsts_fail_deletes_then_the_add_fails(
        tmp_path: Path, now: dt.datetime) -> None:
    root = make_lab(tmp_path, now, fixsts_fail=True)
    before = vmdir(root)
    code, text = run_pty(root)
    assert code == 1
    assert "ldap_add: Operations error (1)" in text
    assert fixsts.FINISHED not in text
    assert f'adding new entry "{CHAIN_DN}"' not in text
    after = vmdir(root)
    assert after["tenant_credentials"] == [] and after["trusted_chains"] == []
    [cred] = parse_ldif(exports(root)["old_TenantCredential-1.ldif"].read_text(), "test")
    assert cred.values("userCertificate") == der_list(before["tenant_credentials"][0]["certs"])
    assert "fixsts_fail" in fixsts_log(root)


def test_stopped_directory_cannot_be_contacted(
        tmp_path: Path, now: dt.datetime) -> None:
    root = make_lab(tmp_path, now)
    with lab_state.transaction(root) as state:
        state["services"]["vmdird"] = "Stopped"
    before = vmdir(root)
    code, text = run_pty(root)
    assert "Can't contact LDAP server (-1)" in text and "adding new entry" not in text
    assert vmdir(root) == before and code == 0


def test_a_copy_elsewhere_still_finds_its_lab(tmp_path: Path, now: dt.datetime) -> None:
    """Operators keep the download anywhere; no terminal and no input = an empty password."""
    root = make_lab(tmp_path, now)
    before = vmdir(root)
    copy = tmp_path / "downloads" / "fixsts.sh"
    copy.parent.mkdir()
    copy.write_bytes(script(root).read_bytes())
    done = run_bash(root, copy)
    assert "Detected PNID: vcsa01.lab.example" in done.stdout
    assert "ldap_bind: Invalid credentials (49)" in done.stderr
    assert done.returncode == 0 and vmdir(root) == before


def test_lab_set_accepts_fixsts_fail(tmp_path: Path, now: dt.datetime) -> None:
    root = make_lab(tmp_path, now)
    assert cli.main(["lab", "set", str(root), "fixsts_fail=true"]) == 0
    assert lab_state.setting(lab_state.load(root), "fixsts_fail") is True
    assert lab_state.SETTINGS["fixsts_fail"][:2] == ("bool", False)


# --- pacing (in process: the pauses are recorded, not slept) ---------------------------------

def test_pauses_scale_with_speed(tmp_path: Path, now: dt.datetime,
                                 monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = make_lab(tmp_path, now, speed=0.5)
    prompts: List[str] = []
    slept: List[float] = []
    monkeypatch.delenv(LATENCY_ENV, raising=False)
    monkeypatch.setenv("VCFIX_NOW", now.isoformat())

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.setattr(fixsts.getpass, "getpass", fake_getpass)
    monkeypatch.setattr(fixsts.time, "sleep", slept.append)
    assert fixsts.run([str(root)]) == 0
    assert prompts == [PROMPT]
    assert slept == [0.5 * fixsts.PAUSES[s] for s in ("export", "generate", "delete", "add")]
    assert fixsts.FINISHED in capsys.readouterr().out
