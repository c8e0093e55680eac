"""What a policy file says, as values: a clock's policy, its versions in force over time,
their variants (a condition on the client and a limit) and the regional targets.

:meth:`Limit.due` is where a due date is counted from a limit and a start; the loader
(:mod:`oneContact.clocks.loading`) makes these values, the judge
(:mod:`oneContact.clocks.judge`) reads them. Not API: the names are public only so that
the modules of this package can share them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path

import attrs

from .._messages import limit_label
from .._messages import text as message_text
from .._text import LANGUAGES, Label
from .calendar import Calendar
from .model import ClockSubject, LimitKind

__all__ = [
    "COUNTED",
    "FLAGS",
    "AgeAtLeast",
    "AgeBelow",
    "AllOf",
    "AnyOf",
    "ClockPolicy",
    "Condition",
    "Flag",
    "Limit",
    "OfficeHours",
    "Otherwise",
    "Region",
    "Resolved",
    "Span",
    "Target",
    "Variant",
    "Version",
    "ages_named",
    "basis_label",
]

COUNTED = (LimitKind.WEEKDAYS, LimitKind.DAYS, LimitKind.WEEKS, LimitKind.MONTHS)
"""The kinds of limit that count an amount of days, weeks or months."""


@attrs.frozen
class OfficeHours:
    start: time
    end: time


@attrs.frozen(cache_hash=True)
class Limit:
    kind: LimitKind
    amount: int = 0
    office_hours: OfficeHours | None = None
    reason: Label | None = None  # why there is no limit, for kind "none"

    @property
    def label(self) -> Label | None:
        """The limit in words in each language; None for kind ``none``."""
        hours = self.office_hours
        return limit_label(
            self.kind, self.amount, None if hours is None else (hours.start, hours.end)
        )

    @property
    def text(self) -> str | None:
        """The limit in English words: the ``limit`` of the JSON contract."""
        found = self.label
        return None if found is None else found.en

    def due(self, local: datetime, calendar: Calendar, *, roll: bool) -> date | None:
        """Due date for a clock that started at *local* (a Europe/Helsinki datetime):
        counted from the start day; only a same-day limit with office hours reads the time
        of day. *roll* moves a due date on a day off to the next weekday."""
        kind = self.kind
        if kind is LimitKind.NONE:
            return None
        day = local.date()
        if kind is LimitKind.WEEKDAYS:
            # The n-th weekday is a weekday already: nothing to roll.
            return calendar.add_weekdays(day, self.amount)
        if kind is LimitKind.SAME_DAY:
            hours = self.office_hours
            if hours is not None:
                # Before office hours the clock counts from their start the same day; at or
                # after their end, or on a day off, from the next weekday's office hours.
                if calendar.is_weekday(day) and local.time() < hours.end:
                    return day
                return calendar.add_weekdays(day, 1)
            due = day
        elif kind is LimitKind.DAYS:
            due = calendar.add_days(day, self.amount)
        elif kind is LimitKind.WEEKS:
            due = calendar.add_days(day, 7 * self.amount)
        else:
            due = calendar.add_months(day, self.amount)
        return calendar.next_weekday(due) if roll else due


FLAGS = ("highest_care_allowance", "special_support_child")
"""The flags of a :class:`ClockSubject` a condition may name."""


@attrs.frozen
class Flag:
    name: str

    def holds(self, subject: ClockSubject, age: int | None) -> bool:
        if self.name == "highest_care_allowance":
            return subject.highest_care_allowance
        return subject.special_support_child


@attrs.frozen
class AgeBelow:
    years: int

    def holds(self, subject: ClockSubject, age: int | None) -> bool:
        return age is not None and age < self.years


@attrs.frozen
class AgeAtLeast:
    years: int

    def holds(self, subject: ClockSubject, age: int | None) -> bool:
        return age is not None and age >= self.years


@attrs.frozen
class AnyOf:
    conditions: tuple[Condition, ...]

    def holds(self, subject: ClockSubject, age: int | None) -> bool:
        return any(c.holds(subject, age) for c in self.conditions)


@attrs.frozen
class AllOf:
    conditions: tuple[Condition, ...]

    def holds(self, subject: ClockSubject, age: int | None) -> bool:
        return all(c.holds(subject, age) for c in self.conditions)


@attrs.frozen
class Otherwise:
    def holds(self, subject: ClockSubject, age: int | None) -> bool:
        return True


Condition = Flag | AgeBelow | AgeAtLeast | AnyOf | AllOf | Otherwise


def ages_named(condition: Condition) -> tuple[int, ...]:
    """Every age a variant's condition compares with (``age < n`` and ``age >= n`` both
    split at *n*)."""
    if isinstance(condition, AgeBelow | AgeAtLeast):
        return (condition.years,)
    if isinstance(condition, AnyOf | AllOf):
        return tuple(a for c in condition.conditions for a in ages_named(c))
    return ()


@attrs.frozen
class Variant:
    condition: Condition
    limit: Limit
    note: Label | None = None


def basis_label(version: Version, variant: Variant) -> Label:
    """The basis a clock under *variant* carries, in each language: the version's basis,
    the variant's note and a ``none`` limit's reason, joined with "; "."""
    parts = [p for p in (version.basis, variant.note, variant.limit.reason) if p]
    return Label(*("; ".join(p.get(lang) for p in parts) for lang in LANGUAGES))


Resolved = tuple[Condition, Limit, str | None, str]
"""A variant as judging reads it: its condition, limit, limit text and basis in English."""


def _resolve(version: Version) -> tuple[Resolved, ...]:
    # Texts are joined once at load, not on every assessment.
    return tuple(
        (v.condition, v.limit, v.limit.text, basis_label(version, v).en) for v in version.variants
    )


@attrs.frozen
class Span:
    """When a version is in force: inclusive local dates, None for an open end."""

    valid_from: date | None
    valid_until: date | None
    line: int | None

    def in_force(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    def sort_key(self) -> date:
        return self.valid_from or date.min

    def __str__(self) -> str:
        start = "the beginning" if self.valid_from is None else str(self.valid_from)
        end = "no end" if self.valid_until is None else str(self.valid_until)
        return f"{start} to {end}"


@attrs.frozen
class Version:
    span: Span
    basis: Label
    variants: tuple[Variant, ...]  # the last one always holds
    roll_to_weekday: bool
    # (condition, limit, limit text, basis) per variant, in order.
    resolved: tuple[Resolved, ...] = attrs.field(
        init=False, default=attrs.Factory(_resolve, takes_self=True), repr=False
    )

    def variant(self, subject: ClockSubject, age: int | None) -> Resolved:
        """The first variant that holds for the client (the limit, its text and basis).
        The last variant is "otherwise" (checked at load), so one always holds."""
        return next(chosen for chosen in self.resolved if chosen[0].holds(subject, age))


def _version_on(versions: Sequence[Version], day: date) -> Version | None:
    for version in versions:
        if version.span.in_force(day):
            return version
    return None


@attrs.frozen
class ClockPolicy:
    id: str
    starts_on: str
    stops_on: tuple[str, ...]
    versions: tuple[Version, ...]
    path: Path
    line: int | None
    declined_ends_clock: bool = False
    treatment: bool = False
    description: Label | None = None
    not_started: str = attrs.field(
        init=False,
        default=attrs.Factory(
            lambda self: message_text("basis_not_started", "en", event=self.starts_on),
            takes_self=True,
        ),
        repr=False,
    )  # the basis of its clock before the start event: made once, read on every contact

    def version_on(self, day: date) -> Version | None:
        return _version_on(self.versions, day)


@attrs.frozen
class Target:
    """A region's target for one statutory clock: versions like the clock's own."""

    clock: str
    versions: tuple[Version, ...]
    path: Path
    line: int | None

    def version_on(self, day: date) -> Version | None:
        return _version_on(self.versions, day)


@attrs.frozen
class Region:
    id: str
    name: str
    path: Path
    targets: Mapping[str, Target]
    language_rights: frozenset[str] = frozenset()
