"""Tests of oneContact.clocks, written from the law (docs/explanation/law-index.md).

Every expected date was worked out by hand with a printed calendar; the reasoning is in the
comment beside each case. Finnish days that are not weekdays, from the almanac:
2023: Good Friday 7.4, Easter Monday 10.4.
2024: Midsummer Eve Fri 21.6 / Day Sat 22.6; Independence Day Fri 6.12;
      Christmas Eve Tue 24.12, Christmas Wed 25.12, St Stephen's Thu 26.12.
2025: New Year Wed 1.1; Epiphany Mon 6.1; Good Friday 18.4; Easter Monday 21.4;
      May Day Thu 1.5; Ascension Thu 29.5; Midsummer Eve Fri 20.6 / Day Sat 21.6;
      All Saints' Sat 1.11; Christmas Eve Wed 24.12, Thu 25.12, Fri 26.12.
2026: New Year Thu 1.1; Epiphany Tue 6.1.
DST in Helsinki: 2025-03-30 03:00 EET (+2) -> 04:00 EEST (+3);
                 2025-10-26 04:00 EEST (+3) -> 03:00 EET (+2).
"""

from __future__ import annotations

import functools
import shutil
import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oneContact.clocks import (
    HELSINKI,
    STANDARD_EVENTS,
    Calendar,
    Clock,
    ClockSubject,
    Policies,
    finnish_closed_days,
    local_date,
    local_day_of,
    micros,
)
from oneContact.errors import OneContactError, RuleError

POLICIES_DIR = Path(__file__).parents[1] / "rules" / "policies"
CAL = Calendar.finnish()
ADULT = ClockSubject(age=40)
URGENT = ("social_urgent_assessment", "child_welfare_urgent_assessment")
EP = "etela-pohjanmaa"


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.from_directory(POLICIES_DIR)


@functools.cache
def _bundled_policies() -> Policies:
    """For property tests, which cannot take function-scoped fixtures."""
    return Policies.from_directory(POLICIES_DIR)


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


# ----------------------------------------------------------------------------- local_date


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # 22:30 UTC in January is 00:30 EET (+2) the next day: Epiphany Monday.
        (utc(2025, 1, 5, 22, 30), date(2025, 1, 6)),
        # DST starts 2025-03-30 at 01:00 UTC; 23:30 UTC the day before is 01:30 EET on the 30th.
        (utc(2025, 3, 29, 23, 30), date(2025, 3, 30)),
        # After the change Helsinki is +3: 23:30 UTC is 02:30 on the next day.
        (utc(2025, 3, 30, 23, 30), date(2025, 3, 31)),
        # +3: 20:59 UTC is 23:59 the same day, 21:00 UTC is midnight of the next.
        (utc(2025, 3, 30, 20, 59), date(2025, 3, 30)),
        (utc(2025, 3, 30, 21, 0), date(2025, 3, 31)),
        # Still +3 on the eve of the October change: 21:00 UTC is 00:00 on the 26th.
        (utc(2025, 10, 25, 20, 59), date(2025, 10, 25)),
        (utc(2025, 10, 25, 21, 0), date(2025, 10, 26)),
        # Back to +2 on the 26th: 21:59 UTC is 23:59, 22:00 UTC is midnight of the 27th.
        (utc(2025, 10, 26, 21, 59), date(2025, 10, 26)),
        (utc(2025, 10, 26, 22, 0), date(2025, 10, 27)),
        # Any zone is converted first: 17:30 in New York (EST, -5) is 22:30 UTC.
        (datetime(2025, 1, 5, 17, 30, tzinfo=ZoneInfo("America/New_York")), date(2025, 1, 6)),
    ],
)
def test_local_date_is_the_helsinki_date(instant: datetime, expected: date) -> None:
    """local_date converts to Europe/Helsinki before taking the date."""
    assert expected == local_date(instant)


def test_local_date_refuses_naive_datetimes() -> None:
    """A naive timestamp is ambiguous and raises ValueError."""
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2025, 1, 6, 12, 0))  # the naive value under test


# ----------------------------------------------------------------------------- calendar


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 2, 11), True),  # an ordinary Tuesday
        (date(2025, 2, 15), False),  # Saturday
        (date(2025, 2, 16), False),  # Sunday
        (date(2025, 1, 1), False),  # New Year's Day, Wednesday
        (date(2025, 1, 6), False),  # Epiphany, Monday
        (date(2025, 4, 18), False),  # Good Friday
        (date(2025, 4, 21), False),  # Easter Monday
        (date(2025, 4, 22), True),  # Tuesday after Easter
        (date(2025, 5, 1), False),  # May Day, Thursday
        (date(2025, 5, 29), False),  # Ascension Day, Thursday
        (date(2025, 6, 20), False),  # Midsummer Eve, Friday: not a public holiday, not a weekday
        (date(2025, 6, 19), True),  # the Thursday before it
        (date(2024, 12, 6), False),  # Independence Day, Friday
        (date(2024, 12, 24), False),  # Christmas Eve, Tuesday: not a weekday
        (date(2024, 12, 23), True),  # Monday before Christmas
        (date(2025, 12, 24), False),  # Christmas Eve, Wednesday
        (date(2025, 12, 26), False),  # St Stephen's Day, Friday
        (date(2025, 12, 29), True),  # Monday after Christmas
    ],
)
def test_is_weekday_follows_the_finnish_calendar(day: date, expected: bool) -> None:
    """Mon-Fri except public holidays, Christmas Eve and Midsummer Eve."""
    assert expected == CAL.is_weekday(day)


@pytest.mark.parametrize("year", range(2015, 2036))
def test_both_eves_are_never_weekdays(year: int) -> None:
    """Christmas Eve (24.12) and Midsummer Eve (the Friday from 19 to 25 June) are days off."""
    midsummer_eve = next(date(year, 6, d) for d in range(19, 26) if date(year, 6, d).weekday() == 4)
    assert not CAL.is_weekday(midsummer_eve)
    assert not CAL.is_weekday(date(year, 12, 24))


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        # Easter 2025: Thu 17.4 -> Fri 18.4 Good Friday, Sat, Sun, Mon 21.4 Easter Monday
        # -> Tue 22.4 is the 1st weekday, Thu 24.4 the 3rd.
        (date(2025, 4, 17), 1, date(2025, 4, 22)),
        (date(2025, 4, 17), 3, date(2025, 4, 24)),
        # May Day 2025: Wed 30.4 -> Thu 1.5 off -> Fri 2.5.
        (date(2025, 4, 30), 1, date(2025, 5, 2)),
        # Ascension 2025: Wed 28.5 -> Thu 29.5 off, Fri 30.5 (1), Sat, Sun, Mon 2.6 (2).
        (date(2025, 5, 28), 2, date(2025, 6, 2)),
        # Midsummer 2025: Thu 19.6 -> Fri 20.6 Eve, Sat 21.6 Day, Sun -> Mon 23.6.
        (date(2025, 6, 19), 1, date(2025, 6, 23)),
        # Christmas 2025: Tue 23.12 -> Wed 24 Eve, Thu 25, Fri 26, Sat, Sun -> Mon 29.12.
        (date(2025, 12, 23), 1, date(2025, 12, 29)),
        # New Year: Tue 31.12.2024 -> Wed 1.1.2025 off -> Thu 2.1.2025.
        (date(2024, 12, 31), 1, date(2025, 1, 2)),
        # Independence Day 2024: Thu 5.12 -> Fri 6.12 off, weekend -> Mon 9.12.
        (date(2024, 12, 5), 1, date(2024, 12, 9)),
        # Counting from a Saturday: Mon 17.2 (1), Tue (2), Wed 19.2 (3).
        (date(2025, 2, 15), 3, date(2025, 2, 19)),
        # Zero weekdays after a day is the day itself.
        (date(2025, 2, 15), 0, date(2025, 2, 15)),
    ],
)
def test_add_weekdays_skips_days_off(day: date, n: int, expected: date) -> None:
    """The n-th weekday after a day, the day itself not counted."""
    assert expected == CAL.add_weekdays(day, n)


def test_add_weekdays_counts_forward_only() -> None:
    """A negative count is a programming error."""
    with pytest.raises(ValueError, match="forward"):
        CAL.add_weekdays(date(2025, 2, 11), -1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 2, 11), date(2025, 2, 11)),  # Tuesday: itself
        (date(2025, 6, 20), date(2025, 6, 23)),  # Midsummer Eve Fri -> Mon 23.6
        (date(2025, 6, 21), date(2025, 6, 23)),  # Midsummer Day Sat -> Mon 23.6
        (date(2024, 12, 24), date(2024, 12, 27)),  # Christmas Eve Tue -> 25, 26 off -> Fri 27
    ],
)
def test_next_weekday(day: date, expected: date) -> None:
    """The day itself when it is a weekday, else the next weekday."""
    assert expected == CAL.next_weekday(day)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # (Thu 17.4, Tue 22.4]: Fri GF, Sat, Sun, Mon EM are off; Tue 22.4 counts -> 1.
        (date(2025, 4, 17), date(2025, 4, 22), 1),
        (date(2025, 4, 22), date(2025, 4, 17), -1),
        (date(2025, 4, 22), date(2025, 4, 22), 0),
        # (Fri 19.12.2025, Mon 5.1.2026]: Mon 22, Tue 23, Mon 29, Tue 30, Wed 31,
        # Fri 2.1, Mon 5.1 -> 7 (24-26.12 and 1.1 off).
        (date(2025, 12, 19), date(2026, 1, 5), 7),
        # A whole year, 2025: 261 Mon-Fri days minus 10 on a weekday (1.1, 6.1, 18.4, 21.4,
        # 1.5, 29.5, 20.6, 24.12, 25.12, 26.12) = 251.
        (date(2024, 12, 31), date(2025, 12, 31), 251),
    ],
)
def test_weekdays_between(start: date, end: date, expected: int) -> None:
    """Weekdays in (start, end], negative when end is before start."""
    assert expected == CAL.weekdays_between(start, end)


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2024, 11, 30), 3, date(2025, 2, 28)),  # 30 Feb does not exist -> 28 Feb
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # 31 Feb -> 28 Feb
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year -> 29 Feb
        (date(2024, 8, 31), 1, date(2024, 9, 30)),  # 31 Sep -> 30 Sep
        (date(2024, 12, 15), 2, date(2025, 2, 15)),  # over the year end, same number
        (date(2025, 3, 31), -1, date(2025, 2, 28)),  # backwards too
    ],
)
def test_add_months_keeps_the_date_number_or_takes_the_last_day(
    day: date, n: int, expected: date
) -> None:
    """Act 150/1930: same date number, or the month's last day if it does not exist."""
    assert expected == CAL.add_months(day, n)


def test_add_days_counts_calendar_days() -> None:
    """vrk are calendar days: 14 days after Tue 10.12.2024 is Tue 24.12.2024 (an eve)."""
    assert date(2024, 12, 24) == CAL.add_days(date(2024, 12, 10), 14)


def test_finnish_calendar_is_shared() -> None:
    """Calendar.finnish() returns one instance, so each year is tabulated once."""
    assert Calendar.finnish() is Calendar.finnish()
    assert repr(Calendar.finnish()) == "<Calendar FI>"


def test_a_calendar_takes_its_days_off_from_its_source() -> None:
    """With no days off but weekends, Epiphany Monday is a weekday."""
    plain = Calendar(lambda year: frozenset())
    assert plain.is_weekday(date(2025, 1, 6))
    assert date(2025, 1, 7) == plain.add_weekdays(date(2025, 1, 3), 2)  # Mon 6, Tue 7


class _FakeHolidays(dict[date, str]):
    supported_categories = ("public", "unofficial")


def _fake_factory(where_eve: str | None) -> Callable[..., _FakeHolidays]:
    """holidays.country_holidays stand-in whose Midsummer Eve sits in *where_eve*."""

    def factory(
        country: str, *, years: int, language: str, categories: tuple[str, ...] = ("public",)
    ) -> _FakeHolidays:
        assert (country, language) == ("FI", "fi")
        table = _FakeHolidays()
        if "public" in categories:
            table[date(years, 12, 24)] = "Jouluaatto"
            table[date(years, 12, 25)] = "Joulupäivä"
        if "unofficial" in categories:
            table[date(years, 2, 5)] = "Runebergin päivä"  # a flag day: a working day
        if where_eve in categories:
            table[date(years, 6, 20)] = "Juhannusaatto; Something else"
        return table

    return factory


