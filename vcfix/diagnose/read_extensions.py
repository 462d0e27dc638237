"""Reading the extension registrations from VCDB (the I/O half of the extension check).

``psql -d VCDB -U postgres`` (no password as root on the appliance) with the SQL on its
standard input, never on the command line: ``-v ON_ERROR_STOP=1`` stops at the first
error (the transaction then ends without a COMMIT), ``-t -A`` prints ``value|value``
rows and ``-q`` no command tags. The pure half is :mod:`vcfix.diagnose.extensions`.
"""

from __future__ import annotations

from typing import List, Mapping, Optional, Sequence

from vcfix.appliance.parsers.psql import parse_rows
from vcfix.appliance.parsers.vecs import VecsEntry, parse_entry_list
from vcfix.appliance.runner import Completed, Runner
from vcfix.diagnose import certs
from vcfix.diagnose.extensions import (
    ALIAS,
    CERT_ID,
    COLUMNS,
    PSQL_ARGS,
    SELECT_SQL,
    STORE,
    ExtensionsRead,
    Registration,
)
from vcfix.errors import VcfixError
from vcfix.redact import escape_controls

TIMEOUT = 60.0
NO_VCDB = "a Platform Services Controller has no vCenter database (VCDB)"
MAX_VALUE = 200  # a thumbprint is 59 characters; anything longer is cut (and never matches)


def psql(runner: Runner, sql: str, timeout: float = TIMEOUT) -> Completed:
    """Run ``sql`` (on standard input) against VCDB; VcfixError when psql fails."""
    return runner.run("psql", list(PSQL_ARGS), stdin=sql, timeout=timeout)


def select_registrations(runner: Runner) -> List[Registration]:
    done = psql(runner, SELECT_SQL)
    command = f"{done.command} (SQL on stdin: {SELECT_SQL.strip()})"
    return [Registration(_clean(ext_id), _clean(thumbprint))
            for ext_id, thumbprint in parse_rows(done.stdout, command, COLUMNS)]


def _clean(value: str) -> str:
    """What VCDB holds, bounded and with control characters escaped (it is printed)."""
    return escape_controls(value[:MAX_VALUE])


def read_registrations(runner: Runner, node_type: Optional[str]) -> ExtensionsRead:
    """The registrations, or why they were not read (never raises VcfixError)."""
    if node_type == "infrastructure":
        return ExtensionsRead(not_applicable=NO_VCDB)
    try:
        runner.appliance.tool("psql")
    except VcfixError as exc:  # 6.x builds without psql at that path: not an appliance error
        return ExtensionsRead(error=exc.message, missing_tool=True)
    try:
        return ExtensionsRead(select_registrations(runner))
    except VcfixError as exc:
        return ExtensionsRead(error=exc.one_line())


def expected_thumbprint(stores: Mapping[str, Sequence[VecsEntry]]) -> Optional[str]:
    """The SHA-1 thumbprint (``AA:BB:...``) of VECS vpxd-extension/vpxd-extension."""
    entry = next((e for e in stores.get(STORE, []) if e.alias == ALIAS and e.pem), None)
    if entry is None or entry.pem is None:
        return None
    try:
        return certs.sha1(certs.load_pem(entry.pem, CERT_ID))
    except VcfixError:
        return None


def read_expected(runner: Runner) -> str:
    """The thumbprint of the vpxd-extension certificate as VECS holds it now."""
    done = runner.run("vecs-cli", ["entry", "list", "--store", STORE])
    found = expected_thumbprint({STORE: parse_entry_list(done.stdout, done.command)})
    if found is None:
        raise VcfixError(f"'{done.command}' showed no readable {ALIAS} certificate",
                         hint="the extension registrations are compared with it")
    return found
