"""Tests of oneContact.report: the access measures on a data set checked by hand, the
splits, the formats, the HTML page in headless Chromium, and the ledger's streaming read.

The data set (period 2025-01-01 to 2025-02-28, judged as of 2025-04-30 12:00, law of
2025 with Etelä-Pohjanmaa's 7-day target for ``care``). Every date below is worked out
from the law (docs/explanation/law-index.md); 2025 days that are not weekdays here: Wed 1.1, Mon 6.1, and
weekends (1.2 Sat, 3.5 Sat; 1.5 Thu is May Day). Need assessment: the same day (contact
in office hours 08-16). Care: under 23, 14 days; 23 or over, 3 months; a due date on a
day off moves to the next weekday. Target: 7 days, never later than the law.

==  =====  ========  ===========  ==============================================  =========
id  age    service   received     events                                          month(s)
==  =====  ========  ===========  ==============================================  =========
A   20     nurse*    Tue 7.1 9:00 assessed 7.1 10:00; care started Fri 10.1       2025-01
B   40     gp        Wed 8.1 9:00 assessed 8.1 11:00; care started Tue 15.4       2025-01
C   30     nurse     Mon 3.2 9:00 assessed 3.2 10:00; offered Mon 10.2, declined  2025-02
                                  Tue 11.2 (the offer was within the limit)
D   19     gp        Wed 12.2     assessed 12.2 10:00; no care by 30.4            2025-02
E   50     nurse     Thu 27.2 9:00 assessed Fri 28.2 9:00 (a day late); no care   2025-02
H   25     nurse     Tue 31.12.2024 assessed Thu 2.1.2025; care started Thu 16.1  (2024-12) 2025-01
X   40     nurse     Mon 3.3      after the period: none of its clocks counts     -
==  =====  ========  ===========  ==============================================  =========

\\* A's routes are digital_chat (a digital channel) then nurse: its service is nurse, the
first team-member route.

Clocks (status as of 30.4):
- A need_assessment due 7.1, stopped 7.1: met. care due 7.1+14 = Tue 21.1, target
  7.1+7 = Tue 14.1; stopped 10.1: met, on target; waited 3 days.
- B need_assessment met (8.1). care due 8.1+3 months = Tue 8.4, target Wed 15.1; stopped
  15.4: breached, 15.4-8.4 = 7 days over; off target. Waited 8.1->15.4 = 23+28+31+15 = 97
  days (not within 3 months: 15.4 > 8.4).
- C need_assessment met (3.2). care due 3.2+3 months = Sat 3.5 -> Mon 5.5 (1.5 is a
  holiday, but 5.5 is the first weekday after 3.5); offered 10.2 <= 5.5 and declined:
  declined (counted apart: no law, target or wait figure).
- D need_assessment met. care due 12.2+14 = Wed 26.2, target Wed 19.2; still open on
  30.4: past due by 26.2->30.4 = 2+31+30 = 63 days; off target; still waiting.
- E need_assessment due 27.2, stopped 28.2: breached, 1 day over. care from 28.2 due
  28.2+3 months = Wed 28.5: open, not past due on 30.4; target 28.2+7 = Fri 7.3 has
  passed: decided, off target; still waiting.
- H need_assessment started 31.12.2024: before the period, not counted. care from 2.1:
  due 2.4 (25 years: 3 months), target Thu 9.1; stopped 16.1: met, off target. Waited
  2.1->16.1 = 14 days (within 14 days: yes).
"""

from __future__ import annotations

import csv
import io
import json
import struct
import subprocess
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from oneContact.clocks import HELSINKI, Clock, ClockSubject, Judged, Policies, local_date
from oneContact.engine import Assessment
from oneContact.ledger import Ledger, LedgerError
from oneContact.report import Report, ReportRow, ReportSource, StartedContact, build_report
from oneContact.routing import Route
from oneContact.ruleset import RuleSet, load_ruleset

from ..conftest import chromium, fresh_ledger_url