def test_an_eve_moved_to_another_category_is_still_a_day_off() -> None:
    """If holidays moved Midsummer Eve out of the defaults, only its date is taken back."""
    closed = finnish_closed_days(2025, factory=_fake_factory("unofficial"))
    assert closed == {date(2025, 6, 20), date(2025, 12, 24), date(2025, 12, 25)}


def test_a_missing_eve_stops_the_calendar() -> None:
    """Without Midsummer Eve in any category no weekday can be trusted: OneContactError."""
    with pytest.raises(OneContactError, match="Midsummer Eve"):
        finnish_closed_days(2025, factory=_fake_factory(None))


# ----------------------------------------------------------------------------- properties

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(day=days, n=st.integers(min_value=1, max_value=400))
def test_add_weekdays_lands_on_a_weekday_strictly_after(day: date, n: int) -> None:
    """add_weekdays gives a weekday after the day, with exactly n weekdays in between."""
    result = CAL.add_weekdays(day, n)
    assert result > day
    assert CAL.is_weekday(result)
    assert n == CAL.weekdays_between(day, result)


@given(day=days)
def test_next_weekday_is_the_first_weekday_from_the_day(day: date) -> None:
    """No weekday is skipped between the day and next_weekday(day)."""
    result = CAL.next_weekday(day)
    assert CAL.is_weekday(result)
    skipped = (day + timedelta(days=i) for i in range((result - day).days))
    assert not any(CAL.is_weekday(d) for d in skipped)


@given(day=days, n=st.integers(min_value=-60, max_value=60))
def test_add_months_never_skips_a_month(day: date, n: int) -> None:
    """n months later is in the n-th month over, on the same number or the month's end."""
    result = CAL.add_months(day, n)
    assert day.year * 12 + day.month + n == result.year * 12 + result.month
    assert result.day <= day.day
    if result.day < day.day:  # only when the month is too short
        assert (result + timedelta(days=1)).day == 1


@given(start=days, end=days)
def test_weekdays_between_is_antisymmetric(start: date, end: date) -> None:
    """Swapping the ends changes only the sign."""
    assert CAL.weekdays_between(start, end) == -CAL.weekdays_between(end, start)


@given(
    received=st.datetimes(min_value=datetime(2022, 1, 1), max_value=datetime(2027, 12, 31)),
    age=st.none() | st.integers(min_value=0, max_value=110),
    allowance=st.booleans(),
    child=st.booleans(),
)
def test_every_statutory_due_date_is_a_weekday_on_or_after_the_start(
    received: datetime, age: int | None, allowance: bool, child: bool
) -> None:
    """With roll_to_weekday on, no due date of the bundled law falls on a day off; the
    urgent clocks (switch off: urgent help does not wait for Monday) are due that day."""
    policies = _bundled_policies()
    start = received.replace(tzinfo=UTC)
    subject = ClockSubject(age=age, highest_care_allowance=allowance, special_support_child=child)
    clocks = policies.compute(
        sorted(policies.clock_ids),
        subject=subject,
        received_at=start,
        events={"need_assessed": start, "referral_received": start, "decision_made": start},
    )
    for clock in clocks:
        assert clock.due_date is not None or clock.limit is None, clock
        if clock.clock in URGENT:
            assert clock.due_date == local_date(start)
        elif clock.due_date is not None:
            assert clock.due_date >= local_date(start)
            assert CAL.is_weekday(clock.due_date), clock


# ----------------------------------------------------------------------------- need assessment


@pytest.mark.parametrize(
    ("received_at", "expected"),
    [
        # Old law (until 2023-08-31), 3rd weekday. Thu 6.4.2023: Fri 7.4 Good Friday,
        # Mon 10.4 Easter Monday off; Tue 11.4 (1), Wed 12.4 (2), Thu 13.4 (3).
        (hki(2023, 4, 6, 10), date(2023, 4, 13)),
        # Last day of the old law, Thu 31.8.2023: Fri 1.9 (1), Mon 4.9 (2), Tue 5.9 (3).
        (hki(2023, 8, 31, 10), date(2023, 9, 5)),
        # First day of the new law, Fri 1.9.2023 10:00: same day.
        (hki(2023, 9, 1, 10), date(2023, 9, 1)),
        # 23:30 UTC on 31.8 is 02:30 EEST on Fri 1.9: the new law, and before office hours
        # on a weekday, so it counts from 08:00 the same day.
        (utc(2023, 8, 31, 23, 30), date(2023, 9, 1)),
    ],
)
def test_need_assessment_uses_the_law_of_the_contact_day(
    policies: Policies, received_at: datetime, expected: date
) -> None:
    """The version in force on the local date of the contact applies."""
    assert expected == one(policies, "need_assessment", received_at).due_date


def test_need_assessment_old_and_new_limits_are_named(policies: Policies) -> None:
    """The limit and basis name the version that applied."""
    old = one(policies, "need_assessment", hki(2023, 8, 31, 10))
    new = one(policies, "need_assessment", hki(2023, 9, 1, 10))
    assert (old.limit, new.limit) == ("3 weekdays", "same day (office hours 08:00-16:00)")
    assert "until 2023-08-31" in old.basis
    assert new.basis.startswith("Terveydenhuoltolaki 1326/2010 § 51 (in force from 2023-09-01)")


@pytest.mark.parametrize(
    ("received_at", "expected"),
    [
        # Tue 11.2.2025 07:30, before office hours: counts from 08:00 Tuesday.
        (hki(2025, 2, 11, 7, 30), date(2025, 2, 11)),
        (hki(2025, 2, 11, 8, 0), date(2025, 2, 11)),  # the first minute of office hours
        (hki(2025, 2, 11, 15, 59), date(2025, 2, 11)),  # the last minute
        # 16:00 is when office hours end (interpretation: the end is exclusive) -> Wed 12.2.
        (hki(2025, 2, 11, 16, 0), date(2025, 2, 12)),
        (hki(2025, 2, 11, 16, 30), date(2025, 2, 12)),  # 16:30 Tuesday -> Wednesday
        (hki(2025, 2, 15, 12, 0), date(2025, 2, 17)),  # Saturday -> Monday 17.2
        # Fri 3.1.2025 17:00; Mon 6.1 is Epiphany -> Tue 7.1.
        (hki(2025, 1, 3, 17, 0), date(2025, 1, 7)),
        # 22:30 UTC on Sun 5.1 is 00:30 on Epiphany Monday: a day off -> Tue 7.1.
        (utc(2025, 1, 5, 22, 30), date(2025, 1, 7)),
        # Thu 19.6.2025 16:30 -> Fri 20.6 Midsummer Eve, Sat, Sun -> Mon 23.6.
        (hki(2025, 6, 19, 16, 30), date(2025, 6, 23)),
        # Tue 23.12.2025 17:00 -> Wed 24 Eve, Thu 25, Fri 26, weekend -> Mon 29.12.
        (hki(2025, 12, 23, 17, 0), date(2025, 12, 29)),
        # 23:30 UTC on Sun 30.3.2025 is 02:30 EEST on Monday 31.3, before office hours.
        (utc(2025, 3, 30, 23, 30), date(2025, 3, 31)),
    ],
)
def test_need_assessment_same_day_in_office_hours(
    policies: Policies, received_at: datetime, expected: date
) -> None:
    """From 2023-09-01: same day; outside office hours, from the next office hours."""
    assert expected == one(policies, "need_assessment", received_at).due_date


# ----------------------------------------------------------------------------- status


def test_open_until_the_due_day_is_over(policies: Policies) -> None:
    """Unstopped and now on the due date (or no now): open."""
    received = hki(2025, 2, 11, 10)  # due the same Tuesday
    assert one(policies, "need_assessment", received, now=hki(2025, 2, 11, 23, 59)).status == "open"
    assert one(policies, "need_assessment", received).status == "open"


def test_breached_when_now_is_past_the_due_date(policies: Policies) -> None:
    """Unstopped and the local date of now after the due date: breached."""
    # 22:30 UTC on Tue 11.2 is already 00:30 Wednesday in Helsinki.
    clock = one(policies, "need_assessment", hki(2025, 2, 11, 10), now=utc(2025, 2, 11, 22, 30))
    assert clock.status == "breached"


@pytest.mark.parametrize(
    ("assessed", "status"),
    [
        (hki(2025, 2, 11, 14), "met"),  # the same afternoon
        (utc(2025, 2, 11, 21, 30), "met"),  # 23:30 Tuesday in Helsinki, the due day
        (utc(2025, 2, 11, 22, 30), "breached"),  # 00:30 Wednesday in Helsinki
        (hki(2025, 2, 12, 9), "breached"),  # Wednesday morning
    ],
)
def test_met_or_breached_by_the_local_date_of_the_stop(
    policies: Policies, assessed: datetime, status: str
) -> None:
    """Stopped on or before the due date: met; after it: breached."""
    clock = one(
        policies,
        "need_assessment",
        hki(2025, 2, 11, 10),
        events={"need_assessed": assessed},
        now=hki(2025, 3, 1),
    )
    assert (status, assessed) == (clock.status, clock.stopped_at)


def test_a_stop_before_the_start_is_ignored(policies: Policies) -> None:
    """A stop event earlier than the clock's start does not stop it."""
    clock = one(
        policies,
        "need_assessment",
        hki(2025, 2, 11, 10),
        events={"need_assessed": hki(2025, 2, 10, 10)},
    )
    assert (clock.status, clock.stopped_at) == ("open", None)


def test_not_started_until_the_start_event(policies: Policies) -> None:
    """The care clock waits for need_assessed: not_started, no start, no due date."""
    clock = one(policies, "care", hki(2025, 2, 11, 10), now=hki(2026, 1, 1))
    assert (clock.status, clock.starts_at, clock.due_date, clock.limit) == (
        "not_started",
        None,
        None,
        None,
    )
    assert "need_assessed" in clock.basis


def test_no_due_date_is_open_then_met(policies: Policies) -> None:
    """Without a statutory limit the clock is open however late, and met once stopped."""
    received = hki(2025, 6, 16, 10)
    late = one(policies, "social_need_assessment", received, now=hki(2030, 1, 1))
    assert (late.due_date, late.status) == (None, "open")
    done = one(
        policies,
        "social_need_assessment",
        received,
        events={"need_assessed": hki(2025, 9, 1)},
    )
    assert done.status == "met"


def test_the_earliest_stop_event_stops_the_clock(tmp_path: Path) -> None:
    """With several stop events, the earliest one at or after the start counts."""
    write(
        tmp_path,
        "service.yaml",
        """\
        clocks:
          - id: service
            starts_on: decision_made
            stops_on: [service_started, care_started]
            versions:
              - basis: test
                limit: {months: 3}
        """,
    )
    policies = Policies.from_directory(tmp_path)
    events = {
        "decision_made": hki(2025, 2, 3),
        "care_started": hki(2025, 6, 2),
        "service_started": hki(2025, 4, 1),
    }
    (clock,) = policies.compute(
        ["service"], subject=ADULT, received_at=hki(2025, 1, 30), events=events
    )
    # Mon 3.2.2025 + 3 months = Sat 3.5.2025 -> Mon 5.5; service started 1.4: met.
    assert (date(2025, 5, 5), hki(2025, 4, 1), "met") == (
        clock.due_date,
        clock.stopped_at,
        clock.status,
    )


def test_to_json(policies: Policies) -> None:
    """to_json gives ISO strings and the documented keys, in order."""
    clock = one(
        policies,
        "need_assessment",
        utc(2025, 2, 11, 8),
        events={"need_assessed": utc(2025, 2, 11, 12)},
    )
    assert clock.to_json() == {
        "clock": "need_assessment",
        "for": None,  # the client's own right
        "starts_on": "contact_received",
        "starts_at": "2025-02-11T08:00:00+00:00",
        "due_date": "2025-02-11",
        "limit": "same day (office hours 08:00-16:00)",
        "basis": clock.basis,
        "status": "met",
        "stopped_at": "2025-02-11T12:00:00+00:00",
        "target_due_date": None,  # no regional target in the bundled policies
    }
    assert repr(clock) == "<Clock 'need_assessment' met due 2025-02-11>"


# ----------------------------------------------------------------------------- care


