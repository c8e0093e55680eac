"""Lint and coverage benchmark: how long a rule author waits.

    python bench/bench_lint.py

1. ``lint_rules`` on the bundled rules with the bundled fixtures (what CI runs), best of 3.
2. ``lint_rules`` on the generated 200-rule directory of ``bench/workload.py`` (no
   fixtures; every generated rule writes a priority, so the order check has little to do),
   best of 3, and the number of findings.
3. Coverage recording: ``Coverage.record`` per fixture contact on the bundled rules
   (what ``pytest --onecontact-coverage`` adds to each case), mean over 1,000 contacts.

This is a benchmark, not a test: nothing here fails on a slow machine.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workload import make_contacts, write_ruleset

from oneContact import Engine, lint_rules
from oneContact.testing.coverage import Coverage

REPO = Path(__file__).resolve().parents[1]


def _best(run: Callable[[], Any], times: int = 3) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(times):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    rules, fixtures = REPO / "rules", REPO / "fixtures"
    seconds, findings = _best(lambda: lint_rules(rules, fixtures=fixtures))
    print(f"lint bundled rules + fixtures: {seconds:.2f} s, {len(findings)} findings")
    with tempfile.TemporaryDirectory() as tmp:
        generated = write_ruleset(Path(tmp) / "rules", policies=rules / "policies")
        seconds, findings = _best(lambda: lint_rules(generated))
        codes: dict[str, int] = {}
        for f in findings:
            codes[f.code] = codes.get(f.code, 0) + 1
        print(f"lint generated 200 rules: {seconds:.2f} s, findings {codes}")
    engine = Engine.from_directory(rules, backend="durable")
    contacts = make_contacts(engine.ruleset.questionnaire, 1000)
    coverage = Coverage(engine.ruleset)
    start = time.perf_counter()
    for contact in contacts:
        coverage.record(engine, contact)
    per = (time.perf_counter() - start) / len(contacts)
    print(f"coverage record, bundled rules: {per * 1e6:.0f} µs a contact")


if __name__ == "__main__":
    main()
