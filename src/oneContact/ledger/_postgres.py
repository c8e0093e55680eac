"""Where the ledger talks to PostgreSQL (psycopg 3, psycopg_pool): ``postgresql://user@host:5432/db``.

psycopg is imported only when a ``postgresql://`` ledger is opened. Connections come from
one bounded pool per ledger and process (:class:`_Pools`, ``pool_size`` connections at
most, made in the process that uses them: a pool made before ``fork()`` is left to the
parent). A :class:`PgSession` holds no connection of its own: each operation takes one
from the pool and gives it back when it ends (a transaction, a streaming read, an
iterator the host holds open keep theirs until they end). Waiting longer than the pool's
timeout for a free connection is a :class:`LedgerUnavailableError` that says so.

Each write is one transaction; ``synchronous_commit`` is raised to ``on`` on every
connection if the server has it off; reads of many rows use server-side cursors in one
``REPEATABLE READ`` snapshot. Every psycopg error is mapped here: a lost or refused
connection, a lock or serialization failure, a read-only transaction and a unique key
another transaction stored first to :class:`LedgerUnavailableError`; a missing privilege
and the rest (a table of the wrong shape, a broken constraint, an append-only trigger)
to :class:`LedgerStoreError`, with the driver's error as the cause. No message holds the
URL's password.

The statements of the ledger are written with SQLite's ``?`` placeholders and contain no
other ``?`` or ``%``; they are turned into psycopg's ``%s`` here.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import attrs

from ..errors import LedgerArgumentError, LedgerError, LedgerStoreError, LedgerUnavailableError
from ._store import SELECT_MAX_SEQ, Session, store_fault, unavailable

if TYPE_CHECKING:  # pragma: no cover - psycopg is imported only for postgresql:// ledgers
    import psycopg
    import psycopg_pool

    _Connection = psycopg.Connection[tuple[Any, ...]]

__all__ = ["DEFAULT_POOL_SIZE", "PgSession", "Postgres", "postgres"]

DEFAULT_POOL_SIZE = 4
"""Connections one :class:`Ledger` keeps at most in one process (``pool_size``)."""

_APPLICATION_NAME = "onecontact-ledger"
"""What ``pg_stat_activity`` shows for the ledger's connections unless the URL names one."""


_WRITERS = 7406033
"""The advisory lock every write holds shared and a catch-up takes exclusively."""


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


class _Secretless(Exception):
    """A driver's error with the URL's password taken out of its text (what a message
    quotes; the driver's error itself stays the cause)."""

    def __init__(self, error: BaseException, secrets: Sequence[str]) -> None:
        text = str(error)
        for secret in secrets:
            text = text.replace(secret, "***")
        super().__init__(text or type(error).__name__)


@attrs.frozen
class _Kinds:
    """psycopg's error classes, sorted by what the ledger does about them."""

    error: tuple[type[BaseException], ...]
    transient: tuple[type[BaseException], ...]
    unique: tuple[type[BaseException], ...]
    read_only: tuple[type[BaseException], ...]
    privilege: tuple[type[BaseException], ...]
    secrets: tuple[str, ...] = attrs.field(repr=False)

    def mapped(self, where: str, error: BaseException) -> LedgerError:
        clean = _Secretless(error, self.secrets)
        if isinstance(error, self.privilege):
            return LedgerStoreError(
                "permission-denied",
                "ledger",
                f"the ledger at {where} could not be used: {str(clean).splitlines()[0]}; "
                "nothing was changed: this role may not do that (a service role needs "
                "SELECT and INSERT; see docs/reference/ledger-postgresql.md)",
            )
        if isinstance(error, self.transient):
            return unavailable(where, clean)
        return store_fault(where, clean)


