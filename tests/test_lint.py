"""The lint: each finding planted in a small rules directory, found, and located.

Most planted examples copy the bundled rules (which lint clean) and add one rule file,
so the finding expected is the only one there.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from oneContact import Engine
from oneContact.cli import main
from oneContact.lint import LINT_CODES, LintFinding, lint_rules, lint_ruleset
from oneContact.ruleset import Rule, Urgency, load_ruleset
from oneContact.ruleset.condition import compile_condition

from .conftest import BUNDLED_RULES, CATALOGUE, QUESTIONNAIRE, REPO, write_rules

BUNDLED_FIXTURES = REPO / "fixtures"


def _bundled_copy(tmp_path: Path, **files: str) -> Path:
    """The bundled rules copied to *tmp_path*, with extra rule files (name → YAML)."""
    root = tmp_path / "rules"
    shutil.copytree(BUNDLED_RULES, root)
    for name, text in files.items():
        (root / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


BUNDLED = load_ruleset(BUNDLED_RULES)


def _lint_bundled_plus(
    when: str,
    *,
    urgency: Urgency | None = None,
    needs: tuple[str, ...] = (),
    services: tuple[str, ...] = (),
) -> tuple[LintFinding, ...]:
    """Lint the bundled rules plus one rule, in memory (no files to copy and read again).

    The rule is compiled by the loader's own condition compiler, with the bundled fields.
    """
    questionnaire = BUNDLED.questionnaire
    rule = Rule(
        id="planted.rule",
        file="planted.yaml",
        line=1,
        when=when,
        condition=compile_condition(
            when, questionnaire.fields(), frozenset(questionnaire.concerns)
        ),
        urgency=urgency,
        needs=needs,
        services=services,
        clocks=(),
        priority=50,
        priority_written=True,
    )
    return lint_ruleset(attrs.evolve(BUNDLED, rules=(*BUNDLED.rules, rule)))


def _codes(findings: tuple[LintFinding, ...]) -> list[str]:
    return [f.code for f in findings]


def _line_of(path: Path, text: str) -> int:
    """1-based line of the first line of *path* holding *text*."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def test_the_bundled_rules_lint_clean_with_their_fixtures() -> None:
    """The bundled rules and fixtures: no finding (the one real finding was fixed)."""
    assert lint_rules(BUNDLED_RULES, fixtures=BUNDLED_FIXTURES) == ()


# ---------------------------------------------------------------- contradiction


@pytest.mark.parametrize(
    ("when", "explained"),
    [
        ("age < 18 and age >= 65", "age < 18 and age >= 65 cannot all hold"),
        (
            "symptom_duration == 'hours' and symptom_duration == 'weeks'",
            "symptom_duration == 'hours' and symptom_duration == 'weeks' cannot all hold",
        ),
        ("pregnant and not pregnant", "pregnant and not pregnant cannot all hold"),
        # pain_score is a whole number 0-10: nothing lies strictly between 3 and 4
        ("pain_score > 3 and pain_score < 4", "pain_score > 3 and pain_score < 4"),
        ("pain_score >= 11", "pain_score >= 11 cannot all hold"),
        ("symptom_duration is not answered and symptom_duration != 'days'", "cannot all hold"),
        # two alternatives, each impossible for its own reason
        ("(chest_pain or age > 130) and not chest_pain", "none of its 2 alternatives"),
        ("false", "it is 'false'"),
    ],
)
def test_a_condition_that_can_never_be_true_is_a_contradiction(when: str, explained: str) -> None:
    """Planted: one impossible rule; the finding says why."""
    findings = _lint_bundled_plus(when, urgency="non_urgent", services=("nurse",))
    assert _codes(findings) == ["contradiction"]
    (finding,) = findings
    assert finding.rule == "planted.rule"
    assert explained in finding.message


def test_a_contradiction_is_found_at_its_when_line(tmp_path: Path) -> None:
    """Read from a file: the finding points at the file and the line of 'when'."""
    root = _bundled_copy(
        tmp_path,
        planted="""\
        rules:
          - id: planted.never
            description: {fi: Eläkeläislapset, sv: Pensionärsbarn, en: Children who are also pensioners.}
            when: "age < 18 and age >= 65"
            urgency: non_urgent
            services: [nurse]
            priority: 50
        """,
    )
    findings = lint_rules(root)
    assert [(f.code, f.file, f.line, f.column) for f in findings] == [
        ("contradiction", str(root / "planted.yaml"), 4, 11)
    ]


