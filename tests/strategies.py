"""Shared hypothesis strategies: condition texts over a small questionnaire, and flat facts."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from oneContact.intake import CHANNELS
from oneContact.ruleset import BUILTIN_FIELDS
from oneContact.ruleset.condition import FieldInfo

CONCERNS = frozenset({"acute_symptom", "home_care", "mental_health", "other"})
CHOICES = ("hours", "days", "weeks", "months")

FIELDS: dict[str, FieldInfo] = {
    # The built-in fields exactly as the engine defines them (concerns are tested apart).
    **{name: info for name, info in BUILTIN_FIELDS.items() if name != "concerns"},
    "chest_pain": FieldInfo("chest_pain", "boolean", "q__chest_pain"),
    "lives_alone": FieldInfo("lives_alone", "boolean", "q__lives_alone"),
    "pain_score": FieldInfo("pain_score", "number", "q__pain_score"),
    "weight": FieldInfo("weight", "number", "q__weight"),
    "symptom_duration": FieldInfo(
        "symptom_duration", "choice", "q__symptom_duration", choices=CHOICES
    ),
}
# Values straddle each other so equality and the boundaries get hit often.
NUMBERS = st.sampled_from([0, 1, 2, 5, 17, 18, 22, 23, 74, 75, 2.5, 5.0, 120])
LANGS = ("fi", "sv", "en", "de")
MUNICIPALITIES = ("Jyväskylä", "Vaasa", "Närpes", 'O\'Brien "quoted"')


def _literal(info: FieldInfo) -> st.SearchStrategy[str]:
    if info.type == "number":
        return NUMBERS.map(str)
    if info.type == "choice":
        return st.sampled_from(info.choices).map(lambda v: f"'{v}'")
    if info.name == "language":
        return st.sampled_from(LANGS).map(lambda v: f"'{v}'")
    return st.sampled_from(MUNICIPALITIES[:3]).map(lambda v: f"'{v}'")


@st.composite
def atoms(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(FIELDS)))
    info = FIELDS[name]
    prefix = "answers." if info.key.startswith("q__") and draw(st.booleans()) else ""
    if info.type == "boolean":
        form = draw(st.sampled_from(["bare", "eq_true", "eq_false", "neq_true"]))
        return {
            "bare": f"{prefix}{name}",
            "eq_true": f"{prefix}{name} == true",
            "eq_false": f"{prefix}{name} == false",
            "neq_true": f"{prefix}{name} != true",
        }[form]
    kinds = ["cmp", "in", "not_in"]
    if not info.always_present:
        kinds += ["answered", "not_answered"]
    kind = draw(st.sampled_from(kinds))
    if kind == "answered":
        return f"{prefix}{name} is answered"
    if kind == "not_answered":
        return f"{prefix}{name} is not answered"
    if kind in ("in", "not_in"):
        values = draw(st.lists(_literal(info), min_size=1, max_size=3))
        word = "in" if kind == "in" else "not in"
        return f"{prefix}{name} {word} [{', '.join(values)}]"
    ops = ["==", "!="] if info.type != "number" else ["==", "!=", "<", "<=", ">", ">="]
    return f"{prefix}{name} {draw(st.sampled_from(ops))} {draw(_literal(info))}"


concern_atoms = st.sampled_from(sorted(CONCERNS)).flatmap(
    lambda c: st.sampled_from([f"'{c}' in concerns", f"'{c}' not in concerns"])
)


def conditions(max_leaves: int = 6) -> st.SearchStrategy[str]:
    """Condition texts of the rule language, nested with and/or/not and parentheses."""
    leaf = st.one_of(atoms(), concern_atoms, st.sampled_from(["true", "false"]))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map(lambda p: f"({p[0]} and {p[1]})"),
            st.tuples(inner, inner).map(lambda p: f"({p[0]} or {p[1]})"),
            inner.map(lambda c: f"not ({c})"),
        ),
        max_leaves=max_leaves,
    )


@st.composite
def facts(draw: st.DrawFn) -> dict[str, Any]:
    """Flat facts following the engine's conventions (see oneContact.ruleset.condition)."""
    fact: dict[str, Any] = {
        "age": draw(st.integers(0, 130) | NUMBERS.filter(lambda n: isinstance(n, int))),
        "language": draw(st.sampled_from(LANGS)),
        "channel": draw(st.sampled_from(CHANNELS)),
    }
    if draw(st.booleans()):
        fact["municipality"] = draw(st.sampled_from(MUNICIPALITIES))
    for _name, info in FIELDS.items():
        if info.type == "boolean" and draw(st.booleans()):
            fact[info.key] = True
        elif info.key.startswith("q__") and info.type != "boolean" and draw(st.booleans()):
            fact[info.key] = (
                draw(NUMBERS) if info.type == "number" else draw(st.sampled_from(CHOICES))
            )
    for concern in sorted(CONCERNS):
        if draw(st.booleans()):
            fact[f"c__{concern}"] = True
    return fact


