"""Creating vcfix's own files and folders so that nobody else can bend them.

vcfix runs as root; a folder another user can write to, or a symlink planted where
vcfix will write, would let that user truncate a file or receive a private key.
:func:`private_dir` makes (or accepts) a folder only this user controls, 0700
whatever the umask; :func:`check_ancestors` refuses a path whose existing parents
someone else could change; :func:`create_private` opens a new file with
``O_EXCL|O_NOFOLLOW`` (never an existing file, never through a symlink).
Every refusal is a :class:`VcfixError` (exit 2) saying why.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable, List

from vcfix.errors import EXIT_USAGE, VcfixError

NOFOLLOW = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _refuse(what: str, path: Path, why: str) -> VcfixError:
    return VcfixError(f"{what} {path}: {why}; vcfix refuses it", exit_code=EXIT_USAGE,
                      hint="choose a folder owned by this user that no one else can write "
                      "to (--state-dir DIR)" if what == "state directory" else None)


def check_ancestors(path: Path, what: str) -> None:
    """Every existing parent of ``path`` belongs to root or to us and, when others may
    write to it, has the sticky bit (as /tmp does)."""
    me = os.geteuid()
    for parent in reversed(Path(os.path.abspath(path)).parents):
        try:
            info = os.stat(parent)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise _refuse(what, path, f"cannot check {parent}: {exc.strerror}") from None
        if info.st_uid not in (0, me):
            raise _refuse(what, path, f"its parent {parent} belongs to another user "
                          f"(uid {info.st_uid})")
        if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:
            raise _refuse(what, path, f"its parent {parent} can be written to by others "
                          f"(mode {info.st_mode & 0o777:04o})")


def private_dir(path: Path, what: str = "state directory") -> Path:
    """Create ``path`` (and missing parents) 0700, or accept it when it is a real folder
    of ours that no one else can write to."""
    path = Path(os.path.abspath(path))
    check_ancestors(path, what)
    missing: List[Path] = []
    probe = path
    while not os.path.lexists(probe):
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | NOFOLLOW)
            try:
                os.fchmod(fd, 0o700)  # whatever the umask
            finally:
                os.close(fd)
        except FileExistsError:
            pass  # made meanwhile: checked below like any existing folder
        except OSError as exc:
            raise _refuse(what, path, f"cannot create {folder}: {exc.strerror}") from None
    check_dir(path, what)
    return path


def check_dir(path: Path, what: str) -> None:
    """``path`` is a folder (not a symlink) of ours, writable by us, not by others."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | NOFOLLOW)
    except OSError as exc:
        why = ("it is a symbolic link" if os.path.islink(path) else
               "it is not a folder" if os.path.lexists(path) else exc.strerror or str(exc))
        raise _refuse(what, path, why) from None
    try:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid():
            raise _refuse(what, path, f"it belongs to another user (uid {info.st_uid})")
        if info.st_mode & 0o022:
            raise _refuse(what, path, "it can be written to by others "
                          f"(mode {info.st_mode & 0o777:04o})")
        if not os.access(path, os.W_OK):
            raise _refuse(what, path, "it is not writable by this user")
    finally:
        os.close(fd)


def create_private(path: Path, mode: int = 0o600) -> int:
    """A new file at ``path`` opened for writing; fails if anything (a symlink, a file)
    is already there."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, mode)


def read_small_file(path: str, limit: int, what: str, refuse: Callable[[str], VcfixError],
                    *, private: bool = False) -> str:
    """The UTF-8 text of ``what`` at ``path``: a regular file of at most ``limit`` bytes,
    opened without blocking (a FIFO or a device is refused, never waited on) and never read
    past ``limit``; ``private``: refused when group or others may read it. Each problem is
    ``refuse(message)``, the message naming ``what`` and ``path``."""
    size = f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise refuse(f"cannot read {what} {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise refuse(f"{what} {path} is not a regular file")
        if info.st_size > limit:
            raise refuse(f"{what} {path} is larger than {size}")
        if private and info.st_mode & 0o044:
            raise refuse(f"{what} {path} is readable by others (mode "
                         f"{info.st_mode & 0o777:04o}): run 'chmod 600 {path}'")
        raw = b""
        while len(raw) <= limit:  # a file that grows while read is cut at limit + 1
            chunk = os.read(fd, limit + 1 - len(raw))
            if not chunk:
                break
            raw += chunk
    except OSError as exc:
        raise refuse(f"cannot read {what} {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise refuse(f"{what} {path} is larger than {size}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse(f"{what} {path} is not UTF-8 text") from None