class _Pools:
    """The bounded connection pool of one PostgreSQL ledger, one per process: made on
    first use in each process (a pool inherited through ``fork()`` is the parent's and
    is left alone), closed with the ledger."""

    def __init__(self, url: str, kinds: _Kinds, where: str, size: int, timeout: float) -> None:
        self.url = url
        self.kinds = kinds
        self.where = where
        self.size = size
        self.timeout = timeout
        self._pid = 0
        self._pool: psycopg_pool.ConnectionPool[_Connection] | None = None
        self._inherited: list[object] = []  # never closed nor collected in a child
        self._locks: dict[int, threading.Lock] = {}
        self._closed = False

    def connect_kwargs(self) -> dict[str, Any]:
        """What every connection is opened with besides the URL."""
        import psycopg  # noqa: PLC0415 - only a postgresql:// ledger needs the driver

        given = psycopg.conninfo.conninfo_to_dict(self.url)
        kwargs: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in given:
            # libpq would wait for an unreachable host as long as TCP does.
            kwargs["connect_timeout"] = min(10, max(2, math.ceil(self.timeout)))
        if "application_name" not in given:
            kwargs["application_name"] = _APPLICATION_NAME
        return kwargs

    def direct(self) -> _Connection:
        """One connection outside the pool (opening and migrating a ledger)."""
        import psycopg  # noqa: PLC0415 - only a postgresql:// ledger needs the driver

        try:
            conn = psycopg.connect(self.url, **self.connect_kwargs())
        except self.kinds.error as exc:
            raise self.kinds.mapped(self.where, exc) from exc
        try:
            _durable(conn)
        except self.kinds.error as exc:
            conn.close()
            raise self.kinds.mapped(self.where, exc) from exc
        return conn

    def pool(self) -> psycopg_pool.ConnectionPool[_Connection]:
        pid = os.getpid()
        pool = self._pool
        if pool is not None and self._pid == pid:
            return pool
        # A lock of this process: one held by a thread of the parent at fork() would
        # never be released here.
        with self._locks.setdefault(pid, threading.Lock()):
            if self._closed:
                raise LedgerError("closed", "ledger", "this ledger is closed; open it again")
            if self._pool is not None and self._pid == pid:
                return self._pool
            if self._pool is not None:
                # The parent's: closing it here would end the parent's sessions.
                self._inherited.append(self._pool)
            import psycopg_pool  # noqa: PLC0415 - only a postgresql:// ledger needs it

            self._pool = psycopg_pool.ConnectionPool(
                self.url,
                kwargs=self.connect_kwargs(),
                min_size=1,
                max_size=self.size,
                timeout=self.timeout,
                open=True,
                configure=_durable,
                # A connection the server dropped (a restart) is replaced before use.
                check=psycopg_pool.ConnectionPool.check_connection,
                name=f"onecontact-ledger-{pid}",
                num_workers=2,
            )
            self._pid = pid
            return self._pool

    def getconn(self) -> _Connection:
        import psycopg_pool  # noqa: PLC0415 - only a postgresql:// ledger needs it

        pool = self.pool()
        errors = pool.get_stats().get("connections_errors", 0)
        try:
            return pool.getconn()
        except psycopg_pool.PoolClosed as exc:
            raise LedgerError("closed", "ledger", "this ledger is closed; open it again") from exc
        except psycopg_pool.PoolTimeout as exc:
            failed = pool.get_stats().get("connections_errors", 0) > errors
            if failed:
                # The pool could not connect meanwhile: say why (the pool holds no
                # working connection, so this one does not go past its bound).
                self.direct().close()
            raise LedgerUnavailableError(
                "pool-timeout",
                "ledger",
                f"no connection to the ledger at {self.where} became free within "
                f"{self.timeout:g} s: all {self.size} connections of this process's pool "
                "are in use; nothing was changed: retry later, or open the ledger with a "
                "larger pool_size (or busy_timeout), within the server's max_connections",
            ) from exc

    def putconn(self, conn: _Connection) -> None:
        pool = self._pool
        if pool is None or self._pid != os.getpid():  # pragma: no cover - a child's leftover
            return
        # A connection given back after the pool closed is closed by it.
        with contextlib.suppress(Exception):
            pool.putconn(conn)

    def close(self) -> None:
        self._closed = True
        pool = self._pool
        if pool is not None and self._pid == os.getpid():
            with contextlib.suppress(Exception):
                pool.close()


