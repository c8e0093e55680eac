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
private dialect layer of about 150 lines in this module (``_SQLiteSession`` and
``_PgSession``), rather than SQLAlchemy Core 2.x:

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

Schema (the same tables, columns and constraints on both backends; only the spelling of
the autoincrement column and of the append-only triggers differs):

- ``ledger_meta(key, value)``: ``schema_version`` = 1. A ledger written by a newer version
  is refused rather than misread.
- ``ledger_contacts``: one row per contact, written once by :meth:`Ledger.record_assessment`:
  ``contact_id`` (primary key), ``received_us``, ``ruleset_digest``, ``clock_ids``,
  ``urgency``, ``services`` (route service ids, for reports), and the clock subject needed
  to recompute: ``age``, ``birth_date``, ``highest_care_allowance``,
  ``special_support_child``; ``clock_persons`` (nullable, added on opening to ledgers made
  before it) gives the person and subject of each clock that follows another person's
  right than the client's (see :func:`_encode_clock_persons`). No free text, no identity
  code.
- ``ledger_events``: ``seq`` (autoincrement: the order of recording), ``event_id``
  (UNIQUE: the idempotency key), ``contact_id`` (foreign key), ``event``, ``at_us``.
  Indexed on ``(contact_id, at_us)``.

Instants are stored as whole microseconds since 1970-01-01 UTC in a 64-bit integer: exact,
identical on both backends, and cheap to index; they are read back as Europe/Helsinki
datetimes. Triggers refuse UPDATE and DELETE on both data tables.

Durability and concurrency
--------------------------
SQLite: WAL journal, ``synchronous=FULL`` (the WAL is fsynced at every commit, so an
acknowledged event survives a process kill and a power cut), ``busy_timeout``, foreign
keys on, every write in ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two
writers never deadlock upgrading a read lock). PostgreSQL: each write is one transaction;
``synchronous_commit`` is raised to ``on`` for the session if the server has it off. Each
thread gets its own connection (made on first use, closed with the ledger or when the
thread ends), so one :class:`Ledger` can be shared by threads; each process opens its own.

The clock subject (age or birth date, and the flags) comes with the assessment
(``Assessment.subject``, never in its JSON or repr); the policies are given once, to
:meth:`Ledger.open`, so that every clock of a ledger is recomputed with the same law.

Reports (:meth:`Ledger.report`, computed in :mod:`oneContact.report`) read the clock
projection (:mod:`oneContact._projection`): each contact's clocks as
:meth:`Policies.judge` judged them, stored in ``ledger_clock_rows`` and caught up by the
report itself before it reads, for the contacts with events recorded since the last
catch-up. Writers never touch it. Without one (a host's own calendar, a store this
process cannot write) a report reads the whole ledger in one streaming pass and judges
each contact's clocks exactly as :meth:`Ledger.clocks` does; both paths call
:meth:`Policies.judge` on the stored integer instants, the one place a clock is judged.