@pytest.mark.parametrize(
    ("assessed", "subject", "expected", "limit"),
    [
        # 2023-09-01..2024-12-31: 14 days for everyone. Tue 31.12.2024 + 14 = Tue 14.1.2025,
        # even for a 40-year-old and even though it ends under the 2025 law.
        (hki(2024, 12, 31), ADULT, date(2025, 1, 14), "14 days"),
        # From 2025-01-01, 23 or over: 3 months. Thu 2.1.2025 -> Wed 2.4.2025.
        (hki(2025, 1, 2), ADULT, date(2025, 4, 2), "3 months"),
        # Under 23: 14 days. Thu 2.1.2025 + 14 = Thu 16.1.2025.
        (hki(2025, 1, 2), ClockSubject(age=22), date(2025, 1, 16), "14 days"),
        # Old law: 3 months. Thu 31.8.2023 -> Thu 30.11.2023.
        (hki(2023, 8, 31), ADULT, date(2023, 11, 30), "3 months"),
        # 2023-09-01: 14 days. Fri 1.9.2023 + 14 = Fri 15.9.2023.
        (hki(2023, 9, 1), ADULT, date(2023, 9, 15), "14 days"),
        # Born 2.1.2002: 23 on Thu 2.1.2025 -> 3 months -> Wed 2.4.2025.
        (hki(2025, 1, 2), ClockSubject(birth_date=date(2002, 1, 2)), date(2025, 4, 2), "3 months"),
        # Born 3.1.2002: still 22 on 2.1.2025 -> 14 days -> Thu 16.1.2025.
        (hki(2025, 1, 2), ClockSubject(birth_date=date(2002, 1, 3)), date(2025, 1, 16), "14 days"),
        # Roll: Fri 7.6.2024 + 14 = Fri 21.6 Midsummer Eve; Sat 22.6 Midsummer Day, Sun
        # -> Mon 24.6.2024.
        (hki(2024, 6, 7), ADULT, date(2024, 6, 24), "14 days"),
        # Roll: Tue 10.12.2024 + 14 = Tue 24.12 Christmas Eve; 25, 26 off -> Fri 27.12.
        (hki(2024, 12, 10), ADULT, date(2024, 12, 27), "14 days"),
        # Roll: Fri 4.4.2025 + 14 = Fri 18.4 Good Friday; Sat, Sun, Easter Monday 21.4
        # -> Tue 22.4.2025.
        (hki(2025, 4, 4), ClockSubject(age=10), date(2025, 4, 22), "14 days"),
        # Roll: Thu 17.4.2025 + 14 = Thu 1.5 May Day -> Fri 2.5.2025.
        (hki(2025, 4, 17), ClockSubject(age=10), date(2025, 5, 2), "14 days"),
        # Roll: Thu 15.5.2025 + 14 = Thu 29.5 Ascension -> Fri 30.5.2025.
        (hki(2025, 5, 15), ClockSubject(age=10), date(2025, 5, 30), "14 days"),
        # Month end and roll: Sun 30.11.2025 + 3 months = 30.2.2026 -> Sat 28.2.2026,
        # Sun 1.3 -> Mon 2.3.2026.
        (hki(2025, 11, 30), ADULT, date(2026, 3, 2), "3 months"),
    ],
)
def test_care_limit_of_the_assessment_day(
    policies: Policies, assessed: datetime, subject: ClockSubject, expected: date, limit: str
) -> None:
    """The care clock follows the law on the day need_assessed happens."""
    clock = after_assessment(policies, "care", assessed, subject)
    assert (expected, limit) == (clock.due_date, clock.limit)


def test_care_age_is_taken_on_the_assessment_day(policies: Policies) -> None:
    """A client who turns 23 between contact and assessment gets the 23-or-over limit."""
    clock = one(
        policies,
        "care",
        hki(2024, 12, 20),  # 22 years old on the contact day
        subject=ClockSubject(birth_date=date(2002, 1, 1)),
        events={"need_assessed": hki(2025, 1, 2)},  # 23 years old here
    )
    # Thu 2.1.2025 + 3 months = Wed 2.4.2025.
    assert (date(2025, 4, 2), "3 months") == (clock.due_date, clock.limit)


def test_care_unknown_age_gets_the_stricter_limit(policies: Policies) -> None:
    """Age unknown from 2025: 14 days, and the basis says it is an interpretation."""
    clock = after_assessment(policies, "care", hki(2025, 1, 2), ClockSubject())
    assert date(2025, 1, 16) == clock.due_date  # Thu 2.1 + 14 = Thu 16.1
    assert "age unknown" in clock.basis
    assert "interpretation" in clock.basis


@pytest.mark.parametrize(
    ("assessed", "subject", "expected", "limit"),
    [
        # Old law: 3 months. Thu 31.8.2023 -> Thu 30.11.2023.
        (hki(2023, 8, 31), ADULT, date(2023, 11, 30), "3 months"),
        # 2023-09-01..2024-10-31: 4 months. Thu 31.10.2024 -> 31.2 -> Fri 28.2.2025.
        (hki(2024, 10, 31), ADULT, date(2025, 2, 28), "4 months"),
        # 2024-11-01..2024-12-31: 3 months. Fri 1.11.2024 -> Sat 1.2.2025 -> Mon 3.2.2025.
        (hki(2024, 11, 1), ADULT, date(2025, 2, 3), "3 months"),
        # Sat 30.11.2024 + 3 months = 30.2 -> Fri 28.2.2025, a weekday.
        (hki(2024, 11, 30), ADULT, date(2025, 2, 28), "3 months"),
        # From 2025, 23 or over: 6 months. Mon 10.3.2025 -> Wed 10.9.2025.
        (hki(2025, 3, 10), ADULT, date(2025, 9, 10), "6 months"),
        # From 2025, under 23: 3 months (§ 51 b(4), 848/2024). Mon 10.3.2025 -> Tue 10.6.2025.
        (hki(2025, 3, 10), ClockSubject(age=10), date(2025, 6, 10), "3 months"),
    ],
)
def test_oral_care(
    policies: Policies, assessed: datetime, subject: ClockSubject, expected: date, limit: str
) -> None:
    """Oral health care limits change four times."""
    clock = after_assessment(policies, "oral_care", assessed, subject)
    assert (expected, limit) == (clock.due_date, clock.limit)


def test_oral_care_under_23_cites_its_subsection(policies: Policies) -> None:
    """The 2025 under-23 value is § 51 b(4) of 848/2024; the basis names it."""
    clock = after_assessment(policies, "oral_care", hki(2025, 3, 10), ClockSubject(age=10))
    assert "§ 51 b(4)" in clock.basis
    assert "UNCONFIRMED" not in clock.basis


@pytest.mark.parametrize(
    ("assessed", "age", "expected", "limit"),
    [
        # Fri 2.5.2025 + 28 = Fri 30.5.2025, a weekday.
        (hki(2025, 5, 2), 20, date(2025, 5, 30), "28 days"),
        # In force from Thu 1.5.2025 (inclusive): + 28 = Thu 29.5 Ascension -> Fri 30.5.
        (hki(2025, 5, 1), 20, date(2025, 5, 30), "28 days"),
        # Wed 30.4.2025: no therapy guarantee yet; the care limit of the day, under 23:
        # 14 days -> Wed 14.5.2025.
        (hki(2025, 4, 30), 20, date(2025, 5, 14), "14 days"),
        # 23 or over: no limit.
        (hki(2025, 5, 2), 23, None, None),
    ],
)
def test_therapy_guarantee(
    policies: Policies, assessed: datetime, age: int, expected: date | None, limit: str | None
) -> None:
    """From 2025-05-01, under 23: treatment starts within 28 days; 23 or over: no limit;
    before 2025-05-01 the care limit of the day."""
    clock = after_assessment(policies, "therapy_guarantee", assessed, ClockSubject(age=age))
    assert (expected, limit) == (clock.due_date, clock.limit)
    if expected is None:
        assert clock.status == "open"
        assert "guarantee" in clock.basis  # says why there is no limit


# ----------------------------------------------------------------------------- social, child


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        # Mon 16.6.2025, 75 years old: Tue 17 (1), Wed 18 (2), Thu 19 (3), Fri 20 Midsummer
        # Eve off, Mon 23 (4), Tue 24 (5), Wed 25 (6), Thu 26.6 (7).
        (ClockSubject(age=75), date(2025, 6, 26)),
        (ClockSubject(age=74), None),
        (ClockSubject(birth_date=date(1950, 6, 16)), date(2025, 6, 26)),  # 75 that day
        (ClockSubject(birth_date=date(1950, 6, 17)), None),  # 75 only tomorrow
        (ClockSubject(age=40, highest_care_allowance=True), date(2025, 6, 26)),
        (ClockSubject(age=8, special_support_child=True), date(2025, 6, 26)),
    ],
)
def test_social_need_assessment(
    policies: Policies, subject: ClockSubject, expected: date | None
) -> None:
    """7th weekday for 75+, highest care allowance or special support; else no fixed day."""
    clock = one(policies, "social_need_assessment", hki(2025, 6, 16, 10), subject=subject)
    assert expected == clock.due_date
    if expected is None:
        assert clock.limit is None
        assert "without delay; no fixed day in law" in clock.basis
    else:
        assert clock.limit == "7 weekdays"
        assert "Sosiaalihuoltolaki 1301/2014 § 36" in clock.basis


def test_social_assessment_completion(policies: Policies) -> None:
    """3 months for a child needing special support, otherwise no fixed time."""
    received = hki(2025, 1, 31, 10)
    child = ClockSubject(age=8, special_support_child=True)
    # Fri 31.1.2025 + 3 months = 31.4 -> Wed 30.4.2025, a weekday.
    assert (
        date(2025, 4, 30)
        == one(policies, "social_assessment_completion", received, subject=child).due_date
    )
    assert one(policies, "social_assessment_completion", received).due_date is None


def test_child_welfare_decision_in_seven_weekdays_over_christmas(policies: Policies) -> None:
    """Fri 19.12.2025: Mon 22 (1), Tue 23 (2), 24-26 off, Mon 29 (3), Tue 30 (4),
    Wed 31 (5), Thu 1.1 off, Fri 2.1 (6), Mon 5.1.2026 (7)."""
    clock = one(policies, "child_welfare_decision", hki(2025, 12, 19, 10))
    assert (date(2026, 1, 5), "7 weekdays") == (clock.due_date, clock.limit)
    assert "Lastensuojelulaki 417/2007 § 26" in clock.basis


@pytest.mark.parametrize(
    ("received_at", "expected"),
    [
        # 23:30 UTC on Sun 30.3.2025 is Mon 31.3 02:30 EEST: Apr 1 (1), 2, 3, 4 (4),
        # Mon 7 (5), Tue 8 (6), Wed 9.4 (7). (From the UTC date, Sunday, it would be Tue 8.4.)
        (utc(2025, 3, 30, 23, 30), date(2025, 4, 9)),
        # After the October change Helsinki is +2. 21:30 UTC on Sun 26.10 is 23:30 Sunday:
        # Mon 27 (1), Tue 28, Wed 29, Thu 30, Fri 31 (5), Sat 1.11 All Saints', Sun,
        # Mon 3 (6), Tue 4.11 (7).
        (utc(2025, 10, 26, 21, 30), date(2025, 11, 4)),
        # 22:30 UTC is already Mon 27.10 00:30: Tue 28 (1) ... Fri 31 (4), Mon 3 (5),
        # Tue 4 (6), Wed 5.11 (7).
        (utc(2025, 10, 26, 22, 30), date(2025, 11, 5)),
    ],
)
def test_child_welfare_decision_counts_from_the_helsinki_date(
    policies: Policies, received_at: datetime, expected: date
) -> None:
    """Across DST changes the start day is the local date, not the UTC date."""
    assert expected == one(policies, "child_welfare_decision", received_at).due_date


def test_child_welfare_assessment_in_three_months(policies: Policies) -> None:
    """Sun 30.11.2025 + 3 months = Sat 28.2.2026 (no 30.2) -> Mon 2.3.2026."""
    clock = one(policies, "child_welfare_assessment", hki(2025, 11, 30, 10))
    assert (date(2026, 3, 2), "3 months") == (clock.due_date, clock.limit)


# ----------------------------------------------------------------------------- the switch