REPO = Path(__file__).resolve().parents[2]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def hki(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A wall-clock time in Helsinki."""
    return datetime(y, m, d, hh, mm, tzinfo=HELSINKI)


SINCE, UNTIL, NOW = hki(2025, 1, 1), hki(2025, 3, 1), hki(2025, 4, 30, 12)
KINDS = {"nurse": "team_member", "gp": "team_member", "digital_chat": "digital_channel"}
CLOCKS = ("need_assessment", "care")


# (contact id, age, route services, received, {event: [instants]})
DATA: tuple[tuple[str, int, tuple[str, ...], datetime, dict[str, list[datetime]]], ...] = (
    ("A", 20, ("digital_chat", "nurse"), hki(2025, 1, 7, 9),
     {"need_assessed": [hki(2025, 1, 7, 10)], "care_started": [hki(2025, 1, 10, 10)]}),
    ("B", 40, ("gp",), hki(2025, 1, 8, 9),
     {"need_assessed": [hki(2025, 1, 8, 11)], "care_started": [hki(2025, 4, 15, 10)]}),
    ("C", 30, ("nurse",), hki(2025, 2, 3, 9),
     {"need_assessed": [hki(2025, 2, 3, 10)], "care_offered": [hki(2025, 2, 10, 10)],
      "offer_declined": [hki(2025, 2, 11, 10)]}),
    ("D", 19, ("gp",), hki(2025, 2, 12, 9), {"need_assessed": [hki(2025, 2, 12, 10)]}),
    ("E", 50, ("nurse",), hki(2025, 2, 27, 9), {"need_assessed": [hki(2025, 2, 28, 9)]}),
    ("H", 25, ("nurse",), hki(2024, 12, 31, 10),
     {"need_assessed": [hki(2025, 1, 2, 10)], "care_started": [hki(2025, 1, 16, 10)]}),
    ("X", 40, ("nurse",), hki(2025, 3, 3, 9),
     {"need_assessed": [hki(2025, 3, 3, 10)], "care_started": [hki(2025, 3, 4, 10)]}),
)  # fmt: skip


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_ruleset(REPO / "rules")


@pytest.fixture(scope="module")
def policies() -> Policies:
    """The bundled law with Etelä-Pohjanmaa's targets selected."""
    return Policies.from_directory(REPO / "rules" / "policies", region="etela-pohjanmaa")


def _micros(ts: datetime) -> int:
    return (ts - EPOCH) // timedelta(microseconds=1)


class FakeLedger:
    """What build_report reads of a ledger, computed straight from the public
    Policies.compute with every event: a test double independent of the ledger's own
    reading, filtering and recompute."""

    def __init__(
        self, policies: Policies, data: Sequence[Any] = DATA, clock_ids: Sequence[str] = CLOCKS
    ) -> None:
        self.policies = policies
        self.data = data
        self.clock_ids = clock_ids

    def started_clocks(
        self, since: datetime, until: datetime, now: datetime
    ) -> Iterator[StartedContact]:
        for contact_id, age, services, received, events in self.data:
            if received > now:
                continue
            seen = {name: [t for t in times if t <= now] for name, times in events.items()}
            seen = {name: times for name, times in seen.items() if times}
            subject = ClockSubject(age=age)
            clocks = self.policies.compute(
                self.clock_ids, subject=subject, received_at=received, events=seen, now=now
            )
            started = tuple(
                _judged(c)
                for c in clocks
                if c.starts_at is not None and since <= c.starts_at < until
            )
            if started:
                assessed = min(seen.get("need_assessed", [received]))
                yield StartedContact(contact_id, services, subject, _micros(assessed), started)


def _judged(clock: Clock) -> Judged:
    start, stop = clock.starts_at, clock.stopped_at
    return Judged(
        clock.clock,
        None if start is None else _micros(start),
        None if start is None else local_date(start),
        None if stop is None else _micros(stop),
        None if stop is None else local_date(stop),
        clock.due_date,
        clock.limit,
        clock.basis,
        clock.status,
        clock.target_due_date,
        clock.target_basis,
    )


def fake_report(policies: Policies, **over: Any) -> Report:
    """The data set's report through the test double; *over* replaces any argument."""
    args: dict[str, Any] = {"since": SINCE, "until": UNTIL, "now": NOW, **over}
    ledger: ReportSource = FakeLedger(policies)
    return build_report(ledger, **args)


def measures(row: ReportRow) -> dict[str, object]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.measures().items()}


# The total, worked out from the module docstring.
TOTAL = {
    # A.na A.care B.na B.care C.na C.care D.na D.care E.na E.care H.care (H.na started in 2024)
    "clocks": 11,
    "met": 6,  # A.na A.care B.na C.na D.na H.care
    "breached": 2,  # B.care (stopped late), E.na
    "open_past_due": 1,  # D.care
    "open": 1,  # E.care
    "declined": 1,  # C.care
    "no_limit": 0,
    "on_time_share": 0.6667,  # 6 / (6 + 2 + 1)
    "target_clocks": 5,  # the care clocks with a target, C's (declined) left out
    "target_decided": 5,  # A B H stopped; D (19.2) and E (7.3) targets passed by 30.4
    "target_met": 1,  # A only
    "target_share": 0.2,  # 1 / 5
    "assessments_decided": 5,  # need_assessment of A B C D E
    "assessments_on_time": 4,  # all but E
    "assessments_on_time_share": 0.8,
    "care_started": 3,  # A (3 days), B (97), H (14)
    "still_waiting": 2,  # D, E (C declined: not waiting)
    "within_14_days": 2,  # A, H
    "within_14_days_share": 0.6667,  # 2 / 3
    "within_3_months": 2,  # A, H; B's 15.4 is after 8.4
    "within_3_months_share": 0.6667,
    "waiting_days_median": 14.0,  # middle of 3, 14, 97
    "waiting_days_p90": 97,  # nearest rank: ceil(0.9 * 3) = 3rd of 3
}


