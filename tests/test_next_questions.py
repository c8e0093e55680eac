"""Engine.next_questions: exact, sound, minimal, in a safe order, honest about its bounds.

The strongest test here is an independent oracle: for the small forms of the bundled
rules, every way of answering the open questions is assessed, and a question matters
exactly when two ways that differ only in it give two decisions. next_questions must
return exactly those questions.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import oneContact.next_questions as nq
from oneContact import Engine
from oneContact.ruleset import Question, urgency_rank

RULES = Path(__file__).resolve().parents[1] / "rules"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_directory(RULES, backend="python")


def contact(concerns: list[str], answers: Mapping[str, Any] | None = None, **client: Any) -> dict:
    return {
        "contact_id": "nq-1",
        "received_at": "2025-03-04T10:00:00+02:00",
        "channel": "phone",
        "client": {"age": 45, "language": "fi", **client},
        "concerns": concerns,
        "answers": dict(answers or {}),
    }


def _values(question: Question) -> list[Any]:
    """Every answer the oracle tries: yes/no, each choice, each whole number in range,
    and unanswered (None)."""
    if question.type == "boolean":
        return [True, False]
    if question.type == "choice":
        return [*question.choices, None]
    low = int(question.minimum if question.minimum is not None else 0)
    high = int(question.maximum if question.maximum is not None else 20)
    return [*range(low, min(high, 20) + 1), None]


def _oracle(engine: Engine, partial: dict, open_: list[Question]) -> set[str]:
    """The open questions two of whose answers decide apart for some answers to the rest,
    found by assessing every way of answering them."""
    ids = [q.id for q in open_]
    decided: dict[tuple[Any, ...], Any] = {}
    for combo in itertools.product(*(_values(q) for q in open_)):
        answers = {
            **partial["answers"],
            **{k: v for k, v in zip(ids, combo, strict=True) if v is not None},
        }
        decided[combo] = engine.assess({**partial, "answers": answers}).decision()
    matter: set[str] = set()
    for i, qid in enumerate(ids):
        seen: dict[tuple[Any, ...], Any] = {}
        for combo, decision in decided.items():
            rest = combo[:i] + combo[i + 1 :]
            if rest in seen and seen[rest] != decision:
                matter.add(qid)
                break
            seen.setdefault(rest, decision)
    return matter


def _small_forms(engine: Engine) -> Iterator[tuple[str, dict]]:
    questionnaire = engine.ruleset.questionnaire
    for concern in ("child_welfare", "housing", "violence", "relationship", "speech_therapy"):
        form = questionnaire.form([concern])
        yield concern, contact([concern])
        yield f"{concern}-child", contact([concern], age=5)
        if form and form[0].type == "boolean":
            yield f"{concern}-first-yes", contact([concern], {form[0].id: True})


@pytest.mark.parametrize("case", range(15))
def test_it_returns_exactly_the_questions_an_exhaustive_search_finds(
    engine: Engine, case: int
) -> None:
    name, partial = list(_small_forms(engine))[case]
    questionnaire = engine.ruleset.questionnaire
    open_ = [q for q in questionnaire.form(partial["concerns"]) if q.id not in partial["answers"]]
    step = engine.next_questions(partial)
    assert step.exact, step.note
    assert {q.id for q in step.questions} == _oracle(engine, partial, open_), name
    assert step.done == (not step.questions)


def test_a_red_flag_comes_first_and_once_it_is_yes_the_flags_that_add_nothing_stop(
    engine: Engine,
) -> None:
    first = engine.next_questions(contact(["acute_symptom"]))
    flags = [q for q in first.questions if q.red_flag]
    assert flags
    assert first.questions[: len(flags)] == tuple(flags)
    assert {q.urgency_up_to for q in flags} <= {"emergency", "urgent"}
    assert "chest_pain" in {q.id for q in flags}
    after = engine.next_questions(contact(["acute_symptom"], {"chest_pain": True}))
    assert after.outcome.urgency == "emergency"
    asked = {q.id for q in after.questions}
    # Stroke and unconsciousness send to 112 with the same needs and services as chest
    # pain: answered yes or no, nothing decided changes any more.
    assert not asked & {"stroke_symptoms", "unconscious", "severe_breathing_difficulty"}
    # An overdose adds a need for substance use support: it still matters.
    assert "overdose_breathing_problems" in asked


def test_the_order_is_red_flags_then_urgency_then_the_rest(engine: Engine) -> None:
    for concerns in (["acute_symptom"], ["mental_health", "informal_carer"], ["work_ability"]):
        step = engine.next_questions(contact(concerns))
        groups = [
            (0 if q.red_flag else 1) if q.urgency_up_to is not None else 2 for q in step.questions
        ]
        assert groups == sorted(groups), concerns
        for a, b in itertools.pairwise(step.questions):
            if groups[step.questions.index(a)] == groups[step.questions.index(b)] < 2:
                assert urgency_rank(a.urgency_up_to) <= urgency_rank(b.urgency_up_to)
        assert all(
            ("urgency" in q.changes) == (q.urgency_up_to is not None) for q in step.questions
        )


def test_each_witness_shows_two_decisions(engine: Engine) -> None:
    partial = contact(["informal_carer", "mental_health"], {"chest_pain": False})
    step = engine.next_questions(partial)
    assert step.questions
    for q in step.questions:
        assert q.witness is not None
        base = {**partial["answers"], **q.witness.answers}
        one = {**base, q.id: q.witness.answer}
        two = {**base, q.id: q.witness.other_answer}
        decisions = [
            engine.assess(
                {**partial, "answers": {k: v for k, v in a.items() if v is not None}}
            ).decision()
            for a in (one, two)
        ]
        assert decisions[0] != decisions[1], q.id
        changed = tuple(k for k in decisions[0] if decisions[0][k] != decisions[1][k])
        assert changed == q.witness.changes
        assert set(q.witness.changes) <= set(q.changes)


def test_declined_and_answered_questions_are_never_asked(engine: Engine) -> None:
    partial = contact(["acute_symptom"], {"chest_pain": False})
    step = engine.next_questions(partial, declined=["pain_score"])
    asked = {q.id for q in step.questions}
    assert "chest_pain" not in asked
    assert "pain_score" not in asked
    assert "pain_score" in {q.id for q in engine.next_questions(partial).questions}


def test_only_the_questions_of_the_form_are_asked(engine: Engine) -> None:
    questionnaire = engine.ruleset.questionnaire
    for concerns in (["housing"], ["oral_health"], ["family_support", "violence"]):
        form = {q.id for q in questionnaire.form(concerns)}
        assert {q.id for q in engine.next_questions(contact(concerns)).questions} <= form


def test_a_persons_age_is_asked_when_it_changes_their_clock(engine: Engine) -> None:
    step = engine.next_questions(contact(["informal_carer"], {"chest_pain": False}))
    by_id = {q.id: q for q in step.questions}
    assert "cared_for_age" in by_id
    assert "clocks" in by_id["cared_for_age"].changes


def test_over_its_bounds_it_asks_without_proof_and_says_so(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    partial = contact(["acute_symptom"], {"chest_pain": False, "severe_breathing_difficulty": True})
    exact = {q.id for q in engine.next_questions(partial).questions}
    monkeypatch.setattr(nq, "MAX_COMBINATIONS", 1)
    step = engine.next_questions(partial)
    assert not step.exact
    assert step.note is not None
    assert "without proof" in step.note
    asked = {q.id for q in step.questions}
    assert exact <= asked  # never fewer
    unproven = [q for q in step.questions if q.witness is None]
    assert unproven
    assert all(q.id in step.note for q in unproven)


def test_the_decision_leaves_out_the_explanation(engine: Engine) -> None:
    assessment = engine.assess(contact(["acute_symptom"], {"chest_pain": True}))
    decision = assessment.decision()
    assert set(decision) == {"urgency", "needs", "routes", "clocks"}
    assert all("reason" not in route for route in decision["routes"])
    assert decision["routes"][0]["service"] == assessment.routes[0].service


def test_a_regions_copy_of_the_rules_works() -> None:
    """With a region's targets the clocks carry target due dates too; the questions that
    matter are still exactly those the exhaustive search finds."""
    regional = Engine.from_directory(RULES, backend="python", region="etela-pohjanmaa")
    for name, partial in list(_small_forms(regional))[:9]:
        open_ = [
            q
            for q in regional.ruleset.questionnaire.form(partial["concerns"])
            if q.id not in partial["answers"]
        ]
        step = regional.next_questions(partial)
        assert step.exact, step.note
        assert {q.id for q in step.questions} == _oracle(regional, partial, open_), name


def test_a_small_rules_directory_of_ones_own(tmp_path: Path) -> None:
    """A directory written here: an 'or' over two questions and a rule that needs both, so
    a question matters only while the other is unanswered or no."""
    import shutil

    shutil.copytree(RULES, tmp_path / "rules")
    (tmp_path / "rules" / "extra.yaml").write_text(
        "rules:\n"
        "  - id: extra.either\n"
        "    when: \"'housing' in concerns and (homeless_tonight or violence_at_home)\"\n"
        "    needs: [violence_support]\n"
        "    priority: 95\n",
        encoding="utf-8",
    )
    own = Engine.from_directory(tmp_path / "rules", backend="python")
    partial = contact(["housing"])
    open_ = list(own.ruleset.questionnaire.form(["housing"]))
    step = own.next_questions(partial)
    assert {q.id for q in step.questions} == _oracle(own, partial, open_)


def _generated(tmp_path: Path) -> Engine:
    """The generated 200-rule set of the benchmark (bench/workload.py, its fixed seed)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "workload", RULES.parent / "bench" / "workload.py"
    )
    assert spec is not None
    assert spec.loader is not None
    workload = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(workload)
    directory = workload.write_ruleset(tmp_path / "gen", policies=RULES / "policies")
    return Engine.from_directory(directory, backend="python")


