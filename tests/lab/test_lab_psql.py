"""The lab's fake psql and its VCDB (issue 14): psql's formats, transactions, failures."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import List

import pytest

from vcfix.appliance.parsers.psql import parse_rows
from vcfix.lab import state as lab_state
from vcfix.lab import vcdb
from vcfix.lab.build import create_lab
from vcfix.lab.fakes import FAKES

NEW = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD"
SELECT = ("SELECT ext_id, thumbprint FROM vpx_ext WHERE ext_id IN ('com.vmware.vim.eam', "
          "'com.vmware.rbd', 'com.vmware.imagebuilder') ORDER BY ext_id;")
VCDB = ["-d", "VCDB", "-U", "postgres"]


@pytest.fixture
def root(tmp_path: Path, fixed_clock: dt.datetime) -> Path:
    return create_lab(tmp_path / "lab", "healthy")


def psql(root: Path, args: List[str], sql: str = "") -> "subprocess.CompletedProcess[str]":
    tool = root / FAKES["psql"][0].lstrip("/")
    return subprocess.run([str(tool), *args], input=sql, capture_output=True, text=True,
                          timeout=60, check=False)


def rows(root: Path) -> dict:  # type: ignore[type-arg]
    return vcdb.snapshot(lab_state.load(root))


def test_the_lab_registers_the_three_extensions_with_vpxd_extension(root: Path) -> None:
    state = lab_state.load(root)
    expected = vcdb.thumbprint(lab_state.vecs_entry(state, "vpxd-extension",
                                                    "vpxd-extension")["cert"])
    assert rows(root) == {**dict.fromkeys(vcdb.EXTENSIONS, expected),
                          vcdb.PARTNER: rows(root)[vcdb.PARTNER]}
    assert rows(root)[vcdb.PARTNER] != expected


def test_aligned_and_unaligned_output_as_psql_prints_them(root: Path) -> None:
    aligned = psql(root, VCDB, SELECT)
    lines = aligned.stdout.splitlines()
    assert aligned.returncode == 0 and aligned.stderr == ""
    assert lines[0].split("|")[0].strip() == "ext_id" and set(lines[1]) == {"-", "+"}
    assert lines[-2:] == ["(3 rows)", ""]  # the footer, then a blank line
    unaligned = psql(root, [*VCDB, "-t", "-A", "-c", SELECT])
    assert unaligned.stdout.splitlines()[0].startswith("com.vmware.imagebuilder|")
    assert len(unaligned.stdout.splitlines()) == 3
    both = [parse_rows(r.stdout, "psql", ("ext_id", "thumbprint")) for r in (aligned, unaligned)]
    assert both[0] == both[1] and len(both[0]) == 3
    tuples = psql(root, [*VCDB, "-t"], SELECT).stdout
    assert "ext_id" not in tuples and "rows)" not in tuples


def test_one_transaction_commits_and_tags_are_printed_unless_quiet(root: Path) -> None:
    sql = (f"BEGIN;\nUPDATE vpx_ext SET thumbprint = '{NEW}' WHERE ext_id = 'com.vmware.rbd';\n"
           "COMMIT;\n")
    done = psql(root, [*VCDB, "-v", "ON_ERROR_STOP=1"], sql)
    assert (done.returncode, done.stdout.split()) == (0, ["BEGIN", "UPDATE", "1", "COMMIT"])
    assert rows(root)["com.vmware.rbd"] == NEW
    assert psql(root, [*VCDB, "-q"], sql.replace("rbd", "vim.eam")).stdout == ""
    assert rows(root)["com.vmware.vim.eam"] == NEW


def test_a_failed_update_with_on_error_stop_changes_nothing(root: Path) -> None:
    with lab_state.transaction(root) as state:
        state["settings"]["vcdb_fail_ext"] = "com.vmware.vim.eam"
    before = rows(root)
    update = "UPDATE vpx_ext SET thumbprint = '{}' WHERE ext_id = '{}';\n"
    sql = "".join(["BEGIN;\n", *(update.format(NEW, e) for e in vcdb.EXTENSIONS), "COMMIT;\n"])
    stopped = psql(root, [*VCDB, "-v", "ON_ERROR_STOP=1", "-q"], sql)
    assert stopped.returncode == 3 and "ERROR:  could not serialize access" in stopped.stderr
    assert rows(root) == before
    going_on = psql(root, VCDB, sql)  # without ON_ERROR_STOP: COMMIT rolls back, exit 0
    assert going_on.returncode == 0 and going_on.stdout.split()[-1] == "ROLLBACK"
    assert "current transaction is aborted" in going_on.stderr
    assert rows(root) == before


def test_connection_and_syntax_errors(root: Path) -> None:
    wrong_db = psql(root, ["-d", "postgres", "-U", "postgres"], SELECT)
    assert wrong_db.returncode == 2 and 'database "postgres" does not exist' in wrong_db.stderr
    syntax = psql(root, [*VCDB, "-v", "ON_ERROR_STOP=1"], "DELETE FROM vpx_ext;")
    assert syntax.returncode == 3 and 'syntax error at or near "DELETE"' in syntax.stderr
    with lab_state.transaction(root) as state:
        state["services"]["vmware-vpostgres"] = "Stopped"
    down = psql(root, VCDB, SELECT)
    assert down.returncode == 2 and "could not connect to server" in down.stderr


def test_statements_split_at_semicolons_outside_quotes() -> None:
    assert vcdb.statements("-- a comment\nSELECT 'a;b' FROM x; BEGIN ;\nCOMMIT") == [
        "SELECT 'a;b' FROM x", "BEGIN", "COMMIT"]
