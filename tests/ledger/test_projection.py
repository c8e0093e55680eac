"""Tests of the clock projection behind Ledger.report and Ledger.due
(oneContact.ledger._projection).

The projection is a cache of judged clocks; whatever it holds, a report and a worklist
must give exactly what judging every clock again from the events gives. The reference here is the same
ledger opened with a host calendar of the same Finnish days (a calendar the projection
cannot name, so that ledger judges every clock from the events, as reports did before the
projection). Data sets are random but seeded: contacts over 2023-2025 (both law changes,
both Christmases), clients of every age, every event name in random order, repeats, and
events after the moment a report is judged at.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from oneContact.clocks import (
    HELSINKI,
    Calendar,
    ClockSubject,
    Policies,
    finnish_closed_days,
    micros,
)
from oneContact.engine import Assessment
from oneContact.errors import LedgerStoreError
from oneContact.ledger import Ledger, LedgerEvent, _catch_up, _projection, _schema
from oneContact.ledger._catch_up import Projector
from oneContact.routing import Route

from ..conftest import REPO, fresh_ledger_url

FIRST = datetime(2023, 6, 1, tzinfo=HELSINKI)
SPAN_DAYS = 760  # to the end of June 2025
SERVICES = (("nurse",), ("gp",), ("digital_chat", "nurse"), ("social_worker",), ())
KINDS = {"nurse": "team_member", "gp": "team_member", "social_worker": "team_member"}
PERIODS = (
    # (since, until, now): whole span; around the 2025 change with a past now (many
    # contacts then have events after it); one month judged while it runs.
    (FIRST, FIRST + timedelta(days=SPAN_DAYS + 200), FIRST + timedelta(days=SPAN_DAYS + 200)),
    (datetime(2024, 11, 1, tzinfo=HELSINKI), datetime(2025, 2, 1, tzinfo=HELSINKI),
     datetime(2025, 1, 15, 12, tzinfo=HELSINKI)),
    (datetime(2023, 8, 1, tzinfo=HELSINKI), datetime(2023, 10, 1, tzinfo=HELSINKI), None),
)  # fmt: skip


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.from_directory(REPO / "rules" / "policies", region="etela-pohjanmaa")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_ledger_url(request.param, tmp_path, "projection_test")


def host_calendar() -> Calendar:
    """Finland's days, in a calendar of the host's own: no projection is kept for it."""
    return Calendar(finnish_closed_days, name="FI, as a host's own")


def assessment(
    policies: Policies,
    contact_id: str,
    received: datetime,
    subject: ClockSubject,
    clock_ids: tuple[str, ...],
    services: tuple[str, ...] = ("nurse",),
    others: dict[str, tuple[str, ClockSubject]] | None = None,
) -> Assessment:
    """An assessment that started *clock_ids* for the client *subject*, and those in
    *others* (clock id -> person id and subject) for another person."""
    return Assessment(
        contact_id=contact_id,
        received_at=received,
        urgency="non_urgent",
        needs=(),
        routes=tuple(Route(KINDS.get(s, "digital_channel"), s, "test") for s in services),
        clocks=policies.compute(clock_ids, subject=subject, received_at=received, others=others),
        fired=(),
        ruleset_digest="0" * 64,
        backend="python",
        subject=subject,
        person_subjects=dict((others or {}).values()),
    )


def record_random(ledger: Ledger, policies: Policies, rng: random.Random, count: int,
                  prefix: str = "p", *, persons: bool = False) -> list[str]:  # fmt: skip
    """Record *count* random contacts with their events; their ids. With *persons*, about
    half the clocks follow another person's right (a child or a person cared for, of any
    age, unknown included, some with the highest care allowance)."""
    clock_ids = sorted(policies.clock_ids)
    names = sorted(policies.events - {"contact_received"})
    ids = []
    events: list[LedgerEvent] = []
    for n in range(count):
        contact_id = f"{prefix}{n:05d}"
        received = FIRST + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
        subject = ClockSubject(age=rng.choice((0, 5, 15, 19, 22, 23, 24, 40, 70, 90)))
        chosen = tuple(rng.sample(clock_ids, rng.randint(1, 6)))
        services = rng.choice(SERVICES)
        others = random_others(rng, chosen) if persons else None
        ledger.record_assessment(
            assessment(policies, contact_id, received, subject, chosen, services, others)
        )
        for k in range(rng.randint(0, 7)):
            at = received + timedelta(minutes=rng.randrange(150 * 24 * 60))
            events.append(LedgerEvent(contact_id, rng.choice(names), at, f"{contact_id}.{k}"))
        ids.append(contact_id)
    ledger.record_many(events)
    return ids


def random_others(
    rng: random.Random, clock_ids: tuple[str, ...]
) -> dict[str, tuple[str, ClockSubject]]:
    """About half of *clock_ids*, each for a child or a person cared for (one subject
    each per contact)."""
    people = {
        person: ClockSubject(
            age=rng.choice((None, 3, 15, 22, 23, 60, 74, 75, 90)),
            highest_care_allowance=rng.random() < 0.2,
            special_support_child=rng.random() < 0.2,
        )
        for person in ("child", "cared_for")
    }
    chosen = {}
    for clock_id in clock_ids:
        if rng.random() < 0.5:
            person = rng.choice(("child", "cared_for"))
            chosen[clock_id] = (person, people[person])
    return chosen


def worklists_agree(projected: Ledger, direct: Ledger) -> int:
    """The worklist at several moments (with events after most of them), the same from
    both ledgers; the number of clocks listed."""
    listed = 0
    for days in (30, 200, 420, 600, SPAN_DAYS + 200):
        now = FIRST + timedelta(days=days, hours=days % 24)
        for within in (0, 1, 5):
            mine = [c.to_json() for c in projected.due(now=now, within_weekdays=within)]
            reference = [c.to_json() for c in direct.due(now=now, within_weekdays=within)]
            assert reference == mine, (now, within)
            listed += len(mine)
    return listed


def reports_agree(projected: Ledger, direct: Ledger) -> int:
    """Every period's report, split every way, the same from both ledgers; the number of
    clocks counted."""
    counted = 0
    for since, until, now in PERIODS:
        for by in (["service", "age_group"], ["clock", "month"]):
            mine = projected.report(since=since, until=until, now=now, by=by)
            reference = direct.report(since=since, until=until, now=now, by=by)
            assert reference.to_json() == mine.to_json(), (since, until, now, by)
            counted += mine.total.clocks
    return counted


def alter(url: str, *statements: str | tuple[str, tuple[object, ...]]) -> None:
    """Change a SQLite ledger's own file behind its back, in one transaction."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        with conn:
            for statement in statements:
                sql, params = (statement, ()) if isinstance(statement, str) else statement
                conn.execute(sql, params)
    finally:
        conn.close()


