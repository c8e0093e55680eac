"""Where the time of one ``Engine.assess`` goes: each stage timed alone, then a cProfile.

The stages are the public pieces ``assess`` is made of, called one by one on the same
contacts: shape validation (pydantic), the questionnaire check and the flat fact (one
pass: ``Engine.validate`` minus the shape), the bare evaluator, routing and the
care-guarantee clocks. What is left of ``assess`` after them is merging the outcomes of
the fired rules (the evaluator gives them in hit-policy order), the subjects of the
clocks and building the result objects.
"""

from __future__ import annotations

import cProfile
import io
import pstats
from collections.abc import Callable, Sequence
from typing import Any

from timing import best_mean_ns
from workload import make_contacts

from oneContact import CatalogueRouter, ClockSubject, RouteRequest, ServiceRequest, parse_contact
from oneContact.engine import Engine, flatten
from oneContact.intake import FirstContact
from oneContact.ruleset import URGENCY_LEVELS, Rule, RuleSet
from oneContact.ruleset._durable import DurableProgram
from oneContact.ruleset.python_evaluator import compile_python

__all__ = ["profile_stages"]


def _route_request(contact: FirstContact, fired: Sequence[Rule], ruleset: RuleSet) -> RouteRequest:
    """The request ``assess`` hands the router (the same hit-policy merge)."""
    catalogue = ruleset.catalogue
    set_by_rules = [r.urgency for r in fired if r.urgency is not None]
    urgency = (
        min(set_by_rules, key=URGENCY_LEVELS.index) if set_by_rules else catalogue.default_urgency
    )
    services: dict[str, ServiceRequest] = {}
    for rule in fired:
        for service in rule.services:
            services.setdefault(service, ServiceRequest(service, rule.id, rule.urgency))
    return RouteRequest(contact, urgency, tuple(services.values()), catalogue)


def _clock_call(
    contact: FirstContact, fired: Sequence[Rule], ruleset: RuleSet
) -> Callable[[], object]:
    clock_ids = tuple(dict.fromkeys(c for rule in fired for c in rule.clocks))
    client = contact.client
    subject = ClockSubject(
        age=client.age,
        birth_date=client.birth_date,
        highest_care_allowance=client.highest_care_allowance,
        special_support_child=client.special_support_child,
    )
    return lambda: ruleset.policies.compute(
        clock_ids, subject=subject, received_at=contact.received_at
    )


def _stage_table(
    ruleset: RuleSet, backend: str, contacts: list[dict[str, Any]], calls: int
) -> None:
    engine = Engine(ruleset, backend=backend)  # type: ignore[arg-type]
    questionnaire = ruleset.questionnaire
    conditions = [rule.condition for rule in ruleset.rules]
    program = DurableProgram(conditions) if backend == "durable" else compile_python(conditions)
    parsed = [parse_contact(c) for c in contacts]
    facts = [flatten(p, questionnaire) for p in parsed]
    fired = [engine.fired_rules(p) for p in parsed]
    requests = [_route_request(p, f, ruleset) for p, f in zip(parsed, fired, strict=True)]
    clocks = [_clock_call(p, f, ruleset) for p, f in zip(parsed, fired, strict=True)]
    router = CatalogueRouter()
    bare = f"bare {type(program).__name__}.fired"
    # Engine.validate is the shape check and, in one pass, the questionnaire check and
    # the flat fact (what assess reads of a contact); the flat fact alone is flatten.
    read = "questionnaire check + flat fact (one pass)"
    stages: list[tuple[str, Callable[[Any], object], Sequence[Any]]] = [
        ("parse_contact (pydantic shape)", parse_contact, contacts),
        (read, engine.validate, contacts),
        (bare, program.fired, facts),
        ("CatalogueRouter.route", router.route, requests),
        ("policies.compute (clocks)", lambda call: call(), clocks),
        ("engine.assess (end to end)", engine.assess, contacts),
    ]
    means = {name: best_mean_ns(f, xs, calls=calls) / 1000 for name, f, xs in stages}
    means[read] -= means["parse_contact (pydantic shape)"]
    total = means.pop("engine.assess (end to end)")
    means["rest: hit-policy merge, subjects, result objects"] = total - sum(means.values())
    means["engine.assess (end to end)"] = total
    print(
        f"\n{backend}: µs per call, the best of 5 rounds of {calls:,} calls "
        f"({len(ruleset.rules)} rules)"
    )
    width = max(len(name) for name in means)
    for name, mean in means.items():
        print(f"  {name.ljust(width)}  {mean:8.1f} µs  {mean / total * 100:5.1f} %")
    if isinstance(program, DurableProgram):
        program.close()


def _cprofile(ruleset: RuleSet, backend: str, contacts: list[dict[str, Any]], calls: int) -> None:
    engine = Engine(ruleset, backend=backend)  # type: ignore[arg-type]
    for contact in contacts[:200]:
        engine.assess(contact)
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(calls):
        engine.assess(contacts[i % len(contacts)])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(18)
    print(f"\n{backend}: cProfile of {calls:,} assessments, by own time (cProfile inflates calls)")
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


def profile_stages(ruleset: RuleSet, calls: int = 5_000) -> None:
    """Print the stage table and a cProfile of ``assess`` for both backends."""
    contacts = make_contacts(ruleset.questionnaire, 1000)
    for backend in ("durable", "python"):
        _stage_table(ruleset, backend, contacts, calls)
    for backend in ("durable", "python"):
        _cprofile(ruleset, backend, contacts, calls)