@pytest.mark.parametrize(
    "when",
    [
        "age >= 18 and age < 65",
        "pain_score > 3 and pain_score < 5",  # 4
        "symptom_duration != 'hours' and symptom_duration != 'days' and symptom_duration != 'weeks'",
        "language != 'fi' and language != 'sv'",
        "age == 130",
    ],
)
def test_a_condition_that_one_contact_can_meet_is_no_contradiction(when: str) -> None:
    """Near misses: the last value of a range, the last free choice, an open text field."""
    findings = _lint_bundled_plus(f"'oral_health' in concerns and {when}", needs=("oral_care",))
    assert "contradiction" not in _codes(findings)


# ---------------------------------------------------------------- redundant


def test_a_rule_another_rule_covers_with_the_same_outcome_is_redundant(tmp_path: Path) -> None:
    """Every home-care contact already gets homecare.assess; aged 80+ adds nothing new."""
    root = _bundled_copy(
        tmp_path,
        planted="""\
        rules:
          - id: planted.older-home-care
            when: "'home_care' in concerns and age >= 80"
            urgency: non_urgent
            needs: [home_care_services]
            services: [service_coordinator]
            priority: 50
        """,
    )
    findings = lint_rules(root)
    assert _codes(findings) == ["redundant-rule"]
    assert findings[0].rule == "planted.older-home-care"
    assert "'homecare.assess' (home_care.yaml:" in findings[0].message


def test_a_narrower_rule_that_adds_something_is_not_redundant(tmp_path: Path) -> None:
    """Same narrow condition, but a service homecare.assess does not ask for."""
    root = _bundled_copy(
        tmp_path,
        planted="""\
        rules:
          - id: planted.older-home-care
            when: "'home_care' in concerns and age >= 80"
            services: [physiotherapist]
            priority: 50
        """,
    )
    assert lint_rules(root) == ()


def test_of_two_equivalent_rules_only_the_later_is_redundant(tmp_path: Path) -> None:
    """The same condition written two ways, the same outcome: one finding, on the second."""
    root = _bundled_copy(
        tmp_path,
        planted="""\
        rules:
          - id: planted.first
            when: "'oral_health' in concerns and not (age < 65)"
            services: [nutritionist]
            priority: 40
          - id: planted.second
            when: "age >= 65 and 'oral_health' in concerns"
            services: [nutritionist]
            priority: 40
        """,
    )
    findings = lint_rules(root)
    assert [(f.code, f.rule) for f in findings] == [("redundant-rule", "planted.second")]


# ---------------------------------------------------------------- order conflict

TWO_UNRANKED = """\
rules:
  - id: planted.oldest-dentist
    when: "'oral_health' in concerns and age >= 95"
    urgency: urgent
    services: [dentist]
  - id: planted.oldest-gp
    when: "age >= 90"
    urgency: urgent
    services: [gp]
"""


def test_two_unranked_rules_tied_for_the_first_route_conflict(tmp_path: Path) -> None:
    """Both urgent, neither has a priority: file order alone puts dentist before gp."""
    root = _bundled_copy(tmp_path, planted=TWO_UNRANKED)
    findings = lint_rules(root)
    assert [(f.code, f.rule) for f in findings] == [("order-conflict", "planted.oldest-gp")]
    message = findings[0].message
    assert "'planted.oldest-dentist' (planted.yaml:2)" in message
    assert "age: 95" in message  # the example contact is at the boundary both conditions meet
    assert "'dentist' before 'gp'" in message


def test_a_written_priority_settles_the_order(tmp_path: Path) -> None:
    """The fix the finding proposes (a priority on one rule) removes it."""
    fixed = TWO_UNRANKED.replace("services: [gp]", "services: [gp]\n    priority: 99")
    assert lint_rules(_bundled_copy(tmp_path, planted=fixed)) == ()