def stored(url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows read from a SQLite ledger's own file."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_reports_from_the_projection_equal_judging_every_event(
    url: str, policies: Policies
) -> None:
    """First report (builds the projection), more events (incremental catch-up: new
    contacts, stops and withdrawals of old ones), and a report again: always the same as
    judging every clock from the events."""
    rng = random.Random(11)
    with (
        Ledger.open(url, policies=policies) as projected,
        Ledger.open(url, policies=policies, calendar=host_calendar()) as direct,
    ):
        ids = record_random(projected, policies, rng, 300)
        assert reports_agree(projected, direct) > 300
        assert worklists_agree(projected, direct) > 20
        later = FIRST + timedelta(days=SPAN_DAYS + 10)
        more = [
            LedgerEvent(cid, rng.choice(("care_started", "withdrawn", "need_assessed")),
                        later + timedelta(hours=n), f"{cid}.more")
            for n, cid in enumerate(rng.sample(ids, 60))
        ]  # fmt: skip
        projected.record_many(more)
        record_random(projected, policies, rng, 40, prefix="q")
        reports_agree(projected, direct)
        worklists_agree(projected, direct)


def test_clocks_that_follow_other_persons_agree_with_judging_every_event(
    url: str, policies: Policies
) -> None:
    """Contacts whose clocks follow a child's or a cared-for person's right: reports (age
    groups included) and worklists from the projection, first built and then caught up,
    equal judging every clock from the events; the worklist says whose right each clock
    follows."""
    rng = random.Random(23)
    with (
        Ledger.open(url, policies=policies) as projected,
        Ledger.open(url, policies=policies, calendar=host_calendar()) as direct,
    ):
        ids = record_random(projected, policies, rng, 250, persons=True)
        assert reports_agree(projected, direct) > 250
        assert worklists_agree(projected, direct) > 20
        now = FIRST + timedelta(days=SPAN_DAYS + 200)
        followed = {c.clock.person for c in projected.due(now=now, within_weekdays=5)}
        assert {None, "child", "cared_for"} == followed
        later = FIRST + timedelta(days=SPAN_DAYS + 10)
        projected.record_many(
            LedgerEvent(cid, "need_assessed", later + timedelta(hours=n), f"{cid}.more")
            for n, cid in enumerate(rng.sample(ids, 50))
        )
        record_random(projected, policies, rng, 30, prefix="q", persons=True)
        reports_agree(projected, direct)
        worklists_agree(projected, direct)


