"""The SSH transport (being written: see issue 13)."""

from __future__ import annotations

from vcfix.appliance.ssh.target import Reach, Target
from vcfix.appliance.transport import Transport
from vcfix.errors import VcfixError


class SshTransport(Transport):
    remote = True

    @classmethod
    def open(cls, target: Target, reach: Reach) -> SshTransport:
        raise VcfixError(f"{target}: remote mode is not available yet")
