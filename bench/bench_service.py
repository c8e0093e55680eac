"""The reference service under load: ``onecontact serve`` on PostgreSQL, driven over
loopback, beside the library's own time for the same contacts.

    python bench/bench_service.py                 # --workers 4; 3,000 contacts at 64 and at
                                                  # 160 clients; ~1-2 min
    python bench/bench_service.py --quick         # --workers 2; 300 contacts a level (CI):
                                                  # exits 1 on any error
    python bench/bench_service.py --db sqlite     # the same on an SQLite ledger
    python bench/bench_service.py --client httpx  # the load generator on httpx

1. A fresh PostgreSQL database on the server of ``--postgres`` (default
   $ONECONTACT_TEST_POSTGRES, else ``postgresql://postgres@127.0.0.1:5432/test``), its
   tables made by ``Ledger.migrate``, dropped at the end (``--db sqlite``: a file in a
   temporary directory). Without a server the quick run skips and says why (exit 0), unless
   $ONECONTACT_REQUIRE_POSTGRES is set (CI): then it fails.
2. ``onecontact serve --workers N --db URL`` on the bundled rules and the example
   directory, on a free port of 127.0.0.1, in its own process group; the bench waits for
   ``/readyz`` and for N workers, warms them with 400 contacts (64 clients), and kills the
   whole group at the end whatever happens.
3. Per level (64 and 160 concurrent clients): ``bench/loadgen.py`` in a process of its own
   sends each contact once as ``POST /contacts`` (each client on a keep-alive connection),
   then every answer is checked: an error is any status but 2xx or a connection error; a
   2xx answer must say ``recorded`` and carry the very assessment the library gives the
   same contact in this process (else it is counted as wrong, and the run exits 1); every
   contact answered 2xx must be in the ledger afterwards. Contacts are
   ``workload.make_contacts`` over the bundled rules (seeded; 1-4 concerns, every
   urgency the rules give, some free text), each with an id of its own.
4. The library alone: other contacts of the same pool through ``Engine.assess`` and
   ``Ledger.record_assessment`` in this process, one at a time, on the same database.

Printed: per level the requests, errors, contacts/s (answered 2xx over the level's wall
time), latency p50/p95/p99, and the CPU each part used per contact (the server's
processes, PostgreSQL's, the load generator's; read from /proc); the library's time per
contact; the ratios; and the goals of issue 15 (0 errors at 160 clients; at 64, >= 500
contacts/s with p99 <= 300 ms). Figures go to docs/performance.md by hand. Also writes
``bench/results/service.json`` (``service-quick.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from timing import text_table
from workload import make_contacts

from oneContact import Engine
from oneContact.ledger import Ledger
from oneContact.routing import Directory

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"
DIRECTORY = REPO / "examples" / "directory.yaml"
RESULTS = REPO / "bench" / "results"
LOADGEN = Path(__file__).resolve().parent / "loadgen.py"
DEFAULT_POSTGRES = os.environ.get(
    "ONECONTACT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
HOST = "127.0.0.1"
WARMUP = 400
GOAL_RATE = 500.0
GOAL_P99_MS = 300.0
GOAL_ERRORS_AT = 160
GOAL_RATE_AT = 64
TICK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- database


def postgres_unreachable(url: str) -> str | None:
    """Why the PostgreSQL server of *url* cannot be used, or None."""
    import psycopg  # noqa: PLC0415 - only the PostgreSQL run needs it

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no PostgreSQL server reachable at {url} ({first})"
    return None


@contextlib.contextmanager
def fresh_database(kind: str, admin_url: str, folder: Path) -> Iterator[str]:
    """The URL of a new, migrated, empty ledger, removed afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'ledger.db'}"
        Ledger.migrate(url)
        yield url
        return
    import psycopg  # noqa: PLC0415

    name = f"onecontact_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(admin_url)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    try:
        Ledger.migrate(url)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --------------------------------------------------------------------------- processes


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def process_tree(root: int) -> dict[int, float]:
    """CPU seconds of *root* and of every process below it, by pid."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for pid in _pids():
        found = _stat(pid)
        if found is not None:
            parents[pid], cpu[pid] = found
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return {p: cpu[p] for p in tree if p in cpu}


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process on this machine (its server and backends)."""
    total = 0.0
    for pid in _pids():
        if _comm(pid) in {"postgres", "postmaster"}:
            found = _stat(pid)
            total += 0.0 if found is None else found[1]
    return total


