"""Export every VECS certificate and private key before the first change.

certificate-manager keeps only the last operation in BACKUP_STORE (option 7
reverts just that); vcfix keeps its own copy of everything, in the run's
``backup/`` folder (0700, files 0600, a manifest with SHA-256 sums), so that any
step can be undone by hand with ``vecs-cli entry create``.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Mapping, Sequence

from vcfix.appliance.parsers.vecs import PRIVATE_KEY, VecsEntry
from vcfix.appliance.runner import Runner
from vcfix.errors import VcfixError
from vcfix.fix.rundir import RunDir

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def backup_name(store: str, alias: str, kind: str) -> str:
    name = f"{_UNSAFE.sub('_', store)}__{_UNSAFE.sub('_', alias)}.{kind}"
    return "_" + name[1:] if name.startswith(".") else name  # ".hidden" stores too


def backup_vecs(runner: Runner, rundir: RunDir,
                stores: Mapping[str, Sequence[VecsEntry]]) -> int:
    """Copy every certificate (from the listing) and private key (vecs-cli getkey).

    Returns the number of files written; raises VcfixError if a key cannot be read,
    because a change without a complete backup must not start.
    """
    written = 0
    keyed = [(store, e.alias) for store, entries in stores.items() for e in entries
             if e.entry_type == PRIVATE_KEY]
    with ThreadPoolExecutor(max_workers=8) as pool:  # one vecs-cli call per key
        keys = list(pool.map(lambda item: _getkey(runner, *item), keyed))
    for store, entries in stores.items():
        for entry in entries:
            if entry.pem:
                rundir.backup(backup_name(store, entry.alias, "crt"), entry.pem,
                              source=f"VECS {store}/{entry.alias} certificate")
                written += 1
    for (store, alias), key in zip(keyed, keys):
        rundir.backup(backup_name(store, alias, "key"), key,
                      source=f"VECS {store}/{alias} private key")
        written += 1
    return written


def _getkey(runner: Runner, store: str, alias: str) -> str:
    done = runner.run("vecs-cli", ["entry", "getkey", "--store", store, "--alias", alias],
                      sensitive=True)  # a private key is never quoted
    if "PRIVATE KEY" not in done.stdout:
        raise VcfixError(f"'{done.command}' printed no private key; nothing was changed, "
                         "because the backup would be incomplete")
    return done.stdout
