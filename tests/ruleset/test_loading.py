"""Loading a rules directory: every problem is found, located and explained, nothing half-loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oneContact import RuleError, load_ruleset

from ..conftest import QUESTIONNAIRE, REPO, write_rules

QUESTIONNAIRE_LINES = QUESTIONNAIRE.splitlines()


def problems(tmp_path: Path, **files: str) -> RuleError:
    rules = write_rules(tmp_path / "rules", **files)
    with pytest.raises(RuleError) as info:
        load_ruleset(rules)
    return info.value


def test_condition_typo_names_file_line_column_rule_and_suggestion(tmp_path: Path) -> None:
    """A misspelt answer: file:line:column, rule id, stable code and did-you-mean."""
    err = problems(
        tmp_path,
        home="""\
            rules:
              - id: home.older
                when: age >= 75 and answers.lives_alon
                urgency: non_urgent
            """,
    )
    assert "unknown-field" == err.code
    assert "home.older" == err.rule_id
    assert 3 == err.line
    # 'when: ' starts at column 5; the field starts 16 characters into the condition.
    assert 5 + len("when: ") + len("age >= 75 and ") == err.column
    assert "answers.lives_alone" == err.suggestion
    assert re.search(r"rules/home\.yaml:3:\d+: unknown-field \[rule home\.older\]", str(err))


@pytest.mark.parametrize(
    ("rule", "code", "suggestion"),
    [
        ("urgency: urgnet", "unknown-urgency", "urgent"),
        ("needs: [acute_cre]", "unknown-need", "acute_care"),
        ("clocks: [need_asessment]", "unknown-clock", "need_assessment"),
        ("priorty: 3\n    urgency: urgent", "unknown-key", "priority"),
        ("priority: high\n    urgency: urgent", "bad-priority", None),
        ("description: {fi: ei, sv: inget, en: no outcome here}", "no-outcome", None),
    ],
)
def test_each_outcome_is_type_checked(
    tmp_path: Path, rule: str, code: str, suggestion: str | None
) -> None:
    """Urgencies, needs, clocks and keys are checked against the catalogue and policies."""
    err = problems(tmp_path, home=f"rules:\n  - id: home.x\n    when: age > 1\n    {rule}\n")
    assert [code] == [p.code for p in err.problems]
    assert suggestion == err.problems[0].suggestion


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    """Two broken files, three problems: one RuleError lists them all."""
    err = problems(
        tmp_path,
        home="rules:\n  - id: a\n    when: nope\n    urgency: urgent\n  - id: a\n    when: age > 1\n    urgency: urgent\n",
        acute="rules:\n  - id: b\n    when: chest_pain ==\n    urgency: urgent\n",
    )
    assert ["condition-syntax", "unknown-field", "duplicate-rule-id"] == [
        p.code for p in err.problems
    ]


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    """Broken YAML: code yaml-syntax with its line."""
    err = problems(tmp_path, home="rules:\n  - id: a\n    when: [unclosed\n")
    assert "yaml-syntax" == err.code
    assert err.line is not None
    assert err.line >= 3


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    """Two 'when:' in one rule almost always hide a mistake."""
    err = problems(
        tmp_path,
        home="rules:\n  - id: a\n    when: age > 1\n    when: age > 2\n    urgency: urgent\n",
    )
    assert "yaml-syntax" == err.code


def test_questionnaire_problems(tmp_path: Path) -> None:
    """A question with a bad type and a reserved id; a concern without Swedish."""
    err = problems(
        tmp_path,
        questionnaire="""\
            concerns:
              - id: acute_symptom
                label: {fi: Oire, en: Symptom}
            questions:
              - id: age
                type: number
                label: {fi: Ikä, sv: Ålder, en: Age}
              - id: chest_pain
                type: bool
                label: {fi: Rintakipu, sv: Bröstsmärta, en: Chest pain}
            """,
    )
    codes = {p.code for p in err.problems}
    assert {"label-missing", "reserved-id", "bad-question-type"} <= codes
    bad_type = next(p for p in err.problems if p.code == "bad-question-type")
    assert "boolean" == bad_type.suggestion


def test_catalogue_problems(tmp_path: Path) -> None:
    """An unknown service kind and a fallback that is not a person or family service."""
    catalogue = (
        "defaults: {urgency: non_urgent, fallback_service: digital_chat}\n"
        "needs: []\n"
        "services:\n"
        "  - id: digital_chat\n    kind: digital_channel\n    name: {fi: chat, sv: chatt, en: chat}\n"
        "  - id: nurse\n    kind: team_membr\n    name: {fi: a, sv: b, en: c}\n"
    )
    err = problems(
        tmp_path,
        catalogue=catalogue,
        acute=None,
        home="rules:\n  - id: a\n    when: true\n    urgency: urgent\n",
    )
    codes = [p.code for p in err.problems]
    assert "bad-service-kind" in codes
    assert "bad-fallback" in codes


def test_bundled_rules_load() -> None:
    """The rules that ship with oneContact pass their own checks."""
    ruleset = load_ruleset(REPO / "rules")
    assert len(ruleset.rules) >= 40
    assert set(ruleset.questionnaire.concerns) >= {
        "acute_symptom",
        "mental_health",
        "substance_use",
        "diabetes_type2",
        "chronic_followup",
        "palliative",
        "family_support",
        "child_welfare",
        "home_care",
        "informal_carer",
        "work_ability",
        "oral_health",
        "social_support",
        "other",
    }
    assert set(ruleset.questionnaire.red_flags) >= {
        "chest_pain",
        "severe_breathing_difficulty",
        "stroke_symptoms",
        "unconscious",
        "self_harm_thoughts",
        "child_in_danger",
    }


def _codes_in_source() -> set[str]:
    codes: set[str] = set()
    for path in (REPO / "src" / "oneContact").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= set(
            re.findall(
                r'(?:add|problem|RuleProblem|Refused)\(\s*"([a-z0-9]+(?:-[a-z0-9]+)+)"', text
            )
        )
        codes |= set(re.findall(r'code="([a-z0-9]+(?:-[a-z0-9]+)+)"', text))
        codes |= (
            set(re.findall(r'^\s*"([a-z0-9]+(?:-[a-z0-9]+)+)",\s*$', text, flags=re.M))
            & _documented()
        )
    return codes


def _documented() -> set[str]:
    text = (REPO / "docs" / "reference" / "errors.md").read_text(encoding="utf-8")
    # lint codes: tests/test_lint.py; contact codes: tests/test_contact_messages.py
    text = text.split("\n## Contact errors", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9-]+)` \|", text, flags=re.M))


def test_every_rule_error_code_is_documented() -> None:
    """docs/reference/errors.md lists exactly the codes the loaders can raise."""
    in_source = _codes_in_source() | {"condition-syntax"}
    documented = _documented()
    assert sorted(in_source - documented) == [], "codes raised but not documented"
    assert sorted(documented - in_source) == [], "codes documented but never raised"


def test_a_region_is_chosen_explicitly_and_named_by_the_digest() -> None:
    """No region by default; a region adds its target beside the law and changes the digest."""
    from datetime import date, datetime

    from oneContact import Engine

    contact = {
        "contact_id": "ep-1",
        "received_at": "2025-06-03T09:00:00+03:00",
        "channel": "phone",
        "client": {"age": 40},
        "concerns": ["acute_symptom"],
        "answers": {"pain_score": 5},
    }
    events = {"need_assessed": datetime.fromisoformat("2025-06-03T11:00:00+03:00")}
    plain = Engine.from_directory(REPO / "rules", backend="python")
    regional = Engine.from_directory(REPO / "rules", backend="python", region="etela-pohjanmaa")
    law = {c.clock: c for c in plain.assess(contact, events=events).clocks}["care"]
    both = {c.clock: c for c in regional.assess(contact, events=events).clocks}["care"]
    # Age 40 from 2025: 3 months from Tue 3.6.2025 = Wed 3.9.2025, with or without a region.
    assert date(2025, 9, 3) == law.due_date == both.due_date
    assert law.target_due_date is None
    # Etelä-Pohjanmaa: 7 calendar days from Tue 3.6.2025 = Tue 10.6.2025 (a weekday).
    assert date(2025, 6, 10) == both.target_due_date
    assert plain.digest != regional.digest


def test_an_unknown_region_is_refused_with_a_suggestion() -> None:
    """A misspelt region name is a RuleError, not a silent 'no targets'."""
    with pytest.raises(RuleError) as info:
        load_ruleset(REPO / "rules", region="etela-pohjanmaaa")
    assert "policy-unknown-region" == info.value.code
    assert "etela-pohjanmaa" == info.value.suggestion


# --------------------------------------------------------------------------- persons

PERSON_QUESTIONS = """\
  - id: cared_for_age
    type: number
    label: {fi: Ikä, sv: Ålder, en: Age}
  - id: cared_for_allowance
    type: boolean
    label: {fi: Hoitotuki, sv: Vårdbidrag, en: Care allowance}