def test_rules_that_cannot_fire_together_do_not_conflict(tmp_path: Path) -> None:
    """Disjoint ages: never both at once, so no tie."""
    disjoint = TWO_UNRANKED.replace('when: "age >= 90"', 'when: "age < 95"')
    assert lint_rules(_bundled_copy(tmp_path, planted=disjoint)) == ()


def test_a_tie_behind_a_higher_ranked_route_is_no_conflict(tmp_path: Path) -> None:
    """Whenever both fire, an emergency rule with a route fires too and comes first."""
    behind = TWO_UNRANKED.replace("age >= 95", "age >= 95 and chest_pain").replace(
        '"age >= 90"', '"age >= 90 and chest_pain"'
    )
    assert lint_rules(_bundled_copy(tmp_path, planted=behind)) == ()


# ---------------------------------------------------------------- unused entries


def test_questionnaire_and_catalogue_entries_nothing_uses(tmp_path: Path) -> None:
    """The small test directory: each unused entry once, at its line; remedies are exempt."""
    catalogue = CATALOGUE.replace(
        "services:\n",
        "  - id: interpreter_help\n"
        "    label: {fi: Tulkkaus, sv: Tolkning, en: Interpreting}\n"
        "services:\n"
        "  - id: voucher\n"
        "    kind: remedy\n"
        "    name: {fi: palveluseteli, sv: servicesedel, en: service voucher}\n"
        "  - id: physiotherapist\n"
        "    kind: team_member\n"
        "    name: {fi: fysioterapeutti, sv: fysioterapeut, en: physiotherapist}\n",
    )
    root = write_rules(tmp_path / "rules", catalogue=catalogue)
    findings = lint_rules(root)
    got = {(f.code, re.findall(r"'([a-z_]+)'", f.message)[0], f.line) for f in findings}
    questionnaire, catalogue_file = root / "questionnaire.yaml", root / "catalogue.yaml"
    assert got == {
        ("unused-question", "lives_alone", _line_of(questionnaire, "id: lives_alone")),
        ("unused-question", "symptom_duration", _line_of(questionnaire, "id: symptom_duration")),
        ("unused-concern", "mental_health", _line_of(questionnaire, "id: mental_health")),
        ("unused-need", "interpreter_help", _line_of(catalogue_file, "id: interpreter_help")),
        ("unused-service", "physiotherapist", _line_of(catalogue_file, "id: physiotherapist")),
    }
    assert QUESTIONNAIRE in questionnaire.read_text(encoding="utf-8")


# ---------------------------------------------------------------- red flags

RED_FLAG_QUESTION = """\
  - id: sudden_confusion
    type: boolean
    red_flag: true
    label: {fi: Äkillinen sekavuus, sv: Plötslig förvirring, en: Sudden confusion}
"""


def _with_red_flag(tmp_path: Path, **files: str) -> Path:
    root = _bundled_copy(tmp_path, **files)
    questionnaire = root / "questionnaire.yaml"
    questionnaire.write_text(
        questionnaire.read_text(encoding="utf-8") + RED_FLAG_QUESTION, encoding="utf-8"
    )
    return root


def _rule(
    when: str,
    urgency: str = "urgent",
    *,
    rule_id: str = "planted.confusion",
    services: str = "nurse",
    header: bool = True,
) -> str:
    """A rule file (or, without *header*, one more rule for it) with one planted rule."""
    return ("rules:\n" if header else "") + (
        f"  - id: {rule_id}\n"
        f'    when: "{when}"\n'
        f"    urgency: {urgency}\n"
        f"    services: [{services}]\n"
        "    priority: 3\n"
    )


def test_a_red_flag_no_urgent_rule_tests_is_found(tmp_path: Path) -> None:
    """A new red flag without a rule: found at its line in the questionnaire."""
    root = _with_red_flag(tmp_path)
    findings = [f for f in lint_rules(root) if f.code == "red-flag-below-urgent"]
    assert len(findings) == 1
    assert findings[0].line == _line_of(root / "questionnaire.yaml", "id: sudden_confusion")
    assert "'sudden_confusion' answered yes can end at non_urgent" in findings[0].message


