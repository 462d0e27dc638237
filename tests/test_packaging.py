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


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is Python 3.11+")
def test_it_installs_on_the_appliances_python_37() -> None:
    """The lower bounds are releases that still support 3.7 (scripts/test-lower-bounds runs
    the suite with exactly these)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.7"
    assert sorted(project["dependencies"]) == sorted([
        "pexpect>=4.9", "questionary>=1.10", "prompt_toolkit>=3.0.48",
        "cryptography>=45.0.7", "PyYAML>=6.0.1"])


def test_version_says_how_vcfix_was_installed(capsys: pytest.CaptureFixture[str]) -> None:
    from vcfix.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("vcfix 0.1.0 (package; Python 3.")
