"""Fake ``vdcrepadmin``: this node's replication partners, from the lab's domain state.

``-f showpartnerstatus|showpartners|showservers -h HOST -u USER [-w PASSWORD]``.
Without ``-w`` it prompts ``password: `` on the terminal (getpass reads
``/dev/tty``), as the real tool does; ``-w`` is accepted like the real tool's, and
calls.log shows it (vcfix never uses it). ``-h`` must name this node (localhost,
127.0.0.1 or its PNID). Failures print ``Vdcrepadmin failed. Error [<text>] [<code>]``
on stdout with the exit status the real tool gives (the code's low byte; the
node's ``settings.vdcrepadmin_exit_status`` overrides it, to prove callers judge
by the text). Every showpartnerstatus counts one call in the domain state, which
is how a lagging partner catches up (or not) between two samples.
"""

from __future__ import annotations

import getopt
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from vcfix.lab import elm_domain as dom
from vcfix.lab import state as lab_state
from vcfix.lab.fakes.common import FakeError, fake_tool, load_state, out
from vcfix.lab.fakes.lwregshell import domain_dn

TOOL = "vdcrepadmin"
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
SERVER_DOWN = (9127, "Server down")
INVALID_CREDENTIAL = (9234, "User invalid credential")
FEATURES = ("showpartnerstatus", "showpartners", "showservers")
USAGE = (
    "Usage: vdcrepadmin -f showpartners -h <host> -u <user> [-w <password>]\n"
    "       vdcrepadmin -f showpartnerstatus -h <host> -u <user> [-w <password>]\n"
    "       vdcrepadmin -f showservers -h <host> -u <user> [-w <password>]\n"
    "(vcfix lab: only these three features are simulated)\n"
)


Failure = Tuple[int, str]


def _failed(state: lab_state.State, failure: Failure) -> int:
    code, text = failure
    out(f"Vdcrepadmin failed. Error [{text}] [{code}]\n")
    return int(lab_state.setting(state, "vdcrepadmin_exit_status", code & 0xFF))


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    try:
        pairs, rest = getopt.getopt(list(argv), "f:h:u:w:x")
    except getopt.GetoptError as exc:
        raise FakeError(f"vdcrepadmin: {exc}\n{USAGE}", 1) from exc
    opts: Dict[str, str] = dict(pairs)
    feature = opts.get("-f", "")
    if rest or feature not in FEATURES or "-h" not in opts or "-u" not in opts:
        raise FakeError(USAGE, 1)
    password = opts["-w"] if "-w" in opts else _prompt()
    state = load_state(lab_root)
    me = str(state["pnid"])
    failure = _refusal(state, opts["-h"], opts["-u"], password)
    if failure is not None:
        return _failed(state, failure)
    if feature == "showpartnerstatus":
        out(partner_status(lab_root, me))
    elif feature == "showpartners":
        domain = dom.load_domain(lab_root)
        out("".join(f"ldap://{p}\n" for p in dom.agreements(domain, me)))
    else:
        out(servers(lab_root, state))
    return 0


def _refusal(state: lab_state.State, host: str, user: str, password: str
             ) -> Optional[Failure]:
    name = host.strip().lower()
    if name not in LOCAL_NAMES and name != str(state["pnid"]).lower():
        return SERVER_DOWN  # the lab simulates the local directory only
    if not dom.vmdir_running(state):
        return SERVER_DOWN
    known = user.strip().lower() in ("administrator", lab_state.LAB_SSO_USER)
    if not known or password != state["sso"]["password"]:
        return INVALID_CREDENTIAL
    return None


def _prompt() -> str:
    import getpass

    return getpass.getpass("password: ")


def partner_status(lab_root: Path, me: str) -> str:
    """``showpartnerstatus`` of node ``me``: one block per agreement, blank-line separated."""
    calls = dom.count_status_call(lab_root, me)
    domain = dom.load_domain(lab_root)
    blocks: List[str] = []
    for partner in dom.agreements(domain, me):
        lines = [f"Partner: {partner}"]
        other = dom.node_state(lab_root, partner)
        if not dom.vmdir_running(other):
            lines.append("Host available:   No")
        elif me not in dom.agreements(domain, partner):
            lines += ["Host available:   Yes", "Status available: No"]
        else:
            assert domain is not None
            last = dom.usn(domain, me) + dom.growth(domain, me) * max(0, calls - 1)
            behind = dom.behind(domain, me, partner, calls)
            lines += ["Host available:   Yes", "Status available: Yes",
                      f"My last change number:             {last}",
                      f"Partner has seen my change number: {last - behind}",
                      f"Partner is {behind} changes behind."]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def servers(lab_root: Path, state: lab_state.State) -> str:
    """``showservers``: every directory server of the domain as a DN."""
    me = str(state["pnid"])
    base = domain_dn(str(state["domain"]))
    lines = []
    for host in dom.hosts(dom.load_domain(lab_root), me):
        other = state if host == me else dom.node_state(lab_root, host)
        site = str((other or state).get("site", "default-site"))
        lines.append(f"cn={host},cn=Servers,cn={site},cn=Sites,cn=Configuration,{base}\n")
    return "".join(lines)