def test_a_red_flag_urgent_only_for_one_concern_is_found(tmp_path: Path) -> None:
    """Urgent only with an acute symptom: a contact about anything else ends lower."""
    root = _with_red_flag(
        tmp_path, planted=_rule("'acute_symptom' in concerns and sudden_confusion")
    )
    (finding,) = [f for f in lint_rules(root) if f.code == "red-flag-below-urgent"]
    described = re.search(r"concerns \[([a-z_, ]+)\]", finding.message)
    assert described is not None
    assert "acute_symptom" not in described.group(1).split(", ")


def test_a_red_flag_covered_in_two_halves_is_not_found(tmp_path: Path) -> None:
    """age < 65 and age >= 65 together cover every age: exact, no finding."""
    halves = _rule("sudden_confusion and age < 65") + _rule(
        "sudden_confusion and age >= 65",
        "emergency",
        rule_id="planted.confusion-older",
        services="emergency_112",
        header=False,
    )
    root = _with_red_flag(tmp_path, planted=halves)
    assert "red-flag-below-urgent" not in _codes(lint_rules(root))


def test_a_red_flag_missing_one_age_is_found_at_that_age(tmp_path: Path) -> None:
    """age < 65 and age > 65 leave out exactly 65: the search finds that one age."""
    halves = _rule("sudden_confusion and age < 65") + _rule(
        "sudden_confusion and age > 65", rule_id="planted.confusion-older", header=False
    )
    root = _with_red_flag(tmp_path, planted=halves)
    (finding,) = [f for f in lint_rules(root) if f.code == "red-flag-below-urgent"]
    assert "age: 65" in finding.message
    # and the engine agrees: that contact really ends below urgent
    engine = Engine.from_directory(root, backend="python")
    contact = {
        "contact_id": "c-65",
        "received_at": "2025-03-04T10:00:00+02:00",
        "channel": "phone",
        "client": {"age": 65},
        "concerns": ["other"],
        "answers": {"sudden_confusion": True},
    }
    assert engine.assess(contact).urgency in ("non_urgent", "self_care")


def test_an_unconditional_urgent_rule_clears_the_red_flag(tmp_path: Path) -> None:
    """The fix the finding proposes: 'when: sudden_confusion' with urgency urgent."""
    root = _with_red_flag(tmp_path, planted=_rule("sudden_confusion"))
    assert lint_rules(root) == ()


# ---------------------------------------------------------------- treatment clocks

# A nurse for a home-care client who lives alone, named with no treatment clock.
NURSE_WITHOUT_CLOCK = """\
rules:
  - id: planted.nurse
    when: "'home_care' in concerns and lives_alone"
    urgency: non_urgent
    services: [nurse]
"""


def test_care_without_a_treatment_clock_is_found(tmp_path: Path) -> None:
    """The engine would start the catalogue's default; the lint says so at the rule, with
    a contact that shows it, and the engine agrees about that contact."""
    root = write_rules(tmp_path / "rules", planted=NURSE_WITHOUT_CLOCK)
    (finding,) = [f for f in lint_rules(root) if f.code == "no-treatment-clock"]
    assert ("planted.nurse", _line_of(root / "planted.yaml", "when:")) == (
        finding.rule,
        finding.line,
    )
    assert "'planted.nurse' routes to 'nurse' (care under the care guarantee)" in finding.message
    assert "lives_alone: yes ends non_urgent" in finding.message


def test_care_with_its_treatment_clock_is_not_found(tmp_path: Path) -> None:
    """The fix the finding proposes: the rule names planned_care."""
    fixed = NURSE_WITHOUT_CLOCK + "    clocks: [planned_care]\n"
    root = write_rules(tmp_path / "rules", planted=fixed)
    assert "no-treatment-clock" not in _codes(lint_rules(root))


def test_care_that_is_always_urgent_is_not_found(tmp_path: Path) -> None:
    """Same-day care is no wait under the non-urgent care guarantee."""
    urgent = NURSE_WITHOUT_CLOCK.replace("urgency: non_urgent", "urgency: urgent")
    root = write_rules(tmp_path / "rules", planted=urgent)
    assert "no-treatment-clock" not in _codes(lint_rules(root))