ROLL_POLICY = """\
clocks:
  - id: care
    starts_on: need_assessed
    stops_on: [care_started]
    roll_to_weekday: {clock_roll}
    versions:
      - valid_until: 2024-12-31
        basis: test
        limit: {{days: 14}}
      - valid_from: 2025-01-01
        basis: test
        roll_to_weekday: true
        limit: {{days: 14}}
"""


@pytest.mark.parametrize(
    ("clock_roll", "assessed", "expected"),
    [
        # Fri 7.6.2024 + 14 = Fri 21.6.2024, Midsummer Eve.
        ("false", hki(2024, 6, 7), date(2024, 6, 21)),  # switch off: stays on the Eve
        ("true", hki(2024, 6, 7), date(2024, 6, 24)),  # on: Sat, Sun -> Mon 24.6
        # Fri 4.4.2025 + 14 = Good Friday 18.4; the 2025 version turns the switch on
        # -> Tue 22.4.2025 after Easter Monday.
        ("false", hki(2025, 4, 4), date(2025, 4, 22)),
    ],
)
def test_roll_to_weekday_switch(
    tmp_path: Path, clock_roll: str, assessed: datetime, expected: date
) -> None:
    """roll_to_weekday moves a limit ending on a day off to the next weekday; a version
    may override the clock's setting."""
    write(tmp_path, "care.yaml", ROLL_POLICY.format(clock_roll=clock_roll))
    policies = Policies.from_directory(tmp_path)
    assert expected == after_assessment(policies, "care", assessed).due_date


# ----------------------------------------------------------------------------- the API


def test_clock_ids_events_and_starts_on(policies: Policies) -> None:
    """The bundled policies define every statutory clock of domain.md on the standard
    events, including care_offered and offer_declined."""
    assert policies.clock_ids == {
        # Terveydenhuoltolaki § 51 (primary health care)
        "contact",
        "need_assessment",
        "care",
        "planned_care",
        "doctor_visit",
        "oral_care",
        "therapy_guarantee",
        # § 52-53 (specialised care; psychiatry for under-23s)
        "specialised_referral",
        "specialised_assessment",
        "specialised_treatment",
        "psychiatry_referral",
        "psychiatry_assessment",
        "psychiatry_treatment",
        # Sosiaalihuoltolaki § 36, Vanhuspalvelulaki § 18
        "social_urgent_assessment",
        "social_need_assessment",
        "social_assessment_completion",
        "older_people_services",
        # Sosiaalihuoltolaki § 25 a, § 45(3) (1108/2024): under-23s, one month
        "youth_mental_health_support",
        # Vammaispalvelulaki 380/1987 § 3 a; Sosiaalihuoltolaki § 36(2)(3) (677/2023)
        "disability_need_assessment",
        # Lastensuojelulaki § 26
        "child_welfare_urgent_assessment",
        "child_welfare_decision",
        "child_welfare_assessment",
    }
    # health.yaml declares the two events of the nurse-then-doctor clock (§ 51 a(2)).
    assert policies.events == set(STANDARD_EVENTS) | {"doctor_needed", "doctor_seen"}
    assert (policies.starts_on("doctor_visit"), policies.stops_on("doctor_visit")) == (
        "doctor_needed",
        ("doctor_seen",),
    )
    assert {"care_offered", "offer_declined"} <= policies.events
    assert policies.starts_on("care") == "need_assessed"
    assert policies.starts_on("need_assessment") == "contact_received"


def test_compute_keeps_the_order_asked(policies: Policies) -> None:
    """Clocks come back in the order of the ids given."""
    ids = ["care", "need_assessment", "child_welfare_decision"]
    clocks = policies.compute(ids, subject=ADULT, received_at=hki(2025, 2, 11, 10))
    assert ids == [c.clock for c in clocks]


def test_unknown_clock_id_is_a_programming_error(policies: Policies) -> None:
    """An unknown clock id raises ValueError naming it and the closest id."""
    with pytest.raises(ValueError, match=r"unknown clock 'need_asessment'.*'need_assessment'"):
        policies.compute(["need_asessment"], subject=ADULT, received_at=hki(2025, 2, 11))
    with pytest.raises(ValueError, match="unknown clock"):
        policies.starts_on("nope")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"received_at": datetime(2025, 2, 11, 10)},  # naive on purpose
        {"received_at": hki(2025, 2, 11), "now": datetime(2025, 2, 11, 10)},
        {"received_at": hki(2025, 2, 11), "events": {"need_assessed": datetime(2025, 2, 11)}},
    ],
)
def test_naive_datetimes_are_refused(policies: Policies, kwargs: dict[str, object]) -> None:
    """Every datetime handed to compute must carry a time zone."""
    with pytest.raises(ValueError, match="naive"):
        policies.compute(["need_assessment"], subject=ADULT, **kwargs)  # type: ignore[arg-type]


def test_unknown_event_name_is_refused(policies: Policies) -> None:
    """A misspelt event would never stop a clock, so it raises with a suggestion."""
    with pytest.raises(ValueError, match="did you mean 'need_assessed'"):
        policies.compute(
            ["care"],
            subject=ADULT,
            received_at=hki(2025, 2, 11),
            events={"need_asessed": hki(2025, 2, 11)},
        )


def test_clock_subject_ages() -> None:
    """A negative age is refused; ages come from the birth date on the day asked."""
    with pytest.raises(ValueError, match="age"):
        ClockSubject(age=-1)
    with pytest.raises(ValueError, match="age"):
        ClockSubject(age=True)  # a bool is not an age
    # Not yet born on the day (a maternity-clinic contact): 0, as the intake counts it.
    assert ClockSubject(birth_date=date(2025, 3, 1)).age_on(date(2025, 2, 1)) == 0
    # Born 29.2.2008: still 16 on 28.2.2025; 17 on 1.3.2025 (no 29.2 in 2025).
    leapling = ClockSubject(birth_date=date(2008, 2, 29))
    assert leapling.age_on(date(2025, 2, 28)) == 16
    assert leapling.age_on(date(2025, 3, 1)) == 17
    # The birth date wins over an age given as well.
    assert ClockSubject(age=50, birth_date=date(2000, 6, 1)).age_on(date(2025, 6, 1)) == 25


def test_declared_events_can_start_clocks(tmp_path: Path) -> None:
    """A region may declare its own events under 'events:'."""
    write(
        tmp_path,
        "regional.yaml",
        """\
        events: [booking_made]
        clocks:
          - id: booking
            starts_on: contact_received
            stops_on: [booking_made]
            versions:
              - basis: "Regional target: non-urgent care within 7 days"
                limit: {days: 7}
        """,
    )
    policies = Policies.from_directory(tmp_path)
    assert "booking_made" in policies.events
    # Tue 11.2.2025 + 7 = Tue 18.2; booked on the 14th: met.
    (clock,) = policies.compute(
        ["booking"],
        subject=ADULT,
        received_at=hki(2025, 2, 11),
        events={"booking_made": hki(2025, 2, 14)},
    )
    assert (date(2025, 2, 18), "met") == (clock.due_date, clock.status)


def test_gap_between_versions_gives_no_due_date(tmp_path: Path) -> None:
    """A start day no version covers gets no due date and a basis that says so."""
    write(
        tmp_path,
        "gap.yaml",
        """\
        clocks:
          - id: gap
            starts_on: contact_received
            stops_on: [need_assessed]
            versions:
              - valid_from: 2025-01-01
                basis: test
                limit: {weekdays: 3}
        """,
    )
    (clock,) = Policies.from_directory(tmp_path).compute(
        ["gap"], subject=ADULT, received_at=hki(2024, 12, 31)
    )
    assert (clock.due_date, clock.status) == (None, "open")
    assert "no version" in clock.basis


# ----------------------------------------------------------------------------- loading errors


def problems_of(directory: Path) -> RuleError:
    with pytest.raises(RuleError) as info:
        Policies.from_directory(directory)
    return info.value


