"""The other directory servers of this node's SSO domain (vdcrepadmin -f showservers)."""

from __future__ import annotations

from typing import List, Optional

from vcfix.appliance.parsers.vmdir import parse_servers
from vcfix.appliance.pty_tool import run_with_password
from vcfix.appliance.runner import display
from vcfix.errors import VcfixError
from vcfix.fix.step import StepContext


def other_nodes(ctx: StepContext) -> Optional[List[str]]:
    """Host names of the other nodes, or None when they cannot be listed."""
    password = ctx.answers.peek("sso.password")
    user = ctx.answers.derived("sso_user").split("@")[0]
    if not password:
        return None
    argv: List[str] = []
    try:
        tool = str(ctx.appliance.tool("vdcrepadmin"))
        argv = [tool, "-f", "showservers", "-h", "localhost", "-u", user]
        result = run_with_password(argv, password, timeout=60)
        if ctx.rundir is not None:  # the transcript records every vendor command
            ctx.rundir.command(display(argv), -1 if result.exit_status is None
                               else result.exit_status, result.text, keep=True)
        servers = parse_servers(result.output, "vdcrepadmin -f showservers")
    except VcfixError as exc:
        if ctx.rundir is not None and argv:
            ctx.rundir.note(f"{display(argv)}: {exc.one_line()}")
        return None
    me = ctx.node.pnid.lower()
    return [s for s in servers if s.lower() != me]