# ------------------------------------------------------------ directories

_DIRECTORY_ROLES = (
    "nurse",
    "gp",
    "psychiatric_nurse",
    "psychologist",
    "substance_worker",
    "social_worker",
    "social_instructor",
    "service_coordinator",
    "home_care_nurse",
    "school_health",
    "family_work",
    "child_health_clinic",
)
_UNIT_KINDS = ("health_station", "social_services", "family_centre", "digital_centre")
_LANGUAGE_SETS = (["fi"], ["sv"], ["fi", "sv"], ["en"])


@st.composite
def directories(draw: st.DrawFn) -> dict[str, Any]:
    """A small valid directory mapping over the bundled catalogue's roles, with single
    slots in the first two weeks of March 2026 (many equal starts, to test the ties)."""
    towns = [f"t{i}" for i in range(draw(st.integers(1, 4)))]
    municipalities = [
        {"id": t, "neighbours": [towns[(i + 1) % len(towns)]] if len(towns) > 1 else []}
        for i, t in enumerate(towns)
    ]
    units = []
    for i in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(_UNIT_KINDS))
        unit: dict[str, Any] = {"id": f"u{i}", "kind": kind}
        if kind != "digital_centre" or draw(st.booleans()):
            unit["municipality"] = draw(st.sampled_from(towns))
        units.append(unit)
    members = []
    for i in range(draw(st.integers(0, 25))):
        hours = draw(st.lists(st.integers(0, 9 * 12), max_size=4, unique=True))
        members.append(
            {
                "id": f"m{i}",
                "role": draw(st.sampled_from(_DIRECTORY_ROLES)),
                "unit": draw(st.sampled_from(units))["id"],
                "languages": draw(st.sampled_from(_LANGUAGE_SETS)),
                # Slots on whole hours of 2.-13.3.2026, 8-16: equal starts are common.
                "slots": [f"2026-03-{2 + h // 9:02d}T{8 + h % 9:02d}:00" for h in sorted(hours)],
            }
        )
    return {"municipalities": municipalities, "units": units, "members": members}


# Ages straddling the limits clocks read (under 23; 75 or over), whole and not, and the
# bounds of the test questionnaire's age questions.
PERSON_AGES = st.one_of(
    st.none(),
    st.sampled_from([0, 14.99, 15, 22, 22.5, 22.999, 23, 23.01, 74.9, 75, 80, 130]),
    st.floats(min_value=0, max_value=130, allow_nan=False, allow_infinity=False),
)


@st.composite
def person_answers(draw: st.DrawFn) -> dict[str, Any]:
    """Answers about the persons of the test questionnaire (``PERSONS_QUESTIONNAIRE`` in
    conftest): the age of the person cared for and of the child (each may be left
    unanswered), and the cared-for person's highest care allowance."""
    answers: dict[str, Any] = {}
    cared_for_age = draw(PERSON_AGES)
    if cared_for_age is not None:
        answers["cared_for_age"] = cared_for_age
    child_age = draw(PERSON_AGES.filter(lambda a: a is None or a <= 30))
    if child_age is not None:
        answers["child_age"] = child_age
    allowance = draw(st.sampled_from([None, True, False]))
    if allowance is not None:
        answers["cared_for_highest_care_allowance"] = allowance
    return answers
