"""A stop says what really happened: before any progress, nothing was changed."""

from __future__ import annotations

from pathlib import Path

from test_driver import FIELDS, STATUS_OK, drive, fast, intro  # noqa: F401 (fixture)

SECOND = [{"say": "You are going to reset by regenerating Root Certificate and replace all "
                  "certificates using VMCA"},
          {"ask": "Continue operation : Option[Y/N] ? : ", "expect": "Y"}]


def option8(tmp_path: Path, after: list) -> list:  # type: ignore[type-arg]
    return [{"ask": "Option[1 to 8]: ", "expect": "8"},
            {"ask": "Do you wish to generate all certificates using configuration file : "
                    "Option[Y/N] ? : ", "expect": "Y"}] + intro(tmp_path, 8)[3:] + FIELDS + after


def test_a_repeated_prompt_after_the_confirmation_but_before_progress_changed_nothing(
        tmp_path: Path) -> None:
    """Option 8 asks Continue twice (the playbook allows that); a third time is a repeat vcfix
    stops at, and stopping there changed nothing (no option 7)."""
    run = drive(tmp_path, "reset-all",
                option8(tmp_path, SECOND * 3 + [{"raw": STATUS_OK}]))
    result = run.result
    assert not result.ok and result.failure_kind == "repeated"
    assert not result.operation_started
    assert "nothing was changed" in result.reason
    assert "option 7" not in result.reason and "half-replaced" not in result.reason


def test_a_stop_after_progress_still_warns_about_half_replaced_certificates(
        tmp_path: Path) -> None:
    after = SECOND + [{"raw": "\rStatus : 10% Completed [Regenerating root...]\n"},
                      {"ask": "Something unexpected : Option[Y/N] ? : "}]
    run = drive(tmp_path, "reset-all", option8(tmp_path, after))
    assert run.result.failure_kind == "unrecognised" and run.result.operation_started
    assert "half-replaced" in run.result.reason and "option 7" in run.result.reason
