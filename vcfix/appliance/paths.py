"""Where things live on a VCSA, resolved under ``--root``.

Every vendor tool and file vcfix touches is named here by its real absolute path
on the appliance. :class:`Appliance` maps those paths under a root folder (``/``
on a real appliance, a lab folder in rehearsals and tests), so that the same code
serves both.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ContextManager, Dict, Tuple

from vcfix.appliance.transport import LOCAL, MAX_FILE, Transport
from vcfix.errors import VcfixError

ROOT_ENV = "VCFIX_ROOT"

# Vendor tools: name -> candidate absolute paths on the appliance, first found wins.
TOOLS: Dict[str, Tuple[str, ...]] = {
    "vecs-cli": ("/usr/lib/vmware-vmafd/bin/vecs-cli",),
    "vmafd-cli": ("/usr/lib/vmware-vmafd/bin/vmafd-cli",),
    "dir-cli": ("/usr/lib/vmware-vmafd/bin/dir-cli",),
    "certificate-manager": ("/usr/lib/vmware-vmca/bin/certificate-manager",),
    "certool": ("/usr/lib/vmware-vmca/bin/certool",),
    "service-control": ("/usr/bin/service-control",),
    "lwregshell": ("/opt/likewise/bin/lwregshell",),
    "ldapsearch": ("/opt/likewise/bin/ldapsearch", "/usr/bin/ldapsearch"),
    "ldapmodify": ("/opt/likewise/bin/ldapmodify", "/usr/bin/ldapmodify"),
    "vdcrepadmin": ("/usr/lib/vmware-vmdir/bin/vdcrepadmin",),
    "vdcadmintool": ("/usr/lib/vmware-vmdir/bin/vdcadmintool",),
    "lstool": (
        "/usr/lib/vmware-lookupsvc/tools/lstool.py",
        "/usr/lib/vmidentity/tools/scripts/lstool.py",
    ),
    "python": ("/usr/bin/python", "/usr/bin/python3"),  # runs lstool.py when not executable
    "psql": ("/opt/vmware/vpostgres/current/bin/psql",),
}

# Files: name -> absolute path on the appliance.
FILES: Dict[str, str] = {
    "node_type": "/etc/vmware/deployment.node.type",
    "update_conf": "/etc/applmgmt/appliance/update.conf",
    "cm_log": "/var/log/vmware/vmcad/certificate-manager.log",
    "fixsts_dir": "/tmp/vmware-fixsts",  # noqa: S108 - the vendor script's own path
    "fixsts_log": "/tmp/vmware-fixsts/fix_sts_cert.log",  # noqa: S108
    "fixsts_default": "/root/fixsts.sh",
    "state_dir": "/var/lib/vcfix",
    "lock_dir": "/run",  # the fix lock (see vcfix.appliance.lock)
    "vmca_root_cert": "/var/lib/vmware/vmca/root.cer",
    "vmca_root_key": "/var/lib/vmware/vmca/privatekey.pem",
}

NODE_TYPES = ("embedded", "infrastructure", "management")


def default_root() -> Path:
    return Path(os.environ.get(ROOT_ENV) or "/")


@dataclass(frozen=True)
class Appliance:
    """A VCSA file system seen under ``root``, reached through ``transport`` (this machine
    unless ``--host``): read its files with :meth:`read_bytes` / :meth:`read_text` /
    :meth:`exists`, never with ``open`` or ``Path.read_*`` (they would look here)."""

    root: Path
    transport: Transport = field(default=LOCAL, compare=False)

    def path(self, appliance_path: str) -> Path:
        """``appliance_path`` (absolute, as on a real VCSA) under the root."""
        return self.root / appliance_path.lstrip("/")

    def file(self, name: str) -> Path:
        return self.path(FILES[name])

    def tool(self, name: str) -> Path:
        """The first existing candidate path for a vendor tool.

        Raises :class:`VcfixError` naming every path tried when none exists.
        """
        known = self.transport.tools.get((str(self.root), name))
        if known is not None:
            return known
        candidates = [self.path(p) for p in TOOLS[name]]
        for candidate in candidates:
            if self.transport.exists(str(candidate)):
                if self.transport.remote:  # here a look is cheap and always current
                    self.transport.tools[(str(self.root), name)] = candidate
                return candidate
        tried = ", ".join(str(c) for c in candidates)
        raise VcfixError(
            f"{name} not found (looked at {tried})",
            hint=self._root_hint(),
        )

    def read_bytes(self, appliance_path: str, limit: int = MAX_FILE) -> bytes:
        """The file at ``appliance_path`` (under the root); ``OSError`` as ``open`` would."""
        return self.transport.read_bytes(str(self.path(appliance_path)), limit)

    def read_text(self, appliance_path: str, limit: int = MAX_FILE) -> str:
        return self.read_bytes(appliance_path, limit).decode("utf-8", "replace")

    def exists(self, appliance_path: str) -> bool:
        return self.transport.exists(str(self.path(appliance_path)))

    def is_file(self, appliance_path: str) -> bool:
        return self.transport.is_file(str(self.path(appliance_path)))

    def secret_file(self, secret: str) -> ContextManager[str]:
        """A short-lived private file holding ``secret`` for a tool that reads a password
        from a file (:meth:`Transport.secret_file`); over SSH in ``/tmp`` under the root."""
        return self.transport.secret_file(secret, str(self.path("/tmp")))  # noqa: S108

    @property
    def where(self) -> str:
        """The target in messages: "" here, " on root@vc1" over SSH."""
        return f" on {self.transport.label}" if self.transport.remote else ""

    def _root_hint(self) -> str | None:
        if self.transport.remote and str(self.root) == "/":
            return f"is {self.transport.label} a vCenter Server Appliance?"
        if str(self.root) == "/":
            return "is this a vCenter Server Appliance? Use --root to point at an appliance root."
        return f"is {self.root} an appliance root (for example one made by 'vcfix lab create')?"

    def node_type(self) -> str:
        path = self.file("node_type")
        try:
            value = self.read_text(FILES["node_type"]).strip()
        except OSError as exc:
            raise VcfixError(
                f"cannot read the node type from {path}: {exc.strerror}", hint=self._root_hint()
            ) from exc
        if value not in NODE_TYPES:
            raise VcfixError(f"{path} holds an unknown node type: {value!r}")
        return value

    def version(self) -> str:
        """The appliance build from update.conf, e.g. ``7.0.3.01400``."""
        path = self.file("update_conf")
        try:
            data = json.loads(self.read_text(FILES["update_conf"]))
        except OSError as exc:
            raise VcfixError(
                f"cannot read the version from {path}: {exc.strerror}", hint=self._root_hint()
            ) from exc
        except ValueError as exc:
            raise VcfixError(f"{path} is not valid JSON: {exc}") from exc
        version = data.get("version") if isinstance(data, dict) else None
        if not isinstance(version, str) or not version.strip():
            raise VcfixError(f"{path} has no 'version' key")
        return version.strip()