def _durable(conn: _Connection) -> None:
    """ "record returns only when the event is durable": never acknowledge early."""
    row = conn.execute("SHOW synchronous_commit").fetchone()
    if row is not None and row[0] == "off":
        conn.execute("SET synchronous_commit = on")


class PgSession:
    """The ledger's calls of one operation: each takes a connection from the pool for
    as long as it runs (a transaction or a streaming read for its whole length; calls
    made inside it use the same connection) and gives it back. In autocommit mode
    (transactions are explicit)."""

    def __init__(self, pools: _Pools, conn: _Connection | None = None) -> None:
        self.pid = os.getpid()
        self.pools = pools
        self.kinds = pools.kinds
        self.where = pools.where
        self._own = conn  # a direct session's connection, outside the pool
        self._conn: _Connection | None = conn
        self._holders = 0

    @contextmanager
    def _held(self) -> Iterator[_Connection]:
        """A connection for one call: the one held already, or one from the pool."""
        if self._conn is not None:
            self._holders += 1
            try:
                yield self._conn
            finally:
                self._holders -= 1
            return
        conn = self.pools.getconn()
        self._conn = conn
        self._holders = 1
        try:
            yield conn
        finally:
            self._holders -= 1
            if self._holders == 0:
                self._conn = None
                self.pools.putconn(conn)

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
    def _transaction(self) -> Iterator[_Connection]:
        """One transaction; a driver error in it, or at its commit, mapped."""
        with self._held() as conn:
            try:
                with conn.transaction():
                    yield conn
            except self.kinds.error as exc:
                raise self._mapped(exc) from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._held() as conn:
            try:
                return conn.execute(_pg(sql), params).fetchall()
            except self.kinds.error as exc:
                raise self._mapped(exc) from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._held() as conn:
            try:
                return conn.execute(_pg(sql), params).rowcount
            except self.kinds.error as exc:
                raise self._mapped(exc) from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._held() as conn:
            try:
                with conn.cursor() as cursor:
                    cursor.executemany(_pg(sql), rows)
            except self.kinds.error as exc:
                raise self._mapped(exc) from exc

    def stream(
        self, sql: str, params: Sequence[Any] = ()
    ) -> Generator[tuple[Any, ...], None, None]:
        # A server-side cursor: the worklist over a large ledger never sits in memory.
        with self._held() as conn:
            try:
                with conn.transaction(), conn.cursor(name="ledger_stream") as cursor:
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
        with self._held() as conn, contextlib.ExitStack() as stack:
            cursors = []
            try:
                for n, (sql, params) in enumerate(statements):
                    cursor = stack.enter_context(conn.cursor(name=f"ledger_read_{n}"))
                    cursor.itersize = 10_000
                    cursor.execute(_pg(sql), params)
                    cursors.append(self._rows(cursor))
            except self.kinds.error as exc:
                raise self._mapped(exc) from exc
            yield tuple(cursors)

    @contextmanager
    def catch_up(self) -> Iterator[int]:
        # A seq is drawn when an event is inserted, but transactions commit in their own
        # order: seq 7 may commit after seq 8. Every write holds the writers' advisory
        # lock shared; taking it exclusively waits for every write to end (and holds new
        # ones off for an instant), so every event up to the highest seq read here is
        # committed and none can come in below it. (LOCK TABLE ... SHARE would do the
        # same but needs UPDATE on ledger_events, which a service role must not have.)
        with self._held():
            with self._transaction():
                self.execute(f"SELECT pg_advisory_xact_lock({_WRITERS})")
                row = self.query(SELECT_MAX_SEQ)
            high = int(row[0][0]) if row else 0
            with self._transaction():
                # Catch-ups take turns; writers are not held up by them.
                self.execute("SELECT pg_advisory_xact_lock(7406032)")
                yield high

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._transaction():
            # Held until commit: a catch-up waits for the writes under way (see catch_up).
            self.execute(f"SELECT pg_advisory_xact_lock_shared({_WRITERS})")
            yield

    def ddl(self, statements: Sequence[str]) -> None:
        with self._transaction() as conn:
            # Several processes may migrate a ledger at once; CREATE ... IF NOT EXISTS
            # is not safe against that in PostgreSQL, so they take turns.
            self.execute("SELECT pg_advisory_xact_lock(7406031)")
            for statement in statements:
                # Sent as written, with no parameters: the DDL holds '%' of its own.
                try:
                    conn.execute(statement)
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
        if self._own is not None and self.pid == os.getpid():
            self._own.close()

    def closer(self) -> Callable[[], None]:
        return self.close

    def usable(self) -> bool:
        # A pooled session holds no connection between calls; the pool replaces one the
        # server dropped before handing it out.
        return self._own is None or not (self._own.closed or self._own.broken)


