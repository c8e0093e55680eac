"""Where the ledger talks to SQLite (the standard library's ``sqlite3``): the embedded
default, ``sqlite:///path/to/ledger.db``.

WAL journal, ``synchronous=FULL`` (the WAL is fsynced at every commit, so an acknowledged
event survives a process kill and a power cut), ``busy_timeout``, foreign keys on, and
every write in ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two writers never
deadlock upgrading a read lock). Every ``sqlite3`` error is mapped here: busy, locked,
read-only, cannot open, I/O and full to :class:`LedgerUnavailableError`; the rest (a
damaged file, a table of the wrong shape, a broken constraint) to
:class:`LedgerStoreError`, with the driver's error as the cause.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import attrs

from ..errors import LedgerError, LedgerStoreError
from ._store import SELECT_MAX_SEQ, Session, store_fault, unavailable

__all__ = ["SQLite", "SQLiteSession"]

# Busy, locked and read-only: this process may not write now (reports then judge from
# the events). Any other error (a bad statement, a broken file) is a fault to see.
_CANNOT_WRITE = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_READONLY})
# Errors that retrying may cure: the above, and a file that cannot be opened, read or
# written now (permissions, a full disk, an I/O error).
_TRANSIENT = _CANNOT_WRITE | {
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_PERM,
    sqlite3.SQLITE_INTERRUPT,
    sqlite3.SQLITE_PROTOCOL,
}


def _code(error: BaseException) -> int:
    """The primary result code of an ``sqlite3`` error (0 when it has none)."""
    return int(getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF


def _mapped(where: str, error: sqlite3.Error) -> LedgerError:
    if isinstance(error, sqlite3.OperationalError) and _code(error) in _TRANSIENT:
        return unavailable(where, error)
    return store_fault(where, error)


class SQLiteSession:
    """One ``sqlite3`` connection of one thread, in WAL mode."""

    def __init__(self, path: str, busy_ms: int, where: str) -> None:
        self.pid = os.getpid()
        self.where = where
        # isolation_level=None: the module never opens transactions by itself; every
        # write says BEGIN IMMEDIATE. check_same_thread=False only so that close() may
        # come from another thread; a session is used by the thread that made it.
        try:
            conn = sqlite3.connect(
                path, timeout=busy_ms / 1000, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise _mapped(where, exc) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if str(mode).lower() != "wal":
                raise LedgerStoreError(
                    "no-wal",
                    "url",
                    f"SQLite would not switch {path} to WAL (journal_mode is {mode}); "
                    "put the ledger on a local file system",
                )
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            conn.close()
            raise _mapped(where, exc) from exc
        except BaseException:
            conn.close()
            raise
        self.conn = conn

    def _rows(self, cursor: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        """The rows of *cursor*, a driver error while reading them mapped."""
        try:
            # Not `yield from`: that would close the cursor when the reader stops early,
            # which raises once the connection is closed.
            for row in cursor:  # noqa: UP028
                yield row
        except sqlite3.Error as exc:
            raise _mapped(self.where, exc) from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _mapped(self.where, exc) from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self.conn.execute(sql, params).rowcount
        except sqlite3.Error as exc:
            raise _mapped(self.where, exc) from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise _mapped(self.where, exc) from exc

    def stream(
        self, sql: str, params: Sequence[Any] = ()
    ) -> Generator[tuple[Any, ...], None, None]:
        try:
            cursor = self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise _mapped(self.where, exc) from exc
        yield from self._rows(cursor)

    @contextmanager
    def streams(
        self, *statements: tuple[str, Sequence[Any]]
    ) -> Iterator[tuple[Iterator[tuple[Any, ...]], ...]]:
        # One read transaction: every statement reads the same snapshot of the WAL.
        self.execute("BEGIN")
        try:
            with self.cursors(*statements) as cursors:
                yield cursors
        finally:
            if self.conn.in_transaction:
                self.execute("COMMIT")

    @contextmanager
    def cursors(
        self, *statements: tuple[str, Sequence[Any]]
    ) -> Iterator[tuple[Iterator[tuple[Any, ...]], ...]]:
        # In the transaction already open; SQLite lets the connection write meanwhile.
        try:
            cursors = tuple(self.conn.execute(sql, params) for sql, params in statements)
        except sqlite3.Error as exc:
            raise _mapped(self.where, exc) from exc
        yield tuple(self._rows(cursor) for cursor in cursors)

    @contextmanager
    def catch_up(self) -> Iterator[int]:
        # BEGIN IMMEDIATE holds the one write lock: no event can commit meanwhile, so
        # every event up to the highest seq is committed, and catch-ups take turns.
        with self.write():
            yield self.query(SELECT_MAX_SEQ)[0][0]

    @contextmanager
    def write(self) -> Iterator[None]:
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            # SQLite may have rolled back already (e.g. after an I/O error): then a second
            # ROLLBACK would raise and hide the error that matters.
            if self.conn.in_transaction:
                self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def ddl(self, statements: Sequence[str]) -> None:
        with self.write():
            for statement in statements:
                self.execute(statement)

    def has_table(self, name: str) -> bool:
        found = self.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return bool(found)

    def add_column(self, table: str, column: str, declaration: str) -> None:
        # BEGIN IMMEDIATE: no other process can add it between the look and the ALTER.
        with self.write():
            found = self.query("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", (table, column))
            if not found:
                self.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def close(self) -> None:
        self.conn.close()

    def closer(self) -> Callable[[], None]:
        return self.conn.close

    def usable(self) -> bool:
        return True


@attrs.frozen
class SQLite:
    """An SQLite ledger file (its path resolved) and the busy timeout of its writers."""

    path: str
    busy_ms: int
    name: str = "sqlite"

    def unique_violation(self, error: BaseException) -> bool:
        # Every write holds the one write lock from its first look: no other can come
        # in between, so a unique index is never raced.
        return False

    def cannot_write(self, error: BaseException) -> bool:
        cause = error.__cause__
        return isinstance(cause, sqlite3.OperationalError) and _code(cause) in _CANNOT_WRITE

    def connect(self) -> Session:
        return SQLiteSession(self.path, self.busy_ms, self.describe())

    def describe(self) -> str:
        return f"sqlite:///{self.path}"
