"""The values the ledger hands out: :class:`LedgerEvent` (one recorded event),
:class:`LedgerClock` (one clock with the days it used) and :class:`LedgerContact` (one
stored contact with its clocks, for reports); and :func:`instant`, how a stored integer
instant is read back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import attrs

from ..clocks import Clock, ClockSubject, from_micros

__all__ = ["ContactSummary", "LedgerClock", "LedgerContact", "LedgerEvent", "when"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def when(micros: int) -> str:
    """A stored instant as an ISO 8601 text, for messages (in UTC, or in microseconds
    since 1970, where Helsinki time cannot show it)."""
    try:
        return from_micros(micros).isoformat()
    except (OverflowError, ValueError):
        try:
            return (_EPOCH + timedelta(microseconds=micros)).isoformat()
        except (OverflowError, ValueError):
            return f"{micros} microseconds after 1970-01-01 UTC"


@attrs.frozen
class LedgerEvent:
    """One thing that happened to a contact: what :meth:`Ledger.record_many` takes and
    :meth:`Ledger.events` gives back."""

    contact_id: str
    event: str
    at: datetime
    event_id: str


@attrs.frozen
class ContactSummary:
    """What the ledger keeps of a contact beside its events, for a worklist's filters and
    links: :meth:`Ledger.contact_summaries` gives them. Codes and ids only."""

    contact_id: str
    received_at: datetime
    urgency: str
    services: tuple[str, ...]
    """The assessment's route service ids, in route order."""
    units: tuple[str, ...]
    """The units of its routes, in route order (a route without a unit gives none);
    empty for a contact recorded before the ledger kept units."""
    municipality: str | None
    """As the contact gave it; None when it gave none (or was recorded before the ledger
    kept it)."""
    ruleset_digest: str


@attrs.frozen(repr=False)
class LedgerClock:
    """One care-guarantee clock of one contact as of ``now``, with the days it used.

    Counts run from the local day the clock started (not counted, as in Act 150/1930) to
    the day it stopped or, while it runs, to ``now``'s local day. ``weekdays_*`` count
    arkipäivät, ``days_*`` calendar days; ``*_allowed`` run to the due date. ``days_over``
    is the number of calendar days past the due date (0 when not past it). All are None
    when the clock has not started, and the ``allowed``/``over`` ones when it has no limit.
    """

    contact_id: str
    clock: Clock
    weekdays_used: int | None
    days_used: int | None
    weekdays_allowed: int | None
    days_allowed: int | None
    days_over: int | None
    withdrawn_at: datetime | None = None
    """When the client withdrew (the ``withdrawn`` event), if they did by ``now``."""

    @property
    def id(self) -> str:
        """The clock's id, e.g. ``care``."""
        return self.clock.clock

    @property
    def status(self) -> str:
        """``not_started``, ``open``, ``met`` or ``breached``."""
        return self.clock.status

    @property
    def due_date(self) -> date | None:
        """The last local day the limit allows, or None without a limit."""
        return self.clock.due_date

    def to_json(self) -> dict[str, object]:
        """The clock's JSON (see :meth:`Clock.to_json`) with the contact and the counts."""
        return {
            "contact_id": self.contact_id,
            **self.clock.to_json(),
            "weekdays_used": self.weekdays_used,
            "days_used": self.days_used,
            "weekdays_allowed": self.weekdays_allowed,
            "days_allowed": self.days_allowed,
            "days_over": self.days_over,
            "withdrawn_at": None if self.withdrawn_at is None else self.withdrawn_at.isoformat(),
        }

    def __repr__(self) -> str:
        clock = self.clock
        due = f" due {clock.due_date}" if clock.due_date is not None else ""
        used = ""
        if self.days_used is not None:
            allowed = f" of {self.days_allowed}" if self.days_allowed is not None else ""
            used = f" ({self.days_used}{allowed} days used)"
        return f"<LedgerClock {self.contact_id!r} {clock.clock!r} {clock.status}{due}{used}>"


@attrs.frozen(repr=False)
class LedgerContact:
    """One stored contact with its clocks as of a moment: what :meth:`Ledger.contacts`
    yields, for reports. Holds no free text; the clock subject stays out of its repr."""

    contact_id: str
    urgency: str
    services: tuple[str, ...]
    """The assessment's route service ids, in route order."""
    subject: ClockSubject
    clocks: tuple[Clock, ...]
    """Every clock of the contact (started or not), in the order its assessment gave
    them, as :meth:`Ledger.clocks` computes them (without its day counts)."""
    clock_subjects: Mapping[str, ClockSubject] = attrs.field(hash=False)
    """By clock id, the subject of each clock that follows another person's right than
    the client's (:attr:`Clock.person` says whose); the other clocks follow ``subject``."""
    _received_us: int
    _seen: Mapping[str, Sequence[int]]  # each event's instants, ascending

    @property
    def received_at(self) -> datetime:
        """When the contact was received (Europe/Helsinki)."""
        return from_micros(self._received_us)

    def first(self, event: str) -> datetime | None:
        """When *event* first happened to the contact (up to the moment read), or None."""
        times = self._seen.get(event)
        return None if not times else from_micros(times[0])

    def __repr__(self) -> str:
        return f"<LedgerContact {self.contact_id!r} {len(self.clocks)} clocks>"
