"""The Finnish working-day calendar and time in Helsinki: where a day is counted.

:class:`Calendar` answers the questions a due date asks (is this a weekday, which is the
n-th weekday after this day); the days that are not weekdays come from the ``holidays``
package (:func:`finnish_closed_days`), never from hand-typed dates, and a year is turned
once into flat tables (:class:`YearTable`), so that each question is an index lookup.

Time is Helsinki's: :func:`local_date` is the local day of an instant, and the ledger's
integer instants (microseconds since 1970-01-01 UTC) are converted here and only here
(:func:`micros`, :func:`from_micros`, :func:`local_day_of`, :func:`local_day_and_time`).
:func:`age_on` is the one rule for a person's age in whole years on a day.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import holidays

from ..errors import ArgumentError, OneContactError, require_aware

__all__ = [
    "HELSINKI",
    "Calendar",
    "YearTable",
    "add_months",
    "age_on",
    "day_from_ordinal",
    "finnish_closed_days",
    "from_micros",
    "local_date",
    "local_day_and_time",
    "local_day_of",
    "micros",
]

HELSINKI = ZoneInfo("Europe/Helsinki")

# --------------------------------------------------------------------------- days and ages


def local_date(ts: datetime) -> date:
    """The Europe/Helsinki calendar date of the instant *ts* (which must be tz-aware)."""
    return require_aware(ts, "timestamp").astimezone(HELSINKI).date()


def add_months(day: date, months: int) -> date:
    """The same date number *months* later, or that month's last day if it has fewer."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on *day* of a person born on *birth_date*.

    A 29 February birthday counts on 1 March in common years. A birth date after *day*
    (a child not yet born when, say, a maternity clinic was contacted) gives 0.
    """
    years = day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
    return max(years, 0)


@functools.lru_cache(maxsize=65_536)
def day_from_ordinal(ordinal: int) -> date:
    """``date.fromordinal(ordinal)``, kept for the most recent days: readers of millions
    of stored days (the ledger, reports) share this one bounded cache."""
    return date.fromordinal(ordinal)


# --------------------------------------------------------------------------- integer instants

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MICROSECOND = timedelta(microseconds=1)
_HOUR_US = 3_600_000_000
_DAY_US = 86_400_000_000


def micros(ts: datetime) -> int:
    """The instant *ts* (tz-aware) as integer microseconds since 1970-01-01 UTC: how the
    ledger stores time."""
    return (ts - _EPOCH) // _MICROSECOND


def from_micros(us: int) -> datetime:
    """The instant *us* (microseconds since 1970-01-01 UTC, as :func:`micros` gives) as a
    Europe/Helsinki datetime."""
    return (_EPOCH + timedelta(microseconds=us)).astimezone(HELSINKI)


# Helsinki's UTC offset in microseconds per UTC hour (hours since the epoch), filled on
# first use: DST switches on the hour, so every instant of an hour shares one offset.
_OFFSETS: dict[int, int] = {}
_OFFSETS_KEPT = 1_000_000  # about 114 years of hours: bounded memory


def _offset_of(us: int) -> int:
    """Helsinki's UTC offset in microseconds at the instant *us*; fills ``_OFFSETS``."""
    hour = us // _HOUR_US
    first = (_EPOCH + timedelta(hours=hour)).astimezone(HELSINKI).utcoffset()
    last = (_EPOCH + timedelta(hours=hour + 1) - _MICROSECOND).astimezone(HELSINKI).utcoffset()
    exact = (_EPOCH + timedelta(microseconds=us)).astimezone(HELSINKI).utcoffset()
    assert exact is not None  # a ZoneInfo always has an offset
    if first == last:  # the usual case (always since 1921): keep it for the hour
        if len(_OFFSETS) >= _OFFSETS_KEPT:
            _OFFSETS.clear()
        _OFFSETS[hour] = exact // _MICROSECOND
    return exact // _MICROSECOND


