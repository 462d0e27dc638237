"""Fake vendor tools for the lab.

Each fake is a module ``vcfix.lab.fakes.<module>`` with
``main(argv: Sequence[str], lab_root: Path) -> int`` decorated with
:func:`vcfix.lab.fakes.common.fake_tool`. :data:`FAKES` says where
``vcfix lab create`` installs each one (its real path on a VCSA); to add a fake,
write its module and add one line here.

This package must stay light: the fakes import it on every call.
"""

from __future__ import annotations

from typing import Dict, Tuple

# tool name -> (absolute path on the appliance, module under vcfix.lab.fakes)
FAKES: Dict[str, Tuple[str, str]] = {
    "vecs-cli": ("/usr/lib/vmware-vmafd/bin/vecs-cli", "vecs_cli"),
    "vmafd-cli": ("/usr/lib/vmware-vmafd/bin/vmafd-cli", "vmafd_cli"),
    "lwregshell": ("/opt/likewise/bin/lwregshell", "lwregshell"),
    "ldapsearch": ("/opt/likewise/bin/ldapsearch", "ldapsearch"),
    "service-control": ("/usr/bin/service-control", "service_control"),
}