def test_a_catch_up_judges_only_the_contacts_with_new_events(
    tmp_path: Path, policies: Policies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first report, a report looks up only the contacts recorded since; past
    the bound, it judges the whole store again, and the figures are the same."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    rng = random.Random(5)
    judged: list[tuple[str, ...] | None] = []  # None: a whole build
    project, build = Projector._project, Projector._build

    def counting(self: Projector, session: Any, projection: int, high: int, chunk: Any) -> None:
        judged.append(tuple(chunk))
        project(self, session, projection, high, chunk)

    def building(self: Projector, projection: int, high: int, lease_us: int) -> int | None:
        judged.append(None)
        return build(self, projection, high, lease_us)

    monkeypatch.setattr(Projector, "_project", counting)
    monkeypatch.setattr(Projector, "_build", building)
    with (
        Ledger.open(url, policies=policies) as projected,
        Ledger.open(url, policies=policies, calendar=host_calendar()) as direct,
    ):
        ids = record_random(projected, policies, rng, 100)
        since, until = FIRST, FIRST + timedelta(days=900)
        projected.report(since=since, until=until)
        assert [None] == judged  # the first: every contact
        projected.report(since=since, until=until)
        assert [None] == judged  # nothing new: nothing judged
        at = FIRST + timedelta(days=SPAN_DAYS)
        projected.record(ids[7], "care_started", at=at, event_id="x1")
        projected.record(ids[3], "withdrawn", at=at, event_id="x2")
        first = projected.report(since=since, until=until)
        assert [None, (ids[3], ids[7])] == judged
        assert direct.report(since=since, until=until).to_json() == first.to_json()
        monkeypatch.setattr(_catch_up, "REPROJECT_ALL_ABOVE", 1)
        projected.record(ids[9], "care_started", at=at, event_id="x3")
        projected.record(ids[8], "care_started", at=at, event_id="x4")
        again = projected.report(since=since, until=until)
        assert [None, (ids[3], ids[7]), None] == judged
        assert direct.report(since=since, until=until).to_json() == again.to_json()
    ((through,),) = stored(url, "SELECT through_seq FROM ledger_projections")
    ((high,),) = stored(url, "SELECT MAX(seq) FROM ledger_events")
    assert high == through


def test_other_policies_keep_a_projection_of_their_own(tmp_path: Path, policies: Policies) -> None:
    """A ledger opened with the statute alone (no region) never reads the clocks judged
    with the region's targets: each set of policies has its own fingerprint and rows."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    statute = policies.with_region(None)
    assert statute.digest != policies.digest
    rng = random.Random(8)
    since, until = FIRST, FIRST + timedelta(days=900)
    with Ledger.open(url, policies=policies) as regional:
        record_random(regional, policies, rng, 80)
        with_targets = regional.report(since=since, until=until)
    with Ledger.open(url, policies=statute) as plain:
        without = plain.report(since=since, until=until)
    with Ledger.open(url, policies=statute, calendar=host_calendar()) as direct:
        assert direct.report(since=since, until=until).to_json() == without.to_json()
    assert with_targets.total.target_clocks > 0
    assert 0 == without.total.target_clocks
    assert 2 == len(stored(url, "SELECT fingerprint FROM ledger_projections"))


def test_a_projection_unused_for_a_week_is_dropped_when_another_is_built(
    tmp_path: Path, policies: Policies
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    since, until = FIRST, FIRST + timedelta(days=900)
    with Ledger.open(url, policies=policies) as regional:
        record_random(regional, policies, random.Random(2), 20)
        regional.report(since=since, until=until)
    alter(url, "UPDATE ledger_projections SET caught_up_us = 0")
    with Ledger.open(url, policies=policies.with_region(None)) as plain:
        plain.report(since=since, until=until)
    assert [(plain._fingerprint,)] == stored(url, "SELECT fingerprint FROM ledger_projections")
    ((kept,),) = stored(url, "SELECT projection_id FROM ledger_projections")
    for table in ("ledger_clock_rows", "ledger_clock_terms"):
        assert [(kept,)] == stored(url, f"SELECT DISTINCT projection_id FROM {table}")  # noqa: S608


def test_a_projection_of_another_format_is_dropped_by_migrate(
    tmp_path: Path, policies: Policies
) -> None:
    """Tables of another shape (an older or newer oneContact): opening is refused with the
    command to run; ``Ledger.migrate`` drops them, the next report builds them again; the
    events are untouched and the report is the same."""
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    since, until = FIRST, FIRST + timedelta(days=900)
    with Ledger.open(url, policies=policies) as ledger:
        record_random(ledger, policies, random.Random(6), 30)
        before = ledger.report(since=since, until=until)
    alter(
        url,
        # An older oneContact wrote format 0 before ledger_meta was guarded.
        "DROP TRIGGER ledger_meta_no_update",
        "UPDATE ledger_meta SET value = '0' WHERE key = 'projection_format'",
        "DROP TABLE ledger_clock_rows",
        "CREATE TABLE ledger_clock_rows (something_else INTEGER)",
    )
    with pytest.raises(
        LedgerStoreError, match=r"projection format 3 .it has 0.;.*: run `onecontact"
    ):
        Ledger.open(url, policies=policies)
    assert "it lacked: clock projection format 3 (it has 0)" in Ledger.migrate(url)
    with Ledger.open(url, policies=policies) as ledger:
        assert before.to_json() == ledger.report(since=since, until=until).to_json()
    assert [(str(_schema.PROJECTION_FORMAT),)] == stored(
        url, "SELECT value FROM ledger_meta WHERE key = 'projection_format'"
    )
    assert stored(url, "SELECT COUNT(*) FROM ledger_clock_rows")[0][0] > 0


def test_a_broken_projection_table_is_a_fault_not_a_quiet_fallback(
    tmp_path: Path, policies: Policies
) -> None:
    """Only a held lock or a read-only store sends a report to the events: a projection
    table of the right format but the wrong shape raises."""
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    since, until = FIRST, FIRST + timedelta(days=900)
    with Ledger.open(url, policies=policies) as ledger:
        ids = record_random(ledger, policies, random.Random(16), 10)
        ledger.report(since=since, until=until)
        alter(
            url,
            "DROP TABLE ledger_clock_rows",
            "CREATE TABLE ledger_clock_rows (something_else INTEGER)",
        )
        ledger.record(ids[0], "withdrawn", at=FIRST + timedelta(days=SPAN_DAYS), event_id="b")
        with pytest.raises(LedgerStoreError, match="no such column") as info:
            ledger.report(since=since, until=until)
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)


def test_writers_go_on_while_a_projection_is_built(
    tmp_path: Path, policies: Policies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build writes in batches of their own transactions: half-way through it another
    writer with a 50 ms busy_timeout records an event at once (it would have waited for
    the whole build). The event, after the build's snapshot, is caught up by the next
    report."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    since, until = FIRST, FIRST + timedelta(days=900)
    monkeypatch.setattr(_catch_up, "BUILD_BATCH", 5)
    with (
        Ledger.open(url, policies=policies) as projected,
        Ledger.open(url, policies=policies, busy_timeout=0.05) as other,
        Ledger.open(url, policies=policies, calendar=host_calendar()) as direct,
    ):
        ids = record_random(projected, policies, random.Random(12), 60)
        rows_of = Projector._judged_rows
        recorded: list[bool] = []

        def judged_rows(self: Projector, writer: Any, histories: Any) -> Iterator[Any]:
            for n, rows in enumerate(rows_of(self, writer, histories)):
                if n == 30:  # several batches written already
                    at = FIRST + timedelta(days=SPAN_DAYS)
                    recorded.append(other.record(ids[1], "care_started", at=at, event_id="mid"))
                yield rows

        monkeypatch.setattr(Projector, "_judged_rows", judged_rows)
        assert projected.report(since=since, until=until).total.clocks > 0
        monkeypatch.undo()
        assert [True] == recorded
        # The event came after the build's snapshot: the next report catches it up.
        assert direct.report(since=since, until=until).to_json() == (
            projected.report(since=since, until=until).to_json()
        )
    ((through,),) = stored(url, "SELECT through_seq FROM ledger_projections")
    ((high,),) = stored(url, "SELECT MAX(seq) FROM ledger_events")
    assert high == through


def test_a_projection_being_built_elsewhere_is_left_to_its_builder(
    tmp_path: Path, policies: Policies
) -> None:
    """While another process builds (its lease fresh), a report judges from the events;
    once the lease is five minutes old (the builder died), a report takes the build over
    and finishes it."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    since, until = FIRST, FIRST + timedelta(days=900)
    with (
        Ledger.open(url, policies=policies) as projected,
        Ledger.open(url, policies=policies, calendar=host_calendar()) as direct,
    ):
        record_random(projected, policies, random.Random(13), 40)
        projected.report(since=since, until=until)
        projected.record_many(
            [LedgerEvent("p00001", "withdrawn", FIRST + timedelta(days=SPAN_DAYS), "w")]
        )
        reference = direct.report(since=since, until=until).to_json()
        fresh = micros(datetime.now(HELSINKI))
        for lease, builds in ((fresh, False), (fresh - 6 * 60 * 1_000_000, True)):
            alter(
                url, ("UPDATE ledger_projections SET through_seq = -1, caught_up_us = ?", (lease,))
            )
            assert reference == projected.report(since=since, until=until).to_json()
            ((through,),) = stored(url, "SELECT through_seq FROM ledger_projections")
            assert (through > 0) is builds


def test_a_build_taken_over_half_way_gives_up(
    tmp_path: Path, policies: Policies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A builder that finds its lease renewed by another (who took it over) stops
    writing; its report judges from the events instead."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    since, until = FIRST, FIRST + timedelta(days=900)
    monkeypatch.setattr(_catch_up, "BUILD_BATCH", 5)
    with (
        Ledger.open(url, policies=policies) as projected,
        Ledger.open(url, policies=policies, calendar=host_calendar()) as direct,
    ):
        record_random(projected, policies, random.Random(14), 40)
        rows_of = Projector._judged_rows

        def judged_rows(self: Projector, writer: Any, histories: Iterable[Any]) -> Iterator[Any]:
            for n, rows in enumerate(rows_of(self, writer, histories)):
                if n == 20:
                    alter(url, "UPDATE ledger_projections SET caught_up_us = 7")
                yield rows

        monkeypatch.setattr(Projector, "_judged_rows", judged_rows)
        mine = projected.report(since=since, until=until)
        assert direct.report(since=since, until=until).to_json() == mine.to_json()
    assert [(-1, 7)] == stored(url, "SELECT through_seq, caught_up_us FROM ledger_projections")


def test_a_report_that_cannot_write_the_projection_judges_the_events(
    tmp_path: Path, policies: Policies
) -> None:
    """Another writer holding SQLite's write lock past busy_timeout: the report does not
    fail; it judges from the events, and gives the same figures."""
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    since, until = FIRST, FIRST + timedelta(days=900)
    with Ledger.open(url, policies=policies, calendar=host_calendar()) as direct:
        record_random(direct, policies, random.Random(4), 50)
        reference = direct.report(since=since, until=until)
    with Ledger.open(url, policies=policies, busy_timeout=0.05) as projected:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            assert reference.to_json() == projected.report(since=since, until=until).to_json()
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
    assert [] == stored(url, "SELECT fingerprint FROM ledger_projections")


def test_reports_while_others_record_lose_nothing(url: str, policies: Policies) -> None:
    """Threads record while other threads report (and so catch the projection up); at
    the end a report counts every clock, exactly as judging the events does. On
    PostgreSQL this is where events committing out of seq order would be lost."""
    since, until = FIRST, FIRST + timedelta(days=900)
    with Ledger.open(url, policies=policies) as projected:
        errors: list[BaseException] = []
        done = threading.Event()

        def write(n: int) -> None:
            try:
                record_random(projected, policies, random.Random(n), 40, prefix=f"w{n}_")
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        def read() -> None:
            try:
                while not done.is_set():
                    projected.report(since=since, until=until)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        writers = [threading.Thread(target=write, args=(n,)) for n in range(3)]
        readers = [threading.Thread(target=read) for _ in range(2)]
        for thread in (*writers, *readers):
            thread.start()
        for thread in writers:
            thread.join()
        done.set()
        for thread in readers:
            thread.join()
        assert [] == errors
        final = projected.report(since=since, until=until)
    with Ledger.open(url, policies=policies, calendar=host_calendar()) as direct:
        assert direct.report(since=since, until=until).to_json() == final.to_json()


def test_a_stored_open_clock_is_breached_once_today_passes_its_due_date(
    tmp_path: Path, policies: Policies
) -> None:
    """The projection judges without a today; the report decides breached by its own."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    received = datetime(2025, 3, 3, 9, tzinfo=HELSINKI)  # Monday
    subject = ClockSubject(age=40)
    with Ledger.open(url, policies=policies) as ledger:
        ledger.record_assessment(
            assessment(policies, "open1", received, subject, ("need_assessment",))
        )
        since, until = received - timedelta(days=1), received + timedelta(days=60)
        same_day = ledger.report(since=since, until=until, now=received + timedelta(hours=1))
        later = ledger.report(since=since, until=until, now=received + timedelta(days=10))
    ((status,),) = stored(url, "SELECT status FROM ledger_clock_rows")
    assert "open" == status
    # Read back, the row is the clock Policies.judge gives on either side of its due date.
    ((projection,),) = stored(url, "SELECT projection_id FROM ledger_projections")
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        terms = _projection.terms_of(conn.execute(_projection.SELECT_TERMS, (projection,)))
        (raw,) = conn.execute(_projection.SELECT_STARTED, (projection, 0, 2**62)).fetchall()
        row = _projection.StartedRow._make(raw)
    finally:
        conn.close()
    (fresh,) = policies.judge(("need_assessment",), subject=subject,
                              happened={"contact_received": [micros(received)]}, today=None)  # fmt: skip
    assert fresh.due_date is not None
    for today in (fresh.due_date, fresh.due_date + timedelta(days=1)):
        (judged,) = policies.judge(("need_assessment",), subject=subject,
                                   happened={"contact_received": [micros(received)]}, today=today)  # fmt: skip
        assert judged == _projection.judged_of(row, terms, today)
    assert (
        "breached" == _projection.judged_of(row, terms, fresh.due_date + timedelta(days=1)).status
    )
    assert (1, 0) == (same_day.total.open, same_day.total.open_past_due)
    assert (0, 1) == (later.total.open, later.total.open_past_due)


def test_no_projection_for_a_host_calendar_or_policies_not_from_files(
    policies: Policies,
) -> None:
    finnish = Calendar.finnish()
    assert _projection.fingerprint(policies, finnish) is not None
    assert _projection.fingerprint(policies, host_calendar()) is None
    unnamed = attrs.evolve(policies, files_digest="")  # as if made in code, not read
    assert "" == unnamed.digest
    assert _projection.fingerprint(unnamed, finnish) is None
    assert _projection.fingerprint(policies.with_region(None), finnish) != (
        _projection.fingerprint(policies, finnish)
    )


def test_the_age_group_is_the_age_on_the_need_assessment_day(url: str, policies: Policies) -> None:
    """A client born 20.1.2002 is 22 until 19.1.2025 and 23 from 20.1.2025: assessed on
    17.1 they count as 0-22, on 20.1 as 23+ (docs/reference/reports.md), though both were
    received at 22."""
    born = datetime(2002, 1, 20).date()
    since, until = datetime(2025, 1, 1, tzinfo=HELSINKI), datetime(2025, 2, 1, tzinfo=HELSINKI)
    with Ledger.open(url, policies=policies) as ledger:
        for contact_id, assessed_day in (("young", 17), ("older", 20)):
            received = datetime(2025, 1, 16, 9, tzinfo=HELSINKI)
            subject = ClockSubject(birth_date=born)
            ledger.record_assessment(
                assessment(policies, contact_id, received, subject, ("need_assessment",))
            )
            at = datetime(2025, 1, assessed_day, 10, tzinfo=HELSINKI)
            ledger.record(contact_id, "need_assessed", at=at, event_id=f"{contact_id}.n")
        report = ledger.report(since=since, until=until, by=["age_group"])
    groups = {dict(row.key)["age_group"]: row.clocks for row in report.rows}
    assert {"0-22": 1, "23+": 1} == groups


@pytest.mark.postgres
@pytest.mark.parametrize("url", ["postgresql"], indirect=True)
def test_an_event_committing_after_a_later_one_is_not_skipped(url: str, policies: Policies) -> None:
    """PostgreSQL draws seq at insert but commits in its own order: here seq n (another
    process's write of the ledger, slow to commit) commits after seq n+1. The catch-up
    waits for the open write, so the report counts both;
    had it moved its checkpoint past n+1 without waiting, n would never be judged."""
    import psycopg

    since, until = FIRST, FIRST + timedelta(days=900)
    at = FIRST + timedelta(days=SPAN_DAYS)
    with (
        Ledger.open(url, policies=policies) as projected,
        Ledger.open(url, policies=policies, calendar=host_calendar()) as direct,
    ):
        ids = record_random(projected, policies, random.Random(15), 30)
        projected.report(since=since, until=until)
        with psycopg.connect(url) as slow:  # a transaction of its own, left open
            # As every write of the ledger does: hold the writers' advisory lock shared
            # until commit (what a catch-up waits for; see _postgres.PgSession.catch_up).
            slow.execute("SELECT pg_advisory_xact_lock_shared(7406033)")
            slow.execute(
                "INSERT INTO ledger_events (event_id, contact_id, event, at_us) "
                "VALUES (%s, %s, 'withdrawn', %s)",
                ("slow", ids[4], micros(at)),
            )
            projected.record(ids[5], "withdrawn", at=at, event_id="fast")  # seq n+1, committed
            result: list[str] = []
            reporting = threading.Thread(
                target=lambda: result.append(
                    json.dumps(projected.report(since=since, until=until).to_json())
                )
            )
            reporting.start()
            reporting.join(0.5)
            assert reporting.is_alive(), "the catch-up did not wait for the open insert"
            slow.commit()
        reporting.join()
        reference = direct.report(since=since, until=until).to_json()
        assert [json.dumps(reference)] == result
        assert reference == projected.report(since=since, until=until).to_json()
