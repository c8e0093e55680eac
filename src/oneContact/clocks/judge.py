"""Where a clock is judged: its start, its stop, its due date and so its status.

:func:`judge_clock` is the one function that judges a clock from its policy and the
instants of the contact's events; :meth:`oneContact.clocks.Policies.judge` and
:meth:`~oneContact.clocks.Policies.compute` call it. The rule that decides met, breached
or open is :func:`judge_status`; a reader of clocks judged earlier (a stored projection, a
report) asks :func:`status_as_of` or :func:`judge_status` rather than deciding again.

The terms of a clock (due date, limit, basis, the regional target) depend only on its
policy, its local start day and a few facts of the client: :class:`Terms` works each out
once and shares it, so a report judges hundreds of thousands of clocks cheaply.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import NamedTuple

from .._messages import text as message_text
from ._policy import ClockPolicy, Region, Target, ages_named
from .calendar import Calendar, local_day_and_time, local_day_of
from .model import CARE_OFFERED, OFFER_DECLINED, ClockStatus, ClockSubject, as_status

__all__ = [
    "Judged",
    "Terms",
    "TermsValue",
    "judge_clock",
    "judge_status",
    "judging_code_digest",
    "status_as_of",
]


class Judged(NamedTuple):
    """One clock as judged from instants in integer microseconds since the epoch (UTC):
    what :class:`~oneContact.clocks.Clock` holds, with the local days of its start and
    stop, for readers (the ledger, reports) that keep instants as integers and never need
    a Clock."""

    clock: str
    start: int | None
    start_day: date | None
    stopped: int | None
    stop_day: date | None
    due_date: date | None
    limit: str | None
    basis: str
    status: ClockStatus
    target_due_date: date | None
    target_basis: str | None


def judge_status(due_date: date | None, stop_day: date | None, today: date | None) -> ClockStatus:
    """The status of a started clock not ended by a decline: the one rule.

    Met when it stopped (on local day *stop_day*) on or before *due_date*, or has no due
    date; breached when it stopped after it, or has not stopped and *today* is past it;
    open otherwise (also when there is no *today* to judge by). A regional target is
    judged by the same rule with its own due date.
    """
    if stop_day is not None:
        return ClockStatus.MET if due_date is None or stop_day <= due_date else ClockStatus.BREACHED
    if due_date is not None and today is not None and today > due_date:
        return ClockStatus.BREACHED
    return ClockStatus.OPEN


def status_as_of(status: str, due_date: date | None, today: date) -> ClockStatus:
    """The status on *today* of a clock judged earlier as *status* (say with no today, as
    a stored projection keeps it): an open clock is breached once *today* is past its
    due date; every other status is final."""
    if status == ClockStatus.OPEN:
        return judge_status(due_date, None, today)
    return as_status(status)


def declined_at(
    start: int,
    stopped: int | None,
    due: date | None,
    happened: Mapping[str, Sequence[int]],
) -> int | None:
    """When the client declined a time offered within the limit, or None.

    A decline counts when it comes at or after the start and before any stop, and the
    latest offer at or before it (at or after the start) was made on or before the due
    date (any offer when there is none). The offered appointment's own date is not an
    event field, so the day the offer was made stands for it.
    """
    declines = happened.get(OFFER_DECLINED)
    offers = happened.get(CARE_OFFERED)
    if not declines or not offers:
        return None
    for declined in declines:  # ascending
        if declined < start:
            continue
        if stopped is not None and declined >= stopped:
            return None
        offered = max((o for o in offers if start <= o <= declined), default=None)
        if offered is not None and (due is None or local_day_of(offered) <= due):
            return declined
    return None


_TermsKey = tuple[str, date, int, bool, bool, int]
TermsValue = tuple[date | None, str | None, str, date | None, str | None]
"""A clock's due date, limit text and basis by law, and its target due date and basis."""


