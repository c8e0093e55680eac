"""Hypothesis strategies for first contacts of any rules directory.

Needs the ``test`` extra (hypothesis). ``first_contacts(questionnaire)`` draws valid
contacts: every concern code, question and answer type comes from the questionnaire,
ages straddle the boundaries the law cares about (18, 23, 75), and timestamps cover
holidays, weekends, office-hour edges and both UTC offsets of Europe/Helsinki.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from ..intake import CHANNELS, looks_like_identity_code
from ..ruleset import Question, Questionnaire
from ..ruleset.condition import MAX_DECIMALS, MAX_NUMBER

__all__ = ["answer_range", "first_contacts", "form_contacts"]

_BOUNDARY_AGES = (0, 6, 7, 17, 18, 22, 23, 64, 65, 74, 75, 100)
_OFFSETS = (timezone(timedelta(hours=2)), timezone(timedelta(hours=3)), UTC)


def answer_range(question: Question) -> tuple[float, float]:
    """The bounds answers are drawn from: the question's own, else ±1,000 around the other."""
    low, high = question.minimum, question.maximum
    if low is None:
        low = min(-1_000.0, high - 1_000.0) if high is not None else -1_000.0
    if high is None:
        high = max(1_000.0, low + 1_000.0)
    return max(low, -MAX_NUMBER), min(high, MAX_NUMBER)


def _has_whole_number(question: Question) -> bool:
    low, high = answer_range(question)
    return math.ceil(low) <= math.floor(high)


def _answerable(question: Question) -> bool:
    """False for a whole-number question whose bounds hold no whole number."""
    return question.type != "number" or not question.integer or _has_whole_number(question)


def _answer(question: Question) -> st.SearchStrategy[Any]:
    if question.type == "boolean":
        return st.booleans()
    if question.type == "choice":
        return st.sampled_from(question.choices)
    low, high = answer_range(question)
    whole = st.integers(math.ceil(low), math.floor(high))
    if question.integer:
        return whole
    # Answers carry at most MAX_DECIMALS decimals, like the numbers in conditions.
    floats = (
        st.floats(low, high, allow_nan=False, allow_infinity=False)
        .map(lambda x: round(x, MAX_DECIMALS))
        .filter(lambda x: low <= x <= high)
    )
    return whole | floats if _has_whole_number(question) else floats


@st.composite
def _timestamps(draw: st.DrawFn) -> str:
    moment = draw(st.datetimes(min_value=datetime(2022, 1, 1), max_value=datetime(2027, 12, 31)))
    return moment.replace(microsecond=0, tzinfo=draw(st.sampled_from(_OFFSETS))).isoformat()


@st.composite
def first_contacts(draw: st.DrawFn, questionnaire: Questionnaire) -> dict[str, Any]:
    """A valid first-contact dict for *questionnaire*."""
    concerns = draw(
        st.lists(
            st.sampled_from(sorted(questionnaire.concerns)), min_size=1, max_size=3, unique=True
        )
    )
    questions = sorted(
        (q for q in questionnaire.questions.values() if _answerable(q)), key=lambda q: q.id
    )
    chosen = (
        draw(st.lists(st.sampled_from(questions), max_size=8, unique_by=lambda q: q.id))
        if questions
        else []
    )
    answers = {q.id: draw(_answer(q)) for q in chosen}
    client: dict[str, Any] = {
        "language": draw(st.sampled_from(("fi", "sv", "en", "ru"))),
        "highest_care_allowance": draw(st.booleans()),
        "special_support_child": draw(st.booleans()),
        "can_use_digital_services": draw(st.booleans()),
    }
    if draw(st.booleans()):
        client["age"] = draw(st.sampled_from(_BOUNDARY_AGES) | st.integers(0, 130))
    else:
        client["birth_date"] = draw(
            st.dates(datetime(1900, 1, 1).date(), datetime(2021, 12, 31).date())
        ).isoformat()
    contact: dict[str, Any] = {
        "contact_id": draw(
            st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True).filter(
                lambda text: not looks_like_identity_code(text)
            )
        ),
        "received_at": draw(_timestamps()),
        "channel": draw(st.sampled_from(CHANNELS)),
        "client": client,
        "concerns": concerns,
        "answers": answers,
    }
    if draw(st.booleans()):
        contact["municipality"] = draw(
            st.sampled_from(("Jyväskylä", "Vaasa", "Närpes", "Seinäjoki"))
        )
    return contact


def _form_answer(question: Question) -> st.SearchStrategy[Any]:
    """An answer to one question of a form, or None (left unanswered); a yes/no question
    is answered yes one time in four, so that red flags do not decide every contact."""
    if question.type == "boolean":
        return st.sampled_from((False, None, False, True))
    return st.none() | _answer(question) | _answer(question)


@st.composite
def form_contacts(draw: st.DrawFn, questionnaire: Questionnaire) -> dict[str, Any]:
    """A first contact whose answers cover the form of its concerns
    (:meth:`Questionnaire.form`), for the properties of adaptive forms. Draws
    ``{"contact", "flag": None, "alternatives", "kept"}``: ``contact`` answers each question
    of the form or leaves it unanswered; ``alternatives`` gives every question of the form
    a second answer (None: unanswered); ``kept`` names the questions answered "so far"."""
    contact = draw(first_contacts(questionnaire))
    form = [q for q in questionnaire.form(contact["concerns"]) if _answerable(q)]
    on_form = {q.id for q in questionnaire.form(contact["concerns"])}
    answers = {k: v for k, v in contact["answers"].items() if k not in on_form}
    alternatives: dict[str, Any] = {}
    for question in form:
        value = draw(_form_answer(question))
        if value is not None:
            answers[question.id] = value
        alternatives[question.id] = draw(_form_answer(question))
    contact["answers"] = answers
    kept = draw(st.lists(st.sampled_from([q.id for q in form]), unique=True)) if form else []
    return {"contact": contact, "flag": None, "alternatives": alternatives, "kept": kept}
