"""The years oneContact takes instants in are years the working-day calendar can count."""

from __future__ import annotations

from datetime import date

import pytest

from oneContact.clocks import Calendar
from oneContact.errors import (
    FIRST_SUPPORTED_YEAR,
    LAST_SUPPORTED_YEAR,
    ArgumentError,
    parse_timestamp,
)


def test_the_calendar_counts_every_supported_year_and_the_one_after() -> None:
    calendar = Calendar.finnish()
    for year in (FIRST_SUPPORTED_YEAR, LAST_SUPPORTED_YEAR, LAST_SUPPORTED_YEAR + 1):
        assert calendar.add_weekdays(date(year, 12, 1), 10).year in (year, year + 1)


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:00:00-05:00",  # past datetime.max in UTC
        "0001-01-01T00:00:00+05:00",  # before datetime.min in UTC
        f"{LAST_SUPPORTED_YEAR + 1}-01-01T00:00:00+00:00",
        f"{FIRST_SUPPORTED_YEAR - 1}-12-31T12:00:00+00:00",
    ],
)
def test_a_time_outside_the_supported_years_is_refused_naming_them(text: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        parse_timestamp(text, "--now")
    assert caught.value.code == "timestamp-out-of-range"
    assert caught.value.field == "--now"
    assert f"{FIRST_SUPPORTED_YEAR}-{LAST_SUPPORTED_YEAR}" in str(caught.value)


def test_the_edges_of_the_supported_years_are_accepted() -> None:
    assert parse_timestamp(f"{FIRST_SUPPORTED_YEAR}-01-01T00:00:00+00:00", "now").year == 1970
    assert parse_timestamp(f"{LAST_SUPPORTED_YEAR}-12-31T23:59:59+00:00", "now").year == 2099


def test_a_year_past_the_holidays_package_says_so_not_to_upgrade() -> None:
    """Counting into a year the holidays package does not cover names the years it does,
    rather than the wrong hint to install a newer release."""
    from oneContact.clocks import finnish_closed_days
    from oneContact.errors import OneContactError

    with pytest.raises(OneContactError, match=r"holidays for \d+-\d+, not 2150") as caught:
        finnish_closed_days(2150)
    assert "Install" not in str(caught.value)


def test_the_worklist_looks_ahead_at_most_max_within_weekdays(tmp_path: object) -> None:
    """Ledger.due refuses a horizon past MAX_WITHIN_WEEKDAYS (which the CLI shares), as a
    LedgerArgumentError, instead of counting into years the calendar has no holidays for."""
    from datetime import UTC, datetime
    from pathlib import Path

    from oneContact.errors import LedgerArgumentError
    from oneContact.ledger import MAX_WITHIN_WEEKDAYS, Ledger

    now = datetime(2099, 6, 1, tzinfo=UTC)
    with Ledger.open(f"sqlite:///{Path(str(tmp_path)) / 'ledger.db'}") as ledger:
        assert [] == ledger.due(now=now, within_weekdays=MAX_WITHIN_WEEKDAYS)
        for within in (MAX_WITHIN_WEEKDAYS + 1, 10**6, 10**30):
            with pytest.raises(LedgerArgumentError, match=r"from 0 to \d+") as caught:
                ledger.due(now=now, within_weekdays=within)
            assert "within_weekdays" == caught.value.field
