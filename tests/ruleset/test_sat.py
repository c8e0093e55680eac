"""The satisfiability search is exact: it finds a contact whenever one exists."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneContact.ruleset import BUILTIN_FIELDS, Questionnaire
from oneContact.ruleset.condition import compile_condition
from oneContact.ruleset.python_evaluator import compile_python
from oneContact.ruleset.sat import Domain, domains, negate, satisfy

from ..strategies import CHOICES, CONCERNS, FIELDS, conditions, facts

SPACE: dict[str, Domain] = {
    **domains(Questionnaire({}, {})),  # the built-in fields
    **{f"c__{c}": Domain("flag") for c in CONCERNS},
    "q__chest_pain": Domain("flag"),
    "q__lives_alone": Domain("flag"),
    "q__pain_score": Domain("number"),
    "q__weight": Domain("number"),
    "q__symptom_duration": Domain("choice", choices=CHOICES),
}
assert set(SPACE) >= {info.key for info in FIELDS.values()} - {BUILTIN_FIELDS["concerns"].key}


def _holds(text: str, fact: dict[str, Any]) -> bool:
    return compile_python([compile_condition(text, FIELDS, CONCERNS)]).fired(fact) == [0]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(conditions(max_leaves=6), min_size=1, max_size=3), fact=facts())
def test_a_witness_meets_every_condition_and_none_means_no_contact_can(
    texts: list[str], fact: dict[str, Any]
) -> None:
    """Soundness: the witness satisfies every condition (checked by the Python evaluator).
    Completeness: when a generated fact satisfies them all, the search does not say 'none'."""
    conds = [compile_condition(t, FIELDS, CONCERNS) for t in texts]
    witness = satisfy(conds, SPACE, sorted(CONCERNS))
    if witness is not None:
        assert all(_holds(t, witness) for t in texts), (texts, witness)
        assert any(k.startswith("c__") for k in witness)  # a contact names a concern
    if all(_holds(t, fact) for t in texts) and any(k.startswith("c__") for k in fact):
        assert witness is not None, (texts, fact)


@settings(max_examples=200, deadline=None)
@given(text=conditions(max_leaves=6), fact=facts())
def test_negate_is_the_exact_complement(text: str, fact: dict[str, Any]) -> None:
    """not-C holds exactly when C does not, on any flat fact."""
    cond = compile_condition(text, FIELDS, CONCERNS)
    python = compile_python([cond, negate(cond)])
    assert len(python.fired(fact)) == 1


def test_whole_numbers_and_bounds_are_respected() -> None:
    """Between 3 and 4 there is no whole number; 3.5 is a real one."""
    cond = compile_condition("pain_score > 3 and pain_score < 4", FIELDS, CONCERNS)
    whole = {**SPACE, "q__pain_score": Domain("number", minimum=0, maximum=10, integer=True)}
    assert satisfy([cond], whole, ["other"]) is None
    witness = satisfy([cond], SPACE, ["other"])
    assert witness is not None
    assert 3 < witness["q__pain_score"] < 4


def test_every_excluded_choice_leaves_nothing() -> None:
    """A choice question that is answered but differs from every choice cannot hold."""
    text = " and ".join(f"symptom_duration != '{c}'" for c in CHOICES)
    assert satisfy([compile_condition(text, FIELDS, CONCERNS)], SPACE, ["other"]) is None
    fewer = " and ".join(f"symptom_duration != '{c}'" for c in CHOICES[:-1])
    witness = satisfy([compile_condition(fewer, FIELDS, CONCERNS)], SPACE, ["other"])
    assert witness is not None
    assert witness["q__symptom_duration"] == CHOICES[-1]


def test_a_contact_names_at_least_one_concern() -> None:
    """Excluding every concern leaves no contact."""
    text = " and ".join(f"'{c}' not in concerns" for c in sorted(CONCERNS))
    assert satisfy([compile_condition(text, FIELDS, CONCERNS)], SPACE, sorted(CONCERNS)) is None
