"""dist/vcfix.pyz, the one-file bundle for the appliance's own Python (scripts/build-bundle).

These tests run the real bundle, built by the real script (once per session, or reused when
dist/vcfix.pyz is newer than every source), with the interpreter that runs the tests, an empty
HOME and a deliberately broken ``cryptography`` on PYTHONPATH: the appliance's own Python has
old copies of vcfix's dependencies on its path, and the bundle must never pick them up.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from fixlab import PASSWORD, answer_file

from vcfix.lab import state as lab_state

REPO = Path(__file__).resolve().parent.parent
BUNDLE = REPO / "dist" / "vcfix.pyz"
SOURCES = ["vcfix", "playbooks", "pyproject.toml", "scripts/build-bundle",
           "scripts/bundle-requirements.txt"]
MAX_BYTES = 25 * 1024 * 1024
MINORS = ["3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]


def _interpreter(minor: str) -> str:
    """A CPython ``minor`` of this machine (pyenv's, then PATH), or "" when there is none."""
    if sys.version_info[:2] == tuple(int(n) for n in minor.split(".")):
        return sys.executable
    pattern = os.path.expanduser(f"~/.pyenv/versions/{minor}.*/bin/python{minor}")
    candidates = sorted(glob.glob(pattern))
    if candidates:
        return candidates[-1]
    found = shutil.which(f"python{minor}")
    return found if found and "/shims/" not in found else ""


def python(minor: str) -> str:
    found = _interpreter(minor)
    if not found:
        pytest.skip(f"no CPython {minor} on this machine")
    return found


# The appliance's Python (3.7) and the one running the tests do everything; the others
# (when the machine has them) show that the bundle starts and diagnoses.
FULL = sorted({"3.7", "{}.{}".format(*sys.version_info[:2])})


def _newest_source() -> float:
    newest = 0.0
    for name in SOURCES:
        path = REPO / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()
                                                 and "__pycache__" not in p.parts]
        newest = max([newest] + [p.stat().st_mtime for p in files])
    return newest


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The bundle, rebuilt with scripts/build-bundle when any source is newer than it (one
    build at a time: pytest-xdist workers wait for the first one's)."""
    (REPO / "build").mkdir(exist_ok=True)
    with open(REPO / "build" / ".bundle.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not BUNDLE.is_file() or BUNDLE.stat().st_mtime < _newest_source():
            done = subprocess.run([str(REPO / "scripts" / "build-bundle")], cwd=str(REPO),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=900, check=False)
            assert done.returncode == 0, f"scripts/build-bundle failed:\n{done.stdout[-4000:]}"
    return BUNDLE


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[Dict[str, str]]:
    """The environment of an appliance shell: an empty HOME, a private TMPDIR, and a broken
    cryptography package first on PYTHONPATH."""
    home, tmp, broken = tmp_path / "home", tmp_path / "tmp", tmp_path / "broken"
    for folder in (home, tmp, broken / "cryptography", broken / "yaml"):
        folder.mkdir(parents=True)
    for package in ("cryptography", "yaml"):
        (broken / package / "__init__.py").write_text(
            f"raise ImportError('the old {package} on PYTHONPATH was imported')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PEX", "VCFIX_"))}
    env.update(HOME=str(home), TMPDIR=str(tmp), PYTHONPATH=str(broken),
               VCFIX_SSO_PASSWORD=PASSWORD)
    yield env


