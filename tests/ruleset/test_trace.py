"""Tracing a rule comparison by comparison agrees with the evaluators that decide."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings

from oneContact import Engine, bundled_rules_directory, parse_contact
from oneContact.engine import flatten
from oneContact.ruleset import Backend, Rule, load_ruleset
from oneContact.ruleset.condition import ConditionTypeError, compile_condition
from oneContact.ruleset.python_evaluator import compile_python
from oneContact.ruleset.trace import trace_rule
from oneContact.testing.strategies import first_contacts

from ..strategies import CONCERNS, FIELDS, conditions, facts

BUNDLED = load_ruleset(bundled_rules_directory())
BACKENDS = [pytest.param("durable", marks=pytest.mark.durable), "python"]


@functools.cache
def bundled_engine(backend: Backend) -> Engine:
    """The bundled rules on *backend*, built once (durable only where the C engine runs)."""
    engine = Engine(BUNDLED, backend=backend)
    assert backend == engine.backend
    return engine


def _rule(text: str) -> Rule:
    return Rule(
        id="t.rule",
        file="t.yaml",
        line=3,
        when=text,
        condition=compile_condition(text, FIELDS, CONCERNS),
        urgency="urgent",
        needs=(),
        services=(),
        clocks=(),
        priority=100,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=conditions(max_leaves=6), fact=facts())
def test_trace_matches_exactly_when_the_python_evaluator_fires(
    text: str, fact: dict[str, Any]
) -> None:
    """Any condition of the language, any flat fact: matched == the generated Python fires."""
    try:
        rule = _rule(text)
    except ConditionTypeError as exc:
        # Too many alternatives: the loader refuses such a rule, so there is none to trace.
        if exc.code != "condition-too-complex":
            raise
        reject()
    fired = compile_python([rule.condition]).fired(fact) == [0]
    trace = trace_rule(rule, fact)
    assert trace.matched == fired, (text, fact)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contact=first_contacts(BUNDLED.questionnaire))
def test_trace_of_every_bundled_rule_agrees_with_each_evaluator(
    backend: Backend, contact: dict[str, Any]
) -> None:
    """Generated valid contacts: a bundled rule's trace matches iff the evaluator (the C
    engine, the generated Python) fired it."""
    fired = {rule.id for rule in bundled_engine(backend).fired_rules(contact)}
    fact = flatten(parse_contact(contact), BUNDLED.questionnaire)
    traced = {
        rule.id for rule in BUNDLED.rules if trace_rule(rule, fact, BUNDLED.questionnaire).matched
    }
    assert traced == fired


def test_each_comparison_shows_its_text_column_actual_value_and_outcome() -> None:
    """Written from the condition: three comparisons, where each begins, what it saw."""
    text = "'home_care' in concerns and (age >= 75 or not chest_pain) and pain_score < 3"
    rule = _rule(text)
    trace = trace_rule(
        rule, {"age": 80, "language": "fi", "channel": "phone", "c__home_care": True}
    )
    rows = [(a.text, a.column, a.actual, a.outcome) for a in trace.atoms]
    at = {word: text.index(word) + 1 for word in ("age", "chest_pain", "pain_score")}
    assert rows == [
        ("'home_care' in concerns", 1, True, True),
        ("age >= 75", at["age"], 80, True),
        # without a questionnaire an absent answer shows as None
        ("chest_pain is not answered", at["chest_pain"], None, True),
        ("pain_score < 3", at["pain_score"], None, False),
    ]
    assert trace.matched is False
    assert (trace.rule, trace.file, trace.line) == ("t.rule", "t.yaml", 3)


def test_with_the_questionnaire_yes_no_answers_read_as_true_or_false() -> None:
    """An unanswered yes/no question is false, and `not x` reads as written."""
    rule = next(r for r in BUNDLED.rules if r.id == "homecare.digital-extras")
    fact = {"age": 50, "language": "fi", "channel": "phone", "c__home_care": True}
    trace = trace_rule(rule, fact, BUNDLED.questionnaire)
    assert trace.matched
    assert [(a.text, a.actual, a.outcome) for a in trace.atoms] == [
        ("'home_care' in concerns", True, True),
        ("not fall_and_cannot_get_up", False, True),
        ("not no_food_or_medicine", False, True),
        ("not carer_exhausted", False, True),
    ]


@pytest.mark.parametrize(
    ("text", "field", "expanded"),
    [
        ("not (pain_score >= 7)", "pain_score", 2),
        ("symptom_duration not in ['hours', 'days']", "symptom_duration", 3),
    ],
)
def test_one_comparison_that_expands_keeps_its_column(text: str, field: str, expanded: int) -> None:
    """A negated comparison of an optional answer becomes 'not answered or …': same column."""
    trace = trace_rule(_rule(text), {"age": 1, "language": "fi", "channel": "sms"})
    assert len(trace.atoms) == expanded
    assert {a.column for a in trace.atoms} == {text.index(field) + 1}
    assert trace.matched


def test_the_municipality_is_shown_only_when_the_comparison_names_it() -> None:
    """The municipality is text the client typed: what a comparison saw is shown only when
    it is the rule's own value, else "(not shown)"."""
    rule = _rule("municipality == 'Vaasa' or municipality != 'Närpes'")
    typed = trace_rule(rule, {"municipality": "Kotikylä, Matti V", "c__home_care": True})
    assert ["(not shown)", "(not shown)"] == [a.actual for a in typed.atoms]
    assert typed.matched
    named = trace_rule(rule, {"municipality": "Vaasa"})
    assert ["Vaasa", "(not shown)"] == [a.actual for a in named.atoms]
