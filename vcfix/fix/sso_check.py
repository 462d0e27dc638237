"""Verify the SSO administrator password once, before anything changes.

An LDAP simple bind to the appliance's directory (vmdir) as the SSO administrator,
with ``ldapsearch`` reading a base entry: the password goes through a 0600 file
given with ``-y`` (never argv, never the environment), removed as soon as the
call returns. A refused password stops the run before the first change; vcfix
never retries it (VMDIR locks accounts after repeated failures).
"""

from __future__ import annotations

from vcfix.answers.answer_file import Answers
from vcfix.appliance.runner import Runner
from vcfix.diagnose.collect import domain_dn
from vcfix.diagnose.model import NodeInfo
from vcfix.errors import VcfixError

REFUSED_MARKERS = ("invalid credentials", "(49)")
TIMEOUT = 60.0


def user_dn(user: str, default_domain: str) -> str:
    """``administrator@vsphere.local`` -> ``cn=administrator,cn=users,dc=vsphere,dc=local``."""
    name, _, domain = user.partition("@")
    return f"cn={name},cn=users,{domain_dn(domain or default_domain)}"


def verify_sso_password(runner: Runner, answers: Answers, node: NodeInfo,
                        directory_host: str) -> bool:
    """True when the password was verified; False when no step needs one.

    Raises VcfixError saying nothing was changed when vmdir refuses it or cannot be asked.
    """
    password = answers.peek("sso.password")
    if not password:
        return False
    user = answers.derived("sso_user")
    base = domain_dn(user.partition("@")[2] or node.domain)
    with runner.appliance.secret_file(password) as path:
        done = runner.run(
            "ldapsearch",
            ["-LLL", "-x", "-H", f"ldap://{directory_host}:389", "-D",
             user_dn(user, node.domain), "-y", path, "-b", base, "-s", "base",
             "(objectClass=*)", "1.1"],
            check=False, timeout=TIMEOUT)
    if done.returncode == 0:
        return True
    said = " ".join((done.stderr or done.stdout).split())
    if done.returncode == 49 or any(m in said.lower() for m in REFUSED_MARKERS):
        raise VcfixError(
            f"the SSO password for {user} is wrong: the directory refused it ({said}); "
            "nothing was changed",
            hint="run again with the right password (vcfix never retries a password: "
            "repeated failures lock the account)")
    raise VcfixError(
        f"could not verify the SSO password for {user}: '{done.command}' failed with exit "
        f"code {done.returncode} ({said}); nothing was changed",
        hint="check that vmdird runs (service-control --status vmdird), then run again")
