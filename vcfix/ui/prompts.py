"""One prompt API for interactive and unattended runs (the certbot model).

Every question vcfix asks has a key and a default. Interactive runs ask with
questionary (``unsafe_ask``, so Ctrl-C raises KeyboardInterrupt instead of
turning into an answer); unattended runs never ask: a question without an
answer ends the run with exit 4 naming the key, and a confirmation needs
``--yes``.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, Optional, Sequence, TextIO

from vcfix.answers.answer_file import MissingAnswer
from vcfix.errors import EXIT_MISSING_ANSWER, VcfixError
from vcfix.ui.style import safe_text


class Prompter:
    """Unattended: answers nothing by itself."""

    interactive = False

    def __init__(self, assume_yes: bool = False) -> None:
        self.assume_yes = assume_yes

    def ask(self, key: str, description: str, secret: bool,
            default: Optional[str] = None) -> Optional[str]:
        """The operator's answer for ``key``, or None when there is nobody to ask."""
        return None

    def confirm(self, key: str, message: str, details: Sequence[str] = ()) -> bool:
        """Confirm a change. Unattended, only ``--yes`` confirms."""
        if self.assume_yes:
            return True
        raise VcfixError(
            f"'{key}' needs a confirmation and this run is unattended",
            exit_code=EXIT_MISSING_ANSWER,
            hint="add --yes to accept the step confirmations, or run vcfix on a terminal",
        )

    def choose(self, key: str, message: str, choices: Sequence[str], default: str) -> str:
        return default

    def question(self, key: str, message: str, default: bool) -> bool:
        """A yes/no question that changes nothing by itself: unattended, the default."""
        return default

    def say(self, text: str = "") -> None:
        print(safe_text(text), flush=True)


class InteractivePrompter(Prompter):
    """Asks on the terminal with questionary (on ``stream``: stderr keeps stdout for JSON)."""

    interactive = True

    def __init__(self, assume_yes: bool = False, stream: Optional[TextIO] = None) -> None:
        super().__init__(assume_yes)
        self.stream = stream

    def _kw(self) -> Dict[str, Any]:
        if self.stream is None:
            return {}
        from prompt_toolkit.output import create_output

        return {"output": create_output(stdout=self.stream)}

    def ask(self, key: str, description: str, secret: bool,
            default: Optional[str] = None) -> Optional[str]:
        import questionary

        message = f"{description[:1].upper()}{description[1:]}:"
        if secret:
            value = questionary.password(message, **self._kw()).unsafe_ask()
        else:
            value = questionary.text(message, default=default or "", **self._kw()).unsafe_ask()
        return str(value) if value is not None else None

    def confirm(self, key: str, message: str, details: Sequence[str] = ()) -> bool:
        if self.assume_yes:
            return True
        for line in details:
            self.say(f"  {line}")
        return self.question(key, message, False)

    def question(self, key: str, message: str, default: bool) -> bool:
        import questionary

        return bool(questionary.confirm(message, default=default, **self._kw()).unsafe_ask())

    def choose(self, key: str, message: str, choices: Sequence[str], default: str) -> str:
        import questionary

        return str(questionary.select(message, choices=list(choices), default=default,
                                      **self._kw()).unsafe_ask())


def make_prompter(*, unattended: bool, assume_yes: bool) -> Prompter:
    if unattended or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return Prompter(assume_yes)
    return InteractivePrompter(assume_yes)


__all__ = ["InteractivePrompter", "MissingAnswer", "Prompter", "make_prompter"]
