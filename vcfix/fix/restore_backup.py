"""Reading a run directory's backup for ``vcfix restore``: complete and intact, or refused.

A run directory can be restored when ``backup/manifest.json`` says the backup taken
before the first change was complete, every file it lists is there with the SHA-256
it recorded, and ``diagnosis-before.json`` (what the restore is checked against) is
there. Anything else is refused before anything changes, naming every problem.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from vcfix.errors import EXIT_FAILED, VcfixError
from vcfix.fix.rundir import BACKUP, MANIFEST

BEFORE = "diagnosis-before.json"


@dataclass
class Backup:
    run_dir: Path
    entries: List[Dict[str, Any]]
    inventory: Dict[str, List[str]]  # store -> aliases listed before the run
    before: Dict[str, Any] = field(default_factory=dict)  # diagnosis-before.json

    def path(self, entry: Dict[str, Any]) -> Path:
        return self.run_dir / BACKUP / str(entry["file"])

    def of_kind(self, *kinds: str) -> List[Dict[str, Any]]:
        return [e for e in self.entries if e.get("kind") in kinds]

    def vecs_file(self, store: str, alias: str, kind: str) -> Optional[Dict[str, Any]]:
        for entry in self.of_kind(kind):
            if entry.get("store") == store and entry.get("alias") == alias:
                return entry
        return None


def load_backup(run_dir: Path) -> Backup:
    """The verified backup of ``run_dir``; VcfixError naming every problem otherwise."""
    run_dir = Path(run_dir)
    manifest_path = run_dir / BACKUP / MANIFEST
    hint = "give the run directory that vcfix fix printed (<state-dir>/runs/<UTC time>)"
    if not run_dir.is_dir():
        raise VcfixError(f"{run_dir} is not a directory; nothing was changed", hint=hint)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        before = json.loads((run_dir / BEFORE).read_text(encoding="utf-8"))
    except OSError as exc:
        raise VcfixError(f"cannot restore from {run_dir}: {exc.filename} cannot be read "
                         f"({exc.strerror}); nothing was changed", hint=hint,
                         exit_code=EXIT_FAILED) from exc
    except ValueError as exc:
        raise VcfixError(f"cannot restore from {run_dir}: a file is not valid JSON ({exc}); "
                         "nothing was changed", exit_code=EXIT_FAILED) from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("entries"), list):
        raise VcfixError(f"{manifest_path} is not a vcfix backup manifest (an older vcfix "
                         "wrote a list: restore it by hand, docs/restore.md); nothing was "
                         "changed", exit_code=EXIT_FAILED)
    problems = [] if manifest.get("complete") else [
        "the backup was not completed (the run stopped before its first change, or crashed "
        "while taking it)"]
    inventory = (manifest.get("counts") or {}).get("inventory")
    if not isinstance(inventory, dict) or not inventory:
        problems.append("the manifest does not list the VECS entries as they were before the "
                        "run (counts.inventory)")
        inventory = {}
    entries: List[Dict[str, Any]] = manifest["entries"]
    for entry in entries:
        name = str(entry.get("file", ""))
        path = run_dir / BACKUP / name
        if not name or "/" in name or name.startswith("."):
            problems.append(f"the manifest names an invalid file {name!r}")
        elif not path.is_file():
            problems.append(f"{name} is missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != entry.get("sha256"):
            problems.append(f"{name} does not match its SHA-256 in the manifest "
                            "(changed since the backup)")
    if problems:
        raise VcfixError(f"refusing to restore from {run_dir}: its backup is not complete "
                         "and intact; nothing was changed", details=problems,
                         exit_code=EXIT_FAILED)
    return Backup(run_dir, entries, {str(k): list(v) for k, v in inventory.items()}, before)
