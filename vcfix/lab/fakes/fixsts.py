"""The lab's stand-in for ``fixsts.sh`` (VMware KB 76719): replace the STS signing chain.

``vcfix lab create`` puts a short **bash** script at ``DIR/root/fixsts.sh``
(:func:`script_text`) that execs this module with the lab root, so the operator
runs it as on an appliance (``bash /root/fixsts.sh``) and a copy with CRLF endings
breaks the way bash breaks. What it prints follows the vendor reference:

- a management node: ``Detected this node is a vCenter server with external PSC.``, exit 1;
- ``Detected DN:``/``PNID:``/``PSC:``/``SSO domain name:`` lines, then one password
  question without echo (getpass, ``/dev/tty``);
- exports of every TenantCredential-N / TrustedCertChain-N to LDIF under
  ``DIR/tmp/vmware-fixsts/`` and a log there (``fix_sts_cert.log``, never the password);
- with the right password: delete, then ``adding new entry "..."`` for a new chain signed
  by the lab's current VMCA root, then ``Replacement finished - ...``, exit 0.

The password is not checked up front: a wrong one makes every LDAP step print
``ldap_bind: Invalid credentials (49)``, changes nothing, and (like the real script,
which checks nothing) still ends with ``Replacement finished`` and exit 0. Setting
``fixsts_fail`` makes the add fail after the delete (the STS entries are then gone), exit 1.
"""

from __future__ import annotations

import base64
import getpass
import shlex
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from vcfix import clock
from vcfix.lab import state as lab_state
from vcfix.lab.fakes.common import fake_tool, load_state, service_running
from vcfix.lab.fakes.ldapsearch import CANT_CONTACT, INVALID_CREDENTIALS, directory, fold
from vcfix.lab.fakes.lwregshell import domain_dn

TOOL = "fixsts.sh"
SCRIPT = "/root/fixsts.sh"
WORK_DIR = "/tmp/vmware-fixsts"  # noqa: S108 - the vendor script's own folder
LOG = WORK_DIR + "/fix_sts_cert.log"
MARKER = "# vcfix lab fake tool: fixsts.sh"
EXTERNAL_PSC = "Detected this node is a vCenter server with external PSC."
RUN_ON_PSC = ("Please run this script on the Platform Services Controller ({psc}) "
              "of this SSO domain.")
PROMPT = "Enter password for administrator@{domain}: "
STARTING = "Exporting and generating STS certificate..."
FINISHED = ("Replacement finished - Please restart services on all vCenters and PSCs "
            "in your SSO domain")
ADD_FAILED = ("ldap_add: Operations error (1)\n"
              "\tadditional info: vcfix lab setting fixsts_fail: the add was refused")
STS_CLASSES = ("vmwSTSTenantCredential", "vmwSTSTenantTrustedCertificateChain")
# step -> seconds on a real appliance (times settings.speed)
PAUSES = {"export": 5.0, "generate": 15.0, "delete": 5.0, "add": 5.0}

Exported = Tuple[str, str]  # (dn, appliance path of its LDIF file)


def script_text(python: str, package_parent: str, lab_root: str) -> str:
    """The bash stand-in: finds its lab (its folder's parent, else ``lab_root``), runs us."""
    boot = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from vcfix.lab.fakes.fixsts import run; sys.exit(run(sys.argv[2:]))")
    return (
        "#!/bin/bash\n"
        f"{MARKER} (made by 'vcfix lab create'; a stand-in for the script of\n"
        "# VMware KB 76719 that runs the lab's simulation; not VMware's script)\n"
        "\n"
        'LAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"\n'
        "\n"
        'if [ ! -f "$LAB_ROOT/.vcfix-lab/state.json" ]; then\n'
        f"    LAB_ROOT={shlex.quote(lab_root)}\n"
        "fi\n"
        "\n"
        f"exec {shlex.quote(python)} -sE -c {shlex.quote(boot)} {shlex.quote(package_parent)} "
        '"$LAB_ROOT" "$@"\n'
    )


def run(argv: Sequence[str]) -> int:
    """Entry point of the bash script: ``[lab root, script arguments...]``."""
    if not argv:
        sys.stderr.write("fixsts.sh (vcfix lab): no lab root given\n")
        return 1
    return main(list(argv[1:]), Path(argv[0]))


# --- pure helpers -------------------------------------------------------------------------

def detected(state: lab_state.State) -> List[Tuple[str, str]]:
    """The ``Detected ...`` lines: (label, value)."""
    account = state.get("machine_account") or {}
    return [("DN", str(account.get("dn", ""))), ("PNID", str(state.get("pnid", ""))),
            ("PSC", str(state.get("dc_name", ""))),
            ("SSO domain name", str(state.get("domain", "")))]


def sts_entries(state: lab_state.State) -> List[Tuple[str, str, str]]:
    """(cn, dn, LDIF text) of every TenantCredential-N and TrustedCertChain-N."""
    found = []
    for dn, attrs in directory(state):
        values = dict(attrs)
        if not set(STS_CLASSES) & {str(c) for c in values.get("objectClass", [])}:
            continue
        lines = fold(f"dn: {dn}", 76)
        for name, vals in attrs:
            for value in vals:
                text = (f"{name}:: {base64.b64encode(value).decode('ascii')}"
                        if isinstance(value, bytes) else f"{name}: {value}")
                lines += fold(text, 76)
        found.append((str(values["cn"][0]), dn, "".join(line + "\n" for line in lines) + "\n"))
    return found


