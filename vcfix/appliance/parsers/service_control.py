"""``service-control --status --all`` output.

Section headers (``Running:``, ``Stopped:``, ``StartPending:``, ``StopPending:``)
are each followed by service names separated by white space, on the header line
itself or on the following lines, sometimes indented. Unknown lines (anything
else with a colon, such as log lines) end the current section and are skipped.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from vcfix.appliance.parsers import lines_of, not_understood

HEADERS = ("Running", "Stopped", "StartPending", "StopPending")
_BY_LOWER = {h.lower(): h for h in HEADERS}


def parse_status(text: str, command: str) -> Dict[str, List[str]]:
    """Section name (as in :data:`HEADERS`) -> service names, in printed order."""
    sections: Dict[str, List[str]] = {}
    current: Optional[str] = None
    for line in lines_of(text):
        stripped = line.strip()
        if not stripped:
            continue
        head, sep, rest = stripped.partition(":")
        if sep:
            current = _BY_LOWER.get(head.strip().lower())
            if current is None:
                continue  # unknown line with a colon
            sections.setdefault(current, [])
            names = rest.split()
        elif current is None:
            continue  # names before any header: not understood, skipped
        else:
            names = stripped.split()
        sections[current].extend(names)
    if not sections:
        raise not_understood(command, "no Running:/Stopped: section found", text)
    return sections
