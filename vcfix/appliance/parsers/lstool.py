"""Parser for ``lstool.py list``: the Lookup Service registrations one node sees.

Records start at ``Name:``. The tool nests endpoints and attributes by TAB
indentation, which copies often flatten, so this parser does not look at
indentation at all: it keys on the labels and on the section it is in
(``Endpoints:``, ``Endpoint Attributes:``, ``Attributes:``). JVM chatter such as
``Picked up JAVA_TOOL_OPTIONS: ...`` is skipped; a Java (or Python) exception
means the command failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from vcfix.appliance.runner import tail
from vcfix.errors import VcfixError

_TOP_KEYS = {
    "name": "name",
    "description": "description",
    "service product": "service_product",
    "service type": "service_type",
    "service id": "service_id",
    "site id": "site_id",
    "node id": "node_id",
    "owner id": "owner_id",
    "version": "version",
}
_ENDPOINT_KEYS = {"type": "type", "protocol": "protocol", "url": "url", "ssl trust": "ssl_trust"}
_SECTIONS = {"endpoints", "endpoint attributes", "attributes"}

_KEY_VALUE = re.compile(r"^(?P<key>[^:]+?)\s*:\s*(?P<value>.*)$")
_ATTRIBUTE_KEY = re.compile(r"^[\w.$:-]+$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=]+$")
_NOISE = re.compile(r"^(?:picked up \S*options\b|warning:\s|[-=_*]{3,}$)", re.IGNORECASE)
_EXCEPTION = re.compile(
    r"(?i:exception in thread\b|traceback \(most recent call last\))|^(?:(?i:caused by:\s)"
    r"|at\s+[\w$.<>]+\(|(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)\b)"
)


@dataclass(frozen=True)
class Endpoint:
    type: str = ""
    protocol: str = ""
    url: str = ""
    ssl_trust: str = ""
    attributes: Dict[str, str] = field(default_factory=dict)

    @property
    def url_host(self) -> str:
        """The host of the URL, lower-case ('' when there is none)."""
        try:
            return (urlsplit(self.url).hostname or "").lower()
        except ValueError:
            return ""


@dataclass(frozen=True)
class Registration:
    """One Lookup Service registration ('' for a key the record did not print)."""

    name: str = ""
    description: str = ""
    service_product: str = ""
    service_type: str = ""
    service_id: str = ""
    site_id: str = ""
    node_id: str = ""
    owner_id: str = ""
    version: str = ""
    endpoints: Tuple[Endpoint, ...] = ()
    attributes: Dict[str, str] = field(default_factory=dict)

    @property
    def urls(self) -> Tuple[str, ...]:
        return tuple(sorted({e.url for e in self.endpoints if e.url}))

    @property
    def ssl_trusts(self) -> Tuple[str, ...]:
        return tuple(sorted({e.ssl_trust for e in self.endpoints if e.ssl_trust}))

    @property
    def url_hosts(self) -> Tuple[str, ...]:
        return tuple(sorted({e.url_host for e in self.endpoints if e.url_host}))


class _Builder:
    """Accumulates records while the parser walks the lines."""

    def __init__(self) -> None:
        self.records: List[Registration] = []
        self.fields: Optional[Dict[str, str]] = None
        self.attributes: Dict[str, str] = {}
        self.endpoints: List[Tuple[Dict[str, str], Dict[str, str]]] = []
        self.section = "top"
        self.last_key = ""

    def start(self) -> None:
        self.flush()
        self.fields, self.attributes, self.endpoints = {}, {}, []
        self.section, self.last_key = "top", ""

    def flush(self) -> None:
        if self.fields is None:
            return
        endpoints = tuple(Endpoint(attributes=attrs, **values) for values, attrs in self.endpoints)
        self.records.append(Registration(endpoints=endpoints, attributes=self.attributes,
                                         **self.fields))
        self.fields = None

    def top(self, key: str, value: str) -> None:
        if self.fields is None or key == "name" or key in self.fields:
            self.start()
        assert self.fields is not None
        self.fields[key] = value
        self.section, self.last_key = "top", key

    def endpoint(self, key: str, value: str) -> None:
        if not self.endpoints or key in self.endpoints[-1][0]:
            self.endpoints.append(({}, {}))
        self.endpoints[-1][0][key] = value
        self.section, self.last_key = "endpoints", key

    def enter(self, section: str) -> None:
        if section == "endpoint attributes" and not self.endpoints:
            self.endpoints.append(({}, {}))
        self.section, self.last_key = section, ""

    def attribute(self, key: str, value: str) -> None:
        if self.section == "endpoint attributes":
            self.endpoints[-1][1][key] = value
        else:
            self.attributes[key] = value
        self.last_key = ""

    def continue_trust(self, text: str) -> bool:
        """Append a wrapped line of a base64 SSL trust; False when it is not one."""
        if self.last_key != "ssl_trust" or not self.endpoints or not _BASE64.match(text):
            return False
        values = self.endpoints[-1][0]
        values["ssl_trust"] = values.get("ssl_trust", "") + text
        return True


def parse_lstool(text: str, command: str) -> List[Registration]:
    """``lstool.py list``: every registration, in the order printed."""
    builder = _Builder()
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line or _NOISE.match(line):
            continue
        if _EXCEPTION.search(line):
            raise VcfixError(f"'{command}' failed with an exception: {line}",
                             details=tail(text), hint=LSTOOL_HINT)
        match = _KEY_VALUE.match(line)
        if match is None:
            builder.continue_trust(line)
            continue
        key, value = " ".join(match.group("key").lower().split()), match.group("value")
        if key in _TOP_KEYS:
            builder.top(_TOP_KEYS[key], value)
        elif builder.fields is None:
            continue  # nothing before the first record counts
        elif key in _SECTIONS and not value:
            builder.enter(key)
        elif key in _ENDPOINT_KEYS and builder.section in ("endpoints", "endpoint attributes"):
            builder.endpoint(_ENDPOINT_KEYS[key], value)
        elif builder.section in ("endpoint attributes", "attributes") and _ATTRIBUTE_KEY.match(
            match.group("key")
        ):
            builder.attribute(match.group("key"), value)
    builder.flush()
    if not builder.records:
        raise VcfixError(f"'{command}' printed no Lookup Service registration that vcfix "
                         "understands", details=tail(text), hint=LSTOOL_HINT)
    return builder.records


LSTOOL_HINT = (
    "check that the Lookup Service runs ('service-control --status vmware-lookupsvc' on 7.0+, "
    "vmware-sts-idmd/vmware-stsd on 6.x) and that --url names this version's port "
    "(7090 on 7.0+, 7080 on 6.x)"
)