def run(bundle: Path, env: Dict[str, str], *args: str,
        minor: str = "") -> "subprocess.CompletedProcess[str]":
    interpreter = python(minor) if minor else sys.executable
    return subprocess.run([interpreter, str(bundle), *args], env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def lab(bundle: Path, env: Dict[str, str], where: Path, scenario: str) -> Path:
    done = run(bundle, env, "lab", "create", str(where), "--scenario", scenario, "--force")
    assert done.returncode == 0, done.stderr
    with lab_state.transaction(where) as state:
        state["settings"]["speed"] = 0.0005
    return where


def test_the_bundle_is_one_file_of_at_most_25_mb_for_python_37_to_313(bundle: Path) -> None:
    assert bundle.stat().st_size <= MAX_BYTES
    names = zipfile.ZipFile(str(bundle)).namelist()
    wheels = {n.split("/")[1] for n in names if n.startswith(".deps/")}
    for tag in ("cp37", "cp38", "cp39", "cp310", "cp311", "cp312", "cp313"):
        assert any(f"-{tag}-" in w and "manylinux2014_x86_64" in w
                   for w in wheels if w.startswith("PyYAML")), tag
        assert any(f"-{tag}-" in w for w in wheels if w.startswith("cffi")), tag
    assert {w for w in wheels if w.startswith("cryptography")}, wheels


def test_version_says_bundle_and_help_lists_every_command(
        bundle: Path, outside: Dict[str, str]) -> None:
    done = run(bundle, outside, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("vcfix ") and f"(bundle {bundle}" in done.stdout
    helped = run(bundle, outside, "--help")
    assert helped.returncode == 0, helped.stderr
    for command in ("diagnose", "fix", "preupgrade", "answers", "lab"):
        assert command in helped.stdout


def test_it_writes_only_into_a_private_cache_under_home(
        bundle: Path, outside: Dict[str, str], tmp_path: Path) -> None:
    assert run(bundle, outside, "--version").returncode == 0
    home = Path(outside["HOME"])
    assert [p.name for p in home.iterdir()] == [".cache"]
    assert [p.name for p in (home / ".cache").iterdir()] == ["vcfix"]
    for private in (home / ".cache" / "vcfix", home / ".cache" / "vcfix" / "pex"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o700, private
    assert list(Path(outside["TMPDIR"]).iterdir()) == []


@pytest.mark.parametrize("minor", MINORS)
def test_diagnose_on_a_lab_with_every_python_ignores_the_old_packages_on_the_path(
        bundle: Path, outside: Dict[str, str], tmp_path: Path, minor: str) -> None:
    version = run(bundle, outside, "--version", minor=minor)
    assert version.returncode == 0, version.stderr
    assert f"(bundle {bundle}; Python {minor}." in version.stdout
    root = lab(bundle, outside, tmp_path / "lab", "outage")
    done = run(bundle, outside, "--root", str(root), "diagnose", minor=minor)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "CRITICAL" in done.stdout
    assert done.stderr == ""  # no import error, no warning for the operator


@pytest.mark.parametrize("minor", FULL)
def test_dry_run_changes_nothing(
        bundle: Path, outside: Dict[str, str], tmp_path: Path, minor: str) -> None:
    root = lab(bundle, outside, tmp_path / "lab", "outage")
    answers = answer_file(tmp_path)
    before = {k: lab_state.load(root)[k] for k in ("vecs", "vmdir", "vmca", "services")}
    done = run(bundle, outside, "--root", str(root), "fix", "--dry-run",
               "--answers", str(answers), "--state-dir", str(tmp_path / "state"), minor=minor)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Dry run: nothing will be changed" in done.stdout
    assert {k: lab_state.load(root)[k] for k in before} == before


@pytest.mark.parametrize("minor", FULL)
def test_unattended_fix_of_the_outage_verifies(
        bundle: Path, outside: Dict[str, str], tmp_path: Path, minor: str) -> None:
    root = lab(bundle, outside, tmp_path / "lab", "outage")
    answers = answer_file(tmp_path)
    args: List[str] = ["--root", str(root), "fix", "--answers", str(answers), "--yes",
                       "--state-dir", str(tmp_path / "state")]
    done = run(bundle, outside, *args, minor=minor)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "the fix verified" in done.stdout
    after = run(bundle, outside, "--root", str(root), "diagnose", "--json", minor=minor)
    assert json.loads(after.stdout)["exit_code"] in (0, 1), after.stdout[-2000:]
    assert PASSWORD not in done.stdout + done.stderr


def test_without_a_writable_home_it_unpacks_into_a_private_temporary_cache(
        bundle: Path, outside: Dict[str, str], tmp_path: Path) -> None:
    not_a_folder = tmp_path / "home-is-a-file"  # unwritable even for root
    not_a_folder.write_text("")
    done = run(bundle, dict(outside, HOME=str(not_a_folder)), "--version")
    assert done.returncode == 0, done.stderr
    assert "(bundle " in done.stdout
    assert list(Path(outside["TMPDIR"]).iterdir()) == []  # removed at exit
