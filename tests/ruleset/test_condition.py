"""The condition language: parsing, type checking and the meaning of each construct."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from oneContact.ruleset import BUILTIN_FIELDS
from oneContact.ruleset.condition import (
    ConditionSyntaxError,
    ConditionTypeError,
    compile_condition,
    dnf,
)
from oneContact.ruleset.python_evaluator import compile_python

from ..strategies import CONCERNS, FIELDS, conditions, facts

ALL_FIELDS = {**FIELDS, "concerns": BUILTIN_FIELDS["concerns"]}


def holds(text: str, fact: dict[str, Any]) -> bool:
    cond = compile_condition(text, FIELDS, CONCERNS)
    return compile_python([cond]).fired(fact) == [0]


BASE = {"age": 40, "language": "fi", "channel": "phone"}


@pytest.mark.parametrize(
    ("text", "fact", "expected"),
    [
        ("age >= 75", {**BASE, "age": 75}, True),
        ("age >= 75", {**BASE, "age": 74}, False),
        ("age >= 75 and 'home_care' in concerns", {**BASE, "age": 80, "c__home_care": True}, True),
        ("age >= 75 and 'home_care' in concerns", {**BASE, "age": 80}, False),
        ("'home_care' not in concerns", BASE, True),
        ("chest_pain", {**BASE, "q__chest_pain": True}, True),
        ("chest_pain", BASE, False),  # unanswered yes/no counts as no
        ("not chest_pain", BASE, True),
        ("chest_pain == false", BASE, True),
        ("answers.chest_pain", {**BASE, "q__chest_pain": True}, True),
        ("pain_score > 5", BASE, False),  # unanswered number: comparison is false
        ("not pain_score > 5", BASE, True),  # ... and not is classical on top of it
        ("not (pain_score > 5)", {**BASE, "q__pain_score": 6}, False),
        ("not (pain_score > 5)", {**BASE, "q__pain_score": 5}, True),
        ("pain_score != 3", BASE, False),
        ("pain_score is answered", {**BASE, "q__pain_score": 0}, True),
        ("pain_score is not answered", BASE, True),
        ("symptom_duration in ['weeks', 'months']", {**BASE, "q__symptom_duration": "weeks"}, True),
        ("symptom_duration not in ['weeks', 'months']", BASE, True),
        ("symptom_duration not in ['weeks']", {**BASE, "q__symptom_duration": "weeks"}, False),
        ("channel == 'omaolo' or language != 'fi'", {**BASE, "language": "sv"}, True),
        ("channel == 'omaolo' or language != 'fi'", BASE, False),
        ("true", BASE, True),
        ("false or chest_pain", BASE, False),
        ("municipality == 'Vaasa'", BASE, False),
        ("not (municipality == 'Vaasa')", BASE, True),
        ("age < 18 and not (age < 7)", {**BASE, "age": 7}, True),
    ],
)
def test_condition_meaning(text: str, fact: dict[str, Any], expected: bool) -> None:
    """Each construct means what docs/reference/rule-files.md says."""
    assert expected == holds(text, fact)


@pytest.mark.parametrize(
    ("text", "code", "suggestion"),
    [
        ("chest_pian", "unknown-field", "chest_pain"),
        ("answers.chest_pian", "unknown-field", "answers.chest_pain"),
        ("'home_cars' in concerns", "unknown-concern", "home_care"),
        ("symptom_duration == 'week'", "unknown-choice", "weeks"),
        ("age == 'old'", "type-mismatch", None),
        ("symptom_duration > 'days'", "type-mismatch", None),
        ("pain_score", "type-mismatch", None),
        ("chest_pain is answered", "type-mismatch", None),
        ("concerns", "type-mismatch", None),
    ],
)
def test_type_errors_name_code_and_suggestion(text: str, code: str, suggestion: str | None) -> None:
    """Type errors carry a stable code and a did-you-mean suggestion where one is close."""
    with pytest.raises(ConditionTypeError) as info:
        compile_condition(text, ALL_FIELDS, CONCERNS)
    assert code == info.value.code
    assert suggestion == info.value.suggestion


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("age >= ", 8),
        ("age = 75", 5),
        ("chest_pain && lives_alone", 12),
        ("(chest_pain", 12),
        ("chest_pain lives_alone", 12),
        ("", 1),
        ("True", 1),
    ],
)
def test_syntax_errors_point_at_the_column(text: str, column: int) -> None:
    """A syntax error names the column inside the condition where it went wrong."""
    with pytest.raises(ConditionSyntaxError) as info:
        compile_condition(text, FIELDS, CONCERNS)
    assert column == info.value.column


def test_no_eval_of_author_text() -> None:
    """Python expressions are not conditions: nothing in them is executed."""
    with pytest.raises(ConditionSyntaxError):
        compile_condition("__import__('os').system('true')", FIELDS, CONCERNS)


def test_too_many_alternatives_is_refused() -> None:
    """A condition whose normal form would exceed the C engine's safe size is refused."""
    group = "(age == 1 or age == 2 or age == 3)"
    with pytest.raises(ConditionTypeError) as info:
        compile_condition(" and ".join([group] * 4), FIELDS, CONCERNS)
    assert "condition-too-complex" == info.value.code


@settings(max_examples=300, deadline=None)
@given(text=conditions(), fact=facts())
def test_dnf_is_equivalent(text: str, fact: dict[str, Any]) -> None:
    """The normal form the durable adapter compiles holds exactly when the condition does."""
    cond = compile_condition(text, FIELDS, CONCERNS)
    terms = dnf(cond)
    assert terms is not None
    as_dnf = any(all(compile_python([a]).fired(fact) == [0] for a in term) for term in terms)
    assert holds(text, fact) == as_dnf


@pytest.mark.parametrize("literal", ["0.00001", "1000000001", "-1000000001"])
def test_numbers_out_of_range_are_refused(literal: str) -> None:
    """Literals the C engine cannot read exactly are refused with a stable code."""
    with pytest.raises(ConditionTypeError) as info:
        compile_condition(f"pain_score > {literal}", FIELDS, CONCERNS)
    assert "number-out-of-range" == info.value.code
