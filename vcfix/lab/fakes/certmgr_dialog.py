"""The lab certificate-manager's conversation: its wording, its checks, its questions.

Wording follows the vendor reference; docs/lab.md says which lines are the lab's own.
The text and checks are pure functions; :class:`Console` and the ``ask_*`` functions
talk to the terminal. :mod:`vcfix.lab.fakes.certificate_manager` runs the operation.
"""

from __future__ import annotations

import ipaddress
import re
import sys
import termios
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from vcfix import clock
from vcfix.lab import state as lab_state

# The banner's version is unreliable on real builds: 7.0 says 6.8.
BANNER_VERSION = {"6.7": "6.7", "7.0": "6.8", "8.0": "8.0"}
MENU = (
    "Replace Machine SSL certificate with Custom Certificate",
    "Replace VMCA Root certificate with Custom Signing Certificate and replace all Certificates",
    "Replace Machine SSL certificate with VMCA Certificate",
    "Regenerate a new VMCA Root Certificate and replace all certificates",
    "Replace Solution user certificates with Custom Certificate",
    "Replace Solution user certificates with VMCA certificates",
    "Revert last performed operation by re-publishing old certificates",
    "Reset all Certificates",
)
MENU_PROMPT = "Option[1 to 8]: "
NOTE = "Note : Use Ctrl-D to exit."
CREDENTIALS = ("Please provide valid SSO and VC privileged user credential to perform "
               "certificate operations.")
USERNAME_PROMPT = "Enter username [Administrator@{domain}]:"
PASSWORD_PROMPT = "Enter password:"  # noqa: S105 - the prompt, not a password
REFUSED = "Incorrect Password! Try Again! ({left} attempt/s left)"
MAX_ATTEMPTS = "Reached max number of attempts, terminating operation."
ATTEMPTS = 3
PSC_PROMPT = "Enter IP/FQDN of the Platform Services Controller : "
PSC_REFUSED = "Cannot reach the Platform Services Controller '{host}', please enter valid IP/FQDN."
CONFIGURE = "Please configure certool.cfg with proper values before proceeding to next step."
SKIP_HINT = "Press Enter key to skip optional parameters or use Default value."
RECONFIGURE = "certool.cfg file exists, Do you wish to reconfigure : Option[Y/N] ? : "
VMCA_NAME_PROMPT = "Enter proper value for VMCA 'Name' :"
LOG = "/var/log/vmware/vmcad/certificate-manager.log"
CERTOOL_CFG = "/usr/lib/vmware-vmca/share/config/certool.cfg"


def banner(version: str) -> str:
    shown = BANNER_VERSION.get(version, version)
    width = max(len(text) for text in MENU) + 14
    rows = ["", f"*** Welcome to the vSphere {shown} Certificate Manager ***", "",
            "-- Select Operation --", ""]
    body = [row.center(width) for row in rows]
    for number, text in enumerate(MENU, 1):
        body += [f"      {number}. {text}".ljust(width), " " * width]
    lines = [" " * 9 + "_" * width]
    lines += [" " * 8 + "|" + row + "|" for row in body[:-1]]
    lines.append(" " * 8 + "|" + "_" * width + "|")
    return "\n".join(lines) + "\n"


def yes_no(answer: str) -> Optional[bool]:
    """True for Y, False for N (either case), None for anything else."""
    word = answer.strip().upper()
    return True if word == "Y" else False if word == "N" else None


# --- certool.cfg fields (pure) -----------------------------------------------------------

@dataclass(frozen=True)
class Field:
    key: str  # the certool.cfg key
    default: str  # "" = optional
    optional_from: str = ""  # from this version on: no default, shown as [optional]


FIELDS = (Field("Country", "US"), Field("Name", "CA"), Field("Organization", "VMware"),
          Field("OrgUnit", "VMware Engineering", optional_from="7.0"),
          Field("State", "California"), Field("Locality", "Palo Alto"), Field("IPAddress", ""),
          Field("Email", "email@acme.com"), Field("Hostname", ""))
HOSTNAME_HINT = ("(Provide comma separated values for multiple Hostname entries) "
                 "[Enter valid Fully Qualified Domain Name(FQDN), For Example : "
                 "example.domain.com]")
BAD_COUNTRY = "Enter valid 2 letter country code"
BAD_HOSTNAME = "Hostname should not be empty, please enter valid FQDN."
BAD_IP = "Enter valid IP Address"
_HOST = re.compile(r"(?=.{1,253}$)[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63})*")


def effective(field: Field, version: str) -> Field:
    """``field`` as ``version`` asks it (OrgUnit loses its default from 7.0)."""
    def key(text: str) -> Tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", text)[:2])

    if field.optional_from and key(version) >= key(field.optional_from):
        return replace(field, default="")
    return field


def field_prompt(field: Field, previous: Optional[str] = None) -> str:
    """The question for ``field`` (``previous``: the value kept in certool.cfg)."""
    hint = HOSTNAME_HINT + " " if field.key == "Hostname" else ""
    if previous:
        bracket = f"[Previous value : {previous}] "
    elif field.key == "Hostname":
        bracket = ""
    elif field.default:
        bracket = f"[Default value : {field.default}] "
    else:
        bracket = "[optional] "
    return f"Enter proper value for '{field.key}' {hint}{bracket}: "


