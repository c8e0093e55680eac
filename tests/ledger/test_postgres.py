"""The PostgreSQL ledger in a service: its bounded connection pool (threads, processes,
fork), the errors an unreachable or refusing server gives, append-only against raw SQL,
the explicit migrate step, the roles a service needs, and the schema a URL chooses
(docs/reference/ledger-postgresql.md).

Each test gets a schema of its own (``fresh_ledger_url``), and roles named with a random
suffix, dropped afterwards: parallel test workers never meet.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from oneContact.clocks import HELSINKI
from oneContact.engine import Engine
from oneContact.errors import (
    LedgerArgumentError,
    LedgerError,
    LedgerStoreError,
    LedgerUnavailableError,
)
from oneContact.ledger import Ledger
from oneContact.suggestions import Feedback, suggestions_of

from ..conftest import PG_URL, fresh_ledger_url, pg_admin

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 3, 4, 10, 0, tzinfo=HELSINKI)
SECRET = "s3cret-pw"  # noqa: S105 - a test password that must never show


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_directory(REPO / "rules", backend="python")


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    """A migrated ledger in a schema of its own."""
    yield from fresh_ledger_url("postgresql", tmp_path, "ledger_pg")


@pytest.fixture
def bare_url(tmp_path: Path) -> Iterator[str]:
    """An empty schema of its own: no ledger tables."""
    yield from fresh_ledger_url("postgresql", tmp_path, "ledger_bare", migrated=False)


def _assessment(engine: Engine, contact_id: str, received: datetime) -> Any:
    return engine.assess(
        {
            "contact_id": contact_id,
            "received_at": received.isoformat(),
            "channel": "phone",
            "client": {"age": 40},
            "concerns": ["acute_symptom"],
            "answers": {},
        }
    )


def _named(url: str, name: str) -> str:
    return f"{url}&application_name={name}"


def _connections(name: str) -> int:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as pg:
        row = pg.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
        ).fetchone()
    return int(row[0]) if row else 0


class _Sampler(threading.Thread):
    """Counts the server's connections of one application_name every few ms."""

    def __init__(self, name: str) -> None:
        super().__init__(daemon=True)
        self.name_ = name
        self.most = 0
        self.samples = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as pg:
            while not self.stop.is_set():
                row = pg.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    (self.name_,),
                ).fetchone()
                self.most = max(self.most, int(row[0]) if row else 0)
                self.samples += 1
                time.sleep(0.005)


