"""The dialog's output scanner on a line without end: only its end is examined."""

from __future__ import annotations

from vcfix.fix.dialog import playbook
from vcfix.fix.dialog.match import OutputScanner, match_prompt


def test_an_endless_line_keeps_the_pending_text_bounded() -> None:
    pb = playbook.load("machine-ssl")
    scanner = OutputScanner(pb)
    chunk = "x" * 4096
    for _ in range(600):  # about 2.5 MB without a line break
        scanner.feed(chunk)
        assert len(scanner.pending()) <= 4096
    scanner.feed(" Option[1 to 8]: ")
    assert len(scanner.tail()) <= 4096 + 64
    assert match_prompt(pb, scanner.pending()) is not None