def _local_wall_us(us: int) -> int:
    """The Europe/Helsinki wall-clock time of the instant *us*, as microseconds since
    1970-01-01 00:00 local: one table lookup per UTC hour, no time-zone conversion."""
    offset = _OFFSETS.get(us // _HOUR_US)
    return us + (_offset_of(us) if offset is None else offset)


def local_day_of(us: int) -> date:
    """The Europe/Helsinki day of the instant *us* (microseconds since 1970-01-01 UTC, as
    :func:`micros` gives): exactly ``local_date`` of that instant, without building a
    datetime."""
    return day_from_ordinal(_EPOCH_ORDINAL + _local_wall_us(us) // _DAY_US)


def local_day_and_time(us: int) -> tuple[date, int]:
    """The Europe/Helsinki day of the instant *us* and its wall-clock time that day, in
    microseconds after local midnight."""
    days, time_us = divmod(_local_wall_us(us), _DAY_US)
    return day_from_ordinal(_EPOCH_ORDINAL + days), time_us


# --------------------------------------------------------------------------- closed days

# Act 150/1930 and the care-guarantee law count "arkipäivä" (weekday) as Monday-Friday
# except public holidays, Christmas Eve and Midsummer Eve. The two eves are not public
# holidays by statute, so they are checked by name every year: a future holidays release
# could move them out of the default category. These are the package's own Finnish names
# (the msgids in holidays/countries/finland.py), stable across its translations.
_EVES = {"Jouluaatto": "Christmas Eve", "Juhannusaatto": "Midsummer Eve"}

# holidays joins the names of two holidays on one date with "; ".
_NAME_SEPARATOR = "; "

HolidayFactory = Callable[..., Mapping[date, str]]


def _dates_named(table: Mapping[date, str], name: str, year: int) -> set[date]:
    return {
        day
        for day, names in table.items()
        if day.year == year and name in names.split(_NAME_SEPARATOR)
    }


def finnish_closed_days(
    year: int, *, factory: HolidayFactory = holidays.country_holidays
) -> frozenset[date]:
    """Public holidays, Christmas Eve and Midsummer Eve of *year* in Finland.

    Raises OneContactError when the installed holidays package does not know one of the
    eves in any category, because every due date would then be wrong on those days.
    """
    default = factory("FI", years=year, language="fi")
    closed = {day for day in default if day.year == year}
    for eve, english in _EVES.items():
        if _dates_named(default, eve, year):
            continue
        # Only the eve's own date is taken from the other category: the whole category
        # would bring flag days (Runeberg's day, Kalevala day, ...) that are working days.
        categories: Iterable[str] = getattr(default, "supported_categories", ())
        for category in categories:
            other = factory("FI", years=year, language="fi", categories=(category,))
            found = _dates_named(other, eve, year)
            if found:
                closed.update(found)
                break
        else:
            first = getattr(default, "start_year", year)
            last = getattr(default, "end_year", year)
            if not first <= year <= last:
                raise OneContactError(
                    f"the installed holidays package knows Finland's holidays for {first}-"
                    f"{last}, not {year}: working days cannot be counted in {year} (a due "
                    "date that far is beyond the years oneContact supports)"
                )
            raise OneContactError(
                f"the installed holidays package has no {english} ({eve}) for {year} in any "
                "category; working days cannot be counted. Install holidays>=0.50."
            )
    return frozenset(closed)


@attrs.frozen(repr=False)
class YearTable:
    """One year as flat tables; day index 0 is 1 January."""

    year: int
    first: int  # proleptic ordinal of 1 January
    flags: bytes  # 1 where the day is a weekday
    through: tuple[int, ...]  # weekdays from 1 January up to and including the day
    weekdays: tuple[int, ...]  # ordinals of the year's weekdays, ascending

    @classmethod
    def build(cls, year: int, closed: frozenset[date]) -> YearTable:
        """Tabulate *year*, where *closed* holds its holidays and eves."""
        start = date(year, 1, 1)
        length = 366 if _stdlib_calendar.isleap(year) else 365
        flags = bytearray(length)
        through: list[int] = []
        weekdays: list[int] = []
        for index in range(length):
            day = start + timedelta(days=index)
            if day.weekday() < 5 and day not in closed:
                flags[index] = 1
                weekdays.append(day.toordinal())
            through.append(len(weekdays))
        return cls(year, start.toordinal(), bytes(flags), tuple(through), tuple(weekdays))

    def __repr__(self) -> str:
        return f"<YearTable {self.year}: {len(self.weekdays)} weekdays>"


# --------------------------------------------------------------------------- calendar


@attrs.frozen(eq=False, repr=False)
class Calendar:
    """Finnish working-day calendar: weekday = Mon-Fri except FI public holidays,
    Christmas Eve, Midsummer Eve.

    Build it with :meth:`finnish`. A calendar with other days off can be made from
    *closed_days*, a function giving the holidays of a year (Saturdays and Sundays are off
    anyway). Each year is tabulated once, on first use, and kept.
    """

    _closed_days: Callable[[int], frozenset[date]]
    _name: str = attrs.field(default="custom", kw_only=True)
    _years: dict[int, YearTable] = attrs.field(init=False, factory=dict)

    @classmethod
    def finnish(cls) -> Calendar:
        """The calendar of Finland, from the holidays package; one shared instance."""
        return _FINNISH

    def _table(self, year: int) -> YearTable:
        table = self._years.get(year)
        if table is None:
            # Two threads may build the same year; both results are equal and setdefault
            # keeps one, so no lock is needed.
            table = self._years.setdefault(year, YearTable.build(year, self._closed_days(year)))
        return table

    def is_weekday(self, day: date) -> bool:
        """Whether *day* is a weekday (arkipäivä)."""
        table = self._table(day.year)
        return table.flags[day.toordinal() - table.first] == 1

    def next_weekday(self, day: date) -> date:
        """*day* itself when it is a weekday, else the next weekday."""
        return day if self.is_weekday(day) else self.add_weekdays(day, 1)

    def add_weekdays(self, day: date, n: int) -> date:
        """The *n*-th weekday after *day*; *day* itself is not counted (0 gives *day*)."""
        if n < 0:
            raise ArgumentError("bad-argument", "n", f"add_weekdays counts forward only; got n={n}")
        if n == 0:
            return day
        table = self._table(day.year)
        index = table.through[day.toordinal() - table.first] + n
        while index > len(table.weekdays):
            index -= len(table.weekdays)
            table = self._table(table.year + 1)
        return date.fromordinal(table.weekdays[index - 1])

    def add_days(self, day: date, n: int) -> date:
        """*n* calendar days after *day* (vrk)."""
        return day + timedelta(days=n)

    def add_months(self, day: date, n: int) -> date:
        """The same date number *n* months later, or that month's last day."""
        return add_months(day, n)

    def weekdays_between(self, start: date, end: date) -> int:
        """Weekdays in (start, end]; negative (minus those in (end, start]) if end < start."""
        if end < start:
            return -self.weekdays_between(end, start)
        first, last = self._table(start.year), self._table(end.year)
        before = first.through[start.toordinal() - first.first]
        upto = last.through[end.toordinal() - last.first]
        between = sum(len(self._table(year).weekdays) for year in range(start.year, end.year))
        return between + upto - before

    def __repr__(self) -> str:
        return f"<Calendar {self._name}>"


# The one calendar of Finland: its years are tabulated lazily, so making it costs nothing.
_FINNISH = Calendar(finnish_closed_days, name="FI")
