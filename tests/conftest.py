"""Shared fixtures: a fixed clock, so no test depends on the day it runs."""

from __future__ import annotations

import datetime as dt

import pytest

FIXED_NOW = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def now() -> dt.datetime:
    return FIXED_NOW


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """Pin vcfix and the lab's fake tools to FIXED_NOW through VCFIX_NOW."""
    monkeypatch.setenv("VCFIX_NOW", FIXED_NOW.isoformat())
    return FIXED_NOW
