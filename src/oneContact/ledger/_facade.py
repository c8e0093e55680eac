"""The :class:`Ledger` facade: opening a ledger (:meth:`Ledger.open`), its connections
(one per thread), writing (through :mod:`._writing`) and reading: a contact's events and
clocks, the team's worklist (:meth:`Ledger.due`), the contacts for reports, and
:meth:`Ledger.report`, which hands the ledger to :func:`oneContact.report.build_report`
as its :class:`~oneContact.report.ReportSource`.

Nothing is derived at write time: a clock is recomputed from the stored events with
:meth:`Policies.judge` whenever it is asked for; the worklist and reports read the clock
projection (:mod:`._projection`), caught up first (:mod:`._catch_up`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import weakref
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from datetime import date, datetime
from operator import attrgetter
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, TypeVar

import attrs

from .._bundled import bundled_rules_directory
from ..clocks import Calendar, ClockSubject, Policies, from_micros, local_date
from ..errors import LedgerArgumentError, LedgerError, LedgerUnavailableError
from ..report import Report, StartedContact, build_report
from ._backends import dialect_for
from ._catch_up import Projector
from ._feedback import (
    FEEDBACK_EVENTS,
    answers_of_contact,
    overrides_of,
    prepare_feedback,
    store_feedback,
    suggestions_of_contact,
)
from ._history import (
    CONTACT_RECEIVED,
    StoredContact,
    events_of,
    histories,
    histories_of,
    open_contacts,
    seen_until,
    stored_contact,
)
from ._judging import Judging, on_worklist, worklist_order
from ._migrate import migrate, opened
from ._postgres import DEFAULT_POOL_SIZE
from ._projection import (
    SELECT_DUE,
    SELECT_LATER,
    SELECT_TERMS,
    DueRow,
    StartedRow,
    select_started,
    terms_of,
)
from ._projection import judged_of as projected
from ._store import Dialect, PooledDialect, Session, chunks, in_list
from ._values import ContactSummary, LedgerClock, LedgerContact, LedgerEvent, when
from ._writing import (
    check_id,
    check_time,
    contact_row,
    place_row,
    prepare,
    store_contact,
    store_events,
    suggestion_rows,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..assessment import Assessment
    from ..report.overrides import Overrides
    from ..ruleset import Catalogue
    from ..suggestions import Feedback, Suggestion

__all__ = ["MAX_WITHIN_WEEKDAYS", "Ledger"]

# PostgreSQL: a concurrent writer may insert the same event_id between our check and our
# insert; the unique index refuses the second, and the batch is simply run again.
_RETRIES = 5
_SUMMARY = "SELECT c.contact_id, c.received_us, c.ruleset_digest, c.urgency, c.services, "
_SELECT_SUMMARIES = (
    f"{_SUMMARY}p.municipality, p.units FROM ledger_contacts c LEFT JOIN "
    "ledger_contact_places p ON p.contact_id = c.contact_id WHERE c.contact_id IN"
)
# A ledger not yet migrated, read where it is only read: no places stored.
_SELECT_SUMMARIES_UNPLACED = f"{_SUMMARY}NULL, NULL FROM ledger_contacts c WHERE c.contact_id IN"
_CONTACT_ID = attrgetter("contact_id")
_Row = TypeVar("_Row")


class _Local(threading.local):
    session: Session | None = None


#: The most weekdays ahead :meth:`Ledger.due` looks: about ten months. The worklist looks
#: days ahead, and the working-day calendar ends with 2100.
MAX_WITHIN_WEEKDAYS = 200


class Ledger:
    """An append-only store of time-to-care events, and the clocks recomputed from it.

    Open it with :meth:`open`; share one instance between threads; close it when done (or
    use it as a context manager). Every refused call raises :class:`LedgerError` and
    changes nothing: :class:`LedgerArgumentError` for an argument it cannot use,
    :class:`LedgerUnavailableError` when the store cannot be used now (retry later),
    :class:`LedgerStoreError` for a damaged store or one of a newer schema.
    """

    def __init__(self, dialect: Dialect, policies: Policies, calendar: Calendar) -> None:
        """Use :meth:`open`."""
        self._dialect = dialect
        self._policies = policies
        self._calendar = calendar
        # The policies' events, and the professionals' feedback (which no clock reads).
        self._recordable = (frozenset(policies.events) | FEEDBACK_EVENTS) - {CONTACT_RECEIVED}
        self._judging = Judging(policies, calendar)
        self._local = _Local()
        # PostgreSQL: a bounded pool of this process; SQLite: a connection per thread.
        self._pool = dialect if isinstance(dialect, PooledDialect) else None
        self._lock = threading.Lock()
        self._sessions: weakref.WeakSet[Session] = weakref.WeakSet()
        self._closed = False
        # This ledger's clock projection (its key is None where every clock is judged
        # anew: a host's own calendar, policies not read from files).
        self._projector = Projector(dialect, policies, calendar, self._session)

    @property
    def _fingerprint(self) -> str | None:
        """The key of this ledger's clock projection, or None (for tests)."""
        return self._projector.fingerprint

    @classmethod
    def open(
        cls,
        url: str,
        *,
        policies: Policies | None = None,
        calendar: Calendar | None = None,
        busy_timeout: float = 30.0,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> Ledger:
        """Open the ledger at *url*; its schema must be this version's (see
        :meth:`migrate`), except that a new SQLite file gets it here.

        *url* is ``sqlite:///relative.db``, ``sqlite:////absolute.db`` (a new file is
        made readable by its owner only; ``sqlite:///ledger.db?mode=ro`` reads an
        existing one and never writes; a file this process cannot write is read the same
        way) or a libpq URL ``postgresql://user@host:5432/dbname`` (options such as
        ``?options=-csearch_path%3Dmyschema`` pass through: the ledger's tables are in
        the schema that search_path names). *policies* are the care-guarantee policies
        the clocks are recomputed with: give the engine's (``engine.ruleset.policies``);
        the default is the bundled ones. *busy_timeout* is how many seconds a caller
        waits for the store: an SQLite writer for another to finish, a PostgreSQL call for
        a free connection of the pool. *pool_size* (PostgreSQL; 2 to 1000, default 4) is
        how many connections this ledger holds at most in each process: threads beyond it
        wait for one. Opening runs no DDL: a PostgreSQL store without the ledger's tables,
        or any store of an older schema, is a :class:`LedgerStoreError` that says the
        command to run.
        """
        dialect = dialect_for(url, busy_timeout, pool_size)
        if policies is None:
            policies = Policies.from_directory(bundled_rules_directory() / "policies")
        ledger = cls(dialect, policies, calendar if calendar is not None else Calendar.finnish())
        try:
            session = ledger._direct()
            try:
                opened(session, dialect.name, dialect.describe(), _command_url(dialect))
            finally:
                if ledger._pool is not None:
                    session.close()
        except BaseException:
            ledger.close()
            raise
        return ledger

    @classmethod
    def migrate(cls, url: str, *, busy_timeout: float = 30.0) -> str:
        """Create the ledger's tables at *url*, or bring an older ledger to this
        version's schema (new columns, indexes and append-only triggers; the clock
        projection dropped when its format changed); return a one-line report of what
        was done. Idempotent: a ledger that lacks nothing is not touched. Run it once per
        upgrade, as a role that may create tables (on PostgreSQL, the tables' owner),
        before the service opens the ledger; the service's role then needs only SELECT
        and INSERT. ``onecontact ledger migrate URL`` runs it from a shell. A ledger of a
        newer schema version is a :class:`LedgerStoreError`.
        """
        dialect = dialect_for(url, busy_timeout, DEFAULT_POOL_SIZE)
        pool = dialect if isinstance(dialect, PooledDialect) else None
        session = dialect.connect() if pool is None else pool.direct()
        try:
            return migrate(session, dialect.name, dialect.describe())
        finally:
            session.close()
            if pool is not None:
                pool.close()

    # ------------------------------------------------------------ connections

    def _direct(self) -> Session:
        """A session for opening: PostgreSQL's on a connection of its own (a refused
        connection is reported at once, with the server's reason); SQLite's the
        thread's."""
        return self._session() if self._pool is None else self._pool.direct()

    def _session(self) -> Session:
        if self._closed:
            raise LedgerError("closed", "ledger", "this ledger is closed; open it again")
        if self._pool is not None:
            # Holds no connection: each call takes one from the pool while it runs.
            return self._pool.connect()
        session = self._local.session
        if session is not None and session.pid == os.getpid() and session.usable():
            return session
        # A session inherited through fork() belongs to the parent: leave it alone.
        session = self._dialect.connect()
        with self._lock:
            self._sessions.add(session)
        # Closed when the thread ends and its local goes away, or by close().
        weakref.finalize(session, _close_quietly, session.pid, session.closer())
        self._local.session = session
        return session

    def close(self) -> None:
        """Close every connection of this ledger. Further calls raise LedgerError."""
        self._closed = True
        with self._lock:
            sessions = list(self._sessions)
            self._sessions.clear()
        for session in sessions:
            if session.pid == os.getpid():
                # A connection that fails to close is gone anyway.
                with contextlib.suppress(Exception):
                    session.close()
        self._local.session = None
        if self._pool is not None:
            self._pool.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<Ledger {self._dialect.describe()}{state}>"

    @property
    def policies(self) -> Policies:
        """The policies the clocks are recomputed with."""
        return self._policies

    # ------------------------------------------------------------ writing

    def record_assessment(
        self, assessment: Assessment, *, subject: ClockSubject | None = None
    ) -> bool:
        """Store a contact: its ``contact_received`` event, the clocks its assessment
        started, the ruleset digest and the clock subject (age or birth date and the
        flags the policies read; by default the one the assessment carries). For each
        clock that follows another person's right (:attr:`Clock.person`), that person's
        subject from ``assessment.person_subjects`` is stored with it, so that the clock
        is judged with it whenever it starts. In the same transaction, the assessment's
        suggestions (:func:`~oneContact.suggestions.suggestions_of`: its urgency and
        routes, each with its id and rule ids), which :meth:`record_feedback` answers.

        Idempotent per contact: the same assessment again stores nothing and returns
        False (except the suggestions of a contact stored before the ledger kept them,
        added then); a different one for a stored contact id raises LedgerError. Returns
        True when the contact was stored.
        """
        contact_id, row = contact_row(assessment, subject, self._judging.shape)
        suggestions = suggestion_rows(assessment)
        place = place_row(assessment)
        session = self._session()
        for attempt in range(_RETRIES):
            try:
                return store_contact(session, contact_id, row, suggestions, place)
            except LedgerUnavailableError as error:
                # PostgreSQL: another process gave an old contact its suggestions after
                # we looked (the one write that can race); the retry finds them stored.
                if not self._dialect.unique_violation(error) or attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def record(self, contact_id: str, event: str, *, at: datetime, event_id: str) -> bool:
        """Record that *event* happened to the contact at *at*; return when it is durable.

        Idempotent on *event_id*: the same event again returns False and stores nothing;
        the same id with a different contact, event or instant raises LedgerError.
        """
        return self._write([LedgerEvent(contact_id, event, at, event_id)], batch=False) == 1

    def record_many(self, events: Iterable[LedgerEvent]) -> int:
        """Record *events* in one transaction: all of them, or (on LedgerError) none.

        The same rules as :meth:`record`, item by item; an event id that appears twice in
        the batch with the same content counts once. Returns how many were new.
        """
        return self._write(list(events), batch=True)

    def record_feedback(self, feedback: Feedback) -> bool:
        """Record a professional's answer to one suggestion: the event ``feedback.event``
        (``suggestion_accepted`` / ``suggestion_overridden``) on the suggestion's contact
        at ``feedback.at``, linked to the suggestion and its coded reason; return when it
        is durable.

        Idempotent on ``feedback.event_id`` as :meth:`record` is: the same feedback again
        returns False; the same id with another suggestion, outcome, instant or reason
        raises LedgerError (``event-id-conflict``). Refused, with nothing written: a
        suggestion id no recorded assessment made (``unknown-suggestion``), a reason not
        in :data:`~oneContact.suggestions.OVERRIDE_REASONS` (``unknown-override-reason``,
        with the nearest code), a reason on an acceptance, an instant before the contact
        was received. Counted by :meth:`overrides`.
        """
        return self._transact(prepare_feedback([feedback], batch=False), False, store_feedback) == 1

    def record_feedback_many(self, feedback: Iterable[Feedback]) -> int:
        """Record several answers (one CDS Hooks feedback request) in one transaction:
        all of them, or (on LedgerError, whose field names ``feedback[i]``) none. The same
        rules as :meth:`record_feedback`, item by item; returns how many were new."""
        return self._transact(prepare_feedback(list(feedback), batch=True), True, store_feedback)

    def _write(self, items: Sequence[object], *, batch: bool) -> int:
        return self._transact(prepare(items, self._recordable, batch=batch), batch, store_events)

    def _transact(self, rows: list[_Row], batch: bool, store: Callable[..., int]) -> int:
        """Run *store* (session, rows, batch=) in one write transaction; retried when
        another writer stored one of the same keys meanwhile (PostgreSQL)."""
        if not rows:
            return 0
        session = self._session()
        for attempt in range(_RETRIES):
            try:
                with session.write():
                    return store(session, rows, batch=batch)
            except LedgerUnavailableError as error:
                # Only PostgreSQL gets here: another transaction stored one of these ids
                # after we looked. Look again; the retry sees it and compares contents.
                if not self._dialect.unique_violation(error) or attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------ reading

    def events(self, contact_id: str) -> tuple[LedgerEvent, ...]:
        """Every event of the contact, ``contact_received`` first, in time order."""
        check_id(contact_id, "contact_id")
        return events_of(self._session(), contact_id)

    def contact_summaries(self, contact_ids: Iterable[str]) -> dict[str, ContactSummary]:
        """What the ledger keeps of each of *contact_ids* beside its events (urgency,
        services, units, municipality), by contact id; ids it does not hold are left out."""
        if isinstance(contact_ids, str):
            raise LedgerArgumentError(
                "bad-argument", "contact_ids", "must be a list of contact ids, not one id"
            )
        ids = sorted({check_id(c, "contact_ids") for c in contact_ids})
        session, found = self._session(), {}
        head = (
            _SELECT_SUMMARIES
            if session.has_table("ledger_contact_places")
            else _SELECT_SUMMARIES_UNPLACED
        )
        for chunk in chunks(ids):
            for cid, received, digest, urgency, services, municipality, units in session.query(
                in_list(head, len(chunk)), chunk
            ):
                found[str(cid)] = ContactSummary(
                    str(cid), from_micros(int(received)), str(urgency),
                    tuple(str(services).split()), tuple(str(units or "").split()),
                    None if municipality is None else str(municipality), str(digest),
                )  # fmt: skip
        return found

    def suggestions(self, contact_id: str) -> tuple[Suggestion, ...]:
        """What the contact's recorded assessment proposed (``ledger_suggestions``): its
        urgency first, then its routes by service id; empty when none is stored."""
        check_id(contact_id, "contact_id")
        return suggestions_of_contact(self._session(), contact_id)

    def answers(self, contact_id: str) -> dict[str, Feedback]:
        """The professionals' latest answer to each of the contact's suggestions that has
        one (accepted or overridden, with its time and coded reason), by suggestion id: the
        answer the overrides report counts. An answer to the whole assessment
        (:meth:`record` of a feedback event) names no suggestion and is not here."""
        check_id(contact_id, "contact_id")
        return answers_of_contact(self._session(), contact_id)

    def clocks(self, contact_id: str, *, now: datetime) -> tuple[LedgerClock, ...]:
        """The contact's clocks as of *now*, in the order its assessment gave them.

        Only events at or before *now* count, so a past *now* replays the worklist of
        that moment. Each clock follows the policy in force on its start day.
        """
        check_id(contact_id, "contact_id")
        now_us = check_time(now, "now")
        session = self._session()
        contact = stored_contact(session, contact_id)
        if contact is None:
            raise LedgerError(
                "unknown-contact",
                "contact_id",
                f"no contact {contact_id!r} in the ledger; record its assessment first "
                "with Ledger.record_assessment()",
            )
        if now_us < contact.received_us:
            raise LedgerError(
                "before-contact",
                "now",
                f"{now.isoformat()} is before contact {contact_id!r} was received "
                f"({when(contact.received_us)}); it had no clocks yet",
            )
        seen = seen_until(session, contact_id, contact.received_us, now_us)
        return self._judging.recompute(contact_id, contact, seen, local_date(now))

    def due(self, *, now: datetime, within_weekdays: int = 1) -> list[LedgerClock]:
        """The team's worklist: running clocks due within *within_weekdays* weekdays of
        *now*'s local day, or already past due, most urgent first.

        Past-due clocks come first, most days over first; then by due date. Clocks of a
        withdrawn contact and stopped clocks (met or late) are not listed. Read from the
        clock projection (caught up first) by an index on due date; the same list as
        judging every clock from the events, which a ledger without a projection does.
        """
        now_us = check_time(now, "now")
        if (
            not isinstance(within_weekdays, int)
            or isinstance(within_weekdays, bool)
            or not 0 <= within_weekdays <= MAX_WITHIN_WEEKDAYS
        ):
            raise LedgerArgumentError(
                "bad-argument",
                "within_weekdays",
                f"must be a whole number of weekdays from 0 to {MAX_WITHIN_WEEKDAYS}",
            )
        today = local_date(now)
        horizon = self._calendar.add_weekdays(today, within_weekdays)
        projection = self._projector.caught_up()
        if projection is not None:
            worklist = self._due_projected(projection, now_us, today, horizon)
        else:
            worklist = [
                clock
                for contact_id, contact, seen in open_contacts(self._session(), now_us)
                for clock in self._judging.recompute(
                    contact_id, contact, seen, today, running_only=True
                )
                if on_worklist(clock, horizon)
            ]
        worklist.sort(key=worklist_order)
        return worklist

    def _due_projected(
        self, projection: int, now_us: int, today: date, horizon: date
    ) -> list[LedgerClock]:
        """The worklist of :meth:`due`, unsorted, from the clock projection: the running
        clocks due by *horizon*, read by an index; a contact with events after *now_us* is
        judged again from its events up to then."""
        session = self._session()
        clock_of = self._policies.clock
        worklist: list[LedgerClock] = []
        with session.streams(
            (SELECT_TERMS, (projection,)),
            (SELECT_LATER, (projection, now_us)),
            (SELECT_DUE, (projection, horizon.toordinal())),
        ) as (terms_rows, later_rows, rows):
            terms = terms_of(terms_rows)
            later = {r[0] for r in later_rows}
            for row in map(DueRow._make, rows):
                if row.contact_id not in later:
                    found = clock_of(projected(row, terms, today), from_micros, person=row.person)
                    worklist.append(self._judging.counted(row.contact_id, found, today, None))
        for history in histories_of(session, sorted(later), now_us, None):
            judged, _ = self._judging.judged(
                history.contact, history.seen, today, running_only=True
            )
            persons = history.contact.persons
            for j in judged:
                clock = clock_of(j, from_micros, person=persons.get(j.clock))
                listed = self._judging.counted(history.contact_id, clock, today, None)
                if on_worklist(listed, horizon):
                    worklist.append(listed)
        return worklist

    def report(
        self,
        *,
        since: datetime,
        until: datetime,
        by: Sequence[str] = ("service", "age_group"),
        now: datetime | None = None,
        catalogue: Catalogue | None = None,
        overrides: bool = True,
        municipalities: Iterable[str] | None = None,
        names: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Report:
        """THL-style access measures of the clocks that started in ``[since, until)``,
        split by *by* (:data:`~oneContact.report.DIMENSIONS`); *municipalities* counts any
        other as ``other``, *names* (``{"unit": {id: name}, ...}``) names them (reports.md).

        Only events at or before *now* count; by default *now* is the end of the period
        (or the present, while the period runs). ``service`` is the assessment's first
        ``team_member`` route, by the kinds of *catalogue* (give the engine's,
        ``engine.ruleset.catalogue``; the default is the bundled one). One streaming read
        of the ledger. With *overrides* (the default), ``report.overrides`` holds the
        professionals' overrides of the contacts received in the period
        (:meth:`overrides`, one more read of the period's suggestions); False leaves it
        None. See :mod:`oneContact.report` and docs/reference/reports.md.
        """
        # Checked here too: an instant outside the supported years is refused before
        # anything is read (build_report checks only that each has a time zone).
        check_time(since, "since")
        check_time(until, "until")
        if now is not None:
            check_time(now, "now")
        report = build_report(self, since=since, until=until, by=by, now=now, catalogue=catalogue,
                              municipalities=municipalities, names=names)  # fmt: skip
        if not overrides:
            return report
        # The section of professionals' overrides: the contacts received in the period,
        # with the feedback recorded up to the report's moment.
        found = self.overrides(since=since, until=until, now=report.as_of)
        return attrs.evolve(report, overrides=found)

    def overrides(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        top: int = 10,
        now: datetime | None = None,
    ) -> Overrides:
        """How often professionals accepted or overrode the rules' suggestions: per rule,
        per urgency level and per kind, with the reasons, and the *top* contacts (0 to
        10000) where they most often disagreed. Counts the suggestions of the contacts
        received in ``[since, until)`` (every contact, where a bound is None) and the
        feedback recorded up to *now* (all of it, when None): each suggestion once, by its
        latest answer; an event that named no suggestion answers every suggestion of its
        contact. Contacts recorded before the ledger kept suggestions are counted apart
        (``without_suggestions``). See :mod:`oneContact.report.overrides` and
        docs/reference/reports.md."""
        return overrides_of(self._session(), since=since, until=until, now=now, top=top)

    def contacts(
        self, *, now: datetime, active_since: datetime | None = None
    ) -> Generator[LedgerContact, None, None]:
        """Every contact received by *now* that has clocks, each with its clocks as of
        *now*, in contact-id order.

        One streaming read (server-side cursors on PostgreSQL), never a query per
        contact, so a ledger of millions of events never sits in memory. Only events at
        or before *now* count, as in :meth:`clocks`. With *active_since*, a contact none
        of whose events (``contact_received`` included) is at or after it is skipped
        without recomputing its clocks: none of them can have started since. Close the
        iterator (or exhaust it) to end the read.
        """
        now_us = check_time(now, "now")
        since_us = None if active_since is None else check_time(active_since, "active_since")
        today = local_date(now)
        clock_of = self._policies.clock
        with contextlib.closing(histories(self._session(), now_us, since_us)) as found:
            for history in found:
                judged, _ = self._judging.judged(history.contact, history.seen, today)
                persons = history.contact.persons
                yield LedgerContact(
                    history.contact_id,
                    history.urgency,
                    history.services,
                    history.contact.subject,
                    tuple(clock_of(j, from_micros, person=persons.get(j.clock)) for j in judged),
                    history.contact.subjects or MappingProxyType({}),
                    history.contact.received_us,
                    history.seen,
                )

    def started_clocks(
        self, since: datetime, until: datetime, as_of: datetime
    ) -> Generator[StartedContact, None, None]:
        """What a report counts (the :class:`~oneContact.report.ReportSource` protocol):
        for each contact with a clock that started in ``[since, until)``, as of *as_of*,
        its route services, its clock subject, its first ``need_assessed`` (its receipt
        without one), those clocks as :meth:`Policies.judge` judges them on *as_of*'s
        local day, and the subjects of the clocks that follow another person than the
        client (by clock id; None when none does).

        Read from the clock projection, caught up first; a contact with events after
        *as_of* is judged again from its events up to *as_of*, and without a projection
        every contact is. Close the iterator (or exhaust it) to end the read.
        """
        since_us = check_time(since, "since")
        until_us = check_time(until, "until")
        now_us = check_time(as_of, "as_of")
        today = local_date(as_of)
        projection = self._projector.caught_up()
        session = self._session()
        places = session.has_table("ledger_contact_places")  # not in one not yet migrated
        if projection is None:
            with contextlib.closing(histories(session, now_us, since_us, places=places)) as found:
                yield from self._judging.started(found, since_us, until_us, today)
            return
        later: list[str] = []  # contacts with events after now
        shapes: dict[tuple[object, ...], StoredContact] = {}
        services: dict[str, tuple[str, ...]] = {}
        # One snapshot: a catch-up committing between two reads could add terms that
        # rows read later name.
        with session.streams(
            (SELECT_TERMS, (projection,)),
            (select_started(places), (projection, since_us, until_us)),
        ) as (terms_rows, rows):
            terms = terms_of(terms_rows)
            for contact_id, group in itertools.groupby(map(StartedRow._make, rows), _CONTACT_ID):
                clocks = list(group)
                head = clocks[0]
                if head.last_us > now_us:
                    later.append(contact_id)
                    continue
                key = head.subject()
                shape = shapes.get(key)
                if shape is None:
                    shape = shapes.setdefault(key, StoredContact.of(key))
                routes = services.get(head.services)
                if routes is None:
                    routes = services.setdefault(head.services, tuple(head.services.split()))
                yield StartedContact(
                    contact_id,
                    routes,
                    shape.subject,
                    head.assessed_us,
                    tuple([projected(row, terms, today) for row in clocks]),
                    shape.subjects,
                    *head.place(),
                )
        again = histories_of(session, later, now_us, since_us, places=places)
        yield from self._judging.started(again, since_us, until_us, today)


def _command_url(dialect: Dialect) -> str:
    """The ledger's URL as the command in a message may quote it (no password)."""
    if isinstance(dialect, PooledDialect):
        return dialect.command_url()
    return dialect.describe()


def _close_quietly(pid: int, close: Callable[[], None]) -> None:
    # Never close a connection inherited through fork(): closing it would end the
    # parent's PostgreSQL session too.
    if pid != os.getpid():
        return
    # A connection that fails to close at exit is gone anyway.
    with contextlib.suppress(Exception):
        close()
