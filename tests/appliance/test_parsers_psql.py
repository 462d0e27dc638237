"""psql's aligned and unaligned (``-t -A``) output, read tolerantly (issue 14)."""

from __future__ import annotations

import pytest

from vcfix.appliance.parsers.psql import parse_rows
from vcfix.errors import VcfixError

COLUMNS = ("ext_id", "thumbprint")
EAM = "com.vmware.vim.eam"
TP = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD"
OLD = "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78"
COMMAND = "psql -d VCDB -U postgres -t -A"

# As psql 13 prints it on a 7.0 appliance (header centred, a rule, a footer, a blank line).
ALIGNED = f"""         ext_id          |                         thumbprint
-------------------------+-------------------------------------------------------------
 com.vmware.imagebuilder | {TP}
 com.vmware.rbd          | {OLD}
 {EAM}      | {TP}
(3 rows)

"""
UNALIGNED = f"com.vmware.imagebuilder|{TP}\ncom.vmware.rbd|{OLD}\n{EAM}|{TP}\n"
WANT = [["com.vmware.imagebuilder", TP], ["com.vmware.rbd", OLD], [EAM, TP]]


def test_unaligned_tuples_only() -> None:
    assert parse_rows(UNALIGNED, COMMAND, COLUMNS) == WANT


def test_aligned_with_header_rule_and_footer() -> None:
    assert parse_rows(ALIGNED, COMMAND, COLUMNS) == WANT


def test_unaligned_with_header_and_footer_and_aligned_tuples_only() -> None:
    with_header = "ext_id|thumbprint\n" + UNALIGNED + "(3 rows)\n"
    assert parse_rows(with_header, COMMAND, COLUMNS) == WANT
    rows_only = "\n".join(line for line in ALIGNED.splitlines()[2:5]) + "\n\n"
    assert parse_rows(rows_only, COMMAND, COLUMNS) == WANT


def test_crlf_tabs_tags_notices_and_junk_lines_are_skipped() -> None:
    text = ("BEGIN\r\nNOTICE:  something harmless\r\n"
            f"  {EAM}\t|  {TP}  \r\n"
            "Timing: 0.4 ms\r\n"           # another line without our two fields
            "a|b|c\r\n"                     # three fields: not ours
            "COMMIT\r\n")
    assert parse_rows(text, COMMAND, COLUMNS) == [[EAM, TP]]


def test_an_empty_result_is_no_row_in_both_formats() -> None:
    assert parse_rows("", COMMAND, COLUMNS) == []
    assert parse_rows("\n\n", COMMAND, COLUMNS) == []
    empty_aligned = " ext_id | thumbprint\n--------+------------\n(0 rows)\n\n"
    assert parse_rows(empty_aligned, COMMAND, COLUMNS) == []


def test_output_not_understood_names_the_command() -> None:
    with pytest.raises(VcfixError) as err:
        parse_rows("psql: warning: something else entirely\n", COMMAND, COLUMNS)
    assert COMMAND in err.value.message and "ext_id, thumbprint" in err.value.message
    assert "something else entirely" in " ".join(err.value.details)


def test_a_footer_that_disagrees_with_the_rows_is_refused() -> None:
    with pytest.raises(VcfixError) as err:
        parse_rows(ALIGNED.replace("(3 rows)", "(4 rows)"), COMMAND, COLUMNS)
    assert COMMAND in err.value.message and "(4 rows)" in err.value.message