def check_field(field: Field, answer: str, previous: Optional[str] = None
                ) -> Tuple[Optional[str], Optional[str]]:
    """(value, None) when ``answer`` is acceptable, else (None, the line to print)."""
    value = answer.strip() or (previous or "") or field.default
    if field.key == "Country" and not re.fullmatch(r"[A-Za-z]{2}", value):
        return None, BAD_COUNTRY
    if field.key == "Hostname":
        hosts = split_hosts(value)
        if not hosts or not all(_HOST.fullmatch(h) for h in hosts):
            return None, BAD_HOSTNAME
        return ",".join(hosts), None
    if field.key == "IPAddress" and value:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return None, BAD_IP
    return value, None


def split_hosts(value: str) -> List[str]:
    return [h.strip() for h in value.split(",") if h.strip()]


def format_cfg(values: Dict[str, str]) -> str:
    return "".join(f"{f.key} = {values.get(f.key, '')}\n" for f in FIELDS)


def parse_cfg(text: str) -> Dict[str, str]:
    """``Key = value`` lines of certool.cfg (comments, blanks and unknown keys skipped)."""
    known = {f.key.lower(): f.key for f in FIELDS}
    values: Dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and key.strip().lower() in known:
            values[known[key.strip().lower()]] = value.strip()
    return values


# --- the terminal --------------------------------------------------------------------------

class EndOfInput(Exception):
    """Ctrl-D at a prompt."""


class Console:
    """Prompts and answers on the terminal (stdin must be a tty)."""

    def say(self, text: str = "", end: str = "\n") -> None:
        sys.stdout.write(text + end)
        sys.stdout.flush()

    def ask(self, prompt: str) -> str:
        self.say(prompt, end="")
        line = sys.stdin.readline()
        if not line:
            raise EndOfInput
        return line.rstrip("\r\n")

    def secret(self, prompt: str) -> str:
        """Read a line with echo off (like getpass, pending input is discarded)."""
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        quiet = termios.tcgetattr(fd)
        quiet[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
        try:
            return self.ask(prompt)
        finally:
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
            self.say()

    def yes(self, prompt: str) -> bool:
        """Y -> True. Anything else is No; a bad answer is asked again and is still No."""
        verdict = yes_no(self.ask(prompt))
        if verdict is None:
            self.ask(prompt)
            return False
        return verdict


def log(root: Path, message: str, level: str = "INFO") -> None:
    """Append to the lab's certificate-manager.log (never given the password)."""
    stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    path = root / LOG.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{stamp} {level} certificate-manager {message}\n")


def ask_menu(console: Console) -> Optional[int]:
    """The option chosen, or None on Ctrl-D."""
    while True:
        try:
            answer = console.ask(MENU_PROMPT).strip()
        except EndOfInput:
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(MENU):
            return int(answer)


def ask_credentials(console: Console, root: Path, state: lab_state.State) -> bool:
    """True once the SSO administrator's password is right (three tries)."""
    sso = state.get("sso") or {}
    domain = str(state.get("domain", "vsphere.local"))
    console.say(CREDENTIALS)
    user = console.ask(USERNAME_PROMPT.format(domain=domain)).strip() or f"Administrator@{domain}"
    refuse_all = bool(lab_state.setting(state, "cm_wrong_password"))
    for attempt in range(1, ATTEMPTS + 1):
        right = (console.secret(PASSWORD_PROMPT) == sso.get("password") and not refuse_all
                 and user.lower() == str(sso.get("username", "")).lower())
        if right:
            log(root, f"Authenticated as {user}")
            return True
        log(root, f"Invalid credentials for {user} (attempt {attempt} of {ATTEMPTS})", "ERROR")
        if attempt < ATTEMPTS:
            console.say(REFUSED.format(left=ATTEMPTS - attempt))
    console.say(MAX_ATTEMPTS)
    log(root, MAX_ATTEMPTS, "ERROR")
    return False


def ask_psc(console: Console, state: lab_state.State) -> str:
    """The PSC's address (a management node); only the lab's PSC name is accepted."""
    expected = str(state.get("dc_name", "")).lower()
    while True:
        host = console.ask(PSC_PROMPT).strip()
        if host and host.lower() == expected:
            return host
        console.say(PSC_REFUSED.format(host=host))


def ask_certool(console: Console, root: Path, version: str) -> Tuple[Dict[str, str], str]:
    """The certool.cfg values (asked, or reused) and the VMCA Name ("" when not asked)."""
    path = root / CERTOOL_CFG.lstrip("/")
    previous: Optional[Dict[str, str]] = None
    if path.exists():
        previous = parse_cfg(path.read_text(encoding="utf-8", errors="replace"))
        if not console.yes(RECONFIGURE):
            return previous, ""
    console.say(CONFIGURE)
    console.say(SKIP_HINT)
    values: Dict[str, str] = {}
    for base in FIELDS:
        field = effective(base, version)
        before = previous.get(field.key) if previous is not None else None
        while True:
            value, problem = check_field(field, console.ask(field_prompt(field, before)), before)
            if value is not None:
                values[field.key] = value
                break
            console.say(str(problem))
    vmca_name = console.ask(VMCA_NAME_PROMPT).strip()
    return values, vmca_name or split_hosts(values["Hostname"])[0]
