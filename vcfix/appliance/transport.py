"""How vcfix reaches an appliance: the seam between "this machine" and "over SSH".

Everything that touches the appliance goes through one :class:`Transport`, chosen once
per target (:class:`LocalTransport` here, :class:`vcfix.appliance.ssh.transport.SshTransport`
for ``--host``): starting a vendor tool (:meth:`Transport.command` turns an appliance
command line into the local one that runs it), and reading, listing and writing the
appliance's files. Modules above :mod:`vcfix.appliance` never ask which one they have.

Paths given to a transport are absolute paths on the target (already under ``--root``).
File errors are :class:`OSError` with the usual ``errno`` on both transports, so callers
keep one ``except OSError`` and its ``strerror``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path
from typing import ContextManager, Dict, List, Mapping, Optional, Sequence, Tuple

from vcfix.appliance.environ import minimal_env
from vcfix.appliance.jobs import Job, JobHandle, launch_local

MAX_FILE = 4 * 1024 * 1024  # the largest appliance file vcfix reads whole (config, PEM)


class Transport:
    """The local appliance (vcfix runs on it). Subclasses reach another machine."""

    remote = False
    label = "this machine"  # for messages: "root@vc1.example.com" for a remote one

    def __init__(self) -> None:
        # (root, tool name) -> its path, found once per run: over SSH each look is a call
        self.tools: Dict[Tuple[str, str], Path] = {}

    def command(self, argv: Sequence[str], env: Optional[Mapping[str, str]] = None, *,
                cwd: Optional[str] = None, tty: bool = False) -> Tuple[List[str], Dict[str, str]]:
        """The local argv and environment that run ``argv`` on the appliance with the
        environment of :func:`minimal_env` plus ``env``. ``tty``: it needs a terminal (the
        caller spawns the local command on a pty). ``cwd`` is applied by the caller here;
        a remote transport changes directory on the target itself."""
        return [str(a) for a in argv], minimal_env(env)

    def local_cwd(self, cwd: Optional[str]) -> Optional[str]:
        """The working directory for the local process that runs :meth:`command`."""
        return cwd

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def is_file(self, path: str) -> bool:
        return os.path.isfile(path)

    def executable(self, path: str) -> bool:
        return os.path.isfile(path) and os.access(path, os.X_OK)

    def readable(self, path: str) -> bool:
        return os.access(path, os.R_OK)

    def realpath(self, path: str) -> str:
        return os.path.realpath(path)

    def read_bytes(self, path: str, limit: int = MAX_FILE) -> bytes:
        """A regular file of at most ``limit`` bytes (``OSError`` EFBIG beyond it)."""
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(22, "not a regular file", path)
            data = b""
            while len(data) <= limit:
                chunk = os.read(fd, limit + 1 - len(data))
                if not chunk:
                    break
                data += chunk
        finally:
            os.close(fd)
        if len(data) > limit:
            raise OSError(27, f"larger than {limit} bytes", path)
        return data

    def list_files(self, path: str) -> Dict[str, float]:
        """The regular files in the folder ``path`` (not followed when a link) with their
        modification times; {} when it is missing or not a folder."""
        found: Dict[str, float] = {}
        if os.path.islink(path) or not os.path.isdir(path):
            return found
        for entry in os.scandir(path):
            if entry.is_file(follow_symlinks=False):
                found[entry.name] = entry.stat(follow_symlinks=False).st_mtime
        return found

    def free_space(self, path: str) -> Tuple[int, int]:
        """(available, total) bytes of the file system holding ``path``."""
        info = os.statvfs(path)
        return info.f_bavail * info.f_frsize, info.f_blocks * info.f_frsize

    def put_files(self, folder: str, files: Mapping[str, bytes]) -> None:
        """Write ``files`` (name -> bytes, 0600) into ``folder`` (made 0700 if missing, never
        through a link); existing files of those names are replaced."""
        os.makedirs(folder, mode=0o700, exist_ok=True)
        for name, data in files.items():
            path = os.path.join(folder, name)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)

    def write_file(self, path: str, data: bytes, mode: int) -> None:
        """Replace the file at ``path`` (never through a link) with ``data``, mode ``mode``."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, mode)

    def remove_tree(self, folder: str) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def fix_lock(self, directory: Path, command: str) -> ContextManager[object]:
        """One fix at a time on the appliance: held for the block (see vcfix.appliance.lock)."""
        from vcfix.appliance.lock import FixLock

        return FixLock(directory, command)

    def secret_file(self, secret: str, folder: str = "/tmp") -> ContextManager[str]:  # noqa: S108
        """The path, on the appliance, of a 0600 file holding ``secret`` in a fresh 0700
        folder (in ``folder`` when remote; here the system's temporary folder), for a tool
        that reads a password from a file; removed when the block ends."""
        from vcfix.appliance.secretfile import password_file

        return password_file(secret)

    def launch_job(self, job_dir: str, argv: Sequence[str], *, pty: bool,
                   env: Optional[Mapping[str, str]] = None,
                   cwd: Optional[str] = None) -> JobHandle:
        """Start ``argv`` under a supervisor in the new folder ``job_dir`` so that it
        outlives vcfix, its terminal and its connection; return once it runs."""
        return launch_local(Path(job_dir), argv, pty=pty, env=env, cwd=cwd)

    def attach_job(self, job_dir: str) -> JobHandle:
        """A job started earlier (perhaps by another vcfix) in ``job_dir``."""
        job = Job(Path(job_dir), "")
        job.command = str(job.status().get("argv0") or Path(job_dir).name)
        return job

    def close(self) -> None:
        """Release what reaching the target holds (a connection). Idempotent."""


LOCAL = Transport()
