"""What the ledger asks of a storage backend: the :class:`Session` (one connection of one
thread) and :class:`Dialect` (one backend at one address) protocols that
:mod:`._sqlite` and :mod:`._postgres` implement, how a driver's error becomes a
:class:`LedgerError` (:func:`unavailable`, :func:`store_fault`), and the small helpers
for statements with ``IN (...)`` lists.

Driver errors never cross the public API: each backend catches its driver's errors at
the session's edge and raises :class:`LedgerUnavailableError` (locked, busy, read-only,
unreachable: retrying may help) or :class:`LedgerStoreError` (a damaged store, a table
of the wrong shape: it will not), with the driver's error chained as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

from ..errors import LedgerStoreError, LedgerUnavailableError

__all__ = [
    "CHUNK",
    "SELECT_MAX_SEQ",
    "Dialect",
    "PooledDialect",
    "Session",
    "chunks",
    "in_list",
    "store_fault",
    "unavailable",
]

CHUNK = 500
"""Bound parameters per ``IN (...)`` list: far below SQLite's and PostgreSQL's limits."""

SELECT_MAX_SEQ = "SELECT COALESCE(MAX(seq), 0) FROM ledger_events"
"""The highest event seq: what a projection catch-up brings the projection up to."""


class Session(Protocol):
    """One connection, used by one thread of one process. Every method raises a
    :class:`LedgerError` subclass, never a driver's error (the rows of the iterators
    too)."""

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


class Dialect(Protocol):
    """One backend at one address: how to connect, and how to read its errors."""

    @property
    def name(self) -> str: ...

    def unique_violation(self, error: BaseException) -> bool:
        """Whether *error* (a LedgerError from a session) is another transaction having
        stored the same key first (PostgreSQL only): then the write is run again."""
        ...

    def cannot_write(self, error: BaseException) -> bool:
        """Whether *error* (a LedgerError from a session) says this process may not write
        now (a lock held past the busy timeout, a read-only store): then reports judge
        from the events instead."""
        ...

    def connect(self) -> Session: ...

    def describe(self) -> str: ...


@runtime_checkable
class PooledDialect(Dialect, Protocol):
    """A backend whose sessions take connections from a bounded pool, per operation
    (PostgreSQL): :meth:`Dialect.connect` gives such a session, cheap to make."""

    def direct(self) -> Session:
        """A session on a connection of its own, outside the pool (opening, migrating);
        close it when done."""
        ...

    def close(self) -> None:
        """Close this process's pool."""
        ...

    def command_url(self) -> str:
        """The URL as a command in a message may quote it: without its password."""
        ...


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def unavailable(where: str, error: BaseException) -> LedgerUnavailableError:
    """The error for a driver's *error* that retrying may cure (raise it ``from`` it)."""
    return LedgerUnavailableError(
        "unavailable",
        "ledger",
        f"the ledger at {where} could not be used: {_first_line(error)}; nothing was "
        "changed: retry later",
    )


def store_fault(where: str, error: BaseException) -> LedgerStoreError:
    """The error for a driver's *error* that retrying will not cure (raise it ``from``
    it): a damaged store, or one changed by hand or by another version."""
    return LedgerStoreError(
        "store-fault",
        "ledger",
        f"the ledger at {where} could not be used: {_first_line(error)}; the store is "
        "damaged or was changed by hand or by a newer version",
    )


def chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    """*items* in lots of at most :data:`CHUNK`."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def in_list(head: str, count: int) -> str:
    """*head* (ending in ``IN``) with a list of *count* placeholders."""
    return f"{head} ({', '.join('?' * count)})"
