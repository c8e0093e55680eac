"""explain and why-not: every rule with what it saw; the fewest answer changes to a level.

Expectations come from the small test rules of conftest.py, read as a rule author would:
chest pain is an emergency; an acute contact without chest pain and with pain under 4 is
self-care; every acute contact gets a nurse and the need-assessment and care clocks.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from oneContact import ContactError, Engine
from oneContact.cli import main
from oneContact.errors import ArgumentError
from oneContact.explain import AnswerChange, explain, why_not
from oneContact.ruleset import URGENCY_LEVELS
from oneContact.testing.strategies import first_contacts

from .conftest import write_rules

MakeContact = Callable[..., dict[str, Any]]


@pytest.fixture
def engine(rules_dir: Path) -> Engine:
    return Engine.from_directory(rules_dir, backend="python")


def test_every_rule_in_file_order_with_what_each_comparison_saw(
    engine: Engine, make_contact: MakeContact
) -> None:
    """Mild pain: acute.mild and acute.any match; chest pain and home.older do not."""
    contact = make_contact(answers={"pain_score": 2, "symptom_duration": "hours"})
    result = explain(engine, contact)
    assert ["acute.chest-pain", "acute.mild", "acute.any", "home.older"] == [
        t.rule for t in result.rules
    ]
    assert [False, True, True, False] == [t.matched for t in result.rules]
    mild = result.rules[1]
    assert [
        ("'acute_symptom' in concerns", True, True),
        ("not chest_pain", False, True),
        ("pain_score < 4", 2, True),
    ] == [(a.text, a.actual, a.outcome) for a in mild.atoms]
    older = result.rules[3]
    assert [("age >= 75", 40, False), ("'home_care' in concerns", False, False)] == [
        (a.text, a.actual, a.outcome) for a in older.atoms
    ]


def test_each_outcome_names_the_rule_that_caused_it(
    engine: Engine, make_contact: MakeContact
) -> None:
    """Urgency, each route and each clock carry the rule behind them."""
    result = explain(engine, make_contact(answers={"pain_score": 2}))
    data = result.to_json()
    # pain 2 but no duration: acute.mild needs only pain < 4 in the test rules.
    assert {"level": "self_care", "rule": "acute.mild"} == data["urgency"]
    assert {
        "self_care_material": "acute.mild",
        "digital_chat": "acute.mild",
        "nurse": "acute.any",
    } == {r["service"]: r["rule"] for r in data["routes"]}
    assert {"need_assessment": "acute.any", "care": "acute.any"} == {
        c["clock"]: c["rule"] for c in data["clocks"]
    }


def test_the_default_urgency_is_named_as_such(engine: Engine, make_contact: MakeContact) -> None:
    """No fired rule sets an urgency: the catalogue's default is the cause."""
    result = explain(engine, make_contact(answers={"pain_score": 6}))
    assert "non_urgent" == result.assessment.urgency
    assert "default:urgency" == result.urgency_reason
    assert "urgency: non-urgent  <- default:urgency" in result.to_text(language="en")


def test_no_free_text_in_either_format(engine: Engine, make_contact: MakeContact) -> None:
    """The contact's free text is never shown."""
    contact = make_contact(free_text="Kipu alkoi eilen SALAINEN-XYZ", answers={"pain_score": 2})
    result = explain(engine, contact)
    assert "SALAINEN" not in result.to_text()
    assert "SALAINEN" not in json.dumps(result.to_json())


# ---------------------------------------------------------------- why not


def test_one_change_to_an_emergency(engine: Engine, make_contact: MakeContact) -> None:
    """Chest pain answered yes is the one way to an emergency."""
    answer = why_not(engine, make_contact(answers={"pain_score": 6}), "emergency")
    assert 1 == answer.size
    assert [(AnswerChange("chest_pain", None, True),)] == [p.changes for p in answer.paths]
    assert "acute.chest-pain" == answer.paths[0].rule


def test_a_number_moves_to_the_other_side_of_the_rules_threshold(
    engine: Engine, make_contact: MakeContact
) -> None:
    """pain 6 -> under 4 gives self-care; the value shown is the nearest whole number, 3."""
    answer = why_not(engine, make_contact(answers={"pain_score": 6}), "self_care")
    assert 1 == answer.size
    assert [(AnswerChange("pain_score", 6, 3),)] == [p.changes for p in answer.paths]


def test_two_changes_when_one_is_not_enough(engine: Engine, make_contact: MakeContact) -> None:
    """Chest pain and pain 6: self-care needs both chest pain off and pain under 4."""
    contact = make_contact(answers={"chest_pain": True, "pain_score": 6})
    answer = why_not(engine, contact, "self_care")
    assert 2 == answer.size
    assert 1 == answer.total
    assert {AnswerChange("chest_pain", True, False), AnswerChange("pain_score", 6, 3)} == set(
        answer.paths[0].changes
    )
    bounded = why_not(engine, contact, "self_care", max_changes=1)
    assert bounded.size is None
    assert bounded.possible
    assert bounded.tried > 0
    assert "no change of up to 1 answers makes it self-care" in bounded.to_text(language="en")


