"""A care-guarantee clock as values: :class:`Clock`, :class:`ClockSubject`, and the typed
values a clock carries (:class:`ClockStatus`, :class:`LimitKind`), with the events every
clock may start or stop on (:data:`STANDARD_EVENTS`).

These are what the later stages (routing, the ledger, reports) read; they are made by
:meth:`oneContact.clocks.Policies.compute` and never parse a clock's text back.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import attrs

from .._text import Label
from ..errors import ArgumentError
from .calendar import age_on

__all__ = [
    "CARE_OFFERED",
    "CONTACT_RECEIVED",
    "FEEDBACK_EVENTS",
    "OFFER_DECLINED",
    "STANDARD_EVENTS",
    "Clock",
    "ClockStatus",
    "ClockSubject",
    "LimitKind",
    "as_status",
]

STANDARD_EVENTS: tuple[str, ...] = (
    "contact_received",
    "contact_answered",
    "need_assessed",
    "referral_received",
    "decision_made",
    "care_offered",
    "offer_declined",
    "care_started",
    "service_started",
    "assessment_completed",
    "withdrawn",
)
"""Events every clock may start or stop on; a policy file may declare more."""

FEEDBACK_EVENTS: tuple[str, ...] = ("suggestion_accepted", "suggestion_overridden")
"""A professional's answer to the rules' suggestions (``oneContact.suggestions``): the
ledger records them, but no clock may start or stop on one (a policy file naming one is
refused), so that feedback never moves a care-guarantee clock."""

CONTACT_RECEIVED = "contact_received"
"""The event of the contact itself: its instant is the contact's ``received_at``."""
CARE_OFFERED = "care_offered"
"""A time for care was offered (read by clocks that a declined offer ends)."""
OFFER_DECLINED = "offer_declined"
"""The client declined a time offered."""


class ClockStatus(StrEnum):
    """Where a clock stands; the value is the ``status`` of the JSON contract."""

    NOT_STARTED = "not_started"
    """Its start event has not happened."""
    OPEN = "open"
    """Started, not stopped, its due day not yet over (or it has none)."""
    MET = "met"
    """Stopped on or before its due date (or it has none)."""
    BREACHED = "breached"
    """Stopped after its due date, or still running after it."""
    DECLINED = "declined"
    """Ended by the client declining a time offered within the limit."""


class LimitKind(StrEnum):
    """How a clock's limit counts, as written in a policy file (``{weekdays: 7}``, ...)."""

    WEEKDAYS = "weekdays"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    SAME_DAY = "same_day"
    """Due the day it starts (or, after office hours, the next weekday): met by whoever
    handles the first contact, not by a booking."""
    NONE = "none"
    """No fixed limit in law (``{none: "reason"}``): the clock has no due date."""


_STATUSES: dict[str, ClockStatus] = {status.value: status for status in ClockStatus}


def as_status(value: str) -> ClockStatus:
    """The :class:`ClockStatus` whose value is *value* (a status read back from a store),
    by one dict lookup: ``ClockStatus(value)`` costs far more on millions of rows.
    Raises ValueError for a text that is no status."""
    found = _STATUSES.get(value)
    return ClockStatus(value) if found is None else found


def _check_age(_instance: object, _attribute: object, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not 0 <= value <= 150):
        raise ArgumentError(
            "bad-argument", "age", f"must be a whole number of years from 0 to 150, got {value!r}"
        )


@attrs.frozen
class ClockSubject:
    """What a policy needs to know of the client, without personal data."""

    age: int | None = attrs.field(default=None, validator=_check_age)
    """Age as given at contact, used when there is no birth date."""
    birth_date: date | None = attrs.field(default=None, repr=False)
    """When given, the age is taken on the day the clock starts (never shown in a repr)."""
    highest_care_allowance: bool = False
    special_support_child: bool = False

    def age_on(self, day: date) -> int | None:
        """Age in whole years on *day* (:func:`~oneContact.clocks.age_on`), from the birth
        date when there is one, else the age as given."""
        if self.birth_date is None:
            return self.age
        return age_on(self.birth_date, day)


@attrs.frozen(repr=False)
class Clock:
    """One care-guarantee clock of one contact, as of ``now``."""

    clock: str
    starts_on: str
    stops_on: tuple[str, ...]
    starts_at: datetime | None
    due_date: date | None
    limit: str | None
    basis: str
    status: ClockStatus = attrs.field(converter=as_status)
    """Set by judging (:func:`oneContact.clocks.judge_clock`); a text given is converted."""
    stopped_at: datetime | None
    target_due_date: date | None = None
    """A regional target's due date (stricter than the law), when a region sets one."""
    target_basis: str | None = None
    """Where the regional target comes from, e.g. the region's decision."""
    person: str | None = None
    """Whose right the clock follows: the id of a person of the questionnaire (e.g.
    ``"child"``) when a rule started it ``for`` them, None for the client's own."""
    basis_text: Label | None = attrs.field(default=None, eq=False)
    """``basis`` in Finnish, Swedish and English (None for a Clock made by hand)."""
    limit_text: Label | None = attrs.field(default=None, eq=False)
    """``limit`` in Finnish, Swedish and English, e.g. "7 arkipäivää"."""
    target_basis_text: Label | None = attrs.field(default=None, eq=False)
    """``target_basis`` in Finnish, Swedish and English."""
    limit_kind: LimitKind | None = attrs.field(default=None, eq=False)
    """How the limit counts (e.g. :attr:`LimitKind.SAME_DAY`); None when the clock has no
    limit of its policy: not started, no version in force, or a Clock made by hand
    without one."""

    def basis_in(self, language: str) -> str:
        """The legal basis in *language* (fi, sv or en); English when not translated."""
        return self.basis if self.basis_text is None else self.basis_text.get(language)

    def limit_in(self, language: str) -> str | None:
        """The limit in words in *language*, e.g. "7 vardagar"; None without a limit."""
        if self.limit_text is None:
            return self.limit
        return self.limit_text.get(language)

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: dates as YYYY-MM-DD, times as ISO 8601 strings; ``for`` is
        the person whose right the clock follows (null: the client)."""
        return {
            "clock": self.clock,
            "for": self.person,
            "starts_on": self.starts_on,
            "starts_at": None if self.starts_at is None else self.starts_at.isoformat(),
            "due_date": None if self.due_date is None else self.due_date.isoformat(),
            "limit": self.limit,
            "basis": self.basis,
            "status": self.status.value,
            "stopped_at": None if self.stopped_at is None else self.stopped_at.isoformat(),
            "target_due_date": (
                None if self.target_due_date is None else self.target_due_date.isoformat()
            ),
        }

    def __repr__(self) -> str:
        due = f" due {self.due_date}" if self.due_date is not None else ""
        person = f" for {self.person}" if self.person is not None else ""
        return f"<Clock {self.clock!r}{person} {self.status}{due}>"