@attrs.frozen
class Postgres:
    """A PostgreSQL ledger at a libpq URL, and its connection pool."""

    url: str = attrs.field(repr=False)
    kinds: _Kinds = attrs.field(repr=False)
    pools: _Pools = attrs.field(repr=False, eq=False)
    name: str = "postgresql"

    def unique_violation(self, error: BaseException) -> bool:
        return isinstance(error.__cause__, self.kinds.unique)

    def cannot_write(self, error: BaseException) -> bool:
        return isinstance(error.__cause__, self.kinds.read_only)

    def connect(self) -> Session:
        """A session whose calls take connections from the pool."""
        return PgSession(self.pools)

    def direct(self) -> Session:
        """A session of one connection of its own, outside the pool: what opening and
        migrating use (a refused connection is reported at once, with the server's
        reason, rather than after the pool's timeout)."""
        return PgSession(self.pools, self.pools.direct())

    def close(self) -> None:
        """Close this process's pool (a pool inherited through fork() is left alone)."""
        self.pools.close()

    def describe(self) -> str:
        return _describe(self.url)

    def command_url(self) -> str:
        """The URL as a command to run may quote it: without its password."""
        parts = urlsplit(self.url)
        query = urlencode(
            [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"]
        )
        return urlunsplit((parts.scheme, _netloc(self.url), parts.path, query, ""))


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return user + host


def _describe(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, _netloc(url), parts.path, "", ""))


def _secrets(url: str) -> tuple[str, ...]:
    """The password of *url* as it may appear in a message, longest first."""
    parts = urlsplit(url)
    found = {parts.password or ""}
    found |= {v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == "password"}
    found |= {unquote(s) for s in found}
    return tuple(sorted((s for s in found if s), key=len, reverse=True))


def postgres(url: str, pool_size: int, timeout: float) -> Postgres:
    """The PostgreSQL backend of a ``postgresql://`` *url* (psycopg imported here), with
    a pool of at most *pool_size* connections that callers wait *timeout* seconds for."""
    try:
        import psycopg  # noqa: PLC0415 - the PostgreSQL driver is only needed here
        import psycopg_pool  # noqa: F401, PLC0415 - nor its pool
    except ImportError:  # pragma: no cover - psycopg is a dependency of oneContact
        raise LedgerArgumentError(
            "no-driver",
            "url",
            "a PostgreSQL ledger needs psycopg 3 and psycopg_pool: "
            "pip install 'psycopg[binary,pool]>=3.2'",
        ) from None
    try:
        psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        raise LedgerArgumentError(
            "bad-url",
            "url",
            f"{_describe(url)} (options not shown) is not a libpq URL libpq can read; give "
            '"postgresql://user@host:5432/dbname", options as ?name=value',
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
        privilege=(errors.InsufficientPrivilege,),
        secrets=_secrets(url),
    )
    return Postgres(url, kinds, _Pools(url, kinds, _describe(url), pool_size, timeout))