def ldap_problem(state: lab_state.State, password: str) -> Optional[str]:
    """The error every LDAP step prints, or None when the bind works."""
    if not service_running(state, "vmdird"):
        return CANT_CONTACT
    if password != (state.get("sso") or {}).get("password"):
        return INVALID_CREDENTIALS
    return None


# --- the run ------------------------------------------------------------------------------

class _Run:
    """Output, log and pacing of one run."""

    def __init__(self, root: Path, state: lab_state.State) -> None:
        self.root = root
        self.work = root / WORK_DIR.lstrip("/")
        self.speed = max(float(lab_state.setting(state, "speed")), 0.0)
        self.domain = str(state.get("domain", ""))

    def say(self, text: str = "", *, error: bool = False) -> None:
        stream = sys.stderr if error else sys.stdout
        stream.write(text + "\n")
        stream.flush()
        if text:
            self.log(text, "ERROR" if error else "INFO")

    def log(self, message: str, level: str = "INFO") -> None:
        self.work.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = clock.iso(clock.now())
        with (self.work / "fix_sts_cert.log").open("a", encoding="utf-8") as handle:
            for line in message.splitlines():
                handle.write(f"{stamp} {level} {line}\n")

    def pause(self, step: str) -> None:
        seconds = PAUSES[step] * self.speed
        if seconds > 0:
            time.sleep(seconds)

    def export(self, state: lab_state.State) -> List[Exported]:
        done = []
        for cn, dn, text in sts_entries(state):
            name = f"old_{cn}.ldif"
            path = self.work / name
            path.touch(mode=0o600)
            path.write_text(text, encoding="utf-8")
            self.say(f"Exported {dn} to {WORK_DIR}/{name}")
            done.append((dn, f"{WORK_DIR}/{name}"))
        return done


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    state = load_state(lab_root)
    out = _Run(lab_root, state)
    if state.get("node_type") == "management":
        out.say(EXTERNAL_PSC)
        out.say(RUN_ON_PSC.format(psc=state.get("dc_name", "")))
        return 1
    for label, value in detected(state):
        out.say(f"Detected {label}: {value}")
    try:
        try:
            password = getpass.getpass(PROMPT.format(domain=out.domain))
        except EOFError:
            password = ""  # like bash's read at end of input: an empty answer
        out.log(f"Password entered for administrator@{out.domain} (not logged)")
        out.say(STARTING)
        return _replace(out, lab_root, password)
    except KeyboardInterrupt:
        out.say()
        out.log("Interrupted (Ctrl-C)", "ERROR")
        return 130


def _replace(out: _Run, root: Path, password: str) -> int:
    from vcfix.lab import reissue

    state = load_state(root)
    problem = ldap_problem(state, password)
    out.say("Searching for TenantCredential and TrustedCertChain entries...")
    if problem:
        out.say(problem, error=True)
        exported: List[Exported] = []
    else:
        exported = out.export(state)
    out.pause("export")
    out.say("Generating new STS signing certificate with VMCA...")
    out.pause("generate")
    if exported:
        out.say("Deleting old TenantCredential and TrustedCertChain entries...")
        with lab_state.transaction(root) as current:
            current["vmdir"] = {**(current.get("vmdir") or {}),
                                "tenant_credentials": [], "trusted_chains": []}
        for dn, _path in exported:
            out.log(f"Deleted {dn}")
        out.pause("delete")
    out.say("Adding new TenantCredential and TrustedCertChain entries...")
    problem = ldap_problem(load_state(root), password)
    if problem:
        out.say(problem, error=True)
        out.say(FINISHED)  # the real script checks nothing and says this anyway
        return 0
    if lab_state.setting(load_state(root), "fixsts_fail"):
        out.say(f'adding new entry "{new_dns(out.domain)[0]}"')
        out.say(ADD_FAILED, error=True)
        out.log("Lab setting fixsts_fail: stopped after the delete; restore from the "
                f"LDIF exports in {WORK_DIR}", "ERROR")
        return 1
    with lab_state.transaction(root) as current:
        chain = reissue.replace_sts_chain(current, clock.now())
    out.log("New STS signing certificate: " + _serial(chain["certs"][0]))
    out.pause("add")
    for dn in new_dns(out.domain):
        out.say(f'adding new entry "{dn}"')
        out.say()
    out.say(FINISHED)
    return 0


def new_dns(domain: str) -> List[str]:
    """The DNs the add step writes, in order (TenantCredential-1, TrustedCertChain-1)."""
    tenant = f"cn={domain},cn=Tenants,cn=IdentityManager,cn=Services,{domain_dn(domain)}"
    return [f"cn=TenantCredential-1,{tenant}",
            f"cn=TrustedCertChain-1,cn=TrustedCertificateChains,{tenant}"]


def _serial(cert_pem: str) -> str:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_pem.encode("ascii"))
    return f"serial {cert.serial_number:x}, valid until {clock.iso(cert.not_valid_after_utc)}"
