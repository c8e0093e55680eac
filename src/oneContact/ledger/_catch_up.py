"""Keeping the clock projection (:mod:`._projection`) up to date: caught up lazily, by
readers (reports and the worklist), never by writers, so recording stays one append and a
crash mid-write can leave nothing half-projected.

- A *catch-up* re-judges only the contacts that have events recorded since the last one
  (found by the events' ``seq``), in one write transaction, and moves the projection's
  ``through_seq`` with them.
- A *build* (the first time, or when many contacts changed) judges every contact from one
  snapshot read on a connection of its own, written in batches of their own transactions
  so that writers go on; ``through_seq`` is -1 meanwhile (readers judge from the events),
  and the build's lease (``caught_up_us``, renewed by each batch) lets a report take over
  a build whose process died.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime

from ..clocks import Calendar, Policies, micros
from ..errors import LedgerError
from ._history import (
    SELECT_EVENTS_THROUGH,
    WITHDRAWN,
    History,
    assessed_us,
    merged,
    select_all_contacts,
    select_events_through,
    select_some_contacts,
)
from ._projection import INSERT_ROW, INSERT_TERMS, SELECT_TERMS, ClockRow, Writer, fingerprint
from ._schema import DROP_PROJECTION_INDEXES, PROJECTION_INDEXES
from ._store import SELECT_MAX_SEQ, Dialect, Session, chunks, in_list

__all__ = ["BUILD_BATCH", "REPROJECT_ALL_ABOVE", "Projector"]

BUILDING = -1
"""The ``through_seq`` of a projection being built."""
BUILD_LEASE_US = 5 * 60 * 1_000_000
"""A build not heard from (no batch written) for this long has stopped: the next report
takes it over."""
BUILD_BATCH = 20_000
"""Rows per transaction of a build."""
REPROJECT_ALL_ABOVE = 20_000
"""Past this many changed contacts a catch-up judges the whole store in one ordered read
instead of looking each changed contact up."""
PROJECTION_KEPT_US = 7 * 24 * 3600 * 1_000_000
"""A projection not caught up for this long (its policies or version no longer in use)
is dropped when another is built."""

_SELECT_THROUGH = (
    "SELECT projection_id, through_seq, caught_up_us FROM ledger_projections WHERE fingerprint = ?"
)
_SELECT_CHANGED = "SELECT DISTINCT contact_id FROM ledger_events WHERE seq > ? AND seq <= ?"


class Projector:
    """The clock projection of one ledger: its key (None where reports must judge every
    clock from the events) and how to bring it up to date."""

    def __init__(
        self,
        dialect: Dialect,
        policies: Policies,
        calendar: Calendar,
        session: Callable[[], Session],
    ) -> None:
        self._dialect = dialect
        self._policies = policies
        self._calendar = calendar
        self._session = session
        self.fingerprint = fingerprint(policies, calendar)

    def caught_up(self) -> int | None:
        """The id of this ledger's clock projection, brought up to every event committed
        so far; None where reports must judge every clock from the events (a host's own
        calendar, a store this process cannot write, or a projection another process is
        building right now)."""
        fingerprint = self.fingerprint
        if fingerprint is None:
            return None
        session = self._session()
        found = session.query(_SELECT_THROUGH, (fingerprint,))
        if found and found[0][1] >= session.query(SELECT_MAX_SEQ)[0][0]:
            return int(found[0][0])  # nothing recorded since the last catch-up
        try:
            build: tuple[int, int, int] | None = None
            with session.catch_up() as high:
                found = session.query(_SELECT_THROUGH, (fingerprint,))
                now_us = micros(datetime.now(UTC))
                if not found:
                    self._drop_unused(session, now_us)
                    (projection,) = session.query(
                        "SELECT COALESCE(MAX(projection_id), 0) + 1 FROM ledger_projections"
                    )[0]
                    session.execute(
                        "INSERT INTO ledger_projections (projection_id, fingerprint, "
                        "through_seq, caught_up_us) VALUES (?, ?, ?, ?)",
                        (projection, fingerprint, BUILDING, now_us),
                    )
                    build = (int(projection), high, now_us)
                else:
                    projection, through, heard_us = found[0]
                    if through == BUILDING:
                        if heard_us > now_us - BUILD_LEASE_US:
                            return None  # being built: judge from the events meanwhile
                        # The build stopped (its process died): take it over.
                        build = (int(projection), high, now_us)
                    elif through < high:
                        changed = [r[0] for r in session.query(_SELECT_CHANGED, (through, high))]
                        if len(changed) > REPROJECT_ALL_ABOVE:
                            build = (int(projection), high, now_us)
                        else:
                            for chunk in chunks(sorted(changed)):
                                self._project(session, projection, high, chunk)
                            through = high
                    session.execute(
                        "UPDATE ledger_projections SET through_seq = ?, caught_up_us = ? "
                        "WHERE projection_id = ?",
                        (BUILDING if build else through, now_us, projection),
                    )
            if build is not None:
                return self._build(*build)
        except LedgerError as error:
            if self._dialect.cannot_write(error):
                return None
            raise
        return int(projection)

    def _judged_rows(
        self, writer: Writer, histories: Iterable[History]
    ) -> Iterator[list[ClockRow]]:
        """Each contact's projection rows: its clocks judged with no today."""
        judge = self._policies.judge
        calendar = self._calendar
        rows_of = writer.rows_of
        for contact_id, _, _, contact, seen, _ in histories:
            judged = judge(
                contact.clock_ids, subject=contact.subject, happened=seen, today=None,
                calendar=calendar, subjects=contact.subjects,
            )  # fmt: skip
            withdrawn = seen.get(WITHDRAWN)
            yield rows_of(
                contact_id,
                judged,
                contact.persons,
                assessed_us(contact, seen),
                max(t[-1] for t in seen.values()),
                withdrawn[0] if withdrawn else None,
            )

    def _project(self, session: Session, projection: int, high: int, chunk: Sequence[str]) -> None:
        """Judge again the contacts of *chunk* from their events up to seq *high* and
        store their started clocks (in the catch-up's transaction)."""
        session.execute(
            in_list(
                "DELETE FROM ledger_clock_rows WHERE projection_id = ? AND contact_id IN",
                len(chunk),
            ),
            (projection, *chunk),
        )
        writer = Writer(projection, session.query(SELECT_TERMS, (projection,)))
        rows: list[ClockRow] = []
        with session.cursors(
            (select_some_contacts(len(chunk)), tuple(chunk)),
            (select_events_through(len(chunk)), (high, *chunk)),
        ) as (contacts, event_rows):
            for contact_rows in self._judged_rows(writer, merged(contacts, event_rows, None, None)):
                rows += contact_rows
        if rows:
            session.executemany(INSERT_ROW, rows)
        if writer.new_terms:
            session.executemany(INSERT_TERMS, writer.new_terms)

    def _build(self, projection: int, high: int, lease_us: int) -> int | None:
        """Build projection *projection* anew, from every event up to seq *high*: read in
        one snapshot on a connection of its own, written in batches of their own short
        transactions, so that writers go on meanwhile (on SQLite they would otherwise
        wait for the whole build). Marked as being built until the last batch; each batch
        renews the build's lease. None when another process took the build over."""
        session = self._session()
        lease = [lease_us]

        def renewed() -> bool:
            # In a write transaction: is the build still ours? Then renew the lease.
            now_us = max(micros(datetime.now(UTC)), lease[0] + 1)
            taken = session.execute(
                "UPDATE ledger_projections SET caught_up_us = ? WHERE projection_id = ? "
                "AND caught_up_us = ? AND through_seq = ?",
                (now_us, projection, lease[0], BUILDING),
            )
            lease[0] = now_us
            return taken == 1

        with session.write():
            if not renewed():
                return None  # pragma: no cover - taken over between two transactions
            reindex = self._may_reindex(session)
            if reindex:
                for statement in DROP_PROJECTION_INDEXES:
                    session.execute(statement)
            for table in ("ledger_clock_rows", "ledger_clock_terms"):
                session.execute(f"DELETE FROM {table} WHERE projection_id = ?", (projection,))  # noqa: S608 - fixed names
        writer = Writer(projection, ())
        reader = self._dialect.connect()
        try:
            batch: list[ClockRow] = []
            with reader.streams((select_all_contacts(), ()), (SELECT_EVENTS_THROUGH, (high,))) as (
                contacts,
                event_rows,
            ):
                histories = merged(contacts, event_rows, None, None)
                for contact_rows in self._judged_rows(writer, histories):
                    batch += contact_rows
                    if len(batch) >= BUILD_BATCH:
                        with session.write():
                            if not renewed():
                                return None
                            session.executemany(INSERT_ROW, batch)
                        batch.clear()
        finally:
            reader.close()
        with session.write():
            if not renewed():
                return None
            if batch:
                session.executemany(INSERT_ROW, batch)
            if writer.new_terms:
                session.executemany(INSERT_TERMS, writer.new_terms)
            if reindex:
                for statement in PROJECTION_INDEXES:
                    session.execute(statement)
            session.execute(
                "UPDATE ledger_projections SET through_seq = ? WHERE projection_id = ?",
                (high, projection),
            )
        return projection

    def _may_reindex(self, session: Session) -> bool:
        """Whether a build may drop the projection's indexes and make them again after
        (faster than updating them row by row): only the tables' owner may, so on
        PostgreSQL a service role that does not own them builds with the indexes in
        place."""
        if self._dialect.name != "postgresql":
            return True
        found = session.query(
            "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class "
            "WHERE oid = to_regclass('ledger_clock_rows')"
        )
        return bool(found and found[0][0])

    def _drop_unused(self, session: Session, now_us: int) -> None:
        """Drop the projections (of other policies or versions) not caught up lately."""
        for (old,) in session.query(
            "SELECT projection_id FROM ledger_projections WHERE caught_up_us < ?",
            (now_us - PROJECTION_KEPT_US,),
        ):
            for table in ("ledger_clock_rows", "ledger_clock_terms", "ledger_projections"):
                session.execute(f"DELETE FROM {table} WHERE projection_id = ?", (old,))  # noqa: S608 - fixed names
