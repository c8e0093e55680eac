"""Tests of the Finnish working-day calendar and Helsinki time (oneContact.clocks.calendar).

Finnish days that are not weekdays, from the almanac:
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

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oneContact.clocks import (
    HELSINKI,
    Calendar,
    ClockSubject,
    age_on,
    finnish_closed_days,
    from_micros,
    local_date,
    local_day_of,
    micros,
)
from oneContact.errors import ArgumentError, OneContactError

from .conftest import (
    CAL,
    utc,
)

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


def test_from_micros_is_the_helsinki_datetime_of_an_instant() -> None:
    """from_micros undoes micros, in Helsinki time."""
    ts = datetime(2025, 3, 30, 1, 30, tzinfo=UTC)  # 04:30 EEST, just after the change
    back = from_micros(micros(ts))
    assert (back, back.tzinfo, back.hour) == (ts, HELSINKI, 4)


@pytest.mark.parametrize(
    ("born", "day", "expected"),
    [
        (date(2000, 3, 5), date(2025, 3, 4), 24),
        (date(2000, 3, 5), date(2025, 3, 5), 25),
        # A 29 February birthday counts on 1 March in common years.
        (date(2004, 2, 29), date(2025, 2, 28), 20),
        (date(2004, 2, 29), date(2025, 3, 1), 21),
        # Not yet born (a maternity clinic's contact): 0.
        (date(2026, 1, 1), date(2025, 6, 1), 0),
    ],
)
def test_age_on_counts_whole_years(born: date, day: date, expected: int) -> None:
    assert expected == age_on(born, day)
    assert expected == ClockSubject(birth_date=born).age_on(day)


def test_bad_calendar_arguments_are_argument_errors() -> None:
    with pytest.raises(ArgumentError) as info:
        CAL.add_weekdays(date(2025, 1, 1), -1)
    assert ("bad-argument", "n") == (info.value.code, info.value.field)
    with pytest.raises(ArgumentError) as info:
        local_date(datetime(2025, 1, 6, 12, 0))  # the naive value under test
    assert "naive-timestamp" == info.value.code