# ---------------------------------------------------------------- fixtures

FIXTURE_BASE = """\
base_contact:
  received_at: "2025-03-04T10:00:00+02:00"
  channel: phone
  client: {age: 40}
  concerns: [acute_symptom]
"""


def _fixtures(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "fixtures"
    for name, text in files.items():
        path = folder / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def test_rules_no_fixture_fires_and_names_that_do_not_exist(tmp_path: Path) -> None:
    """The small directory, one case with chest pain: acute.mild and home.older never fire;
    a misspelt rule and service are named; a broken file is reported, not fatal."""
    root = write_rules(tmp_path / "rules")
    folder = _fixtures(
        tmp_path,
        **{
            "acute/cases": FIXTURE_BASE
            + """\
cases:
  - name: chest pain
    contact: {contact_id: f-1, answers: {chest_pain: true}}
    expect:
      urgency: emergency
      fired_include: [acute.chest-pian]
      routes_include: [emergency_122]
""",
            "broken": "cases:\n  - name: x\n    expect: {urgncy: urgent}\n",
        },
    )
    findings = lint_rules(root, fixtures=folder)
    fixture_file = str(folder / "acute" / "cases.yaml")
    acute, home = root / "acute.yaml", root / "home.yaml"
    fixture_codes = {
        (f.code, f.file, f.line, f.rule)
        for f in findings
        if f.code.startswith(("fixture", "unexercised"))
    }
    assert fixture_codes == {
        ("fixture-unknown-rule", fixture_file, 7, None),
        ("fixture-unknown-service", fixture_file, 7, None),
        ("fixture-invalid", str(folder / "broken.yaml"), 3, None),
        ("unexercised-rule", str(acute), _line_of(acute, "and pain_score < 4"), "acute.mild"),
        ("unexercised-rule", str(home), _line_of(home, "when:"), "home.older"),
    }
    by_code = {f.code: f for f in findings}
    assert by_code["fixture-unknown-rule"].fix == "use 'acute.chest-pain'"
    assert by_code["fixture-unknown-service"].fix == "use 'emergency_112'"


def test_without_fixtures_rules_are_not_reported_unexercised(rules_dir: Path) -> None:
    """The fixture checks run only when a fixtures folder is given."""
    assert not {f.code for f in lint_rules(rules_dir)} & {"unexercised-rule"}


# ---------------------------------------------------------------- every code


def _planted(tmp_path: Path) -> dict[str, Callable[[], tuple[LintFinding, ...]]]:
    """One planted example per code (the detailed tests above check each in full)."""
    small = write_rules(tmp_path / "small")
    folder = _fixtures(
        tmp_path,
        cases=FIXTURE_BASE
        + "cases:\n  - name: a\n    contact: {contact_id: f-1}\n"
        + "    expect: {fired_include: [nope], routes_include: [nope]}\n",
        bad="cases: 1\n",
    )
    catalogue = CATALOGUE.replace(
        "services:\n",
        "  - id: spare\n    label: {fi: a, sv: b, en: c}\nservices:\n"
        "  - id: spare_service\n    kind: team_member\n    name: {fi: a, sv: b, en: c}\n",
    )
    contradiction = _rule("age < 18 and age >= 65")
    redundant = _rule("chest_pain and age > 1", "emergency", services="emergency_112")
    return {
        "contradiction": lambda: lint_rules(_bundled_copy(tmp_path / "c", planted=contradiction)),
        "redundant-rule": lambda: lint_rules(_bundled_copy(tmp_path / "r", planted=redundant)),
        "order-conflict": lambda: lint_rules(_bundled_copy(tmp_path / "o", planted=TWO_UNRANKED)),
        "unused-question": lambda: lint_rules(small),
        "unused-concern": lambda: lint_rules(small),
        "unused-service": lambda: lint_rules(write_rules(tmp_path / "s", catalogue=catalogue)),
        "unused-need": lambda: lint_rules(write_rules(tmp_path / "n", catalogue=catalogue)),
        "red-flag-below-urgent": lambda: lint_rules(_with_red_flag(tmp_path / "f")),
        "no-treatment-clock": lambda: lint_rules(
            write_rules(tmp_path / "t", planted=NURSE_WITHOUT_CLOCK)
        ),
        "unexercised-rule": lambda: lint_rules(small, fixtures=folder),
        "fixture-unknown-rule": lambda: lint_rules(small, fixtures=folder),
        "fixture-unknown-service": lambda: lint_rules(small, fixtures=folder),
        "fixture-invalid": lambda: lint_rules(small, fixtures=folder),
    }


@pytest.mark.parametrize("code", sorted(LINT_CODES))
def test_every_code_has_a_planted_example(tmp_path: Path, code: str) -> None:
    """Each code the lint can report is reported for a directory planted with it."""
    planted = _planted(tmp_path)
    assert code in planted, f"no planted example for {code}"
    assert code in _codes(planted[code]())


def test_every_code_is_documented_in_the_errors_reference() -> None:
    """The 'Lint findings' table of docs/reference/errors.md and LINT_CODES agree."""
    text = (REPO / "docs" / "reference" / "errors.md").read_text(encoding="utf-8")
    section = text.split("## Lint findings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", section, re.MULTILINE))
    assert documented == set(LINT_CODES)


