"""Command lines for the appliance's shell (pure).

Everything sent over SSH is one POSIX ``sh`` command line built here from an argv,
each word quoted with :func:`shlex.quote`, so that nothing in a path or an argument is
ever interpreted by the remote shell. Secrets never appear here: they travel on stdin
or through a terminal prompt.

The environment of a remote tool: the appliance's own login environment (``/etc/profile``,
where a VCSA sets its ``VMWARE_*`` variables, read silently), ``LANG=C`` for parseable
output, ``TERM`` for tools on a terminal, and the lab's rehearsal hooks (``VCFIX_NOW``,
``VCFIX_LAB_LATENCY_MS``) when set here. Nothing else of ours crosses.
"""

from __future__ import annotations

import io
import os
import shlex
import tarfile
from typing import Dict, Mapping, Optional, Sequence

from vcfix.appliance.environ import REHEARSAL

PROBE = "echo vcfix-probe-$((40+2))"  # bash and sh print vcfix-probe-42; appliancesh not
PROBE_ANSWER = "vcfix-probe-42"
PROFILE = "[ -r /etc/profile ] && . /etc/profile >/dev/null 2>&1 </dev/null; "


def remote_env(extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    env = {"LANG": "C", "LC_ALL": "C"}
    env.update({k: os.environ[k] for k in REHEARSAL if os.environ.get(k)})
    for key, value in (extra or {}).items():
        if key.isidentifier():
            env[key] = value
    return env


def command_line(argv: Sequence[str], env: Optional[Mapping[str, str]] = None, *,
                 cwd: Optional[str] = None) -> str:
    """``argv`` as one remote shell command line, with :func:`remote_env` plus ``env``."""
    assignments = [f"{k}={shlex.quote(v)}" for k, v in sorted(remote_env(env).items())]
    words = " ".join(shlex.quote(str(a)) for a in argv)
    where = f"cd {shlex.quote(cwd)} && " if cwd else ""
    return f"{PROFILE}{where}exec env {' '.join(assignments)} {words}"


def script(body: str, *args: str) -> str:
    """Run the sh ``body`` with positional parameters ``args`` (all quoted)."""
    return " ".join(["sh", "-c", shlex.quote(body), "vcfix", *(shlex.quote(a) for a in args)])


# Reading a file: 3 missing, 4 not a regular file, 5 not readable; else its first N bytes.
READ = ('[ -e "$1" ] || [ -L "$1" ] || exit 3; [ -f "$1" ] || exit 4; [ -r "$1" ] || exit 5; '
        'exec head -c "$2" -- "$1"')
# The regular files of a folder (not followed when a link): "MTIME NAME\0" each.
LIST = ('[ -d "$1" ] && [ ! -L "$1" ] || exit 0; '
        'exec find "$1" -mindepth 1 -maxdepth 1 -type f -printf "%T@ %f\\0"')
FREE = 'exec df -P -k -- "$1"'
TEST = 'test "$1" "$2"'
REALPATH = 'exec readlink -f -- "$1"'
# Files from a tar on stdin into a private folder (made if missing, never a link).
PUT = ('umask 077; [ ! -L "$1" ] || exit 4; mkdir -p -m 700 -- "$1" && '
       'cd -- "$1" && exec tar -x -f - --no-same-owner --no-overwrite-dir')
# Replace a file (never through a link): a private temporary file, then rename.
WRITE = ('[ ! -L "$1" ] || exit 4; t="$1.vcfix-new"; rm -f -- "$t"; (umask 077; set -C; '
         'cat > "$t") && chmod "$2" -- "$t" && mv -f -- "$t" "$1"')
REMOVE = '[ ! -L "$1" ] && exec rm -rf -- "$1"'


def tar(files: Mapping[str, bytes]) -> bytes:
    """An uncompressed tar of plain 0600 files (names without folders)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(os.path.basename(name))
            info.size, info.mode = len(data), 0o600
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def ssh_env() -> Dict[str, str]:
    """The local ssh client's environment: ours minus anything secret (SSH_AUTH_SOCK and
    HOME for the agent and ~/.ssh; no DISPLAY, so no askpass window appears)."""
    keep = ("PATH", "HOME", "USER", "LOGNAME", "SSH_AUTH_SOCK", "TERM", "LANG", "LC_ALL",
            "TMPDIR")
    return {k: v for k, v in os.environ.items() if k in keep}
