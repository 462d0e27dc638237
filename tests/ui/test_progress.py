"""The progress display: the bar, plain lines, and the status line during a silence."""

from __future__ import annotations

import datetime as dt
import io

from vcfix.fix.waiting import Waiting, describe, normal_for, span
from vcfix.ui.progress import Progress

NOW = dt.datetime(2026, 1, 2, 3, 0, 0, tzinfo=dt.timezone.utc)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def waiting(phase: str, quiet: float) -> Waiting:
    return Waiting(tool="certificate-manager", elapsed=250.0, quiet=quiet, phase=phase,
                   limit=3600.0, silence_limit=1800.0, now=NOW)


def test_waiting_line_says_elapsed_quiet_normal_and_deadline() -> None:
    line = describe(waiting("Starting services...", 130.0))
    assert line.startswith("certificate-manager: 4 min 10 s elapsed, quiet for 2 min 10 s "
                           "in 'Starting services...'")
    assert "up to 15 min 00 s of silence is normal while certificate-manager starts every " \
        "service (normal)" in line
    assert line.endswith("vcfix gives up at 03:27:50 UTC (in 27 min 50 s)")  # the silence limit


def test_longer_than_usual_is_said_and_unknown_phases_get_a_default() -> None:
    assert "longer than usual" in describe(waiting("Replacing Machine SSL Cert...", 400.0))
    assert normal_for("") == normal_for("something new")
    assert normal_for("start vmware-vpxd")[0] == 300
    assert normal_for("start all (profile)")[0] == 900
    assert span(3725) == "1 h 02 min" and span(45) == "45 s"


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress("option 8", out)
    progress.update(70, "Stopping services...")
    progress.waiting("quiet for 10 s")
    progress.waiting("quiet for 20 s")
    progress.line("start vmdird")
    assert out.getvalue().splitlines() == [
        "  option 8: 70% Stopping services...", "  quiet for 10 s", "  quiet for 20 s",
        "  start vmdird"]


def test_on_a_terminal_the_status_line_is_redrawn_under_the_bar() -> None:
    out = Tty()
    progress = Progress("option 8", out)
    progress.update(70, "Stopping services...")
    progress.waiting("quiet for 10 s")
    progress.waiting("quiet for 20 s")
    progress.update(85, "Starting services...")
    progress.done()
    text = out.getvalue()
    assert text.count("\n") == 2  # the bar's line and the status line, no scrolling
    assert "\r\x1b[K  quiet for 10 s\r\x1b[K  quiet for 20 s" in text
    assert text.endswith("85% Starting services..." + " " * 40 + "\n")
