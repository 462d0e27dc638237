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
    "ldapmodify": ("/opt/likewise/bin/ldapmodify", "ldapmodify"),
    "service-control": ("/usr/bin/service-control", "service_control"),
    "certificate-manager": ("/usr/lib/vmware-vmca/bin/certificate-manager",
                            "certificate_manager"),
    "vdcrepadmin": ("/usr/lib/vmware-vmdir/bin/vdcrepadmin", "vdcrepadmin"),
    "vdcadmintool": ("/usr/lib/vmware-vmdir/bin/vdcadmintool", "vdcadmintool"),
    "dir-cli": ("/usr/lib/vmware-vmafd/bin/dir-cli", "dir_cli"),
    "lstool": ("/usr/lib/vmware-lookupsvc/tools/lstool.py", "lstool"),
    "certool": ("/usr/lib/vmware-vmca/bin/certool", "certool"),
    "psql": ("/opt/vmware/vpostgres/current/bin/psql", "psql"),
}

# Fakes installed elsewhere on some releases: tool -> ((release prefix, path), ...).
RELEASE_PATHS: Dict[str, Tuple[Tuple[str, str], ...]] = {
    "lstool": (("6.", "/usr/lib/vmidentity/tools/scripts/lstool.py"),),
}


def fake_path(tool: str, release: str) -> str:
    """Where fake ``tool`` lives on an appliance of ``release`` (e.g. ``6.7``)."""
    for prefix, path in RELEASE_PATHS.get(tool, ()):
        if release.startswith(prefix):
            return path
    return FAKES[tool][0]
