"""The clock projection: each contact's judged clocks, kept in the ledger's store so that a
report reads one row per clock instead of reading every event and judging it again.

The projection is derived data and never the record: the events are. It is

- *keyed* by a fingerprint of everything a judgement depends on (the policy files and the
  selected region, the installed oneContact and holidays, the source of the judging code),
  so a ledger opened with other policies, or by another version, keeps a projection of its
  own and never reads one judged by other rules;
- *caught up lazily*, by readers, never by writers: recording stays one append, and a crash
  mid-write can leave nothing half-projected. A catch-up re-judges only the contacts that
  have events recorded since the last one (found by the events' ``seq``), in one write
  transaction, and moves the projection's ``through_seq`` with them;
- *built* whole (the first time, or when many contacts changed) from one snapshot read on
  a connection of its own, in batches of their own transactions, so that writers go on;
  ``through_seq`` is -1 meanwhile (readers judge from the events), and the build's lease
  (``caught_up_us``, renewed by each batch) lets a report take over a build whose process
  died;
- judged *without a today*: a stored clock that is not stopped says ``open``, and the
  reader decides ``breached`` from its due date and its own today, exactly as
  :meth:`Policies.judge` would (see :func:`judged_of`).

A clock is stored only once it has started. Each row carries its contact's last event
instant, so a reader asking about a moment before that (a report of a past period) knows
that this contact's clocks must be judged again from its events up to that moment.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from importlib.metadata import version
from typing import Any

from .clocks import Calendar, Judged, Policies, judging_code_digest

__all__ = [
    "DROP",
    "DROP_INDEXES",
    "FORMAT",
    "INDEXES",
    "INSERT_ROW",
    "INSERT_TERMS",
    "SELECT_DUE",
    "SELECT_LATER",
    "SELECT_STARTED",
    "SELECT_TERMS",
    "TABLES",
    "Terms",
    "Writer",
    "fingerprint",
    "judged_of",
    "terms_of",
]

FORMAT = 3
"""Bumped when the projection's tables change; kept in ``ledger_meta`` as
``projection_format`` and part of the fingerprint. A ledger of another format has its
projection dropped on opening (the next report builds it again). 3: each row says the
person whose right its clock follows, and is judged with that person's subject."""

TABLES = (
    # A projection is named in its rows by a small number, not by its 64-character
    # fingerprint (which in every row and index entry doubled the projection's size).
    """CREATE TABLE IF NOT EXISTS ledger_projections (
        projection_id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        through_seq BIGINT NOT NULL,
        caught_up_us BIGINT NOT NULL
    )""",
    # The texts a clock's terms give (its id, limit, legal basis, the target's basis):
    # a few hundred kinds, each stored once and named by a number in the rows.
    """CREATE TABLE IF NOT EXISTS ledger_clock_terms (
        projection_id INTEGER NOT NULL,
        terms_id INTEGER NOT NULL,
        clock_id TEXT NOT NULL,
        limit_text TEXT,
        basis TEXT NOT NULL,
        target_basis TEXT,
        PRIMARY KEY (projection_id, terms_id)
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_clock_rows (
        projection_id INTEGER NOT NULL,
        contact_id TEXT NOT NULL,
        clock_index INTEGER NOT NULL,
        terms_id INTEGER NOT NULL,
        start_us BIGINT NOT NULL,
        start_day INTEGER NOT NULL,
        stopped_us BIGINT,
        stop_day INTEGER,
        due_day INTEGER,
        status TEXT NOT NULL,
        target_due_day INTEGER,
        assessed_us BIGINT NOT NULL,
        last_us BIGINT NOT NULL,
        withdrawn_us BIGINT,
        person TEXT,
        PRIMARY KEY (projection_id, contact_id, clock_index)
    )""",
)

INDEXES = (
    # The worklist: running clocks by due date; and the contacts with events after a
    # moment (judged again from their events when that moment is asked about).
    "CREATE INDEX IF NOT EXISTS ledger_clock_rows_due "
    "ON ledger_clock_rows (projection_id, status, due_day)",
    "CREATE INDEX IF NOT EXISTS ledger_clock_rows_last "
    "ON ledger_clock_rows (projection_id, last_us)",
)
"""Made with the tables; dropped while a whole projection is built and made again after
it (one sort, instead of a B-tree insert per row in random order)."""

DROP_INDEXES = (
    "DROP INDEX IF EXISTS ledger_clock_rows_due",
    "DROP INDEX IF EXISTS ledger_clock_rows_last",
)

DROP = tuple(
    f"DROP TABLE IF EXISTS {table}"
    for table in ("ledger_clock_rows", "ledger_clock_terms", "ledger_projections")
)
"""What a ledger whose projection has another :data:`FORMAT` drops on opening."""

INSERT_ROW = (
    "INSERT INTO ledger_clock_rows (projection_id, contact_id, clock_index, terms_id, start_us, "
    "start_day, stopped_us, stop_day, due_day, status, target_due_day, assessed_us, last_us, "
    "withdrawn_us, person) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_TERMS = (
    "INSERT INTO ledger_clock_terms (projection_id, terms_id, clock_id, limit_text, basis, "
    "target_basis) VALUES (?, ?, ?, ?, ?, ?)"
)
SELECT_TERMS = (
    "SELECT terms_id, clock_id, limit_text, basis, target_basis FROM ledger_clock_terms "
    "WHERE projection_id = ?"
)

