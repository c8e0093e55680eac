"""The due date a booked slot must meet, and the clocks it is counted from.

A router that books slots offers a slot only if it meets the care guarantee
(``docs/explanation/routing.md``, "The due date"). :func:`booking_due_date` picks the
day; :func:`booking_clocks` gives the clocks it is picked from: the assessment's own,
except that a care clock still waiting for the need assessment counts from this
contact (the first contact is where the need is assessed). Those provisional clocks
are kept in a bounded, thread-safe memo (:class:`~oneContact._memo.BoundedMemo`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from datetime import date, datetime

from .._memo import BoundedMemo
from ..clocks import Clock, ClockStatus, ClockSubject, LimitKind, Policies, local_date
from ..intake import FirstContact
from ..ruleset import Urgency

__all__ = ["PROVISIONAL_CLOCKS_KEPT", "booking_clocks", "booking_due_date"]

PROVISIONAL_CLOCKS_KEPT = 4096
"""How many lists of provisional clocks an engine keeps (see :func:`booking_clocks`)."""


def booking_due_date(
    urgency: Urgency, received_at: datetime, clocks: Sequence[Clock]
) -> tuple[date | None, str | None]:
    """The day a booked slot must meet, and where it comes from.

    ``urgent``: the day of the contact (basis ``"urgent"``). ``emergency``: none (nothing
    is booked). Otherwise the earliest due date of the open clocks that a booked visit
    meets; same-day clocks (the contact answered, the need assessed) are met by whoever
    handles the first contact, not by a booking, so they do not count.
    """
    if urgency == "emergency":
        return None, None
    if urgency == "urgent":
        return local_date(received_at), "urgent"
    best: Clock | None = None
    for clock in clocks:
        if clock.due_date is None or clock.stopped_at is not None:
            continue
        if clock.limit_kind is LimitKind.SAME_DAY:
            continue
        if best is None or best.due_date is None or clock.due_date < best.due_date:
            best = clock
    return (best.due_date, best.clock) if best is not None else (None, None)


def booking_clocks(
    clocks: tuple[Clock, ...],
    *,
    subject: ClockSubject,
    others: Mapping[str, tuple[str, ClockSubject]],
    contact: FirstContact,
    events: Mapping[str, datetime] | None,
    policies: Policies,
    memo: BoundedMemo[Hashable, tuple[Clock, ...]],
) -> tuple[Clock, ...]:
    """Clocks to book against: a care clock waiting for the need assessment counts from
    this contact (the first contact is where the need is assessed), unless the host
    gave the ``need_assessed`` time."""
    if events and "need_assessed" in events:
        return clocks
    waiting = tuple(
        c.clock
        for c in clocks
        if c.status == ClockStatus.NOT_STARTED and c.starts_on == "need_assessed"
    )
    if not waiting:
        return clocks
    # Without events, these clocks' due dates depend only on the start day and the
    # subject (their limits count days or months, never the time of day): share them.
    # The subjects of the waiting clocks that follow another person are part of the key.
    followed = tuple(others.get(c) for c in waiting)
    key = (waiting, subject, followed, local_date(contact.received_at)) if not events else None
    provisional = memo.get(key) if key is not None else None
    if provisional is None:
        provisional = policies.compute(
            waiting,
            subject=subject,
            received_at=contact.received_at,
            events={**(events or {}), "need_assessed": contact.received_at},
            others={c: others[c] for c in waiting if c in others},
        )
        if key is not None:
            provisional = memo.put(key, provisional)
    return (*(c for c in clocks if c.clock not in waiting), *provisional)
