"""The time-to-care ledger: an append-only store of what happened to each contact, and the
care-guarantee clocks recomputed from it.

::

    ledger = Ledger.open("sqlite:///ledger.db", policies=engine.ruleset.policies)
    ledger.record_assessment(assessment)  # the assessment carries its clock subject
    ledger.record("c-1", "need_assessed", at=ts, event_id="c-1.na")
    ledger.clocks("c-1", now=ts)          # each clock with days used / allowed
    ledger.due(now=ts, within_weekdays=1)  # the team's worklist, most urgent first

Nothing is derived at write time: a clock is recomputed from the stored events with
:meth:`Policies.compute` whenever it is asked for, so the policy in force on each clock's
start day applies and a corrected policy file corrects every past clock with it (reports
keep judged clocks in a projection keyed by the policies' digest, so a corrected file
makes a new one).

Backend choice
--------------
psycopg 3 for PostgreSQL and the standard library's ``sqlite3`` for SQLite, behind a
private dialect layer of about 150 lines per backend (:mod:`._sqlite`, :mod:`._postgres`,
behind the protocols of :mod:`._store`), rather than SQLAlchemy Core 2.x:

- The SQL here is a handful of fixed statements; what differs between the backends is
  exactly what SQLAlchemy does *not* hide: SQLite's durability PRAGMAs and ``BEGIN
  IMMEDIATE``, PostgreSQL's advisory lock around schema creation, its identity column,
  trigger syntax and server-side cursors. A dialect layer would have to reach past
  SQLAlchemy for each of them anyway.
- The embedded default needs nothing beyond the standard library, and psycopg is imported
  only when a ``postgresql://`` ledger is opened. One dependency (psycopg, with its binary
  build) instead of SQLAlchemy plus a driver.
- Speed: no statement compilation or result-proxy layer on the hot paths (``clocks()`` is
  two indexed queries; ``record_many`` is one ``executemany``).

Schema: ``ledger_meta``, ``ledger_contacts`` (one row per contact, written once by
:meth:`Ledger.record_assessment`: the clock subject needed to recompute, no free text, no
identity code), ``ledger_events`` (append-only; ``event_id`` is the idempotency key) and
the clock projection's tables; all of them are in :mod:`._schema`, made and brought up to
date by :meth:`Ledger.migrate` (:mod:`._migrate`), a step of its own: opening a ledger
changes no schema, except that a new SQLite file gets its tables on first open.

Instants are stored as whole microseconds since 1970-01-01 UTC in a 64-bit integer: exact,
identical on both backends, and cheap to index; they are read back as Europe/Helsinki
datetimes, and only in the years :func:`~oneContact.errors.require_supported_time` allows.
Triggers refuse UPDATE and DELETE on both data tables and on ``ledger_meta``, and on
SQLite also a REPLACE of a stored row. A new SQLite file is made readable by its owner
only; a store this process cannot write is opened read-only (or ask with ``?mode=ro``)
and still gives clocks, the worklist and reports. See docs/reference/ledger-store.md.

Durability and concurrency
--------------------------
SQLite: WAL journal, ``synchronous=FULL`` (the WAL is fsynced at every commit, so an
acknowledged event survives a process kill and a power cut), ``busy_timeout``, foreign
keys on, every write in ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two
writers never deadlock upgrading a read lock). PostgreSQL: each write is one transaction;
``synchronous_commit`` is raised to ``on`` for the session if the server has it off.
SQLite: each thread gets its own connection (made on first use, closed with the ledger or
when the thread ends). PostgreSQL: a bounded pool per ledger and process (``pool_size``
of :meth:`Ledger.open`, default 4; ``psycopg_pool``), a connection taken per call, so a
multi-worker service never runs the server out of connections (docs/reference/
ledger-postgresql.md). One :class:`Ledger` can be shared by threads; a process forked
after opening it makes connections of its own.

The clock subject (age or birth date, and the flags) comes with the assessment
(``Assessment.subject``, never in its JSON or repr); the policies are given once, to
:meth:`Ledger.open`, so that every clock of a ledger is recomputed with the same law.

Reports (:meth:`Ledger.report`, computed in :mod:`oneContact.report` from the ledger as
its ``ReportSource``) read the clock projection (:mod:`._projection`, kept up to date by
:mod:`._catch_up`): each contact's clocks as
:meth:`Policies.judge` judged them, stored in ``ledger_clock_rows`` and caught up by the
report itself before it reads, for the contacts with events recorded since the last
catch-up. Writers never touch it. Without one (a host's own calendar, a store this
process cannot write) a report reads the whole ledger in one streaming pass and judges
each contact's clocks exactly as :meth:`Ledger.clocks` does; both paths call
:meth:`Policies.judge` on the stored integer instants, the one place a clock is judged.

Regional targets come with the policies the ledger is opened with (a region selected in
:meth:`Policies.from_directory`).

Errors: every refusal is a :class:`LedgerError`; a driver's error never crosses this API
(the backends map it to ``LedgerUnavailableError`` or ``LedgerStoreError``, the driver's
error chained as ``__cause__``).

Where things are: :mod:`._facade` (the :class:`Ledger`), :mod:`._values` (the values it
hands out), :mod:`._writing` (checks and appends), :mod:`._history` (history reads),
:mod:`._projection` and :mod:`._catch_up` (the clock projection), :mod:`._schema` (tables
and migrations), :mod:`._backends` (which backend a URL names), :mod:`._sqlite` and
:mod:`._postgres` (where the ledger talks to each database), :mod:`._store` (what a
backend provides).
"""

from ..errors import LedgerError
from ._backends import MAX_POOL_SIZE
from ._facade import MAX_WITHIN_WEEKDAYS, Ledger
from ._values import ContactSummary, LedgerClock, LedgerContact, LedgerEvent

__all__ = [
    "MAX_POOL_SIZE",
    "MAX_WITHIN_WEEKDAYS",
    "ContactSummary",
    "Ledger",
    "LedgerClock",
    "LedgerContact",
    "LedgerError",
    "LedgerEvent",
]
