"""The CRLs of VECS ``TRUSTED_ROOT_CRLS`` in the backup taken before the first change.

Taken only when the plan holds ``clean-crls``. A store can hold thousands of CRLs, so they
are kept in ONE backup file, ``vecs.TRUSTED_ROOT_CRLS.crls.json`` (manifest kind
``vecs-crls``): ``{"store", "entries": [{"alias", "entry_type", "pem"}]}``, read from one
listing without ``--text`` (``vecs-cli entry getcert`` for an entry the listing showed no
PEM for). ``vcfix restore`` puts back from it every CRL that is gone.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from vcfix.appliance.parsers.vecs import parse_entry_list
from vcfix.appliance.runner import Runner
from vcfix.diagnose.crls import LIST_TIMEOUT, STORE
from vcfix.errors import VcfixError
from vcfix.fix.rundir import BACKUP, RunDir

KIND = "vecs-crls"
FILE = f"vecs.{STORE}.crls.json"  # as vcfix.fix.backup.backup_name would name it


def backup_crls(runner: Runner, rundir: RunDir) -> int:
    """Copy every CRL to the run's backup; returns how many. Raises VcfixError (nothing
    changed) when the store cannot be listed or a CRL cannot be read."""
    try:
        done = runner.run("vecs-cli", ["entry", "list", "--store", STORE],
                          timeout=LIST_TIMEOUT)
        entries = parse_entry_list(done.stdout, done.command)
    except VcfixError as exc:
        raise VcfixError(f"{exc.message}; nothing was changed, because the backup of the "
                         "CRLs would be incomplete", details=exc.details, hint=exc.hint) from exc
    saved: List[Dict[str, Any]] = []
    for entry in entries:
        pem = entry.pem or _getcert(runner, entry.alias)
        saved.append({"alias": entry.alias, "entry_type": entry.entry_type, "pem": pem})
    rundir.backup(FILE, json.dumps({"store": STORE, "entries": saved}, indent=1) + "\n",
                  source=f"VECS {STORE}: {len(saved)} CRLs", kind=KIND, store=STORE,
                  count=len(saved))
    return len(saved)


def _getcert(runner: Runner, alias: str) -> str:
    args = ["entry", "getcert", "--store", STORE, "--alias", alias]
    try:
        done = runner.run("vecs-cli", args)
    except VcfixError as exc:
        raise VcfixError(f"{exc.message}; nothing was changed, because the backup of the "
                         "CRLs would be incomplete", details=exc.details) from exc
    if "-----BEGIN" not in done.stdout:
        raise VcfixError(f"'{done.command}' printed no CRL; nothing was changed, because the "
                         "backup of the CRLs would be incomplete")
    return done.stdout


def saved_crls(manifest: Dict[str, Any], rundir_path: Any) -> Optional[List[Dict[str, Any]]]:
    """The CRLs a run directory's backup holds (None when it holds none)."""
    for entry in manifest.get("entries", []):
        if entry.get("kind") == KIND:
            path = rundir_path / BACKUP / str(entry["file"])
            data = json.loads(path.read_text(encoding="utf-8"))
            return [e for e in data.get("entries", []) if isinstance(e, dict)]
    return None
