"""oneContact benchmark: end-to-end ``Engine.assess`` against the bare rule evaluators.

    python bench/run.py              # the table (20,000 timed calls a row), ~30 s
    python bench/run.py --quick      # smoke run for CI, a few seconds
    python bench/run.py --memory     # RSS over 1,000,000 assessments per backend (slow)
    python bench/run.py --profile    # where the time of one assessment goes, per stage

Rows, for the bundled rules (when they load) and a generated 200-rule directory:
``assess`` end to end with backend durable and python, and the bare evaluators
(``DurableProgram.fired`` / generated ``PythonProgram.fired``) on the same pre-flattened
facts, so ``x bare`` shows what everything around the evaluator costs (validation,
hit policy, routes, clocks). Everything runs single-threaded on one pinned core.
Results go to bench/results/latest.json (--quick: quick.json, --memory: memory.json;
the table shows the last memory.json next to the memory target).
This is a benchmark, not a test: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import attrs
from stages import profile_stages
from timing import Neighbours, Timing, pin_to_one_core, text_table, time_calls
from workload import make_contacts, write_ruleset

from oneContact import bundled_rules_directory
from oneContact.engine import Engine, flatten
from oneContact.errors import RuleError
from oneContact.ruleset import RuleSet, load_ruleset
from oneContact.ruleset._durable import DurableProgram, DurableUnavailable
from oneContact.ruleset.python_evaluator import PythonProgram, compile_python

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
POLICIES = HERE.parent / "rules" / "policies"

# The targets, for the generated 200-rule directory on one core.
DURABLE_MIN_PER_S = 5_000
DURABLE_MAX_P99_US = 1_000
PYTHON_MIN_PER_S = 20_000
MEMORY_MAX_GROWTH = 0.05
# Above this many cores of other work on average, a run is marked as disturbed.
BUSY_CORES = 0.2


@attrs.frozen
class Row:
    """One line of the table."""

    case: str
    what: str
    backend: str
    timing: Timing
    fired: float
    bare: Timing | None = None  # the bare evaluator of the same backend, for the ratio

    @property
    def ratio(self) -> float | None:
        return None if self.bare is None else self.timing.mean_ns / self.bare.mean_ns

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "what": self.what,
            "backend": self.backend,
            "calls": self.timing.calls,
            "per_second": round(self.timing.per_second),
            "p50_us": round(self.timing.p50_ns / 1000, 1),
            "p99_us": round(self.timing.p99_ns / 1000, 1),
            "mean_us": round(self.timing.mean_ns / 1000, 1),
            "ratio_to_bare": None if self.ratio is None else round(self.ratio, 2),
            "fired_per_contact": round(self.fired, 2),
        }


@attrs.frozen
class Settings:
    calls: int
    warmup: int
    pool: int


# ----------------------------------------------------------------------- measuring


def _bare_programs(ruleset: RuleSet) -> dict[str, DurableProgram | PythonProgram]:
    """The bare evaluators for *ruleset*, by backend (durable only where it imports)."""
    conditions = [rule.condition for rule in ruleset.rules]
    programs: dict[str, DurableProgram | PythonProgram] = {}
    with contextlib.suppress(DurableUnavailable):
        programs["durable"] = DurableProgram(conditions)
    programs["python"] = compile_python(conditions)
    return programs


def measure_case(
    case: str, ruleset: RuleSet, settings: Settings, notes: list[str], failures: list[str]
) -> list[Row]:
    """The four rows of one rules directory: assess and bare, for both backends.

    Before timing, both bare evaluators run on every fact of the pool: a disagreement
    between them is a failure (the one thing this benchmark can fail on).
    """
    contacts = make_contacts(ruleset.questionnaire, settings.pool)
    programs = _bare_programs(ruleset)
    if "durable" not in programs:
        notes.append(f"{case}: durable_rules does not import here; durable rows skipped")
    checker = Engine(ruleset, backend="python")
    facts = [flatten(checker.validate(c), ruleset.questionnaire) for c in contacts]
    fired = statistics.fmean(len(checker.assess(c).fired) for c in contacts)
    if "durable" in programs:
        durable, python = programs["durable"], programs["python"]
        wrong = sum(durable.fired(f) != python.fired(f) for f in facts)
        if wrong:
            failures.append(f"{case}: durable and python disagree on {wrong} of {len(facts)} facts")
    rows: list[Row] = []
    for backend, program in programs.items():
        bare = time_calls(program.fired, facts, calls=settings.calls, warmup=settings.warmup)
        engine = Engine(ruleset, backend=backend)  # type: ignore[arg-type]
        full = time_calls(engine.assess, contacts, calls=settings.calls, warmup=settings.warmup)
        rows.append(Row(case, "assess", backend, full, fired, bare))
        rows.append(Row(case, "bare fired", backend, bare, fired))
        del engine
        if isinstance(program, DurableProgram):
            program.close()
    return rows


def load_cases(generated: Path, notes: list[str]) -> list[tuple[str, RuleSet]]:
    cases: list[tuple[str, RuleSet]] = []
    bundled = bundled_rules_directory()
    try:
        cases.append(("bundled", load_ruleset(bundled)))
    except RuleError as exc:
        first = exc.problems[0] if exc.problems else None
        notes.append(
            f"bundled rules ({bundled}) do not load yet ({len(exc.problems)} problem(s), "
            f"first: {first}); bundled rows skipped"
        )
    cases.append(("generated-200", load_ruleset(generated)))
    return cases


# ----------------------------------------------------------------------- reporting


def _machine(cpu: int | None) -> dict[str, Any]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions: dict[str, str | None] = {}
    for package in ("onecontact", "durable-rules", "pydantic", "pydantic-core"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 -- read-only
            cwd=HERE,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "nproc": os.cpu_count(),
        "pinned_cpu": cpu,
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "commit": commit or None,
    }


def _int(value: float) -> str:
    return f"{value:,.0f}"


def format_table(rows: Sequence[Row]) -> str:
    header = ("case", "row", "backend", "assessments/s", "p50 µs", "p99 µs", "x bare", "fired")
    lines = [header]
    for row in rows:
        t = row.timing
        lines.append(
            (
                row.case,
                row.what,
                row.backend,
                _int(t.per_second),
                f"{t.p50_ns / 1000:,.1f}",
                f"{t.p99_ns / 1000:,.1f}",
                "" if row.ratio is None else f"{row.ratio:.1f}",
                f"{row.fired:.1f}",
            )
        )
    return text_table(lines, left=3)


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def targets(rows: Sequence[Row], memory: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The issue's targets next to the measured figures (generated 200-rule directory)."""
    found = {(r.backend, r.what): r.timing for r in rows if r.case == "generated-200"}
    out: list[dict[str, Any]] = []
    durable = found.get(("durable", "assess"))
    if durable is not None:
        out.append(
            {
                "target": f"durable assess >= {DURABLE_MIN_PER_S:,}/s",
                "measured": f"{_int(durable.per_second)}/s",
                "met": durable.per_second >= DURABLE_MIN_PER_S,
            }
        )
        out.append(
            {
                "target": f"durable assess p99 <= {DURABLE_MAX_P99_US:,} µs",
                "measured": f"{durable.p99_ns / 1000:,.0f} µs",
                "met": durable.p99_ns / 1000 <= DURABLE_MAX_P99_US,
            }
        )
    python = found.get(("python", "assess"))
    if python is not None:
        out.append(
            {
                "target": f"python assess >= {PYTHON_MIN_PER_S:,}/s",
                "measured": f"{_int(python.per_second)}/s",
                "met": python.per_second >= PYTHON_MIN_PER_S,
            }
        )
    if memory is None:
        out.append(
            {
                "target": "memory flat over 1,000,000 assessments",
                "measured": "not measured (python bench/run.py --memory)",
                "met": None,
            }
        )
    else:
        for backend, result in memory["backends"].items():
            out.append(
                {
                    "target": f"memory flat over {memory['n']:,} ({backend}, growth < 5 %)",
                    "measured": f"{result['growth'] * 100:+.1f} % "
                    f"({result['rss_kib'][0] / 1024:.1f} -> {result['rss_kib'][-1] / 1024:.1f} MiB,"
                    f" from memory.json {memory['when'][:10]})",
                    "met": result["flat"],
                }
            )
    return out