def test_unknown_key_names_file_line_and_suggestion(tmp_path: Path) -> None:
    """A misspelt key is policy-unknown-key at its file:line:column with did-you-mean."""
    path = write(
        tmp_path,
        "health.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_assessed
            stop_on: [care_started]
            versions:
              - basis: test
                limit: {days: 14}
        """,
    )
    error = problems_of(tmp_path)
    assert [p.code for p in error.problems] == ["policy-unknown-key"]  # no "missing" echo
    assert (error.path, error.line, error.column) == (path, 4, 5)
    assert error.suggestion == "stops_on"
    assert f"{path}:4:5: policy-unknown-key" in str(error)
    assert "did you mean 'stops_on'?" in str(error)


def test_overlapping_versions(tmp_path: Path) -> None:
    """Two versions in force on the same day are policy-overlap at the later one's line."""
    path = write(
        tmp_path,
        "health.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started]
            versions:
              - valid_until: 2024-12-31
                basis: old
                limit: {days: 14}
              - valid_from: 2024-12-31
                basis: new
                limit: {months: 3}
        """,
    )
    error = problems_of(tmp_path)
    assert (error.code, error.path, error.line) == ("policy-overlap", path, 9)
    assert "line 6" in str(error)


def test_open_ended_versions_overlap(tmp_path: Path) -> None:
    """Two versions without any dates overlap everywhere."""
    write(
        tmp_path,
        "a.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started]
            versions:
              - {basis: a, limit: {days: 14}}
              - {basis: b, limit: {days: 7}}
        """,
    )
    assert problems_of(tmp_path).code == "policy-overlap"


@pytest.mark.parametrize(
    ("limit", "line", "suggestion"),
    [
        ("{wekdays: 3}", 7, "weekdays"),
        ("{days: 0}", 7, None),
        ("{days: true}", 7, None),
        ('{none: ""}', 7, None),
        ('{same_day: {office_hours: {start: 8, end: "16:00"}}}', 7, None),
        ('{same_day: {office_hours: {start: "16:00", end: "08:00"}}}', 7, None),
        ("{days: 14, months: 3}", 7, None),
        ("sameday", 7, "same_day"),
    ],
)
def test_bad_limit(tmp_path: Path, limit: str, line: int, suggestion: str | None) -> None:
    """Every malformed limit is policy-bad-limit on its line."""
    path = write(
        tmp_path,
        "a.yaml",
        f"""\
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started]
            versions:
              - basis: test
                limit: {limit}
        """,
    )
    error = problems_of(tmp_path)
    assert (error.code, error.path, error.line, error.suggestion) == (
        "policy-bad-limit",
        path,
        line,
        suggestion,
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """One RuleError lists every problem of every file, sorted by file and line."""
    write(
        tmp_path,
        "a.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_asessed
            stops_on: [care_started]
            versions:
              - valid_from: 2025-02-01
                valid_until: 2025-01-01
                basis: test
                limit: {days: 14}
              - basis: test
                variants:
                  - when: {age_belw: 23}
                    limit: {days: 14}
        """,
    )
    write(
        tmp_path,
        "b.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started]
            versions:
              - basis: test
                limit: {days: 14}
        """,
    )
    error = problems_of(tmp_path)
    found = [(p.path.name if p.path else None, p.line, p.code) for p in error.problems]
    assert found == [
        ("a.yaml", 3, "policy-unknown-event"),
        ("a.yaml", 7, "policy-bad-dates"),
        ("a.yaml", 11, "policy-no-otherwise"),
        ("a.yaml", 12, "policy-bad-condition"),
        ("b.yaml", 2, "policy-duplicate-clock"),  # even though a.yaml's 'care' is broken
    ]
    assert error.problems[0].suggestion == "need_assessed"
    assert error.problems[3].suggestion == "age_below"


def test_duplicate_clock_across_files(tmp_path: Path) -> None:
    """The same clock id in two files is policy-duplicate-clock naming the first."""
    text = """\
    clocks:
      - id: care
        starts_on: need_assessed
        stops_on: [care_started]
        versions:
          - basis: test
            limit: {days: 14}
    """
    first = write(tmp_path, "a.yaml", text)
    second = write(tmp_path, "b.yaml", text)
    error = problems_of(tmp_path)
    assert (error.code, error.path, error.line) == ("policy-duplicate-clock", second, 2)
    assert f"{first}:2" in str(error)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("clocks: {care: 1}\n", "policy-bad-value"),
        ("- just a list\n", "policy-bad-file"),
        ("clocks:\n", "policy-bad-value"),
        ("clocks: [\n", "yaml-syntax"),
        ("clockz: []\n", "policy-unknown-key"),
        (
            "clocks:\n  - id: Care\n    starts_on: need_assessed\n    stops_on: [care_started]\n"
            "    versions: [{basis: x, limit: {days: 1}}]\n",
            "policy-bad-id",
        ),
        (
            "clocks:\n  - id: care\n    starts_on: need_assessed\n    stops_on: [care_started]\n"
            "    versions: [{basis: x}]\n",
            "policy-bad-version",
        ),
        (
            "clocks:\n  - id: care\n    starts_on: need_assessed\n    stops_on: [care_started]\n"
            "    versions:\n      - basis: x\n        variants:\n"
            "          - {otherwise: true, limit: {days: 1}}\n"
            "          - {when: special_support_child, limit: {days: 2}}\n",
            "policy-bad-variant",
        ),
        (
            "clocks:\n  - id: care\n    starts_on: need_assessed\n    stops_on: [need_assessed]\n"
            "    versions: [{basis: x, limit: {days: 1}}]\n",
            "policy-bad-value",
        ),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, code: str) -> None:
    """Each malformed file is refused with its own stable code and the file's path."""
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    error = problems_of(tmp_path)
    assert (code, path) == (error.code, error.path)


def test_missing_directory_and_stray_yml(tmp_path: Path) -> None:
    """A missing directory, and a .yml file that would be silently ignored, are errors."""
    assert problems_of(tmp_path / "nope").code == "policy-no-directory"
    (tmp_path / "regional.yml").write_text("clocks: []\n", encoding="utf-8")
    error = problems_of(tmp_path)
    assert (error.code, error.path) == ("policy-bad-file", tmp_path / "regional.yml")


# ----------------------------------------------------------------------------- the docs

DOCS = Path(__file__).parents[1] / "docs" / "reference" / "policies.md"


def test_the_reference_examples_load(tmp_path: Path) -> None:
    """Every complete example file in docs/reference/policies.md is a valid policy file."""
    blocks = DOCS.read_text(encoding="utf-8").split("```yaml\n")[1:]
    files = [b.split("```", 1)[0] for b in blocks if b.startswith("# file: ")]
    assert len(files) == 4
    for text in files:
        relative = Path(text.splitlines()[0].removeprefix("# file: "))
        # rules/policies/<name> or rules/policies/regions/<name>
        target = tmp_path / relative.relative_to("rules/policies")
        target.parent.mkdir(exist_ok=True)
        target.write_text(text, encoding="utf-8")
    policies = Policies.from_directory(tmp_path)
    assert policies.clock_ids == {"care", "regional_booking"}
    assert "booking_made" in policies.events
    assert policies.regions == {"example-region", "pohjanmaa"}
    assert {"fi", "sv"} == policies.with_region("pohjanmaa").language_rights
    assert frozenset() == policies.with_region("example-region").language_rights
    # The documented example behaves as the bundled law: 2.1.2025, age 40 -> 2.4.2025.
    assert date(2025, 4, 2) == after_assessment(policies, "care", hki(2025, 1, 2)).due_date
    # The documented region: Thu 2.1.2025 + 7 days = Thu 9.1.2025.
    regional = policies.with_region("example-region")
    assert date(2025, 1, 9) == after_assessment(regional, "care", hki(2025, 1, 2)).target_due_date


# ============================================================================= issue 3
# More almanac for the cases below (days that are not weekdays):
# 2022: Epiphany Thu 6.1.
# 2023: Midsummer Eve Fri 23.6 / Day Sat 24.6.
# 2024: Christmas Eve Tue 24.12, Christmas Wed 25.12, St Stephen's Thu 26.12.
# 2025: Midsummer Eve Fri 20.6 / Day Sat 21.6; Christmas Eve Wed 24.12, 25.12, 26.12.
# 2026: New Year Thu 1.1.
# A "weeks" limit ends on the same weekday N weeks later (Act 150/1930), then rolls.

# ----------------------------------------------------------------------------- contact


@pytest.mark.parametrize(
    ("received_at", "expected"),
    [
        # Tue 11.2.2025 10:00, in office hours: reached the same day.
        (hki(2025, 2, 11, 10), date(2025, 2, 11)),
        # Fri 23.6.2023 is Midsummer Eve; Sat 24.6 Midsummer Day, Sun -> Mon 26.6.2023.
        (hki(2023, 6, 23, 9), date(2023, 6, 26)),
        # "always": the same rule in 2022. Thu 6.1.2022 is Epiphany -> Fri 7.1.2022.
        (hki(2022, 1, 6, 10), date(2022, 1, 7)),
        # Tue 11.2.2025 16:00, office hours over -> Wed 12.2.2025.
        (hki(2025, 2, 11, 16), date(2025, 2, 12)),
    ],
)
def test_contact_is_reached_immediately_in_office_hours(
    policies: Policies, received_at: datetime, expected: date
) -> None:
    """§ 51: the health centre is reached immediately on weekdays in office hours; a
    due date is a day, so "immediately" is the same day (or the next office day)."""
    clock = one(policies, "contact", received_at)
    assert (expected, "same day (office hours 08:00-16:00)") == (clock.due_date, clock.limit)
    assert (clock.starts_on, clock.stops_on) == ("contact_received", ("contact_answered",))
    assert "immediately" in clock.basis


# ----------------------------------------------------------------------------- planned care


@pytest.mark.parametrize(
    ("assessed", "subject", "expected"),
    [
        # Fri 1.9.2023, the first day of the 14-day rule - which planned care is outside:
        # 3 months -> Fri 1.12.2023 (the care clock would say Fri 15.9.2023).
        (hki(2023, 9, 1), ADULT, date(2023, 12, 1)),
        # 2025, age 20: still 3 months. Thu 2.1.2025 -> Wed 2.4.2025 (care: Thu 16.1).
        (hki(2025, 1, 2), ClockSubject(age=20), date(2025, 4, 2)),
        # Thu 31.8.2023, the old law: 3 months as for all care -> Thu 30.11.2023.
        (hki(2023, 8, 31), ADULT, date(2023, 11, 30)),
    ],
)
def test_planned_care_keeps_the_three_month_limit(
    policies: Policies, assessed: datetime, subject: ClockSubject, expected: date
) -> None:
    """Visits under a care plan, health checks, follow-ups and vaccinations keep 3 months."""
    clock = after_assessment(policies, "planned_care", assessed, subject)
    assert (expected, "3 months") == (clock.due_date, clock.limit)


# ----------------------------------------------------------------------------- specialised


def referral(
    policies: Policies,
    clock_id: str,
    arrived: datetime,
    subject: ClockSubject = ADULT,
    **events: datetime,
) -> Clock:
    """A clock of a referral that arrived (and was received as the contact) at *arrived*."""
    return one(
        policies,
        clock_id,
        arrived,
        subject=subject,
        events={"referral_received": arrived, **events},
    )


@pytest.mark.parametrize(
    ("arrived", "expected"),
    [
        # Wed 4.12.2024 + 3 weeks = Wed 25.12.2024 Christmas Day; Thu 26.12 St Stephen's
        # -> Fri 27.12.2024.
        (hki(2024, 12, 4), date(2024, 12, 27)),
        # Mon 3.2.2025 + 3 weeks = Mon 24.2.2025, a weekday.
        (hki(2025, 2, 3), date(2025, 2, 24)),
        # Fri 30.5.2025 + 3 weeks = Fri 20.6.2025 Midsummer Eve -> Mon 23.6.2025.
        (hki(2025, 5, 30), date(2025, 6, 23)),
    ],
)
def test_specialised_referral_in_three_weeks(
    policies: Policies, arrived: datetime, expected: date
) -> None:
    """§ 52: the need assessment starts within 3 weeks of the referral arriving."""
    clock = referral(policies, "specialised_referral", arrived)
    assert (expected, "3 weeks") == (clock.due_date, clock.limit)
    assert "§ 52" in clock.basis


def test_specialised_referral_stops_on_the_first_sign_of_processing(policies: Policies) -> None:
    """decision_made, need_assessed or assessment_completed: the earliest stops it."""
    arrived = hki(2024, 12, 4)  # due Fri 27.12.2024 (above)
    decided = referral(
        policies,
        "specialised_referral",
        arrived,
        decision_made=hki(2024, 12, 20),
        need_assessed=hki(2025, 1, 10),
    )
    assert (decided.status, decided.stopped_at) == ("met", hki(2024, 12, 20))
    assessed_late = referral(
        policies, "specialised_referral", arrived, need_assessed=hki(2024, 12, 30)
    )
    assert (assessed_late.status, assessed_late.stopped_at) == ("breached", hki(2024, 12, 30))


@pytest.mark.parametrize(
    ("arrived", "expected"),
    [
        # Wed 4.12.2024 + 3 months = Tue 4.3.2025, a weekday.
        (hki(2024, 12, 4), date(2025, 3, 4)),
        # Fri 31.1.2025 + 3 months = 31.4 -> Wed 30.4.2025, a weekday.
        (hki(2025, 1, 31), date(2025, 4, 30)),
    ],
)
def test_specialised_assessment_in_three_months(
    policies: Policies, arrived: datetime, expected: date
) -> None:
    """§ 52: the specialist assessment is carried out within 3 months of the referral."""
    clock = referral(policies, "specialised_assessment", arrived)
    assert (expected, "3 months") == (clock.due_date, clock.limit)
    assert clock.stops_on == ("need_assessed", "assessment_completed")


@pytest.mark.parametrize(
    ("confirmed", "expected"),
    [
        # Thu 24.10.2024 + 6 months = Thu 24.4.2025, a weekday.
        (hki(2024, 10, 24), date(2025, 4, 24)),
        # Fri 20.12.2024 + 6 months = Fri 20.6.2025 Midsummer Eve -> Mon 23.6.2025.
        (hki(2024, 12, 20), date(2025, 6, 23)),
    ],
)
def test_specialised_treatment_in_six_months_of_the_confirmed_need(
    policies: Policies, confirmed: datetime, expected: date
) -> None:
    """§ 52: treatment within 6 months of the confirmed need (need_assessed)."""
    clock = after_assessment(policies, "specialised_treatment", confirmed)
    assert (expected, "6 months") == (clock.due_date, clock.limit)


@pytest.mark.parametrize(
    ("subject", "expected", "limit", "section"),
    [
        # Referral Fri 30.5.2025. Under 23 (§ 53): 6 weeks = Fri 11.7.2025, a weekday.
        (ClockSubject(age=15), date(2025, 7, 11), "6 weeks", "§ 53"),
        # 23 or over (§ 52): 3 months = Sat 30.8.2025 -> Mon 1.9.2025.
        (ClockSubject(age=40), date(2025, 9, 1), "3 months", "§ 52"),
        # Age unknown: the stricter under-23 limit (interpretation).
        (ClockSubject(), date(2025, 7, 11), "6 weeks", "age unknown"),
        # Born 30.5.2002: 23 on the day the referral arrives -> § 52.
        (ClockSubject(birth_date=date(2002, 5, 30)), date(2025, 9, 1), "3 months", "§ 52"),
        # Born 31.5.2002: still 22 -> § 53.
        (ClockSubject(birth_date=date(2002, 5, 31)), date(2025, 7, 11), "6 weeks", "§ 53"),
    ],
)
def test_psychiatry_assessment_by_age(
    policies: Policies, subject: ClockSubject, expected: date, limit: str, section: str
) -> None:
    """Psychiatry: 6 weeks for under-23s (§ 53), else the § 52 3 months."""
    clock = referral(policies, "psychiatry_assessment", hki(2025, 5, 30), subject)
    assert (expected, limit) == (clock.due_date, clock.limit)
    assert section in clock.basis


@pytest.mark.parametrize("age", [15, 40])
def test_psychiatry_referral_three_weeks_at_any_age(policies: Policies, age: int) -> None:
    """3 weeks under § 53 and § 52 alike: Fri 30.5.2025 + 3 weeks = Fri 20.6.2025
    Midsummer Eve -> Mon 23.6.2025; the basis names the section that applied."""
    clock = referral(policies, "psychiatry_referral", hki(2025, 5, 30), ClockSubject(age=age))
    assert (date(2025, 6, 23), "3 weeks") == (clock.due_date, clock.limit)
    assert ("§ 53" if age < 23 else "§ 52") in clock.basis


@pytest.mark.parametrize(
    ("subject", "expected", "limit"),
    [
        # Need confirmed Mon 24.3.2025. Under 23: 3 months = Tue 24.6.2025, a weekday
        # (Midsummer was Fri 20 / Sat 21.6).
        (ClockSubject(age=22), date(2025, 6, 24), "3 months"),
        # 23 or over: 6 months = Wed 24.9.2025.
        (ClockSubject(age=23), date(2025, 9, 24), "6 months"),
        # Born 25.3.2002: 22 on 24.3.2025 -> 3 months. Born 24.3.2002: 23 -> 6 months.
        (ClockSubject(birth_date=date(2002, 3, 25)), date(2025, 6, 24), "3 months"),
        (ClockSubject(birth_date=date(2002, 3, 24)), date(2025, 9, 24), "6 months"),
        (ClockSubject(), date(2025, 6, 24), "3 months"),  # unknown: the stricter
    ],
)
def test_psychiatry_treatment_by_age(
    policies: Policies, subject: ClockSubject, expected: date, limit: str
) -> None:
    """Psychiatric treatment: 3 months for under-23s (§ 53), 6 months from 23 (§ 52)."""
    clock = after_assessment(policies, "psychiatry_treatment", hki(2025, 3, 24), subject)
    assert (expected, limit) == (clock.due_date, clock.limit)


# ----------------------------------------------------------------------------- social, urgent


@pytest.mark.parametrize(
    ("contact", "subject", "expected"),
    [
        # Fri 29.11.2024 + 3 months = 29.2.2025, which does not exist -> Fri 28.2.2025.
        (hki(2024, 11, 29), ClockSubject(age=82), date(2025, 2, 28)),
        # Fri 21.3.2025 + 3 months = Sat 21.6.2025 Midsummer Day -> Mon 23.6.2025.
        (hki(2025, 3, 21), ClockSubject(age=82), date(2025, 6, 23)),
        # "Older person" is not an age limit (§ 3): a 68-year-old gets the same limit.
        (hki(2025, 3, 21), ClockSubject(age=68), date(2025, 6, 23)),
    ],
)
def test_older_people_services_within_three_months_of_the_matter_pending(
    policies: Policies, contact: datetime, subject: ClockSubject, expected: date
) -> None:
    """Vanhuspalvelulaki § 18 as amended by 876/2022 (from 2023-01-01): the decision on
    an older person's services is carried out within 3 months of the matter becoming
    pending, the contact; a decision a week later does not move the due date."""
    clock = one(
        policies,
        "older_people_services",
        contact,
        subject=subject,
        events={"decision_made": contact + timedelta(days=7)},
    )
    assert (expected, "3 months") == (clock.due_date, clock.limit)
    assert "Vanhuspalvelulaki 980/2012 § 18 (876/2022" in clock.basis
    assert clock.stops_on == ("service_started",)


def test_older_people_services_before_2023_has_no_contact_counted_limit(
    policies: Policies,
) -> None:
    """Before 876/2022 the 3 months ran from the decision: not counted from a contact."""
    clock = one(policies, "older_people_services", hki(2022, 12, 30), subject=ClockSubject(age=82))
    assert (None, None) == (clock.due_date, clock.limit)
    assert "until 2022-12-31" in clock.basis


@pytest.mark.parametrize("clock_id", URGENT)
def test_urgent_needs_are_due_the_same_day_even_on_a_day_off(
    policies: Policies, clock_id: str
) -> None:
    """An urgent need is assessed immediately: due the day of the contact, with no roll to
    a weekday. Sat 15.2.2025 20:00: assessed 23:30 the same evening is met; 00:30 Sunday
    (22:30 UTC) is too late."""
    received = hki(2025, 2, 15, 20)
    in_time = one(policies, clock_id, received, events={"need_assessed": hki(2025, 2, 15, 23, 30)})
    late = one(policies, clock_id, received, events={"need_assessed": utc(2025, 2, 15, 22, 30)})
    assert (date(2025, 2, 15), "same day") == (in_time.due_date, in_time.limit)
    assert (in_time.status, late.status) == ("met", "breached")
    # Christmas Eve, Wed 24.12.2025 18:00: still the 24th.
    assert date(2025, 12, 24) == one(policies, clock_id, hki(2025, 12, 24, 18)).due_date


# ----------------------------------------------------------------------------- declined

# Care clock, age 40: need assessed Tue 3.9.2024 (2024 law) -> 14 days -> Tue 17.9.2024.
DECLINE_ASSESSED = hki(2024, 9, 3, 10)
DECLINE_DUE = date(2024, 9, 17)


def care_with(**events: datetime | Sequence[datetime]) -> Clock:
    (clock,) = _bundled_policies().compute(
        ["care"],
        subject=ADULT,
        received_at=DECLINE_ASSESSED - timedelta(hours=1),
        events={"need_assessed": DECLINE_ASSESSED, **events},
        now=hki(2024, 10, 15),
    )
    assert clock.due_date == DECLINE_DUE
    return clock


def test_declining_an_offer_within_the_limit_ends_the_clock_as_declined() -> None:
    """Offered Thu 12.9.2024 (before Tue 17.9), declined Fri 13.9: declined at the decline."""
    clock = care_with(care_offered=hki(2024, 9, 12, 9), offer_declined=hki(2024, 9, 13, 14))
    assert (clock.status, clock.stopped_at) == ("declined", hki(2024, 9, 13, 14))


def test_an_offer_on_the_due_day_is_within_the_limit() -> None:
    """Offered 23:00 on Tue 17.9 (Helsinki) counts; 21:30 UTC is 00:30 on the 18th and
    does not - the decline then rescues nothing and the clock stays breached."""
    on_time = care_with(care_offered=hki(2024, 9, 17, 23), offer_declined=hki(2024, 9, 18, 9))
    late = care_with(care_offered=utc(2024, 9, 17, 21, 30), offer_declined=hki(2024, 9, 18, 9))
    assert (on_time.status, late.status) == ("declined", "breached")
    assert late.stopped_at is None


def test_declining_an_offer_after_the_limit_does_not_rescue_the_clock() -> None:
    """Offered Wed 18.9 (a day late), declined Thu 19.9, care Tue 1.10: breached."""
    clock = care_with(
        care_offered=hki(2024, 9, 18),
        offer_declined=hki(2024, 9, 19),
        care_started=hki(2024, 10, 1),
    )
    assert (clock.status, clock.stopped_at) == ("breached", hki(2024, 10, 1))


def test_a_decline_after_the_limit_of_an_offer_within_it_is_declined() -> None:
    """Offered Mon 16.9 (in time), declined only Fri 20.9: the client declined an offer
    within the limit, so declined at the 20th."""
    clock = care_with(care_offered=hki(2024, 9, 16), offer_declined=hki(2024, 9, 20))
    assert (clock.status, clock.stopped_at) == ("declined", hki(2024, 9, 20))


def test_a_decline_after_care_started_or_without_an_offer_changes_nothing() -> None:
    """Care started Mon 16.9 (met); a later decline, or a decline with no offer before it,
    is not a decline of this clock."""
    after_care = care_with(
        care_offered=hki(2024, 9, 10),
        care_started=hki(2024, 9, 16),
        offer_declined=hki(2024, 9, 17),
    )
    assert (after_care.status, after_care.stopped_at) == ("met", hki(2024, 9, 16))
    # Not stopped, and now (Tue 15.10.2024) is past the due date: breached.
    no_offer_first = care_with(care_offered=hki(2024, 9, 12), offer_declined=hki(2024, 9, 11))
    assert (no_offer_first.status, no_offer_first.stopped_at) == ("breached", None)
    # An offer before the clock started (Mon 2.9) is not an offer of this care.
    early_offer = care_with(care_offered=hki(2024, 9, 2), offer_declined=hki(2024, 9, 5))
    assert (early_offer.status, early_offer.stopped_at) == ("breached", None)


def test_the_latest_offer_before_a_decline_is_the_one_declined() -> None:
    """Offers Tue 10.9 (in time) and Wed 18.9 (late); the events are sequences.
    Declined Wed 11.9: the in-time offer was declined. Declined Thu 19.9: the late offer."""
    offers = [hki(2024, 9, 18), hki(2024, 9, 10)]  # any order
    first = care_with(care_offered=offers, offer_declined=[hki(2024, 9, 11)])
    second = care_with(care_offered=offers, offer_declined=hki(2024, 9, 19))
    assert (first.status, first.stopped_at) == ("declined", hki(2024, 9, 11))
    # Not declined, not stopped, and now (Tue 15.10.2024) is past Tue 17.9: breached.
    assert (second.status, second.stopped_at) == ("breached", None)


def test_the_switch_is_per_clock(policies: Policies, tmp_path: Path) -> None:
    """declined_ends_clock is on for care-type clocks; off, an offer changes nothing."""
    declining = {c for c in policies.clock_ids if policies.declined_ends_clock(c)}
    assert declining == {
        "care",
        "planned_care",
        "doctor_visit",
        "oral_care",
        "therapy_guarantee",
        "specialised_treatment",
        "psychiatry_treatment",
        "older_people_services",
        "youth_mental_health_support",
    }
    assert policies.events_of("care") == (
        "need_assessed",
        "care_started",
        "care_offered",
        "offer_declined",
    )
    assert policies.events_of("need_assessment") == ("contact_received", "need_assessed")
    # The need-assessment clock ignores offers.
    clock = one(
        policies,
        "need_assessment",
        hki(2025, 2, 11, 10),
        events={"care_offered": hki(2025, 2, 11, 11), "offer_declined": hki(2025, 2, 11, 12)},
    )
    assert clock.status == "open"
    write(
        tmp_path,
        "care.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started]
            declined_ends_clock: false
            versions:
              - basis: test
                limit: {days: 14}
        """,
    )
    off = Policies.from_directory(tmp_path)
    events = {"care_offered": hki(2024, 9, 12), "offer_declined": hki(2024, 9, 13)}
    clock = one(
        off, "care", hki(2024, 9, 3, 9), events={"need_assessed": DECLINE_ASSESSED, **events}
    )
    assert (clock.status, clock.due_date) == ("open", DECLINE_DUE)


def test_declined_ends_clock_must_be_true_or_false(tmp_path: Path) -> None:
    """A misspelt switch value is policy-bad-value at its line."""
    path = write(
        tmp_path,
        "care.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started]
            declined_ends_clock: yes please
            versions:
              - basis: test
                limit: {days: 14}
        """,
    )
    error = problems_of(tmp_path)
    assert (error.code, error.path, error.line) == ("policy-bad-value", path, 5)


def test_events_must_be_datetimes(policies: Policies) -> None:
    """An event is one aware datetime or a sequence of them."""
    with pytest.raises(TypeError, match="sequence of datetimes"):
        one(policies, "care", hki(2025, 2, 11), events={"need_assessed": "2025-02-11"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="naive"):
        one(policies, "care", hki(2025, 2, 11), events={"care_offered": [datetime(2025, 2, 12)]})


# ----------------------------------------------------------------------------- regions


@pytest.fixture(scope="module")
def regional() -> Policies:
    return Policies.from_directory(POLICIES_DIR, region=EP)


@pytest.mark.parametrize(
    ("clock_id", "started", "subject", "due", "target"),
    [
        # Need assessed Thu 2.1.2025, age 40: the law says 3 months (Wed 2.4.2025); the
        # region's target is 7 days (Thu 9.1.2025).
        ("care", hki(2025, 1, 2), ADULT, date(2025, 4, 2), date(2025, 1, 9)),
        # Age 19: the law's 14 days (Thu 16.1.2025); the target is still Thu 9.1.2025.
        ("care", hki(2025, 1, 2), ClockSubject(age=19), date(2025, 1, 16), date(2025, 1, 9)),
        # Mon 30.12.2024 (2024 law: 14 days -> Mon 13.1.2025); + 7 days = Mon 6.1.2025
        # Epiphany -> Tue 7.1.2025.
        ("care", hki(2024, 12, 30), ADULT, date(2025, 1, 13), date(2025, 1, 7)),
        # Thu 15.12.2022: the old law's 3 months (Wed 15.3.2023); no target before the
        # wellbeing services county began on 2023-01-01.
        ("care", hki(2022, 12, 15), ADULT, date(2023, 3, 15), None),
        # Service-need assessment, contact Mon 16.6.2025, age 40: no statutory day at all,
        # a target of + 7 days = Mon 23.6.2025 (Midsummer was Fri 20 / Sat 21).
        ("social_need_assessment", hki(2025, 6, 16, 10), ADULT, None, date(2025, 6, 23)),
        # Age 75: the law's 7th weekday is Thu 26.6.2025 (see above); the target Mon 23.6.
        (
            "social_need_assessment",
            hki(2025, 6, 16, 10),
            ClockSubject(age=75),
            date(2025, 6, 26),
            date(2025, 6, 23),
        ),
        # Oral care is not covered by the target: Mon 10.3.2025 + 6 months = Wed 10.9.2025.
        ("oral_care", hki(2025, 3, 10), ADULT, date(2025, 9, 10), None),
    ],
)
def test_a_regional_target_sits_beside_the_statutory_due_date(
    policies: Policies,
    regional: Policies,
    clock_id: str,
    started: datetime,
    subject: ClockSubject,
    due: date | None,
    target: date | None,
) -> None:
    """Etelä-Pohjanmaa: non-urgent care and services within 7 days, never replacing the law."""
    events = {"need_assessed": started}
    (with_region,) = regional.compute(
        [clock_id], subject=subject, received_at=started, events=events
    )
    (without,) = policies.compute([clock_id], subject=subject, received_at=started, events=events)
    assert (due, target) == (with_region.due_date, with_region.target_due_date)
    assert (due, None, None) == (without.due_date, without.target_due_date, without.target_basis)
    if target is None:
        assert with_region.target_basis is None
    else:
        assert with_region.target_basis is not None
        assert "Etelä-Pohjanmaa regional target" in with_region.target_basis
    # Everything but the target is the law's, region or not.
    assert attrs.evolve(with_region, target_due_date=None, target_basis=None) == without


def test_a_region_is_selected_explicitly(policies: Policies, regional: Policies) -> None:
    """The bundled default selects no region; a caller names one, or switches later."""
    assert (policies.region, regional.region) == (None, EP)
    assert policies.regions == regional.regions == {EP}
    assert policies.with_region(EP).region == EP
    assert regional.with_region(None).region is None
    assert repr(regional).endswith(", region etela-pohjanmaa>")
    with pytest.raises(RuleError) as info:
        policies.with_region("etelapohjanmaa")
    assert (info.value.code, info.value.suggestion) == ("policy-unknown-region", EP)


def test_the_digest_names_the_files_and_the_region(
    policies: Policies, regional: Policies, tmp_path: Path
) -> None:
    """The same files anywhere give the same digest; one changed byte, another region or
    none give another."""
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, copy)
    assert Policies.from_directory(copy).digest == policies.digest
    assert len({policies.digest, regional.digest}) == 2
    assert regional.with_region(None).digest == policies.digest
    assert policies.with_region(EP).digest == regional.digest
    first = sorted(copy.glob("*.yaml"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert Policies.from_directory(copy).digest != policies.digest


def test_an_unknown_region_is_refused_with_a_suggestion() -> None:
    """A misspelt region would silently drop the targets: RuleError, did-you-mean."""
    with pytest.raises(RuleError) as info:
        Policies.from_directory(POLICIES_DIR, region="etelapohjanmaa")
    error = info.value
    assert (error.code, error.suggestion) == ("policy-unknown-region", EP)
    assert error.path == POLICIES_DIR / "regions"
    assert "etela-pohjanmaa" in str(error)


def test_a_target_never_allows_more_time_than_the_law(tmp_path: Path) -> None:
    """A target later than the statutory date is capped at it, and says so."""
    write(
        tmp_path,
        "care.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started]
            versions:
              - basis: law
                limit: {days: 14}
        """,
    )
    (tmp_path / "regions").mkdir()
    write(
        tmp_path / "regions",
        "lax.yaml",
        """\
        targets:
          - clock: care
            versions:
              - basis: lax target
                limit: {days: 30}
        """,
    )
    policies = Policies.from_directory(tmp_path, region="lax")
    # Tue 3.9.2024 + 14 = Tue 17.9.2024; + 30 would be Thu 3.10.2024.
    clock = after_assessment(policies, "care", DECLINE_ASSESSED)
    assert (clock.due_date, clock.target_due_date) == (DECLINE_DUE, DECLINE_DUE)
    assert clock.target_basis is not None
    assert "statutory due date is earlier" in clock.target_basis


@pytest.fixture
def policies_copy(tmp_path: Path) -> Path:
    """A copy of the bundled policies, to break."""
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, copy)
    return copy


@pytest.mark.parametrize("region", [None, EP])
def test_a_broken_region_file_is_refused_even_when_not_selected(
    policies_copy: Path, region: str | None
) -> None:
    """Every region file is checked on every load, so `onecontact check` catches it."""
    path = write(
        policies_copy / "regions",
        "broken.yaml",
        """\
        name: Broken
        targets:
          - clock: cares
            versions:
              - basis: test
                limit: {days: 7}
          - clock: care
            versions:
              - basis: test
                limit: {dayz: 7}
        """,
    )
    with pytest.raises(RuleError) as info:
        Policies.from_directory(policies_copy, region=region)
    error = info.value
    found = [(p.path, p.line, p.column, p.code, p.suggestion) for p in error.problems]
    assert found == [
        (path, 3, 12, "policy-unknown-clock", "care"),
        (path, 10, 17, "policy-bad-limit", "days"),
    ]
    assert f"{path}:3:12: policy-unknown-clock" in str(error)


@pytest.mark.parametrize(
    ("name", "text", "code", "line"),
    [
        # The same clock twice in one region: the second is refused.
        (
            "twice.yaml",
            "targets:\n  - clock: care\n    versions: [{basis: a, limit: {days: 7}}]\n"
            "  - clock: care\n    versions: [{basis: b, limit: {days: 5}}]\n",
            "policy-duplicate-target",
            4,
        ),
        # A region file does not define clocks.
        ("clocks.yaml", "clocks: []\n", "policy-unknown-key", 1),
        ("empty.yaml", "targets: []\n", "policy-bad-value", 1),
        # Overlapping target versions.
        (
            "overlap.yaml",
            "targets:\n  - clock: care\n    versions:\n"
            "      - {valid_until: 2025-01-31, basis: a, limit: {days: 7}}\n"
            "      - {valid_from: 2025-01-01, basis: b, limit: {days: 5}}\n",
            "policy-overlap",
            5,
        ),
        # A region is named by its file: lower case, digits and '-'.
        ("Etela_Pohjanmaa.yaml", "targets: []\n", "policy-bad-file", None),
        # A .yml file would be ignored.
        ("stray.yml", "targets: []\n", "policy-bad-file", None),
    ],
)
def test_malformed_region_files(
    policies_copy: Path, name: str, text: str, code: str, line: int | None
) -> None:
    """Each mistake in a region file has its own code, at its file and line."""
    path = policies_copy / "regions" / name
    path.write_text(text, encoding="utf-8")
    error = problems_of(policies_copy)
    assert (error.code, error.path, error.line) == (code, path, line)


# ----------------------------------------------------------------------------- a data set

# A dozen contacts across the law changes of 2023-09-01 and 2025-01-01 and the holidays,
# each with its events and the moment it is judged, and per clock the due date and status
# worked out by hand. Times are Helsinki wall-clock times.
DATA_SET: list[
    tuple[
        str,
        ClockSubject,
        datetime,
        dict[str, datetime],
        datetime,
        dict[str, tuple[date | None, str]],
    ]
] = [
    (
        # Contact Thu 31.8.2023 15:00 (old law): reached at 15:05, same day -> met.
        # Need assessment: 3rd weekday: Fri 1.9 (1), Mon 4.9 (2), Tue 5.9 (3); assessed
        # Mon 4.9 -> met. Care starts Mon 4.9.2023, under the NEW law (the clock's own start
        # day): 14 days -> Mon 18.9.2023; care Fri 15.9 -> met.
        "old-law contact, new-law care",
        ClockSubject(age=40),
        hki(2023, 8, 31, 15),
        {
            "contact_answered": hki(2023, 8, 31, 15, 5),
            "need_assessed": hki(2023, 9, 4, 10),
            "care_started": hki(2023, 9, 15, 9),
        },
        hki(2023, 10, 1),
        {
            "contact": (date(2023, 8, 31), "met"),
            "need_assessment": (date(2023, 9, 5), "met"),
            "care": (date(2023, 9, 18), "met"),
        },
    ),
    (
        # Contact and assessment Thu 31.8.2023: care under the old law, 3 months ->
        # Thu 30.11.2023; care Fri 1.12.2023 -> breached by a day.
        "last day of the three-month care rule",
        ClockSubject(age=40),
        hki(2023, 8, 31, 9),
        {"need_assessed": hki(2023, 8, 31, 11), "care_started": hki(2023, 12, 1, 9)},
        hki(2024, 1, 1),
        {
            "need_assessment": (date(2023, 9, 5), "met"),
            "care": (date(2023, 11, 30), "breached"),
        },
    ),
    (
        # Fri 1.9.2023 17:30, after office hours under the same-day law -> Mon 4.9.2023 for
        # both the contact and the need assessment; answered and assessed Monday morning.
        # Care from Mon 4.9: 14 days -> Mon 18.9; nothing by Tue 19.9 -> breached.
        # Oral care from Mon 4.9 (2023-09-01..2024-10-31: 4 months) -> Thu 4.1.2024, open.
        "first evening of the same-day law",
        ClockSubject(age=30),
        hki(2023, 9, 1, 17, 30),
        {"contact_answered": hki(2023, 9, 4, 8, 5), "need_assessed": hki(2023, 9, 4, 8, 15)},
        hki(2023, 9, 19, 12),
        {
            "contact": (date(2023, 9, 4), "met"),
            "need_assessment": (date(2023, 9, 4), "met"),
            "care": (date(2023, 9, 18), "breached"),
            "oral_care": (date(2024, 1, 4), "open"),
        },
    ),
    (
        # Mon 4.11.2024 08:30: need assessment due the same day, done 10:00 -> met.
        # Oral care 2024-11-01..2024-12-31: 3 months -> Tue 4.2.2025; care Mon 3.2 -> met.
        "oral care in the short 3-month window",
        ClockSubject(age=45),
        hki(2024, 11, 4, 8, 30),
        {"need_assessed": hki(2024, 11, 4, 10), "care_started": hki(2025, 2, 3, 9)},
        hki(2025, 3, 1),
        {
            "need_assessment": (date(2024, 11, 4), "met"),
            "oral_care": (date(2025, 2, 4), "met"),
        },
    ),
    (
        # Mon 30.12.2024 16:30 -> need assessment Tue 31.12.2024 (a weekday), done 09:00.
        # Care under the 2024 law even for a 40-year-old: 14 days -> Tue 14.1.2025.
        # Offered Fri 10.1.2025 (in time), declined Mon 13.1.2025 -> declined.
        "declined over New Year",
        ClockSubject(age=40),
        hki(2024, 12, 30, 16, 30),
        {
            "need_assessed": hki(2024, 12, 31, 9),
            "care_offered": hki(2025, 1, 10, 10),
            "offer_declined": hki(2025, 1, 13, 10),
        },
        hki(2025, 2, 1),
        {
            "need_assessment": (date(2024, 12, 31), "met"),
            "care": (date(2025, 1, 14), "declined"),
        },
    ),
    (
        # New Year's Day, Wed 1.1.2025 11:00 -> contact and assessment due Thu 2.1.2025.
        # Answered only Fri 3.1 -> breached; assessed Thu 2.1 09:00 -> met.
        # Care from Thu 2.1.2025, age 40 (2025 law): 3 months -> Wed 2.4.2025. Offered
        # Thu 3.4 (late), declined Fri 4.4 -> no rescue; care Tue 8.4 -> breached.
        "a late offer declined rescues nothing",
        ClockSubject(age=40),
        hki(2025, 1, 1, 11),
        {
            "contact_answered": hki(2025, 1, 3, 9),
            "need_assessed": hki(2025, 1, 2, 9),
            "care_offered": hki(2025, 4, 3, 10),
            "offer_declined": hki(2025, 4, 4, 10),
            "care_started": hki(2025, 4, 8, 10),
        },
        hki(2025, 5, 1),
        {
            "contact": (date(2025, 1, 2), "breached"),
            "need_assessment": (date(2025, 1, 2), "met"),
            "care": (date(2025, 4, 2), "breached"),
        },
    ),
    (
        # Tue 29.4.2025, age 19: care 14 days -> Tue 13.5.2025, started Mon 12.5 -> met.
        # The therapy guarantee is in force only from Thu 1.5.2025: before it the clock
        # carries the care limit of the day, under 23 14 days -> Tue 13.5.2025; stopped by
        # the same care_started Mon 12.5 -> met.
        "two days before the therapy guarantee",
        ClockSubject(age=19),
        hki(2025, 4, 29, 10),
        {"need_assessed": hki(2025, 4, 29, 11), "care_started": hki(2025, 5, 12, 10)},
        hki(2025, 6, 1),
        {
            "need_assessment": (date(2025, 4, 29), "met"),
            "care": (date(2025, 5, 13), "met"),
            "therapy_guarantee": (date(2025, 5, 13), "met"),
        },
    ),
    (
        # Thu 8.5.2025, age 19: care 14 days -> Thu 22.5.2025; therapy guarantee 28 days ->
        # Thu 5.6.2025 (Ascension Thu 29.5 is in between, not at the end). Care started
        # Tue 3.6: the care clock is breached, the therapy guarantee met.
        "one start, two limits",
        ClockSubject(age=19),
        hki(2025, 5, 8, 10),
        {"need_assessed": hki(2025, 5, 8, 11), "care_started": hki(2025, 6, 3, 10)},
        hki(2025, 7, 1),
        {
            "care": (date(2025, 5, 22), "breached"),
            "therapy_guarantee": (date(2025, 6, 5), "met"),
        },
    ),
    (
        # Thu 19.6.2025 14:00, age 75: 7th weekday: Fri 20.6 Midsummer Eve off, Mon 23 (1),
        # Tue 24 (2), Wed 25 (3), Thu 26 (4), Fri 27 (5), Mon 30 (6), Tue 1.7 (7);
        # assessed Mon 30.6 -> met. Services within 3 months of the matter becoming pending
        # (the contact, 876/2022): Fri 19.9.2025; nothing by Mon 6.10 -> breached.
        "older person over Midsummer",
        ClockSubject(age=75),
        hki(2025, 6, 19, 14),
        {"need_assessed": hki(2025, 6, 30, 10), "decision_made": hki(2025, 7, 3, 10)},
        hki(2025, 10, 6),
        {
            "social_need_assessment": (date(2025, 7, 1), "met"),
            "older_people_services": (date(2025, 9, 19), "breached"),
        },
    ),
    (
        # Fri 19.12.2025, a child needing special support: 7th weekday: Mon 22 (1), Tue 23
        # (2), 24-26 off, Mon 29 (3), Tue 30 (4), Wed 31 (5), Thu 1.1 off, Fri 2.1 (6),
        # Mon 5.1.2026 (7) - for the service-need assessment (done Tue 30.12 -> met) and the
        # child-welfare decision (none by Wed 7.1.2026 -> breached). Completion: 3 months ->
        # Thu 19.3.2026, open.
        "a child over Christmas",
        ClockSubject(age=8, special_support_child=True),
        hki(2025, 12, 19, 10),
        {"need_assessed": hki(2025, 12, 30, 10)},
        hki(2026, 1, 7, 12),
        {
            "social_need_assessment": (date(2026, 1, 5), "met"),
            "social_assessment_completion": (date(2026, 3, 19), "open"),
            "child_welfare_decision": (date(2026, 1, 5), "breached"),
        },
    ),
    (
        # Referral to youth psychiatry Wed 4.12.2024, age 16 (§ 53). Processing: 3 weeks ->
        # Wed 25.12 Christmas Day, Thu 26 St Stephen's -> Fri 27.12.2024; decided Mon 16.12
        # -> met. Assessment: 6 weeks -> Wed 15.1.2025; need confirmed Fri 17.1 -> breached.
        # Treatment from Fri 17.1.2025: 3 months -> Thu 17.4.2025 (Good Friday is the 18th);
        # started Wed 16.4 -> met.
        "youth psychiatry over Christmas",
        ClockSubject(age=16),
        hki(2024, 12, 4, 10),
        {
            "referral_received": hki(2024, 12, 4, 10),
            "decision_made": hki(2024, 12, 16, 10),
            "need_assessed": hki(2025, 1, 17, 10),
            "care_started": hki(2025, 4, 16, 10),
        },
        hki(2025, 5, 1),
        {
            "psychiatry_referral": (date(2024, 12, 27), "met"),
            "psychiatry_assessment": (date(2025, 1, 15), "breached"),
            "psychiatry_treatment": (date(2025, 4, 17), "met"),
        },
    ),
    (
        # Referral Mon 3.3.2025, age 50 (§ 52). Processing: 3 weeks -> Mon 24.3.2025; the
        # first sign of it is the need confirmed Tue 25.3 -> breached. Assessment: 3 months
        # -> Tue 3.6.2025; stopped by the same event -> met. Treatment from Tue 25.3.2025:
        # 6 months -> Thu 25.9.2025; offered Mon 1.9, declined Tue 2.9 -> declined.
        "specialised care, treatment declined",
        ClockSubject(age=50),
        hki(2025, 3, 3, 10),
        {
            "referral_received": hki(2025, 3, 3, 10),
            "need_assessed": hki(2025, 3, 25, 10),
            "care_offered": hki(2025, 9, 1, 10),
            "offer_declined": hki(2025, 9, 2, 10),
        },
        hki(2025, 10, 1),
        {
            "specialised_referral": (date(2025, 3, 24), "breached"),
            "specialised_assessment": (date(2025, 6, 3), "met"),
            "specialised_treatment": (date(2025, 9, 25), "declined"),
        },
    ),
]

# The Etelä-Pohjanmaa targets for the same contacts (7 days from the clock's start):
DATA_SET_TARGETS: dict[tuple[str, str], date] = {
    # care from Mon 4.9.2023 -> Mon 11.9.2023
    ("old-law contact, new-law care", "care"): date(2023, 9, 11),
    # care from Thu 31.8.2023 -> Thu 7.9.2023
    ("last day of the three-month care rule", "care"): date(2023, 9, 7),
    # care from Mon 4.9.2023 -> Mon 11.9.2023
    ("first evening of the same-day law", "care"): date(2023, 9, 11),
    # care from Tue 31.12.2024 -> Tue 7.1.2025 (Epiphany was Monday)
    ("declined over New Year", "care"): date(2025, 1, 7),
    # care from Thu 2.1.2025 -> Thu 9.1.2025
    ("a late offer declined rescues nothing", "care"): date(2025, 1, 9),
    # care from Tue 29.4.2025 -> Tue 6.5.2025
    ("two days before the therapy guarantee", "care"): date(2025, 5, 6),
    # care from Thu 8.5.2025 -> Thu 15.5.2025
    ("one start, two limits", "care"): date(2025, 5, 15),
    # contact Thu 19.6.2025 -> Thu 26.6.2025
    ("older person over Midsummer", "social_need_assessment"): date(2025, 6, 26),
    # contact Fri 19.12.2025 -> Fri 26.12.2025 St Stephen's, weekend, Mon 29.12.2025
    ("a child over Christmas", "social_need_assessment"): date(2025, 12, 29),
}


@pytest.mark.parametrize(
    ("name", "subject", "received_at", "events", "now", "expected"),
    DATA_SET,
    ids=[case[0] for case in DATA_SET],
)
def test_hand_checked_data_set(
    policies: Policies,
    regional: Policies,
    name: str,
    subject: ClockSubject,
    received_at: datetime,
    events: dict[str, datetime],
    now: datetime,
    expected: dict[str, tuple[date | None, str]],
) -> None:
    """Each contact's clocks: due date and status by law; with the region, the targets."""
    ids = list(expected)
    clocks = policies.compute(ids, subject=subject, received_at=received_at, events=events, now=now)
    assert expected == {c.clock: (c.due_date, c.status) for c in clocks}
    assert all(c.target_due_date is None for c in clocks)
    targeted = regional.compute(
        ids, subject=subject, received_at=received_at, events=events, now=now
    )
    assert {c.clock: c.target_due_date for c in targeted if c.target_due_date is not None} == {
        clock: due for (case, clock), due in DATA_SET_TARGETS.items() if case == name
    }
    assert [c.status for c in targeted] == [c.status for c in clocks]


# --------------------------------------------------------------------------- integer instants
# Reports judge hundreds of thousands of clocks from integer microseconds, with the local
# day read from a table per UTC hour and the terms of a clock shared between clocks that
# the policies cannot tell apart. These tests hold both shortcuts to the plain answer.

INSTANTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC)
)


@given(INSTANTS)
def test_the_local_day_of_an_integer_instant_is_its_helsinki_date(ts: datetime) -> None:
    assert local_date(ts) == local_day_of(micros(ts))


@pytest.mark.parametrize(
    "utc",
    [
        # DST starts 2025-03-30 at 03:00 local (01:00 UTC); ends 2025-10-26 at 04:00 local.
        datetime(2025, 3, 30, 0, 59, 59, 999_999, tzinfo=UTC),
        datetime(2025, 3, 30, 1, 0, tzinfo=UTC),
        datetime(2025, 10, 26, 0, 59, 59, 999_999, tzinfo=UTC),
        datetime(2025, 10, 26, 1, 0, tzinfo=UTC),
        # Local midnight on both sides of the offset: 22:00 UTC in winter, 21:00 in summer.
        datetime(2025, 1, 14, 21, 59, 59, 999_999, tzinfo=UTC),
        datetime(2025, 1, 14, 22, 0, tzinfo=UTC),
        datetime(2025, 7, 14, 20, 59, 59, 999_999, tzinfo=UTC),
        datetime(2025, 7, 14, 21, 0, tzinfo=UTC),
    ],
)
def test_local_days_around_dst_and_midnight(utc: datetime) -> None:
    assert utc.astimezone(HELSINKI).date() == local_day_of(micros(utc))


@functools.cache
def _regional_policies() -> Policies:
    return Policies.from_directory(POLICIES_DIR, region=EP)


@given(
    st.lists(
        st.tuples(
            st.datetimes(
                min_value=datetime(2023, 6, 1),
                max_value=datetime(2025, 12, 31),
                timezones=st.just(HELSINKI),
            ),
            st.one_of(st.none(), st.integers(min_value=0, max_value=100)),
            st.booleans(),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_shared_terms_give_what_a_fresh_policy_gives(
    contacts: list[tuple[datetime, int | None, bool, bool]],
) -> None:
    """Judging many clients one after another (the shared table warm, with neighbours
    of other ages, flags and times of day) gives each what a fresh Policies gives it
    alone: the table's key leaves out nothing the policies read."""
    for warm in (_bundled_policies(), _regional_policies()):
        every = sorted(warm.clock_ids)
        for received, age, allowance, special in contacts:
            subject = ClockSubject(
                age=age, highest_care_allowance=allowance, special_support_child=special
            )
            # Every start event two hours on, so that every clock starts.
            events = {name: received + timedelta(hours=2) for name in warm.events}
            del events["contact_received"]
            cold = attrs.evolve(warm)  # the same policies with an empty table
            args = {"subject": subject, "received_at": received, "events": events, "now": received}
            assert cold.compute(every, **args) == warm.compute(every, **args)


def test_a_host_calendar_counts_with_its_own_days_and_leaves_the_finnish_one_alone(
    policies: Policies,
) -> None:
    """Before 2023-09-01 the need assessment is due by the 3rd weekday: from Monday
    6.3.2023 that is Thursday 9.3 (Tue, Wed, Thu). A host calendar that also closes
    Wednesday 8.3 makes it Friday 10.3; the Finnish calendar, asked again on the same
    policies afterwards, still says Thursday."""

    def closed(year: int) -> frozenset[date]:
        return finnish_closed_days(year) | {date(2023, 3, 8)}

    host = Calendar(closed, name="host")
    args = {
        "subject": ADULT,
        "received_at": datetime(2023, 3, 6, 10, tzinfo=HELSINKI),
        "now": datetime(2023, 3, 6, 10, tzinfo=HELSINKI),
    }
    for _ in range(2):  # the second time from the kept terms
        (with_host,) = policies.compute(["need_assessment"], calendar=host, **args)
        (finnish,) = policies.compute(["need_assessment"], **args)
        assert date(2023, 3, 10) == with_host.due_date
        assert date(2023, 3, 9) == finnish.due_date
