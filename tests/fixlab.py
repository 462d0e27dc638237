"""Helpers for the `vcfix fix` tests: labs tuned for speed, answer files, run-dir search."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional

from vcfix.lab import state as lab_state
from vcfix.lab.build import create_lab
from vcfix.lab.fakes.common import read_calls

PASSWORD = lab_state.LAB_SSO_PASSWORD


def fast_lab(tmp_path: Path, scenario: str, **kw: Any) -> Path:
    root = create_lab(tmp_path / "lab", scenario, **kw)
    with lab_state.transaction(root) as state:
        state["settings"]["speed"] = 0.0005
    return root


def answer_file(tmp_path: Path, body: str = "", mode: int = 0o600) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(
        "sso:\n  password: {env: VCFIX_SSO_PASSWORD}\n"
        "certificate:\n  aliases: [vcsa01]\n" + body)
    os.chmod(path, mode)
    return path


def fix_cli(root: Path, tmp_path: Path, *extra: str, body: str = "",
            state: Optional[Path] = None) -> int:
    """``vcfix --root ROOT fix`` with :func:`answer_file` (plus ``body``) and the state
    directory ``tmp_path/state`` (or ``state``); returns the exit code."""
    from vcfix import cli

    return cli.main(["--root", str(root), "fix", "--answers", str(answer_file(tmp_path, body)),
                     "--state-dir", str(state or tmp_path / "state"), *extra])


def tool_calls(root: Path, tool: str) -> List[Dict[str, Any]]:
    return [c for c in read_calls(root) if c["tool"] == tool]


def files_containing(folder: Path, secret: str) -> List[Path]:
    return [p for p in folder.rglob("*") if p.is_file()
            and secret.encode() in p.read_bytes()]


def only_run_dir(state_dir: Path) -> Path:
    (run,) = list((state_dir / "runs").iterdir())
    return run
