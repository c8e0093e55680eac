"""The SQLite store's hardening (docs/reference/ledger-store.md): files readable by their
owner only, append-only against raw SQL (REPLACE and ``ledger_meta`` too), instants outside
the supported years refused on the way in and left out on the way back, a read-only store
that can still be read, and a full disk that is a clear error and loses nothing.

Raw ``sqlite3`` stands for what a person with the file could run past the API.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from oneContact.clocks import HELSINKI, micros
from oneContact.engine import Assessment, Engine
from oneContact.errors import LedgerArgumentError, LedgerStoreError, LedgerUnavailableError
from oneContact.ledger import Ledger, LedgerEvent

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 3, 4, 10, tzinfo=HELSINKI)
NOW = T0 + timedelta(days=3)
AS_ROOT = os.geteuid() == 0
MOUNT, UMOUNT = shutil.which("mount"), shutil.which("umount")


def hki(y: int, m: int, d: int, hh: int = 12) -> datetime:
    return datetime(y, m, d, hh, tzinfo=HELSINKI)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_directory(REPO / "rules", backend="python")


Assess = Callable[[str], Assessment]


@pytest.fixture
def assess(engine: Engine) -> Assess:
    """An acute contact received at T0 (clocks need_assessment, care, doctor_visit)."""

    def make(contact_id: str) -> Assessment:
        return engine.assess(
            {
                "contact_id": contact_id,
                "received_at": T0.isoformat(),
                "channel": "phone",
                "client": {"age": 40},
                "concerns": ["acute_symptom"],
                "answers": {},
            }
        )

    return make


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def filled(path: Path, engine: Engine, assess: Assess) -> Path:
    """A closed ledger with three contacts, two of them assessed, and a built projection."""
    with Ledger.open(f"sqlite:///{path}", policies=engine.ruleset.policies) as ledger:
        for n in range(3):
            ledger.record_assessment(assess(f"c-{n}"))
        for n in range(2):
            ledger.record(f"c-{n}", "need_assessed", at=T0 + timedelta(hours=2), event_id=f"e-{n}")
        ledger.due(now=NOW)
    return path


def raw(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """*sql* run on the file directly, past the Ledger API (autocommit)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def snapshot(path: Path) -> list[list[tuple[Any, ...]]]:
    """Every row (and rowid) of the append-only tables."""
    return [
        raw(path, f"SELECT rowid, * FROM {table} ORDER BY rowid")  # noqa: S608 - fixed names
        for table in ("ledger_meta", "ledger_contacts", "ledger_events")
    ]


def views(ledger: Ledger) -> tuple[object, ...]:
    """What a reader sees: events, clocks, the worklist and a report."""
    report = ledger.report(since=T0 - timedelta(days=1), until=NOW)
    return (
        [ledger.events(f"c-{n}") for n in range(3)],
        [ledger.clocks(f"c-{n}", now=NOW) for n in range(3)],
        ledger.due(now=NOW, within_weekdays=5),
        report.to_json(),
    )


# --------------------------------------------------------------------------- permissions


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o000, 0o277], ids=["022", "000", "277"])
def test_a_new_ledger_and_its_wal_and_shm_are_for_their_owner_only(
    path: Path, engine: Engine, assess: Assess, mask: int
) -> None:
    """Whatever the umask, the file, its -wal and its -shm are 0600 (rw for the owner):
    SQLite gives the -wal and -shm the file's bits, so the file is made 0600 first."""
    with umask(mask), Ledger.open(f"sqlite:///{path}") as ledger:
        ledger.record_assessment(assess("c-1"))
        modes = {
            suffix: stat.S_IMODE(Path(f"{path}{suffix}").stat().st_mode)
            for suffix in ("", "-wal", "-shm")
        }
    assert {"": 0o600, "-wal": 0o600, "-shm": 0o600} == modes


def test_an_existing_files_mode_is_left_alone(path: Path) -> None:
    """A file made by the operator beforehand keeps the mode they gave it."""
    path.touch()
    path.chmod(0o640)
    with umask(0o022), Ledger.open(f"sqlite:///{path}"):
        pass
    assert 0o640 == stat.S_IMODE(path.stat().st_mode)


# --------------------------------------------------------------------------- append-only

