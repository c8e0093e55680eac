"""Tests of the bundled policies, written from the law (docs/explanation/law-index.md).

Every expected date was worked out by hand with a printed calendar; the reasoning is in the
comment beside each case (the Finnish days off are listed in tests/clocks/test_calendar.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oneContact.clocks import (
    Clock,
    ClockSubject,
    Policies,
    local_date,
)

from .conftest import (
    ADULT,
    CAL,
    URGENT,
    after_assessment,
    bundled_policies,
    hki,
    one,
    utc,
    write,
)


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
    policies = bundled_policies()
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
