"""Playbooks: the vendor tools' dialogs as reviewed data (playbooks/*.yaml).

A playbook says which prompts a tool may show (tolerant regexes, in any order,
repeated or not at all), what to answer, which lines mean failure, progress or
success, how long to wait, and what the operator must know (restarts, outage,
follow-ups). Loading validates everything; a problem is a :class:`VcfixError`
naming the file and the entry. See docs/playbooks.md.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Pattern, Set, Tuple, Union

from vcfix.answers.schema import ANSWER_KEYS, DERIVED, SECRET_KEYS, read_yaml
from vcfix.appliance.paths import TOOLS
from vcfix.errors import EXIT_FAILED, VcfixError

NAMES: Tuple[str, ...] = ("machine-ssl", "solution-users", "reset-all", "fixsts")
FAILURE_KINDS = ("rollback", "error", "credentials")
_FLAGS = re.IGNORECASE


@dataclass(frozen=True)
class AnswerSpec:
    kind: str  # key | derived | constant
    value: str


@dataclass(frozen=True)
class Prompt:
    id: str
    description: str
    pattern: Pattern[str]
    answer: AnswerSpec
    secret: bool = False
    optional: bool = False
    yes_no: bool = False
    confirm: bool = False
    max_repeats: int = 1


@dataclass(frozen=True)
class Failure:
    pattern: Pattern[str]
    kind: str
    rolled_back: bool
    description: str


@dataclass(frozen=True)
class Timeouts:
    prompt: float = 30.0
    overall: float = 3600.0
    silence_ok: float = 1800.0


@dataclass(frozen=True)
class Playbook:
    id: str
    tool: str
    option: Optional[int]
    description: str
    prompts: Tuple[Prompt, ...]
    failures: Tuple[Failure, ...]
    progress: Optional[Pattern[str]]
    success: Tuple[Pattern[str], ...]
    timeouts: Timeouts
    log: str
    restarts: str
    outage_minutes: int
    follow_ups: Tuple[str, ...]
    source: str

    def prompt(self, prompt_id: str) -> Prompt:
        for prompt in self.prompts:
            if prompt.id == prompt_id:
                return prompt
        raise KeyError(prompt_id)


def load(name: str) -> Playbook:
    """A shipped playbook by name: one of :data:`NAMES`."""
    if name not in NAMES:
        raise VcfixError(f"unknown playbook {name!r}; vcfix ships: {', '.join(NAMES)}")
    path = _playbook_dir() / f"{name}.yaml"
    if not path.is_file():
        raise VcfixError(f"playbook {name!r} is missing from this installation (looked at {path})")
    return load_file(path)


def _playbook_dir() -> Path:
    """The folder of the installed ``vcfix.playbooks`` package (Python 3.7's API, no
    ``importlib.resources.files``); a source checkout falls back to ``playbooks/``."""
    try:
        spec = importlib.util.find_spec("vcfix.playbooks")
    except ModuleNotFoundError:
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        if Path(location, "__init__.py").is_file():
            return Path(location)
    return Path(__file__).resolve().parents[3] / "playbooks"


def load_file(path: Union[str, Path]) -> Playbook:
    """Load and validate one playbook file."""
    file = Path(path)
    data, lines = read_yaml(file, what="playbook", exit_code=EXIT_FAILED)
    return _Builder(file, lines).playbook(data)


class _Builder:
    """Validates the YAML data of one playbook and builds the dataclasses."""

    TOP = {"id", "tool", "option", "description", "prompts", "failures", "progress", "success",
           "timeouts", "log", "restarts", "outage_minutes", "follow_ups"}
    PROMPT = {"id", "description", "pattern", "answer", "secret", "optional", "yes_no",
              "confirm", "max_repeats"}
    FAILURE = {"pattern", "kind", "rolled_back", "description"}

    def __init__(self, path: Path, lines: Mapping[str, int]) -> None:
        self.path = path
        self.lines = lines

    def error(self, entry: str, problem: str, line_key: Optional[str] = None) -> VcfixError:
        line = self.lines.get(line_key or entry)
        where = f" (line {line})" if line else ""
        return VcfixError(f"playbook {self.path}: {entry}{where}: {problem}")

    def fields(self, data: Any, entry: str, allowed: Set[str], required: Tuple[str, ...],
               key: str = "") -> Dict[str, Any]:
        if not isinstance(data, dict):
            raise self.error(entry, "expected a mapping", key)
        unknown = sorted(str(k) for k in data if k not in allowed)
        if unknown:
            raise self.error(entry, f"unknown field(s) {', '.join(unknown)}", key)
        missing = [k for k in required if k not in data]
        if missing:
            raise self.error(entry, f"missing field(s) {', '.join(missing)}", key)
        return data

    def typed(self, value: Any, kind: type, entry: str, name: str, key: str) -> Any:
        """``value`` if it has type ``kind`` (float: a positive number), else an error."""
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        what = kind.__name__
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
            what = "a positive number"
        if not ok:
            raise self.error(entry, f"'{name}' must be {what}, got {value!r}",
                             f"{key}.{name}" if key else name)
        return value

    def regex(self, text: Any, entry: str, key: str) -> Pattern[str]:
        if not isinstance(text, str):
            raise self.error(entry, f"a pattern must be a string, got {text!r}", key)
        try:
            return re.compile(text, _FLAGS)
        except re.error as exc:
            raise self.error(entry, f"bad regular expression {text!r}: {exc}", key) from None

    def playbook(self, data: Any) -> Playbook:
        top = self.fields(data, "top level", self.TOP,
                          ("id", "tool", "option", "description", "prompts", "success", "log"))
        for name in ("id", "tool", "description", "log"):
            self.typed(top[name], str, "top level", name, "")
        if top["tool"] not in TOOLS and top["tool"] != "fixsts":
            raise self.error("tool", f"unknown tool {top['tool']!r}")
        option = top["option"]
        if option is not None and (not isinstance(option, int) or isinstance(option, bool)
                                   or not 1 <= option <= 8):
            raise self.error("option", f"expected 1 to 8 or null, got {option!r}")
        if top["tool"] == "certificate-manager" and option is None:
            raise self.error("option", "certificate-manager playbooks need a menu option")
        prompts_data = self.typed(top["prompts"], list, "top level", "prompts", "")
        prompts = [self.prompt(p, i, option) for i, p in enumerate(prompts_data)]
        seen: Dict[str, int] = {}
        for i, prompt in enumerate(prompts):
            if prompt.id in seen:
                raise self.error(f"prompts[{i}] (id {prompt.id!r})",
                                 f"duplicate id (also prompts[{seen[prompt.id]}])", f"prompts[{i}]")
            seen[prompt.id] = i
        failures_data = self.typed(top.get("failures", []), list, "top level", "failures", "")
        failures = [self.failure(f, i) for i, f in enumerate(failures_data)]
        success = top["success"] if isinstance(top["success"], list) else [top["success"]]
        if not success:
            raise self.error("success", "needs at least one pattern")
        return Playbook(
            id=top["id"], tool=top["tool"], option=option, description=top["description"],
            prompts=tuple(prompts), failures=tuple(failures), progress=self.progress(top),
            success=tuple(self.regex(s, "success", f"success[{i}]") for i, s in enumerate(success)),
            timeouts=self.timeouts(top.get("timeouts", {})), log=top["log"],
            restarts=self.typed(top.get("restarts", ""), str, "top level", "restarts", ""),
            outage_minutes=self.typed(top.get("outage_minutes", 0), int, "top level",
                                      "outage_minutes", ""),
            follow_ups=tuple(self.strings(top.get("follow_ups", []), "follow_ups")),
            source=str(self.path),
        )

    def prompt(self, data: Any, index: int, option: Optional[int]) -> Prompt:
        key = f"prompts[{index}]"
        ident = data.get("id") if isinstance(data, dict) else None
        entry = f"{key} (id {ident!r})" if ident else key
        p = self.fields(data, entry, self.PROMPT, ("id", "description", "pattern", "answer"), key)
        for name in ("id", "description"):
            self.typed(p[name], str, entry, name, key)
        flags = {n: self.typed(p.get(n, False), bool, entry, n, key)
                 for n in ("secret", "optional", "yes_no", "confirm")}
        repeats = self.typed(p.get("max_repeats", 1), int, entry, "max_repeats", key)
        if repeats < 0:
            raise self.error(entry, "'max_repeats' must be 0 or more", f"{key}.max_repeats")
        answer = self.answer(p["answer"], entry, f"{key}.answer", option)
        is_secret_key = answer.kind == "key" and answer.value in SECRET_KEYS
        if flags["secret"] != is_secret_key:
            raise self.error(entry, "'secret: true' is required exactly when the answer is a "
                             f"secret key ({', '.join(sorted(SECRET_KEYS))})", key)
        if (flags["yes_no"] or flags["confirm"]) and not (
                answer.kind == "constant" and answer.value in ("Y", "N")):
            raise self.error(entry, "a yes_no/confirm prompt must answer constant \"Y\" or \"N\"",
                             key)
        if flags["confirm"] and not (flags["yes_no"] and answer.value == "Y"):
            raise self.error(entry, "a confirm prompt must be yes_no and answer \"Y\"", key)
        return Prompt(id=p["id"], description=p["description"],
                      pattern=self.regex(p["pattern"], entry, f"{key}.pattern"), answer=answer,
                      max_repeats=repeats, **flags)

    def answer(self, data: Any, entry: str, key: str, option: Optional[int]) -> AnswerSpec:
        if not isinstance(data, dict) or len(data) != 1:
            raise self.error(entry, "'answer' must be one of {key: ...}, {derived: ...}, "
                             "{constant: ...}", key)
        kind, value = next(iter(data.items()))
        if kind not in ("key", "derived", "constant") or not isinstance(value, str):
            raise self.error(entry, f"bad answer {data!r} (values must be quoted strings)", key)
        if kind == "key" and value not in ANSWER_KEYS:
            raise self.error(entry, f"unknown answer key {value!r}", key)
        if kind == "derived" and value not in DERIVED:
            raise self.error(entry, f"unknown derived answer {value!r}; known: "
                             f"{', '.join(DERIVED)}", key)
        if kind == "derived" and value == "menu_option" and option is None:
            raise self.error(entry, "menu_option needs the playbook's 'option'", key)
        return AnswerSpec(kind, value)

    def failure(self, data: Any, index: int) -> Failure:
        key = f"failures[{index}]"
        f = self.fields(data, key, self.FAILURE, ("pattern", "kind"), key)
        if f["kind"] not in FAILURE_KINDS:
            raise self.error(key, f"kind must be one of {', '.join(FAILURE_KINDS)}", key)
        return Failure(pattern=self.regex(f["pattern"], key, f"{key}.pattern"), kind=f["kind"],
                       rolled_back=self.typed(f.get("rolled_back", False), bool, key,
                                              "rolled_back", key),
                       description=self.typed(f.get("description", ""), str, key,
                                              "description", key))

    def progress(self, top: Mapping[str, Any]) -> Optional[Pattern[str]]:
        if top.get("progress") is None:
            return None
        pattern = self.regex(top["progress"], "progress", "progress")
        if not {"percent", "message"} <= set(pattern.groupindex):
            raise self.error("progress", "needs named groups (?P<percent>...) and (?P<message>...)")
        return pattern

    def timeouts(self, data: Any) -> Timeouts:
        t = self.fields(data, "timeouts", {"prompt", "overall", "silence_ok"}, (), "timeouts")
        values = {k: float(self.typed(v, float, "timeouts", k, "timeouts")) for k, v in t.items()}
        return Timeouts(**values)

    def strings(self, data: Any, name: str) -> List[str]:
        if not isinstance(data, list) or not all(isinstance(s, str) for s in data):
            raise self.error(name, "expected a list of strings")
        return list(data)
