"""The ledger's error kinds: a driver's error (sqlite3, psycopg) never crosses the API but
comes as LedgerUnavailableError (retrying may help) or LedgerStoreError (it will not),
the driver's error chained as ``__cause__``; argument mistakes are LedgerArgumentError,
which is also the ArgumentError every other part raises for them."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from oneContact.clocks import HELSINKI
from oneContact.errors import (
    ArgumentError,
    LedgerArgumentError,
    LedgerError,
    LedgerStoreError,
    LedgerUnavailableError,
)
from oneContact.ledger import Ledger

from ..conftest import fresh_ledger_url

NOW = datetime(2025, 3, 4, 12, tzinfo=HELSINKI)


def test_a_damaged_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    path.write_bytes(b"this is not an SQLite database, only bytes " * 200)
    with pytest.raises(LedgerStoreError, match="could not be used") as info:
        Ledger.open(f"sqlite:///{path}")
    assert "store-fault" == info.value.code
    assert isinstance(info.value.__cause__, sqlite3.DatabaseError)
    assert isinstance(info.value, LedgerError)


def test_a_file_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    """A directory where the file should be: SQLite cannot open it (retry once fixed)."""
    (tmp_path / "ledger.db").mkdir()
    with pytest.raises(LedgerUnavailableError, match="could not be used") as info:
        Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    assert isinstance(info.value.__cause__, sqlite3.OperationalError)


def test_a_write_lock_held_past_the_busy_timeout_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    Ledger.open(f"sqlite:///{path}").close()
    with Ledger.open(f"sqlite:///{path}", busy_timeout=0.05) as ledger:
        blocker = sqlite3.connect(path, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            with pytest.raises(LedgerUnavailableError) as info:
                ledger.record("c-1", "need_assessed", at=NOW, event_id="e-1")
            assert isinstance(info.value.__cause__, sqlite3.OperationalError)
            assert "unavailable" == info.value.code
            blocker.execute("ROLLBACK")
        finally:
            blocker.close()
        # Retrying helps once the lock is gone (here: the contact is simply unknown).
        with pytest.raises(LedgerError, match="no contact 'c-1'"):
            ledger.record("c-1", "need_assessed", at=NOW, event_id="e-1")


def test_a_server_that_is_not_there_is_unavailable() -> None:
    pytest.importorskip("psycopg")
    import psycopg

    with pytest.raises(LedgerUnavailableError, match="could not be used") as info:
        Ledger.open("postgresql://nobody@127.0.0.1:1/none")
    assert isinstance(info.value.__cause__, psycopg.OperationalError)


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    yield from fresh_ledger_url("postgresql", tmp_path, "errors_test")


@pytest.mark.postgres
def test_a_broken_postgresql_table_is_a_store_error(pg_url: str) -> None:
    import psycopg

    url = pg_url
    with Ledger.open(url) as ledger:
        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute("ALTER TABLE ledger_events RENAME COLUMN at_us TO when_us")
        with pytest.raises(LedgerStoreError) as info:
            ledger.events("c-1")
        assert isinstance(info.value.__cause__, psycopg.Error)


def test_argument_mistakes_are_argument_errors(tmp_path: Path) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        for call, code in (
            (lambda: ledger.clocks("c-1", now=datetime(2025, 3, 4)), "naive-timestamp"),
            (lambda: ledger.record("c-1", "need_asessed", at=NOW, event_id="e"), "unknown-event"),
            (lambda: ledger.due(now=NOW, within_weekdays=-1), "bad-argument"),
            (lambda: ledger.report(since=NOW, until=NOW), "bad-period"),
            (lambda: ledger.report(since=NOW, until=NOW.replace(day=5), by=["x"]), "bad-argument"),
        ):
            with pytest.raises(LedgerArgumentError) as info:
                call()
            assert code == info.value.code
            assert isinstance(info.value, ArgumentError)
    with pytest.raises(LedgerArgumentError) as info:
        Ledger.open("sqlit:///x.db")
    assert "sqlite" == info.value.suggestion


def test_a_suggestion_is_data_on_the_error(tmp_path: Path) -> None:
    with (
        Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger,
        pytest.raises(LedgerArgumentError) as info,
    ):
        ledger.record("c-1", "need_asessed", at=NOW, event_id="e")
    assert "need_assessed" == info.value.suggestion
    assert str(info.value).endswith("(did you mean 'need_assessed'?)")


def test_threads_get_mapped_errors_too(tmp_path: Path) -> None:
    """A connection made by another thread maps its errors the same way."""
    path = tmp_path / "ledger.db"
    Ledger.open(f"sqlite:///{path}").close()
    path.write_bytes(b"x" * 4096)
    (tmp_path / "ledger.db-wal").unlink(missing_ok=True)
    (tmp_path / "ledger.db-shm").unlink(missing_ok=True)
    caught: list[BaseException] = []

    def run() -> None:
        try:
            Ledger.open(f"sqlite:///{path}")
        except BaseException as exc:
            caught.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert [LedgerStoreError] == [type(e) for e in caught]
