"""Choosing the transport once: this machine, or one appliance over SSH.

:func:`connected` is the one way commands get an :class:`Appliance`: local when no
target is given, else an SSH transport whose connection is authenticated and checked
(root's shell is bash) before anything is sent, and closed when the block ends, also
on Ctrl-C and errors.
"""

from __future__ import annotations

import contextlib
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
