"""Running ``lstool.py list``: the Lookup Service registrations of an appliance.

One place for what the pre-upgrade check and the Lookup Service trust check both need:
this release's local URL (port 7090 on 7.0+, 7080 on 6.x, told apart by where the
script lives), the appliance's python when the script is not executable, and one error
naming the command when it fails.
"""

from __future__ import annotations

from typing import List, Optional

from vcfix.appliance.parsers.lstool import LSTOOL_HINT, Registration, parse_lstool
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner, tail
from vcfix.errors import VcfixError


def local_url(appliance: Appliance) -> str:
    port = 7080 if "/vmidentity/" in str(appliance.tool("lstool")) else 7090
    return f"http://localhost:{port}/lookupservice/sdk"


def list_registrations(appliance: Appliance, runner: Runner, url: Optional[str] = None,
                       timeout: Optional[float] = None) -> List[Registration]:
    """``lstool.py list --url URL`` (default :func:`local_url`), parsed."""
    script = appliance.tool("lstool")
    args = ["list", "--url", url or local_url(appliance), "--no-check-cert"]
    if appliance.transport.executable(str(script)):
        done = runner.run("lstool", args, check=False, timeout=timeout)
    else:
        done = runner.run("python", [str(script), *args], check=False, timeout=timeout)
    if done.returncode != 0:
        raise VcfixError(f"'{done.command}' failed with exit code {done.returncode}",
                         details=tail(done.stderr) or tail(done.stdout), hint=LSTOOL_HINT)
    return parse_lstool(done.stdout + "\n" + done.stderr, done.command)
