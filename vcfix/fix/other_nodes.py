"""The other directory servers of this node's SSO domain (vdcrepadmin -f showservers)."""

from __future__ import annotations

from typing import List, Optional

from vcfix.appliance.parsers.vmdir import parse_servers
from vcfix.appliance.pty_tool import run_with_password
from vcfix.errors import VcfixError
from vcfix.fix.step import StepContext


def other_nodes(ctx: StepContext) -> Optional[List[str]]:
    """Host names of the other nodes, or None when they cannot be listed."""
    password = ctx.answers.peek("sso.password")
    user = ctx.answers.derived("sso_user").split("@")[0]
    if not password:
        return None
    try:
        tool = str(ctx.appliance.tool("vdcrepadmin"))
        argv = [tool, "-f", "showservers", "-h", "localhost", "-u", user]
        result = run_with_password(argv, password, timeout=60)
        servers = parse_servers(result.output, "vdcrepadmin -f showservers")
    except VcfixError:
        return None
    me = ctx.node.pnid.lower()
    return [s for s in servers if s.lower() != me]