def _work(ledger: Ledger, engine: Engine, tag: str, rounds: int, errors: list[str]) -> None:
    """One thread of a service: record a contact and its events, read them back."""
    try:
        for n in range(rounds):
            contact_id = f"{tag}-{n}"
            received = T0 + timedelta(minutes=n)
            ledger.record_assessment(_assessment(engine, contact_id, received))
            ledger.record(
                contact_id,
                "need_assessed",
                at=received + timedelta(hours=1),
                event_id=f"{contact_id}.na",
            )
            assert 2 == len(ledger.events(contact_id))
            ledger.clocks(contact_id, now=received + timedelta(days=1))
            if n % 3 == 0:
                ledger.due(now=received + timedelta(days=1))
    except Exception as exc:  # the figure the test reports: every error, by kind
        errors.append(f"{type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- the pool


def test_more_threads_than_the_pool_never_open_more_connections(url: str, engine: Engine) -> None:
    """16 threads share a ledger of the default pool_size (4): the server never sees more
    than 4 of its connections (one connection per thread kept forever would have made
    16), and every call succeeds."""
    name = f"pool_{uuid.uuid4().hex[:10]}"
    sampler = _Sampler(name)
    errors: list[str] = []
    with Ledger.open(_named(url, name), policies=engine.ruleset.policies) as ledger:
        sampler.start()
        threads = [
            threading.Thread(target=_work, args=(ledger, engine, f"t{i}", 6, errors))
            for i in range(16)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sampler.stop.set()
        sampler.join()
        assert 16 * 6 == len(list(ledger.contacts(now=T0 + timedelta(days=30))))
    assert [] == errors
    assert sampler.samples > 10
    assert 1 <= sampler.most <= 4
    # Closing the ledger closes its pool.
    assert 0 == _connections(name)


def _process(url: str, tag: str, threads: int, rounds: int, queue: Any) -> None:
    engine = Engine.from_directory(REPO / "rules", backend="python")
    errors: list[str] = []
    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:  # pool_size 4
        workers = [
            threading.Thread(target=_work, args=(ledger, engine, f"{tag}t{i}", rounds, errors))
            for i in range(threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    queue.put(errors)


# fork() is the point: a pre-fork web server (gunicorn's 4 workers) forks a parent whose
# psycopg_pool has threads; Python 3.12+ warns of that in general, and the ledger's
# pid-keyed pools are what make it safe here.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_four_processes_of_forty_threads_share_the_server(url: str) -> None:
    """A 4-worker service with 160 concurrent callers (the issue's "too many clients"):
    every call succeeds, and the server holds at most 4 x pool_size of its
    connections."""
    name = f"probe_{uuid.uuid4().hex[:10]}"
    sampler = _Sampler(name)
    sampler.start()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [
        context.Process(target=_process, args=(_named(url, name), f"p{n}", 40, 2, queue))
        for n in range(4)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    sampler.stop.set()
    sampler.join()
    assert [[], [], [], []] == results
    assert [0, 0, 0, 0] == [p.exitcode for p in processes]
    assert 1 <= sampler.most <= 16
    with Ledger.open(url) as ledger:
        assert 4 * 40 * 2 == len(list(ledger.contacts(now=T0 + timedelta(days=30))))


def _child_work(ledger: Ledger, engine: Engine, queue: Any) -> None:
    errors: list[str] = []
    _work(ledger, engine, "child", 5, errors)
    queue.put(errors)


# fork() is the point: a pre-fork web server (gunicorn's 4 workers) forks a parent whose
# psycopg_pool has threads; Python 3.12+ warns of that in general, and the ledger's
# pid-keyed pools are what make it safe here.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_pool_made_before_fork_is_not_used_by_the_child(url: str, engine: Engine) -> None:
    """A ledger used, then inherited through fork(): the child makes a pool of its own
    (sharing the parent's sockets would mix both sessions' messages), and the parent's
    connections keep working meanwhile and after."""
    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
        errors: list[str] = []
        _work(ledger, engine, "parent", 3, errors)
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=_child_work, args=(ledger, engine, queue))
        child.start()
        _work(ledger, engine, "parent-during", 5, errors)
        assert [] == queue.get(timeout=120)
        child.join(timeout=60)
        assert 0 == child.exitcode
        _work(ledger, engine, "parent-after", 3, errors)
        assert [] == errors
        assert 16 == len(list(ledger.contacts(now=T0 + timedelta(days=30))))


def test_a_pool_that_stays_busy_times_out_clearly(url: str, engine: Engine) -> None:
    """Both connections of a pool of 2 held by open iterators: the next call waits
    busy_timeout seconds, then says the pool was busy and how to size it."""
    with Ledger.open(
        url, policies=engine.ruleset.policies, pool_size=2, busy_timeout=0.3
    ) as ledger:
        for n in range(2):
            ledger.record_assessment(_assessment(engine, f"c-{n}", T0))
        held = [ledger.contacts(now=T0 + timedelta(days=1)) for _ in range(2)]
        for iterator in held:
            next(iterator)
        started = time.monotonic()
        with pytest.raises(LedgerUnavailableError, match="pool_size") as info:
            ledger.events("c-0")
        assert time.monotonic() - started < 5
        assert "pool-timeout" == info.value.code
        assert "became free within 0.3 s" in str(info.value)
        for iterator in held:
            iterator.close()
        assert 1 == len(ledger.events("c-0"))


@pytest.mark.parametrize("size", [0, 1, 1001, True, 2.5, "4", None])
def test_a_pool_size_out_of_range_is_refused(size: object) -> None:
    with pytest.raises(LedgerArgumentError, match="from 2 to 1000") as info:
        Ledger.open("postgresql://nobody@127.0.0.1:1/none", pool_size=size)  # type: ignore[arg-type]
    assert "pool_size" == info.value.field


# --------------------------------------------------------------------------- unreachable


def _with_password(url: str, **changes: Any) -> str:
    """*url* with the password SECRET and the given parts changed."""
    parts = urlsplit(url)
    user = changes.get("user", parts.username or "postgres")
    port = changes.get("port", parts.port or 5432)
    path = changes.get("path", parts.path)
    netloc = f"{user}:{SECRET}@{parts.hostname}:{port}"
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


@pytest.mark.parametrize(
    ("change", "error", "says"),
    [
        ({"port": 1}, LedgerUnavailableError, "Connection refused"),
        ({"path": "/no_such_database_x"}, LedgerUnavailableError, "does not exist"),
        ({"user": "no_such_role_x"}, LedgerUnavailableError, "does not exist"),
    ],
)
@pytest.mark.parametrize("call", ["open", "migrate"])
def test_an_unreachable_store_is_a_ledger_error_without_the_password(
    url: str, change: dict[str, Any], error: type[LedgerError], says: str, call: str
) -> None:
    import psycopg

    target = _with_password(url, **change)
    attempt = Ledger.open if call == "open" else Ledger.migrate
    with pytest.raises(LedgerError) as info:
        attempt(target)
    assert isinstance(info.value, error)
    assert isinstance(info.value.__cause__, psycopg.Error)
    assert says in str(info.value)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)


def test_a_server_that_refuses_the_role_is_a_ledger_error(url: str) -> None:
    """A role the server will not let in (no LOGIN; a connection limit reached)."""
    import psycopg

    role = f"refused_{uuid.uuid4().hex[:10]}"
    pg_admin(f"CREATE ROLE {role} NOLOGIN")
    try:
        with pytest.raises(LedgerUnavailableError, match="not permitted to log in") as info:
            Ledger.open(_with_password(url, user=role))
        assert SECRET not in str(info.value)
        assert isinstance(info.value.__cause__, psycopg.OperationalError)
        pg_admin(f"ALTER ROLE {role} LOGIN CONNECTION LIMIT 0")
        with pytest.raises(LedgerUnavailableError, match="too many connections"):
            Ledger.open(_with_password(url, user=role))
    finally:
        pg_admin(f"DROP ROLE {role}")


def test_a_url_libpq_cannot_read_never_shows_its_password() -> None:
    """libpq quotes a broken percent-escape in its error: the message must not."""
    bad = "postgresql://postgres:s3cret%zz@127.0.0.1:5432/test"
    with pytest.raises(LedgerArgumentError) as info:
        Ledger.open(bad)
    assert "bad-url" == info.value.code
    assert "s3cret" not in str(info.value)
    assert info.value.__cause__ is None  # nothing chained that quotes it either


def test_a_server_that_goes_away_while_the_pool_waits_says_why(url: str, engine: Engine) -> None:
    """Every connection of the pool dropped and no new one possible (here: the role may
    no longer log in): a call waits busy_timeout, then names the server's reason."""
    role = f"gone_{uuid.uuid4().hex[:10]}"
    schema = url.rsplit("%3D", 1)[1]
    pg_admin(f"CREATE ROLE {role} LOGIN")
    try:
        pg_admin(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        pg_admin(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
        target = _named(_with_password(url, user=role), role)
        with Ledger.open(target, busy_timeout=1.0) as ledger:
            assert () == ledger.events("c-1")
            pg_admin(f"ALTER ROLE {role} NOLOGIN")
            pg_admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "  # noqa: S608
                f"WHERE application_name = '{role}'"
            )
            with pytest.raises(LedgerUnavailableError, match="not permitted to log in") as info:
                ledger.events("c-1")
            assert SECRET not in str(info.value)
    finally:
        pg_admin(f"DROP OWNED BY {role}")
        pg_admin(f"DROP ROLE {role}")


# --------------------------------------------------------------------------- append-only


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE ledger_events CASCADE",
        "TRUNCATE ledger_contacts CASCADE",
        "TRUNCATE ledger_suggestions CASCADE",
        "TRUNCATE ledger_feedback",
        "UPDATE ledger_suggestions SET rules = ''",
        "DELETE FROM ledger_suggestions",
        "UPDATE ledger_feedback SET reason = NULL",
        "DELETE FROM ledger_feedback",
        "TRUNCATE ledger_meta",
        "TRUNCATE ledger_contact_places",
        "UPDATE ledger_contact_places SET municipality = NULL",
        "DELETE FROM ledger_contact_places",
        "TRUNCATE ledger_feedback, ledger_suggestions, ledger_contact_places, ledger_events, "
        "ledger_contacts, ledger_meta",
        "UPDATE ledger_meta SET value = '2' WHERE key = 'schema_version'",
        "DELETE FROM ledger_meta",
        "INSERT INTO ledger_meta (key, value) VALUES ('schema_version', '9') "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        "UPDATE ledger_contacts SET urgency = 'self_care'",
        "DELETE FROM ledger_contacts",
        "UPDATE ledger_events SET at_us = 0",
        "DELETE FROM ledger_events",
    ],
)
def test_raw_sql_cannot_change_or_empty_the_ledger(
    url: str, engine: Engine, statement: str
) -> None:
    """Every ledger table is append-only against raw SQL too; nothing changes."""
    import psycopg

    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
        assessment = _assessment(engine, "c-1", T0)
        ledger.record_assessment(assessment)
        first = suggestions_of(assessment)[0]
        ledger.record_feedback(Feedback(first.id, "overridden", T0, "c-1.fb", "client_choice"))
    tables = ("ledger_meta", "ledger_contacts", "ledger_events", "ledger_suggestions",
              "ledger_feedback", "ledger_contact_places")  # fmt: skip
    with psycopg.connect(url, autocommit=True) as pg:
        before = [
            pg.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()  # noqa: S608
            for t in tables
        ]
        with pytest.raises(psycopg.errors.RaiseException, match="is append-only"):
            pg.execute(statement)
        after = [
            pg.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()  # noqa: S608
            for t in tables
        ]
    assert before == after
    assert before[2]
    assert before[4]


def test_a_ledger_without_the_new_triggers_is_refused_until_migrated(url: str) -> None:
    """A ledger made before TRUNCATE and ledger_meta were guarded (or whose trigger an
    owner disabled): opening names what it lacks and the command; migrate adds it."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("DROP TRIGGER ledger_meta_append_only ON ledger_meta")
        pg.execute("DROP TRIGGER ledger_events_no_truncate ON ledger_events")
        pg.execute("ALTER TABLE ledger_contacts DISABLE TRIGGER ledger_contacts_no_truncate")
    with pytest.raises(LedgerStoreError, match="onecontact ledger migrate") as info:
        Ledger.open(url)
    assert "needs-migrate" == info.value.code
    for name in (
        "ledger_meta_append_only",
        "ledger_events_no_truncate",
        "ledger_contacts_no_truncate",
    ):
        assert name in str(info.value)
    report = Ledger.migrate(url)
    assert "ledger_meta_append_only" in report
    Ledger.open(url).close()
    with psycopg.connect(url, autocommit=True) as pg:
        for statement in ("TRUNCATE ledger_events CASCADE", "TRUNCATE ledger_contacts CASCADE"):
            with pytest.raises(psycopg.errors.RaiseException):
                pg.execute(statement)


# --------------------------------------------------------------------------- migrate


def test_opening_an_empty_schema_says_the_command_and_changes_nothing(bare_url: str) -> None:
    import psycopg

    with pytest.raises(LedgerStoreError) as info:
        Ledger.open(bare_url)
    assert "needs-migrate" == info.value.code
    schema = bare_url.rsplit("%3D", 1)[1]
    assert f"onecontact ledger migrate '{bare_url}'" in str(info.value)
    with psycopg.connect(PG_URL, autocommit=True) as pg:
        found = pg.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = %s::regnamespace", (schema,)
        ).fetchone()
    assert (0,) == found


def test_migrate_is_idempotent_and_says_what_it_did(bare_url: str) -> None:
    first = Ledger.migrate(bare_url)
    assert "migrated to ledger schema version 1" in first
    assert "created the ledger's tables" in first
    schema = bare_url.rsplit("%3D", 1)[1]
    assert f"(schema {schema})" in first
    assert "nothing was changed" in Ledger.migrate(bare_url)
    Ledger.open(bare_url).close()


def test_migrate_from_the_command_line(bare_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from oneContact.cli import main

    assert 0 == main(["ledger", "migrate", bare_url])
    out, err = capsys.readouterr()
    assert 1 == len(out.splitlines())
    assert "created the ledger's tables" in out
    assert "" == err
    assert 0 == main(["ledger", "migrate", bare_url])
    assert "nothing was changed" in capsys.readouterr().out
    assert 2 == main(["ledger", "migrate", _with_password(bare_url, port=1)])
    out, err = capsys.readouterr()
    assert "could not be used" in err
    assert SECRET not in err


def test_migrate_refuses_a_search_path_with_no_schema(bare_url: str) -> None:
    missing = bare_url.rsplit("%3D", 1)[0] + "%3Dno_such_schema_x"
    with pytest.raises(LedgerStoreError, match=r"CREATE SCHEMA") as info:
        Ledger.migrate(missing)
    assert "no-schema" == info.value.code


def test_the_search_path_chooses_the_schema(
    tmp_path: Path, bare_url: str, url: str, engine: Engine
) -> None:
    """Two schemas, two ledgers: options=-csearch_path%3Dname in the URL picks one; the
    tables are made in it."""
    import psycopg

    Ledger.migrate(bare_url)
    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
        ledger.record_assessment(_assessment(engine, "only-here", T0))
    with Ledger.open(bare_url, policies=engine.ruleset.policies) as other:
        assert () == other.events("only-here")
    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
        assert 1 == len(ledger.events("only-here"))
    schema = bare_url.rsplit("%3D", 1)[1]
    with psycopg.connect(PG_URL, autocommit=True) as pg:
        tables = {
            r[0]
            for r in pg.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            ).fetchall()
        }
    assert {"ledger_meta", "ledger_contacts", "ledger_events"} <= tables


# --------------------------------------------------------------------------- roles


@pytest.fixture
def roles(url: str) -> Iterator[tuple[str, str]]:
    """A writer role (SELECT and INSERT on the ledger; SELECT, INSERT, UPDATE, DELETE on
    the clock projection) and a reader role (SELECT), as the reference page grants
    them: their URLs."""
    schema = url.rsplit("%3D", 1)[1]
    suffix = uuid.uuid4().hex[:10]
    writer, reader = f"writer_{suffix}", f"reader_{suffix}"
    pg_admin(f"CREATE ROLE {writer} LOGIN")
    pg_admin(f"CREATE ROLE {reader} LOGIN")
    try:
        pg_admin(f"GRANT USAGE ON SCHEMA {schema} TO {writer}, {reader}")
        pg_admin(
            f"GRANT SELECT, INSERT ON {schema}.ledger_meta, {schema}.ledger_contacts, "
            f"{schema}.ledger_events, {schema}.ledger_suggestions, {schema}.ledger_feedback, "
            f"{schema}.ledger_contact_places TO {writer}"
        )
        pg_admin(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.ledger_projections, "
            f"{schema}.ledger_clock_terms, {schema}.ledger_clock_rows TO {writer}"
        )
        pg_admin(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {reader}")
        parts = urlsplit(url)
        yield tuple(  # type: ignore[misc]
            urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))
            for role in (writer, reader)
        )
    finally:
        for role in (writer, reader):
            pg_admin(f"DROP OWNED BY {role}")
            pg_admin(f"DROP ROLE {role}")


def _use(ledger: Ledger) -> tuple[int, int, int]:
    """Read clocks, the worklist and a report: what a read-only dashboard does."""
    clocks = ledger.clocks("c-1", now=T0 + timedelta(days=2))
    due = ledger.due(now=T0 + timedelta(days=2), within_weekdays=30)
    report = ledger.report(since=T0 - timedelta(days=1), until=T0 + timedelta(days=1))
    return len(clocks), len(due), sum(row.clocks for row in report.rows)


def test_a_service_role_with_select_and_insert_records_and_reads(
    roles: tuple[str, str], url: str, engine: Engine
) -> None:
    writer, _ = roles
    with Ledger.open(writer, policies=engine.ruleset.policies) as ledger:
        assert ledger.record_assessment(_assessment(engine, "c-1", T0))
        assert ledger.record("c-1", "need_assessed", at=T0 + timedelta(hours=1), event_id="e1")
        assert not ledger.record("c-1", "need_assessed", at=T0 + timedelta(hours=1), event_id="e1")
        clocks, due, counted = _use(ledger)
        # The service role keeps the clock projection (reports need not judge every
        # clock from the events): it caught up through the last event.
        assert _projected(url) == 2
    with Ledger.open(url, policies=engine.ruleset.policies) as owner:
        assert (clocks, due, counted) == _use(owner)
    assert clocks >= 2
    assert counted >= 2


def _projected(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg:
        row = pg.execute("SELECT max(through_seq) FROM ledger_projections").fetchone()
    return int(row[0]) if row and row[0] is not None else -1


def test_a_select_only_role_reads_and_a_write_is_a_clear_error(
    roles: tuple[str, str], url: str, engine: Engine
) -> None:
    _, reader = roles
    with Ledger.open(url, policies=engine.ruleset.policies) as owner:
        owner.record_assessment(_assessment(engine, "c-1", T0))
        expected = _use(owner)
    with Ledger.open(reader, policies=engine.ruleset.policies) as ledger:
        assert expected == _use(ledger)
        with pytest.raises(LedgerStoreError, match="permission denied") as info:
            ledger.record("c-1", "need_assessed", at=T0 + timedelta(hours=1), event_id="e1")
        assert "permission-denied" == info.value.code
        assert "SELECT and INSERT" in str(info.value)
    with Ledger.open(url, policies=engine.ruleset.policies) as owner:
        assert 1 == len(owner.events("c-1"))


def test_a_service_role_cannot_migrate(roles: tuple[str, str], url: str) -> None:
    """migrate needs the tables' owner; a service role gets a clear error and the store
    is unchanged."""
    writer, _ = roles
    pg_admin(f"DROP TRIGGER ledger_meta_no_truncate ON {url.rsplit('%3D', 1)[1]}.ledger_meta")
    with pytest.raises(LedgerStoreError, match="may not do that") as info:
        Ledger.migrate(writer)
    assert "permission-denied" == info.value.code
    assert "needs-migrate" == _refusal(url)
    Ledger.migrate(url)
    Ledger.open(writer).close()


def _refusal(url: str) -> str:
    with pytest.raises(LedgerStoreError) as info:
        Ledger.open(url)
    return info.value.code
