"""Working-day tables behind :class:`oneContact.clocks.Calendar`.

The days that are not weekdays come from the ``holidays`` package, never from hand-typed
dates. A year is turned once into flat tables, so that the questions an assessment asks on
its hot path (is this a weekday, which is the n-th weekday after this day) are an index
lookup rather than a walk over the calendar.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta

import attrs
import holidays

from .errors import OneContactError

__all__ = ["YearTable", "add_months", "finnish_closed_days"]

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


def add_months(day: date, months: int) -> date:
    """The same date number *months* later, or that month's last day if it has fewer."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))