Regional targets come with the policies the ledger is opened with (a region selected in
:meth:`Policies.from_directory`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import sqlite3
import threading
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import urlsplit, urlunsplit

import attrs

from . import _projection
from ._bundled import bundled_rules_directory
from .clocks import HELSINKI, Calendar, Clock, ClockSubject, Judged, Policies, local_date, micros
from .engine import Assessment
from .errors import LedgerError, did_you_mean
from .intake import looks_like_identity_code

if TYPE_CHECKING:  # pragma: no cover - psycopg is imported only for postgresql:// ledgers
    import psycopg

    from .report import Report
    from .ruleset import Catalogue

__all__ = ["Ledger", "LedgerClock", "LedgerContact", "LedgerError", "LedgerEvent"]

SCHEMA_VERSION = 1
_CONTACT_RECEIVED = "contact_received"
_WITHDRAWN = "withdrawn"
_NEED_ASSESSED = "need_assessed"
_FIRST = itemgetter(0)
_RUNNING = ("open", "breached")  # the statuses of a started, unstopped clock
# The contact_received event of a contact gets this id. '/' is not allowed in the ids a
# host passes, so it can never collide with one of theirs.
_RECEIVED_ID_PREFIX = "contact_received/"
# The ids a host passes are pseudonymous keys, never text: the same alphabet as
# FirstContact.contact_id, so nothing written in words can be stored through them.
_ID = re.compile(r"[A-Za-z0-9._:-]+\Z")
_CONTACT_ID_MAX = 64
_EVENT_ID_MAX = 128
_EVENT_NAME = re.compile(r"[a-z0-9_]{1,64}\Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Bound parameters per IN (...) list: far below SQLite's and PostgreSQL's limits.
_CHUNK = 500
# PostgreSQL: a concurrent writer may insert the same event_id between our check and our
# insert; the unique index refuses the second, and the batch is simply run again.
_RETRIES = 5
_SQLITE_CANNOT_WRITE = frozenset(
    {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_READONLY}
)


@attrs.frozen
class LedgerEvent:
    """One thing that happened to a contact: what :meth:`Ledger.record_many` takes and
    :meth:`Ledger.events` gives back."""

    contact_id: str
    event: str
    at: datetime
    event_id: str


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
        return _instant(self._received_us)

    def first(self, event: str) -> datetime | None:
        """When *event* first happened to the contact (up to the moment read), or None."""
        times = self._seen.get(event)
        return None if not times else _instant(times[0])

    def __repr__(self) -> str:
        return f"<LedgerContact {self.contact_id!r} {len(self.clocks)} clocks>"


# --------------------------------------------------------------------------- dialects


class _Session(Protocol):
    """One connection, used by one thread of one process."""

    pid: int

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def stream(
        self, sql: str, params: Sequence[Any] = ()
    ) -> Generator[tuple[Any, ...], None, None]: ...

    def write(self) -> AbstractContextManager[None]: ...

    def streams(
        self, *statements: tuple[str, Sequence[Any]]
    ) -> AbstractContextManager[tuple[Iterator[tuple[Any, ...]], ...]]: ...

    def cursors(
        self, *statements: tuple[str, Sequence[Any]]
    ) -> AbstractContextManager[tuple[Iterator[tuple[Any, ...]], ...]]: ...

    def catch_up(self) -> AbstractContextManager[int]: ...

    def ddl(self, statements: Sequence[str]) -> None: ...

    def has_table(self, name: str) -> bool: ...

    def add_column(self, table: str, column: str, declaration: str) -> None:
        """Add *column* to *table* unless it is there (a ledger made by an older version),
        safely against other processes opening the same ledger."""
        ...

    def close(self) -> None: ...

    def closer(self) -> Callable[[], None]:
        """The connection's own close, which does not keep the session alive."""
        ...

    def usable(self) -> bool:
        """False once the connection is lost; the thread then gets a new one."""
        ...


class _Dialect(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def unique_violation(self) -> tuple[type[BaseException], ...]: ...

    def cannot_write(self, error: BaseException) -> bool:
        """Whether *error* says this process may not write now (a lock held past the busy
        timeout, a read-only store): then reports judge from the events instead."""
        ...

    def connect(self) -> _Session: ...

    def describe(self) -> str: ...


_TABLES = (
    """CREATE TABLE IF NOT EXISTS ledger_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_contacts (
        contact_id TEXT PRIMARY KEY,
        received_us BIGINT NOT NULL,
        ruleset_digest TEXT NOT NULL,
        clock_ids TEXT NOT NULL,
        urgency TEXT NOT NULL,
        services TEXT NOT NULL,
        age INTEGER,
        birth_date TEXT,
        highest_care_allowance INTEGER NOT NULL CHECK (highest_care_allowance IN (0, 1)),
        special_support_child INTEGER NOT NULL CHECK (special_support_child IN (0, 1)),
        clock_persons TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_events (
        seq {seq},
        event_id TEXT NOT NULL UNIQUE,
        contact_id TEXT NOT NULL REFERENCES ledger_contacts (contact_id),
        event TEXT NOT NULL,
        at_us BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS ledger_events_contact ON ledger_events (contact_id, at_us)",
    *_projection.TABLES,
    *_projection.INDEXES,
)


def _schema(seq: str, triggers: Sequence[str]) -> tuple[str, ...]:
    return (*(t.replace("{seq}", seq) for t in _TABLES), *triggers)


_SQLITE_SCHEMA = _schema(
    "INTEGER PRIMARY KEY AUTOINCREMENT",
    tuple(
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        for table in ("ledger_contacts", "ledger_events")
        for verb in ("UPDATE", "DELETE")
    ),
)

_PG_SCHEMA = _schema(
    "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    (
        "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
        *(
            f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
            for table in ("ledger_contacts", "ledger_events")
        ),
    ),
)


class _SQLiteSession:
    def __init__(self, path: str, busy_ms: int) -> None:
        self.pid = os.getpid()
        # isolation_level=None: the module never opens transactions by itself; every
        # write says BEGIN IMMEDIATE. check_same_thread=False only so that close() may
        # come from another thread; a session is used by the thread that made it.
        conn = sqlite3.connect(
            path, timeout=busy_ms / 1000, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if str(mode).lower() != "wal":
                raise LedgerError(
                    "no-wal",
                    "url",
                    f"SQLite would not switch {path} to WAL (journal_mode is {mode}); "
                    "put the ledger on a local file system",
                )
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()
            raise
        self.conn = conn

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def stream(
        self, sql: str, params: Sequence[Any] = ()
    ) -> Generator[tuple[Any, ...], None, None]:
        yield from self.conn.execute(sql, params)

    @contextmanager
    def streams(
        self, *statements: tuple[str, Sequence[Any]]
    ) -> Iterator[tuple[Iterator[tuple[Any, ...]], ...]]:
        # One read transaction: every statement reads the same snapshot of the WAL.
        self.conn.execute("BEGIN")
        try:
            with self.cursors(*statements) as cursors:
                yield cursors
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    @contextmanager
    def cursors(
        self, *statements: tuple[str, Sequence[Any]]
    ) -> Iterator[tuple[Iterator[tuple[Any, ...]], ...]]:
        # In the transaction already open; SQLite lets the connection write meanwhile.
        yield tuple(iter(self.conn.execute(sql, params)) for sql, params in statements)

    @contextmanager
    def catch_up(self) -> Iterator[int]:
        # BEGIN IMMEDIATE holds the one write lock: no event can commit meanwhile, so
        # every event up to the highest seq is committed, and catch-ups take turns.
        with self.write():
            yield self.query(_SELECT_MAX_SEQ)[0][0]

    @contextmanager
    def write(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            # SQLite may have rolled back already (e.g. after an I/O error): then a second
            # ROLLBACK would raise and hide the error that matters.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def ddl(self, statements: Sequence[str]) -> None:
        with self.write():
            for statement in statements:
                self.conn.execute(statement)

    def has_table(self, name: str) -> bool:
        found = self.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return bool(found)

    def add_column(self, table: str, column: str, declaration: str) -> None:
        # BEGIN IMMEDIATE: no other process can add it between the look and the ALTER.
        with self.write():
            found = self.conn.execute(
                "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", (table, column)
            ).fetchall()
            if not found:
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def close(self) -> None:
        self.conn.close()

    def closer(self) -> Callable[[], None]:
        return self.conn.close

    def usable(self) -> bool:
        return True


@attrs.frozen
class _SQLite:
    path: str
    busy_ms: int
    name: str = "sqlite"
    unique_violation: tuple[type[BaseException], ...] = (sqlite3.IntegrityError,)

    def cannot_write(self, error: BaseException) -> bool:
        # Only busy, locked and read-only: any other OperationalError (a bad statement,
        # a broken file) is a fault to see, not a reason to fall back quietly.
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        return isinstance(error, sqlite3.OperationalError) and code in _SQLITE_CANNOT_WRITE

    def connect(self) -> _Session:
        return _SQLiteSession(self.path, self.busy_ms)

    def describe(self) -> str:
        return f"sqlite:///{self.path}"


def _pg(sql: str) -> str:
    # The statements here are written with SQLite's '?' and contain no other '?' or '%'.
    return sql.replace("?", "%s")


class _PgSession:
    def __init__(self, url: str) -> None:
        import psycopg  # noqa: PLC0415 - only a postgresql:// ledger needs the driver

        self.pid = os.getpid()
        self.conn: psycopg.Connection[tuple[Any, ...]] = psycopg.connect(url, autocommit=True)
        row = self.conn.execute("SHOW synchronous_commit").fetchone()
        if row is not None and row[0] == "off":
            # "record returns only when the event is durable": never acknowledge early.
            self.conn.execute("SET synchronous_commit = on")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(_pg(sql), params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(_pg(sql), params).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(_pg(sql), rows)

    def stream(
        self, sql: str, params: Sequence[Any] = ()
    ) -> Generator[tuple[Any, ...], None, None]:
        # A server-side cursor: the worklist over a large ledger never sits in memory.
        with self.conn.transaction(), self.conn.cursor(name="ledger_stream") as cursor:
            cursor.itersize = 10_000
            cursor.execute(_pg(sql), params)
            yield from cursor

    @contextmanager
    def streams(
        self, *statements: tuple[str, Sequence[Any]]
    ) -> Iterator[tuple[Iterator[tuple[Any, ...]], ...]]:
        # Server-side cursors in one REPEATABLE READ transaction: one snapshot for all.
        with self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            with self.cursors(*statements) as cursors:
                yield cursors

    @contextmanager
    def cursors(
        self, *statements: tuple[str, Sequence[Any]]
    ) -> Iterator[tuple[Iterator[tuple[Any, ...]], ...]]:
        # Server-side cursors in the transaction already open.
        with contextlib.ExitStack() as stack:
            cursors = []
            for n, (sql, params) in enumerate(statements):
                cursor = stack.enter_context(self.conn.cursor(name=f"ledger_read_{n}"))
                cursor.itersize = 10_000
                cursor.execute(_pg(sql), params)
                cursors.append(iter(cursor))
            yield tuple(cursors)

    @contextmanager
    def catch_up(self) -> Iterator[int]:
        # A seq is drawn when an event is inserted, but transactions commit in their own
        # order: seq 7 may commit after seq 8. SHARE mode waits for every transaction
        # inserting events to end (and holds new ones off for an instant), so every event
        # up to the highest seq read here is committed and none can come in below it.
        with self.conn.transaction():
            self.conn.execute("LOCK TABLE ledger_events IN SHARE MODE")
            row = self.conn.execute(_SELECT_MAX_SEQ).fetchone()
        high = 0 if row is None else int(row[0])
        with self.conn.transaction():
            # Catch-ups take turns; writers are not held up by them.
            self.conn.execute("SELECT pg_advisory_xact_lock(7406032)")
            yield high

    @contextmanager
    def write(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    def ddl(self, statements: Sequence[str]) -> None:
        with self.conn.transaction():
            # Several processes may open a new ledger at once; CREATE ... IF NOT EXISTS
            # is not safe against that in PostgreSQL, so they take turns.
            self.conn.execute("SELECT pg_advisory_xact_lock(7406031)")
            for statement in statements:
                self.conn.execute(statement)

    def has_table(self, name: str) -> bool:
        # to_regclass follows search_path, as the unqualified names in the statements do.
        (found,) = self.query("SELECT to_regclass(?) IS NOT NULL", (name,))[0]
        return bool(found)

    def add_column(self, table: str, column: str, declaration: str) -> None:
        # Looked up first: ALTER TABLE locks the table even when the column is there.
        found = self.query(
            "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = ? "
            "AND NOT attisdropped",
            (table, column),
        )
        if not found:
            self.ddl([f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {declaration}"])

    def close(self) -> None:
        self.conn.close()

    def closer(self) -> Callable[[], None]:
        return self.conn.close

    def usable(self) -> bool:
        # A server restart or a dropped network leaves the connection broken: the next
        # call of this thread reconnects instead of failing forever.
        return not (self.conn.closed or self.conn.broken)


@attrs.frozen
class _Postgres:
    url: str = attrs.field(repr=False)
    unique_violation: tuple[type[BaseException], ...]
    read_only: tuple[type[BaseException], ...]
    name: str = "postgresql"

    def cannot_write(self, error: BaseException) -> bool:
        return isinstance(error, self.read_only)

    def connect(self) -> _Session:
        return _PgSession(self.url)

    def describe(self) -> str:
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        user = f"{parts.username}@" if parts.username else ""
        return urlunsplit((parts.scheme, user + host, parts.path, "", ""))


def _dialect(url: str, busy_timeout: float) -> _Dialect:
    if not isinstance(url, str):
        raise LedgerError(
            "bad-url",
            "url",
            'give a URL string such as "sqlite:///ledger.db" or '
            '"postgresql://user@host:5432/dbname"',
        )
    if url.startswith("sqlite:"):
        if not url.startswith("sqlite:///") or "?" in url:
            raise LedgerError(
                "bad-url",
                "url",
                'an SQLite ledger is "sqlite:///relative/path.db" or '
                '"sqlite:////absolute/path.db" (three slashes, then the path, no options)',
            )
        raw = url[len("sqlite:///") :]
        if raw in ("", ":memory:") or raw.startswith("file:"):
            raise LedgerError(
                "bad-url",
                "url",
                "the ledger must be durable, so it is a file: give a path such as "
                '"sqlite:///ledger.db" (in tests, a file under tmp_path)',
            )
        path = Path(raw).resolve()
        if not path.parent.is_dir():
            raise LedgerError(
                "bad-url",
                "url",
                f"directory {path.parent} does not exist; create it first "
                "(the ledger creates its file, not its directory)",
            )
        return _SQLite(str(path), max(1, round(busy_timeout * 1000)))
    if url.startswith(("postgresql://", "postgres://")):
        try:
            import psycopg  # noqa: PLC0415 - the PostgreSQL driver is only needed here
        except ImportError:  # pragma: no cover - psycopg is a dependency of oneContact
            raise LedgerError(
                "no-driver",
                "url",
                "a PostgreSQL ledger needs psycopg 3: pip install 'psycopg[binary]>=3.2'",
            ) from None
        return _Postgres(
            url,
            (psycopg.errors.UniqueViolation,),
            (psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.InsufficientPrivilege),
        )
    scheme = url.split(":", 1)[0] if ":" in url else url
    hint = did_you_mean(scheme, ("sqlite", "postgresql"))
    also = f" (did you mean {hint!r}?)" if hint else ""
    raise LedgerError(
        "bad-url",
        "url",
        f"unknown ledger scheme {scheme[:20]!r}{also}; use "
        '"sqlite:///ledger.db" or "postgresql://user@host:5432/dbname"',
    )


# --------------------------------------------------------------------------- values


def _instant(micros: int) -> datetime:
    return (_EPOCH + timedelta(microseconds=micros)).astimezone(HELSINKI)


def _check_time(ts: object, field: str) -> int:
    if not isinstance(ts, datetime):
        raise LedgerError(
            "bad-timestamp", field, f"must be a datetime with a time zone, not {type(ts).__name__}"
        )
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise LedgerError(
            "naive-timestamp",
            field,
            f"{ts.isoformat()} has no time zone; give it one, e.g. "
            "datetime(..., tzinfo=ZoneInfo('Europe/Helsinki')) or UTC",
        )
    return micros(ts)


def _check_id(value: object, field: str, *, longest: int) -> str:
    if not isinstance(value, str) or not value:
        raise LedgerError("bad-id", field, "must be a non-empty string")
    if looks_like_identity_code(value):
        # The value is not repeated: it may be a real personal identity code.
        raise LedgerError(
            "identity-code",
            field,
            "looks like a Finnish personal identity code; the ledger stores only the "
            "pseudonymous ids the host passes",
        )
    if len(value) > longest or not _ID.match(value):
        raise LedgerError(
            "bad-id",
            field,
            f"must be 1-{longest} characters of A-Z a-z 0-9 . _ : - (a pseudonymous key, not text)",
        )
    return value


def _when(micros: int) -> str:
    return _instant(micros).isoformat()


@attrs.frozen
class _Contact:
    """A stored contact: what recomputing its clocks needs."""

    received_us: int
    clock_ids: tuple[str, ...]
    subject: ClockSubject
    persons: Mapping[str, str] = attrs.field(default=MappingProxyType({}), hash=False)
    """Clock id -> the person whose right it follows, for the clocks not the client's."""
    subjects: Mapping[str, ClockSubject] | None = attrs.field(default=None, hash=False)
    """Clock id -> the subject it is judged with, for the clocks not the client's; None
    when every clock follows the client."""

    @classmethod
    def of(cls, row: Sequence[Any]) -> _Contact:
        """From ``received_us, clock_ids, age, birth_date, highest_care_allowance,
        special_support_child, clock_persons``."""
        received_us, clock_ids, *subject, clock_persons = row
        persons, subjects = _clock_persons(clock_persons)
        return cls(received_us, tuple(clock_ids.split()), _subject(subject), persons, subjects)

    def with_received(self, received_us: int) -> _Contact:
        """This shape (clocks and subjects) for a contact received at *received_us*."""
        return _Contact(received_us, self.clock_ids, self.subject, self.persons, self.subjects)


# ``clock_persons``: for each clock that follows another person's right than the
# client's, ``clock=person/age/birth_date/highest_care_allowance/special_support_child``
# (an unknown age or birth date left empty, the flags 0 or 1), separated by spaces; NULL
# when every clock follows the client. Ids and numbers only, never text.
_CLOCK_PERSON = re.compile(
    r"([a-z0-9_]{1,64})=([a-z0-9_]{1,64})/(\d{0,3})/(\d{4}-\d{2}-\d{2})?/([01])/([01])\Z"
)
_PERSON_ID = re.compile(r"[a-z0-9_]{1,64}\Z")


def _encode_clock_persons(
    clocks: Sequence[Clock], subjects: Mapping[str, ClockSubject]
) -> str | None:
    """The ``clock_persons`` column of an assessment's *clocks*; LedgerError when a clock
    names a person whose subject is not in *subjects* or an id that is not an id."""
    parts = []
    for clock in clocks:
        person = clock.person
        if person is None:
            continue
        subject = subjects.get(person) if isinstance(person, str) else None
        if not isinstance(subject, ClockSubject) or not _PERSON_ID.match(person or ""):
            raise LedgerError(
                "bad-subject",
                "assessment.person_subjects",
                f"clock {clock.clock!r} follows a person without a ClockSubject in "
                "person_subjects (or whose id is not a-z, 0-9, _); record an assessment "
                "from Engine.assess()",
            )
        age = "" if subject.age is None else str(subject.age)
        born = "" if subject.birth_date is None else subject.birth_date.isoformat()
        parts.append(
            f"{clock.clock}={person}/{age}/{born}/"
            f"{int(subject.highest_care_allowance)}/{int(subject.special_support_child)}"
        )
    return " ".join(parts) or None


def _clock_persons(
    text: str | None,
) -> tuple[Mapping[str, str], Mapping[str, ClockSubject] | None]:
    """Persons and subjects by clock id from a ``clock_persons`` column."""
    if not text:
        return MappingProxyType({}), None
    persons: dict[str, str] = {}
    subjects: dict[str, ClockSubject] = {}
    for part in text.split():
        found = _CLOCK_PERSON.match(part)
        if found is None:
            raise LedgerError(
                "store-format",
                "ledger_contacts.clock_persons",
                "a stored value is not in the ledger's format; the store was changed by "
                "hand or by a newer version: upgrade oneContact",
            )
        clock, person, age, born, allowance, special = found.groups()
        persons[clock] = person
        subjects[clock] = ClockSubject(
            age=int(age) if age else None,
            birth_date=date.fromisoformat(born) if born else None,
            highest_care_allowance=allowance == "1",
            special_support_child=special == "1",
        )
    return MappingProxyType(persons), MappingProxyType(subjects)


def _subject(columns: Sequence[Any]) -> ClockSubject:
    """The clock subject from its stored columns: age, birth_date,
    highest_care_allowance, special_support_child."""
    age, birth_date, allowance, special = columns
    return ClockSubject(
        age=age,
        birth_date=None if birth_date is None else date.fromisoformat(birth_date),
        highest_care_allowance=bool(allowance),
        special_support_child=bool(special),
    )


_Started = tuple[
    str, tuple[str, ...], ClockSubject, int, tuple[Judged, ...], Mapping[str, ClockSubject] | None
]
"""What a report counts of one contact (see :meth:`Ledger._started_clocks`)."""


class _History(NamedTuple):
    """One contact and its events up to the moment read, as reports read them."""

    contact_id: str
    urgency: str
    services: tuple[str, ...]
    contact: _Contact
    seen: dict[str, list[int]]
    """Each event's instants, ascending; ``contact_received`` is the contact's own."""


def _seen(received_us: int, rows: Iterable[tuple[Any, ...]]) -> dict[str, list[int]]:
    """Each event's instants, ascending, from rows ending in ``(event, at_us)`` in time
    order; ``contact_received`` is the contact's own receipt."""
    seen: dict[str, list[int]] = {}
    for row in rows:
        name, at_us = row[-2], row[-1]
        found = seen.get(name)
        if found is None:
            seen[name] = [at_us]
        else:
            found.append(at_us)
    seen[_CONTACT_RECEIVED] = [received_us]
    return seen


def _assessed_us(contact: _Contact, seen: Mapping[str, Sequence[int]]) -> int:
    """The contact's first need assessment, or its receipt without one: the day its age
    group is counted on."""
    assessed = seen.get(_NEED_ASSESSED)
    return contact.received_us if assessed is None else assessed[0]


def _merged(
    contacts: Iterable[tuple[Any, ...]],
    event_rows: Iterable[tuple[Any, ...]],
    now_us: int | None,
    since_us: int | None,
) -> Generator[_History, None, None]:
    """Contacts (rows of ``_CONTACT_HISTORY``) merged with their events (rows of
    ``contact_id, event, at_us``), both in the same order of contact id: each contact
    that has clocks, with its events. With *now_us*, only contacts received by then; with
    *since_us*, only contacts with an event at or after it.

    The merge needs only that both come in the same order of contact ids, which they do
    (one ORDER BY, one collation), so it compares ids only for equality; an event left
    over at the end would mean they did not, and is an error rather than a silent loss.
    """
    # Contacts alike in clock ids and subject share one parsed shape, and alike in
    # services one tuple of them.
    shapes: dict[tuple[Any, ...], _Contact] = {}
    services: dict[str, tuple[str, ...]] = {}
    groups = itertools.groupby(event_rows, key=_FIRST)
    group = next(groups, None)
    for row in contacts:
        contact_id, received_us = row[0], row[1]
        if group is not None and group[0] == contact_id:
            seen = _seen(received_us, group[1])  # read before the next group
            group = next(groups, None)
        else:
            seen = _seen(received_us, ())
        if (now_us is not None and received_us > now_us) or not row[2]:
            continue  # not received yet, or no clocks
        if since_us is not None and max(t[-1] for t in seen.values()) < since_us:
            continue
        key = (*row[2:7], row[9])
        shape = shapes.get(key)
        if shape is None:
            shape = shapes.setdefault(key, _Contact.of((received_us, *key)))
        routes = services.get(row[8])
        if routes is None:
            routes = services.setdefault(row[8], tuple(row[8].split()))
        contact = shape.with_received(received_us)
        yield _History(contact_id, row[7], routes, contact, seen)
    pending = None if group is None else group[0]
    if pending is not None:
        raise LedgerError(
            "store-order",
            "ledger_events",
            "the store gave events and contacts in different orders of contact id "
            f"(an event of {pending!r} was left over); report this as a bug",
        )


_CONTACT_COLUMNS = (
    "received_us",
    "ruleset_digest",
    "clock_ids",
    "urgency",
    "services",
    "age",
    "birth_date",
    "highest_care_allowance",
    "special_support_child",
    "clock_persons",
)
# The statements are written out whole: nothing but '?' placeholders varies in them.
_INSERT_CONTACT = (
    "INSERT INTO ledger_contacts (contact_id, received_us, ruleset_digest, clock_ids, "
    "urgency, services, age, birth_date, highest_care_allowance, special_support_child, "
    "clock_persons) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (contact_id) DO NOTHING"
)
_SELECT_CONTACT = (
    "SELECT received_us, ruleset_digest, clock_ids, urgency, services, age, birth_date, "
    "highest_care_allowance, special_support_child, clock_persons FROM ledger_contacts "
    "WHERE contact_id = ?"
)
_SELECT_SUBJECT = (
    "SELECT received_us, clock_ids, age, birth_date, highest_care_allowance, "
    "special_support_child, clock_persons FROM ledger_contacts WHERE contact_id = ?"
)
_SELECT_EVENTS = (
    "SELECT event, at_us FROM ledger_events WHERE contact_id = ? AND at_us <= ? ORDER BY at_us, seq"
)
_SELECT_RECEIVED = "SELECT contact_id, received_us FROM ledger_contacts WHERE contact_id IN"
_SELECT_EVENT_IDS = "SELECT event_id, contact_id, event, at_us FROM ledger_events WHERE event_id IN"
_SELECT_OPEN = (
    "SELECT c.contact_id, c.received_us, c.clock_ids, c.age, c.birth_date, "
    "c.highest_care_allowance, c.special_support_child, c.clock_persons, e.event, e.at_us "
    "FROM ledger_contacts c LEFT JOIN ledger_events e "
    "ON e.contact_id = c.contact_id AND e.at_us <= ? "
    "WHERE c.received_us <= ? AND c.clock_ids <> '' "
    "ORDER BY c.contact_id, e.at_us, e.seq"
)
# Reports read these two together, in one snapshot, and merge them by contact id
# (Ledger._histories): each is one index-ordered scan, with no sort of a million rows.
_CONTACT_HISTORY = (
    "SELECT contact_id, received_us, clock_ids, age, birth_date, highest_care_allowance, "
    "special_support_child, urgency, services, clock_persons FROM ledger_contacts"
)
_SELECT_ALL_CONTACTS = f"{_CONTACT_HISTORY} ORDER BY contact_id"
_SELECT_ALL_EVENTS = (
    "SELECT contact_id, event, at_us FROM ledger_events WHERE at_us <= ? "
    "ORDER BY contact_id, at_us, seq"
)
# Every event committed up to a seq (what a projection catch-up judges).
_SELECT_EVENTS_THROUGH = (
    "SELECT contact_id, event, at_us FROM ledger_events WHERE seq <= ? "
    "ORDER BY contact_id, at_us, seq"
)
_SELECT_PROJECTION_FORMAT = "SELECT value FROM ledger_meta WHERE key = 'projection_format'"
_SELECT_MAX_SEQ = "SELECT COALESCE(MAX(seq), 0) FROM ledger_events"
_SELECT_THROUGH = (
    "SELECT projection_id, through_seq, caught_up_us FROM ledger_projections WHERE fingerprint = ?"
)
_BUILDING = -1  # the through_seq of a projection being built
# A build not heard from (no batch written) for this long has stopped: the next report
# takes it over.
_BUILD_LEASE_US = 5 * 60 * 1_000_000
_SELECT_CHANGED = "SELECT DISTINCT contact_id FROM ledger_events WHERE seq > ? AND seq <= ?"
_BUILD_BATCH = 20_000  # rows per transaction of a build
# Past this many changed contacts a catch-up judges the whole store in one ordered read
# instead of looking each changed contact up.
_REPROJECT_ALL_ABOVE = 20_000
# A projection not caught up for this long (its policies or version no longer in use) is
# dropped when another is built.
_PROJECTION_KEPT_US = 7 * 24 * 3600 * 1_000_000


def _some_contacts(count: int) -> str:
    return f"{_in_list(f'{_CONTACT_HISTORY} WHERE contact_id IN', count)} ORDER BY contact_id"


_EVENTS_THROUGH_OF = (
    "SELECT contact_id, event, at_us FROM ledger_events WHERE seq <= ? AND contact_id IN"
)
_EVENTS_UNTIL_OF = (
    "SELECT contact_id, event, at_us FROM ledger_events WHERE at_us <= ? AND contact_id IN"
)


def _some_events(head: str, count: int) -> str:
    """Events of *count* contacts in time order: *head* is ``_EVENTS_THROUGH_OF`` (up to a
    seq) or ``_EVENTS_UNTIL_OF`` (up to an instant)."""
    return f"{_in_list(head, count)} ORDER BY contact_id, at_us, seq"


_INSERT_EVENT = "INSERT INTO ledger_events (event_id, contact_id, event, at_us) VALUES (?, ?, ?, ?)"

# An event row as compared for idempotency: (event_id, contact_id, event, at_us).
_Row = tuple[str, str, str, int]


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _in_list(head: str, count: int) -> str:
    """*head* (ending in ``IN``) with a list of *count* placeholders."""
    return f"{head} ({_marks(count)})"


# --------------------------------------------------------------------------- the ledger


class _Local(threading.local):
    session: _Session | None = None


class Ledger:
    """An append-only store of time-to-care events, and the clocks recomputed from it.

    Open it with :meth:`open`; share one instance between threads; close it when done (or
    use it as a context manager). Every refused call raises :class:`LedgerError` and
    changes nothing.
    """

    def __init__(self, dialect: _Dialect, policies: Policies, calendar: Calendar) -> None:
        """Use :meth:`open`."""
        self._dialect = dialect
        self._policies = policies
        self._calendar = calendar
        self._events = frozenset(policies.events)
        self._recordable = self._events - {_CONTACT_RECEIVED}
        # starts_on / stops_on of every clock: read once from the policies themselves.
        self._shape: Mapping[str, tuple[str, tuple[str, ...]]] = {
            clock: (policies.starts_on(clock), policies.stops_on(clock))
            for clock in sorted(policies.clock_ids)
        }
        # The key of this ledger's clock projection, or None to judge every clock anew.
        self._fingerprint = _projection.fingerprint(policies, calendar)
        self._local = _Local()
        self._lock = threading.Lock()
        self._sessions: weakref.WeakSet[_Session] = weakref.WeakSet()
        self._closed = False

    @classmethod
    def open(
        cls,
        url: str,
        *,
        policies: Policies | None = None,
        calendar: Calendar | None = None,
        busy_timeout: float = 30.0,
    ) -> Ledger:
        """Open (and on first use create) the ledger at *url*.

        *url* is ``sqlite:///relative.db``, ``sqlite:////absolute.db`` or a libpq URL
        ``postgresql://user@host:5432/dbname`` (options such as
        ``?options=-csearch_path%3Dmyschema`` pass through). *policies* are the
        care-guarantee policies the clocks are recomputed with: give the engine's
        (``engine.ruleset.policies``); the default is the bundled ones. *busy_timeout* is
        how many seconds an SQLite writer waits for another to finish.
        """
        dialect = _dialect(url, busy_timeout)
        if policies is None:
            policies = Policies.from_directory(bundled_rules_directory() / "policies")
        ledger = cls(dialect, policies, calendar if calendar is not None else Calendar.finnish())
        try:
            ledger._create()
        except BaseException:
            ledger.close()
            raise
        return ledger

    def _create(self) -> None:
        session = self._session()
        # A ledger of another schema version is refused before anything is run on it.
        if session.has_table("ledger_meta"):
            self._check_version(session)
            found = session.query(_SELECT_PROJECTION_FORMAT)
            if not found or found[0][0] != str(_projection.FORMAT):
                # The clock projection is derived data: one of another shape is dropped,
                # and the next report builds it again.
                session.ddl(_projection.DROP)
        statements = _SQLITE_SCHEMA if self._dialect.name == "sqlite" else _PG_SCHEMA
        session.ddl(statements)
        # Added in 0.x without a new schema version: a ledger made before has every clock
        # following the client's right, which is what NULL in this column says.
        session.add_column("ledger_contacts", "clock_persons", "TEXT")
        with session.write():
            session.execute(
                "INSERT INTO ledger_meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO NOTHING",
                (str(SCHEMA_VERSION),),
            )
            session.execute(
                "INSERT INTO ledger_meta (key, value) VALUES ('projection_format', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(_projection.FORMAT),),
            )
        self._check_version(session)

    def _check_version(self, session: _Session) -> None:
        found = session.query("SELECT value FROM ledger_meta WHERE key = 'schema_version'")
        version = found[0][0] if found else None
        if version != str(SCHEMA_VERSION):
            raise LedgerError(
                "schema-version",
                "url",
                f"{self._dialect.describe()} has ledger schema version {version}; this "
                f"oneContact reads version {SCHEMA_VERSION}: upgrade oneContact",
            )

    # ------------------------------------------------------------ connections

    def _session(self) -> _Session:
        if self._closed:
            raise LedgerError("closed", "ledger", "this ledger is closed; open it again")
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
                session.close()
        self._local.session = None

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
        is judged with it whenever it starts.

        Idempotent per contact: the same assessment again stores nothing and returns
        False; a different one for a stored contact id raises LedgerError. Returns True
        when the contact was stored.
        """
        if not isinstance(assessment, Assessment):
            raise LedgerError(
                "bad-assessment", "assessment", "must be an Assessment from Engine.assess()"
            )
        if subject is None:
            subject = assessment.subject
        if not isinstance(subject, ClockSubject):
            raise LedgerError(
                "bad-subject",
                "subject",
                "must be a ClockSubject, e.g. ClockSubject(age=client.age, "
                "birth_date=client.birth_date, highest_care_allowance=..., "
                "special_support_child=...)",
            )
        contact_id = _check_id(assessment.contact_id, "contact_id", longest=_CONTACT_ID_MAX)
        received_us = _check_time(assessment.received_at, "received_at")
        clock_ids = tuple(c.clock for c in assessment.clocks)
        unknown = [c for c in clock_ids if c not in self._shape]
        if unknown:
            raise LedgerError(
                "unknown-clock",
                "assessment.clocks",
                f"clock {unknown[0]!r} is not in this ledger's policies; open the ledger "
                "with the policies of the engine that made the assessment "
                "(Ledger.open(url, policies=engine.ruleset.policies))",
            )
        row = (
            received_us,
            str(assessment.ruleset_digest),
            " ".join(clock_ids),
            str(assessment.urgency),
            " ".join(r.service for r in assessment.routes),
            subject.age,
            None if subject.birth_date is None else subject.birth_date.isoformat(),
            int(subject.highest_care_allowance),
            int(subject.special_support_child),
            _encode_clock_persons(assessment.clocks, assessment.person_subjects),
        )
        session = self._session()
        with session.write():
            inserted = session.execute(
                _INSERT_CONTACT,
                (contact_id, *row),
            )
            if inserted:
                session.execute(
                    _INSERT_EVENT,
                    (_RECEIVED_ID_PREFIX + contact_id, contact_id, _CONTACT_RECEIVED, received_us),
                )
                return True
            (stored,) = session.query(
                _SELECT_CONTACT,
                (contact_id,),
            )
        differ = [
            name for name, old, new in zip(_CONTACT_COLUMNS, stored, row, strict=True) if old != new
        ]
        if differ:
            shown = ", ".join(d.replace("received_us", "received_at") for d in differ)
            raise LedgerError(
                "contact-conflict",
                "contact_id",
                f"contact {contact_id!r} is already recorded with a different {shown}; a "
                "contact is recorded once, from its first assessment: record what happened "
                "since as events",
            )
        return False

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

    def _check_event(self, name: object, field: str) -> str:
        if isinstance(name, str) and name in self._recordable:
            return name
        if name == _CONTACT_RECEIVED:
            raise LedgerError(
                "reserved-event",
                field,
                "contact_received is recorded by record_assessment(), from the assessment",
            )
        if not isinstance(name, str) or not _EVENT_NAME.match(name):
            raise LedgerError(
                "unknown-event",
                field,
                f"an event is one of the policies' event names: {', '.join(sorted(self._recordable))}",
            )
        hint = did_you_mean(name, self._recordable)
        also = (
            f" (did you mean {hint!r}?)"
            if hint
            else f"; use one of {', '.join(sorted(self._recordable))}"
        )
        raise LedgerError(
            "unknown-event",
            field,
            f"unknown event {name!r}{also}; a region adds events under 'events:' in its "
            "policy files",
        )

    def _prepare(self, items: Sequence[object], *, batch: bool) -> list[tuple[int, _Row]]:
        rows: list[tuple[int, _Row]] = []
        seen: dict[str, tuple[int, _Row]] = {}
        for index, item in enumerate(items):
            where = f"events[{index}]." if batch else ""
            if not isinstance(item, LedgerEvent):
                raise LedgerError(
                    "bad-event",
                    f"events[{index}]",
                    "must be a LedgerEvent(contact_id, event, at, event_id)",
                )
            contact_id = _check_id(item.contact_id, where + "contact_id", longest=_CONTACT_ID_MAX)
            event = self._check_event(item.event, where + "event")
            at_us = _check_time(item.at, where + "at")
            event_id = _check_id(item.event_id, where + "event_id", longest=_EVENT_ID_MAX)
            row = (event_id, contact_id, event, at_us)
            prior = seen.get(event_id)
            if prior is None:
                seen[event_id] = (index, row)
                rows.append((index, row))
            elif prior[1] != row:
                raise LedgerError(
                    "event-id-conflict",
                    where + "event_id",
                    f"{event_id!r} is also events[{prior[0]}], with different content; "
                    "each event gets its own id",
                )
        return rows

    def _write(self, items: Sequence[object], *, batch: bool) -> int:
        rows = self._prepare(items, batch=batch)
        if not rows:
            return 0
        session = self._session()
        for attempt in range(_RETRIES):
            try:
                with session.write():
                    return self._store(session, rows, batch=batch)
            except self._dialect.unique_violation:
                # Only PostgreSQL gets here: another transaction stored one of these ids
                # after we looked. Look again; the retry sees it and compares contents.
                if attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _store(self, session: _Session, rows: list[tuple[int, _Row]], *, batch: bool) -> int:
        received: dict[str, int] = {}
        contact_ids = sorted({row[1] for _, row in rows})
        for chunk in _chunks(contact_ids):
            received.update(
                session.query(
                    _in_list(_SELECT_RECEIVED, len(chunk)),
                    chunk,
                )
            )
        existing: dict[str, _Row] = {}
        for chunk in _chunks([row[0] for _, row in rows]):
            for stored in session.query(
                _in_list(_SELECT_EVENT_IDS, len(chunk)),
                chunk,
            ):
                existing[stored[0]] = (stored[0], stored[1], stored[2], stored[3])
        fresh: list[_Row] = []
        for index, row in rows:
            where = f"events[{index}]." if batch else ""
            event_id, contact_id, _, at_us = row
            received_us = received.get(contact_id)
            if received_us is None:
                raise LedgerError(
                    "unknown-contact",
                    where + "contact_id",
                    f"no contact {contact_id!r} in the ledger; record its assessment first "
                    "with Ledger.record_assessment()",
                )
            if at_us < received_us:
                raise LedgerError(
                    "before-contact",
                    where + "at",
                    f"{_when(at_us)} is before contact {contact_id!r} was received "
                    f"({_when(received_us)}); check the timestamp and its UTC offset",
                )
            old = existing.get(event_id)
            if old is None:
                fresh.append(row)
            elif old != row:
                raise LedgerError(
                    "event-id-conflict",
                    where + "event_id",
                    f"{event_id!r} is already recorded as {old[2]} of contact {old[1]!r} at "
                    f"{_when(old[3])}; an event id names one event forever: give this event "
                    "its own id",
                )
        if fresh:
            session.executemany(_INSERT_EVENT, fresh)
        return len(fresh)

    # ------------------------------------------------------------ reading

    def events(self, contact_id: str) -> tuple[LedgerEvent, ...]:
        """Every event of the contact, ``contact_received`` first, in time order."""
        _check_id(contact_id, "contact_id", longest=_CONTACT_ID_MAX)
        rows = self._session().query(
            "SELECT contact_id, event, at_us, event_id FROM ledger_events "
            "WHERE contact_id = ? ORDER BY at_us, seq",
            (contact_id,),
        )
        return tuple(LedgerEvent(c, e, _instant(at), i) for c, e, at, i in rows)

    def clocks(self, contact_id: str, *, now: datetime) -> tuple[LedgerClock, ...]:
        """The contact's clocks as of *now*, in the order its assessment gave them.

        Only events at or before *now* count, so a past *now* replays the worklist of
        that moment. Each clock follows the policy in force on its start day.
        """
        _check_id(contact_id, "contact_id", longest=_CONTACT_ID_MAX)
        now_us = _check_time(now, "now")
        session = self._session()
        found = session.query(
            _SELECT_SUBJECT,
            (contact_id,),
        )
        if not found:
            raise LedgerError(
                "unknown-contact",
                "contact_id",
                f"no contact {contact_id!r} in the ledger; record its assessment first "
                "with Ledger.record_assessment()",
            )
        contact = _Contact.of(found[0])
        if now_us < contact.received_us:
            raise LedgerError(
                "before-contact",
                "now",
                f"{now.isoformat()} is before contact {contact_id!r} was received "
                f"({_when(contact.received_us)}); it had no clocks yet",
            )
        events = session.query(_SELECT_EVENTS, (contact_id, now_us))
        return self._recompute(contact_id, contact, events, local_date(now))

    def due(self, *, now: datetime, within_weekdays: int = 1) -> list[LedgerClock]:
        """The team's worklist: running clocks due within *within_weekdays* weekdays of
        *now*'s local day, or already past due, most urgent first.

        Past-due clocks come first, most days over first; then by due date. Clocks of a
        withdrawn contact and stopped clocks (met or late) are not listed. Read from the
        clock projection (caught up first) by an index on due date; the same list as
        judging every clock from the events, which a ledger without a projection does.
        """
        now_us = _check_time(now, "now")
        if (
            not isinstance(within_weekdays, int)
            or isinstance(within_weekdays, bool)
            or within_weekdays < 0
        ):
            raise LedgerError(
                "bad-argument", "within_weekdays", "must be a whole number of weekdays >= 0"
            )
        today = local_date(now)
        horizon = self._calendar.add_weekdays(today, within_weekdays)
        projection = self._caught_up()
        if projection is not None:
            projected = self._due_projected(projection, now_us, today, horizon)
            projected.sort(key=_urgency)
            return projected
        worklist: list[LedgerClock] = []
        current: str | None = None
        contact: _Contact | None = None
        events: list[tuple[str, int]] = []

        def flush() -> None:
            if current is None or contact is None:
                return
            for clock in self._recompute(current, contact, events, today, running_only=True):
                if _on_worklist(clock, horizon):
                    worklist.append(clock)

        # closing(): should anything fail half-way, the read (on PostgreSQL a server-side
        # cursor in a transaction) ends here, not whenever the generator is collected.
        with contextlib.closing(self._session().stream(_SELECT_OPEN, (now_us, now_us))) as rows:
            for row in rows:
                if row[0] != current:
                    flush()
                    current, contact, events = row[0], _Contact.of(row[1:8]), []
                if row[8] is not None:
                    events.append((row[8], row[9]))
        flush()
        worklist.sort(key=_urgency)
        return worklist

    def _due_projected(
        self, projection: int, now_us: int, today: date, horizon: date
    ) -> list[LedgerClock]:
        """The worklist of :meth:`due`, unsorted, from the clock projection: the running
        clocks due by *horizon*, read by an index; a contact with events after *now_us* is
        judged again from its events up to then."""
        session = self._session()
        judged_of = _projection.judged_of
        clock_of = self._policies.clock
        worklist: list[LedgerClock] = []
        with session.streams(
            (_projection.SELECT_TERMS, (projection,)),
            (_projection.SELECT_LATER, (projection, now_us)),
            (_projection.SELECT_DUE, (projection, horizon.toordinal())),
        ) as (terms_rows, later_rows, rows):
            terms = _projection.terms_of(terms_rows)
            later = {r[0] for r in later_rows}
            for row in rows:
                if row[0] not in later:
                    found = clock_of(judged_of(row, terms, today), _instant, person=row[9])
                    worklist.append(self._counted(row[0], found, today, None))
        for history in self._histories_of(sorted(later), now_us, None):
            judged, _ = self._judged(history.contact, history.seen, today, running_only=True)
            persons = history.contact.persons
            for j in judged:
                clock = clock_of(j, _instant, person=persons.get(j.clock))
                listed = self._counted(history.contact_id, clock, today, None)
                if _on_worklist(listed, horizon):
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
    ) -> Report:
        """THL-style access measures of the clocks that started in ``[since, until)``,
        split by *by* (any of ``service``, ``age_group``, ``clock``, ``month``).

        Only events at or before *now* count; by default *now* is the end of the period
        (or the present, while the period runs). ``service`` is the assessment's first
        ``team_member`` route, by the kinds of *catalogue* (give the engine's,
        ``engine.ruleset.catalogue``; the default is the bundled one). One streaming read
        of the ledger. See :mod:`oneContact.report` and docs/reference/reports.md.
        """
        from .report import build_report  # noqa: PLC0415 - report.py imports this module

        return build_report(self, since=since, until=until, by=by, now=now, catalogue=catalogue)

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
        now_us = _check_time(now, "now")
        since_us = None if active_since is None else _check_time(active_since, "active_since")
        today = local_date(now)
        clock_of = self._policies.clock
        with contextlib.closing(self._histories(now_us, since_us)) as histories:
            for history in histories:
                judged, _ = self._judged(history.contact, history.seen, today)
                persons = history.contact.persons
                yield LedgerContact(
                    history.contact_id,
                    history.urgency,
                    history.services,
                    history.contact.subject,
                    tuple(clock_of(j, _instant, person=persons.get(j.clock)) for j in judged),
                    history.contact.subjects or MappingProxyType({}),
                    history.contact.received_us,
                    history.seen,
                )

    def _histories(self, now_us: int, since_us: int | None) -> Generator[_History, None, None]:
        """Each contact received by *now_us* that has clocks, with its events up to
        *now_us* in time order, in contact-id order; with *since_us*, only contacts with
        an event at or after it. What reports and :meth:`contacts` read: two
        index-ordered reads in one snapshot, merged by :func:`_merged`."""
        with self._session().streams(
            (_SELECT_ALL_CONTACTS, ()), (_SELECT_ALL_EVENTS, (now_us,))
        ) as (contacts, event_rows):
            yield from _merged(contacts, event_rows, now_us, since_us)

    def _histories_of(
        self, contact_ids: Sequence[str], now_us: int, since_us: int | None
    ) -> Iterator[_History]:
        """What :meth:`_histories` gives, for the contacts *contact_ids* (in contact-id
        order) only: a few hundred at a time, each lot in one snapshot."""
        session = self._session()
        for chunk in _chunks(contact_ids):
            with session.streams(
                (_some_contacts(len(chunk)), chunk),
                (_some_events(_EVENTS_UNTIL_OF, len(chunk)), (now_us, *chunk)),
            ) as (contacts, event_rows):
                yield from _merged(contacts, event_rows, now_us, since_us)

    def _recompute(
        self,
        contact_id: str,
        contact: _Contact,
        events: Sequence[tuple[str, int]],
        today: date,
        *,
        running_only: bool = False,
    ) -> tuple[LedgerClock, ...]:
        """The contact's clocks; with *running_only*, only those started and not stopped
        by a contact that has not withdrawn (the others are never on the worklist, and
        skipping them before they are judged is what keeps ``due()`` fast)."""
        seen = _seen(contact.received_us, events)
        judged, withdrawn_us = self._judged(contact, seen, today, running_only=running_only)
        withdrawn_at = None if withdrawn_us is None else _instant(withdrawn_us)
        clock_of = self._policies.clock
        persons = contact.persons
        return tuple(
            self._counted(
                contact_id, clock_of(j, _instant, person=persons.get(j.clock)), today, withdrawn_at
            )
            for j in judged
        )

    def _started_clocks(
        self, since: datetime, until: datetime, now: datetime
    ) -> Generator[_Started, None, None]:
        """What a report counts: for each contact with a clock that started in
        ``[since, until)``, as of *now*: its id, its route services, its clock subject, its
        first ``need_assessed`` (its receipt without one), those clocks as
        :meth:`Policies.judge` judges them, and the subjects of the clocks that follow
        another person than the client (by clock id; None when none does). Internal to
        reports.

        Read from the clock projection, caught up first (see :mod:`._projection`); a
        contact with events after *now* is judged again from its events up to *now*, and
        without a projection every contact is.
        """
        now_us, since_us, until_us = micros(now), micros(since), micros(until)
        today = local_date(now)
        projection = self._caught_up()
        if projection is None:
            with contextlib.closing(self._histories(now_us, since_us)) as histories:
                yield from self._started(histories, since_us, until_us, today)
            return
        session = self._session()
        later: list[str] = []  # contacts with events after now
        shapes: dict[tuple[Any, ...], _Contact] = {}
        services: dict[str, tuple[str, ...]] = {}
        judged_of = _projection.judged_of
        # One snapshot: a catch-up committing between two reads could add terms that
        # rows read later name.
        with session.streams(
            (_projection.SELECT_TERMS, (projection,)),
            (_projection.SELECT_STARTED, (projection, since_us, until_us)),
        ) as (terms_rows, rows):
            terms = _projection.terms_of(terms_rows)
            for contact_id, group in itertools.groupby(rows, key=_FIRST):
                clocks = list(group)
                head = clocks[0]
                if head[10] > now_us:
                    later.append(contact_id)
                    continue
                key = head[12:17]
                shape = shapes.get(key)
                if shape is None:
                    shape = shapes.setdefault(key, _Contact.of((0, "", *key)))
                routes = services.get(head[11])
                if routes is None:
                    routes = services.setdefault(head[11], tuple(head[11].split()))
                yield (
                    contact_id,
                    routes,
                    shape.subject,
                    head[9],
                    tuple([judged_of(row, terms, today) for row in clocks]),
                    shape.subjects,
                )
        yield from self._started(
            self._histories_of(later, now_us, since_us), since_us, until_us, today
        )

    def _started(
        self, histories: Iterable[_History], since_us: int, until_us: int, today: date
    ) -> Iterator[_Started]:
        """What :meth:`_started_clocks` gives, judged from the contacts' events."""
        judge = self._policies.judge
        shape = self._shape
        calendar = self._calendar
        for contact_id, _, services, contact, seen in histories:
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
            assessed_us = _assessed_us(contact, seen)
            yield contact_id, services, contact.subject, assessed_us, judged, contact.subjects

    # ------------------------------------------------------------ the clock projection

    def _caught_up(self) -> int | None:
        """The id of this ledger's clock projection, brought up to every event committed
        so far; None where reports must judge every clock from the events (a host's own
        calendar, a store this process cannot write, or a projection another process is
        building right now)."""
        fingerprint = self._fingerprint
        if fingerprint is None:
            return None
        session = self._session()
        found = session.query(_SELECT_THROUGH, (fingerprint,))
        if found and found[0][1] >= session.query(_SELECT_MAX_SEQ)[0][0]:
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
                        (projection, fingerprint, _BUILDING, now_us),
                    )
                    build = (int(projection), high, now_us)
                else:
                    projection, through, heard_us = found[0]
                    if through == _BUILDING:
                        if heard_us > now_us - _BUILD_LEASE_US:
                            return None  # being built: judge from the events meanwhile
                        # The build stopped (its process died): take it over.
                        build = (int(projection), high, now_us)
                    elif through < high:
                        changed = [r[0] for r in session.query(_SELECT_CHANGED, (through, high))]
                        if len(changed) > _REPROJECT_ALL_ABOVE:
                            build = (int(projection), high, now_us)
                        else:
                            for chunk in _chunks(sorted(changed)):
                                self._project(session, projection, high, chunk)
                            through = high
                    session.execute(
                        "UPDATE ledger_projections SET through_seq = ?, caught_up_us = ? "
                        "WHERE projection_id = ?",
                        (_BUILDING if build else through, now_us, projection),
                    )
            if build is not None:
                return self._build(*build)
        except Exception as error:
            if self._dialect.cannot_write(error):
                return None
            raise
        return int(projection)

    def _judged_rows(
        self, writer: _projection.Writer, histories: Iterable[_History]
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Each contact's projection rows: its clocks judged with no today."""
        judge = self._policies.judge
        calendar = self._calendar
        rows_of = writer.rows_of
        for contact_id, _, _, contact, seen in histories:
            judged = judge(
                contact.clock_ids, subject=contact.subject, happened=seen, today=None,
                calendar=calendar, subjects=contact.subjects,
            )  # fmt: skip
            withdrawn = seen.get(_WITHDRAWN)
            yield rows_of(
                contact_id,
                judged,
                contact.persons,
                _assessed_us(contact, seen),
                max(t[-1] for t in seen.values()),
                withdrawn[0] if withdrawn else None,
            )

    def _project(self, session: _Session, projection: int, high: int, chunk: Sequence[str]) -> None:
        """Judge again the contacts of *chunk* from their events up to seq *high* and
        store their started clocks (in the catch-up's transaction)."""
        session.execute(
            _in_list(
                "DELETE FROM ledger_clock_rows WHERE projection_id = ? AND contact_id IN",
                len(chunk),
            ),
            (projection, *chunk),
        )
        writer = _projection.Writer(
            projection, session.query(_projection.SELECT_TERMS, (projection,))
        )
        rows: list[tuple[Any, ...]] = []
        with session.cursors(
            (_some_contacts(len(chunk)), tuple(chunk)),
            (_some_events(_EVENTS_THROUGH_OF, len(chunk)), (high, *chunk)),
        ) as (contacts, event_rows):
            for contact_rows in self._judged_rows(
                writer, _merged(contacts, event_rows, None, None)
            ):
                rows += contact_rows
        if rows:
            session.executemany(_projection.INSERT_ROW, rows)
        if writer.new_terms:
            session.executemany(_projection.INSERT_TERMS, writer.new_terms)

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
                (now_us, projection, lease[0], _BUILDING),
            )
            lease[0] = now_us
            return taken == 1

        with session.write():
            if not renewed():
                return None  # pragma: no cover - taken over between two transactions
            for statement in _projection.DROP_INDEXES:
                session.execute(statement)
            for table in ("ledger_clock_rows", "ledger_clock_terms"):
                session.execute(f"DELETE FROM {table} WHERE projection_id = ?", (projection,))  # noqa: S608 - fixed names
        writer = _projection.Writer(projection, ())
        reader = self._dialect.connect()
        try:
            batch: list[tuple[Any, ...]] = []
            with reader.streams((_SELECT_ALL_CONTACTS, ()), (_SELECT_EVENTS_THROUGH, (high,))) as (
                contacts,
                event_rows,
            ):
                histories = _merged(contacts, event_rows, None, None)
                for contact_rows in self._judged_rows(writer, histories):
                    batch += contact_rows
                    if len(batch) >= _BUILD_BATCH:
                        with session.write():
                            if not renewed():
                                return None
                            session.executemany(_projection.INSERT_ROW, batch)
                        batch.clear()
        finally:
            reader.close()
        with session.write():
            if not renewed():
                return None
            if batch:
                session.executemany(_projection.INSERT_ROW, batch)
            if writer.new_terms:
                session.executemany(_projection.INSERT_TERMS, writer.new_terms)
            for statement in _projection.INDEXES:
                session.execute(statement)
            session.execute(
                "UPDATE ledger_projections SET through_seq = ? WHERE projection_id = ?",
                (high, projection),
            )
        return projection

    def _drop_unused(self, session: _Session, now_us: int) -> None:
        """Drop the projections (of other policies or versions) not caught up lately."""
        for (old,) in session.query(
            "SELECT projection_id FROM ledger_projections WHERE caught_up_us < ?",
            (now_us - _PROJECTION_KEPT_US,),
        ):
            for table in ("ledger_clock_rows", "ledger_clock_terms", "ledger_projections"):
                session.execute(f"DELETE FROM {table} WHERE projection_id = ?", (old,))  # noqa: S608 - fixed names

    def _may_run(self, clock_id: str, contact: _Contact, seen: Mapping[str, Sequence[int]]) -> bool:
        """False when the clock has surely not started, or has surely stopped."""
        starts_on, stops_on = self._shape[clock_id]
        if starts_on == _CONTACT_RECEIVED:
            start = contact.received_us
        elif starts_on in seen:
            start = seen[starts_on][0]
        else:
            return False
        return not any(t >= start for stop in stops_on for t in seen.get(stop, ()))

    def _judged(
        self,
        contact: _Contact,
        seen: Mapping[str, Sequence[int]],
        today: date,
        *,
        running_only: bool = False,
    ) -> tuple[tuple[Judged, ...], int | None]:
        """The contact's clocks as of *today* (its events are up to the moment read), and
        when it withdrew. With *running_only*, only clocks started, not stopped, of a
        contact that has not withdrawn. *seen* is as :func:`_seen` gives it."""
        withdrawn = seen.get(_WITHDRAWN)
        if running_only and withdrawn:
            return (), None
        withdrawn_us = withdrawn[0] if withdrawn else None
        clock_ids = contact.clock_ids
        if running_only:
            # The worklist reads every contact: skip clocks not started or already stopped
            # before judging them.
            clock_ids = tuple(c for c in clock_ids if self._may_run(c, contact, seen))
        if not clock_ids:
            return (), withdrawn_us
        judged = self._policies.judge(
            clock_ids, subject=contact.subject, happened=seen, today=today,
            calendar=self._calendar, subjects=contact.subjects,
        )  # fmt: skip
        if running_only:
            judged = tuple(j for j in judged if j.stopped is None and j.status in _RUNNING)
        return judged, withdrawn_us

    def _counted(
        self, contact_id: str, clock: Clock, today: date, withdrawn_at: datetime | None
    ) -> LedgerClock:
        if clock.starts_at is None:
            return LedgerClock(contact_id, clock, None, None, None, None, None, withdrawn_at)
        start = local_date(clock.starts_at)
        end = today if clock.stopped_at is None else local_date(clock.stopped_at)
        weekdays = self._calendar.weekdays_between
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


def _on_worklist(clock: LedgerClock, horizon: date) -> bool:
    """A running clock past due, or due by *horizon*."""
    status, due_date = clock.clock.status, clock.clock.due_date
    return status == "breached" or (
        status == "open" and due_date is not None and due_date <= horizon
    )


def _urgency(clock: LedgerClock) -> tuple[int, int, date, str, str]:
    breached = clock.status == "breached"
    return (
        0 if breached else 1,
        -(clock.days_over or 0) if breached else 0,
        clock.due_date or date.max,
        clock.contact_id,
        clock.id,
    )


def _close_quietly(pid: int, close: Callable[[], None]) -> None:
    # Never close a connection inherited through fork(): closing it would end the
    # parent's PostgreSQL session too.
    if pid != os.getpid():
        return
    # A connection that fails to close at exit is gone anyway.
    with contextlib.suppress(Exception):
        close()