def check_hand_figures(report: Report) -> None:
    """Everything the docstring works out, on any report of the data set by
    service and age group."""
    assert TOTAL == measures(report.total)
    rows = {tuple(r.values.values()): measures(r) for r in report.rows}
    assert [("gp", "0-22"), ("gp", "23+"), ("nurse", "0-22"), ("nurse", "23+")] == list(rows)
    gp_young, gp_old, nurse_young, nurse_old = rows.values()
    # D: need assessment met; care open past due (63 days), its target passed; waiting.
    assert {
        "clocks": 2,
        "met": 1,
        "open_past_due": 1,
        "on_time_share": 0.5,
        "target_clocks": 1,
        "target_decided": 1,
        "target_share": 0.0,
        "care_started": 0,
        "still_waiting": 1,
        "waiting_days_median": None,
    } == _pick(gp_young, "target_clocks", "target_decided", "target_share", "care_started",
               "still_waiting", "waiting_days_median")  # fmt: skip
    # B: need assessment met; care 7 days late, off target; waited 97 days.
    assert {
        "clocks": 2,
        "met": 1,
        "breached": 1,
        "on_time_share": 0.5,
        "target_share": 0.0,
        "care_started": 1,
        "within_14_days": 0,
        "within_3_months": 0,
        "waiting_days_median": 97.0,
        "waiting_days_p90": 97,
    } == _pick(gp_old, "target_share", "care_started", "within_14_days", "within_3_months",
               "waiting_days_median", "waiting_days_p90")  # fmt: skip
    # A: both met, on target; waited 3 days.
    assert {
        "clocks": 2,
        "met": 2,
        "on_time_share": 1.0,
        "target_share": 1.0,
        "care_started": 1,
        "within_14_days_share": 1.0,
        "within_3_months_share": 1.0,
        "waiting_days_median": 3.0,
        "waiting_days_p90": 3,
    } == _pick(nurse_young, "target_share", "care_started", "within_14_days_share",
               "within_3_months_share", "waiting_days_median", "waiting_days_p90")  # fmt: skip
    # C, E, H: C.na met, C.care declined; E.na a day late, E.care open; H.care met.
    assert {
        "clocks": 5,
        "met": 2,
        "breached": 1,
        "open": 1,
        "declined": 1,
        "on_time_share": 0.6667,  # C.na H.care of C.na E.na H.care
        "target_clocks": 2,  # E, H (C declined)
        "target_decided": 2,
        "target_met": 0,
        "assessments_decided": 2,  # C on time, E late
        "assessments_on_time_share": 0.5,
        "care_started": 1,  # H
        "still_waiting": 1,  # E
        "within_14_days": 1,  # H's 14 days are within
        "waiting_days_median": 14.0,
    } == _pick(nurse_old, "target_clocks", "target_decided", "target_met",
               "assessments_decided", "assessments_on_time_share", "care_started",
               "still_waiting", "within_14_days", "waiting_days_median")  # fmt: skip
    breaches = [(b.contact_id, b.clock, b.days_over, b.still_open) for b in report.breaches]
    assert [
        ("D", "care", 63, True),
        ("B", "care", 7, False),
        ("E", "need_assessment", 1, False),
    ] == breaches


_OUTCOME_KEYS = ("clocks", "met", "breached", "open_past_due", "open", "declined", "no_limit")


def _pick(row: Mapping[str, object], *also: str) -> dict[str, object]:
    """The outcome counts that are not zero, the share on time and the measures *also*."""
    picked = {k: row[k] for k in _OUTCOME_KEYS if row[k]}
    picked["on_time_share"] = row["on_time_share"]
    picked.update((k, row[k]) for k in also)
    return picked


# --------------------------------------------------------------------------- measures


def test_hand_checked_measures(policies: Policies, ruleset: RuleSet) -> None:
    """Every figure of the data set, split by service and age group (the default)."""
    report = fake_report(policies, catalogue=ruleset.catalogue)
    assert ("service", "age_group") == report.by
    check_hand_figures(report)
    assert NOW == report.as_of


def test_without_a_catalogue_the_bundled_one_gives_the_kinds(policies: Policies) -> None:
    """nurse, gp (team members) and digital_chat (a channel) are in the bundled catalogue."""
    check_hand_figures(fake_report(policies))


