"""The lab's fake vendor tools, run as the real executables they pretend to be."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pexpect
import pytest
from cryptography import x509

from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.fakes import FAKES, common, vecs_text, vmafd_cli
from vcfix.lab.fakes.common import read_calls

TENANT = "cn=vsphere.local,cn=Tenants,cn=IdentityManager,cn=Services,dc=vsphere,dc=local"
STS_FILTER = ("(|(objectClass=vmwSTSTenantCredential)"
              "(objectClass=vmwSTSTenantTrustedCertificateChain))")
ADMIN_DN = "cn=administrator,cn=users,dc=vsphere,dc=local"


@pytest.fixture
def lab(tmp_path: Path, now: dt.datetime) -> Path:
    return create_lab(tmp_path / "lab", "healthy", now=now)


@pytest.fixture
def mgmt(tmp_path: Path, now: dt.datetime) -> Path:
    return create_lab(tmp_path / "mgmt", "healthy", version="6.7", node_type="management",
                      now=now)


def run(root: Path, tool: str, *args: str, env: Optional[Dict[str, str]] = None,
        stdin: str = "") -> subprocess.CompletedProcess[str]:
    path = root / FAKES[tool][0].lstrip("/")
    environ = dict(os.environ)
    environ.pop(common.LATENCY_ENV, None)
    environ.update(env or {})
    return subprocess.run([str(path), *args], capture_output=True, text=True, input=stdin,
                          env=environ, timeout=60, check=False)


def password_file(tmp_path: Path, password: str, mode: int = 0o600) -> Path:
    path = tmp_path / "pw"
    path.write_bytes(password.encode("utf-8"))
    path.chmod(mode)
    return path


def machine_args(root: Path, tmp_path: Path, host: str = "localhost") -> List[str]:
    state = lab_state.load(root)
    pw = password_file(tmp_path, state["machine_account"]["password"])
    return ["-h", host, "-p", "389", "-x", "-D", state["machine_account"]["dn"], "-y", str(pw),
            "-b", TENANT]


def unfold(text: str) -> List[str]:
    lines: List[str] = []
    for line in text.splitlines():
        if line.startswith(" ") and lines:
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


# --- vecs-cli ---------------------------------------------------------------------------

def test_vecs_store_list(lab: Path) -> None:
    done = run(lab, "vecs-cli", "store", "list")
    assert done.returncode == 0
    assert done.stdout.splitlines() == list(lab_state.load(lab)["vecs"])
    assert {"MACHINE_SSL_CERT", "TRUSTED_ROOTS", "hvc", "wcp", "SMS"} <= set(done.stdout.split())


def test_vecs_entry_list_uses_tabs_and_pem(lab: Path) -> None:
    state = lab_state.load(lab)
    done = run(lab, "vecs-cli", "entry", "list", "--store", "MACHINE_SSL_CERT")
    lines = done.stdout.splitlines()
    assert lines[:3] == ["Number of entries in store :\t1", "Alias :\t__MACHINE_CERT",
                         "Entry type :\tPrivate Key"]
    assert lines[3] == "Certificate :\t-----BEGIN CERTIFICATE-----"
    pem = "\n".join([lines[3].split("\t", 1)[1], *lines[4:lines.index("")]])
    assert pem.strip() == state["vecs"]["MACHINE_SSL_CERT"][0]["cert"].strip()
    assert done.stdout.endswith("-----END CERTIFICATE-----\n\n")


def test_vecs_spaces_setting(lab: Path) -> None:
    with lab_state.transaction(lab) as state:
        state["settings"]["vecs_spaces"] = True
    done = run(lab, "vecs-cli", "entry", "list", "--store", "TRUSTED_ROOTS")
    assert "\t" not in done.stdout
    assert done.stdout.startswith("Number of entries in store : 1\nAlias : ")
    assert "Entry type : Trusted Cert\nCertificate : -----BEGIN CERTIFICATE-----" in done.stdout


def test_vecs_text_dump_has_openssl_dates(lab: Path) -> None:
    state = lab_state.load(lab)
    cert = x509.load_pem_x509_certificate(
        state["vecs"]["MACHINE_SSL_CERT"][0]["cert"].encode("ascii"))
    done = run(lab, "vecs-cli", "entry", "list", "--store", "MACHINE_SSL_CERT", "--text")
    after = cert.not_valid_after_utc
    expected = (f"            Not After : {after:%b} {after.day:2d} {after:%H:%M:%S %Y} GMT")
    assert expected in done.stdout.splitlines()
    assert "BEGIN CERTIFICATE" not in done.stdout
    assert f"Subject: CN={state['pnid']}" in done.stdout
    assert f"DNS:{state['pnid']}" in done.stdout


def test_vecs_text_dates_are_padded_like_openssl(lab: Path) -> None:
    when = dt.datetime(2029, 4, 6, 11, 57, 19, tzinfo=dt.timezone.utc)
    assert vecs_text._openssl_date(when) == "Apr  6 11:57:19 2029 GMT"
    done = run(lab, "vecs-cli", "entry", "list", "--store", "TRUSTED_ROOTS", "--text")
    dates = re.findall(r"^ {12}Not After : \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT$",
                       done.stdout, re.MULTILINE)
    assert len(dates) == 1


def test_vecs_getcert(lab: Path) -> None:
    state = lab_state.load(lab)
    done = run(lab, "vecs-cli", "entry", "getcert", "--store", "vpxd", "--alias", "vpxd")
    assert done.returncode == 0
    assert done.stdout.strip() == state["vecs"]["vpxd"][0]["cert"].strip()


@pytest.mark.parametrize(("args", "code", "message"), [
    (["entry", "list", "--store", "NOPE"], 4312, "ERROR_OBJECT_NOT_FOUND"),
    (["entry", "getcert", "--store", "vpxd", "--alias", "nope"], 4312, "ERROR_OBJECT_NOT_FOUND"),
    (["entry", "getcert", "--store", "APPLMGMT_PASSWORD", "--alias",
      "location_password_default"], 87, "ERROR_INVALID_PARAMETER"),
    (["entry", "frobnicate"], 87, "ERROR_INVALID_PARAMETER"),
])
def test_vecs_errors(lab: Path, args: List[str], code: int, message: str) -> None:
    done = run(lab, "vecs-cli", *args)
    assert done.returncode != 0
    assert done.stdout == ""
    assert (f"vecs-cli failed. Error {code}: Operation failed with error {message} ({code}) "
            in done.stderr.splitlines())


def test_vecs_and_vmafd_fail_when_vmafdd_is_stopped(lab: Path) -> None:
    with lab_state.transaction(lab) as state:
        state["services"]["vmafdd"] = "Stopped"
    assert "Error 20:" in run(lab, "vecs-cli", "store", "list").stderr
    done = run(lab, "vmafd-cli", "get-pnid", "--server-name", "localhost")
    assert done.returncode == 20 and done.stderr.startswith("Error 20: ")


# --- vmafd-cli --------------------------------------------------------------------------

def test_vmafd_values(lab: Path) -> None:
    state = lab_state.load(lab)
    expected = {
        "get-pnid": "vcsa01.lab.example",
        "get-domain-name": "vsphere.local",
        "get-machine-id": state["machine_id"],
        "get-site-name": state["site"],
        "get-ls-location": "https://vcsa01.lab.example/lookupservice/sdk",
        "get-dc-name": "vcsa01.lab.example",
    }
    for command, value in expected.items():
        done = run(lab, "vmafd-cli", command, "--server-name", "localhost")
        assert (done.returncode, done.stdout, done.stderr) == (0, value + "\n", ""), command


def test_vmafd_on_a_management_node_names_the_psc(mgmt: Path) -> None:
    assert run(mgmt, "vmafd-cli", "get-dc-name", "--server-name",
               "localhost").stdout == "psc01.lab.example\n"
    assert run(mgmt, "vmafd-cli", "get-ls-location").stdout == (
        "https://psc01.lab.example/lookupservice/sdk\n")


def test_vmafd_unknown_command(lab: Path) -> None:
    done = run(lab, "vmafd-cli", "get-everything", "--server-name", "localhost")
    assert 2 <= done.returncode <= 26
    assert done.stderr.startswith("Error 22: ") and done.stdout == ""


# --- lwregshell -------------------------------------------------------------------------

def test_lwregshell_machine_account(lab: Path) -> None:
    state = lab_state.load(lab)
    done = run(lab, "lwregshell", "list_values", "[HKEY_THIS_MACHINE\\services\\vmdir]")
    assert done.returncode == 0
    values: Dict[str, str] = {}
    for line in done.stdout.splitlines():
        match = re.match(r'^\+\s+"(\w+)"\s+REG_SZ\s+"(.*)"\s*$', line)
        if match:
            values[match.group(1)] = re.sub(r'\\(["\\])', r"\1", match.group(2))
    assert values["dcAccountDN"] == (
        "cn=vcsa01.lab.example,ou=Domain Controllers,dc=vsphere,dc=local")
    assert values["dcAccountPassword"] == state["machine_account"]["password"]
    assert {"dcAccount", "dcAccountOUs"} <= set(values)
    raw = next(ln for ln in done.stdout.splitlines() if '"dcAccountPassword"' in ln)
    assert '\\"' in raw and "\\\\" in raw


def test_lwregshell_unknown_key(lab: Path) -> None:
    done = run(lab, "lwregshell", "list_values", "[HKEY_THIS_MACHINE\\services\\nothing]")
    assert done.returncode != 0 and done.stdout == ""
    assert "NO_SUCH_KEY" in done.stderr


# --- ldapsearch -------------------------------------------------------------------------

def test_ldapsearch_folded_ldif_unfolds_to_the_sts_certificates(lab: Path,
                                                                 tmp_path: Path) -> None:
    state = lab_state.load(lab)
    done = run(lab, "ldapsearch", *machine_args(lab, tmp_path), "-LLL", STS_FILTER,
               "userCertificate")
    assert done.returncode == 0, done.stderr
    raw = done.stdout.splitlines()
    assert all(len(line) <= 76 for line in raw)
    assert any(line.startswith(" ") for line in raw)
    entries: Dict[str, List[bytes]] = {}
    dn = ""
    for line in unfold(done.stdout):
        if line.startswith("dn: "):
            dn = line[4:]
            entries[dn] = []
        elif line.startswith("userCertificate:: "):
            entries[dn].append(base64.b64decode(line.split(":: ", 1)[1]))
        else:
            assert line == "", line  # only the requested attribute
    assert set(entries) == {f"cn=TenantCredential-1,{TENANT}",
                            f"cn=TrustedCertChain-1,cn=TrustedCertificateChains,{TENANT}"}
    want = [x509.load_pem_x509_certificate(p.encode("ascii"))
            for p in state["vmdir"]["tenant_credentials"][0]["certs"]]
    for ders in entries.values():
        assert [x509.load_der_x509_certificate(d) for d in ders] == want


def test_ldapsearch_no_wrap_and_comments(lab: Path, tmp_path: Path) -> None:
    done = run(lab, "ldapsearch", *machine_args(lab, tmp_path), "-o", "ldif-wrap=no",
               "(objectClass=vmwSTSTenantCredential)", "userCertificate")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert not any(line.startswith(" ") for line in lines)
    assert "# numEntries: 1" in lines and "result: 0 Success" in lines
    assert any(line.startswith("userCertificate:: ") and len(line) > 1000 for line in lines)


def test_ldapsearch_wrong_password(lab: Path, tmp_path: Path) -> None:
    state = lab_state.load(lab)
    pw = password_file(tmp_path, state["machine_account"]["password"] + "\n")
    done = run(lab, "ldapsearch", "-h", "localhost", "-x", "-D", state["machine_account"]["dn"],
               "-y", str(pw), "-b", TENANT, STS_FILTER)
    assert done.returncode == 49 and done.stdout == ""
    assert done.stderr.strip() == "ldap_bind: Invalid credentials (49)"


def test_ldapsearch_warns_about_a_readable_password_file(lab: Path, tmp_path: Path) -> None:
    args = machine_args(lab, tmp_path)
    Path(args[args.index("-y") + 1]).chmod(0o644)
    done = run(lab, "ldapsearch", *args, "-LLL", STS_FILTER, "cn")
    assert done.returncode == 0
    assert "is publicly readable/writeable" in done.stderr


def test_ldapsearch_sso_admin_with_w_is_recorded(lab: Path) -> None:
    done = run(lab, "ldapsearch", "-H", "ldap://localhost:389", "-x", "-D", ADMIN_DN, "-w",
               lab_state.LAB_SSO_PASSWORD, "-b", TENANT, "-LLL",
               "(objectClass=vmwSTSTenantTrustedCertificateChain)", "cn")
    assert done.returncode == 0
    assert "cn: TrustedCertChain-1" in done.stdout and "TenantCredential" not in done.stdout
    assert lab_state.LAB_SSO_PASSWORD in read_calls(lab)[-1]["argv"]


def test_ldapsearch_prompts_with_W(lab: Path) -> None:
    path = lab / FAKES["ldapsearch"][0].lstrip("/")
    child = pexpect.spawn(str(path), ["-x", "-D", ADMIN_DN, "-W", "-b", TENANT, "-LLL",
                                      "(objectClass=vmwSTSTenantCredential)", "cn"],
                          encoding="utf-8", timeout=30)
    child.expect_exact("Enter LDAP Password: ")
    child.sendline(lab_state.LAB_SSO_PASSWORD)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "cn: TenantCredential-1" in (child.before or "")
    assert lab_state.LAB_SSO_PASSWORD not in (child.before or "")
    assert lab_state.LAB_SSO_PASSWORD not in json.dumps(read_calls(lab))


def test_ldapsearch_localhost_fails_on_a_management_node(mgmt: Path, tmp_path: Path) -> None:
    done = run(mgmt, "ldapsearch", *machine_args(mgmt, tmp_path), "-LLL", STS_FILTER, "cn")
    assert done.returncode == 255
    assert done.stderr.strip() == "ldap_sasl_bind(SIMPLE): Can't contact LDAP server (-1)"
    via_h = run(mgmt, "ldapsearch", *machine_args(mgmt, tmp_path, "psc01.lab.example"),
                "-LLL", STS_FILTER, "cn")
    assert via_h.returncode == 0 and "cn: TenantCredential-1" in via_h.stdout
    args = machine_args(mgmt, tmp_path)
    uri = ["-H", "ldap://psc01.lab.example:389", *args[4:]]
    via_uri = run(mgmt, "ldapsearch", *uri, "-LLL", STS_FILTER, "cn")
    assert via_uri.returncode == 0 and "cn: TrustedCertChain-1" in via_uri.stdout


def test_ldapsearch_fails_when_vmdird_is_stopped(lab: Path, tmp_path: Path) -> None:
    with lab_state.transaction(lab) as state:
        state["services"]["vmdird"] = "Stopped"
    done = run(lab, "ldapsearch", *machine_args(lab, tmp_path), STS_FILTER)
    assert done.returncode == 255 and "Can't contact LDAP server" in done.stderr


def test_ldapsearch_unknown_base(lab: Path, tmp_path: Path) -> None:
    args = machine_args(lab, tmp_path)
    args[args.index("-b") + 1] = "cn=nowhere,dc=vsphere,dc=local"
    done = run(lab, "ldapsearch", *args, STS_FILTER)
    assert done.returncode == 32 and "No such object (32)" in done.stderr


# --- service-control --------------------------------------------------------------------

def test_service_control_status(lab: Path) -> None:
    services = lab_state.load(lab)["services"]
    done = run(lab, "service-control", "--status", "--all")
    assert done.returncode == 0
    sections: Dict[str, List[str]] = {}
    header = ""
    for line in done.stdout.splitlines():
        if line.rstrip().endswith(":"):
            header = line.strip()[:-1]
        elif line.strip():
            sections[header] = line.split()
    assert set(sections) == {"Running", "Stopped"}
    assert set(sections["Stopped"]) == {n for n, s in services.items() if s == "Stopped"}
    assert set(sections["Running"]) == {n for n, s in services.items() if s == "Running"}
    assert {"vmafdd", "vmdird", "vmware-stsd", "vmware-vpxd", "vsphere-ui"} <= set(
        sections["Running"])


def test_service_control_unsimulated_action_fails_clearly(lab: Path) -> None:
    done = run(lab, "service-control", "--restart", "--all")
    assert done.returncode != 0 and "--status" in done.stderr


# --- common: call log, latency, relocation, start-up cost ------------------------------

def test_calls_log_records_each_call(lab: Path) -> None:
    run(lab, "vmafd-cli", "get-pnid", "--server-name", "localhost")
    run(lab, "vecs-cli", "store", "list")
    calls = read_calls(lab)
    assert [(c["tool"], c["argv"]) for c in calls] == [
        ("vmafd-cli", ["get-pnid", "--server-name", "localhost"]),
        ("vecs-cli", ["store", "list"]),
    ]
    assert all(isinstance(c["pid"], int) and c["pid"] != os.getpid() for c in calls)


def test_latency_is_read_on_every_call(lab: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    slept: List[float] = []
    monkeypatch.setattr("vcfix.lab.fakes.common.time.sleep", slept.append)
    monkeypatch.setenv(common.LATENCY_ENV, "250")
    assert vmafd_cli.main(["get-pnid"], lab) == 0
    monkeypatch.setenv(common.LATENCY_ENV, "not a number")
    assert vmafd_cli.main(["get-pnid"], lab) == 0
    monkeypatch.delenv(common.LATENCY_ENV)
    assert vmafd_cli.main(["get-pnid"], lab) == 0
    assert slept == [0.25]
    assert capsys.readouterr().out == "vcsa01.lab.example\n" * 3
    assert [c["latency_ms"] for c in read_calls(lab)] == [250.0, 0.0, 0.0]


def test_latency_applies_to_the_executables(lab: Path) -> None:
    done = run(lab, "vecs-cli", "store", "list", env={common.LATENCY_ENV: "1"})
    assert done.returncode == 0
    assert read_calls(lab)[-1]["latency_ms"] == 1.0


def test_a_moved_lab_still_works(lab: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    shutil.move(str(lab), str(moved))
    done = run(moved, "vmafd-cli", "get-pnid")
    assert done.stdout == "vcsa01.lab.example\n"
    assert read_calls(moved)[-1]["tool"] == "vmafd-cli"


def test_a_broken_lab_says_so(lab: Path) -> None:
    lab_state.state_path(lab).unlink()
    done = run(lab, "vecs-cli", "store", "list")
    assert done.returncode == 1
    assert "no lab state at" in done.stderr and "vcfix lab" in done.stderr


def test_cheap_calls_do_not_import_cryptography(lab: Path) -> None:
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from vcfix.lab.fakes import vecs_cli, vmafd_cli, lwregshell, service_control\n"
        f"root = Path({str(lab)!r})\n"
        "vecs_cli.main(['store', 'list'], root)\n"
        "vecs_cli.main(['entry', 'list', '--store', 'MACHINE_SSL_CERT'], root)\n"
        "vmafd_cli.main(['get-pnid'], root)\n"
        "lwregshell.main(['list_values', r'[HKEY_THIS_MACHINE\\services\\vmdir]'], root)\n"
        "service_control.main(['--status', '--all'], root)\n"
        "print('LOADED' if 'cryptography' in sys.modules else 'LIGHT')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=str(Path(__file__).resolve().parents[2]), timeout=60,
                          check=False)
    assert done.stdout.splitlines()[-1] == "LIGHT", done.stderr
