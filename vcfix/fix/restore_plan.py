"""What ``vcfix restore`` does, decided from a verified backup and the appliance as it is now.

Pure: every change is an :class:`Action` that says what it does and the exact command
(the same lines as docs/restore.md). Only what differs from the backup is put back:

- ``vecs``: an entry whose certificate differs from the backup, or that is gone, is
  deleted (if there) and created again from the backed-up certificate and key; an
  entry the run added (not listed before it) is deleted; TRUSTED_ROOTS entries put
  back are published to VMDIR again (``dir-cli trustedcert publish``), those removed are
  unpublished. dir-cli asks the SSO administrator password on its terminal.
- ``sts``: the current TenantCredential/TrustedCertChain entries are deleted and those
  exported by the run's first fixsts.sh added back, in one ``ldapmodify`` bound as the
  machine account (its password in a root-only file, ``-y``).
- ``vmca``: the VMCA root certificate and key files copied back.
- ``vcdb``: the ``vpx_ext`` thumbprints the run's first extension-thumbprints step saved,
  put back in one transaction (``psql``, the SQL on its standard input).

``TRUSTED_ROOT_CRLS`` is skipped by the per-entry comparison (its entries are not in the
inventory, and a store of thousands is not listed with its PEMs again): when the run's
backup holds its CRLs (a ``clean-crls`` run, one ``vecs-crls`` file), :func:`plan_crls`
puts back, as part of ``vecs``, every CRL that is gone.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from vcfix.appliance.parsers.ldif import parse_ldif
from vcfix.appliance.parsers.vecs import VecsEntry
from vcfix.diagnose.extensions import CHECK, PSQL_ARGS, update_sql
from vcfix.errors import VcfixError
from vcfix.fix.restore_backup import Backup

PARTS = ("vecs", "sts", "vmca", "vcdb")
VCDB_KIND = "vcdb-rows"  # backup/step<N>-vcdb.vpx_ext.json (vcfix.fix.ext_step)
SKIP_STORES = ("TRUSTED_ROOT_CRLS",)  # see plan_crls
CRL_KIND = "vecs-crls"
TRUSTED_ROOTS = "TRUSTED_ROOTS"
PWFILE = "PASSWORD_FILE"  # replaced by a root-only temporary file when it runs


@dataclass
class Action:
    part: str
    what: str
    tool: str = ""  # vendor tool; "" for a file vcfix copies itself
    args: List[str] = field(default_factory=list)
    credential: str = ""  # "sso": dir-cli asks it on its terminal; "machine": -y PWFILE
    copy: Optional[Tuple[Path, str, int]] = None  # backup file, appliance path, mode
    files: Dict[Path, str] = field(default_factory=dict)  # written before it runs
    stdin: str = ""  # given to the tool on its standard input (psql's SQL)

    def shown(self) -> str:
        if self.copy:
            source, target, mode = self.copy
            return f"install -m {mode:o} {source} {target}"
        return " ".join([self.tool, *(_quote(a) for a in self.args)])


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


def _same(a: Optional[str], b: str) -> bool:
    return a is not None and re.sub(r"\s", "", a) == re.sub(r"\s", "", b)


def plan_vecs(backup: Backup, current: Mapping[str, Sequence[VecsEntry]], sso_user: str,
              workdir: Path) -> List[Action]:
    actions: List[Action] = []
    publish = ["--login", sso_user]
    for store, aliases in backup.inventory.items():
        if store in SKIP_STORES:
            continue
        now = {e.alias: e for e in current.get(store, [])}
        if store not in current and any(backup.vecs_file(store, a, "vecs-cert") for a in aliases):
            actions.append(Action("vecs", f"create the VECS store {store}", "vecs-cli",
                                  ["store", "create", "--name", store]))
        for alias in aliases:
            cert = backup.vecs_file(store, alias, "vecs-cert")
            if cert is None:
                continue  # a secret key: never exported, never changed
            pem = backup.path(cert).read_text(encoding="ascii")
            if _same(now[alias].pem if alias in now else None, pem):
                continue
            key = backup.vecs_file(store, alias, "vecs-key")
            if alias in now:
                actions.append(_delete(store, alias, "it differs from the backup"))
            args = ["entry", "create", "--store", store, "--alias", alias,
                    "--cert", str(backup.path(cert))]
            if key is not None:
                args += ["--key", str(backup.path(key))]
            actions.append(Action("vecs", f"put back {store}/{alias} from the backup",
                                  "vecs-cli", args))
            if store == TRUSTED_ROOTS:
                actions.append(Action("vecs", f"publish {alias} to VMDIR again", "dir-cli",
                                      ["trustedcert", "publish", "--cert",
                                       str(backup.path(cert)), *publish], credential="sso"))
    for store, entries in current.items():
        if store in SKIP_STORES:
            continue
        before = set(backup.inventory.get(store, []))
        for entry in entries:
            if entry.alias in before:
                continue
            actions.append(_delete(store, entry.alias, "the run added it"))
            if store == TRUSTED_ROOTS and entry.pem:
                path = workdir / f"unpublish-{len(actions)}.crt"
                actions.append(Action("vecs", f"unpublish {entry.alias} from VMDIR", "dir-cli",
                                      ["trustedcert", "unpublish", "--cert", str(path),
                                       *publish], credential="sso", files={path: entry.pem}))
    return actions


def plan_crls(backup: Backup, current: Sequence[str], workdir: Path) -> List[Action]:
    """``current``: the aliases of TRUSTED_ROOT_CRLS now. Every CRL of the backup that is
    gone is created again from its PEM (written to ``workdir`` first)."""
    actions: List[Action] = []
    there = set(current)
    for item in backup.of_kind(CRL_KIND):
        data = json.loads(backup.path(item).read_text(encoding="utf-8"))
        store = str(data.get("store") or SKIP_STORES[0])
        for number, entry in enumerate(data.get("entries") or [], 1):
            alias, pem = str(entry.get("alias", "")), str(entry.get("pem") or "")
            if not alias or not pem or alias in there:
                continue
            path = workdir / f"crl-{number}.pem"
            actions.append(Action("vecs", f"put back the CRL {store}/{alias}", "vecs-cli",
                                  ["entry", "create", "--store", store, "--alias", alias,
                                   "--cert", str(path)], files={path: pem}))
    return actions


def _delete(store: str, alias: str, why: str) -> Action:
    return Action("vecs", f"delete {store}/{alias} ({why})", "vecs-cli",
                  ["entry", "delete", "--store", store, "--alias", alias, "-y"])


def sts_dn(cn: str, kind: str, domain: str) -> str:
    base = ",".join(f"dc={p}" for p in domain.split(".") if p)
    tenant = f"cn={domain},cn=Tenants,cn=IdentityManager,cn=Services,{base}"
    return f"cn={cn},cn=TrustedCertificateChains,{tenant}" if kind == "trusted-chain" \
        else f"cn={cn},{tenant}"


def plan_sts(backup: Backup, current: Sequence[Tuple[str, str, List[bytes]]], domain: str,
             machine_dn: str, ldif_path: Path) -> List[Action]:
    """``current``: (cn, kind, certificates as DER) of the STS entries now in VMDIR."""
    exports = backup.of_kind("sts-ldif")
    if not exports:
        return []
    first = min(int(e.get("step", 0)) for e in exports)
    texts = [backup.path(e).read_text(encoding="utf-8") for e in exports
             if int(e.get("step", 0)) == first]
    saved = {(_cn(e.dn), tuple(_der(v) for v in e.values("userCertificate")))
             for text in texts for e in parse_ldif(text, "fixsts.sh export")}
    if saved == {(cn, tuple(certs)) for cn, _kind, certs in current}:
        return []
    changes = [f"dn: {sts_dn(cn, kind, domain)}\nchangetype: delete\n" for cn, kind, _ in current]
    changes += [_as_add(record) for text in texts for record in _blocks(text)]
    return [Action("sts", f"replace the STS entries in VMDIR by those fixsts.sh exported in step "
                   f"{first} ({len(saved)} entries)", "ldapmodify",
                   ["-x", "-H", "ldap://localhost:389", "-D", machine_dn, "-y", PWFILE,
                    "-f", str(ldif_path)], credential="machine",
                   files={ldif_path: "\n".join(changes)})]


def _cn(dn: str) -> str:
    return dn.split(",", 1)[0].partition("=")[2].strip()


def _der(value: Any) -> bytes:
    return value if isinstance(value, bytes) else base64.b64decode(str(value))


def _blocks(text: str) -> List[List[str]]:
    blocks, lines = [], []
    for line in text.replace("\r\n", "\n").split("\n") + [""]:
        if line.strip():
            if not line.startswith("#") and not line.startswith("version:"):
                lines.append(line)
        elif lines:
            blocks.append(lines)
            lines = []
    return [b for b in blocks if b[0].lower().startswith("dn:")]


def _as_add(lines: List[str]) -> str:
    end = 1
    while end < len(lines) and lines[end].startswith(" "):
        end += 1
    body = [ln for ln in lines[end:] if not ln.lower().startswith("changetype:")]
    return "\n".join([*lines[:end], "changetype: add", *body]) + "\n"


def plan_vmca(backup: Backup, current: Mapping[str, Optional[bytes]]) -> List[Action]:
    """``current``: appliance path -> the file's bytes now (None when missing)."""
    actions = []
    for entry in backup.of_kind("vmca-cert", "vmca-key"):
        target = str(entry["path"])
        if current.get(target) == backup.path(entry).read_bytes():
            continue
        mode = 0o600 if entry["kind"] == "vmca-key" else 0o644
        actions.append(Action("vmca", f"put back {target}", copy=(backup.path(entry),
                                                                   target, mode)))
    return actions


