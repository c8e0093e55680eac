"""Shared helpers of the clocks tests: the bundled policies, Helsinki times, one clock."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from oneContact.clocks import HELSINKI, Calendar, Clock, ClockSubject, Policies
from oneContact.errors import RuleError

from ..conftest import REPO

__all__ = [
    "ADULT",
    "CAL",
    "DECLINE_ASSESSED",
    "DECLINE_DUE",
    "EP",
    "POLICIES_DIR",
    "REPO",
    "URGENT",
    "after_assessment",
    "bundled_policies",
    "hki",
    "one",
    "problems_of",
    "regional_policies",
    "utc",
    "write",
]

POLICIES_DIR = REPO / "rules" / "policies"
CAL = Calendar.finnish()
ADULT = ClockSubject(age=40)
URGENT = ("social_urgent_assessment", "child_welfare_urgent_assessment")
EP = "etela-pohjanmaa"


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.from_directory(POLICIES_DIR)


@pytest.fixture(scope="module")
def regional() -> Policies:
    return Policies.from_directory(POLICIES_DIR, region=EP)


@functools.cache
def bundled_policies() -> Policies:
    """For property tests, which cannot take function-scoped fixtures."""
    return Policies.from_directory(POLICIES_DIR)


@functools.cache
def regional_policies() -> Policies:
    return Policies.from_directory(POLICIES_DIR, region=EP)


def hki(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    """A wall-clock time in Helsinki."""
    return datetime(y, m, d, hh, mm, tzinfo=HELSINKI)


def utc(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def one(
    policies: Policies,
    clock_id: str,
    received_at: datetime,
    *,
    subject: ClockSubject = ADULT,
    events: Mapping[str, datetime | Sequence[datetime]] | None = None,
    now: datetime | None = None,
) -> Clock:
    (clock,) = policies.compute(
        [clock_id], subject=subject, received_at=received_at, events=events, now=now
    )
    return clock


def after_assessment(
    policies: Policies, clock_id: str, assessed: datetime, subject: ClockSubject = ADULT
) -> Clock:
    """A clock started by need_assessed; the contact came a little earlier."""
    return one(
        policies,
        clock_id,
        assessed - timedelta(hours=1),
        subject=subject,
        events={"need_assessed": assessed},
    )


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(directory: Path) -> RuleError:
    with pytest.raises(RuleError) as info:
        Policies.from_directory(directory)
    return info.value


# Care clock, age 40: need assessed Tue 3.9.2024 (2024 law) -> 14 days -> Tue 17.9.2024.
DECLINE_ASSESSED = hki(2024, 9, 3, 10)
DECLINE_DUE = date(2024, 9, 17)
