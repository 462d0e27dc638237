"""What ssh printed when it could not connect -> one line naming the host and what to do.

Pure: :func:`explain` maps OpenSSH's own wording (stable for many releases) to a
message; anything unknown is quoted (control characters escaped) rather than guessed.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

from vcfix.redact import escape_controls

SHELL_FIX = ("root's login shell there is the appliance shell: on the appliance console "
             "or an interactive SSH login, run 'shell', then 'chsh -s /bin/bash root' "
             "(VMware KB 2100508; revert with 'chsh -s /bin/appliancesh root')")

# (pattern in ssh's stderr, what happened, what to do); first match wins
_KNOWN: Tuple[Tuple[str, str, str], ...] = (
    (r"REMOTE HOST IDENTIFICATION HAS CHANGED",
     "its host key has CHANGED since it was recorded in known_hosts",
     "if the appliance was redeployed or regenerated its keys, check the new fingerprint "
     "on its console, then 'ssh-keygen -R HOST'; otherwise do not connect"),
    (r"No \S+ host key is known for|Host key verification failed",
     "its host key is not in known_hosts (vcfix never accepts an unknown key by itself)",
     "connect once with 'ssh USER@HOST', compare the fingerprint with the appliance's "
     "console, and accept it"),
    (r"Permission denied|Too many authentication failures",
     "the login was refused (key or password)",
     "check that your key is in root's authorized_keys there (ssh-copy-id USER@HOST), "
     "or run vcfix on a terminal so that ssh can ask for the password"),
    (r"Could not resolve hostname|Name or service not known|nodename nor servname",
     "the name does not resolve (DNS)", "check the name, or give its IP address"),
    (r"Connection refused",
     "nothing accepts SSH connections on that port (connection refused)",
     "enable SSH on the appliance (VAMI port 5480 > Access, or the DCUI) and check the port"),
    (r"Connection timed out|Operation timed out|timed out during banner exchange",
     "no answer within the connection timeout",
     "check that the host is up and that a firewall lets port 22 through"),
    (r"No route to host|Network is unreachable",
     "no network route to it", "check the address and the network"),
    (r"Connection closed by|Connection reset by|kex_exchange_identification",
     "it closed the connection before the login finished",
     "check sshd on the appliance (and MaxStartups, or a firewall in between)"),
)


def explain(label: str, stderr: str) -> Tuple[str, Optional[str]]:
    """(message, hint) for a failed connection to ``label`` from what ssh printed."""
    for pattern, what, todo in _KNOWN:
        if re.search(pattern, stderr):
            host = label.rpartition("@")[2]
            return f"{label}: {what}", todo.replace("USER@HOST", label).replace("HOST", host)
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = escape_controls(lines[-1][:200]) if lines else "ssh printed nothing"
    return f"{label}: ssh could not connect ({last})", None


def batch_refusal(label: str) -> str:
    """The one line for a host that would have asked something in an unattended run."""
    return (f"{label}: ssh would have to ask for a password or a host key confirmation, "
            "and this run is unattended (an answer file, or no terminal)")
