"""FHIR R4 in and out: what the FHIR mapping adds to an assessment, side by side with the
assessment itself (the baseline), in one run.

    python bench/bench_fhir.py            # 1,000 contacts, ~1 min
    python bench/bench_fhir.py --quick    # 50 contacts, a few seconds (CI)

Contacts are ``workload.make_contacts`` over the bundled rules (seeded), each written as a
QuestionnaireResponse with ``oneContact.fhir.response_from_contact`` before timing.
Rows, each timed per call on one pinned core after a warm-up (``timing.time_calls``):

* ``assess (baseline)``: ``engine.assess(contact)`` of the plain first-contact dict;
* ``response -> contact``: ``contact_from_response`` (reading and checking the response);
* ``assessment -> Bundle``: ``bundle`` (RiskAssessment, ServiceRequests, Tasks, Provenance);
* ``response -> Bundle``: the whole ``onecontact fhir assess`` path (read, assess, Bundle);
* ``Bundle as JSON``: ``json.dumps`` of the Bundle, what a service sends;
* ``$next-question``: ``next_question`` on the response without its question answers,
  beside ``engine.next_questions`` on the same contact; each after a warm-up over every
  contact (the engine's memos warm alike for both rows).

The last column is each row's mean over the baseline's. A benchmark, not a test: nothing
fails on a slow machine; figures go to docs/performance.md by hand.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from timing import Neighbours, pin_to_one_core, text_table, time_calls
from workload import make_contacts

from oneContact import Engine, bundled_rules_directory
from oneContact.fhir import bundle, contact_from_response, next_question, response_from_contact

RECORDED = datetime(2025, 6, 1, tzinfo=UTC)


def _row(name: str, timing: Any, baseline: float) -> list[str]:
    return [
        name,
        f"{timing.p50_ns / 1e3:.0f}",
        f"{timing.p99_ns / 1e3:.0f}",
        f"{timing.mean_ns / 1e3:.0f}",
        f"{timing.mean_ns / baseline:.2f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50 contacts (CI)")
    args = parser.parse_args()
    count = 50 if args.quick else 1_000
    cpu = pin_to_one_core()
    engine = Engine.from_directory(bundled_rules_directory())
    ruleset = engine.ruleset
    contacts: list[dict[str, Any]] = make_contacts(ruleset.questionnaire, count)
    responses = [response_from_contact(c, ruleset) for c in contacts]
    for contact, response in zip(contacts, responses, strict=True):
        back = contact_from_response(response, ruleset, channel=contact["channel"])
        if engine.assess(back).decision() != engine.assess(contact).decision():
            raise SystemExit(f"{contact['contact_id']}: the response decides otherwise")
    assessments = [engine.assess(c) for c in contacts]
    first_steps = []
    for contact, response in zip(contacts, responses, strict=True):
        kept = [g for g in response["item"] if g["linkId"] in ("client", "concerns")]
        first_steps.append(({**response, "status": "in-progress", "item": kept}, contact))
    calls, warmup = count * 3, count
    neighbours = Neighbours()
    baseline = time_calls(engine.assess, contacts, calls=calls, warmup=warmup)
    rows = [
        _row("assess (baseline)", baseline, baseline.mean_ns),
        _row(
            "response -> contact",
            time_calls(
                lambda r: contact_from_response(r, ruleset), responses, calls=calls, warmup=warmup
            ),
            baseline.mean_ns,
        ),
        _row(
            "assessment -> Bundle",
            time_calls(
                lambda a: bundle(a, ruleset, recorded=RECORDED),
                assessments,
                calls=calls,
                warmup=warmup,
            ),
            baseline.mean_ns,
        ),
        _row(
            "response -> Bundle",
            time_calls(
                lambda r: bundle(
                    engine.assess(contact_from_response(r, ruleset)), ruleset, recorded=RECORDED
                ),
                responses,
                calls=calls,
                warmup=warmup,
            ),
            baseline.mean_ns,
        ),
        _row(
            "Bundle as JSON",
            time_calls(
                lambda a: json.dumps(bundle(a, ruleset, recorded=RECORDED)),
                assessments,
                calls=calls,
                warmup=warmup,
            ),
            baseline.mean_ns,
        ),
    ]
    plain_steps = [{**c, "answers": {}} for c in contacts]
    rows.append(
        _row(
            "next_questions (plain)",
            time_calls(engine.next_questions, plain_steps, calls=count, warmup=count),
            baseline.mean_ns,
        )
    )
    rows.append(
        _row(
            "$next-question (FHIR)",
            time_calls(
                lambda s: next_question(engine, s[0]),
                first_steps,
                calls=count,
                warmup=min(count, 20),
            ),
            baseline.mean_ns,
        )
    )
    print(
        f"bundled rules ({len(ruleset.rules)} rules, backend {engine.backend}), {count} contacts, "
        f"one core ({cpu})"
    )
    print(text_table([["row", "p50 µs", "p99 µs", "mean µs", "x assess"], *rows], left=1))
    used = neighbours.cores_used()
    if used is not None:
        print(f"other processes kept {used[0]:.2f} cores busy; {used[1]:.2f} stolen")


if __name__ == "__main__":
    main()