_KEYS = {"ledger_meta": "key", "ledger_contacts": "contact_id", "ledger_events": "event_id"}
# A stored row of each table (by its key), and a column of it to change.
_STORED = {"ledger_meta": "schema_version", "ledger_contacts": "c-1", "ledger_events": "e-1"}
_VALUE = {"ledger_meta": "value", "ledger_contacts": "urgency", "ledger_events": "event"}


def _statements(path: Path, table: str) -> dict[str, str]:
    """Each way raw SQL could change or remove a stored row of *table*."""
    key, value = _KEYS[table], _VALUE[table]
    # The columns but the rowid (ledger_events.seq is it).
    columns = [r[1] for r in raw(path, f"PRAGMA table_info({table})") if r[1] != "seq"]
    listed = ", ".join(columns)

    def stored(changes: dict[str, str] | None = None) -> str:
        """A SELECT of the stored row, with *changes* to some of its columns."""
        chosen = ", ".join((changes or {}).get(c, c) for c in columns)
        return f"SELECT {chosen} FROM {table} WHERE {key} = '{_STORED[table]}'"  # noqa: S608

    ninety_nine = stored({value: "'99'"})
    another = stored({key: "'another'"})
    lowest, highest = f"(SELECT MIN({key}) FROM {table})", f"(SELECT MAX({key}) FROM {table})"  # noqa: S608
    return {
        "update": f"UPDATE {table} SET {value} = '99'",  # noqa: S608
        "delete": f"DELETE FROM {table}",  # noqa: S608
        "insert-or-replace": f"INSERT OR REPLACE INTO {table} ({listed}) {stored()}",
        "replace-into": f"REPLACE INTO {table} ({listed}) {ninety_nine}",
        # A new key with a stored rowid: REPLACE would delete the row that has it.
        "replace-rowid": (
            f"REPLACE INTO {table} (rowid, {listed}) "  # noqa: S608
            f"SELECT (SELECT MIN(rowid) FROM {table}), * FROM ({another})"
        ),
        "upsert": (
            f"INSERT INTO {table} ({listed}) {stored()} "
            f"ON CONFLICT ({key}) DO UPDATE SET {value} = '99'"
        ),
        # One row given another's key: UPDATE OR REPLACE would delete that other row.
        "update-or-replace": (
            f"UPDATE OR REPLACE {table} SET {key} = {highest} WHERE {key} = {lowest}"  # noqa: S608
        ),
    }


_KINDS = (
    "update",
    "delete",
    "insert-or-replace",
    "replace-into",
    "replace-rowid",
    "upsert",
    "update-or-replace",
)


@pytest.mark.parametrize("kind", _KINDS)
@pytest.mark.parametrize("table", list(_KEYS))
def test_raw_sql_cannot_change_or_remove_a_stored_row(
    path: Path, engine: Engine, assess: Assess, table: str, kind: str
) -> None:
    """UPDATE, DELETE and every REPLACE (which deletes the stored row without firing a
    DELETE trigger) are refused on ledger_meta, ledger_contacts and ledger_events.
    (UPDATE and DELETE of ledger_contacts and ledger_events were refused before.)"""
    with Ledger.open(f"sqlite:///{path}", policies=engine.ruleset.policies) as ledger:
        ledger.record_assessment(assess("c-1"))
        ledger.record("c-1", "need_assessed", at=T0 + timedelta(hours=1), event_id="e-1")
    statement = _statements(path, table)[kind]
    before = snapshot(path)
    with pytest.raises(sqlite3.IntegrityError, match=f"{table} is append-only"):
        raw(path, statement)
    assert before == snapshot(path)


