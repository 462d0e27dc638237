"""Answers to the vendor tools' questions: the answer file, defaults, derived values.

Values come in layers: the answer file, then appliance-derived defaults (PNID,
SSO domain, certool defaults), then (interactive runs) an ``ask`` callback.
:meth:`Answers.get` raises :class:`MissingAnswer` (exit 4) when no layer has a
value. The file is validated completely on load (exit 2 naming the key path
and line). See docs/answers.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Union

import yaml

from vcfix.answers.schema import (
    ANSWER_KEYS,
    DERIVED,
    SECRET_KEYS,
    STEPS,
    SecretSource,
    bad_value,
    read_yaml,
    validate,
)
from vcfix.errors import EXIT_MISSING_ANSWER, VcfixError

__all__ = [
    "ANSWER_KEYS", "DERIVED", "SECRET_KEYS", "STEPS", "Answers", "AskCallback", "MissingAnswer",
    "load_answer_file", "missing_answer", "template",
]

# ask(key, description, secret) -> the operator's answer, or None for "no answer".
AskCallback = Callable[[str, str, bool], Optional[str]]

HELP: Dict[str, str] = {
    "sso.username": "SSO administrator user name",
    "sso.password": "SSO administrator password",
    "certificate.country": "two-letter country code for the certificates",
    "certificate.name": "certificate 'Name' field (common name of the CSR, usually CA)",
    "certificate.organization": "organization",
    "certificate.org_unit": "organizational unit",
    "certificate.state": "state or province",
    "certificate.locality": "locality (city)",
    "certificate.ip_address": "IP address for the certificate (empty: none)",
    "certificate.email": "e-mail address for the certificate",
    "psc.address": "Platform Services Controller address (external-PSC deployments)",
    "fixsts.script": "path of fixsts.sh (KB 76719) on the appliance",
}


class MissingAnswer(VcfixError):
    """No layer holds an answer for ``key``: exit 4, before anything changes."""

    def __init__(self, key: str, why: str = "") -> None:
        what = HELP.get(key, key)
        super().__init__(
            f"no answer for '{key}' ({what})" + (f": {why}" if why else ""),
            exit_code=EXIT_MISSING_ANSWER,
            hint=f"add '{key}' to the answer file ('vcfix answers template' shows every key) "
            "or run vcfix interactively",
        )
        self.key = key


def missing_answer(key: str, why: str = "") -> MissingAnswer:
    return MissingAnswer(key, why)


class Answers:
    """Layered answers; see the module docstring."""

    def __init__(
        self,
        values: Optional[Mapping[str, object]] = None,
        *,
        source: Optional[Path] = None,
        lines: Optional[Mapping[str, int]] = None,
        pnid: Optional[str] = None,
        domain: Optional[str] = None,
        defaults: Optional[Mapping[str, str]] = None,
        ask: Optional[AskCallback] = None,
    ) -> None:
        self.values: Dict[str, object] = dict(values or {})
        self.source = source
        self.lines: Dict[str, int] = dict(lines or {})
        self.pnid = pnid
        self.domain = domain
        self.defaults: Dict[str, str] = dict(defaults or {})
        self.ask = ask
        self._asked: Dict[str, str] = {}

    def with_context(
        self,
        *,
        pnid: Optional[str] = None,
        domain: Optional[str] = None,
        defaults: Optional[Mapping[str, str]] = None,
        ask: Optional[AskCallback] = None,
    ) -> Answers:
        """A copy with appliance facts, certool defaults and/or an ask callback added."""
        merged = dict(self.defaults)
        merged.update(defaults or {})
        return Answers(
            self.values, source=self.source, lines=self.lines,
            pnid=pnid or self.pnid, domain=domain or self.domain,
            defaults=merged, ask=ask or self.ask,
        )

    def quiet(self) -> Answers:
        """A copy that never asks (for dry runs); answers already given are kept."""
        copy = self.with_context()
        copy.ask = None
        copy._asked = dict(self._asked)
        return copy

    @property
    def steps(self) -> Union[str, List[str]]:
        value = self.values.get("steps", "auto")
        return list(value) if isinstance(value, list) else str(value)

    def peek(self, key: str) -> Optional[str]:
        """The value from the file or the defaults, without asking; None when missing."""
        if key not in ANSWER_KEYS:
            raise KeyError(key)
        if key in self._asked:
            return self._asked[key]
        value = self.values.get(key)
        if isinstance(value, SecretSource):
            return value.resolve()
        if isinstance(value, str):
            return value
        return self.defaults.get(key)

    def get(self, key: str) -> str:
        """The answer for ``key``, asking the operator when possible; else MissingAnswer."""
        value = self.peek(key)
        if value is not None:
            return value
        if self.ask is not None:
            asked = self.ask(key, HELP.get(key, key), key in SECRET_KEYS)
            if asked is not None and (asked or key not in SECRET_KEYS):
                self._asked[key] = asked
                return asked
        source = self.values.get(key)
        raise MissingAnswer(key, source.describe_missing() if isinstance(source, SecretSource)
                            else "")

    def derived(self, name: str) -> str:
        """A derived answer: ``hostnames``, ``vmca_name`` or ``sso_user``."""
        if name == "hostnames":
            return ",".join(self.hostnames())
        if name == "vmca_name":
            value = self.values.get("certificate.vmca_name", "auto")
            if isinstance(value, str) and value.strip() and value.strip().lower() != "auto":
                return value.strip()
            return self._pnid("certificate.vmca_name")
        if name == "sso_user":
            known = self.peek("sso.username")
            if known:
                return known
            if self.domain:
                return f"administrator@{self.domain}"
            return self.get("sso.username")
        raise KeyError(name)

    def hostnames(self) -> List[str]:
        """The PNID first, then the other names (no duplicates, case-insensitive)."""
        pnid = self._pnid("certificate.hostnames")
        explicit = self.values.get("certificate.hostnames")
        names = list(explicit) if isinstance(explicit, list) else []
        if explicit is not None and pnid.lower() not in (n.lower() for n in names):
            raise bad_value(
                self.source, "certificate.hostnames", self.lines,
                f"the list {', '.join(names) or '(empty)'} lacks the PNID {pnid}: the Machine SSL "
                "certificate's subject alternative names must hold the PNID, or clients and "
                "services cannot reach this vCenter by its registered name; add it (or use "
                "'aliases', which always puts the PNID first)",
            )
        aliases = self.values.get("certificate.aliases")
        names += list(aliases) if isinstance(aliases, list) else []
        result = [pnid]
        for name in names:
            if name.lower() not in (r.lower() for r in result):
                result.append(name)
        return result

    def _pnid(self, key: str) -> str:
        if not self.pnid:
            raise MissingAnswer(key, "the appliance's PNID is not known (vmafd-cli get-pnid)")
        return self.pnid

    def to_yaml(self) -> str:
        """An answer file with these values; secrets only as {env: ...}/{file: ...} sources."""
        tree: Dict[str, object] = {}
        for key in sorted(set(self.values) | set(self._asked)):
            value = self.values.get(key, self._asked.get(key))
            if key in SECRET_KEYS:
                if isinstance(value, SecretSource) and value.kind != "literal":
                    value = {value.kind: value.ref}
                else:
                    value = {"env": "VCFIX_SSO_PASSWORD"}
            if "." in key:
                section, field = key.split(".", 1)
                sub = tree.setdefault(section, {})
                assert isinstance(sub, dict)
                sub[field] = value
            else:
                tree[key] = value
        return yaml.safe_dump(tree, sort_keys=False, default_flow_style=False)


def load_answer_file(path: Union[str, Path]) -> Answers:
    """Load and validate an answer file; every problem is a VcfixError with exit code 2."""
    file = Path(path)
    data, lines = read_yaml(file, what="answer file")
    values = validate(file, data, lines)
    return Answers(values, source=file, lines=lines)


TEMPLATE = """\
# vcfix answer file: answers for certificate-manager and fixsts.sh.
# Keep it readable by its owner only (chmod 600). Never write a password in it:
# give it through an environment variable or a root-only file.
sso:
  username: administrator@vsphere.local    # default: administrator@<SSO domain>
  password: {env: VCFIX_SSO_PASSWORD}      # or {file: /root/sso.pw} (one line)
certificate:                               # the certool.cfg questions
  country: US                              # two letters; quote 'NO' for Norway
  name: CA
  organization: VMware
  org_unit: VMware Engineering
  state: California
  locality: Palo Alto
  ip_address: ""                           # empty: no IP address in the certificate
  email: email@acme.com
  aliases: []                              # extra DNS names; the PNID always comes first
  vmca_name: auto                          # auto = the PNID
# psc:
#   address: psc01.corp.example            # asked on vCenters with an external PSC only
steps: auto          # or a list of: sts, machine-ssl, solution-users, reset-all,
                     # data-encipherment, clean-crls, extension-thumbprints
fixsts:
  script: /root/fixsts.sh                  # downloaded from VMware KB 76719
"""


def template() -> str:
    """A commented answer-file template (secrets only as {env: ...} placeholders)."""
    return TEMPLATE
