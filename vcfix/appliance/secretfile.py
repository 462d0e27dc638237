"""Password files for vendor tools (``ldapsearch -y FILE``): private and short-lived.

Each file lives alone in a fresh 0700 directory (``mkdtemp``), is created with
``O_EXCL|O_NOFOLLOW`` mode 0600, and is removed when the call returns, at normal
exit (``atexit``) and on SIGHUP or SIGTERM (:func:`install_signal_cleanup`, which
removes what is left and then lets the signal end vcfix as it would have).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import tempfile
import threading
from types import FrameType
from typing import Callable, Iterator, List, Optional, Set

_LIVE: Set[str] = set()  # directories holding a password file right now
_GUARD = threading.Lock()
SIGNALS = (signal.SIGHUP, signal.SIGTERM)


@contextlib.contextmanager
def password_file(secret: str) -> Iterator[str]:
    """The path of a file holding ``secret`` (no trailing newline), removed afterwards."""
    directory = tempfile.mkdtemp(prefix="vcfix-")  # 0700, a name nobody could plant
    with _GUARD:
        _LIVE.add(directory)
    try:
        path = os.path.join(directory, "password")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, secret.encode("utf-8"))
        finally:
            os.close(fd)
        yield path
    finally:
        _remove(directory)


def _remove(directory: str) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    with _GUARD:
        _LIVE.discard(directory)


def remove_all() -> None:
    """Remove every password file still present."""
    for directory in list(_LIVE):
        _remove(directory)


def install_signal_cleanup() -> None:
    """On SIGHUP/SIGTERM (when nothing else handles them): remove the files, then die
    of the signal as before."""
    for sig in SIGNALS:
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _on_signal)


_ALSO: List[Callable[[], None]] = []  # other cleanups (the SSH masters)


def also_on_signal(cleanup: Callable[[], None]) -> None:
    """Run ``cleanup`` too when SIGHUP/SIGTERM ends vcfix (after the password files)."""
    _ALSO.append(cleanup)


def _on_signal(signum: int, frame: Optional[FrameType]) -> None:
    remove_all()
    for cleanup in _ALSO:
        cleanup()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(remove_all)