def test_split_by_clock_and_month(policies: Policies) -> None:
    """Rolled up another way, the same clocks give these rows."""
    rows = {
        tuple(r.values.values()): measures(r)
        for r in fake_report(policies, by=["clock", "month"]).rows
    }
    assert [
        ("care", "2025-01"),
        ("care", "2025-02"),
        ("need_assessment", "2025-01"),
        ("need_assessment", "2025-02"),
    ] == list(rows)
    care_jan, care_feb, na_jan, na_feb = rows.values()
    # A met, B breached, H met: 2 of 3; waits 3, 97, 14.
    assert {"clocks": 3, "met": 2, "breached": 1, "on_time_share": 0.6667} == _pick(care_jan)
    assert (3, 14.0, 97, 0.3333) == (
        care_jan["care_started"],
        care_jan["waiting_days_median"],
        care_jan["waiting_days_p90"],
        care_jan["target_share"],  # A of A, B, H
    )
    # C declined, D open past due, E open: 0 of the 1 decided by law.
    assert {"clocks": 3, "open_past_due": 1, "open": 1, "declined": 1, "on_time_share": 0.0} == (
        _pick(care_feb)
    )
    assert (0, 2) == (care_feb["care_started"], care_feb["still_waiting"])
    assert {"clocks": 2, "met": 2, "on_time_share": 1.0} == _pick(na_jan)  # A, B
    assert {"clocks": 3, "met": 2, "breached": 1, "on_time_share": 0.6667} == _pick(na_feb)


def test_split_by_month_only_and_total_only(policies: Policies) -> None:
    report = fake_report(policies, by=["month"])
    jan, feb = (measures(r) for r in report.rows)
    # January: A.na A.care B.na B.care H.care; February: C, D, E (two clocks each).
    assert {"clocks": 5, "met": 4, "breached": 1, "on_time_share": 0.8} == _pick(jan)
    assert {
        "clocks": 6,
        "met": 2,
        "breached": 1,
        "open_past_due": 1,
        "open": 1,
        "declined": 1,
        "on_time_share": 0.5,  # C.na D.na of C.na D.na E.na D.care
    } == _pick(feb)
    total_only = fake_report(policies, by=[])
    assert () == total_only.by
    assert [TOTAL] == [measures(r) for r in total_only.rows]


def test_group_rolls_up_without_reading_again(policies: Policies) -> None:
    """Report.group splits the same clocks any other way; the sums agree."""
    report = fake_report(policies)
    by_service = {r.values["service"]: r for r in report.group(["service"])}
    assert 4 == by_service["gp"].clocks  # B and D
    assert 7 == by_service["nurse"].clocks  # A (2), C (2), E (2), H (1)
    assert report.total.clocks == sum(r.clocks for r in report.group(["age_group", "clock"]))


def test_one_wait_per_contact_per_row(policies: Policies) -> None:
    """A contact with two care clocks (care and the therapy guarantee, both from
    need_assessed to care_started) waits once in a row without 'clock', once in each
    clock's row with it."""
    data = (
        # 18 years, 2025-05-06: therapy guarantee in force (28 days), care 14 days.
        ("M", 18, ("nurse",), hki(2025, 5, 6, 9),
         {"need_assessed": [hki(2025, 5, 6, 10)], "care_started": [hki(2025, 5, 9, 10)]}),
    )  # fmt: skip

    ledger: Any = FakeLedger(policies, data, clock_ids=("care", "therapy_guarantee"))
    since, until = hki(2025, 5, 1), hki(2025, 6, 1)
    total = build_report(ledger, since=since, until=until, by=[]).total
    assert (2, 1, {3: 1}) == (total.clocks, total.care_started, dict(total.waiting_days))
    by_clock = build_report(ledger, since=since, until=until, by=["clock"])
    assert [("care", 1), ("therapy_guarantee", 1)] == [
        (r.values["clock"], r.care_started) for r in by_clock.rows
    ]


def test_default_now_is_the_end_of_the_period(policies: Policies) -> None:
    """Without now, the report is judged at the last instant of the period: B's care
    (started 15.4) is still open then, due 8.4: not yet past due; D is past due since
    26.2 by 28.2 - 26.2 = 2 days."""
    report = fake_report(policies, now=None)
    assert hki(2025, 3, 1) - timedelta(microseconds=1) == report.as_of
    care = {
        r.values["month"]: r
        for r in report.group(["clock", "month"])
        if r.values["clock"] == "care"
    }
    assert (2, 1, 0) == (care["2025-01"].met, care["2025-01"].open, care["2025-01"].breached)
    assert [("D", 2), ("E", 1)] == [(b.contact_id, b.days_over) for b in report.breaches]


