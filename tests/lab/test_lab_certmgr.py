"""The lab's certificate-manager, driven through a pty as vcfix's driver will drive it."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import signal
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import pexpect
import pytest
from cryptography import x509

from vcfix import cli
from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.fakes import FAKES, certmgr_dialog
from vcfix.lab.fakes.common import LATENCY_ENV, read_calls

PNID = "vcsa01.lab.example"
PASSWORD = lab_state.LAB_SSO_PASSWORD
CFG = "usr/lib/vmware-vmca/share/config/certool.cfg"
LOG = "var/log/vmware/vmcad/certificate-manager.log"
FIELD = re.compile(r"Enter proper value for '(\w+)' (.*): $")


def make_lab(tmp_path: Path, now: dt.datetime, version: str = "7.0",
             node_type: str = "embedded", **settings: Any) -> Path:
    root = create_lab(tmp_path / f"lab-{version}-{node_type}", "outage", version=version,
                      node_type=node_type, now=now)
    with lab_state.transaction(root) as state:
        state["settings"].update({"speed": 0.0001, **settings})
    return root


class Dialog:
    """certificate-manager on a pty, with everything it printed kept in ``text``."""

    def __init__(self, root: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != LATENCY_ENV}
        self.root = root
        self.out = io.StringIO()
        self.child = pexpect.spawn(str(root / FAKES["certificate-manager"][0].lstrip("/")),
                                   env=env, encoding="utf-8", timeout=10)
        self.child.logfile_read = self.out
        self.child.delaybeforesend = None  # every answer waits for its prompt anyway

    @property
    def text(self) -> str:
        return self.out.getvalue()

    def at(self, prompt: str, answer: Optional[str] = None) -> None:
        self.child.expect_exact(prompt)
        if answer is not None:
            self.child.sendline(answer)

    def login(self, option: int, password: str = PASSWORD) -> None:
        self.at(certmgr_dialog.MENU_PROMPT, str(option))
        if option == 8:
            self.at("using configuration file : Option[Y/N] ? : ", "Y")
        self.at("Enter username [Administrator@vsphere.local]:", "")
        self.at("Enter password:", password)

    def fields(self, answers: Dict[str, str]) -> Dict[str, str]:
        """Answer every certool field (``answers`` by key, else Enter); returns the hints."""
        hints = {}
        for _ in certmgr_dialog.FIELDS:
            self.child.expect(FIELD)
            key, hint = self.child.match.group(1), self.child.match.group(2)
            hints[key] = hint
            self.child.sendline(answers.get(key, ""))
        return hints

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        assert self.child.exitstatus is not None, "certificate-manager was killed"
        return int(self.child.exitstatus)


def cert(pem: Any) -> x509.Certificate:
    return x509.load_pem_x509_certificate(str(pem).encode("ascii"))


def machine_ssl(root: Path) -> x509.Certificate:
    return cert(lab_state.vecs_entry(lab_state.load(root), "MACHINE_SSL_CERT",
                                     "__MACHINE_CERT")["cert"])  # type: ignore[index]


def dns_names(certificate: x509.Certificate) -> List[str]:
    ext = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return [str(n) for n in ext.value.get_values_for_type(x509.DNSName)]


def certificates(root: Path) -> Dict[str, Any]:
    state = lab_state.load(root)
    return {"vecs": state["vecs"], "vmca": state["vmca"], "vmdir": state["vmdir"]}


def log_text(root: Path) -> str:
    path = root / LOG
    return path.read_text(encoding="utf-8") if path.exists() else ""


def status_lines(text: str) -> List[str]:
    return re.findall(r"Status : \d+% Completed \[[^\]]*\]", text)


def assert_secret_kept(root: Path, *texts: str, password: str = PASSWORD) -> None:
    for text in texts:
        assert password not in text
    assert password not in log_text(root)
    assert all(password not in " ".join(call["argv"]) for call in read_calls(root))


# --- the full operations, on every version --------------------------------------------------

BANNER = {"6.7": "vSphere 6.7 Certificate Manager", "7.0": "vSphere 6.8 Certificate Manager",
          "8.0": "vSphere 8.0 Certificate Manager"}


@pytest.mark.parametrize("version", ["6.7", "7.0", "8.0"])
def test_options_3_6_8_in_a_row(tmp_path: Path, fixed_clock: dt.datetime,
                                version: str) -> None:
    root = make_lab(tmp_path, fixed_clock, version)
    start = lab_state.load(root)
    old_root = cert(start["vmca"]["cert"])
    users = [s for s in start["vecs"] if s in ("machine", "vsphere-webclient", "vpxd",
                                               "vpxd-extension", "hvc", "wcp")]
    assert ("hvc" in users) is (version != "6.7")

    # Option 3: Machine SSL with every host name as SAN, and an IP address.
    run = Dialog(root)
    run.login(3)
    hints = run.fields({"Country": "DE", "IPAddress": "10.0.0.5",
                        "Hostname": f"{PNID}, vcsa01"})
    run.at("Enter proper value for VMCA 'Name' :", PNID)
    run.at("You are going to regenerate Machine SSL cert using VMCA")
    run.at("Continue operation : Option[Y/N] ? : ", "Y")
    assert run.finish() == 0
    assert BANNER[version] in run.text and "Note : Use Ctrl-D to exit." in run.text
    assert hints["Country"] == "[Default value : US] "
    assert hints["OrgUnit"] == ("[Default value : VMware Engineering] " if version == "6.7"
                                else "[optional] ")
    assert hints["Hostname"].startswith("(Provide comma separated values for multiple "
                                        "Hostname entries) [Enter valid Fully Qualified")
    assert "Status : 100% Completed [All tasks completed successfully]" in run.text
    new_ssl = machine_ssl(root)
    assert dns_names(new_ssl) == [PNID, "vcsa01"]
    assert new_ssl.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)[0].value == "DE"
    new_ssl.verify_directly_issued_by(old_root)
    after3 = lab_state.load(root)
    assert lab_state.vecs_entry(after3, "BACKUP_STORE", "bkp___MACHINE_CERT")["cert"] == \
        start["vecs"]["MACHINE_SSL_CERT"][0]["cert"]  # type: ignore[index]
    assert after3["vecs"]["vpxd"] == start["vecs"]["vpxd"]
    assert "Hostname = vcsa01.lab.example,vcsa01" in (root / CFG).read_text()

    # Option 6: certool.cfg exists, reuse it (N).
    run = Dialog(root)
    run.login(6)
    run.at(certmgr_dialog.RECONFIGURE, "N")
    run.at("You are going to regenerate Solution User Certificates using VMCA")
    run.at("Continue operation : Option[Y/N] ? : ", "y")
    assert run.finish() == 0
    assert "Enter proper value for 'Country'" not in run.text
    after6 = lab_state.load(root)
    for store in users:
        new = cert(after6["vecs"][store][0]["cert"])
        assert after6["vecs"][store][0]["cert"] != start["vecs"][store][0]["cert"]
        new.verify_directly_issued_by(old_root)
        assert new.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)[0].value == "DE"
        assert lab_state.vecs_entry(after6, "BACKUP_STORE", f"bkp_{store}")["cert"] == \
            start["vecs"][store][0]["cert"]  # type: ignore[index]
    assert after6["vecs"]["MACHINE_SSL_CERT"] == after3["vecs"]["MACHINE_SSL_CERT"]

    # Option 8: reconfigure (Y) shows the previous values; a new root signs everything.
    run = Dialog(root)
    run.login(8)
    run.at(certmgr_dialog.RECONFIGURE, "Y")
    hints = run.fields({"Country": "US"})
    run.at("Enter proper value for VMCA 'Name' :", "vmca.lab.example")
    run.at("Continue operation : Option[Y/N] ? : ", "Y")  # asked once before the notice...
    run.at("You are going to reset by regenerating Root Certificate and replace all "
           "certificates using VMCA")
    run.at("Continue operation : Option[Y/N] ? : ", "Y")  # ...and again after it
    assert run.finish() == 0
    assert hints["Country"] == "[Previous value : DE] "
    assert hints["Hostname"].endswith("[Previous value : vcsa01.lab.example,vcsa01] ")
    end = lab_state.load(root)
    new_root = cert(end["vmca"]["cert"])
    assert new_root != old_root
    new_root.verify_directly_issued_by(new_root)
    expected = [(a.oid, "vmca.lab.example" if a.oid == x509.NameOID.ORGANIZATION_NAME
                 else a.value) for a in old_root.subject]
    assert [(a.oid, a.value) for a in new_root.subject] == expected
    trusted = [cert(e["cert"]) for e in end["vecs"]["TRUSTED_ROOTS"]]
    assert old_root in trusted and new_root in trusted
    for store in ["MACHINE_SSL_CERT", *users]:
        cert(end["vecs"][store][0]["cert"]).verify_directly_issued_by(new_root)
    assert dns_names(machine_ssl(root)) == [PNID, "vcsa01"]
    assert lab_state.vecs_entry(end, "BACKUP_STORE", "bkp___MACHINE_CERT")["cert"] == \
        after6["vecs"]["MACHINE_SSL_CERT"][0]["cert"]  # type: ignore[index]
    for untouched in ("data-encipherment", "SMS"):
        assert end["vecs"][untouched] == start["vecs"][untouched]
    sts = ("tenant_credentials", "trusted_chains")  # the STS signing certificate: untouched
    assert {k: end["vmdir"][k] for k in sts} == {k: start["vmdir"][k] for k in sts}
    assert end["vmdir"]["trusted_certs"] == [*start["vmdir"]["trusted_certs"],
                                             end["vmca"]["cert"]]  # option 8 publishes it
    assert_secret_kept(root, run.text)


def test_progress_is_redrawn_in_place(tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = make_lab(tmp_path, fixed_clock, "8.0")
    run = Dialog(root)
    run.login(3)
    run.fields({"Hostname": PNID})
    run.at("Enter proper value for VMCA 'Name' :", "")
    run.at("Continue operation : Option[Y/N] ? : ", "Y")
    assert run.finish() == 0
    progress = run.text[run.text.index("\rStatus :"):]
    first_line = progress.split("\n")[0]
    assert status_lines(first_line)[0] == "Status : 0% Completed [Operation started]"
    assert status_lines(first_line)[-1] == ("Status : 100% Completed "
                                            "[All tasks completed successfully]")
    assert len(status_lines(first_line)) >= 5
    assert first_line.count("\rStatus : ") == len(status_lines(first_line))
    assert dns_names(machine_ssl(root)) == [PNID]  # empty VMCA Name took the host name
    assert "Selected option 3" in log_text(root)


# --- credentials -----------------------------------------------------------------------------

def test_wrong_password_is_refused_then_the_right_one_accepted(
        tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = make_lab(tmp_path, fixed_clock)
    before = certificates(root)
    run = Dialog(root)
    run.login(3, password="Wrong-Secret-1")
    run.at("Incorrect Password! Try Again! (2 attempt/s left)")
    run.at("Enter password:", PASSWORD)
    run.at("Please configure certool.cfg with proper values")
    run.at("Enter proper value for 'Country'")
    run.child.sendeof()  # Ctrl-D in the middle of the questions: nothing happens
    assert run.finish() == 1
    assert certificates(root) == before
    assert_secret_kept(root, run.text)
    assert_secret_kept(root, run.text, password="Wrong-Secret-1")
    assert "Authenticated as Administrator@vsphere.local" in log_text(root)


def test_three_wrong_passwords_end_the_operation(tmp_path: Path,
                                                  fixed_clock: dt.datetime) -> None:
    root = make_lab(tmp_path, fixed_clock)
    before = certificates(root)
    run = Dialog(root)
    run.login(6, password="bad-1")
    run.at("(2 attempt/s left)")
    run.at("Enter password:", "bad-2")
    run.at("(1 attempt/s left)")
    run.at("Enter password:", "bad-3")
    run.at("Reached max number of attempts, terminating operation.")
    assert run.finish() != 0
    assert certificates(root) == before
    for password in ("bad-1", "bad-2", "bad-3"):
        assert_secret_kept(root, run.text, password=password)
    assert log_text(root).count("Invalid credentials") == 3


def test_cm_wrong_password_refuses_even_the_right_one(tmp_path: Path,
                                                      fixed_clock: dt.datetime) -> None:
    root = make_lab(tmp_path, fixed_clock, cm_wrong_password=True)
    run = Dialog(root)
    run.login(3)
    for left in (2, 1):
        run.at(f"Incorrect Password! Try Again! ({left} attempt/s left)")
        run.at("Enter password:", PASSWORD)
    run.at("Reached max number of attempts")
    assert run.finish() != 0
    assert_secret_kept(root, run.text)


# --- answers the tool re-asks or refuses -------------------------------------------------

def test_bad_country_and_empty_hostname_are_asked_again(tmp_path: Path,
                                                        fixed_clock: dt.datetime) -> None:
    root = make_lab(tmp_path, fixed_clock)
    before = certificates(root)
    run = Dialog(root)
    run.login(3)
    run.at("Enter proper value for 'Country' [Default value : US] : ", "USA")
    run.at("Enter valid 2 letter country code")
    run.at("Enter proper value for 'Country' [Default value : US] : ", "fr")
    for _ in range(7):
        run.child.expect(FIELD)
        run.child.sendline("")
    run.at("Enter proper value for 'Hostname'", "  ")
    run.at("Hostname should not be empty, please enter valid FQDN.")
    run.at("Enter proper value for 'Hostname'", PNID)
    run.at("Enter proper value for VMCA 'Name' :", PNID)
    run.at("Continue operation : Option[Y/N] ? : ", "N")
    assert run.finish() == 0
    assert certificates(root) == before  # N changes nothing
    assert not (root / CFG).exists()
    assert "Status :" not in run.text


def test_a_bad_answer_at_continue_is_a_no_even_when_followed_by_y(
        tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = make_lab(tmp_path, fixed_clock)
    before = certificates(root)
    run = Dialog(root)
    run.login(3)
    run.fields({"Hostname": PNID})
    run.at("Enter proper value for VMCA 'Name' :", PNID)
    run.at("Continue operation : Option[Y/N] ? : ", "yes")
    run.at("Continue operation : Option[Y/N] ? : ", "Y")
    assert run.finish() == 0
    assert certificates(root) == before
    assert "Status :" not in run.text


def test_management_node_asks_for_the_psc(tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = make_lab(tmp_path, fixed_clock, "6.7", node_type="management")
    psc = lab_state.load(root)["dc_name"]
    run = Dialog(root)
    run.login(3)
    run.at(certmgr_dialog.PSC_PROMPT, "psc99.lab.example")
    run.at(certmgr_dialog.PSC_PROMPT, psc.upper())
    run.at("Please configure certool.cfg with proper values")
    run.child.sendeof()
    assert run.finish() == 1
    assert "Cannot reach the Platform Services Controller 'psc99.lab.example'" in run.text


# --- failure injection -----------------------------------------------------------------------

@pytest.mark.parametrize(("option", "undone"), [
    (3, ["Machine SSL Cert"]),
    (8, ["Solution User Certs", "Machine SSL Cert", "Root Cert"]),
])
def test_rollback_restores_the_certificates(tmp_path: Path, fixed_clock: dt.datetime,
                                            option: int, undone: List[str]) -> None:
    root = make_lab(tmp_path, fixed_clock, cm_rollback_at=50)
    before = certificates(root)
    run = Dialog(root)
    run.login(option)
    run.fields({"Hostname": PNID})
    run.at("Enter proper value for VMCA 'Name' :", PNID)
    for _ in range(2 if option == 8 else 1):  # option 8 asks twice
        run.at("Continue operation : Option[Y/N] ? : ", "Y")
    assert run.finish() != 0
    assert "\rStatus : 50% Completed [Operation failed, performing automatic rollback]" \
        in run.text
    for part in undone:
        assert f"Performing rollback of {part}..." in run.text
    assert "Rollback completed successfully" in run.text
    assert re.search(r"Error while [^\n]*, please see /var/log/vmware/vmcad/"
                     r"certificate-manager\.log for more information\.", run.text)
    assert "100% Completed" not in run.text
    after = certificates(root)
    for store, entries in before["vecs"].items():
        assert after["vecs"][store] == entries
    assert after["vmca"] == before["vmca"]
    assert "BACKUP_STORE" in after["vecs"]  # the backups it made stay
    assert not (root / CFG).exists()
    assert "Rollback completed successfully" in log_text(root)


def test_hang_stops_at_the_percentage_until_sigterm(tmp_path: Path,
                                                    fixed_clock: dt.datetime) -> None:
    root = make_lab(tmp_path, fixed_clock, cm_hang_at=40)
    before = certificates(root)
    run = Dialog(root)
    run.login(3)
    run.fields({"Hostname": PNID})
    run.at("Enter proper value for VMCA 'Name' :", PNID)
    run.at("Continue operation : Option[Y/N] ? : ", "Y")
    run.at("Status : 40% Completed [Replacing Machine SSL Cert...]")
    assert run.child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=0.5) == 1
    assert run.child.isalive()
    run.child.kill(signal.SIGTERM)
    assert run.finish() == 143
    assert "Terminated by SIGTERM" in log_text(root)
    # It had replaced the Machine SSL certificate (35%) before it hung: half done.
    assert certificates(root)["vecs"]["MACHINE_SSL_CERT"] != \
        before["vecs"]["MACHINE_SSL_CERT"]
    assert "All tasks completed" not in run.text


def test_unexpected_prompt_waits_for_ever(tmp_path: Path, fixed_clock: dt.datetime) -> None:
    question = "Do you want to proceed with the upgrade of the blah : [yes/no] ? : "
    root = make_lab(tmp_path, fixed_clock, cm_unexpected_prompt=question)
    before = certificates(root)
    run = Dialog(root)
    run.login(3)
    run.at(question, "yes")
    run.at(question)
    assert run.child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=0.3) == 1
    run.child.sendeof()
    assert run.finish() == 1
    assert certificates(root) == before
    assert "Enter proper value" not in run.text


# --- the rest of the menu, and no terminal -----------------------------------------------

def test_ctrl_d_at_the_menu_exits(tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = make_lab(tmp_path, fixed_clock)
    run = Dialog(root)
    run.at(certmgr_dialog.MENU_PROMPT)
    run.child.sendeof()
    assert run.finish() == 0
    assert "Enter username" not in run.text


@pytest.mark.parametrize("option", ["1", "7"])
def test_other_options_are_not_simulated(tmp_path: Path, fixed_clock: dt.datetime,
                                         option: str) -> None:
    root = make_lab(tmp_path, fixed_clock)
    before = certificates(root)
    run = Dialog(root)
    run.at(certmgr_dialog.MENU_PROMPT, "x")
    run.at(certmgr_dialog.MENU_PROMPT, option)
    assert run.finish() == 1
    assert f"Option {option} (" in run.text and "not simulated" in run.text
    assert certificates(root) == before


def test_refuses_to_run_without_a_terminal(tmp_path: Path, fixed_clock: dt.datetime) -> None:
    root = make_lab(tmp_path, fixed_clock)
    before = certificates(root)
    tool = root / FAKES["certificate-manager"][0].lstrip("/")
    done = subprocess.run([str(tool)], input=f"3\n\n{PASSWORD}\n", capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.returncode != 0
    assert "not a terminal" in done.stderr and "Option[" not in done.stdout
    assert certificates(root) == before


# --- vcfix lab set -----------------------------------------------------------------------

def lab_set(root: Path, *items: str) -> int:
    return cli.main(["lab", "set", str(root), *items])


def test_lab_set_validates_and_stores_settings(tmp_path: Path, now: dt.datetime,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    root = create_lab(tmp_path / "lab", "healthy", now=now)
    assert lab_set(root, "cm_rollback_at=60", "speed=0.5", "cm_wrong_password=true",
                   "cm_unexpected_prompt=Proceed? [yes/no] : ") == 0
    settings = lab_state.load(root)["settings"]
    assert settings == {"cm_rollback_at": 60, "speed": 0.5, "cm_wrong_password": True,
                        "cm_unexpected_prompt": "Proceed? [yes/no] : "}
    assert "cm_rollback_at = 60" in capsys.readouterr().out
    assert lab_set(root, "cm_rollback_at=") == 0  # back to the default
    assert "cm_rollback_at" not in lab_state.load(root)["settings"]
    for bad in ("cm_hang_at=100", "cm_hang_at=-1", "speed=fast", "speed=-1",
                "cm_wrong_password=maybe", "nonsense=1", "speed"):
        assert lab_set(root, bad) == 2, bad
    assert "known keys: vecs_spaces, speed" in capsys.readouterr().err
    assert lab_state.load(root)["settings"] == {"speed": 0.5, "cm_wrong_password": True,
                                                "cm_unexpected_prompt": "Proceed? [yes/no] : "}
    assert lab_set(tmp_path / "nolab", "speed=1") == 1


def test_lab_set_help_lists_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["lab", "set", "--help"])
    out = capsys.readouterr().out
    for name in lab_state.SETTINGS:
        assert f"{name}=" in out


def test_speed_default_and_settings_defaults() -> None:
    assert lab_state.setting({}, "speed") == 0.02
    assert lab_state.setting({"settings": {"speed": 0}}, "speed") == 0
    assert lab_state.setting({}, "cm_hang_at") is None


# --- the pure parts of the dialog ----------------------------------------------------------

def test_certool_cfg_round_trip_and_tolerant_parse() -> None:
    values = {"Country": "DE", "Hostname": "a.example,b", "IPAddress": ""}
    text = certmgr_dialog.format_cfg(values)
    assert text.splitlines()[0] == "Country = DE"
    assert certmgr_dialog.parse_cfg(text)["Hostname"] == "a.example,b"
    messy = "# comment\n\n  country=FR  \r\nUnknown = x\nHostName\t=  h.example \nno equals\n"
    assert certmgr_dialog.parse_cfg(messy) == {"Country": "FR", "Hostname": "h.example"}


def test_field_checks() -> None:
    fields = {f.key: f for f in certmgr_dialog.FIELDS}
    check = certmgr_dialog.check_field
    assert check(fields["Country"], "") == ("US", None)
    assert check(fields["Country"], "", "DE") == ("DE", None)
    assert check(fields["Country"], "U1") == (None, certmgr_dialog.BAD_COUNTRY)
    assert check(fields["IPAddress"], "") == ("", None)
    assert check(fields["IPAddress"], "10.0.0.300") == (None, certmgr_dialog.BAD_IP)
    assert check(fields["Hostname"], " a.example , b ") == ("a.example,b", None)
    assert check(fields["Hostname"], "bad host") == (None, certmgr_dialog.BAD_HOSTNAME)
    assert check(fields["Hostname"], "", "prev.example") == ("prev.example", None)
    org_unit = fields["OrgUnit"]
    assert certmgr_dialog.effective(org_unit, "6.7").default == "VMware Engineering"
    assert certmgr_dialog.effective(org_unit, "8.0").default == ""
    assert "Welcome to the vSphere 6.8 Certificate Manager" in certmgr_dialog.banner("7.0")
