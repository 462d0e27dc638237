"""The VMCA root's files in the lab: ``/var/lib/vmware/vmca/root.cer`` and ``privatekey.pem``.

On an appliance the VMCA service (vmcad) signs with the root in these two files and
reads them when it starts; certificate-manager option 8 writes new ones. The lab
keeps the root in ``state["vmca"]`` too (the fakes sign with it), so:
:func:`write` puts the state's root into the files (lab creation, option 8, its
rollback), and :func:`load` takes the files into the state when the fake
service-control starts vmcad (so a root put back by hand, or by ``vcfix restore``,
is the one used after a restart, as on an appliance).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from vcfix.lab import state as lab_state

CERT = "/var/lib/vmware/vmca/root.cer"
KEY = "/var/lib/vmware/vmca/privatekey.pem"
SERVICE = "vmcad"


def _path(root: Path, appliance_path: str) -> Path:
    return Path(root) / appliance_path.lstrip("/")


def write(root: Path, state: lab_state.State) -> None:
    """Write the state's VMCA root certificate (0644) and key (0600) to their files."""
    vmca = state.get("vmca") or {}
    for appliance_path, field, mode in ((CERT, "cert", 0o644), (KEY, "key", 0o600)):
        value = vmca.get(field)
        if not value:
            continue
        path = _path(root, appliance_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(str(value))
        os.chmod(path, mode)


def read(root: Path) -> Optional[lab_state.State]:
    """``{"cert", "key"}`` from the files, or None when either is missing."""
    try:
        cert = _path(root, CERT).read_text(encoding="ascii")
        key = _path(root, KEY).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    return {"cert": cert, "key": key}


def load(root: Path, state: lab_state.State) -> bool:
    """Take the files' root into ``state["vmca"]`` (vmcad starting); True if it changed."""
    found = read(root)
    if found is None or found == state.get("vmca"):
        return False
    state["vmca"] = found
    return True
