"""How the ledger judges a contact's clocks from its stored events: the clocks of one
contact (:meth:`Judging.recompute`), the running ones the worklist needs, and the clocks
a report counts (:meth:`Judging.started`). :class:`~oneContact.ledger.Ledger` reads the
events and the projection, and hands them here; nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime

from ..clocks import Calendar, Clock, Judged, Policies, from_micros, local_date
from ..report import StartedContact
from ._history import CONTACT_RECEIVED, WITHDRAWN, History, StoredContact, assessed_us
from ._values import LedgerClock

__all__ = ["Judging", "on_worklist", "worklist_order"]

_RUNNING = ("open", "breached")  # the statuses of a started, unstopped clock


class Judging:
    """The policies and the working-day calendar one ledger judges its clocks with, and
    the start and stop events of each clock (read once from the policies)."""

    def __init__(self, policies: Policies, calendar: Calendar) -> None:
        self.policies = policies
        self.calendar = calendar
        self.shape: Mapping[str, tuple[str, tuple[str, ...]]] = {
            clock: (policies.starts_on(clock), policies.stops_on(clock))
            for clock in sorted(policies.clock_ids)
        }

    def started(
        self, found: Iterable[History], since_us: int, until_us: int, today: date
    ) -> Iterator[StartedContact]:
        """What :meth:`Ledger.started_clocks` gives, judged from the contacts' events."""
        judge = self.policies.judge
        shape = self.shape
        calendar = self.calendar
        for contact_id, _, services, contact, seen, place in found:
            started = tuple(
                c
                for c in contact.clock_ids
                if (at := seen.get(shape[c][0])) is not None and since_us <= at[0] < until_us
            )
            if not started:
                continue
            judged = judge(
                started, subject=contact.subject, happened=seen, today=today,
                calendar=calendar, subjects=contact.subjects,
            )  # fmt: skip
            yield StartedContact(
                contact_id,
                services,
                contact.subject,
                assessed_us(contact, seen),
                judged,
                contact.subjects,
                *place,
            )

    def recompute(
        self,
        contact_id: str,
        contact: StoredContact,
        seen: Mapping[str, Sequence[int]],
        today: date,
        *,
        running_only: bool = False,
    ) -> tuple[LedgerClock, ...]:
        """The contact's clocks; with *running_only*, only those started and not stopped
        by a contact that has not withdrawn (the others are never on the worklist, and
        skipping them before they are judged is what keeps ``due()`` fast)."""
        judged, withdrawn_us = self.judged(contact, seen, today, running_only=running_only)
        withdrawn_at = None if withdrawn_us is None else from_micros(withdrawn_us)
        clock_of = self.policies.clock
        persons = contact.persons
        return tuple(
            self.counted(
                contact_id,
                clock_of(j, from_micros, person=persons.get(j.clock)),
                today,
                withdrawn_at,
            )
            for j in judged
        )

    def may_run(
        self, clock_id: str, contact: StoredContact, seen: Mapping[str, Sequence[int]]
    ) -> bool:
        """False when the clock has surely not started, or has surely stopped."""
        starts_on, stops_on = self.shape[clock_id]
        if starts_on == CONTACT_RECEIVED:
            start = contact.received_us
        elif starts_on in seen:
            start = seen[starts_on][0]
        else:
            return False
        return not any(t >= start for stop in stops_on for t in seen.get(stop, ()))

    def judged(
        self,
        contact: StoredContact,
        seen: Mapping[str, Sequence[int]],
        today: date,
        *,
        running_only: bool = False,
    ) -> tuple[tuple[Judged, ...], int | None]:
        """The contact's clocks as of *today* (its events are up to the moment read), and
        when it withdrew. With *running_only*, only clocks started, not stopped, of a
        contact that has not withdrawn."""
        withdrawn = seen.get(WITHDRAWN)
        if running_only and withdrawn:
            return (), None
        withdrawn_us = withdrawn[0] if withdrawn else None
        clock_ids = contact.clock_ids
        if running_only:
            # The worklist reads every contact: skip clocks not started or already stopped
            # before judging them.
            clock_ids = tuple(c for c in clock_ids if self.may_run(c, contact, seen))
        if not clock_ids:
            return (), withdrawn_us
        judged = self.policies.judge(
            clock_ids, subject=contact.subject, happened=seen, today=today,
            calendar=self.calendar, subjects=contact.subjects,
        )  # fmt: skip
        if running_only:
            judged = tuple(j for j in judged if j.stopped is None and j.status in _RUNNING)
        return judged, withdrawn_us

    def counted(
        self, contact_id: str, clock: Clock, today: date, withdrawn_at: datetime | None
    ) -> LedgerClock:
        if clock.starts_at is None:
            return LedgerClock(contact_id, clock, None, None, None, None, None, withdrawn_at)
        start = local_date(clock.starts_at)
        end = today if clock.stopped_at is None else local_date(clock.stopped_at)
        weekdays = self.calendar.weekdays_between
        due = clock.due_date
        return LedgerClock(
            contact_id,
            clock,
            weekdays_used=weekdays(start, end),
            days_used=(end - start).days,
            weekdays_allowed=None if due is None else weekdays(start, due),
            days_allowed=None if due is None else (due - start).days,
            days_over=None if due is None else max(0, (end - due).days),
            withdrawn_at=withdrawn_at,
        )


def on_worklist(clock: LedgerClock, horizon: date) -> bool:
    """A running clock past due, or due by *horizon*."""
    status, due_date = clock.clock.status, clock.clock.due_date
    return status == "breached" or (
        status == "open" and due_date is not None and due_date <= horizon
    )


def worklist_order(clock: LedgerClock) -> tuple[int, int, date, str, str]:
    """The worklist's order: past due first, most days over first, then by due date."""
    breached = clock.status == "breached"
    return (
        0 if breached else 1,
        -(clock.days_over or 0) if breached else 0,
        clock.due_date or date.max,
        clock.contact_id,
        clock.id,
    )
