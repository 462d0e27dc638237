"""What one node of an SSO domain sees: the input of the pre-upgrade rules.

A :class:`NodeSnapshot` is plain data, saved as JSON so that snapshots taken on
every node can be merged on one of them. ``None`` in a field means "could not be
determined" (``errors`` then says why); an empty list means "determined, and
empty". Resampling helpers decide which partners need a second look.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from vcfix.clock import iso, parse_instant
from vcfix.errors import VcfixError
from vcfix.preupgrade.parsers import Endpoint, PartnerStatus, Registration

FORMAT = "vcfix-preupgrade-snapshot/1"
_FORMAT_FAMILY = FORMAT.split("/")[0] + "/"


def host_key(host: str) -> str:
    """A host name for comparisons: case and a trailing dot do not matter."""
    return host.strip().rstrip(".").lower()


@dataclass(frozen=True)
class Partner:
    """One replication partner as this node sees it (see ``showpartnerstatus``)."""

    host: Optional[str]
    host_available: Optional[bool] = None
    status_available: Optional[bool] = None
    changes_behind: Optional[int] = None
    my_last_change: Optional[int] = None
    partner_seen_change: Optional[int] = None
    changes_behind_after: Optional[int] = None  # second sample; None = not resampled

    @property
    def attributable(self) -> bool:
        return self.host is not None

    @classmethod
    def from_status(cls, status: PartnerStatus) -> Partner:
        return cls(
            host=status.host,
            host_available=status.host_available,
            status_available=status.status_available,
            changes_behind=status.changes_behind,
            my_last_change=status.my_last_change,
            partner_seen_change=status.partner_seen_change,
        )


def partners_from_status(statuses: Sequence[PartnerStatus]) -> List[Partner]:
    return [Partner.from_status(s) for s in statuses]


def needs_resample(partners: Sequence[Partner]) -> List[str]:
    """Hosts of the partners that were behind (an all-zero check never waits)."""
    return [p.host for p in partners if p.host is not None and (p.changes_behind or 0) > 0]


def apply_resample(partners: Sequence[Partner], second_sample: Sequence[PartnerStatus]
                   ) -> List[Partner]:
    """Fill ``changes_behind_after`` from a second sample, only for partners that were behind.

    A partner missing from the second sample (or without a change count there)
    keeps ``None``: not resampled, which the rules treat as still behind.
    """
    later = {host_key(s.host): s for s in second_sample if s.host is not None}
    result: List[Partner] = []
    for partner in partners:
        if partner.host is not None and (partner.changes_behind or 0) > 0:
            again = later.get(host_key(partner.host))
            after = again.changes_behind if again is not None else None
            partner = dataclasses.replace(partner, changes_behind_after=after)
        result.append(partner)
    return result


@dataclass
class NodeSnapshot:
    host: str
    taken_at: dt.datetime
    version: Optional[str] = None  # update.conf build, e.g. 7.0.1.00100
    node_type: Optional[str] = None
    machine_id: Optional[str] = None
    site: Optional[str] = None
    vmdir_state: Optional[str] = None
    partners: Optional[List[Partner]] = None
    agreements: Optional[List[str]] = None  # showpartners hosts
    servers: Optional[List[str]] = None  # showservers hosts
    registrations: Optional[List[Registration]] = None
    errors: List[str] = field(default_factory=list)

    def to_json(self) -> Dict[str, Any]:
        return {
            "format": FORMAT,
            "host": self.host,
            "taken_at": iso(self.taken_at),
            "version": self.version,
            "node_type": self.node_type,
            "machine_id": self.machine_id,
            "site": self.site,
            "vmdir_state": self.vmdir_state,
            "partners": None if self.partners is None else [
                {**dataclasses.asdict(p), "attributable": p.attributable} for p in self.partners
            ],
            "agreements": self.agreements,
            "servers": self.servers,
            "registrations": None if self.registrations is None else [
                dataclasses.asdict(r) for r in self.registrations
            ],
            "errors": list(self.errors),
        }

    @classmethod
    def from_json(cls, data: object, source: str = "snapshot") -> NodeSnapshot:
        """Rebuild a snapshot; :class:`VcfixError` naming ``source`` when it is not one."""
        if not isinstance(data, dict) or not str(data.get("format", "")).startswith(
            _FORMAT_FAMILY
        ):
            raise VcfixError(f"{source} is not a vcfix pre-upgrade snapshot")
        if data["format"] != FORMAT:
            raise VcfixError(f"{source} has snapshot format {data['format']!r}; this vcfix "
                             f"reads {FORMAT!r} (use the same vcfix version on every node)")
        r = _Reader(source)
        host = r.text(data, "host")
        if host is None or not host.strip():
            raise VcfixError(f"{source}: 'host' is missing")
        taken = r.text(data, "taken_at")
        try:
            taken_at = parse_instant(taken or "")
        except ValueError as exc:
            raise VcfixError(f"{source}: 'taken_at' is not an ISO-8601 time") from exc
        partners = r.items(data, "partners")
        registrations = r.items(data, "registrations")
        errors = r.texts(data, "errors")
        return cls(
            host=host,
            taken_at=taken_at,
            version=r.text(data, "version"),
            node_type=r.text(data, "node_type"),
            machine_id=r.text(data, "machine_id"),
            site=r.text(data, "site"),
            vmdir_state=r.text(data, "vmdir_state"),
            partners=None if partners is None else [r.partner(p) for p in partners],
            agreements=r.texts(data, "agreements"),
            servers=r.texts(data, "servers"),
            registrations=None if registrations is None else [
                r.registration(x) for x in registrations
            ],
            errors=errors or [],
        )

    def save(self, path: Path) -> None:
        """Write the snapshot as JSON (atomically: a reader never sees half a file)."""
        # A new file of a random name (O_EXCL, 0600), then renamed over ``path``: a symlink
        # planted at ``path`` is replaced, never followed; no existing file is truncated.
        tmp = ""
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                       dir=str(path.absolute().parent))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(self.to_json(), indent=2) + "\n")
            os.replace(tmp, path)
        except OSError as exc:
            if tmp and os.path.lexists(tmp):
                os.unlink(tmp)
            raise VcfixError(f"cannot write snapshot {path}: {exc.strerror}") from exc

    @classmethod
    def load(cls, path: Path) -> NodeSnapshot:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise VcfixError(f"cannot read snapshot {path}: {exc.strerror}") from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise VcfixError(f"{path} is not a vcfix pre-upgrade snapshot (not JSON)") from exc
        return cls.from_json(data, str(path))


def load(path: Path) -> NodeSnapshot:
    return NodeSnapshot.load(path)


class _Reader:
    """Typed access to a decoded JSON snapshot; errors name the file and the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def _bad(self, key: str, expected: str) -> VcfixError:
        return VcfixError(f"{self.source}: '{key}' must be {expected}")

    def _get(self, data: Mapping[str, Any], key: str, kind: type, expected: str) -> Any:
        value = data.get(key)
        wrong_bool = isinstance(value, bool) and kind is not bool  # True is an int too
        if value is not None and (not isinstance(value, kind) or wrong_bool):
            raise self._bad(key, expected)
        return value

    def text(self, data: Mapping[str, Any], key: str) -> Optional[str]:
        return self._get(data, key, str, "a string or null")  # type: ignore[no-any-return]

    def flag(self, data: Mapping[str, Any], key: str) -> Optional[bool]:
        return self._get(data, key, bool, "true, false or null")  # type: ignore[no-any-return]

    def number(self, data: Mapping[str, Any], key: str) -> Optional[int]:
        return self._get(data, key, int, "an integer or null")  # type: ignore[no-any-return]

    def items(self, data: Mapping[str, Any], key: str) -> Optional[List[Dict[str, Any]]]:
        value = self._get(data, key, list, "a list or null")
        if value is not None and not all(isinstance(v, dict) for v in value):
            raise self._bad(key, "a list of objects")
        return value  # type: ignore[no-any-return]

    def texts(self, data: Mapping[str, Any], key: str) -> Optional[List[str]]:
        value = self._get(data, key, list, "a list or null")
        if value is not None and not all(isinstance(v, str) for v in value):
            raise self._bad(key, "a list of strings")
        return None if value is None else list(value)

    def mapping(self, data: Mapping[str, Any], key: str) -> Dict[str, str]:
        value = self._get(data, key, dict, "an object") or {}
        if not all(isinstance(v, str) for v in value.values()):
            raise self._bad(key, "an object of strings")
        return dict(value)

    def partner(self, data: Mapping[str, Any]) -> Partner:
        return Partner(
            host=self.text(data, "host"),
            host_available=self.flag(data, "host_available"),
            status_available=self.flag(data, "status_available"),
            changes_behind=self.number(data, "changes_behind"),
            my_last_change=self.number(data, "my_last_change"),
            partner_seen_change=self.number(data, "partner_seen_change"),
            changes_behind_after=self.number(data, "changes_behind_after"),
        )

    def registration(self, data: Mapping[str, Any]) -> Registration:
        keys = [f.name for f in dataclasses.fields(Registration)
                if f.name not in ("endpoints", "attributes")]
        endpoints = tuple(
            Endpoint(**{k: self.text(e, k) or "" for k in ("type", "protocol", "url",
                                                            "ssl_trust")},
                     attributes=self.mapping(e, "attributes"))
            for e in self.items(data, "endpoints") or []
        )
        return Registration(
            **{k: self.text(data, k) or "" for k in keys},
            endpoints=endpoints,
            attributes=self.mapping(data, "attributes"),
        )
