"""``psql`` query output: the rows of a SELECT, in either of psql's two text formats.

Unaligned tuples only (``psql -t -A``, what vcfix runs)::

    com.vmware.vim.eam|AA:BB:...

Aligned (psql's default, what an operator pastes), with a header, a ``---+---``
separator and a ``(N rows)`` footer::

            ext_id          |                         thumbprint
    ------------------------+-------------------------------------------------------------
     com.vmware.vim.eam      | AA:BB:...
    (1 row)

``-A`` without ``-t`` (header ``ext_id|thumbprint``, rows, footer) and ``-t`` without
``-A`` (padded rows only) are read too. Command tags (``BEGIN``, ``UPDATE 1``,
``COMMIT``), ``NOTICE:`` lines, blank lines and lines with another number of fields are
skipped. Values are stripped of the padding around them.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence

from vcfix.appliance.parsers import lines_of, not_understood

SEPARATOR = "|"
_FOOTER = re.compile(r"^\((\d+) rows?\)$")
_RULE = re.compile(r"^-+(\+-+)*$")
_TAG = re.compile(r"^(BEGIN|COMMIT|ROLLBACK|UPDATE \d+|INSERT \d+ \d+|DELETE \d+|SET|SELECT \d+)$")
_MESSAGE = re.compile(r"^(NOTICE|WARNING|INFO|DETAIL|HINT|LOG):\s")


def parse_rows(text: str, command: str, columns: Sequence[str]) -> List[List[str]]:
    """The rows of ``text``, each a list of ``len(columns)`` stripped values.

    ``columns`` are the selected column names (to recognise and drop a header row).
    Output with nothing in it is an empty result; output with lines but no row, no
    header and no footer, or whose ``(N rows)`` footer disagrees with the rows read,
    is not understood (VcfixError naming ``command``).
    """
    names = [c.lower() for c in columns]
    rows: List[List[str]] = []
    footer: Optional[int] = None
    recognised = False
    meaningful = [line for line in lines_of(text) if line.strip()]
    for line in meaningful:
        stripped = line.strip()
        found = _FOOTER.match(stripped)
        if found:
            footer, recognised = int(found.group(1)), True
            continue
        if _RULE.match(stripped) or _TAG.match(stripped) or _MESSAGE.match(stripped):
            recognised = True
            continue
        fields = [value.strip() for value in line.split(SEPARATOR)]
        if len(fields) != len(names):
            continue  # another query's output, a wrapped line: not ours
        if [f.lower() for f in fields] == names:
            recognised = True  # the header row
            continue
        rows.append(fields)
    if meaningful and not rows and not recognised:
        raise not_understood(command, f"no row of {len(names)} fields separated by "
                             f"'{SEPARATOR}' ({', '.join(columns)})", text)
    if footer is not None and footer != len(rows):
        raise not_understood(command, f"it says ({footer} rows) but {len(rows)} were read",
                             text)
    return rows


__all__ = ["SEPARATOR", "parse_rows"]
