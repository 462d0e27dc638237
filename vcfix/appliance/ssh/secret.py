"""A password file on a remote appliance that cannot outlive its use.

One SSH session creates a 0700 folder (``mktemp -d`` in /tmp under the root) with a
0600 file holding the secret, read from the session's stdin (never an argv, never an
environment), prints the folder, and then waits for its stdin to close: when the block
ends, when vcfix exits, or when the connection drops, the shell removes the folder
(``trap ... EXIT``).
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from vcfix.appliance.ssh import remote
from vcfix.appliance.ssh.session import Session, let_go
from vcfix.errors import VcfixError

HOLD = r'''
umask 077
[ -d "$1" ] || mkdir -p -m 700 -- "$1" || exit 1
d=$(mktemp -d "$1/vcfix-pw-XXXXXXXX") || exit 1
trap 'rm -rf "$d"' EXIT
trap 'exit 1' HUP TERM INT PIPE
IFS= read -r pw || exit 1
printf '%s' "$pw" > "$d/password" || exit 1
pw=
echo "$d/password"
cat >/dev/null
'''


@contextlib.contextmanager
def remote_secret_file(session: Session, secret: str, folder: str) -> Iterator[str]:
    if "\n" in secret or "\r" in secret or "\0" in secret:
        raise VcfixError("the password holds a line break: vcfix cannot hand it to the tool")
    proc = session.holder(remote.script(HOLD, folder))
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(secret.encode("utf-8") + b"\n")
        proc.stdin.flush()
        path = proc.stdout.readline().decode("utf-8", "replace").strip()
        if not path.startswith(folder.rstrip("/") + "/vcfix-pw-"):
            raise VcfixError(f"{session.label}: could not create a private password file "
                             f"(mktemp -d in {folder})")
        yield path
    finally:
        let_go(proc)
