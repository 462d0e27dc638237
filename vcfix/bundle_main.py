"""Entry point of ``dist/vcfix.pyz`` (built by ``scripts/build-bundle`` with pex).

pex has already unpacked the bundle into its cache and scrubbed the interpreter's own
site-packages and ``PYTHONPATH`` from ``sys.path`` when this runs. Before handing over to the
normal command line it records that vcfix runs from the bundle and makes the cache private:
pex creates it with the umask's permissions, and a cache of code that root runs must be
neither writable nor listable by anyone else.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import Optional

from vcfix import install
from vcfix.cli import main as cli_main

#: Where scripts/build-bundle tells pex to unpack (``--runtime-pex-root``).
CACHE_DIR = "~/.cache/vcfix/pex"


def _private(path: str) -> Optional[str]:
    """Make ``path`` (a directory of ours) mode 0700; a problem is returned, not raised."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return f"cannot check the bundle cache {path}: {exc.strerror}"
    if not stat.S_ISDIR(info.st_mode):
        return f"the bundle cache {path} is not a directory"
    if info.st_uid != os.geteuid():
        return f"the bundle cache {path} belongs to uid {info.st_uid}, not to you"
    if stat.S_IMODE(info.st_mode) != 0o700:
        try:
            os.chmod(path, 0o700, follow_symlinks=False)
        except OSError as exc:
            return f"cannot make the bundle cache {path} private: {exc.strerror}"
    return None


def main() -> int:
    """Run vcfix from the bundle."""
    install.mark_bundle(os.environ.get("PEX", sys.argv[0]))
    pex_root = os.environ.get("PEX_ROOT") or os.path.expanduser(CACHE_DIR)
    ours = [pex_root]
    if os.path.basename(os.path.dirname(pex_root)) == "vcfix":  # ~/.cache/vcfix, ours too
        ours.insert(0, os.path.dirname(pex_root))
    for path in ours:
        problem = _private(path)
        if problem:
            print(f"vcfix: warning: {problem}", file=sys.stderr)
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
