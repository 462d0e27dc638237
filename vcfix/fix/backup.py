"""The backup taken before the first change: complete, or the run does not start.

certificate-manager keeps only its last operation in BACKUP_STORE (option 7 reverts
just that); vcfix keeps its own copy in the run's ``backup/`` folder (0700, files
0600): every certificate and private key of every VECS store listed by the diagnosis
(TRUSTED_ROOT_CRLS only when the plan cleans it, in one file: :mod:`vcfix.fix.crl_backup`;
secret keys cannot be exported and are counted apart), the VMCA root certificate and key
before option 8, and
fixsts.sh's LDIF exports after each sts step (see :mod:`vcfix.fix.sts_step`).

File names are unique and reversible whatever the store or alias (:func:`encode`);
``manifest.json`` maps each file to what it holds, with its SHA-256
(:meth:`vcfix.fix.rundir.RunDir.backup`). ``vcfix restore`` and docs/restore.md use it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import List, Mapping, Sequence
from urllib.parse import unquote

from vcfix.appliance.parsers.vecs import PRIVATE_KEY, SECRET_KEY, VecsEntry
from vcfix.appliance.paths import FILES, Appliance
from vcfix.appliance.runner import Runner
from vcfix.errors import VcfixError
from vcfix.fix.crl_backup import backup_crls
from vcfix.fix.rundir import RunDir

_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
VMCA_FILES = (("vmca_root_cert", "vmca-root.cer", "vmca-cert"),
              ("vmca_root_key", "vmca-privatekey.pem", "vmca-key"))


def encode(text: str) -> str:
    """``text`` with every byte outside ``[A-Za-z0-9_-]`` as ``%XX``: no dot, no slash,
    so ``a/b``, ``a_b``, ``.hidden`` and ``x y`` give distinct, safe names."""
    return "".join(chr(b) if chr(b) in _SAFE else f"%{b:02X}" for b in text.encode("utf-8"))


def decode(name: str) -> str:
    return unquote(name, errors="strict")


def backup_name(store: str, alias: str, kind: str) -> str:
    """``vecs.<store>.<alias>.crt|key`` (store and alias encoded)."""
    return f"vecs.{encode(store)}.{encode(alias)}.{kind}"


@dataclass
class VecsBackup:
    certificates: int = 0
    keys: int = 0
    entries: int = 0  # entries with a certificate or key saved
    secret_keys: List[str] = field(default_factory=list)  # "store/alias", not exportable
    stores: int = 0

    def message(self) -> str:
        text = (f"Backed up {self.entries} VECS entries from {self.stores} stores "
                f"({self.certificates} certificates, {self.keys} private keys)")
        if self.secret_keys:
            text += (f"; {len(self.secret_keys)} secret key entries cannot be exported and "
                     f"no step changes them ({', '.join(self.secret_keys)})")
        return text


def backup_vecs(runner: Runner, rundir: RunDir,
                stores: Mapping[str, Sequence[VecsEntry]]) -> VecsBackup:
    """Copy every certificate (from the listing) and private key (vecs-cli getkey).

    Raises VcfixError if a key cannot be read: a change without a complete backup
    must not start.
    """
    done = VecsBackup(stores=len(stores))
    keyed = [(store, e.alias) for store, entries in stores.items() for e in entries
             if e.entry_type == PRIVATE_KEY]
    with ThreadPoolExecutor(max_workers=8) as pool:  # one vecs-cli call per key
        keys = dict(zip(keyed, pool.map(lambda item: _getkey(runner, *item), keyed)))
    for store, entries in stores.items():
        for entry in entries:
            meta = {"store": store, "alias": entry.alias, "entry_type": entry.entry_type}
            saved = False
            if entry.pem:
                rundir.backup(backup_name(store, entry.alias, "crt"), entry.pem,
                              source=f"VECS {store}/{entry.alias} certificate",
                              kind="vecs-cert", **meta)
                done.certificates += 1
                saved = True
            if (store, entry.alias) in keys:
                rundir.backup(backup_name(store, entry.alias, "key"), keys[store, entry.alias],
                              source=f"VECS {store}/{entry.alias} private key",
                              kind="vecs-key", **meta)
                done.keys += 1
                saved = True
            if saved:
                done.entries += 1
            elif entry.entry_type == SECRET_KEY:
                done.secret_keys.append(f"{store}/{entry.alias}")
            else:
                raise VcfixError(f"VECS {store}/{entry.alias} ({entry.entry_type}) showed no "
                                 "certificate; nothing was changed, because the backup would "
                                 "be incomplete")
    return done


def backup_vmca_root(appliance: Appliance, rundir: RunDir) -> int:
    """Copy the VMCA root certificate and key (before option 8 replaces them)."""
    for file_key, name, kind in VMCA_FILES:
        path = appliance.file(file_key)
        try:
            data = appliance.read_bytes(FILES[file_key])
        except OSError as exc:
            raise VcfixError(f"cannot read {path} ({exc.strerror}); nothing was changed, "
                             "because option 8 replaces the VMCA root and the backup would "
                             "be incomplete") from exc
        rundir.backup(name, data, source=f"VMCA root file {FILES[file_key]}", kind=kind,
                      path=FILES[file_key])
    return len(VMCA_FILES)


def _getkey(runner: Runner, store: str, alias: str) -> str:
    try:
        done = runner.run("vecs-cli", ["entry", "getkey", "--store", store, "--alias", alias],
                          sensitive=True)  # a private key is never quoted
    except VcfixError as exc:
        raise VcfixError(f"{exc.message}; nothing was changed, because the backup would be "
                         "incomplete", details=exc.details, hint=exc.hint) from exc
    if "PRIVATE KEY" not in done.stdout:
        raise VcfixError(f"'{done.command}' printed no private key; nothing was changed, "
                         "because the backup would be incomplete")
    return done.stdout


def backup_before_change(runner: Runner, appliance: Appliance, rundir: RunDir,
                         stores: Mapping[str, Sequence[VecsEntry]], unread: Sequence[str],
                         *, vmca_root: bool, crls: bool = False) -> str:
    """The whole backup before the first change; returns the message for the operator.

    Raises VcfixError (nothing changed) when a store could not be listed, a key or the
    VMCA root cannot be read: the backup would be incomplete.
    """
    missing = [s for s in unread if s != "VMDIR"]
    if missing:
        raise VcfixError(f"VECS stores {', '.join(missing)} could not be listed; nothing was "
                         "changed, because the backup would be incomplete")
    rundir.header("backup before the first change")
    vecs = backup_vecs(runner, rundir, stores)
    vmca = backup_vmca_root(appliance, rundir) if vmca_root else 0
    inventory = {store: [e.alias for e in entries] for store, entries in stores.items()}
    extra = {"crls": backup_crls(runner, rundir)} if crls else {}
    rundir.backup_complete(vecs_entries=vecs.entries, certificates=vecs.certificates,
                           keys=vecs.keys, stores=vecs.stores, vmca_files=vmca,
                           inventory=inventory, **extra)
    rundir.event("backup", vecs_entries=vecs.entries, certificates=vecs.certificates,
                 keys=vecs.keys, stores=vecs.stores, secret_keys=vecs.secret_keys,
                 vmca_files=vmca)
    text = vecs.message()
    if crls:
        text += f"; {extra['crls']} CRLs of TRUSTED_ROOT_CRLS"
    if vmca:
        text += "; and the VMCA root certificate and key"
    return f"{text}, to {rundir.path / 'backup'}"