def test_no_value_of_ledger_meta_changes_by_sql(path: Path) -> None:
    """The versions in ledger_meta change only by ``Ledger.migrate`` (which lifts the
    guard for its own transaction); raw SQL changes none of them."""
    Ledger.open(f"sqlite:///{path}").close()
    before = raw(path, "SELECT key, value FROM ledger_meta ORDER BY key")
    for sql in (
        "UPDATE ledger_meta SET value = '2' WHERE key = 'projection_format'",
        "UPDATE ledger_meta SET value = '2' WHERE key = 'schema_version'",
        "UPDATE ledger_meta SET key = 'schema_version' WHERE key = 'projection_format'",
        "UPDATE OR REPLACE ledger_meta SET rowid = rowid + 1 WHERE key = 'projection_format'",
        "DELETE FROM ledger_meta WHERE key = 'projection_format'",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw(path, sql)
    assert before == raw(path, "SELECT key, value FROM ledger_meta ORDER BY key")
    assert [("projection_format", "3"), ("schema_version", "1")] == before


def test_a_ledger_made_before_the_guards_gains_them_by_migrate(
    path: Path, engine: Engine, assess: Assess
) -> None:
    """A ledger of an earlier version (no REPLACE or ledger_meta guards) is refused on
    opening with the command to run (opening never changes a schema); ``Ledger.migrate``
    gives it the guards."""
    url = f"sqlite:///{path}"
    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
        ledger.record_assessment(assess("c-1"))
    for table in _KEYS:
        raw(path, f"DROP TRIGGER {table}_no_replace")
    raw(path, "DROP TRIGGER ledger_meta_no_update")
    raw(path, "DROP TRIGGER ledger_meta_no_delete")
    with pytest.raises(LedgerStoreError, match=r"ledger_meta_no_update.*onecontact ledger migrate"):
        Ledger.open(url)
    assert "ledger_meta_no_replace" in Ledger.migrate(url)
    Ledger.open(url).close()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw(path, "REPLACE INTO ledger_meta (key, value) VALUES ('schema_version', '1')")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw(path, "DELETE FROM ledger_meta")


def test_the_api_still_records_idempotently_past_the_guards(
    path: Path, engine: Engine, assess: Assess
) -> None:
    """The same assessment and event again store nothing and are no error; the ledger
    opens again without writing its metadata twice."""
    url = f"sqlite:///{path}"
    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
        assert ledger.record_assessment(assess("c-1"))
        assert not ledger.record_assessment(assess("c-1"))
        assert ledger.record("c-1", "need_assessed", at=T0, event_id="e-1")
        assert not ledger.record("c-1", "need_assessed", at=T0, event_id="e-1")
    before = snapshot(path)
    Ledger.open(url, policies=engine.ruleset.policies).close()
    assert before == snapshot(path)


# --------------------------------------------------------------------------- instants

FAR = [
    pytest.param(datetime(9999, 12, 31, 23, 30, tzinfo=UTC), id="9999"),
    pytest.param(datetime(2100, 1, 1, tzinfo=UTC), id="2100"),
    pytest.param(datetime(1969, 12, 31, 12, tzinfo=UTC), id="1969"),
    pytest.param(datetime(1, 1, 1, 12, tzinfo=UTC), id="0001"),
]


@pytest.mark.parametrize("far", FAR)
def test_an_event_outside_the_supported_years_is_refused_and_nothing_is_written(
    path: Path, engine: Engine, assess: Assess, far: datetime
) -> None:
    with Ledger.open(f"sqlite:///{path}", policies=engine.ruleset.policies) as ledger:
        ledger.record_assessment(assess("c-1"))
        before = snapshot(path)
        with pytest.raises(LedgerArgumentError, match="years 1970-2099") as info:
            ledger.record("c-1", "care_offered", at=far, event_id="far")
        assert ("timestamp-out-of-range", "at") == (info.value.code, info.value.field)
        good = LedgerEvent("c-1", "need_assessed", T0, "fine")
        with pytest.raises(LedgerArgumentError) as info:
            ledger.record_many([good, LedgerEvent("c-1", "care_offered", far, "far")])
        assert "events[1].at" == info.value.field
        late = attrs.evolve(assess("c-2"), received_at=far)
        with pytest.raises(LedgerArgumentError) as info:
            ledger.record_assessment(late)
        assert "received_at" == info.value.field
        assert before == snapshot(path)
        # Still readable, every read of the contact as before.
        assert 1 == len(ledger.events("c-1"))
        assert ledger.clocks("c-1", now=NOW)


@pytest.mark.parametrize("far", FAR)
def test_reads_at_a_moment_outside_the_supported_years_are_refused(
    path: Path, far: datetime
) -> None:
    with Ledger.open(f"sqlite:///{path}") as ledger:
        for call, field in (
            (lambda: ledger.clocks("c-1", now=far), "now"),
            (lambda: ledger.due(now=far), "now"),
            (lambda: list(ledger.contacts(now=far)), "now"),
            (lambda: ledger.report(since=far, until=NOW), "since"),
            (lambda: ledger.report(since=T0, until=far), "until"),
            (lambda: ledger.report(since=T0, until=NOW, now=far), "now"),
        ):
            with pytest.raises(LedgerArgumentError) as info:
                call()
            assert ("timestamp-out-of-range", field) == (info.value.code, info.value.field)


def test_an_old_ledgers_events_outside_the_supported_years_are_left_out_and_logged(
    filled: Path, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Rows an earlier version stored (it took any instant) no longer break every read:
    each is left out, logged once, and the event can be recorded again rightly."""
    far_us = micros(datetime(9999, 12, 31, 23, 30, tzinfo=UTC))
    raw(
        filled,
        "INSERT INTO ledger_events (event_id, contact_id, event, at_us) VALUES (?, ?, ?, ?)",
        ("far-1", "c-2", "need_assessed", far_us),
    )
    raw(
        filled,
        "INSERT INTO ledger_events (event_id, contact_id, event, at_us) VALUES (?, ?, ?, ?)",
        ("far-2", "c-2", "care_offered", micros(datetime(2200, 6, 1, tzinfo=UTC))),
    )
    url = f"sqlite:///{filled}"
    with (
        caplog.at_level(logging.WARNING, logger="oneContact.ledger"),
        Ledger.open(url, policies=engine.ruleset.policies) as ledger,
    ):
        assert ["contact_received"] == [e.event for e in ledger.events("c-2")]
        clocks = {c.id: c for c in ledger.clocks("c-2", now=NOW)}
        assert "breached" == clocks["need_assessment"].status  # as if never assessed
        assert "c-2" in {c.contact_id for c in ledger.due(now=NOW)}
        report = ledger.report(since=T0 - timedelta(days=1), until=NOW)
        assert report.total.clocks == 3 * 1 + 2 * 1  # need_assessment x3, care x2
        # The same id again with the right instant is a clear conflict, not a crash.
        with pytest.raises(Exception, match="already recorded as need_assessed") as conflict:
            ledger.record("c-2", "need_assessed", at=T0 + timedelta(hours=3), event_id="far-1")
        assert "event-id-conflict" == conflict.value.code  # type: ignore[attr-defined]
        # A new id records it rightly: the clock stops.
        ledger.record("c-2", "need_assessed", at=T0 + timedelta(hours=3), event_id="right-1")
        clocks = {c.id: c for c in ledger.clocks("c-2", now=NOW)}
        assert "met" == clocks["need_assessment"].status
    warnings = [r.getMessage() for r in caplog.records if r.name == "oneContact.ledger"]
    assert 2 == len(warnings), warnings  # once each, however often read
    assert any(
        "'c-2' has a need_assessed event at 9999-12-31T23:30:00+00:00" in w for w in warnings
    )
    assert any("'c-2' has a care_offered event at 2200-06-01T03:00:00+03:00" in w for w in warnings)
    assert all("outside the years 1970-2099" in w for w in warnings)


def test_an_old_ledgers_contact_received_outside_the_supported_years(
    filled: Path, engine: Engine
) -> None:
    """Its clocks cannot be judged: clocks() says so, naming it; every other read goes on
    without it."""
    far_us = micros(datetime(2200, 1, 1, tzinfo=UTC))
    columns = [r[1] for r in raw(filled, "PRAGMA table_info(ledger_contacts)")]
    copied = ", ".join(
        "'c-far'" if c == "contact_id" else "?" if c == "received_us" else c for c in columns
    )
    raw(
        filled,
        f"INSERT INTO ledger_contacts SELECT {copied} FROM ledger_contacts "  # noqa: S608
        "WHERE contact_id = 'c-2'",
        (far_us,),
    )
    raw(
        filled,
        "INSERT INTO ledger_events (event_id, contact_id, event, at_us) VALUES (?, ?, ?, ?)",
        ("contact_received/c-far", "c-far", "contact_received", far_us),
    )
    with Ledger.open(f"sqlite:///{filled}", policies=engine.ruleset.policies) as ledger:
        with pytest.raises(LedgerStoreError, match="'c-far' was stored") as info:
            ledger.clocks("c-far", now=NOW)
        assert "time-out-of-range" == info.value.code
        assert "2200-01-01T02:00:00+02:00" in str(info.value)
        assert "c-far" not in {c.contact_id for c in ledger.due(now=NOW, within_weekdays=99)}
        assert "c-far" not in {c.contact_id for c in ledger.contacts(now=NOW)}
        assert () == ledger.events("c-far")
        ledger.report(since=T0 - timedelta(days=1), until=NOW)


# --------------------------------------------------------------------------- read-only


def test_a_ledger_opened_read_only_reads_and_refuses_writes(filled: Path, engine: Engine) -> None:
    """``?mode=ro``: SQLite's own read-only mode. Opening writes nothing (not the index a
    build dropped, the guard an older version lacked, or a stale projection format); reads give what the writable
    ledger gives; a write is a clear LedgerError."""
    policies = engine.ruleset.policies
    with Ledger.open(f"sqlite:///{filled}", policies=policies) as ledger:
        expected = views(ledger)
    raw(filled, "DROP INDEX ledger_clock_rows_due")
    # As a copy made by a version of another projection format, before ledger_meta's guard.
    raw(filled, "DROP TRIGGER ledger_meta_no_update")
    raw(filled, "UPDATE ledger_meta SET value = '2' WHERE key = 'projection_format'")
    before = (snapshot(filled), raw(filled, "SELECT name FROM sqlite_master ORDER BY name"))
    with Ledger.open(f"sqlite:///{filled}?mode=ro", policies=policies) as ledger:
        assert expected == views(ledger)
        with pytest.raises(LedgerUnavailableError, match="read-only") as info:
            ledger.record("c-2", "need_assessed", at=T0, event_id="e-2")
        assert "read-only" == info.value.code
        with pytest.raises(LedgerUnavailableError, match="read-only"):
            ledger.record_assessment(attrs.evolve(ledger_assessment(engine), contact_id="c-9"))
    after = (snapshot(filled), raw(filled, "SELECT name FROM sqlite_master ORDER BY name"))
    assert before == after


def test_a_read_only_ledger_in_another_journal_mode_is_read_as_it_is(
    filled: Path, engine: Engine
) -> None:
    """A copy in rollback-journal mode (as ``.backup`` may leave it) is not switched to
    WAL when it is only read: switching is a write."""
    policies = engine.ruleset.policies
    with Ledger.open(f"sqlite:///{filled}", policies=policies) as ledger:
        expected = views(ledger)
    raw(filled, "PRAGMA journal_mode = DELETE")
    with Ledger.open(f"sqlite:///{filled}?mode=ro", policies=policies) as ledger:
        assert expected == views(ledger)
    assert [("delete",)] == raw(filled, "PRAGMA journal_mode")


def ledger_assessment(engine: Engine) -> Assessment:
    return engine.assess(
        {
            "contact_id": "c-9",
            "received_at": T0.isoformat(),
            "channel": "phone",
            "client": {"age": 40},
            "concerns": ["acute_symptom"],
            "answers": {},
        }
    )


def test_a_read_only_ledger_that_is_not_there_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(LedgerUnavailableError, match="no ledger at"):
        Ledger.open(f"sqlite:///{tmp_path / 'none.db'}?mode=ro")
    assert [] == list(tmp_path.iterdir())


def test_an_empty_read_only_file_is_a_clear_error(path: Path) -> None:
    path.touch()
    with pytest.raises(LedgerUnavailableError, match="lacks tables") as info:
        Ledger.open(f"sqlite:///{path}?mode=ro")
    assert "read-only" == info.value.code
    assert 0 == path.stat().st_size


@pytest.mark.skipif(
    AS_ROOT,
    reason="running as root: chmod does not stop root writing (?mode=ro and the "
    "read-only mount test cover a read-only store)",
)
def test_a_read_only_file_in_a_read_only_directory_can_be_read(
    filled: Path, engine: Engine
) -> None:  # pragma: no cover - runs only when not root
    policies = engine.ruleset.policies
    with Ledger.open(f"sqlite:///{filled}", policies=policies) as ledger:
        expected = views(ledger)
    filled.chmod(0o444)
    filled.parent.chmod(0o555)
    try:
        with Ledger.open(f"sqlite:///{filled}", policies=policies) as ledger:
            assert expected == views(ledger)
            with pytest.raises(LedgerUnavailableError, match="read-only"):
                ledger.record("c-2", "need_assessed", at=T0, event_id="e-2")
    finally:
        filled.parent.chmod(0o755)
        filled.chmod(0o600)


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of *size* mounted at *where*; skips when this process cannot mount."""
    where.mkdir()
    if not AS_ROOT or MOUNT is None or UMOUNT is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    done = subprocess.run(
        [MOUNT, "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run([UMOUNT, "-l", str(where)], check=False)


def test_a_ledger_on_a_read_only_file_system_can_be_read(
    tmp_path: Path, engine: Engine, assess: Assess
) -> None:
    """A real read-only mount: no -wal or -shm can be made, so the file is read as
    immutable (its -wal was emptied when the writer closed)."""
    policies = engine.ruleset.policies
    with tmpfs(tmp_path / "mnt", "4m") as mnt:
        url = f"sqlite:///{mnt / 'ledger.db'}"
        with Ledger.open(url, policies=policies) as ledger:
            for n in range(3):
                ledger.record_assessment(assess(f"c-{n}"))
            ledger.record("c-0", "need_assessed", at=T0 + timedelta(hours=2), event_id="e-0")
            expected = views(ledger)
        subprocess.run([MOUNT, "-o", "remount,ro", str(mnt)], check=True)
        with Ledger.open(url, policies=policies) as ledger:
            assert expected == views(ledger)
            with pytest.raises(LedgerUnavailableError, match="read-only") as info:
                ledger.record("c-1", "need_assessed", at=T0, event_id="e-1")
            assert "read-only" == info.value.code
        assert ["ledger.db"] == sorted(p.name for p in mnt.iterdir())


# --------------------------------------------------------------------------- full disk


def fill(ledger: Ledger, assess: Assess, *, first: int) -> tuple[int, LedgerUnavailableError]:
    """Record contacts c-<first>, c-<first + 1>, ... until the store is full: the last
    one acknowledged, and the error that refused the next."""
    for n in range(first, 100_000):
        try:
            ledger.record_assessment(assess(f"c-{n}"))
        except LedgerUnavailableError as error:
            return n - 1, error
    raise AssertionError("never full")


def test_a_full_disk_is_a_clear_error_that_loses_nothing(
    path: Path, engine: Engine, assess: Assess
) -> None:
    """SQLite's own SQLITE_FULL, by a page limit on the ledger's connection: the refused
    write stores nothing, every acknowledged one is kept, and the worklist, clocks and
    reports go on (the projection cannot be caught up, so they judge from the events)."""
    with Ledger.open(f"sqlite:///{path}", policies=engine.ruleset.policies) as ledger:
        ledger.record_assessment(assess("c-0"))
        ledger.due(now=NOW)  # the projection, caught up
        for n in range(1, 301):  # 300 contacts the projection is behind by
            ledger.record_assessment(assess(f"c-{n}"))
        # The ledger's own connection (this thread's), limited to the pages it has.
        conn = ledger._session().conn  # type: ignore[attr-defined]
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages}")
        acknowledged, error = fill(ledger, assess, first=301)
        assert "disk-full" == error.code
        assert "disk holding the ledger" in str(error)
        assert "everything acknowledged before is kept" in str(error)
        before = snapshot(path)
        with pytest.raises(LedgerUnavailableError, match="full"):
            ledger.record_many(
                [
                    LedgerEvent("c-0", "care_offered", T0 + timedelta(hours=h), f"b-{h}")
                    for h in range(500)
                ]
            )
        assert before == snapshot(path)
        stored = {c for (c,) in raw(path, "SELECT contact_id FROM ledger_contacts")}
        assert {f"c-{n}" for n in range(acknowledged + 1)} == stored
        # Catching the projection up needs pages it cannot have: judged from the events.
        due = ledger.due(now=NOW)
        assert {f"c-{n}" for n in range(acknowledged + 1)} == {c.contact_id for c in due}
        assert [(1, 1)] == raw(path, "SELECT projection_id, through_seq FROM ledger_projections")
        assert ledger.clocks(f"c-{acknowledged}", now=NOW)
        report = ledger.report(since=T0 - timedelta(days=1), until=NOW)
        assert report.total.clocks == acknowledged + 1
        conn.execute("PRAGMA max_page_count = 1073741823")  # space again
        assert ledger.record("c-0", "need_assessed", at=T0, event_id="after")


def test_a_full_file_system_is_a_clear_error_that_loses_nothing(
    tmp_path: Path, engine: Engine, assess: Assess
) -> None:
    """The same on a real full file system: a tmpfs of 512 KiB (SQLite then fails to
    grow its -wal, ENOSPC)."""
    with tmpfs(tmp_path / "mnt", "512k") as mnt:
        url = f"sqlite:///{mnt / 'ledger.db'}"
        with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
            acknowledged, error = fill(ledger, assess, first=0)
            assert "disk-full" == error.code
            assert acknowledged > 0
            due = ledger.due(now=NOW)
            assert {f"c-{n}" for n in range(acknowledged + 1)} == {c.contact_id for c in due}
        with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
            assert acknowledged + 1 == sum(1 for _ in ledger.contacts(now=NOW))
