"""The lab's vCenter database (VCDB): the ``vpx_ext`` rows, and the SQL the fake psql knows.

``state["vcdb"]["vpx_ext"]`` is a list of ``{"ext_id", "thumbprint"}``: ESX Agent Manager,
Auto Deploy and Image Builder registered with the thumbprint of the vpxd-extension
certificate (or, in scenario ``extension-thumbprints-stale``, with an older one's), and a
partner plug-in with its own certificate, which vcfix must leave alone.
certificate-manager options 6 and 8 replace vpxd-extension and never touch these rows,
as real builds do unless the administrator runs KB 2112577's procedure.

:func:`run_script` runs what ``psql`` reads: ``BEGIN``/``START TRANSACTION``,
``COMMIT``/``END``, ``ROLLBACK``, ``SELECT <columns> FROM vpx_ext [WHERE ext_id IN (...)
| WHERE ext_id = '...'] [ORDER BY ext_id]`` and ``UPDATE vpx_ext SET thumbprint = '...'
WHERE ext_id = '...'``. Anything else is a syntax error, as psql would say.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from vcfix.lab import state as lab_state

EXTENSIONS = ("com.vmware.vim.eam", "com.vmware.rbd", "com.vmware.imagebuilder")
PARTNER = "com.example.backup"  # a third-party plug-in: its own certificate
COLUMNS = ("ext_id", "thumbprint")
Rows = List[Dict[str, str]]

_SELECT = re.compile(r"^SELECT\s+(?P<cols>[\w\s,*]+?)\s+FROM\s+vpx_ext"
                     r"(?:\s+WHERE\s+ext_id\s*(?:=\s*(?P<one>'[^']*')|IN\s*\((?P<many>[^)]*)\)))?"
                     r"(?:\s+ORDER\s+BY\s+ext_id(?:\s+ASC)?)?$", re.IGNORECASE | re.DOTALL)
_UPDATE = re.compile(r"^UPDATE\s+vpx_ext\s+SET\s+thumbprint\s*=\s*'(?P<tp>[^']*)'\s+"
                     r"WHERE\s+ext_id\s*=\s*'(?P<id>[^']*)'$", re.IGNORECASE | re.DOTALL)


def thumbprint(pem: str) -> str:
    """The SHA-1 thumbprint of a PEM certificate as VCDB holds it (``AA:BB:...``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    digest = cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - a thumbprint
    return ":".join(digest[i:i + 2] for i in range(0, 40, 2))


def _made_up(seed: str) -> str:
    digest = hashlib.sha1(seed.encode("utf-8")).hexdigest().upper()  # noqa: S324 - a label
    return ":".join(digest[i:i + 2] for i in range(0, 40, 2))


def seed(state: lab_state.State, *, stale: bool = False) -> None:
    """Register the three extensions (and a partner plug-in) in ``state``'s VCDB."""
    entry = lab_state.vecs_entry(state, "vpxd-extension", "vpxd-extension")
    current = thumbprint(entry["cert"]) if entry and entry.get("cert") else _made_up("none")
    mine = _made_up(f"an older vpxd-extension of {state['machine_id']}") if stale else current
    rows = [{"ext_id": ext_id, "thumbprint": mine} for ext_id in EXTENSIONS]
    rows.append({"ext_id": PARTNER, "thumbprint": _made_up(f"partner {state['machine_id']}")})
    state["vcdb"] = {"vpx_ext": rows}


def rows_of(state: lab_state.State) -> Rows:
    rows: Rows = (state.get("vcdb") or {}).get("vpx_ext", [])
    return rows


class SqlError(Exception):
    """A statement psql's server refuses: ``ERROR:  <text>``."""


@dataclass
class Result:
    """What one statement printed: a command tag, or columns and rows."""

    tag: str = ""
    columns: Tuple[str, ...] = ()
    rows: List[Tuple[str, ...]] = field(default_factory=list)


def statements(script: str) -> List[str]:
    """``script`` split at the semicolons outside quotes (comments ``--`` dropped)."""
    out: List[str] = []
    current: List[str] = []
    quoted = False
    for line in script.splitlines():
        if not quoted and line.strip().startswith("--"):
            continue
        for char in line + "\n":
            if char == "'":
                quoted = not quoted
            if char == ";" and not quoted:
                out.append("".join(current).strip())
                current = []
            else:
                current.append(char)
    rest = "".join(current).strip()
    return [s for s in out + ([rest] if rest else []) if s]


def execute(rows: Rows, statement: str, fail_ext: Optional[str] = None) -> Result:
    """Run one SELECT or UPDATE on ``rows`` (changed in place); SqlError if refused."""
    found = _SELECT.match(statement)
    if found:
        wanted = [c.strip().lower() for c in found.group("cols").split(",")]
        columns = COLUMNS if wanted == ["*"] else tuple(wanted)
        for name in columns:
            if name not in COLUMNS:
                raise SqlError(f'column "{name}" does not exist')
        ids = _quoted(found.group("many") or found.group("one") or "")
        picked = [r for r in rows if not ids or r["ext_id"] in ids]
        if re.search(r"ORDER\s+BY", statement, re.IGNORECASE):
            picked.sort(key=lambda r: r["ext_id"])
        return Result(f"SELECT {len(picked)}", columns,
                      [tuple(r[c] for c in columns) for r in picked])
    found = _UPDATE.match(statement)
    if found:
        ext_id = found.group("id")
        if fail_ext and ext_id == fail_ext:
            raise SqlError("could not serialize access due to concurrent update")
        changed = [r for r in rows if r["ext_id"] == ext_id]
        for row in changed:
            row["thumbprint"] = found.group("tp")
        return Result(f"UPDATE {len(changed)}")
    word = statement.split()[0] if statement.split() else statement
    raise SqlError(f'syntax error at or near "{word}"')


def _quoted(text: str) -> List[str]:
    return re.findall(r"'([^']*)'", text)


def run_script(state: lab_state.State, script: str, *, stop_on_error: bool,
               fail_ext: Optional[str] = None) -> Tuple[List[Result], List[str], bool]:
    """Run ``script`` on ``state``'s VCDB as psql would: (results, errors, stopped).

    Outside ``BEGIN`` each statement commits by itself; inside, changes reach ``state``
    only at ``COMMIT``. After an error in a transaction the rest of it is refused and its
    ``COMMIT`` rolls back; with ``stop_on_error`` (``-v ON_ERROR_STOP=1``) psql stops at
    the first error, and an open transaction is lost (nothing of it is saved).
    """
    committed = rows_of(state)
    work: Optional[Rows] = None  # the open transaction's copy
    aborted = False
    results: List[Result] = []
    errors: List[str] = []
    for statement in statements(script):
        word = statement.split()[0].upper()
        try:
            if word in ("BEGIN", "START"):
                work, aborted = copy.deepcopy(committed), False
                results.append(Result("BEGIN"))
            elif word in ("COMMIT", "END"):
                if work is not None and not aborted:
                    committed[:] = work
                results.append(Result("ROLLBACK" if aborted else "COMMIT"))
                work, aborted = None, False
            elif word == "ROLLBACK":
                work, aborted = None, False
                results.append(Result("ROLLBACK"))
            elif aborted:
                raise SqlError("current transaction is aborted, commands ignored until end "
                               "of transaction block")
            else:
                results.append(execute(committed if work is None else work, statement,
                                       fail_ext))
        except SqlError as exc:
            errors.append(f"ERROR:  {exc}")
            aborted = work is not None
            if stop_on_error:
                return results, errors, True
    return results, errors, False


def format_result(result: Result, *, tuples_only: bool, unaligned: bool,
                  quiet: bool) -> List[str]:
    """The lines psql prints for one result (``-t``, ``-A``, ``-q`` as psql does)."""
    if not result.columns:
        return [] if quiet else [result.tag]
    count = len(result.rows)
    footer = [f"({count} row{'' if count == 1 else 's'})", ""]
    if unaligned:
        body = ["|".join(row) for row in result.rows]
        return body if tuples_only else ["|".join(result.columns), *body, *footer[:1]]
    widths = [max([len(c)] + [len(row[i]) for row in result.rows])
              for i, c in enumerate(result.columns)]
    body = [(" " + " | ".join(v.ljust(w) for v, w in zip(row, widths))).rstrip()
            for row in result.rows]
    if tuples_only:
        return body + [""]
    header = " " + " | ".join(c.center(w) for c, w in zip(result.columns, widths)) + " "
    rule = "-" + "-+-".join("-" * w for w in widths) + "-"
    return [header, rule, *body, *footer]


def snapshot(state: lab_state.State) -> Dict[str, Any]:
    """The rows as a dict ext_id -> thumbprint (for tests and the docs' examples)."""
    return {r["ext_id"]: r["thumbprint"] for r in rows_of(state)}
