"""Where the ledger talks to SQLite (the standard library's ``sqlite3``): the embedded
default, ``sqlite:///path/to/ledger.db`` (``?mode=ro`` to read it only).

WAL journal, ``synchronous=FULL`` (the WAL is fsynced at every commit, so an acknowledged
event survives a process kill and a power cut), ``busy_timeout``, foreign keys on, and
every write in ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two writers never
deadlock upgrading a read lock). Every ``sqlite3`` error is mapped here: busy, locked,
read-only, cannot open, I/O and full to :class:`LedgerUnavailableError` (a read-only
store and a full disk with codes and messages of their own); the rest (a damaged file, a
table of the wrong shape, a broken constraint) to :class:`LedgerStoreError`, with the
driver's error as the cause.

A new ledger file is created here, readable and writable by its owner only (0600,
whatever the umask), before SQLite opens it; SQLite gives its ``-wal``, ``-shm`` and any
journal the database file's permission bits. An existing file's mode is left alone.

A store this process cannot write (the URL says ``?mode=ro``; the file, or its directory
without the ``-wal`` and ``-shm`` it needs, is not writable; a read-only file system) is
opened read-only (SQLite's ``mode=ro``): nothing is created, switched or written on
opening, reads work, and a write is refused with ``read-only``. In a directory where the
``-shm`` cannot be made, a file whose ``-wal`` is absent or empty is read as
``immutable`` (it then holds every committed event); one whose ``-wal`` still holds
events is refused with the fix.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from ..errors import LedgerError, LedgerStoreError, LedgerUnavailableError
from ._store import SELECT_MAX_SEQ, Session, store_fault, unavailable

__all__ = ["SQLite", "SQLiteSession"]

# Busy, locked, read-only and a full disk: this process may not write now (reports and
# the worklist then judge from the events). Any other error (a bad statement, a broken
# file) is a fault to see.
_CANNOT_WRITE = frozenset(
    {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL}
)
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


# The statements of the schema name the object they make or drop (see :meth:`ddl`).
_DDL_OBJECT = re.compile(
    r"\s*(CREATE|DROP) (?:TABLE|INDEX|TRIGGER) (?:IF NOT EXISTS |IF EXISTS )(\w+)", re.ASCII
)
_OWNER_ONLY = 0o600


def _code(error: BaseException) -> int:
    """The primary result code of an ``sqlite3`` error (0 when it has none)."""
    return int(getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF


def read_only_error(where: str) -> LedgerUnavailableError:
    """The error for a write to a store this process can only read (raise it ``from``
    the driver's error, if there is one)."""
    return LedgerUnavailableError(
        "read-only",
        "ledger",
        f"the ledger at {where} is read-only here (opened with ?mode=ro, or its file, "
        "its directory or its file system cannot be written by this process): nothing "
        "was changed; clocks, due and reports still work; record from a process that "
        "can write it",
    )


def _mapped(where: str, error: sqlite3.Error) -> LedgerError:
    if isinstance(error, sqlite3.OperationalError) and _code(error) in _TRANSIENT:
        if _code(error) == sqlite3.SQLITE_READONLY:
            return read_only_error(where)
        if _code(error) == sqlite3.SQLITE_FULL:
            return LedgerUnavailableError(
                "disk-full",
                "ledger",
                f"the disk holding the ledger at {where} is full: what this call would "
                "have written was not stored, and everything acknowledged before is kept; "
                "clocks, due and reports still work; free space on that disk (or move the "
                "ledger to a larger one), then try again",
            )
        return unavailable(where, error)
    return store_fault(where, error)


def _writable(path: Path) -> bool:
    """Whether this process may write *path* (SQLite opens with the effective ids)."""
    effective = os.access in os.supports_effective_ids
    return os.access(path, os.W_OK, effective_ids=effective)


def _create_owner_only(path: Path, where: str) -> None:
    """Create the ledger file *path*, empty (SQLite takes an empty file for a new
    database), readable and writable by its owner only, whatever the umask; a file
    that is there already (another process was first) is left as it is."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, _OWNER_ONLY)
    except FileExistsError:
        return
    except OSError as exc:
        raise LedgerUnavailableError(
            "unavailable",
            "ledger",
            f"the ledger file {where} could not be created: {exc.strerror}; create it "
            "where this process may write, or give it write access to the directory",
        ) from exc
    try:
        os.fchmod(fd, _OWNER_ONLY)  # a umask such as 0o277 takes the owner's bits too
    finally:
        os.close(fd)


def _read_only_uri(path: Path, where: str) -> str:
    """The ``file:`` URI that opens *path* read-only. Where the directory cannot be
    written and the ``-shm`` is not there, SQLite cannot read a WAL database normally:
    then the file is read as immutable when its ``-wal`` is absent or empty (the file
    holds every committed event), and refused when the ``-wal`` still holds some."""
    uri = f"{path.as_uri()}?mode=ro"
    shm = Path(f"{path}-shm")
    if _writable(path.parent) or shm.exists():
        return uri
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise LedgerUnavailableError(
            "unavailable",
            "ledger",
            f"the ledger at {where} cannot be read here: its write-ahead log {wal.name} "
            f"holds events not yet in the file, and {shm.name} cannot be made in its "
            "directory; open it once where that directory can be written (that moves the "
            "events into the file), then read it here",
        )
    return f"{uri}&immutable=1"


class SQLiteSession:
    """One ``sqlite3`` connection of one thread, in WAL mode (or read-only)."""

    def __init__(self, path: str, busy_ms: int, where: str, *, read_only: bool = False) -> None:
        self.pid = os.getpid()
        self.where = where
        file = Path(path)
        if not read_only and not file.exists():
            _create_owner_only(file, where)
        # Read-only where this process cannot write: SQLite would otherwise fall back to
        # it by itself, but only after opening tried to write (and a directory it cannot
        # write would refuse even reads).
        self.read_only = read_only or not (_writable(file) and _writable(file.parent))
        if self.read_only and not file.exists():
            raise LedgerUnavailableError(
                "unavailable",
                "ledger",
                f"there is no ledger at {where} to read; check the path (a read-only "
                "ledger is never created)",
            )
        target = _read_only_uri(file, where) if self.read_only else path
        # isolation_level=None: the module never opens transactions by itself; every
        # write says BEGIN IMMEDIATE. check_same_thread=False only so that close() may
        # come from another thread; a session is used by the thread that made it.
        try:
            conn = sqlite3.connect(
                target,
                timeout=busy_ms / 1000,
                isolation_level=None,
                check_same_thread=False,
                uri=self.read_only,
            )
        except sqlite3.Error as exc:
            raise _mapped(where, exc) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            # Switched only when it is not in WAL already (a new file): asking again
            # would be a no-op, but never one tried on a store this process only reads.
            (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal" and not self.read_only:
                (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if str(mode).lower() != "wal" and not self.read_only:
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
        if self.read_only:
            # Refused before SQLite is asked: a write transaction on a store opened as
            # immutable would not even see another writer's lock.
            raise read_only_error(self.where)
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
        # Only the statements with something to do: opening a current ledger writes
        # nothing (and so works on a store this process may only read).
        pending = [s for s in statements if self._changes(s)]
        if not pending:
            return
        if self.read_only:
            # Never tried on a store this process only reads. Its missing triggers and
            # indexes guard and speed writes it cannot make; a missing table is fatal.
            if any(s.lstrip().startswith("CREATE TABLE") for s in pending):
                raise self._too_old()
            return
        with self.write():
            for statement in statements:
                # Decided again as each runs: a DROP before may have made room for it.
                if self._changes(statement):
                    self.execute(statement)

    def _changes(self, statement: str) -> bool:
        """False for a ``CREATE ... IF NOT EXISTS`` of an object that is there, or a
        ``DROP ... IF EXISTS`` of one that is not."""
        found = _DDL_OBJECT.match(statement)
        if found is None:
            return True
        verb, name = found.groups()
        there = bool(self.query("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)))
        return there == (verb == "DROP")

    def has_table(self, name: str) -> bool:
        found = self.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return bool(found)

    def add_column(self, table: str, column: str, declaration: str) -> None:
        look = "SELECT 1 FROM pragma_table_info(?) WHERE name = ?"
        if self.query(look, (table, column)):
            return  # the usual case: nothing to write
        if self.read_only:
            raise self._too_old()
        # BEGIN IMMEDIATE: no other process can add it between the look and the ALTER.
        with self.write():
            if not self.query(look, (table, column)):
                self.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def _too_old(self) -> LedgerUnavailableError:
        return LedgerUnavailableError(
            "read-only",
            "ledger",
            f"the ledger at {self.where} is read-only here and lacks tables or columns "
            "this version reads (it is empty, or was made by an older version): open it "
            "once where it can be written, which brings it up to date, then read it here",
        )

    def close(self) -> None:
        self.conn.close()

    def closer(self) -> Callable[[], None]:
        return self.conn.close

    def usable(self) -> bool:
        return True


@attrs.frozen
class SQLite:
    """An SQLite ledger file (its path resolved), the busy timeout of its writers, and
    whether it is only to be read (``?mode=ro``)."""

    path: str
    busy_ms: int
    read_only: bool = False
    name: str = "sqlite"

    def unique_violation(self, error: BaseException) -> bool:
        # Every write holds the one write lock from its first look: no other can come
        # in between, so a unique index is never raced.
        return False

    def cannot_write(self, error: BaseException) -> bool:
        if isinstance(error, LedgerUnavailableError) and error.code == "read-only":
            return True  # refused before SQLite was asked (no cause)
        cause = error.__cause__
        return isinstance(cause, sqlite3.OperationalError) and _code(cause) in _CANNOT_WRITE

    def connect(self) -> Session:
        return SQLiteSession(self.path, self.busy_ms, self.describe(), read_only=self.read_only)

    def describe(self) -> str:
        return f"sqlite:///{self.path}" + ("?mode=ro" if self.read_only else "")
