"""The clock projection: each contact's judged clocks, kept in the ledger's store so that a
report reads one row per clock instead of reading every event and judging it again.

The projection is derived data and never the record: the events are. It is

- *keyed* by a fingerprint of everything a judgement depends on (the policy files and the
  selected region, the installed oneContact and holidays, the source of the judging code),
  so a ledger opened with other policies, or by another version, keeps a projection of its
  own and never reads one judged by other rules (:func:`fingerprint`);
- *caught up lazily*, by readers, never by writers (see :mod:`._catch_up`);
- judged *without a today*: a stored clock that is not stopped says ``open``, and the
  reader judges it on its own today (:func:`judged_of`).

A clock is stored only once it has started. Each row carries its contact's last event
instant, so a reader asking about a moment before that (a report of a past period) knows
that this contact's clocks must be judged again from its events up to that moment.

Its tables are made in :mod:`._schema`. Each statement here is written from the fields of
the row type it reads or writes (:class:`ClockRow`, :class:`StartedRow`, :class:`DueRow`,
:class:`Terms`), so the readers name columns, never positions.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from importlib.metadata import version
from typing import Any, NamedTuple

from .._version import __version__
from ..clocks import Calendar, Judged, Policies, day_from_ordinal, judging_code_digest, status_as_of
from ._history import SubjectRow
from ._schema import PROJECTION_FORMAT

__all__ = [
    "INSERT_ROW",
    "INSERT_TERMS",
    "SELECT_DUE",
    "SELECT_LATER",
    "SELECT_STARTED",
    "SELECT_TERMS",
    "ClockRow",
    "DueRow",
    "StartedRow",
    "Terms",
    "Writer",
    "fingerprint",
    "judged_of",
    "select_started",
    "terms_of",
    "units_of",
]


class ClockRow(NamedTuple):
    """One stored clock: a row of ``ledger_clock_rows``. Days are date ordinals."""

    projection_id: int
    contact_id: str
    clock_index: int
    terms_id: int
    start_us: int
    start_day: int
    stopped_us: int | None
    stop_day: int | None
    due_day: int | None
    status: str
    target_due_day: int | None
    assessed_us: int
    last_us: int
    withdrawn_us: int | None
    person: str | None


INSERT_ROW = (
    f"INSERT INTO ledger_clock_rows ({', '.join(ClockRow._fields)}) "  # noqa: S608 - fixed names
    f"VALUES ({', '.join('?' * len(ClockRow._fields))})"
)


class Terms(NamedTuple):
    """A clock's id, limit, legal basis and the target's basis: stored once per kind in
    ``ledger_clock_terms`` and named by a number in the rows."""

    clock_id: str
    limit_text: str | None
    basis: str
    target_basis: str | None


INSERT_TERMS = (
    "INSERT INTO ledger_clock_terms (projection_id, terms_id, "  # noqa: S608 - fixed names
    f"{', '.join(Terms._fields)}) VALUES (?, ?, {', '.join('?' * len(Terms._fields))})"
)
SELECT_TERMS = (
    f"SELECT terms_id, {', '.join(Terms._fields)} FROM ledger_clock_terms "  # noqa: S608 - fixed names
    "WHERE projection_id = ?"
)


class StartedRow(NamedTuple):
    """A projected clock that started in a period, with its contact's services and
    subjects (the client's and those of the persons its clocks follow)."""

    contact_id: str
    terms_id: int
    start_us: int
    start_day: int
    stopped_us: int | None
    stop_day: int | None
    due_day: int | None
    status: str
    target_due_day: int | None
    assessed_us: int
    last_us: int
    services: str
    age: int | None
    birth_date: str | None
    highest_care_allowance: int
    special_support_child: int
    clock_persons: str | None
    municipality: str | None
    """From ``ledger_contact_places`` (NULL without a place, or in a ledger not migrated)."""
    units: str | None

    def place(self) -> tuple[str | None, tuple[str, ...]]:
        """The contact's municipality and units (as :class:`StartedContact` takes them)."""
        return self.municipality, units_of(self.units)

    def subject(self) -> SubjectRow:
        """The contact's subject columns (what contacts alike in subjects share)."""
        return SubjectRow(
            0,
            "",
            self.age,
            self.birth_date,
            self.highest_care_allowance,
            self.special_support_child,
            self.clock_persons,
        )


_FROM_CONTACTS = frozenset(StartedRow._fields[11:-2])
_FROM_PLACES = frozenset(StartedRow._fields[-2:])


def _started_column(field: str, places: bool) -> str:
    if field in _FROM_PLACES:
        return f"p.{field}" if places else "NULL"
    return f"{'c' if field in _FROM_CONTACTS else 'r'}.{field}"


def select_started(places: bool) -> str:
    """The projected clocks that started in ``[?, ?)`` (rows of :class:`StartedRow`),
    grouped by contact, each with its contact's place; without *places* (a ledger not yet
    migrated, read where it is only read) the place columns are NULL."""
    joined = " LEFT JOIN ledger_contact_places p ON p.contact_id = r.contact_id" if places else ""
    return (
        "SELECT "  # noqa: S608 - fixed names
        + ", ".join(_started_column(f, places) for f in StartedRow._fields)
        + " FROM ledger_clock_rows r JOIN ledger_contacts c ON c.contact_id = r.contact_id"
        + joined
        + " WHERE r.projection_id = ? AND r.start_us >= ? AND r.start_us < ? "
        "ORDER BY r.contact_id, r.clock_index"
    )


@functools.lru_cache(maxsize=1024)
def units_of(stored: str | None) -> tuple[str, ...]:
    """The units of a :class:`StartedRow` as a tuple (stored separated by spaces; NULL
    without a place): one tuple for each text, as contacts routed alike share it."""
    return () if not stored else tuple(stored.split())


SELECT_STARTED = select_started(True)
"""The projected clocks that started in ``[?, ?)`` (rows of :class:`StartedRow`), grouped
by contact, with their contacts' places."""


class DueRow(NamedTuple):
    """A projected running clock: a candidate of the worklist."""

    contact_id: str
    terms_id: int
    start_us: int
    start_day: int
    stopped_us: int | None
    stop_day: int | None
    due_day: int | None
    status: str
    target_due_day: int | None
    person: str | None


SELECT_DUE = (
    f"SELECT {', '.join(DueRow._fields)} FROM ledger_clock_rows WHERE projection_id = ? "  # noqa: S608 - fixed names
    "AND status = 'open' AND due_day <= ? AND withdrawn_us IS NULL"
)
"""The projected running clocks of contacts that have not withdrawn, due on or before the
day ordinal ``?`` (rows of :class:`DueRow`): the worklist's candidates."""

SELECT_LATER = (
    "SELECT DISTINCT contact_id FROM ledger_clock_rows WHERE projection_id = ? AND last_us > ?"
)
"""The contacts with a stored clock and an event after the instant ``?``."""


def fingerprint(policies: Policies, calendar: Calendar) -> str | None:
    """What a projection judged with *policies* and *calendar* is keyed by; None when no
    projection can be kept: a host's own calendar (its closed days cannot be named by a
    digest) or policies not read from files."""
    if calendar is not Calendar.finnish() or not policies.digest:
        return None
    h = hashlib.sha256()
    for part in (f"format={PROJECTION_FORMAT}", policies.digest, __version__, version("holidays")):
        h.update(part.encode())
        h.update(b"\0")
    h.update(judging_code_digest().encode())
    return h.hexdigest()


def _ordinal(day: date | None) -> int | None:
    return None if day is None else day.toordinal()


class Writer:
    """Rows of judged clocks for one catch-up: the terms already stored for the
    fingerprint are named by their numbers, and new ones collected to be stored."""

    def __init__(self, projection_id: int, stored: Iterable[Sequence[Any]]) -> None:
        self.projection_id = projection_id
        self.ids: dict[Terms, int] = {terms: n for n, terms in terms_of(stored).items()}
        self.new_terms: list[tuple[Any, ...]] = []

    def _terms_id(self, j: Judged) -> int:
        terms = Terms(j.clock, j.limit, j.basis, j.target_basis)
        found = self.ids.get(terms)
        if found is None:
            found = self.ids[terms] = len(self.ids)
            self.new_terms.append((self.projection_id, found, *terms))
        return found

    def rows_of(
        self,
        contact_id: str,
        judged: Sequence[Judged],
        persons: Mapping[str, str],
        assessed_us: int,
        last_us: int,
        withdrawn_us: int | None,
    ) -> list[ClockRow]:
        """The rows of one contact's clocks (judged with no today); clocks not started are
        not stored. The index is the clock's place in the contact's clock list; *persons*
        names, by clock id, whose right each clock follows that is not the client's."""
        return [
            ClockRow(
                projection_id=self.projection_id,
                contact_id=contact_id,
                clock_index=index,
                terms_id=self._terms_id(j),
                start_us=j.start,
                start_day=j.start_day.toordinal(),
                stopped_us=j.stopped,
                stop_day=_ordinal(j.stop_day),
                due_day=_ordinal(j.due_date),
                status=j.status,
                target_due_day=_ordinal(j.target_due_date),
                assessed_us=assessed_us,
                last_us=last_us,
                withdrawn_us=withdrawn_us,
                person=persons.get(j.clock),
            )
            for index, j in enumerate(judged)
            if j.start is not None and j.start_day is not None
        ]


def terms_of(rows: Iterable[Sequence[Any]]) -> dict[int, Terms]:
    """Terms by their ids, from :data:`SELECT_TERMS` rows."""
    return {r[0]: Terms._make(r[1:]) for r in rows}


def judged_of(row: StartedRow | DueRow, terms: Mapping[int, Terms], today: date) -> Judged:
    """The clock of a projected row as :meth:`Policies.judge` judges it on *today*: a
    stored ``open`` clock (judged with no today) is ``breached`` once *today* is past its
    due date, the one part of a judgement that depends on the day it is made.
    *terms* maps terms ids to terms (:data:`SELECT_TERMS`)."""
    due = None if row.due_day is None else day_from_ordinal(row.due_day)
    status = status_as_of(row.status, due, today)
    found = terms[row.terms_id]
    return Judged(
        found.clock_id,
        row.start_us,
        day_from_ordinal(row.start_day),
        row.stopped_us,
        None if row.stop_day is None else day_from_ordinal(row.stop_day),
        due,
        found.limit_text,
        found.basis,
        status,
        None if row.target_due_day is None else day_from_ordinal(row.target_due_day),
        found.target_basis,
    )
