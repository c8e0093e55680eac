"""Where the ledger talks to PostgreSQL (psycopg 3): ``postgresql://user@host:5432/db``.

psycopg is imported only when a ``postgresql://`` ledger is opened. Each write is one
transaction; ``synchronous_commit`` is raised to ``on`` for the session if the server has
it off; reads of many rows use server-side cursors in one ``REPEATABLE READ`` snapshot.
Every psycopg error is mapped here: a lost or refused connection, a lock or serialization
failure, a read-only transaction or missing privilege, and a unique key another
transaction stored first to :class:`LedgerUnavailableError`; the rest (a table of the
wrong shape, a broken constraint) to :class:`LedgerStoreError`, with the driver's error
as the cause.

The statements of the ledger are written with SQLite's ``?`` placeholders and contain no
other ``?`` or ``%``; they are turned into psycopg's ``%s`` here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import attrs

from ..errors import LedgerArgumentError, LedgerError
from ._store import SELECT_MAX_SEQ, Session, store_fault, unavailable

if TYPE_CHECKING:  # pragma: no cover - psycopg is imported only for postgresql:// ledgers
    import psycopg

__all__ = ["PgSession", "Postgres", "postgres"]


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


@attrs.frozen
class _Kinds:
    """psycopg's error classes, sorted by what the ledger does about them."""

    error: tuple[type[BaseException], ...]
    transient: tuple[type[BaseException], ...]
    unique: tuple[type[BaseException], ...]
    read_only: tuple[type[BaseException], ...]

    def mapped(self, where: str, error: BaseException) -> LedgerError:
        if isinstance(error, self.transient):
            return unavailable(where, error)
        return store_fault(where, error)


