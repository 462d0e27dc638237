"""An operator typing given answers, in order, for in-process tests of the fix's questions.

Interactive (``interactive = True``) like the questionary prompter, without a terminal:
``ask`` returns the next answer (None: accept the default), ``question`` and ``confirm``
the next truth value; an answer that is an exception instance is raised (e.g. Ctrl-C as
KeyboardInterrupt). Every key asked and every line said are kept, in order
(``said`` holds ``[asked KEY]`` where a question came).
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from vcfix.ui.prompts import Prompter


class Scripted(Prompter):
    interactive = True

    def __init__(self, typed: Sequence[object]) -> None:
        super().__init__()
        self.typed = list(typed)
        self.said: List[str] = []
        self.asked: List[str] = []

    def _next(self, key: str) -> object:
        self.asked.append(key)
        self.said.append(f"[asked {key}]")
        assert self.typed, f"asked {key!r} with no answer left"
        value = self.typed.pop(0)
        if isinstance(value, BaseException):
            raise value
        return value

    def ask(self, key: str, description: str, secret: bool,
            default: Optional[str] = None) -> Optional[str]:
        value = self._next(key)
        return default if value is None else str(value)

    def question(self, key: str, message: str, default: bool) -> bool:
        return bool(self._next(key))

    def confirm(self, key: str, message: str, details: Sequence[str] = ()) -> bool:
        return bool(self._next(f"confirm {key}"))

    def say(self, text: str = "") -> None:
        self.said.append(text)

    @property
    def output(self) -> str:
        return "\n".join(self.said)