"""


def persons_problems(tmp_path: Path, persons: str, rule_clocks: str = "[care]") -> RuleError:
    """Problems of the test directory with *persons* (a YAML list under ``persons:``) in
    its questionnaire and one rule starting *rule_clocks*."""
    return problems(
        tmp_path,
        questionnaire=QUESTIONNAIRE + PERSON_QUESTIONS + "persons:\n" + persons,
        home=f"rules:\n  - id: home.x\n    when: age > 1\n    clocks: {rule_clocks}\n",
    )


def test_persons_and_clocks_for_them_load(tmp_path: Path) -> None:
    """A person names its questions; a clock entry {clock, for} is kept apart from
    Rule.clocks (still the ids, in order), plain ids follow the client."""
    from ..conftest import write_person_rules

    ruleset = load_ruleset(write_person_rules(tmp_path / "rules"))
    child = ruleset.questionnaire.persons["child"]
    assert ("child", "child_age", None, "the child") == (
        child.id,
        child.age,
        child.highest_care_allowance,
        child.label.get("en"),
    )
    carer = {r.id: r for r in ruleset.rules}["carer.home-care"]
    assert ("social_need_assessment", "older_people_services") == carer.clocks
    assert {"social_need_assessment": "cared_for", "older_people_services": "cared_for"} == dict(
        carer.clock_for
    )
    parent = {r.id: r for r in ruleset.rules}["parent.child-mental-health"]
    assert ("care", "therapy_guarantee") == parent.clocks
    assert {"therapy_guarantee": "child"} == dict(parent.clock_for)


def test_an_unknown_person_is_located_with_a_suggestion(tmp_path: Path) -> None:
    """'for: cared_fr': unknown-person at the value's line, naming the rule, did you mean."""
    err = persons_problems(
        tmp_path,
        "  - id: cared_for\n"
        "    label: {fi: hoidettava, sv: den vårdade, en: the person cared for}\n"
        "    age: cared_for_age\n",
        "\n      - care\n      - {clock: social_need_assessment, for: cared_fr}",
    )
    assert ["unknown-person"] == [p.code for p in err.problems]
    problem = err.problems[0]
    assert ("home.x", 6, "cared_for") == (problem.rule_id, problem.line, problem.suggestion)
    assert "home.yaml:6" in str(err)


