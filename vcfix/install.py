"""How this copy of vcfix was installed: the one-file bundle or a Python package.

``vcfix --version`` says it, so a support engineer reading a transcript knows whether the
appliance's own Python ran ``vcfix.pyz`` or vcfix came from pip. The bundle's entry point
(:mod:`vcfix.bundle_main`) calls :func:`mark_bundle` before anything else runs.
"""

from __future__ import annotations

import platform
from typing import Optional

from vcfix import __version__

_bundle_path: Optional[str] = None


def mark_bundle(path: str) -> None:
    """Record that vcfix runs from the bundle file at ``path``."""
    global _bundle_path
    _bundle_path = path


def bundle_path() -> Optional[str]:
    """The bundle file vcfix runs from, or None when it was installed as a package."""
    return _bundle_path


def describe() -> str:
    """One line for ``--version``: version, how it was installed, and the Python running it."""
    how = f"bundle {_bundle_path}" if _bundle_path else "package"
    return f"vcfix {__version__} ({how}; Python {platform.python_version()})"