SELECT_STARTED = (
    "SELECT r.contact_id, r.terms_id, r.start_us, r.start_day, r.stopped_us, r.stop_day, "
    "r.due_day, r.status, r.target_due_day, r.assessed_us, r.last_us, c.services, c.age, "
    "c.birth_date, c.highest_care_allowance, c.special_support_child, c.clock_persons "
    "FROM ledger_clock_rows r JOIN ledger_contacts c ON c.contact_id = r.contact_id "
    "WHERE r.projection_id = ? AND r.start_us >= ? AND r.start_us < ? "
    "ORDER BY r.contact_id, r.clock_index"
)
"""The projected clocks that started in ``[?, ?)``, with their contacts' services and
subjects (the client's and the persons' its clocks follow), grouped by contact."""

SELECT_DUE = (
    "SELECT contact_id, terms_id, start_us, start_day, stopped_us, stop_day, due_day, "
    "status, target_due_day, person FROM ledger_clock_rows WHERE projection_id = ? "
    "AND status = 'open' "
    "AND due_day <= ? AND withdrawn_us IS NULL"
)
"""The projected running clocks of contacts that have not withdrawn, due on or before the
day ordinal ``?``: the worklist's candidates."""

SELECT_LATER = (
    "SELECT DISTINCT contact_id FROM ledger_clock_rows WHERE projection_id = ? AND last_us > ?"
)
"""The contacts with a stored clock and an event after the instant ``?``."""

Terms = tuple[str, str | None, str, str | None]
"""A clock's id, limit, legal basis and the target's basis."""


@functools.cache
def _code_digest() -> str:
    # The source of the judging code itself: a changed rule of judgement (a fix in
    # the clocks package, a new calendar rule) makes a new projection even without a new
    # version.
    return judging_code_digest()


def fingerprint(policies: Policies, calendar: Calendar) -> str | None:
    """What a projection judged with *policies* and *calendar* is keyed by; None when no
    projection can be kept: a host's own calendar (its closed days cannot be named by a
    digest) or policies not read from files."""
    if calendar is not Calendar.finnish() or not policies.digest:
        return None
    from . import __version__  # noqa: PLC0415 - the package imports this module's users

    h = hashlib.sha256()
    for part in (f"format={FORMAT}", policies.digest, __version__, version("holidays")):
        h.update(part.encode())
        h.update(b"\0")
    h.update(_code_digest().encode())
    return h.hexdigest()


def _ordinal(day: date | None) -> int | None:
    return None if day is None else day.toordinal()


class Writer:
    """Rows of judged clocks for one catch-up: the terms already stored for the
    fingerprint are named by their numbers, and new ones collected to be stored."""

    def __init__(self, projection_id: int, stored: Sequence[Sequence[Any]]) -> None:
        self.projection_id = projection_id
        self.ids: dict[Terms, int] = {terms: n for n, terms in terms_of(stored).items()}
        self.new_terms: list[tuple[Any, ...]] = []

    def _terms_id(self, j: Judged) -> int:
        terms = (j.clock, j.limit, j.basis, j.target_basis)
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
    ) -> list[tuple[Any, ...]]:
        """The rows of one contact's clocks (judged with no today); clocks not started are
        not stored. The index is the clock's place in the contact's clock list; *persons*
        names, by clock id, whose right each clock follows that is not the client's."""
        return [
            (
                self.projection_id,
                contact_id,
                index,
                self._terms_id(j),
                j.start,
                _ordinal(j.start_day),
                j.stopped,
                _ordinal(j.stop_day),
                _ordinal(j.due_date),
                j.status,
                _ordinal(j.target_due_date),
                assessed_us,
                last_us,
                withdrawn_us,
                persons.get(j.clock),
            )
            for index, j in enumerate(judged)
            if j.start is not None
        ]


@functools.lru_cache(maxsize=65_536)
def _day(ordinal: int) -> date:
    return date.fromordinal(ordinal)


def terms_of(rows: Iterable[Sequence[Any]]) -> dict[int, Terms]:
    """Terms by their ids, from :data:`SELECT_TERMS` rows."""
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def judged_of(row: Sequence[Any], terms: Mapping[int, Terms], today: date) -> Judged:
    """The clock of a :data:`SELECT_STARTED` row as :meth:`Policies.judge` judges it on
    *today*: a stored ``open`` clock is ``breached`` once *today* is past its due date.
    *terms* maps terms ids to terms (:data:`SELECT_TERMS`)."""
    _, terms_id, start, start_day, stopped, stop_day, due_day, status, target = row[:9]
    due = None if due_day is None else _day(due_day)
    if status == "open" and due is not None and today > due:
        status = "breached"
    clock, limit, basis, target_basis = terms[terms_id]
    return Judged(
        clock,
        start,
        _day(start_day),
        stopped,
        None if stop_day is None else _day(stop_day),
        due,
        limit,
        basis,
        status,
        None if target is None else _day(target),
        target_basis,
    )