def plan_vcdb(backup: Backup, current: Mapping[str, str]) -> List[Action]:
    """``current``: ext_id -> thumbprint in VCDB now. The rows the run's first
    extension-thumbprints step saved that differ now, put back in one transaction."""
    saved = backup.of_kind(VCDB_KIND)
    if not saved:
        return []
    first = min(saved, key=lambda e: int(e.get("step", 0)))
    try:
        data = json.loads(backup.path(first).read_text(encoding="utf-8"))
        rows = [(str(r["ext_id"]), str(r["thumbprint"])) for r in data["rows"]]
        changes = [(ext_id, tp) for ext_id, tp in rows if current.get(ext_id) != tp]
        sql = update_sql(changes) if changes else ""
    except (ValueError, KeyError, TypeError) as exc:
        raise VcfixError(f"{first.get('file')} in the backup does not hold vpx_ext rows vcfix "
                         f"can put back ({exc}); nothing was changed",
                         hint="restore the other parts with --steps vecs,sts,vmca and put the "
                         "rows back by hand (docs/restore.md)") from exc
    if not changes:
        return []
    return [Action("vcdb", "put back the thumbprints VCDB (vpx_ext) held for "
                   f"{', '.join(i for i, _ in changes)} (one transaction; vpxd restarts with "
                   "every service)", "psql", list(PSQL_ARGS), stdin=sql)]