def test_a_group_over_its_bounds_fails_every_question_of_it_honestly(tmp_path: Path) -> None:
    """Regression: a group whose diagram went past MAX_COMBINATIONS while its pairs were
    worked out left it half built, and its next question raised IndexError."""
    engine = _generated(tmp_path)
    partial = {
        "contact_id": "nq-000134",
        "received_at": "2025-01-17T08:14:10+03:00",
        "channel": "referral",
        "client": {
            "language": "ru",
            "highest_care_allowance": False,
            "special_support_child": True,
            "can_use_digital_services": False,
            "age": 107,
        },
        "concerns": ["work_ability", "informal_carer", "diabetes_type2"],
        "answers": {},
    }
    step = engine.next_questions(partial)
    assert not step.exact
    unproven = [q.id for q in step.questions if q.witness is None]
    assert len(unproven) >= 2
    assert all(qid in (step.note or "") for qid in unproven)


@pytest.mark.parametrize(
    "name", ["next-questions-sound", "next-questions-witnessed", "next-questions-follow"]
)
def test_the_properties_hold_on_the_generated_200_rule_set(tmp_path: Path, name: str) -> None:
    from oneContact.testing.properties import PROPERTIES, check_property

    prop = next(p for p in PROPERTIES if p.name == name)
    check_property(_generated(tmp_path), prop, examples=15)


def test_a_declined_id_the_questionnaire_does_not_have_is_refused(engine: Engine) -> None:
    from oneContact.errors import ArgumentError, ContactError

    with pytest.raises(ContactError) as refused:
        engine.next_questions(contact(["acute_symptom"]), declined=["chest_pian"])
    (problem,) = refused.value.problems
    assert problem.field == "declined.chest_pian"
    assert problem.code == "unknown-question"
    assert problem.suggestion == "chest_pain"
    with pytest.raises(ArgumentError) as one_text:
        engine.next_questions(contact(["acute_symptom"]), declined="chest_pain")
    assert one_text.value.code == "bad-argument"
