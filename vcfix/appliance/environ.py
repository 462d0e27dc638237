"""The environment a vendor tool is started with: a short allow-list, never a secret."""

from __future__ import annotations

import os
from typing import Dict, Mapping, Optional

ENV_KEEP = ("PATH", "LANG", "LC_ALL", "TERM", "HOME",
            "VCFIX_NOW", "VCFIX_LAB_LATENCY_MS")  # the last two: rehearsal hooks, no secret
REHEARSAL = ("VCFIX_NOW", "VCFIX_LAB_LATENCY_MS")  # also passed to a remote lab


def minimal_env(extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The environment a vendor tool gets: PATH, LANG/LC_ALL, TERM, HOME and VMWARE_*
    from ours (and the lab's clock/latency hooks), plus ``extra``. Nothing else: no
    VCFIX_SSO_PASSWORD, no token of the operator's shell."""
    env = {k: v for k, v in os.environ.items() if k in ENV_KEEP or k.startswith("VMWARE_")}
    env.setdefault("PATH", os.defpath)
    env.update(extra or {})
    return env