class Terms:
    """The terms a clock gets from its start: due date, limit and basis by law, and the
    selected region's target, looked up once per policy, local start day and *class* of
    client and time, then shared (a report judges hundreds of thousands of clocks that
    start on a few thousand days).

    Only what the policies can tell apart goes into the key, so the lookup is exact: the
    client's age as its place among the ages any variant of the policy names, the two
    flags, and the time of day as its place among the ends of office hours any same-day
    limit names. This table is the one memo of due dates.
    """

    _LIMIT = 65_536  # entries kept; beyond it the table starts again (bounded memory)

    def __init__(self, calendar: Calendar, region: Region | None) -> None:
        self.calendar = calendar
        self._targets: Mapping[str, Target] = {} if region is None else region.targets
        self._cuts: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._table: dict[_TermsKey, TermsValue] = {}

    def on(self, policy: ClockPolicy, day: date, time_us: int, subject: ClockSubject) -> TermsValue:
        """The terms of *policy* for a clock starting on local *day*, *time_us*
        microseconds after local midnight, for *subject*."""
        cuts = self._cuts.get(policy.id)
        if cuts is None:
            cuts = self._cuts.setdefault(policy.id, self._cuts_of(policy))
        ages, ends = cuts
        age = subject.age_on(day)
        key = (
            policy.id,
            day,
            -1 if age is None else bisect.bisect_right(ages, age),
            subject.highest_care_allowance,
            subject.special_support_child,
            bisect.bisect_right(ends, time_us),
        )
        found = self._table.get(key)
        if found is None:
            if len(self._table) >= self._LIMIT:
                self._table.clear()
            found = self._table.setdefault(key, self._work_out(policy, day, time_us, subject, age))
        return found

    def _cuts_of(self, policy: ClockPolicy) -> tuple[tuple[int, ...], tuple[int, ...]]:
        target = self._targets.get(policy.id)
        versions = (*policy.versions, *(() if target is None else target.versions))
        ages: set[int] = set()
        ends: set[int] = set()
        for version in versions:
            for variant in version.variants:
                ages.update(ages_named(variant.condition))
                hours = variant.limit.office_hours
                if hours is not None:
                    end = hours.end
                    ends.add(
                        ((end.hour * 60 + end.minute) * 60 + end.second) * 1_000_000
                        + end.microsecond
                    )
        return tuple(sorted(ages)), tuple(sorted(ends))

    def _work_out(
        self, policy: ClockPolicy, day: date, time_us: int, subject: ClockSubject, age: int | None
    ) -> TermsValue:
        local = datetime.combine(day, time()) + timedelta(microseconds=time_us)
        calendar = self.calendar
        version = policy.version_on(day)
        due: date | None = None
        limit_text: str | None = None
        if version is None:
            basis = message_text("basis_no_version", "en", policy=policy.id, day=day)
        else:
            _, limit, limit_text, basis = version.variant(subject, age)
            due = limit.due(local, calendar, roll=version.roll_to_weekday)
        target_due: date | None = None
        target_basis: str | None = None
        target = self._targets.get(policy.id)
        if target is not None and (target_version := target.version_on(day)) is not None:
            _, target_limit, _, target_basis = target_version.variant(subject, age)
            target_due = target_limit.due(local, calendar, roll=target_version.roll_to_weekday)
            if target_due is not None and due is not None and due < target_due:
                # A target never allows more time than the law.
                target_due = due
                target_basis += "; " + message_text("target_capped", "en")
        return due, limit_text, basis, target_due, target_basis


def judge_clock(
    policy: ClockPolicy,
    subject: ClockSubject,
    happened: Mapping[str, Sequence[int]],
    today: date | None,
    terms: Terms,
) -> Judged:
    """The one place a clock is judged: *policy*'s clock for *subject*, from *happened*
    (each event's instants in ascending order), as of local day *today* (None: an
    unstopped clock stays open), with due dates from *terms*."""
    starts = happened.get(policy.starts_on)
    if not starts:
        return _not_started(policy.id, policy.not_started)
    start = starts[0]
    stopped: int | None = None
    for name in policy.stops_on:
        for ts in happened.get(name, ()):
            if ts >= start:  # ascending: the first at or after the start is the earliest
                if stopped is None or ts < stopped:
                    stopped = ts
                break
    day, time_us = local_day_and_time(start)
    due, limit_text, basis, target_due, target_basis = terms.on(policy, day, time_us, subject)
    declined = None
    if policy.declined_ends_clock:
        declined = declined_at(start, stopped, due, happened)
    stop_day = None
    if declined is not None:
        status, stopped = ClockStatus.DECLINED, declined
        stop_day = local_day_of(declined)
    else:
        if stopped is not None:
            stop_day = local_day_of(stopped)
        status = judge_status(due, stop_day, today)
    # tuple.__new__: a NamedTuple's own __new__ is a Python call with eleven arguments.
    return _new_judged(
        Judged,
        (
            policy.id,
            start,
            day,
            stopped,
            stop_day,
            due,
            limit_text,
            basis,
            status,
            target_due,
            target_basis,
        ),
    )


_new_judged = tuple.__new__


@functools.lru_cache(maxsize=1024)
def _not_started(clock: str, basis: str) -> Judged:
    """A clock whose start event has not happened: the same value for every contact."""
    return Judged(
        clock, None, None, None, None, None, None, basis, ClockStatus.NOT_STARTED, None, None
    )


def judging_code_digest() -> str:
    """SHA-256 of the source of every module of this package (the calendar, the policy
    values, the judge, ...): a changed rule of judgement makes a new digest, so that what
    was judged with the old code (a stored projection) is judged again."""
    h = hashlib.sha256()
    for file in sorted(Path(__file__).parent.glob("*.py")):
        h.update(file.name.encode())
        h.update(b"\0")
        h.update(file.read_bytes())
        h.update(b"\0")
    return h.hexdigest()