def format_targets(found: Sequence[dict[str, Any]]) -> str:
    width = max(len(t["target"]) for t in found)
    lines = ["targets (generated 200 rules, one core):"]
    for t in found:
        verdict = "-" if t["met"] is None else _verdict(t["met"])
        lines.append(f"  {t['target'].ljust(width)}  {t['measured']}  {verdict}")
    return "\n".join(lines)


def _write_json(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _read_memory() -> dict[str, Any] | None:
    path = RESULTS / "memory.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# ----------------------------------------------------------------------- memory


def rss_kib() -> int:
    """Resident set size now, in KiB (peak RSS where /proc is not there)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def run_memory(ruleset: RuleSet, n: int, backends: Sequence[str]) -> dict[str, Any]:
    """RSS every n/10 assessments; flat when it grows < 5 % after the first tenth."""
    contacts = make_contacts(ruleset.questionnaire, 1000)
    step = max(n // 10, 1)
    result: dict[str, Any] = {"n": n, "when": datetime.now(UTC).isoformat(), "backends": {}}
    for backend in backends:
        engine = Engine(ruleset, backend=backend)  # type: ignore[arg-type]
        if engine.backend != backend:
            print(f"{backend}: not available here, skipped")
            continue
        print(f"{backend}: {n:,} assessments, RSS every {step:,}")
        samples: list[int] = []
        before = rss_kib()
        print(f"  {0:>10,}  RSS {before / 1024:8.1f} MiB")
        start = time.perf_counter()
        for i in range(1, n + 1):
            engine.assess(contacts[i % len(contacts)])
            if i % step == 0:
                samples.append(rss_kib())
                seconds = time.perf_counter() - start
                print(f"  {i:>10,}  RSS {samples[-1] / 1024:8.1f} MiB  {seconds:7.1f} s")
        growth = (samples[-1] - samples[0]) / samples[0]
        flat = growth < MEMORY_MAX_GROWTH
        verdict = "flat" if flat else "NOT flat"
        print(f"  growth after the first tenth: {growth * 100:+.2f} % -> {verdict}")
        result["backends"][backend] = {
            "rss_start_kib": before,
            "rss_kib": samples,
            "growth": growth,
            "flat": flat,
        }
        del engine
        gc.collect()
    return result


# ----------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="few calls per row: a smoke run")
    parser.add_argument("--calls", type=int, help="timed calls per row (default 20,000)")
    parser.add_argument(
        "--memory",
        type=int,
        nargs="?",
        const=1_000_000,
        metavar="N",
        help="RSS over N assessments per backend",
    )
    parser.add_argument(
        "--profile", action="store_true", help="time each stage of assess and print a cProfile"
    )
    parser.add_argument("--cpu", type=int, help="the CPU to pin to (default: the last allowed)")
    parser.add_argument(
        "--keep-ruleset", type=Path, metavar="DIR", help="write the generated rules directory here"
    )
    args = parser.parse_args(argv)

    cpu = pin_to_one_core(args.cpu)
    settings = (
        Settings(calls=args.calls or 500, warmup=100, pool=200)
        if args.quick
        else Settings(calls=args.calls or 20_000, warmup=2_000, pool=1_000)
    )
    with tempfile.TemporaryDirectory(prefix="onecontact-bench-") as tmp:
        target = args.keep_ruleset or Path(tmp) / "generated"
        generated = write_ruleset(target, rules=200, policies=POLICIES)
        if args.memory:
            memory = run_memory(load_ruleset(generated), args.memory, ("durable", "python"))
            memory["machine"] = _machine(cpu)
            print(f"wrote {_write_json('memory.json', memory)}")
            return 0
        if args.profile:
            profile_stages(load_ruleset(generated), calls=settings.calls // 4)
            return 0
        notes: list[str] = []
        failures: list[str] = []
        neighbours = Neighbours()
        started = time.perf_counter()
        rows: list[Row] = []
        for case, ruleset in load_cases(generated, notes):
            rows.extend(measure_case(case, ruleset, settings, notes, failures))
        elapsed = time.perf_counter() - started
        others = neighbours.cores_used()

    machine = _machine(cpu)
    if others is not None:
        machine["other_processes_cores"], machine["steal_cores"] = (round(x, 2) for x in others)
        if sum(others) > BUSY_CORES:
            notes.append(
                f"the machine was shared: other processes kept {others[0]:.2f} cores busy and "
                f"the hypervisor stole {others[1]:.2f} on average; the figures are pessimistic"
            )
    print(
        f"oneContact bench: {settings.calls:,} timed calls a row after {settings.warmup:,} "
        f"warm-up, {settings.pool:,} contacts; CPU {machine['cpu_model']} (pinned to {cpu}), "
        f"Python {machine['python']}"
    )
    print(format_table(rows))
    found = targets(rows, _read_memory())
    print(format_targets(found))
    for note in notes:
        print(f"note: {note}")
    for failure in failures:
        print(f"FAILED: {failure}")
    path = _write_json(
        "quick.json" if args.quick else "latest.json",
        {
            "when": datetime.now(UTC).isoformat(),
            "quick": args.quick,
            "settings": attrs.asdict(settings),
            "machine": machine,
            "rows": [row.to_json() for row in rows],
            "targets": found,
            "notes": notes,
            "failures": failures,
            "seconds": round(elapsed, 1),
        },
    )
    print(f"wrote {path} ({elapsed:.1f} s)")
    # A benchmark never fails on speed; it does fail when the two evaluators disagree.
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
