"""Fake ``lstool.py``: the Lookup Service registrations this node's replica holds.

``lstool.py list --url URL [--no-check-cert] [--type SERVICE_TYPE]``. The URL must
be this release's local Lookup Service (``http://localhost:7090/lookupservice/sdk``
on 7.0+, port 7080 on 6.x) or ``https://<PNID>/lookupservice/sdk``; on a management node
only ``https://<dc_name>/lookupservice/sdk`` (its PSC, which always answers); otherwise, or
when lookupsvc or vmdird is stopped, it fails with a Python traceback ending in
``ConnectionRefusedError``, exit 1. Every call prints the JVM's
``Picked up JAVA_TOOL_OPTIONS: ...`` line on stderr first, as appliances do.

It lists every domain node's registrations (see :mod:`vcfix.lab.elm_registrations`),
each at the release this node's replica shows for it (``domain["stale"]``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence
from urllib.parse import urlsplit

from vcfix.lab import elm_domain as dom
from vcfix.lab import state as lab_state
from vcfix.lab.elm_registrations import Owner, format_list, registrations
from vcfix.lab.fakes.common import (
    FakeError,
    fake_tool,
    load_state,
    out,
    service_running,
    split_options,
)

TOOL = "lstool"
JVM_NOISE = "Picked up JAVA_TOOL_OPTIONS: -Xms32m -Xmx128m -XX:ParallelGCThreads=1\n"
USAGE = "usage: lstool.py list --url URL [--no-check-cert] [--type SERVICE_TYPE]"
REFUSED = (
    "Traceback (most recent call last):\n"
    '  File "lstool.py", line 412, in <module>\n'
    "    main()\n"
    '  File "lstool.py", line 398, in main\n'
    "    stub = connect(args.url, args.no_check_cert)\n"
    "ConnectionRefusedError: [Errno 111] Connection refused\n"
)


def local_url(state: lab_state.State) -> str:
    port = 7080 if str(state["version"]).startswith("6.") else 7090
    return f"http://localhost:{port}/lookupservice/sdk"


@fake_tool(TOOL)
def main(argv: Sequence[str], lab_root: Path) -> int:
    sys.stderr.write(JVM_NOISE)
    try:
        words, values, _flags = split_options(argv, ("--url", "--type", "--ep-type"))
    except ValueError as exc:
        raise FakeError(f"{USAGE}\nlstool.py: error: {exc}", 2) from exc
    if words != ["list"] or "--url" not in values:
        raise FakeError(f"{USAGE}\nlstool.py: error: the lab simulates 'list --url URL' only",
                        2)
    state = load_state(lab_root)
    if not _reachable(state, values["--url"]):
        raise FakeError(REFUSED, 1)
    records = view(lab_root, state)
    wanted = values.get("--type")
    if wanted:
        records = [r for r in records if r["service_type"] == wanted]
    out(format_list(records))
    return 0


def _reachable(state: lab_state.State, url: str) -> bool:
    parts = urlsplit(url.strip())
    remote = (parts.scheme == "https" and parts.port in (None, 443)
              and parts.path.rstrip("/") == "/lookupservice/sdk")
    if state.get("node_type") == "management":  # the PSC (not simulated) always answers
        return remote and (parts.hostname or "") == str(state.get("dc_name", "")).lower()
    if not service_running(state, "lookupsvc") or not dom.vmdir_running(state):
        return False
    if url.strip().rstrip("/") == local_url(state):
        return True
    return remote and (parts.hostname or "") == str(state["pnid"]).lower()


def view(lab_root: Path, state: lab_state.State) -> List[Dict[str, Any]]:
    """Every registration this node's replica holds, owner by owner in domain order."""
    me = str(state["pnid"])
    domain = dom.load_domain(lab_root)
    records: List[Dict[str, Any]] = []
    for host in dom.hosts(domain, me):
        other = state if host == me else dom.node_state(lab_root, host)
        if other is None:
            continue
        release = dom.shown_release(domain, me, host, str(other["version"]))
        records += registrations(owner(other), release)
    return records


def owner(state: lab_state.State) -> Owner:
    """The node's registrations' owner; they trust its Machine SSL certificate, unless the
    state's ``lookup_ssl_trust`` (base64 DER: stale registrations) says otherwise."""
    entry = lab_state.vecs_entry(state, "MACHINE_SSL_CERT", "__MACHINE_CERT") or {}
    pem = str(entry.get("cert") or "")
    der_b64 = str(state.get("lookup_ssl_trust") or "") or "".join(
        ln.strip() for ln in pem.splitlines() if ln.strip() and not ln.startswith("-----"))
    return Owner(host=str(state["pnid"]), machine_id=str(state["machine_id"]),
                 site=str(state.get("site", "default-site")), domain=str(state["domain"]),
                 ssl_trust=der_b64)
