"""Choosing the transport once: this machine, or one appliance over SSH.

:func:`connected` is the one way commands get an :class:`Appliance`: local when no
target is given, else an SSH transport whose connection is authenticated and checked
(root's shell is bash) before anything is sent, and closed when the block ends, also
on Ctrl-C and errors.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Iterator, Optional

from vcfix.appliance.paths import Appliance
from vcfix.appliance.ssh.target import Reach, Target


def open_appliance(root: Path, target: Optional[Target], reach: Reach) -> Appliance:
    """The appliance at ``root`` on ``target`` (this machine when None), connected.

    The caller closes it: ``appliance.transport.close()`` (or use :func:`connected`)."""
    if target is None:
        return Appliance(root)
    from vcfix.appliance.ssh.transport import SshTransport

    transport = SshTransport.open(target, reach)
    return Appliance(Path(root), transport)


@contextlib.contextmanager
def connected(root: Path, target: Optional[Target], reach: Reach) -> Iterator[Appliance]:
    appliance = open_appliance(root, target, reach)
    try:
        yield appliance
    finally:
        appliance.transport.close()


def state_dir_for(appliance: Appliance) -> Path:
    """Where ``vcfix fix`` keeps its run directories by default: on the appliance itself
    (``/var/lib/vcfix`` under the root), or, over SSH, on this machine under the user's
    state directory, one folder per host (``$XDG_STATE_HOME/vcfix/hosts/root@vc1``)."""
    if not appliance.transport.remote:
        return appliance.file("state_dir")
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    name = re.sub(r"[^A-Za-z0-9@._-]", "_", appliance.transport.label)
    root = str(appliance.root).strip("/")
    if root:  # a lab on that host: its own runs
        name += "-" + re.sub(r"[^A-Za-z0-9._-]", "_", root)[-80:]
    return Path(base) / "vcfix" / "hosts" / name
