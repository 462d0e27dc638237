"""The other directory servers of this node's SSO domain (vdcrepadmin -f showservers)."""

from __future__ import annotations

from typing import List, Optional, Sequence

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
        result = run_with_password(argv, password, timeout=60,
                                   transport=ctx.appliance.transport)
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


ELM_NOTE_MARK = "Enhanced Linked Mode"
_MEMO_KEY = "other_nodes"


def has_partners(ctx: StepContext) -> bool:
    """Does this node share its SSO domain (ELM or an external PSC)? Unknown counts as yes.

    Listed once per run (``ctx.memo``)."""
    if ctx.node.node_type != "embedded":
        return True
    if _MEMO_KEY not in ctx.memo:
        nodes = other_nodes(ctx)
        ctx.memo[_MEMO_KEY] = "unknown" if nodes is None else ",".join(nodes)
    return ctx.memo[_MEMO_KEY] != ""


def relevant_follow_ups(ctx: StepContext, follow_ups: Sequence[str]) -> List[str]:
    """``follow_ups`` without the Enhanced Linked Mode note on a node without partners."""
    if any(ELM_NOTE_MARK in text for text in follow_ups) and not has_partners(ctx):
        return [text for text in follow_ups if ELM_NOTE_MARK not in text]
    return list(follow_ups)
