"""The installed package must carry every sub-package and the playbooks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is Python 3.11+")
def test_every_package_is_listed_in_pyproject() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "vcfix").rglob("__init__.py")
    }
    assert on_disk | {"vcfix.playbooks"} == listed
    assert config["package-dir"]["vcfix.playbooks"] == "playbooks"
    assert "*.yaml" in config["package-data"]["vcfix.playbooks"]


def test_playbooks_load_from_the_package_resources() -> None:
    from vcfix.fix.dialog import playbook

    for name in playbook.NAMES:
        assert playbook.load(name).id == name