def test_a_level_no_rule_sets_is_impossible(engine: Engine, make_contact: MakeContact) -> None:
    """No test rule sets urgent and the default is non_urgent: no answers can reach it."""
    answer = why_not(engine, make_contact(), "urgent")
    assert not answer.possible
    assert answer.size is None
    assert "no rule sets urgency urgent" in answer.to_text(language="en")


def test_the_current_level_needs_no_change(engine: Engine, make_contact: MakeContact) -> None:
    """Asking why not the level it already has: zero changes."""
    answer = why_not(engine, make_contact(answers={"pain_score": 6}), "non_urgent")
    assert 0 == answer.size
    assert "it already is non-urgent" in answer.to_text(language="en")


def test_bad_arguments_are_refused(engine: Engine, make_contact: MakeContact) -> None:
    """An unknown level, a bound out of range and an invalid contact are errors."""
    with pytest.raises(ValueError, match="level must be one of"):
        why_not(engine, make_contact(), "soon")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_changes must be 1 to 5"):
        why_not(engine, make_contact(), "emergency", max_changes=9)
    with pytest.raises(ContactError, match="pain_score"):
        why_not(engine, make_contact(answers={"pain_score": 11}), "emergency")


def test_a_bad_argument_is_the_argument_error_every_part_raises(
    engine: Engine, make_contact: MakeContact
) -> None:
    """Code ``bad-argument``, the argument as ``field``, the nearest level as suggestion."""
    with pytest.raises(ArgumentError) as info:
        why_not(engine, make_contact(), "urgnt")  # type: ignore[arg-type]
    assert ("bad-argument", "level", "urgent") == (
        info.value.code,
        info.value.field,
        info.value.suggestion,
    )
    assert str(info.value).endswith("(did you mean 'urgent'?)")
    with pytest.raises(ArgumentError) as info:
        why_not(engine, make_contact(), "emergency", max_changes=0)
    assert ("bad-argument", "max_changes") == (info.value.code, info.value.field)


FRACTIONS = """\
rules:
  - id: acute.narrow-window
    when: "'acute_symptom' in concerns and weight > 2.5 and weight < 2.6"
    urgency: emergency
    services: [emergency_112]
"""

WEIGHT = """\
  - id: weight
    type: number
    min: 0
    label: {fi: Paino, sv: Vikt, en: Weight}
"""


def test_a_fractional_window_is_found(tmp_path: Path, make_contact: MakeContact) -> None:
    """Between two fractional literals the search tries a value strictly inside."""
    from .conftest import QUESTIONNAIRE

    rules = write_rules(
        tmp_path / "r", questionnaire=QUESTIONNAIRE + WEIGHT, acute=FRACTIONS, home=None
    )
    engine = Engine.from_directory(rules, backend="python")
    answer = why_not(engine, make_contact(), "emergency")
    assert 1 == answer.size
    (change,) = answer.paths[0].changes
    assert "weight" == change.question
    assert 2.5 < change.after < 2.6  # type: ignore[operator]


def _brute_force_sizes(engine: Engine, contact: dict[str, Any]) -> dict[str, int]:
    """The fewest changed answers to each level, over every answer of every question."""
    q = engine.ruleset.questionnaire.questions
    domains: dict[str, list[Any]] = {
        "chest_pain": [None, True, False],
        "lives_alone": [None, True, False],
        "pain_score": [None, *range(11)],
        "symptom_duration": [None, *q["symptom_duration"].choices],
    }
    assert set(domains) == set(q)
    best: dict[str, int] = {}
    names = list(domains)
    for values in itertools.product(*domains.values()):
        answers = {n: v for n, v in zip(names, values, strict=True) if v is not None}
        changed = sum(contact["answers"].get(n) != answers.get(n) for n in names)
        level = engine.assess({**contact, "answers": answers}).urgency
        best[level] = min(best.get(level, changed), changed)
    return best


def test_why_not_agrees_with_a_search_of_every_answer(engine: Engine) -> None:
    """For generated contacts the smallest count equals the brute force over all answers."""

    @settings(max_examples=8, deadline=None, database=None, derandomize=True)
    @given(first_contacts(engine.ruleset.questionnaire))
    def agrees(contact: dict[str, Any]) -> None:
        contact = {**contact, "answers": contact["answers"]}
        expected = _brute_force_sizes(engine, contact)
        for level in URGENCY_LEVELS:
            answer = why_not(engine, contact, level, max_changes=4)
            assert expected.get(level) == answer.size, level

    agrees()


