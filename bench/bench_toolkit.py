"""The rule author's toolkit: how long explain, why-not, diff and the property tests take.

    python bench/bench_toolkit.py            # bundled rules and generated-200, ~1-2 min
    python bench/bench_toolkit.py --quick    # 10 contacts, 10 examples: under a minute

For each rules directory (the bundled rules; the generated 200-rule directory of
``workload.py``): ``explain`` per contact, ``why_not`` per contact and target level at
``max_changes`` 1, 2 and 3 (median and worst, with the candidate answer sets tried; at 3
on a tenth of the generated directory's contacts, as each search there takes seconds),
``diff_rules`` per contact (two assessments and a comparison), and each property of
``oneContact.testing.properties`` at its default number of examples. Single-threaded on
one pinned core; a benchmark, not a test. Figures go to docs/performance.md by hand.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from timing import Neighbours, pin_to_one_core
from workload import make_contacts, write_ruleset

from oneContact import Engine, diff_rules
from oneContact.explain import explain, why_not
from oneContact.ruleset import URGENCY_LEVELS
from oneContact.testing.properties import (
    DEFAULT_EXAMPLES,
    PROPERTIES,
    check_property,
)

REPO = Path(__file__).resolve().parents[1]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _measure(
    name: str, engine: Engine, contacts: list[dict[str, Any]], *, deep: int, examples: int
) -> None:
    print(f"\n## {name}: {len(engine.ruleset.rules)} rules, {len(contacts)} contacts")
    start = time.perf_counter()
    for contact in contacts:
        explain(engine, contact)
    print(f"explain: {_ms((time.perf_counter() - start) / len(contacts))} a contact")
    for bound in (1, 2, 3):
        times: list[float] = []
        tried: list[int] = []
        sample = contacts if bound < 3 else contacts[:deep]
        for contact in sample:
            current = engine.assess(contact).urgency
            for level in URGENCY_LEVELS:
                if level == current:
                    continue
                t0 = time.perf_counter()
                answer = why_not(engine, contact, level, max_changes=bound)
                times.append(time.perf_counter() - t0)
                tried.append(answer.tried)
        print(
            f"why_not max_changes={bound} ({len(sample)} contacts x 3 levels): median {_ms(statistics.median(times))}, "
            f"worst {_ms(max(times))}; candidate sets tried: median "
            f"{statistics.median(tried):.0f}, most {max(tried)}"
        )
    pairs = list(enumerate(contacts, 1))
    start = time.perf_counter()
    diff_rules(engine, engine, pairs)
    print(f"diff_rules: {_ms((time.perf_counter() - start) / len(contacts))} a contact")
    for prop in PROPERTIES:
        t0 = time.perf_counter()
        check_property(engine, prop, examples=examples)
        print(f"property {prop.name} ({examples} examples): {time.perf_counter() - t0:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer contacts")
    parser.add_argument("--backend", choices=("durable", "python"), default="python")
    args = parser.parse_args()
    count = 10 if args.quick else 100
    examples = 10 if args.quick else DEFAULT_EXAMPLES
    cpu = pin_to_one_core()
    neighbours = Neighbours()
    print(f"# toolkit timings, backend {args.backend}, pinned to CPU {cpu}")
    bundled = Engine.from_directory(REPO / "rules", backend=args.backend)
    _measure(
        "bundled",
        bundled,
        make_contacts(bundled.ruleset.questionnaire, count),
        deep=count,
        examples=examples,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = write_ruleset(Path(tmp) / "generated", policies=REPO / "rules" / "policies")
        generated = Engine.from_directory(path, backend=args.backend)
        contacts = make_contacts(generated.ruleset.questionnaire, count)
        deep = 1 if args.quick else count // 10
        _measure("generated-200", generated, contacts, deep=deep, examples=examples)
    used = neighbours.cores_used()
    if used is not None:
        print(f"\nother processes kept {used[0]:.2f} cores busy meanwhile (steal {used[1]:.2f})")


if __name__ == "__main__":
    main()