def busy() -> float:
    """CPU seconds the whole machine has been busy (not idle, not waiting) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / TICK


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_service(url: str, workers: int, folder: Path) -> Iterator[tuple[int, int]]:
    """``onecontact serve`` on *url* with *workers* workers: yields (port, pid) once it is
    ready and every worker is up; kills its whole process group afterwards."""
    port = free_port()
    command = [
        sys.executable, "-m", "oneContact.cli", "serve",
        "--rules", str(RULES), "--directory", str(DIRECTORY), "--db", url,
        "--workers", str(workers), "--host", HOST, "--port", str(port),
    ]  # fmt: skip
    log_path = folder / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603 - our own console script, our arguments
            command, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        # One worker: uvicorn serves in its own process; more: a supervisor and N children.
        processes = 1 if workers == 1 else workers + 1
        while not _ready(port) or len(process_tree(server.pid)) < processes:
            if server.poll() is not None or time.monotonic() > deadline:
                shown = log_path.read_text("utf-8", "replace")[-3000:]
                raise SystemExit(f"onecontact serve did not become ready:\n{shown}")
            time.sleep(0.3)
        yield port, server.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # a worker left behind, if any


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/readyz", timeout=2) as answer:
            return bool(answer.status == 200)
    except (OSError, urllib.error.URLError):
        return False


# --------------------------------------------------------------------------- one level


def percentile(values: list[float], q: float) -> float:
    """The *q* quantile (0-1) of *values* (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def drive(
    port: int,
    server_pid: int,
    contacts: list[dict[str, Any]],
    expected: list[Any],
    concurrency: int,
    client: str,
    folder: Path,
) -> dict[str, Any]:
    """One level: every contact sent once by *concurrency* clients; the figures."""
    bodies = folder / f"bodies-{concurrency}.jsonl"
    out = folder / f"results-{concurrency}.jsonl"
    bodies.write_text("".join(json.dumps(c) + "\n" for c in contacts), "utf-8")
    command = [
        sys.executable, str(LOADGEN), "--host", HOST, "--port", str(port),
        "--path", "/contacts", "--concurrency", str(concurrency),
        "--bodies", str(bodies), "--out", str(out), "--client", client,
    ]  # fmt: skip
    server_before, pg_before, busy_before = process_tree(server_pid), postgres_cpu(), busy()
    started = time.monotonic()
    subprocess.run(command, check=True, timeout=700)  # noqa: S603 - bench/loadgen.py
    seconds = time.monotonic() - started
    server_after, pg_after, busy_after = process_tree(server_pid), postgres_cpu(), busy()
    lines = out.read_text("utf-8").splitlines()
    summary = json.loads(lines[-1])
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    answered: list[str] = []
    wrong = 0
    for line, contact, want in zip(lines[:-1], contacts, expected, strict=True):
        _, status, ns, text = json.loads(line)
        if 200 <= status < 300:
            try:
                body = json.loads(text)
            except ValueError:
                body = None
            if not (
                status == 201
                and isinstance(body, dict)
                and body.get("recorded") is True
                and body.get("assessment") == want
            ):
                wrong += 1
            answered.append(contact["contact_id"])
            latencies.append(ns / 1e6)
        else:
            statuses[str(status) if status else text.split(":")[0]] += 1
    workers = {
        pid: server_after[pid] - server_before.get(pid, 0.0)
        for pid in server_after
        if pid != server_pid
    }
    server_cpu = sum(server_after.values()) - sum(server_before.values())
    pg_cpu = pg_after - pg_before
    others = busy_after - busy_before - server_cpu - pg_cpu - summary["cpu_s"]
    ok = len(latencies)
    return {
        "concurrency": concurrency,
        "requests": len(contacts),
        "errors": len(contacts) - ok,
        "error_kinds": dict(statuses),
        "wrong": wrong,
        "wall_s": summary["wall_s"],
        "per_s": ok / summary["wall_s"],
        "p50_ms": percentile(latencies, 0.50) if latencies else None,
        "p95_ms": percentile(latencies, 0.95) if latencies else None,
        "p99_ms": percentile(latencies, 0.99) if latencies else None,
        "max_ms": max(latencies) if latencies else None,
        "server_cpu_ms": 1e3 * server_cpu / max(ok, 1),
        "worker_cpu_shares": sorted(
            (round(v / server_cpu, 2) for v in workers.values() if v > 0 and server_cpu > 0),
            reverse=True,
        ),
        "postgres_cpu_ms": 1e3 * pg_cpu / max(ok, 1),
        "client_cpu_ms": 1e3 * summary["cpu_s"] / max(len(contacts), 1),
        "others_cores": max(others, 0.0) / seconds,
        "answered": answered,
    }


# --------------------------------------------------------------------------- the library


def library(engine: Engine, url: str, contacts: list[dict[str, Any]]) -> dict[str, Any]:
    """The same work in this process, one contact at a time: assess, then record."""
    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
        for contact in contacts[:50]:  # warm-up: the pool's connections, the memos
            ledger.record_assessment(
                engine.assess({**contact, "contact_id": "w" + contact["contact_id"]})
            )
        assess_ms: list[float] = []
        record_ms: list[float] = []
        cpu = time.process_time()
        started = time.perf_counter()
        for contact in contacts:
            t0 = time.perf_counter()
            assessment = engine.assess(contact)
            t1 = time.perf_counter()
            if not ledger.record_assessment(assessment):
                raise SystemExit(f"{contact['contact_id']}: the library did not record it")
            t2 = time.perf_counter()
            assess_ms.append((t1 - t0) * 1e3)
            record_ms.append((t2 - t1) * 1e3)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
    total = [a + r for a, r in zip(assess_ms, record_ms, strict=True)]
    return {
        "contacts": len(contacts),
        "assess_mean_ms": statistics.fmean(assess_ms),
        "record_mean_ms": statistics.fmean(record_ms),
        "mean_ms": statistics.fmean(total),
        "p50_ms": percentile(total, 0.5),
        "p99_ms": percentile(total, 0.99),
        "per_s": len(contacts) / wall,
        "cpu_ms": 1e3 * cpu / len(contacts),
    }


# --------------------------------------------------------------------------- the run


def check_ledger(engine: Engine, url: str, levels: list[dict[str, Any]]) -> int:
    """How many contacts answered 2xx the ledger does not hold."""
    missing = 0
    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
        for level in levels:
            for contact_id in level["answered"]:
                events = ledger.events(contact_id)
                if not events or events[0].event != "contact_received":
                    missing += 1
    return missing


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def report(args: argparse.Namespace, levels: list[dict[str, Any]], lib: dict[str, Any]) -> None:
    """The tables and the goals, on stdout."""
    rows = [
        [
            "clients", "requests", "errors", "contacts/s", "p50 ms", "p95 ms", "p99 ms",
            "max ms", "server CPU ms", "PG CPU ms", "client CPU ms", "x lib CPU",
        ]
    ]  # fmt: skip
    for level in levels:
        rows.append(
            [
                str(level["concurrency"]),
                f"{level['requests']:,}",
                str(level["errors"]),
                f"{level['per_s']:,.0f}",
                _ms(level["p50_ms"]),
                _ms(level["p95_ms"]),
                _ms(level["p99_ms"]),
                _ms(level["max_ms"]),
                f"{level['server_cpu_ms']:.2f}",
                f"{level['postgres_cpu_ms']:.2f}",
                f"{level['client_cpu_ms']:.2f}",
                f"{level['server_cpu_ms'] / lib['cpu_ms']:.2f}",
            ]
        )
    print(f"POST /contacts, onecontact serve --workers {args.workers} --db {args.db}, "
          f"client {args.client}; CPU per contact answered")  # fmt: skip
    print(text_table(rows, left=0))
    for level in levels:
        notes = []
        if level["error_kinds"]:
            notes.append(f"errors {level['error_kinds']}")
        if level["wrong"]:
            notes.append(f"{level['wrong']} answers differ from the library's assessment")
        notes.append(f"other processes kept {level['others_cores']:.2f} cores busy")
        notes.append(f"workers' shares of the server CPU {level['worker_cpu_shares']}")
        print(f"  {level['concurrency']} clients: " + "; ".join(notes))
    print(
        f"library in process, one at a time ({lib['contacts']:,} contacts): "
        f"assess {lib['assess_mean_ms']:.2f} ms + record {lib['record_mean_ms']:.2f} ms = "
        f"{lib['mean_ms']:.2f} ms mean (p50 {lib['p50_ms']:.2f}, p99 {lib['p99_ms']:.2f}), "
        f"{lib['per_s']:,.0f} contacts/s on one thread, CPU {lib['cpu_ms']:.2f} ms a contact"
    )
    for level in levels:
        print(
            f"  {level['concurrency']} clients: {level['per_s'] / lib['per_s']:.2f} x the "
            f"library's one-thread rate; p50 latency {level['p50_ms'] or 0:.1f} ms = "
            f"{(level['p50_ms'] or 0) / lib['mean_ms']:.1f} x the library's mean time"
        )
    if args.quick:
        errors = sum(level["errors"] for level in levels)
        print(f"quick run: {errors} errors (0 required); the goals are judged in a full run")
        return
    by_clients = {level["concurrency"]: level for level in levels}
    goals = []
    if GOAL_ERRORS_AT in by_clients:
        errors = by_clients[GOAL_ERRORS_AT]["errors"]
        goals.append(f"0 errors at {GOAL_ERRORS_AT} clients: {errors} ({_met(errors == 0)})")
    if GOAL_RATE_AT in by_clients:
        level = by_clients[GOAL_RATE_AT]
        goals.append(
            f">= {GOAL_RATE:.0f} contacts/s at {GOAL_RATE_AT} clients: {level['per_s']:,.0f} "
            f"({_met(level['per_s'] >= GOAL_RATE)})"
        )
        p99 = level["p99_ms"]
        goals.append(
            f"p99 <= {GOAL_P99_MS:.0f} ms at {GOAL_RATE_AT} clients: {_ms(p99)} ms "
            f"({_met(p99 is not None and p99 <= GOAL_P99_MS)})"
        )
    print("goals (issue 15, --workers 4 on PostgreSQL): " + "; ".join(goals))


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="--workers 2, 300 contacts a level; exit 1 on any error (CI)",
    )
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        metavar="URL",
        help="the PostgreSQL server the bench makes its database on",
    )
    parser.add_argument("--workers", type=int, help="server workers (4; --quick 2)")
    parser.add_argument("--requests", type=int, help="contacts a level (3,000; --quick 300)")
    parser.add_argument("--clients", default="64,160", help="levels of concurrent clients (64,160)")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="load generator (raw asyncio streams)",
    )
    parser.add_argument(
        "--library", type=int, help="contacts for the library's own time (1,000; --quick 100)"
    )
    args = parser.parse_args(argv)
    args.workers = args.workers or (2 if args.quick else 4)
    args.requests = args.requests or (300 if args.quick else 3_000)
    args.library = args.library or (100 if args.quick else 1_000)
    clients = [int(c) for c in args.clients.split(",")]
    if args.db == "postgresql":
        reason = postgres_unreachable(args.postgres)
        if reason is not None:
            if args.quick and not os.environ.get("ONECONTACT_REQUIRE_POSTGRES"):
                print(f"bench_service: skipped: {reason}; start PostgreSQL or use --db sqlite")
                return 0
            print(f"bench_service: {reason}", file=sys.stderr)
            return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the server is stopped anyway

    directory = Directory.from_file(DIRECTORY, rules=RULES)
    engine = Engine.from_directory(RULES, directory=directory)
    tag = uuid.uuid4().hex[:6]
    pool = make_contacts(
        engine.ruleset.questionnaire, WARMUP + args.requests * len(clients) + args.library
    )
    for i, contact in enumerate(pool):
        contact["contact_id"] = f"b{tag}-{i:06d}"
    warmup, pool = pool[:WARMUP], pool[WARMUP:]
    per_level = [pool[k * args.requests : (k + 1) * args.requests] for k in range(len(clients))]
    own = pool[len(clients) * args.requests :]
    expected = [
        [json.loads(json.dumps(engine.assess(c).to_json())) for c in level] for level in per_level
    ]
    urgencies = Counter(a["urgency"] for level in expected for a in level)
    print(f"{sum(map(len, per_level)):,} contacts to send; urgencies {dict(urgencies)}")

    with tempfile.TemporaryDirectory(prefix="bench-service-") as temp:
        folder = Path(temp)
        with fresh_database(args.db, args.postgres, folder) as url:
            with running_service(url, args.workers, folder) as (port, pid):
                warm = [json.loads(json.dumps(engine.assess(c).to_json())) for c in warmup]
                first = drive(port, pid, warmup, warm, 64, args.client, folder)
                if first["errors"] or first["wrong"]:
                    print(f"warm-up: {first['errors']} errors, {first['wrong']} wrong answers")
                levels = [
                    drive(port, pid, contacts, want, c, args.client, folder)
                    for c, contacts, want in zip(clients, per_level, expected, strict=True)
                ]
            missing = check_ledger(engine, url, levels)
            lib = library(engine, url, own)
    report(args, levels, lib)
    if missing:
        print(f"{missing} contacts answered 2xx are not in the ledger")
    result = {
        "workers": args.workers,
        "db": args.db,
        "client": args.client,
        "levels": [{k: v for k, v in level.items() if k != "answered"} for level in levels],
        "library": lib,
        "missing_from_ledger": missing,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    RESULTS.mkdir(exist_ok=True)
    name = "service-quick.json" if args.quick else "service.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    wrong = sum(level["wrong"] for level in levels) + missing + first["wrong"]
    errors = sum(level["errors"] for level in levels) + first["errors"]
    if wrong:
        print("bench_service: FAILED: answers differ from the library's, or were not recorded")
        return 1
    if args.quick and errors:
        print(f"bench_service: FAILED: {errors} requests failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