def test_a_period_counts_clocks_by_their_start(policies: Policies) -> None:
    """H's need assessment clock started on 31.12.2024; its care clock on 2.1.2025: only
    the care clock is in January. X (March) is in no period before it."""
    january = fake_report(policies, since=hki(2025, 1, 1), until=hki(2025, 2, 1), by=["clock"])
    assert {"care": 3, "need_assessment": 2} == {
        r.values["clock"]: r.clocks for r in january.rows
    }  # care: A B H; need_assessment: A B
    december = fake_report(policies, since=hki(2024, 12, 1), until=hki(2025, 1, 1), by=["clock"])
    assert [("need_assessment", 1)] == [(r.values["clock"], r.clocks) for r in december.rows]
    empty = fake_report(policies, since=hki(2024, 1, 1), until=hki(2024, 2, 1))
    assert (0, ()) == (empty.total.clocks, empty.rows)
    assert empty.total.on_time_share is None
    assert empty.total.waiting_days_median is None


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"by": ["service", "agegroup"]}, "by", "did you mean 'age_group'"),
        ({"by": ["region"]}, "by", "splits by any of service, age_group, clock, month"),
        ({"by": ["month", "month"]}, "by", "given twice"),
        ({"until": hki(2024, 1, 1)}, "until", "is not after since"),
        ({"since": datetime(2025, 1, 1)}, "since", "has no time zone"),
        ({"now": "2025-01-01"}, "now", "must be a datetime"),
    ],
)
def test_bad_arguments_are_refused(
    policies: Policies, over: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(LedgerError, match=message) as info:
        fake_report(policies, **over)
    assert field == info.value.field


def test_by_may_be_a_comma_separated_string(policies: Policies) -> None:
    assert ("clock", "month") == fake_report(policies, by="clock, month").by


# --------------------------------------------------------------------------- formats


def test_json_has_the_period_rows_total_and_breaches(policies: Policies) -> None:
    data = json.loads(json.dumps(fake_report(policies).to_json()))
    assert {
        "since",
        "until",
        "as_of",
        "by",
        "total",
        "rows",
        "breaches",
        "waiting_days_by_service",
    } == set(data)
    assert "2025-01-01T00:00:00+02:00" == data["since"]
    assert TOTAL == data["total"]
    assert {"service": "gp", "age_group": "0-22"} == {
        k: data["rows"][0][k] for k in ("service", "age_group")
    }
    assert list(TOTAL) == list(data["rows"][0])[2:]
    assert {
        "contact_id": "D",
        "clock": "care",
        "service": "gp",
        "age_group": "0-22",
        "month": "2025-02",
        "started_on": "2025-02-12",
        "due_date": "2025-02-26",
        "stopped_on": None,
        "days_over": 63,
        "still_open": True,
    } == data["breaches"][0]
    # gp: B waited 97 days; nurse: A 3, H 14.
    assert {"gp": {"97": 1}, "nurse": {"3": 1, "14": 1}} == data["waiting_days_by_service"]


def test_csv_header_rows_and_total(policies: Policies) -> None:
    text = fake_report(policies).to_csv()
    rows = list(csv.reader(io.StringIO(text)))
    assert ["service", "age_group", *TOTAL] == rows[0]
    assert [["gp", "0-22"], ["gp", "23+"], ["nurse", "0-22"], ["nurse", "23+"], ["all", "all"]] == [
        r[:2] for r in rows[1:]
    ]
    # The total row, measure by measure (empty cells would be None).
    assert "11,6,2,1,1,1,0,0.6667,5,5,1,0.2,5,4,0.8,3,2,2,0.6667,2,0.6667,14.0,97" == ",".join(
        rows[-1][2:]
    )
    # gp 0-22 (D): no wait yet, so the wait shares and days are empty.
    gp_young = dict(zip(rows[0], rows[1], strict=True))
    assert ("", "", "1") == (
        gp_young["within_14_days_share"],
        gp_young["waiting_days_median"],
        gp_young["still_waiting"],
    )
    breaches = list(csv.reader(io.StringIO(fake_report(policies).to_csv(table="breaches"))))
    assert "contact_id" == breaches[0][0]
    assert ["D", "care", "gp", "0-22", "2025-02", "2025-02-12", "2025-02-26", "", "63", "true"] == (
        breaches[1]
    )
    assert 4 == len(breaches)


def test_text_is_a_table_for_people(policies: Policies) -> None:
    text = fake_report(policies).to_text()
    assert "clocks started 2025-01-01 to 2025-02-28" in text
    total = next(line for line in text.splitlines() if line.startswith("all"))
    assert total.split()[:9] == ["all", "all", "11", "6", "2", "1", "1", "1", "66.7"]
    assert "breaches: 3 (1 still open)" in text
    assert "D        care" in text


class _Elements(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _elements(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(page)
    return parser.tags


def _charts(tags: list[tuple[str, dict[str, str | None]]]) -> Counter[str]:
    return Counter(str(a.get("data-chart")) for t, a in tags if t == "svg" and "data-chart" in a)


def _check_charts(tags: list[tuple[str, dict[str, str | None]]]) -> None:
    """The charts of the data set's page, with the figures worked out above."""
    # Waits: gp (B) and nurse (A, H); months: care and need_assessment; one outcome chart.
    assert {"waiting-distribution": 2, "on-time-by-month": 2, "outcomes-by-service": 1} == (
        _charts(tags)
    )
    waiting = {
        a["data-service"]: a["data-care-started"]
        for t, a in tags
        if t == "svg" and a.get("data-chart") == "waiting-distribution"
    }
    assert {"gp": "1", "nurse": "2"} == waiting
    bins = [(a["data-bin"], a["data-count"]) for t, a in tags if "data-bin" in a]
    assert 28 == len(bins)  # 14 weekly bins for each of the two services
    nonzero = [b for b in bins if b[1] != "0"]
    # gp: 97 days (92+); nurse: 3 days (0-7) and 14 days (8-14).
    assert [("92+", "1"), ("0-7", "1"), ("8-14", "1")] == nonzero
    limits = {a["data-limit-days"] for t, a in tags if "data-limit-days" in a}
    assert {"14", "91"} == limits
    shares = {
        (a["data-month"], a["data-measure"]): a["data-share"]
        for t, a in tags
        if a.get("data-measure") in ("law", "target")
    }
    assert {
        ("2025-01", "law"): "1.0000",  # need_assessment January: A, B
        ("2025-02", "law"): "0.6667",  # need_assessment February: C, D of C, D, E
    } == {k: v for k, v in shares.items() if v in ("1.0000", "0.6667") and k[1] == "law"}
    care = [
        (a["data-month"], a["data-measure"], a["data-share"])
        for t, a in tags
        if a.get("data-measure") and a.get("data-month")
    ]
    # care January: law 2 of 3, target 1 of 3; February: law 0 of 1 (D), target 0 of 2.
    assert ("2025-01", "law", "0.6667") in care
    assert ("2025-01", "target", "0.3333") in care
    assert ("2025-02", "law", "0.0000") in care
    assert ("2025-02", "target", "0.0000") in care
    outcomes = {
        (a["data-service"], a["data-outcome"]): a["data-count"]
        for t, a in tags
        if "data-outcome" in a
    }
    assert {
        ("gp", "met"): "2",
        ("gp", "breached"): "1",
        ("gp", "open_past_due"): "1",
        ("nurse", "met"): "4",
        ("nurse", "breached"): "1",
        ("nurse", "open"): "1",
        ("nurse", "declined"): "1",
    } == outcomes


def test_html_is_one_self_contained_page(policies: Policies) -> None:
    """No scripts, no links, nothing fetched: only inline CSS and SVG."""
    page = fake_report(policies).to_html()
    tags = _elements(page)
    assert not [t for t, _ in tags if t in ("script", "link", "img", "iframe", "object")]
    assert not [a for _, a in tags if "src" in a or "href" in a]
    assert page.count("http") == page.count('xmlns="http://www.w3.org/2000/svg"')
    _check_charts(tags)


def test_html_escapes_what_it_shows(policies: Policies) -> None:
    """A service id (from the host's catalogue) is shown as text, never as markup."""
    data = (("Q", 40, ("<i>x</i>",), hki(2025, 1, 7, 9), {"need_assessed": [hki(2025, 1, 7, 17)]}),)
    ledger: Any = FakeLedger(policies, data)
    page = build_report(ledger, since=SINCE, until=UNTIL, now=NOW).to_html()
    assert "<i>x</i>" not in page
    assert "&lt;i&gt;x&lt;/i&gt;" in page


# --------------------------------------------------------------------------- Chromium


def _browse(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(chromium("the HTML report's rendering is not checked")),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-extensions",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _png_pixels(data: bytes) -> tuple[int, int, Counter[bytes]]:
    """Width, height and a count of every colour of an 8-bit RGB(A) PNG (stdlib only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, depth, colour = 8, [], 0, 0, 0, 0
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat.append(body)
    assert depth == 8, f"unexpected PNG bit depth {depth}"
    assert colour in (2, 6), f"unexpected PNG colour type {colour}"
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    previous = bytearray(stride)
    colours: Counter[bytes] = Counter()
    for y in range(height):
        start = y * (stride + 1)
        kind_of_filter, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind_of_filter == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind_of_filter == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, previous, strict=True))
        elif kind_of_filter == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + (left + previous[i]) // 2) & 255
        elif kind_of_filter == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = previous[i], previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            colours[bytes(line[x : x + 3])] += 1
        previous = line
    return width, height, colours


@pytest.mark.browser
@pytest.mark.slow
def test_html_renders_in_headless_chromium(policies: Policies, tmp_path: Path) -> None:
    """The page as a browser builds it: the charts are SVG elements with their data, and
    a screenshot shows them (the bars' green and red are painted)."""
    page = tmp_path / "report.html"
    page.write_text(fake_report(policies).to_html(), encoding="utf-8")
    dumped = _browse(tmp_path, page, "--dump-dom")
    assert 0 == dumped.returncode, dumped.stderr[-2000:]
    tags = _elements(dumped.stdout)
    _check_charts(tags)
    shot = tmp_path / "report.png"
    taken = _browse(tmp_path, page, f"--screenshot={shot}", "--window-size=1100,1500")
    assert 0 == taken.returncode, taken.stderr[-2000:]
    width, height, colours = _png_pixels(shot.read_bytes())
    assert (1100, 1500) == (width, height)
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    background = colours.most_common(1)[0][1]
    assert background < 0.9 * width * height, "one colour fills 90 % of the screenshot"
    green, red = bytes((0x2E, 0x7D, 0x32)), bytes((0xC6, 0x28, 0x28))
    assert colours[green] > 500, "no green bars painted"
    assert colours[red] > 100, "no red bars painted"


# --------------------------------------------------------------------------- the ledger


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh ledger location on each backend (PostgreSQL: its own schema)."""
    yield from fresh_ledger_url(request.param, tmp_path, "report_test")


def record_data(ledger: Ledger, policies: Policies, data: Sequence[Any] = DATA) -> None:
    for contact_id, age, services, received, events in data:
        subject = ClockSubject(age=age)
        ledger.record_assessment(
            Assessment(
                contact_id=contact_id,
                received_at=received,
                urgency="non_urgent",
                needs=(),
                routes=tuple(Route(KINDS[s], s, "test") for s in services),
                clocks=policies.compute(CLOCKS, subject=subject, received_at=received),
                fired=(),
                ruleset_digest="0" * 64,
                backend="python",
                subject=subject,
            )
        )
        for name, times in events.items():
            for n, at in enumerate(times):
                ledger.record(contact_id, name, at=at, event_id=f"{contact_id}.{name}.{n}")


def test_ledger_report_gives_the_hand_checked_figures(
    url: str, policies: Policies, ruleset: RuleSet
) -> None:
    """The same data set recorded in a real ledger, on both backends."""
    with Ledger.open(url, policies=policies) as ledger:
        record_data(ledger, policies)
        # C declined an offer made within the limit: its care clock ends as declined.
        assert "declined" == {c.id: c.status for c in ledger.clocks("C", now=NOW)}["care"]
        report = ledger.report(since=SINCE, until=UNTIL, now=NOW, catalogue=ruleset.catalogue)
    check_hand_figures(report)
    # The ledger's report adds its overrides section; every other figure is the same.
    found = report.to_json()
    received = sum(SINCE <= received < UNTIL for _, _, _, received, _ in DATA)
    assert received == found.pop("overrides")["contacts"]
    assert fake_report(policies).to_json() == found


def test_ledger_report_agrees_with_its_clocks(url: str, policies: Policies) -> None:
    """Whatever the ledger says of each clock, the report counts the same: its outcome
    columns and breaches are those of Ledger.clocks() for every contact."""
    with Ledger.open(url, policies=policies) as ledger:
        record_data(ledger, policies)
        report = ledger.report(since=SINCE, until=UNTIL, now=NOW, by=["clock"])
        statuses: Counter[tuple[str, str]] = Counter()
        for contact_id, *_ in DATA:
            for clock in ledger.clocks(contact_id, now=NOW):
                start = clock.clock.starts_at
                if start is not None and SINCE <= start < UNTIL:
                    statuses[(clock.id, clock.status)] += 1
    counted: Counter[tuple[str, str]] = Counter()
    for row in report.rows:
        clock_id = row.values["clock"]
        counted[(clock_id, "met")] += row.met
        counted[(clock_id, "breached")] += row.breached + row.open_past_due
        counted[(clock_id, "open")] += row.open
        counted[(clock_id, "declined")] += row.declined
    assert +statuses == +counted
    # need_assessment: A B C D met, E breached, whatever the care clocks do.
    assert (4, 1) == (
        statuses[("need_assessment", "met")],
        statuses[("need_assessment", "breached")],
    )


def test_contacts_streams_every_contact_once(url: str, policies: Policies) -> None:
    """Ledger.contacts: contact-id order, only events up to now, active_since skips."""
    with Ledger.open(url, policies=policies) as ledger:
        record_data(ledger, policies)
        everyone = list(ledger.contacts(now=NOW))
        assert ["A", "B", "C", "D", "E", "H", "X"] == [c.contact_id for c in everyone]
        a = everyone[0]
        assert (("digital_chat", "nurse"), 20) == (a.services, a.subject.age)
        assert hki(2025, 1, 7, 10) == a.first("need_assessed")
        assert a.first("withdrawn") is None
        assert hki(2025, 1, 7, 9) == a.received_at
        assert "ClockSubject" not in repr(a)
        # As of 31.1 (before C was received): only A, B and H; B's care not started.
        early = {c.contact_id: c for c in ledger.contacts(now=hki(2025, 1, 31))}
        assert ["A", "B", "H"] == list(early)
        assert early["B"].first("care_started") is None
        # Active since March: B (care started 15.4) and X (received 3.3) have events since.
        assert ["B", "X"] == [
            c.contact_id for c in ledger.contacts(now=NOW, active_since=hki(2025, 3, 1))
        ]
        with pytest.raises(LedgerError, match="no time zone"):
            next(ledger.contacts(now=datetime(2025, 1, 1)))


def test_an_abandoned_read_leaves_the_ledger_usable(url: str, policies: Policies) -> None:
    """Closing the iterator half-way ends the read (on PostgreSQL, its cursor and
    transaction): the same thread records and reads again at once."""
    with Ledger.open(url, policies=policies) as ledger:
        record_data(ledger, policies)
        stream = ledger.contacts(now=NOW)
        next(stream)
        stream.close()
        assert ledger.record("X", "withdrawn", at=hki(2025, 3, 5), event_id="X.w") is True
        assert 7 == sum(1 for _ in ledger.contacts(now=NOW))


# --------------------------------------------------------------------------- law changes

# Seven contacts whose care clocks start around the law changes of 2023-09-01 and
# 2025-01-01 and Christmas. Each is received at 09:00 and its need assessed at 10:00 the
# same day (so every need_assessment clock is met). Due dates by hand (domain.md):
#   A 40 y, 31.8.2023: old law, 3 months -> 30.11.2023 (no 31.11); care 20.9 -> met, 20 d
#   B 40 y, Fri 1.9.2023: 14 days -> Fri 15.9.2023; care 20.9 -> breached by 5, 19 d
#   C 40 y, Tue 31.12.2024: still 14 days -> Tue 14.1.2025; care 10.1 -> met, 10 d
#   D 40 y, Thu 2.1.2025: 23+ from 2025, 3 months -> Wed 2.4.2025; care 20.3 -> met, 77 d
#   E 20 y, Thu 2.1.2025: under 23, 14 days -> Thu 16.1.2025; care 20.1 -> breached by 4, 18 d
#   F 20 y, Fri 20.12.2024: 14 days -> Fri 3.1.2025; no care by 30.3.2025 -> 86 days over
#   G 30 y, Tue 10.12.2024: 14 days -> Tue 24.12 Christmas Eve, 25-26 holidays -> Fri 27.12;
#     care 27.12 -> met, 17 d
LAW_CHANGES = [
    ("A", 40, (2023, 8, 31), (2023, 9, 20)),
    ("B", 40, (2023, 9, 1), (2023, 9, 20)),
    ("C", 40, (2024, 12, 31), (2025, 1, 10)),
    ("D", 40, (2025, 1, 2), (2025, 3, 20)),
    ("E", 20, (2025, 1, 2), (2025, 1, 20)),
    ("F", 20, (2024, 12, 20), None),
    ("G", 30, (2024, 12, 10), (2024, 12, 27)),
]


def test_report_across_the_law_changes_and_christmas(tmp_path: Path, policies: Policies) -> None:
    """Care within 14 days / 3 months, waiting days and breaches across both law changes."""
    data = []
    for contact_id, age, day, care in LAW_CHANGES:
        events: dict[str, list[datetime]] = {"need_assessed": [hki(*day, 10)]}
        if care is not None:
            events["care_started"] = [hki(*care, 10)]
        data.append((contact_id, age, ("nurse",), hki(*day, 9), events))
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}", policies=policies) as ledger:
        record_data(ledger, policies, data)
        report = ledger.report(
            since=hki(2023, 8, 1), until=hki(2025, 3, 31), by=["clock"], now=hki(2025, 3, 30, 12)
        )
    rows = {dict(row.key)["clock"]: row for row in report.rows}
    care = rows["care"]
    assert (7, 4, 2, 1, 0) == (
        care.clocks,
        care.met,
        care.breached,
        care.open_past_due,
        care.declined,
    )
    assert 4 / 7 == care.on_time_share
    # Waiting days 10, 17, 18, 19, 20, 77 (F still waits): only C within 14 days; all six
    # within 3 months; median (18 + 19) / 2; p90 the 6th of 6 by nearest rank.
    assert (6, 1) == (care.care_started, care.still_waiting)
    assert 1 / 6 == care.within_14_days_share
    assert 1.0 == care.within_3_months_share
    assert 18.5 == care.waiting_days_median
    assert 77 == care.waiting_days_p90
    assessed = rows["need_assessment"]
    assert (7, 7, 1.0) == (assessed.clocks, assessed.met, assessed.assessments_on_time_share)
    care_breaches = [
        (b.contact_id, b.days_over, b.still_open) for b in report.breaches if b.clock == "care"
    ]
    assert [("F", 86, True), ("B", 5, False), ("E", 4, False)] == care_breaches
