"""A restore over SSH: the files the vendor tools read are put on the appliance first.

The restore plan (:mod:`vcfix.fix.restore_plan`) names files of the run directory on the
jump host (``vecs-cli entry create --cert <run>/backup/...``, the LDIF for ldapmodify). On a
remote appliance :func:`staged` copies every such file into one private folder there
(``/var/lib/vcfix/restore/<run>/``, 0700, files 0600) and points the actions at the
copies; :func:`unstage` removes the folder (it holds private keys) however the restore
ends. On this machine both do nothing.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from vcfix.appliance.paths import Appliance
from vcfix.fix.restore_plan import Action


def staging(appliance: Appliance, run_dir: Path) -> Optional[Path]:
    if not appliance.transport.remote:
        return None
    return appliance.file("state_dir") / "restore" / run_dir.name


def staged(appliance: Appliance, actions: Sequence[Action], run_dir: Path) -> List[Action]:
    """``actions`` reading their files from the appliance's copy of them."""
    folder = staging(appliance, run_dir)
    if folder is None:
        return list(actions)
    files: Dict[str, bytes] = {}
    names: Dict[str, str] = {}  # local path -> its name in the staging folder

    def place(local: str, data: bytes) -> str:
        if local not in names:
            names[local] = f"{len(names) + 1:03d}-{Path(local).name}"
            files[names[local]] = data
        return str(folder / names[local])

    out = []
    for action in actions:
        written = {Path(place(str(p), text.encode("utf-8"))): text
                   for p, text in action.files.items()}
        args = []
        for arg in action.args:
            local = Path(arg)
            inside = str(local).startswith(str(run_dir) + "/")
            if inside and (local.is_file() or local in action.files):
                data = local.read_bytes() if local.is_file() else \
                    action.files[local].encode("utf-8")
                args.append(place(arg, data))
            else:
                args.append(arg)
        out.append(dataclasses.replace(action, args=args, files={}) if written or
                   args != action.args else action)
    if files:
        appliance.transport.put_files(str(folder), files)
    return out


def unstage(appliance: Appliance, run_dir: Path) -> None:
    folder = staging(appliance, run_dir)
    if folder is not None:
        appliance.transport.remove_tree(str(folder))
