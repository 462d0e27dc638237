"""Helpers for remote-mode tests: the vcfix command line for a lab behind the test sshd."""

from __future__ import annotations

from pathlib import Path
from typing import List

from tests.remote.sshd import Sshd


def remote_args(server: Sshd, root: Path, target: str = "") -> List[str]:
    """Global options that put vcfix on ``root`` (a lab) over SSH."""
    return ["--host", target or server.target, "--ssh-config", str(server.ssh_config),
            "--root", str(root)]


def leftover_password_files(root: Path) -> List[Path]:
    """Password folders a remote call left in the lab's /tmp."""
    return sorted((root / "tmp").glob("vcfix-pw-*"))