class PgSession:
    """One psycopg connection of one thread, in autocommit mode (transactions are
    explicit)."""

    def __init__(self, url: str, kinds: _Kinds, where: str) -> None:
        import psycopg  # noqa: PLC0415 - only a postgresql:// ledger needs the driver

        self.pid = os.getpid()
        self.kinds = kinds
        self.where = where
        try:
            self.conn: psycopg.Connection[tuple[Any, ...]] = psycopg.connect(url, autocommit=True)
        except kinds.error as exc:
            raise kinds.mapped(where, exc) from exc
        try:
            row = self.conn.execute("SHOW synchronous_commit").fetchone()
            if row is not None and row[0] == "off":
                # "record returns only when the event is durable": never acknowledge early.
                self.conn.execute("SET synchronous_commit = on")
        except kinds.error as exc:
            self.conn.close()
            raise kinds.mapped(where, exc) from exc

    def _mapped(self, error: BaseException) -> LedgerError:
        return self.kinds.mapped(self.where, error)

    def _rows(self, cursor: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        """The rows of *cursor*, a driver error while reading them mapped."""
        try:
            # Not `yield from`: that would close the cursor when the reader stops early,
            # which raises once the connection is closed.
            for row in cursor:  # noqa: UP028
                yield row
        except self.kinds.error as exc:
            raise self._mapped(exc) from exc

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One transaction; a driver error in it, or at its commit, mapped."""
        try:
            with self.conn.transaction():
                yield
        except self.kinds.error as exc:
            raise self._mapped(exc) from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(_pg(sql), params).fetchall()
        except self.kinds.error as exc:
            raise self._mapped(exc) from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self.conn.execute(_pg(sql), params).rowcount
        except self.kinds.error as exc:
            raise self._mapped(exc) from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            with self.conn.cursor() as cursor:
                cursor.executemany(_pg(sql), rows)
        except self.kinds.error as exc:
            raise self._mapped(exc) from exc

    def stream(
        self, sql: str, params: Sequence[Any] = ()
    ) -> Generator[tuple[Any, ...], None, None]:
        # A server-side cursor: the worklist over a large ledger never sits in memory.
        try:
            with self.conn.transaction(), self.conn.cursor(name="ledger_stream") as cursor:
                cursor.itersize = 10_000
                cursor.execute(_pg(sql), params)
                yield from cursor
        except self.kinds.error as exc:
            raise self._mapped(exc) from exc

    @contextmanager
    def streams(
        self, *statements: tuple[str, Sequence[Any]]
    ) -> Iterator[tuple[Iterator[tuple[Any, ...]], ...]]:
        # Server-side cursors in one REPEATABLE READ transaction: one snapshot for all.
        with self._transaction():
            self.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            with self.cursors(*statements) as cursors:
                yield cursors

    @contextmanager
    def cursors(
        self, *statements: tuple[str, Sequence[Any]]
    ) -> Iterator[tuple[Iterator[tuple[Any, ...]], ...]]:
        # Server-side cursors in the transaction already open.
        with contextlib.ExitStack() as stack:
            cursors = []
            try:
                for n, (sql, params) in enumerate(statements):
                    cursor = stack.enter_context(self.conn.cursor(name=f"ledger_read_{n}"))
                    cursor.itersize = 10_000
                    cursor.execute(_pg(sql), params)
                    cursors.append(self._rows(cursor))
            except self.kinds.error as exc:
                raise self._mapped(exc) from exc
            yield tuple(cursors)

    @contextmanager
    def catch_up(self) -> Iterator[int]:
        # A seq is drawn when an event is inserted, but transactions commit in their own
        # order: seq 7 may commit after seq 8. SHARE mode waits for every transaction
        # inserting events to end (and holds new ones off for an instant), so every event
        # up to the highest seq read here is committed and none can come in below it.
        with self._transaction():
            self.execute("LOCK TABLE ledger_events IN SHARE MODE")
            row = self.query(SELECT_MAX_SEQ)
        high = int(row[0][0]) if row else 0
        with self._transaction():
            # Catch-ups take turns; writers are not held up by them.
            self.execute("SELECT pg_advisory_xact_lock(7406032)")
            yield high

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._transaction():
            yield

    def ddl(self, statements: Sequence[str]) -> None:
        with self._transaction():
            # Several processes may open a new ledger at once; CREATE ... IF NOT EXISTS
            # is not safe against that in PostgreSQL, so they take turns.
            self.execute("SELECT pg_advisory_xact_lock(7406031)")
            for statement in statements:
                # Sent as written, with no parameters: the DDL holds '%' of its own.
                try:
                    self.conn.execute(statement)
                except self.kinds.error as exc:
                    raise self._mapped(exc) from exc

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
class Postgres:
    """A PostgreSQL ledger at a libpq URL."""

    url: str = attrs.field(repr=False)
    kinds: _Kinds = attrs.field(repr=False)
    name: str = "postgresql"

    def unique_violation(self, error: BaseException) -> bool:
        return isinstance(error.__cause__, self.kinds.unique)

    def cannot_write(self, error: BaseException) -> bool:
        return isinstance(error.__cause__, self.kinds.read_only)

    def connect(self) -> Session:
        return PgSession(self.url, self.kinds, self.describe())

    def describe(self) -> str:
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        user = f"{parts.username}@" if parts.username else ""
        return urlunsplit((parts.scheme, user + host, parts.path, "", ""))


def postgres(url: str) -> Postgres:
    """The PostgreSQL backend of a ``postgresql://`` *url* (psycopg imported here)."""
    try:
        import psycopg  # noqa: PLC0415 - the PostgreSQL driver is only needed here
    except ImportError:  # pragma: no cover - psycopg is a dependency of oneContact
        raise LedgerArgumentError(
            "no-driver",
            "url",
            "a PostgreSQL ledger needs psycopg 3: pip install 'psycopg[binary]>=3.2'",
        ) from None
    errors = psycopg.errors
    read_only = (errors.ReadOnlySqlTransaction, errors.InsufficientPrivilege)
    unique = (errors.UniqueViolation,)
    kinds = _Kinds(
        error=(psycopg.Error,),
        # A lost, refused or closed connection, a lock timeout, a serialization failure
        # or an administrator's shutdown; a read-only store; a concurrent writer's key.
        transient=(psycopg.OperationalError, psycopg.InterfaceError, *read_only, *unique),
        unique=unique,
        read_only=read_only,
    )
    return Postgres(url, kinds)