# ---------------------------------------------------------------- command line


def _write(tmp_path: Path, contact: dict[str, Any]) -> str:
    path = tmp_path / "contact.json"
    path.write_text(json.dumps(contact), encoding="utf-8")
    return str(path)


def test_cli_explain_text_and_why_not(
    rules_dir: Path,
    make_contact: MakeContact,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Text output: the causes, the rule list and the why-not answer."""
    path = _write(tmp_path, make_contact(answers={"pain_score": 6}))
    code = main(
        [
            "explain",
            path,
            "--rules",
            str(rules_dir),
            "--backend",
            "python",
            "--why-not",
            "self_care",
            "--language",
            "en",
        ]
    )
    out = capsys.readouterr().out
    assert 0 == code
    assert "[x] acute.any" in out
    assert "[ ] acute.mild" in out
    assert "false  pain_score < 4  (saw 6)" in out
    assert "answers.pain_score: 6 -> 3  => acute.mild" in out


def test_cli_explain_json(
    rules_dir: Path,
    make_contact: MakeContact,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """JSON output holds the rules and, when asked, the why-not answer."""
    path = _write(tmp_path, make_contact(answers={"pain_score": 6}))
    code = main(
        ["explain", path, "--rules", str(rules_dir), "--format", "json", "--why-not", "emergency"]
    )
    data = json.loads(capsys.readouterr().out)
    assert 0 == code
    assert 4 == len(data["rules"])
    assert 1 == data["why_not"]["size"]
    assert [{"question": "chest_pain", "before": None, "after": True}] == data["why_not"]["paths"][
        0
    ]["changes"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--why-not", "soon"], "invalid choice: 'soon'"),
        (["--why-not", "urgent", "--max-changes", "9"], "must be 5 or less"),
        (["--why-not", "urgent", "--limit", "0"], "must be 1 or more"),
    ],
)
def test_cli_bad_options_exit_2(
    rules_dir: Path,
    make_contact: MakeContact,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    """Bad options are usage errors naming the option's problem, not tracebacks."""
    path = _write(tmp_path, make_contact())
    with pytest.raises(SystemExit) as info:
        main(["explain", path, "--rules", str(rules_dir), *extra])
    assert 2 == info.value.code
    assert message in capsys.readouterr().err


def test_cli_invalid_contact_exit_2(
    rules_dir: Path,
    make_contact: MakeContact,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An invalid contact: exit 2 naming the field; nothing on stdout."""
    path = _write(tmp_path, make_contact(answers={"pain_score": 11}))
    code = main(["explain", path, "--rules", str(rules_dir), "--why-not", "emergency"])
    captured = capsys.readouterr()
    assert 2 == code
    assert "" == captured.out
    assert "answers.pain_score: must be at most 10" in captured.err


def test_the_engine_methods_give_the_same_answers(
    engine: Engine, make_contact: MakeContact
) -> None:
    """Engine.explain and Engine.why_not are the module's functions."""
    contact = make_contact(answers={"pain_score": 6})
    assert explain(engine, contact) == engine.explain(contact)
    assert why_not(engine, contact, "self_care") == engine.why_not(contact, "self_care")


def test_a_rule_no_answer_can_stop_blocks_the_level(
    engine: Engine, make_contact: MakeContact
) -> None:
    """home.older tests only age and concerns: while it matches, nothing is below non_urgent."""
    contact = make_contact(concerns=["home_care", "acute_symptom"], client={"age": 80})
    answer = why_not(engine, contact, "self_care")
    assert not answer.possible
    assert answer.size is None
    assert answer.reason is not None
    assert answer.reason.startswith("rule home.older (home.yaml:2) sets non_urgent")
    assert 0 == answer.tried


def test_skipping_hopeless_sets_changes_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the bundled rules, why-not with and without skipping sets gives the same answer."""
    import oneContact.explain as module

    from .conftest import BUNDLED_RULES

    engine = Engine.from_directory(BUNDLED_RULES, backend="python")
    pruned: list[Any] = []
    contacts: list[dict[str, Any]] = []

    @settings(max_examples=12, deadline=None, database=None, derandomize=True)
    @given(first_contacts(engine.ruleset.questionnaire))
    def collect(contact: dict[str, Any]) -> None:
        contacts.append(contact)
        pruned.append([why_not(engine, contact, lvl, max_changes=2) for lvl in URGENCY_LEVELS])

    collect()
    monkeypatch.setattr(module, "_must_touch", lambda *args: ([], None))
    for contact, answers in zip(contacts, pruned, strict=True):
        full = [why_not(engine, contact, lvl, max_changes=2) for lvl in URGENCY_LEVELS]
        # A proven "no answers can" is still "none within 2 changes" without the proof.
        assert [(a.size, a.total, a.paths) for a in full] == [
            (a.size, a.total, a.paths) for a in answers
        ]