@pytest.mark.parametrize(
    ("entry", "code", "suggestion"),
    [
        ("{clock: care, for: cared_for, when: x}", "unknown-key", None),
        ("{clok: care, for: cared_for}", "unknown-key", "clock"),
        ("{for: cared_for}", "missing-key", None),
        ("{clock: cares, for: cared_for}", "unknown-clock", "care"),
    ],
)
def test_clock_entries_are_checked(
    tmp_path: Path, entry: str, code: str, suggestion: str | None
) -> None:
    """A clock entry has exactly the keys clock and for; its clock is checked as a plain
    id is."""
    err = persons_problems(
        tmp_path,
        "  - id: cared_for\n"
        "    label: {fi: hoidettava, sv: den vårdade, en: the person cared for}\n"
        "    age: cared_for_age\n",
        f"[{entry}]",
    )
    codes = [p.code for p in err.problems]
    assert code in codes
    assert suggestion == err.problems[codes.index(code)].suggestion
    assert all(p.line == 4 for p in err.problems)


@pytest.mark.parametrize(
    "clocks",
    [
        "[care, care]",
        "[care, {clock: care, for: cared_for}]",
        "[{clock: care, for: cared_for}, {clock: care, for: cared_for}]",
    ],
)
def test_a_clock_named_twice_in_one_rule_is_refused(tmp_path: Path, clocks: str) -> None:
    """One rule starts a clock once, for one person: a second entry is duplicate-clock."""
    err = persons_problems(
        tmp_path,
        "  - id: cared_for\n"
        "    label: {fi: hoidettava, sv: den vårdade, en: the person cared for}\n"
        "    age: cared_for_age\n",
        clocks,
    )
    assert ["duplicate-clock"] == [p.code for p in err.problems]
    assert "remove one entry" in err.problems[0].message


def test_every_problem_of_the_persons_is_reported_at_once(tmp_path: Path) -> None:
    """Unknown keys, a missing age, an age that is not a number question, a flag that is
    not a boolean question, an unknown question, a reserved and a repeated id: one
    RuleError lists each, at its line, with a suggestion where one fits."""
    label = "    label: {fi: x, sv: x, en: x}\n"
    err = persons_problems(
        tmp_path,
        "  - id: a\n" + label + "    age: cared_for_age\n    agee: 3\n"  # 30-33
        "  - id: b\n"
        + label  # 34-35: no age
        + "  - id: c\n"
        + label
        + "    age: cared_for_allowance\n"  # 36-38
        "  - id: d\n" + label + "    age: cared_for_age\n"  # 39-41
        "    highest_care_allowance: cared_for_age\n"  # 42
        "    special_support_child: cared_for_alowance\n"  # 43
        "  - id: client\n" + label + "    age: cared_for_age\n"  # 44-46
        "  - id: a\n" + label + "    age: cared_for_age\n",  # 47-49
    )
    found = [(p.code, p.line, p.suggestion) for p in err.problems]
    first = len(QUESTIONNAIRE_LINES) + len(PERSON_QUESTIONS.splitlines()) + 2
    assert [
        ("unknown-key", first + 3, "age"),
        ("missing-key", first + 4, None),
        ("person-question-type", first + 8, "cared_for_age"),
        ("person-question-type", first + 12, "cared_for_allowance"),
        ("unknown-question", first + 13, "cared_for_allowance"),
        ("reserved-id", first + 14, None),
        ("duplicate-id", first + 17, None),
    ] == found


def test_a_person_is_checked_only_when_persons_are_given(tmp_path: Path) -> None:
    """'persons: []' is no person; a person must be a mapping with an id."""
    err = persons_problems(tmp_path, "  - just_a_name\n")
    assert ["bad-id"] == [p.code for p in err.problems]
    rules = write_rules(tmp_path / "ok", questionnaire=QUESTIONNAIRE + "persons: []\n")
    assert {} == dict(load_ruleset(rules).questionnaire.persons)
