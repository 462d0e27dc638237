"""``vmafd-cli get-*`` output: one value and a newline.

``get-pnid``, ``get-domain-name``, ``get-machine-id``, ``get-site-name``,
``get-ls-location`` and ``get-dc-name`` all print just the value. The PNID is
case-sensitive, so the value is returned exactly as printed (only the white space
around it is removed).
"""

from __future__ import annotations

from vcfix.appliance.parsers import lines_of, not_understood


def parse_value(text: str, command: str) -> str:
    """The single value line of ``text``; blank or several lines -> VcfixError."""
    values = [line.strip() for line in lines_of(text) if line.strip()]
    if not values:
        raise not_understood(command, "it printed no value", text)
    if len(values) > 1:
        raise not_understood(command, f"expected one value, got {len(values)} lines", text)
    return values[0]