def registration_set(diagnosis: Mapping[str, Any]) -> Set[Tuple[str, str]]:
    """(ext_id, thumbprint) of the extension check of a ``diagnose --json`` document."""
    check = (diagnosis.get("checks") or {}).get(CHECK) or {}
    return {(str(e.get("ext_id")), str(e.get("thumbprint")))
            for e in check.get("extensions") or []}


def certificate_set(diagnosis: Mapping[str, Any]) -> Set[Tuple[str, str, str]]:
    """(id, thumbprint, serial) of every certificate of a ``diagnose --json`` document
    (serial empty when an older vcfix wrote it)."""
    items = list(diagnosis.get("certificates") or []) + list(diagnosis.get("sts") or [])
    return {(str(c.get("id")), str(c.get("sha1")), str(c.get("serial", ""))) for c in items}


def crl_difference(before: Mapping[str, Any], after: Mapping[str, Any]) -> List[str]:
    """The CRL count of ``checks.crls`` when it differs (documents without it: nothing)."""
    counts = [((doc.get("checks") or {}).get("crls") or {}).get("count")
              for doc in (before, after)]
    if all(isinstance(c, int) for c in counts) and counts[0] != counts[1]:
        return [f"TRUSTED_ROOT_CRLS holds {counts[1]} CRLs, {counts[0]} before the run"]
    return []


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> List[str]:
    was, now = certificate_set(before), certificate_set(after)
    if not any(serial for _i, _t, serial in was):  # written without serials: compare the rest
        now = {(i, t, "") for i, t, _s in now}
    lines = ([f"missing: {i} (sha1 {t}, serial {s or '?'})" for i, t, s in sorted(was - now)]
             + [f"not there before: {i} (sha1 {t}, serial {s})" for i, t, s in sorted(now - was)])
    old, new = registration_set(before), registration_set(after)
    if old and new:  # both read (an older vcfix, or psql failing, leaves it out)
        lines += [f"VCDB vpx_ext: {i} was registered with {t}" for i, t in sorted(old - new)]
        lines += [f"VCDB vpx_ext: {i} is now registered with {t}" for i, t in sorted(new - old)]
    return lines