# ---------------------------------------------------------------- the command


def test_cli_exits_0_on_the_bundled_rules(capsys: pytest.CaptureFixture[str]) -> None:
    """Clean: exit 0 and one line saying so."""
    assert main(["lint", str(BUNDLED_RULES), "--fixtures", str(BUNDLED_FIXTURES)]) == 0
    assert capsys.readouterr().out.strip().endswith(": clean")


def test_cli_exits_1_with_findings_as_text_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text: file:line:column: code [rule]: message, then the fix; JSON: the same fields."""
    root = _bundled_copy(tmp_path, planted=_rule("age < 18 and age >= 65"))
    assert main(["lint", str(root)]) == 1
    out = capsys.readouterr().out
    line = _line_of(root / "planted.yaml", "when:")
    assert f"{root / 'planted.yaml'}:{line}:" in out
    assert "contradiction [rule planted.confusion]:" in out
    assert "    fix: correct the comparisons" in out
    assert out.strip().endswith("1 finding")
    assert main(["lint", str(root), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["count"] == 1
    assert data["findings"][0]["code"] == "contradiction"
    assert data["findings"][0]["line"] == line
    assert set(data["findings"][0]) == {
        "code",
        "file",
        "line",
        "column",
        "rule",
        "message",
        "fix",
    }


def test_cli_reports_what_the_loader_refuses_as_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A directory that does not load: its problems, in the same format, exit 1."""
    root = _bundled_copy(tmp_path, planted=_rule("agee > 1"))
    assert main(["lint", str(root), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in data["findings"]] == ["unknown-field"]
    assert data["findings"][0]["fix"] == "use 'age'"


@pytest.mark.parametrize("argv", [["lint", "no-such-dir"], ["lint", "RULES", "--fixtures", "nope"]])
def test_cli_exits_2_on_bad_input(
    argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A missing rules or fixtures folder is bad input: exit 2, a message, no traceback."""
    argv = [
        str(BUNDLED_RULES) if a == "RULES" else a if a.startswith("--") else str(tmp_path / a)
        for a in argv[1:]
    ]
    assert main(["lint", *argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "folder" in err or "directory" in err


def test_a_clock_for_another_person_is_another_outcome(tmp_path: Path) -> None:
    """A narrower rule starting the therapy guarantee for the child adds something to a
    rule that starts it for the client; one starting it for the client too adds nothing."""
    from .conftest import write_person_rules

    root = write_person_rules(
        tmp_path / "rules",
        persons="""\
        rules:
          - id: mh.client
            when: "'mental_health' in concerns"
            clocks: [therapy_guarantee]
          - id: mh.child
            when: "'mental_health' in concerns and child_age is answered"
            clocks: [{clock: therapy_guarantee, for: child}]
          - id: mh.client-again
            when: "'mental_health' in concerns and age > 30"
            clocks: [therapy_guarantee]
        """,
    )
    redundant = [f.rule for f in lint_rules(root) if f.code == "redundant-rule"]
    assert ["mh.client-again"] == redundant
