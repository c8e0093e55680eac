"""Ledger benchmark: recording, ``clocks()``, ``due()`` and ``report()`` on a big store.

    python bench/bench_ledger.py            # 1,000,000 stored events (~1 minute)
    python bench/bench_ledger.py --quick    # 100,000 stored events, a few seconds
    python bench/bench_ledger.py --postgres postgresql://postgres@127.0.0.1:5432/test
                                            # the same on PostgreSQL (its own schema)

1. Fill: 200,000 contacts (20,000 with --quick) of five events each (contact_received,
   contact_answered, need_assessed, care_offered, care_started), spread over 2023-2025 so
   the clocks cross the law changes, written straight into the ledger's tables with
   ``executemany`` (the fill is set-up, not the measurement). Each contact also has the
   three suggestions an assessment stores (its urgency and two routes, each made by one
   or two of 40 rules), and one contact in five a professional's answer to one of them
   (an override one time in three, with a reason): one more event and its link row.
2. ``record_many`` into that full store through the public API (every check, one durable
   transaction per batch), in batches of 1,000 and 100: events/s.
3. ``record`` one event at a time: latency p50/p99 (one fsync each).
4. ``clocks(contact_id, now=...)`` for random stored contacts: latency p50/p99.
5. ``due(now=...)`` over the whole store: seconds (no target), judging every event and
   from the projection (after the first report below has built it).
6. ``report(...)`` over every clock of the store, by service and age group, side by side
   in one run: judging every clock from the events (the baseline: a ledger with a host
   calendar of the same days keeps no projection), the first report (it builds the clock
   projection), the next one (the projection is current) and one after 1,000 new events
   (the catch-up judges only their contacts); while the first one builds, another
   thread records an event every 10 ms: the longest any of them waited. The baseline
   and the projected report must give the same JSON, or the run stops. Beside them the
   floor of the baseline: its two ordered reads alone, computing nothing. These reports
   leave out the overrides section (``overrides=False``), as before it existed.
7. The overrides: ``overrides()`` over the period of the report, and the current report with its
   overrides section (the default) beside the same report without it.

Targets from issue 3: >= 10,000 events/s in batches; clocks p99 <= 1 ms at 1,000,000
events; a full report over 1,000,000 events <= 5 s. This is a benchmark, not a test:
nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from oneContact.clocks import HELSINKI, Calendar, finnish_closed_days
from oneContact.ledger import Ledger, LedgerEvent

TARGET_EVENTS_PER_S = 10_000
TARGET_CLOCKS_P99_MS = 1.0
TARGET_REPORT_S = 5.0
EVENTS_PER_CONTACT = 5
DIGEST = "0" * 64
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FIRST_DAY = datetime(2023, 1, 2, 8, tzinfo=HELSINKI)
SPAN_S = 3 * 365 * 24 * 3600
MICROS = 1_000_000


def micros(ts: datetime) -> int:
    return (ts - EPOCH) // timedelta(microseconds=1)


RULES = [f"rule-{k:02d}" for k in range(40)]
REASONS = ("clinical_judgement", "information_not_in_contact", "client_choice")
FEEDBACK_SHARE = 0.2

Rows = tuple[tuple[object, ...], list[tuple[object, ...]], list[tuple[object, ...]],
             list[tuple[object, ...]]]  # fmt: skip


def generated(contacts: int, rng: random.Random) -> Iterator[Rows]:
    """Each contact's row of ledger_contacts, its rows of ledger_events, of
    ledger_suggestions and of ledger_feedback."""
    first = micros(FIRST_DAY)
    for n in range(contacts):
        cid = f"c{n:07d}"
        received = first + rng.randrange(SPAN_S) * MICROS
        young = rng.random() < 0.3
        contact = (
            cid, received, DIGEST, "care need_assessment", "non_urgent", "nurse",
            20 if young else 40 + n % 50, None, 0, 0,
        )  # fmt: skip
        answered = received + rng.randrange(3600) * MICROS
        assessed = answered + rng.randrange(3 * 24 * 3600) * MICROS
        offered = assessed + rng.randrange(10 * 24 * 3600) * MICROS
        started = offered + rng.randrange(60 * 24 * 3600) * MICROS
        events = [
            (f"contact_received/{cid}", cid, "contact_received", received),
            (f"{cid}.a", cid, "contact_answered", answered),
            (f"{cid}.n", cid, "need_assessed", assessed),
            (f"{cid}.o", cid, "care_offered", offered),
            (f"{cid}.s", cid, "care_started", started),
        ]
        suggestions = [
            (f"{cid}.{kind}", cid, "urgency" if kind == "u" else "route", value,
             " ".join(rng.sample(RULES, rng.choice((1, 2)))))
            for kind, value in (("u", "non_urgent"), ("r1", "nurse"), ("r2", "gp"))
        ]  # fmt: skip
        links: list[tuple[object, ...]] = []
        if rng.random() < FEEDBACK_SHARE:
            overridden = rng.random() < 1 / 3
            event = "suggestion_overridden" if overridden else "suggestion_accepted"
            events.append((f"{cid}.f", cid, event, assessed))
            reason = rng.choice(REASONS) if overridden else None
            links.append((f"{cid}.f", str(rng.choice(suggestions)[0]), reason))
        yield contact, events, suggestions, links


CONTACT_COLUMNS = (
    "contact_id, received_us, ruleset_digest, clock_ids, urgency, services, age, birth_date, "
    "highest_care_allowance, special_support_child"
)
EVENT_COLUMNS = "event_id, contact_id, event, at_us"
SUGGESTION_COLUMNS = "suggestion_id, contact_id, kind, value, rules"
FEEDBACK_COLUMNS = "event_id, suggestion_id, reason"
FLOOR_READS = (
    "SELECT contact_id, received_us, clock_ids, age, birth_date, "
    "highest_care_allowance, special_support_child, urgency, services "
    "FROM ledger_contacts ORDER BY contact_id",
    "SELECT contact_id, event, at_us FROM ledger_events ORDER BY contact_id, at_us, seq",
)


def fill(path: Path, contacts: int, rng: random.Random) -> None:
    """Write *contacts* contacts with their events straight into the ledger's tables."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # set-up only; the ledger itself runs FULL
    conn.execute("BEGIN")
    chunk_contacts: list[tuple[object, ...]] = []
    chunk_events: list[tuple[object, ...]] = []
    chunk_suggestions: list[tuple[object, ...]] = []
    chunk_links: list[tuple[object, ...]] = []

    def flush() -> None:
        conn.executemany(
            f"INSERT INTO ledger_contacts ({CONTACT_COLUMNS}) VALUES ({', '.join('?' * 10)})",  # noqa: S608 - fixed names
            chunk_contacts,
        )
        conn.executemany(
            f"INSERT INTO ledger_events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?)",  # noqa: S608 - fixed names
            chunk_events,
        )
        conn.executemany(
            f"INSERT INTO ledger_suggestions ({SUGGESTION_COLUMNS}) VALUES (?, ?, ?, ?, ?)",  # noqa: S608 - fixed names
            chunk_suggestions,
        )
        conn.executemany(
            f"INSERT INTO ledger_feedback ({FEEDBACK_COLUMNS}) VALUES (?, ?, ?)",  # noqa: S608 - fixed names
            chunk_links,
        )
        for chunk in (chunk_contacts, chunk_events, chunk_suggestions, chunk_links):
            chunk.clear()

    for contact, events, suggestions, links in generated(contacts, rng):
        chunk_contacts.append(contact)
        chunk_events.extend(events)
        chunk_suggestions.extend(suggestions)
        chunk_links.extend(links)
        if len(chunk_contacts) >= 10_000:
            flush()
    flush()
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def fill_postgres(url: str, contacts: int, rng: random.Random) -> None:
    """The same rows into a PostgreSQL ledger, with COPY."""
    import psycopg  # noqa: PLC0415 - only a PostgreSQL run needs it

    with psycopg.connect(url) as conn:
        rows = list(generated(contacts, rng))
        with conn.cursor() as cur:
            with cur.copy(f"COPY ledger_contacts ({CONTACT_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row[0])
            for table, columns, part in (
                ("ledger_events", EVENT_COLUMNS, 1),
                ("ledger_suggestions", SUGGESTION_COLUMNS, 2),
                ("ledger_feedback", FEEDBACK_COLUMNS, 3),
            ):
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        for item in row[part]:
                            copy.write_row(item)
        conn.commit()
        conn.execute("ANALYZE")


def read_floor(path: Path) -> int:
    """Rows read when only the report's two ordered reads are run and nothing computed."""
    conn = sqlite3.connect(path)
    try:
        return sum(1 for sql in FLOOR_READS for _ in conn.execute(sql))
    finally:
        conn.close()


def read_floor_postgres(url: str) -> int:
    """The same two reads on PostgreSQL, through server-side cursors."""
    import psycopg  # noqa: PLC0415 - only a PostgreSQL run needs it

    with psycopg.connect(url) as conn:
        count = 0
        for n, sql in enumerate(FLOOR_READS):
            with conn.cursor(name=f"floor{n}") as cur:
                cur.itersize = 10_000
                cur.execute(sql)
                count += sum(1 for _ in cur)
        return count


@contextlib.contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """A ledger URL in a schema of its own on the server at *base*, dropped afterwards."""
    import psycopg  # noqa: PLC0415 - only a PostgreSQL run needs it

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def throughput(ledger: Ledger, contacts: int, total: int, batch: int, tag: str) -> float:
    """Events/s through record_many into the filled store."""
    base = FIRST_DAY + timedelta(seconds=SPAN_S, days=1)  # after every stored contact
    events = [
        LedgerEvent(
            f"c{n % contacts:07d}", "care_offered", base + timedelta(seconds=n), f"{tag}{n}"
        )
        for n in range(total)
    ]
    start = time.perf_counter()
    for i in range(0, total, batch):
        ledger.record_many(events[i : i + batch])
    return total / (time.perf_counter() - start)


def latencies(call: Callable[[int], object], count: int) -> list[float]:
    """Milliseconds per call of call(i), i = 0..count-1."""
    samples = []
    clock = time.perf_counter_ns
    for i in range(count):
        start = clock()
        call(i)
        samples.append((clock() - start) / 1e6)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 events instead of 1M")
    parser.add_argument("--db", type=Path, help="where to build the store (default: temp dir)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on PostgreSQL instead (e.g. postgresql://postgres@127.0.0.1:5432/test), "
        "in a schema of its own, dropped afterwards",
    )
    args = parser.parse_args(argv)
    contacts = 20_000 if args.quick else 200_000
    rng = random.Random(3)
    with contextlib.ExitStack() as stack:
        if args.postgres:
            url = stack.enter_context(postgres_schema(args.postgres))
            Ledger.migrate(url)  # the schema, exactly as the ledger makes it
            start = time.perf_counter()
            fill_postgres(url, contacts, rng)
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            path = (args.db or Path(tmp) / "ledger.db").resolve()
            if path.exists():
                sys.exit(f"{path} exists; give a new path")
            url = f"sqlite:///{path}"
            Ledger.migrate(url)  # the schema, exactly as the ledger makes it
            start = time.perf_counter()
            fill(path, contacts, rng)
        fill_s = time.perf_counter() - start
        stored = contacts * EVENTS_PER_CONTACT  # and about a fifth more feedback events
        with Ledger.open(url) as ledger:
            per_s_1000 = throughput(
                ledger, contacts, 50_000 if not args.quick else 20_000, 1000, "k"
            )
            per_s_100 = throughput(ledger, contacts, 10_000 if not args.quick else 5_000, 100, "h")
            now = FIRST_DAY + timedelta(seconds=SPAN_S, days=2)
            single = latencies(
                lambda i: ledger.record(
                    f"c{i:07d}", "contact_answered", at=now, event_id=f"single{i}"
                ),
                1_000,
            )
            ids = [f"c{rng.randrange(contacts):07d}" for _ in range(20_000)]
            for cid in ids[:1000]:  # warm the page cache and the calendar's year tables
                ledger.clocks(cid, now=now)
            clocks_ms = latencies(lambda i: ledger.clocks(ids[i], now=now), len(ids))
            # The floor under the report, in the same run: only reading every contact and
            # event row the report reads, in the same order, computing nothing.
            start = time.perf_counter()
            read_rows = read_floor_postgres(url) if args.postgres else read_floor(path)
            read_s = time.perf_counter() - start
            since = FIRST_DAY - timedelta(days=1)
            by = ["service", "age_group"]
            # The baseline in the same run: a host calendar of the same Finnish days keeps
            # no clock projection, so that ledger judges every clock from the events, as
            # every report did before the projection.
            with Ledger.open(url, calendar=Calendar(finnish_closed_days, name="FI")) as direct:
                start = time.perf_counter()
                baseline = direct.report(since=since, until=now, by=by, overrides=False)
                judged_s = time.perf_counter() - start
                start = time.perf_counter()
                baseline_worklist = direct.due(now=now, within_weekdays=1)
                due_judged_s = time.perf_counter() - start
            # The first report builds the projection; meanwhile another thread records
            # one event every 10 ms and times each: how long a writer waits for a build.
            building = threading.Event()
            during: list[float] = []

            def write_meanwhile() -> None:
                n = 0
                while not building.is_set():
                    began = time.perf_counter()
                    ledger.record(
                        f"c{n % contacts:07d}", "contact_answered", at=now,
                        event_id=f"during{n}",
                    )  # fmt: skip
                    during.append((time.perf_counter() - began) * 1000)
                    n += 1
                    time.sleep(0.01)

            writer = threading.Thread(target=write_meanwhile)
            writer.start()
            start = time.perf_counter()
            report = ledger.report(  # builds the projection
                since=since, until=now, by=by, overrides=False
            )
            first_s = time.perf_counter() - start
            building.set()
            writer.join()
            start = time.perf_counter()
            worklist = ledger.due(now=now, within_weekdays=1)
            due_s = time.perf_counter() - start
            if [c.to_json() for c in worklist] != [c.to_json() for c in baseline_worklist]:
                sys.exit("the projected worklist differs from judging every event: a bug")
            start = time.perf_counter()
            report = ledger.report(since=since, until=now, by=by, overrides=False)
            report_s = time.perf_counter() - start
            if report.to_json() != baseline.to_json():
                sys.exit("the projected report differs from judging every event: a bug")
            ledger.record_many(
                LedgerEvent(f"c{rng.randrange(contacts):07d}", "care_started", at=now,
                            event_id=f"late{i}")
                for i in range(1_000)
            )  # fmt: skip
            start = time.perf_counter()
            ledger.report(since=since, until=now, by=by, overrides=False)
            after_new_s = time.perf_counter() - start
            # The overrides: alone, and the report with its section beside the same
            # report without it (the projection current for both).
            start = time.perf_counter()
            overrides = ledger.overrides(since=since, until=now, now=now)
            overrides_s = time.perf_counter() - start
            start = time.perf_counter()
            ledger.report(since=since, until=now, by=by, overrides=False)
            without_section_s = time.perf_counter() - start
            start = time.perf_counter()
            with_section = ledger.report(since=since, until=now, by=by)
            with_section_s = time.perf_counter() - start
            again = ledger.overrides(since=since, until=now, now=with_section.as_of)
            if with_section.overrides != again:
                sys.exit("the report's overrides section differs from overrides(): a bug")
    figures = {
        "stored_events": stored,
        "fill_s": round(fill_s, 2),
        "record_many_per_s_batch_1000": round(per_s_1000),
        "record_many_per_s_batch_100": round(per_s_100),
        "record_ms_p50": round(statistics.median(single), 3),
        "record_ms_p99": round(percentile(single, 0.99), 3),
        "clocks_ms_p50": round(statistics.median(clocks_ms), 3),
        "clocks_ms_p99": round(percentile(clocks_ms, 0.99), 3),
        "due_judging_every_event_s": round(due_judged_s, 2),
        "due_s": round(due_s, 2),
        "due_listed": len(worklist),
        "read_floor_s": round(read_s, 2),
        "read_floor_rows": read_rows,
        "report_judging_every_event_s": round(judged_s, 2),
        "report_first_builds_projection_s": round(first_s, 2),
        "record_during_build_ms_max": round(max(during), 1),
        "records_during_build": len(during),
        "report_s": round(report_s, 2),
        "report_after_1000_new_events_s": round(after_new_s, 2),
        "report_clocks": report.total.clocks,
        "overrides_s": round(overrides_s, 2),
        "overrides_answered_suggestions": overrides.total.answered,
        "report_without_overrides_section_s": round(without_section_s, 2),
        "report_with_overrides_section_s": round(with_section_s, 2),
    }
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    ok_rate = per_s_1000 >= TARGET_EVENTS_PER_S
    ok_clocks = figures["clocks_ms_p99"] <= TARGET_CLOCKS_P99_MS
    ok_report = report_s <= TARGET_REPORT_S
    print(
        f"targets: >= {TARGET_EVENTS_PER_S:,} events/s {'met' if ok_rate else 'MISSED'}; "
        f"clocks p99 <= {TARGET_CLOCKS_P99_MS} ms {'met' if ok_clocks else 'MISSED'}; "
        f"report <= {TARGET_REPORT_S:g} s {'met' if ok_report else 'MISSED'}"
        + ("" if not args.quick else " (quick run: 100,000 events, not 1,000,000)")
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
