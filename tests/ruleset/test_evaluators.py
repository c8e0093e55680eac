"""The two evaluators agree: durable_rules fires exactly the rules generated Python fires."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneContact.ruleset import _durable as durable
from oneContact.ruleset.condition import compile_condition
from oneContact.ruleset.python_evaluator import compile_python

from ..strategies import CONCERNS, FIELDS, conditions, facts

# Every test here runs the C engine: from Python 3.13 they skip and say why (conftest.py).
pytestmark = pytest.mark.durable


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    texts=st.lists(conditions(max_leaves=5), min_size=1, max_size=70),
    batch=st.lists(facts(), min_size=1, max_size=8),
)
def test_durable_fires_exactly_what_python_fires(
    texts: list[str], batch: list[dict[str, Any]]
) -> None:
    """Generated rule sets (several C rulesets when large) and facts: the same rules fire."""
    conds = [compile_condition(t, FIELDS, CONCERNS) for t in texts]
    python = compile_python(conds)
    program = durable.DurableProgram(conds)
    try:
        for fact in batch:
            assert python.fired(fact) == program.fired(fact), fact
    finally:
        program.close()


def test_contact_matching_no_rule_is_safe() -> None:
    """A fact that matches no rule (the catch-all keeps delete_state from crashing)."""
    conds = [compile_condition("chest_pain", FIELDS, CONCERNS)]
    program = durable.DurableProgram(conds)
    try:
        assert [] == program.fired({"age": 1, "language": "fi", "channel": "phone"})
    finally:
        program.close()


def test_only_absence_conditions_do_not_loop() -> None:
    """A rule made only of 'is not answered' tests fires once (the guard field at work)."""
    conds = [
        compile_condition("pain_score is not answered and weight is not answered", FIELDS, CONCERNS)
    ]
    program = durable.DurableProgram(conds)
    try:
        assert [0] == program.fired({"age": 1, "language": "fi", "channel": "phone"})
    finally:
        program.close()


def test_many_alternatives_all_true_stay_within_engine_limits() -> None:
    """64 alternatives all satisfied at once (error 303 territory) still evaluate."""
    wide = " or ".join(
        ["chest_pain", "lives_alone", "highest_care_allowance", "'other' in concerns"] * 16
    )
    conds = [compile_condition(wide, FIELDS, CONCERNS)] * 3
    program = durable.DurableProgram(conds)
    fact = {
        "age": 1,
        "language": "fi",
        "channel": "phone",
        "q__chest_pain": True,
        "q__lives_alone": True,
        "highest_care_allowance": True,
        "c__other": True,
    }
    try:
        assert [0, 1, 2] == program.fired(fact)
    finally:
        program.close()


@pytest.mark.slow
def test_thousand_generated_rules_compile_and_agree() -> None:
    """A large generated rule set (>= 1,000 rules) loads without hanging and agrees."""
    fields = sorted(FIELDS)
    texts = []
    for i in range(1200):
        name = fields[i % len(fields)]
        info = FIELDS[name]
        if info.type == "number":
            texts.append(f"{name} >= {i % 90} and 'other' not in concerns")
        elif info.type == "boolean":
            texts.append(f"{name} or age == {i % 100}")
        elif info.type == "choice":
            texts.append(f"{name} == '{info.choices[i % len(info.choices)]}' or age > {i % 120}")
        else:
            texts.append(f"{name} != 'x{i}'")
    conds = [compile_condition(t, FIELDS, CONCERNS) for t in texts]
    python = compile_python(conds)
    program = durable.DurableProgram(conds)
    fact = {
        "age": 50,
        "language": "fi",
        "channel": "chat",
        "q__pain_score": 40,
        "q__chest_pain": True,
    }
    try:
        assert python.fired(fact) == program.fired(fact)
    finally:
        program.close()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    texts=st.lists(conditions(max_leaves=4), min_size=50, max_size=150),
    batch=st.lists(facts(), min_size=5, max_size=10),
)
def test_partitioned_rulesets_agree(texts: list[str], batch: list[dict[str, Any]]) -> None:
    """Rule sets spread over several C rulesets still fire exactly the same rules."""
    conds = [compile_condition(t, FIELDS, CONCERNS) for t in texts]
    python = compile_python(conds)
    program = durable.DurableProgram(conds)
    assert len(program._parts) >= 2
    try:
        for fact in batch:
            assert python.fired(fact) == program.fired(fact), fact
    finally:
        program.close()


@settings(max_examples=200, deadline=None)
@given(
    value=st.floats(-1e9, 1e9, allow_nan=False) | st.integers(-(10**9), 10**9),
    bound=st.decimals(-1000, 1000, places=4, allow_nan=False, allow_infinity=False),
)
def test_numbers_compare_alike_in_both_evaluators(value: float, bound: Any) -> None:
    """Tiny and large floats (which Python writes with exponents) compare the same in C."""
    literal = format(bound, "f")
    texts = [f"pain_score {op} {literal}" for op in ("<", "<=", "==", "!=", ">", ">=")]
    conds = [compile_condition(t, FIELDS, CONCERNS) for t in texts]
    fact = {"age": 1, "language": "fi", "channel": "phone", "q__pain_score": value}
    program = durable.DurableProgram(conds)
    try:
        assert compile_python(conds).fired(fact) == program.fired(fact)
    finally:
        program.close()


def test_contacts_meet_only_the_rulesets_of_their_concerns() -> None:
    """Terms that require a concern sit in rulesets a contact without it never meets,
    and the rules that fire are still exactly the Python evaluator's."""
    texts = [f"'{c}' in concerns and age > {i}" for i in range(60) for c in sorted(CONCERNS)]
    texts += [f"age == {i} or chest_pain" for i in range(30)]
    conds = [compile_condition(t, FIELDS, CONCERNS) for t in texts]
    parts = durable.build_rulesets(conds)
    guarded = [p for p in parts if p.concerns is not None]
    assert len(guarded) >= len(CONCERNS)
    assert all(len(p.names) <= durable.TERMS_PER_RULESET for p in parts)
    program = durable.DurableProgram(conds)
    python = compile_python(conds)
    try:
        for concerns in ([], ["other"], ["home_care", "mental_health"], sorted(CONCERNS)):
            fact: dict[str, Any] = {"age": 40, "language": "fi", "channel": "phone"}
            fact.update({f"c__{c}": True for c in concerns})
            assert python.fired(fact) == program.fired(fact)
    finally:
        program.close()
