"""Tests of judging a clock (oneContact.clocks.judge): status, stops, declined offers,
and the shared terms behind integer instants."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oneContact.clocks import (
    HELSINKI,
    Calendar,
    Clock,
    ClockStatus,
    ClockSubject,
    LimitKind,
    Policies,
    as_status,
    finnish_closed_days,
    judge_status,
    status_as_of,
)
from oneContact.errors import ArgumentError

from .conftest import (
    ADULT,
    DECLINE_ASSESSED,
    DECLINE_DUE,
    bundled_policies,
    hki,
    one,
    problems_of,
    regional_policies,
    utc,
    write,
)

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


# ----------------------------------------------------------------------------- declined


def care_with(**events: datetime | Sequence[datetime]) -> Clock:
    (clock,) = bundled_policies().compute(
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
    """An event is one aware datetime or a sequence of them; the value given is not
    repeated (it may be anything a person typed)."""
    with pytest.raises(ArgumentError, match="sequence of datetimes") as info:
        one(policies, "care", hki(2025, 2, 11), events={"need_assessed": "131052-308T"})  # type: ignore[dict-item]
    assert info.value.code == "bad-timestamp"
    assert "131052" not in str(info.value)
    with pytest.raises(ValueError, match="naive"):
        one(policies, "care", hki(2025, 2, 11), events={"care_offered": [datetime(2025, 2, 12)]})


# --------------------------------------------------------------------------- shared terms
# The terms of a clock are shared between clocks that the policies cannot tell apart.


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
    for warm in (bundled_policies(), regional_policies()):
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


# --------------------------------------------------------------------------- the one rule


@pytest.mark.parametrize(
    ("due", "stop_day", "today", "expected"),
    [
        (date(2025, 3, 4), date(2025, 3, 4), None, ClockStatus.MET),  # on the due day
        (date(2025, 3, 4), date(2025, 3, 5), None, ClockStatus.BREACHED),
        (None, date(2025, 3, 5), None, ClockStatus.MET),  # no limit: met when it stops
        (date(2025, 3, 4), None, date(2025, 3, 4), ClockStatus.OPEN),
        (date(2025, 3, 4), None, date(2025, 3, 5), ClockStatus.BREACHED),
        (date(2025, 3, 4), None, None, ClockStatus.OPEN),  # no today to judge by
        (None, None, date(2030, 1, 1), ClockStatus.OPEN),
    ],
)
def test_judge_status_is_the_one_rule(
    due: date | None, stop_day: date | None, today: date | None, expected: ClockStatus
) -> None:
    assert expected is judge_status(due, stop_day, today)


def test_a_stored_status_as_of_a_later_day() -> None:
    """An open clock judged with no today is breached once today is past its due date;
    other statuses are final. Texts read back from a store become ClockStatus values."""
    due = date(2025, 3, 4)
    assert ClockStatus.OPEN is status_as_of("open", due, date(2025, 3, 4))
    assert ClockStatus.BREACHED is status_as_of("open", due, date(2025, 3, 5))
    assert ClockStatus.MET is status_as_of("met", due, date(2026, 1, 1))
    assert ClockStatus.DECLINED is as_status("declined")
    with pytest.raises(ValueError, match="ClockStatus"):
        as_status("late")


def test_judged_clocks_carry_typed_status_and_limit_kind(policies: Policies) -> None:
    """Status and limit kind are enums equal to the JSON's texts; nothing parses text."""
    received = hki(2025, 2, 11, 10)
    clocks = policies.compute(
        ["contact", "need_assessment", "care", "social_need_assessment"],
        subject=ADULT,
        received_at=received,
        events={"need_assessed": received},
    )
    kinds = {c.clock: c.limit_kind for c in clocks}
    assert kinds == {
        "contact": LimitKind.SAME_DAY,
        "need_assessment": LimitKind.SAME_DAY,
        "care": LimitKind.MONTHS,
        "social_need_assessment": LimitKind.NONE,
    }
    assert all(isinstance(c.status, ClockStatus) for c in clocks)
    assert [c.to_json()["status"] for c in clocks] == [str(c.status) for c in clocks]
    handmade = attrs.evolve(clocks[0], status="met")
    assert handmade.status is ClockStatus.MET
    assert handmade.limit_kind is LimitKind.SAME_DAY
