"""``preupgrade --merge`` on snapshots nobody should trust: never SAFE, never a crash."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from vcfix import cli
from vcfix.preupgrade.snapshot import NodeSnapshot, Partner

V1, V2 = "vc1.lab.example", "vc2.lab.example"
NOON = dt.datetime(2026, 6, 1, 12, tzinfo=dt.timezone.utc)


def saved(tmp_path: Path, host: str, peer: str, taken: dt.datetime = NOON) -> Path:
    snap = NodeSnapshot(host=host, taken_at=taken, version="7.0.3.01400", node_type="embedded",
                        machine_id=f"id-{host}", site="default-site", vmdir_state="Normal",
                        partners=[Partner(peer, True, True, 0, 10, 10)], agreements=[peer],
                        servers=[V1, V2], registrations=[])
    path = tmp_path / f"{host}.json"
    snap.save(path)
    return path


def merge(capsys: pytest.CaptureFixture[str], *args: str) -> Tuple[int, str]:
    code = cli.main(["preupgrade", "--merge", *args])
    out, err = capsys.readouterr()
    assert code != 0 and "SAFE" not in out.split(" - ")[0]
    return code, err


def edit(path: Path, **changes: Any) -> None:
    data: Dict[str, Any] = json.loads(path.read_text())
    for key, value in changes.items():
        if key in ("changes_behind", "my_last_change"):
            data["partners"][0][key] = value
        else:
            data[key] = value
    path.write_text(json.dumps(data))


def test_a_good_pair_is_safe(tmp_path: Path, fixed_clock: dt.datetime,
                             capsys: pytest.CaptureFixture[str]) -> None:
    files = [saved(tmp_path, V1, V2), saved(tmp_path, V2, V1, NOON - dt.timedelta(minutes=30))]
    assert cli.main(["preupgrade", "--merge", *map(str, files)]) == 0


@pytest.mark.parametrize("counter", ["my_last_change"])
def test_negative_counters(counter: str, tmp_path: Path, fixed_clock: dt.datetime,
                           capsys: pytest.CaptureFixture[str]) -> None:
    one, two = saved(tmp_path, V1, V2), saved(tmp_path, V2, V1)
    edit(one, **{counter: -5})
    code, err = merge(capsys, str(one), str(two))
    assert code == 2 and "is negative" in err and str(one) in err


def test_a_negative_changes_behind_is_judged_not_refused(
        tmp_path: Path, fixed_clock: dt.datetime, capsys: pytest.CaptureFixture[str]) -> None:
    """vdcrepadmin's difference is signed ('Partner is -5 changes behind.'): never SAFE."""
    one, two = saved(tmp_path, V1, V2), saved(tmp_path, V2, V1)
    edit(one, changes_behind=-5)
    assert cli.main(["preupgrade", "--merge", str(one), str(two)]) == 2  # NOT SAFE
    assert "is negative" not in capsys.readouterr().err


@pytest.mark.parametrize(("taken", "extra", "words"), [
    (NOON + dt.timedelta(days=2), [], "in the future"),
    (NOON - dt.timedelta(hours=25), [], "more than 24 h ago"),
    (NOON - dt.timedelta(hours=2), ["--max-age", "90m"], "more than 1.5 h ago"),
])
def test_stale_or_future_snapshots(taken: dt.datetime, extra: List[str], words: str,
                                   tmp_path: Path, fixed_clock: dt.datetime,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    one, two = saved(tmp_path, V1, V2, taken), saved(tmp_path, V2, V1)
    code, err = merge(capsys, str(one), str(two), *extra)
    assert code == 3 and words in err and str(one) in err


def test_snapshots_taken_too_far_apart(tmp_path: Path, fixed_clock: dt.datetime,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    one = saved(tmp_path, V1, V2, NOON - dt.timedelta(hours=3))
    two = saved(tmp_path, V2, V1)
    code, err = merge(capsys, str(one), str(two))
    assert code == 3 and "more than 2 h apart" in err
    assert cli.main(["preupgrade", "--merge", str(one), str(two), "--max-spread", "4h"]) == 0


@pytest.mark.parametrize("kind", ["deep", "not-utf8", "fifo", "huge", "dir"])
def test_hostile_files(kind: str, tmp_path: Path, fixed_clock: dt.datetime,
                       capsys: pytest.CaptureFixture[str]) -> None:
    good = saved(tmp_path, V1, V2)
    bad = tmp_path / "bad.json"
    if kind == "deep":
        bad.write_text("[" * 200000 + "]" * 200000)
    elif kind == "not-utf8":
        bad.write_bytes(b'{"format": "\xff\xfe"}')
    elif kind == "fifo":
        os.mkfifo(bad)
    elif kind == "huge":
        with open(bad, "wb") as handle:
            handle.truncate(17 * 1024 * 1024)
    else:
        bad.mkdir()
    code, err = merge(capsys, str(good), str(bad))
    assert code == 2 and str(bad) in err
    assert {"deep": "nested deeper", "not-utf8": "not UTF-8", "fifo": "not a regular file",
            "huge": "larger than 16 MiB", "dir": "not a regular file"}[kind] in err


@pytest.mark.parametrize("value", ["0", "-1h", "nan", "inf", "31d", "x"])
def test_bad_durations(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["preupgrade", "--merge", "a.json", "--max-age", value])
    assert info.value.code == 2


def test_snapshot_text_is_escaped(tmp_path: Path, fixed_clock: dt.datetime,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    evil = "vc1\x1b]0;owned\x07\u202e.lab.example"
    one, two = saved(tmp_path, evil, V2), saved(tmp_path, V2, evil)
    edit(one, vmdir_state="Normal\x1b[2J")
    cli.main(["preupgrade", "--merge", str(one), str(two)])
    out = capsys.readouterr().out
    assert "\x1b]" not in out and "\x07" not in out and "\u202e" not in out
    assert "\x1b[2J" not in out and "\\x1b[2J" in out
