"""Two revisions of oneContact side by side: what ``assess`` costs around the evaluator.

    python bench/compare.py e577169 HEAD            # ~1 min: 7 alternating rounds
    python bench/compare.py e577169 .               # "." is this checkout, uncommitted
    python bench/compare.py e577169 HEAD --rounds 11 --seconds 0.3

Each revision is checked out into a temporary worktree (``git worktree add --detach``)
and runs in its own worker process with ``PYTHONPATH=<worktree>/src`` (the worker checks
that it imported that tree, not the editable install). Both workers read the same
inputs, written once by this script: the bundled rules of the first revision, the
generated 200-rule directory of ``workload.py`` and a pool of contacts for each.

Timing alternates: in each round, for each rules directory and backend, the two
revisions are timed one after the other (the order flips every round), each on the bare
evaluator the engine compiled (``fired`` on pre-flattened facts) and on ``assess`` end
to end. A figure is the best mean of the rounds (a disturbed round is slower, never
faster); the median is shown beside the ratio. Times are the CPU time of the worker
process (``time.process_time_ns``), so that time another process had the core is not
counted; caches and the memory bus are still shared. ``around`` is assess minus evaluator:
what validation, flattening, the hit policy, clocks, routes and the result cost.

Before timing, both revisions assess every contact of the pools (both backends, with and
without events and ``now``, through the example directory, and a set of invalid
contacts) and the JSON of every result is compared: ``Assessment.to_json()``, each
clock's and route's JSON and the remaining fields of both, the subjects, and every
error's problems. Any difference is printed and the script exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from timing import text_table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CASES = ("bundled", "generated-200")
BACKENDS = ("python", "durable")


# ====================================================================== worker
# Runs in a subprocess with PYTHONPATH=<revision>/src; imports nothing from bench/.


def _plain(value: Any) -> Any:
    """*value* as JSON-ready data, whatever its class (attrs, dates, labels, enums)."""
    import attrs  # noqa: PLC0415

    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if hasattr(value, "_asdict"):
        return _plain(value._asdict())
    return repr(value)


def _record(assessment: Any) -> dict[str, Any]:
    """Everything an assessment says: its JSON, then every field of it, its clocks and
    its routes (the strict part is ``json``; ``fields`` is compared key by key)."""
    return {
        "json": assessment.to_json(),
        "clocks": [c.to_json() for c in assessment.clocks],
        "routes": [r.to_json() for r in assessment.routes],
        "fields": _plain(assessment),
    }


def _error(exc: Exception) -> dict[str, Any]:
    problems = getattr(exc, "problems", ())
    return {
        "error": type(exc).__name__,
        "text": str(exc),
        "problems": [p.to_json() if hasattr(p, "to_json") else _plain(p) for p in problems],
    }


class _Worker:
    def __init__(self, setup: dict[str, Any]) -> None:
        import oneContact  # noqa: PLC0415
        from oneContact.engine import Engine, flatten  # noqa: PLC0415

        expected = Path(setup["src"]).resolve()
        found = Path(oneContact.__file__).resolve()
        if expected not in found.parents:
            raise SystemExit(f"worker imported {found}, not the tree under {expected}")
        self.engines: dict[tuple[str, str], Any] = {}
        self.contacts: dict[str, list[dict[str, Any]]] = {}
        self.facts: dict[str, list[Any]] = {}
        self.setup = setup
        for case, spec in setup["cases"].items():
            self.contacts[case] = json.loads(Path(spec["contacts"]).read_text("utf-8"))
            for backend in BACKENDS:
                engine = Engine.from_directory(spec["rules"], backend=backend)
                if engine.backend != backend:
                    raise SystemExit(f"{case}: backend {backend} is not available here")
                self.engines[case, backend] = engine
            checker = self.engines[case, "python"]
            questionnaire = checker.ruleset.questionnaire
            self.facts[case] = [
                flatten(checker.validate(c), questionnaire) for c in self.contacts[case]
            ]

    @staticmethod
    def _program(engine: Any) -> Any:
        return engine._program

    def check(self) -> dict[str, list[Any]]:
        """Every output of both backends, by variant (see the module docstring)."""
        from datetime import datetime, timedelta  # noqa: PLC0415

        from oneContact import Directory  # noqa: PLC0415
        from oneContact.engine import Engine  # noqa: PLC0415

        out: dict[str, list[Any]] = {}
        for (case, backend), engine in self.engines.items():
            contacts = self.contacts[case]
            out[f"{case}/{backend}"] = [_record(engine.assess(c)) for c in contacts]
            known = engine.ruleset.policies.events
            timed = []
            for i, c in enumerate(contacts):
                received = datetime.fromisoformat(c["received_at"])
                events = {
                    name: received + timedelta(hours=6 + 13 * k + i % 11)
                    for k, name in enumerate(sorted(known))
                    if (i + k) % 3 == 0 and name != "contact_received"
                }
                now = received + timedelta(days=i % 60)
                try:
                    timed.append(_record(engine.assess(c, events=events, now=now)))
                except Exception as exc:
                    timed.append(_error(exc))
            out[f"{case}/{backend}/events"] = timed
            out[f"{case}/{backend}/invalid"] = [
                self._invalid(engine, c, i) for i, c in enumerate(contacts[:200])
            ]
        spec = self.setup["cases"].get("bundled")
        if spec is not None and self.setup.get("directory"):
            directory = Directory.from_file(self.setup["directory"], rules=spec["rules"])
            engine = Engine.from_directory(spec["rules"], backend="python", directory=directory)
            places = ("rannikko", "kivilahti", "ekby", None)
            routed = []
            for i, c in enumerate(self.contacts["bundled"][:300]):
                moved = dict(c, received_at=f"2026-03-{2 + i % 10:02d}T{8 + i % 9:02d}:15:00+02:00")
                moved.pop("municipality", None)
                if places[i % 4] is not None:
                    moved["municipality"] = places[i % 4]
                try:
                    routed.append(_record(engine.assess(moved)))
                except Exception as exc:
                    routed.append(_error(exc))
            out["bundled/directory"] = routed
        return out

    @staticmethod
    def _invalid(engine: Any, contact: dict[str, Any], i: int) -> Any:
        """One of several broken variants of *contact*, and what assess says of it."""
        bad = json.loads(json.dumps(contact))
        kind = i % 8
        if kind == 0:
            bad["concerns"] = [*bad["concerns"], "no_such_concern"]
        elif kind == 1:
            bad["answers"]["no_such_question"] = True
        elif kind == 2 and bad["answers"]:
            first = next(iter(bad["answers"]))
            bad["answers"][first] = [1, 2]
        elif kind == 3 and bad["answers"]:
            first = next(iter(bad["answers"]))
            bad["answers"][first] = "not-a-choice" if bad["answers"][first] is not True else 7
        elif kind == 4:
            bad["received_at"] = bad["received_at"][:19]
        elif kind == 5:
            bad["client"] = {"language": "fi"}
            bad["concerns"].append("no_such_concern")
        elif kind == 6:
            bad["extra"] = 1
            bad["answers"]["no_such_question"] = 1
        else:
            text = json.dumps(bad)
            try:
                return _record(engine.assess(text[:-1] if i % 16 == 7 else text))
            except Exception as exc:
                return _error(exc)
        try:
            return _record(engine.assess(bad))
        except Exception as exc:
            return _error(exc)

    def time(self, case: str, backend: str, what: str, seconds: float) -> float:
        """Mean ns per call of *what* ("assess" or "bare") over about *seconds*."""
        import gc  # noqa: PLC0415

        engine = self.engines[case, backend]
        if what == "assess":
            function, inputs = engine.assess, self.contacts[case]
        else:
            function, inputs = self._program(engine).fired, self.facts[case]
        count = len(inputs)
        # CPU time of this process: on a shared machine, the time another process had
        # the core is not counted (wall time would count it against whoever ran then).
        clock = time.process_time_ns
        start = clock()
        for i in range(count):
            function(inputs[i])
        estimate = max((clock() - start) / count, 1.0)
        calls = max(int(seconds * 1e9 / estimate), count)
        gc.collect()
        start = clock()
        for i in range(calls):
            function(inputs[i % count])
        return (clock() - start) / calls


def worker_main() -> int:
    setup = json.loads(sys.stdin.readline())
    worker = _Worker(setup)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command["do"] == "check":
            path = Path(command["out"])
            path.write_text(json.dumps(worker.check(), ensure_ascii=False), "utf-8")
            print(json.dumps({"done": str(path)}), flush=True)
        elif command["do"] == "time":
            ns = worker.time(command["case"], command["backend"], command["what"], command["s"])
            print(json.dumps({"ns": ns}), flush=True)
        else:
            break
    return 0


# ====================================================================== driver


class Revision:
    """One revision under test: its source tree and its worker process."""

    def __init__(self, label: str, tree: Path) -> None:
        self.label = label
        self.role = label  # "before" or "after": the key of its figures
        self.tree = tree
        self.process: subprocess.Popen[str] | None = None

    def start(self, setup: dict[str, Any], cpu: int | None) -> None:
        env = dict(os.environ, PYTHONPATH=str(self.tree / "src"), PYTHONHASHSEED="0")
        command = [sys.executable, str(Path(__file__).resolve()), "--worker"]
        if cpu is not None:
            command = ["taskset", "-c", str(cpu), *command]
        self.process = subprocess.Popen(  # noqa: S603 -- our own interpreter and script
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tempfile.gettempdir(),
        )
        self.ask({**setup, "src": str(self.tree / "src")})

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.process is not None
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        stdin: IO[str] = self.process.stdin
        stdin.write(json.dumps(message) + "\n")
        stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"{self.label}: the worker stopped (see its error above)")
        return json.loads(line)  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.write(json.dumps({"do": "stop"}) + "\n")
                self.process.stdin.close()
            self.process.wait(timeout=30)


def _git(*args: str) -> str:
    return subprocess.run(  # noqa: S603
        ["git", "-C", str(ROOT), *args],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@contextlib.contextmanager
def checkouts(revisions: Sequence[str], tmp: Path) -> Iterator[list[Revision]]:
    """A tree for each revision: a detached worktree, or this checkout for ``.``."""
    made: list[Path] = []
    out: list[Revision] = []
    try:
        for n, rev in enumerate(revisions):
            if rev == ".":
                out.append(Revision(". (this checkout)", ROOT))
                continue
            commit = _git("rev-parse", "--short", rev)
            tree = tmp / f"rev{n}-{commit}"
            _git("worktree", "add", "--detach", "--quiet", str(tree), commit)
            made.append(tree)
            out.append(Revision(f"{rev} ({commit})" if rev != commit else rev, tree))
        for rev, role in zip(out, ("before", "after"), strict=True):
            rev.role = role
        yield out
    finally:
        for tree in made:
            with contextlib.suppress(subprocess.CalledProcessError):
                _git("worktree", "remove", "--force", str(tree))


def write_inputs(first: Path, tmp: Path, pool: int) -> dict[str, Any]:
    """The rules directories and contact pools both workers read."""
    sys.path.insert(0, str(HERE))
    from workload import make_contacts, write_ruleset  # noqa: PLC0415

    from oneContact.ruleset import load_ruleset  # noqa: PLC0415

    rules = {
        "bundled": first / "rules",
        "generated-200": write_ruleset(
            tmp / "generated", rules=200, policies=first / "rules" / "policies"
        ),
    }
    cases: dict[str, Any] = {}
    for case, directory in rules.items():
        contacts = make_contacts(load_ruleset(directory).questionnaire, pool)
        path = tmp / f"{case}.contacts.json"
        path.write_text(json.dumps(contacts, ensure_ascii=False), "utf-8")
        cases[case] = {"rules": str(directory), "contacts": str(path)}
    directory_file = first / "examples" / "directory.yaml"
    return {
        "cases": cases,
        "directory": str(directory_file) if directory_file.is_file() else None,
    }


def compare_outputs(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    """Every difference between two check results (strict JSON; fields present in both)."""
    problems: list[str] = []
    for variant in sorted(set(before) | set(after)):
        a, b = before.get(variant), after.get(variant)
        if a is None or b is None:
            problems.append(f"{variant}: only in {'after' if a is None else 'before'}")
            continue
        if len(a) != len(b):
            problems.append(f"{variant}: {len(a)} results before, {len(b)} after")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            for key in sorted(set(x) | set(y)):
                if key == "fields" and key in x and key in y:
                    diff = _field_diff(x[key], y[key], "")
                    if diff:
                        problems.append(f"{variant}[{i}] fields: {diff}")
                elif x.get(key) != y.get(key):
                    problems.append(
                        f"{variant}[{i}] {key}:\n    before {json.dumps(x.get(key))[:600]}"
                        f"\n    after  {json.dumps(y.get(key))[:600]}"
                    )
    return problems


def _field_diff(x: Any, y: Any, path: str) -> str | None:
    """The first difference of two plain values, ignoring keys only one side has."""
    if isinstance(x, dict) and isinstance(y, dict):
        for key in x.keys() & y.keys():
            found = _field_diff(x[key], y[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        for n, (p, q) in enumerate(zip(x, y, strict=True)):
            found = _field_diff(p, q, f"{path}[{n}]")
            if found:
                return found
        return None
    return None if x == y else f"{path}: {json.dumps(x)[:200]} != {json.dumps(y)[:200]}"


def _us(ns: float) -> str:
    return f"{ns / 1000:,.2f}"


def table(
    revisions: Sequence[Revision], times: dict[tuple[str, str, str, str], list[float]]
) -> str:
    """The side-by-side table: best of the rounds, in µs per call."""
    header = (
        "rules",
        "backend",
        "eval before",
        "assess before",
        "around before",
        "eval after",
        "assess after",
        "around after",
        "around ÷",
        "(median ÷)",
        "assess ÷",
    )
    lines = [header]
    for case in CASES:
        for backend in BACKENDS:
            got: dict[str, tuple[float, float, float, float]] = {}
            for rev in revisions:
                bare = times[rev.role, case, backend, "bare"]
                full = times[rev.role, case, backend, "assess"]
                arounds = [f - b for f, b in zip(full, bare, strict=True)]
                got[rev.role] = (
                    min(bare),
                    min(full),
                    min(full) - min(bare),
                    statistics.median(arounds),
                )
            b, a = got["before"], got["after"]
            lines.append(
                (
                    case,
                    backend,
                    _us(b[0]),
                    _us(b[1]),
                    _us(b[2]),
                    _us(a[0]),
                    _us(a[1]),
                    _us(a[2]),
                    f"{b[2] / a[2]:.2f}",
                    f"({b[3] / a[3]:.2f})",
                    f"{b[1] / a[1]:.2f}",
                )
            )
    return text_table(lines, left=2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("before", help="a git revision, or . for this checkout")
    parser.add_argument("after", help="a git revision, or . for this checkout")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (default 7)")
    parser.add_argument(
        "--seconds", type=float, default=0.25, help="length of one timed block (default 0.25)"
    )
    parser.add_argument("--pool", type=int, default=500, help="contacts per rules directory")
    parser.add_argument("--check-only", action="store_true", help="compare outputs, no timing")
    parser.add_argument(
        "--cpu", type=int, help="pin both workers to this CPU (default: no pinning)"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="onecontact-compare-") as name:
        tmp = Path(name)
        with checkouts((args.before, args.after), tmp) as revisions:
            setup = write_inputs(revisions[0].tree, tmp, args.pool)
            for rev in revisions:
                rev.start(setup, args.cpu)
            try:
                results = []
                for n, rev in enumerate(revisions):
                    path = tmp / f"check{n}.json"
                    rev.ask({"do": "check", "out": str(path)})
                    results.append(json.loads(path.read_text("utf-8")))
                problems = compare_outputs(results[0], results[1])
                checked = sum(len(v) for v in results[0].values())
                errors = sum("error" in x for v in results[0].values() for x in v)
                if problems:
                    print(f"OUTPUTS DIFFER: {len(problems)} difference(s) in {checked} results")
                    for problem in problems[:30]:
                        print(f"  {problem}")
                else:
                    print(
                        f"outputs identical: {checked:,} results ({errors:,} of them errors) "
                        f"in {len(results[0])} variants"
                    )
                if args.check_only:
                    return 1 if problems else 0
                times: dict[tuple[str, str, str, str], list[float]] = {}
                for r in range(args.rounds):
                    order = revisions if r % 2 == 0 else revisions[::-1]
                    for case in CASES:
                        for backend in BACKENDS:
                            for rev in order:
                                for what in ("bare", "assess"):
                                    ns = rev.ask(
                                        {
                                            "do": "time",
                                            "case": case,
                                            "backend": backend,
                                            "what": what,
                                            "s": args.seconds,
                                        }
                                    )["ns"]
                                    key = (rev.role, case, backend, what)
                                    times.setdefault(key, []).append(ns)
                    print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
            finally:
                for rev in revisions:
                    rev.stop()
    print(
        f"before = {revisions[0].label}, after = {revisions[1].label}; µs per call, best of "
        f"{args.rounds} alternating rounds of ~{args.seconds} s each; pool {args.pool} contacts; "
        f"{time.perf_counter() - started:.0f} s"
    )
    print(table(revisions, times))
    return 1 if problems else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.exit(worker_main())
    sys.exit(main())
