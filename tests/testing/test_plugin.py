"""The pytest plugin: fixture files become test items; failures read as expected vs actual."""

from __future__ import annotations

import textwrap

import pytest

from ..conftest import write_rules

pytest_plugins = ["pytester"]

CASES = """\
base_contact:
  received_at: "2025-03-04T10:00:00+02:00"
  channel: phone
  client: {age: 40}
  concerns: [acute_symptom]
cases:
  - name: chest pain is an emergency
    contact: {contact_id: fx-1, answers: {chest_pain: true}}
    expect:
      urgency: emergency
      routes_include: [emergency_112]
      fired_include: [acute.chest-pain]
  - name: no chest pain, no emergency
    contact: {contact_id: fx-2, answers: {chest_pain: false}}
    expect:
      urgency: non_urgent
      fired_exclude: [acute.chest-pain]
      clocks:
        need_assessment: {due_date: "2025-03-04", status: open}
"""


def _project(pytester: pytest.Pytester, fixtures: dict[str, str]) -> None:
    write_rules(pytester.path / "rules")
    pytester.makeini("[pytest]\nonecontact_rules = rules\nonecontact_fixtures = fixtures\n")
    for name, text in fixtures.items():
        path = pytester.path / "fixtures" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.mark.parametrize("backend", [pytest.param("durable", marks=pytest.mark.durable), "python"])
def test_each_case_is_one_passing_item(pytester: pytest.Pytester, backend: str) -> None:
    """Two cases in one file: two items, both pass, on either evaluator."""
    _project(pytester, {"acute/red_flags.yaml": CASES})
    result = pytester.runpytest("-v", f"--onecontact-backend={backend}")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*red_flags.yaml::chest pain is an emergency PASSED*"])


def test_a_failing_case_shows_expected_actual_and_fired_rules(pytester: pytest.Pytester) -> None:
    """A wrong expectation fails with the expectation, the actual value and the fired rules."""
    _project(pytester, {"acute/wrong.yaml": CASES.replace("urgency: emergency", "urgency: urgent")})
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*urgency: expected urgent, got emergency*",
            "*fired rules:*acute.chest-pain (acute.yaml:2)*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_broken_fixture_file_is_one_failing_item(pytester: pytest.Pytester) -> None:
    """A malformed file fails as one item naming file:line; other files still run."""
    _project(
        pytester,
        {
            "acute/ok.yaml": CASES,
            "acute/broken.yaml": "cases:\n  - name: x\n    contact: {}\n    expect: {urgncy: urgent}\n",
        },
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*broken.yaml:4: unknown expectation 'urgncy' (did you mean 'urgency'?)*"]
    )


def test_a_broken_rules_directory_fails_the_cases_not_the_collection(
    pytester: pytest.Pytester,
) -> None:
    """Rules that do not load: each case fails with the RuleError, collection still works."""
    _project(pytester, {"acute/ok.yaml": CASES})
    (pytester.path / "rules" / "home.yaml").write_text(
        "rules:\n  - id: x\n    when: agee > 1\n    urgency: urgent\n"
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*home.yaml:3:*unknown-field*did you mean 'age'*"])


def test_fixture_naming_a_rule_that_does_not_exist_fails(pytester: pytest.Pytester) -> None:
    """A typo in fired_include is an error, not a silently passing case."""
    _project(
        pytester,
        {
            "acute/typo.yaml": CASES.replace(
                "fired_exclude: [acute.chest-pain]", "fired_exclude: [acute.chest-pian]"
            )
        },
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*rule 'acute.chest-pian', which does not exist (did you mean 'acute.chest-pain'?)*"]
    )


def test_yaml_outside_the_fixtures_folder_is_not_collected(pytester: pytest.Pytester) -> None:
    """Only files under the configured fixtures folder are fixtures."""
    _project(pytester, {"acute/ok.yaml": CASES})
    (pytester.path / "other.yaml").write_text("cases: []\n")
    result = pytester.runpytest("--collect-only", "-q")
    assert "other.yaml" not in result.stdout.str()


def test_fixture_cases_need_a_contact_error_field(pytester: pytest.Pytester) -> None:
    """contact_error: a case may assert that a contact is refused, naming the field."""
    _project(
        pytester,
        {
            "acute/invalid.yaml": CASES.split("cases:", maxsplit=1)[0]
            + "cases:\n  - name: unknown concern\n    contact: {contact_id: x, concerns: [acute_symptm]}\n"
            "    expect: {contact_error: 'concerns[0]'}\n",
        },
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_plugin_module_has_no_import_side_effects() -> None:
    """Importing the plugin (as pytest does in every project where oneContact is
    installed) builds no engine and loads no C rule engine: checked in a fresh interpreter,
    where nothing is loaded yet. (The package itself is imported, as Python requires.)"""
    import subprocess
    import sys

    probe = (
        "import sys, oneContact.testing.plugin; "
        "print(sorted(m for m in ('durable_rules_engine',) if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "[]" == result.stdout.strip()


# ---------------------------------------------------------------- coverage
#
# The test rules (tests/conftest.py) have 4 rules and 7 comparisons: 4 + 2 * 7 = 18
# outcomes. The two cases of CASES (chest pain yes / no, age 40, acute symptom, no pain
# score) fire acute.chest-pain and acute.any; they see chest_pain both ways, and in
# acute.mild the concern true, `not chest_pain` both ways, `pain_score < 4` only false
# (unanswered), acute.any's concern true, and home.older's two comparisons only false:
# 2 rules + 2 + 4 + 1 + 2 = 11 of 18 outcomes, 61.1 %.


def test_coverage_reports_fired_rules_outcomes_and_rules_never_fired(
    pytester: pytest.Pytester,
) -> None:
    """--onecontact-coverage: per rule its firings, unseen outcomes, and the summary."""
    _project(pytester, {"acute/red_flags.yaml": CASES})
    result = pytester.runpytest("--onecontact-coverage")
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*oneContact rule coverage*",
            "acute.chest-pain*acute.yaml:2*fired   1*conditions seen true and false 1/1",
            "acute.mild*fired   0*conditions seen true and false 1/3",
            "    'acute_symptom' in concerns (column 1): never false",
            "    pain_score < 4 (column *): never true",
            "acute.any*fired   2*",
            "home.older*home.yaml:2*fired   0*0/2",
            "    age >= 75 (column 1): never true",
            "2 fixture contacts; rules fired 2/4; condition outcomes seen 9/14; coverage 61.1%",
            "rules never fired:",
            "  - acute.mild  acute.yaml:*",
            "  - home.older  home.yaml:2",
        ]
    )


def test_coverage_fail_under_fails_the_run_below_the_threshold(pytester: pytest.Pytester) -> None:
    """61.1 % is below 70: the run fails although every case passed; 60 passes."""
    _project(pytester, {"acute/red_flags.yaml": CASES})
    result = pytester.runpytest("--onecontact-coverage-fail-under=70")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAIL: rule coverage 61.1% is below 70%"])
    passing = pytester.runpytest("--onecontact-coverage-fail-under=60")
    assert passing.ret == pytest.ExitCode.OK
    assert "FAIL: rule coverage" not in passing.stdout.str()


def test_coverage_is_counted_in_one_process_when_xdist_would_spread_the_run(
    pytester: pytest.Pytester,
) -> None:
    """With ``-n 2`` (pytest-xdist) the coverage run stays in one process, so every case
    is counted: the same 61.1 % as without ``-n``, not a worker's share of it."""
    _project(pytester, {"acute/red_flags.yaml": CASES})
    result = pytester.runpytest("-n", "2", "--onecontact-coverage")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["2 fixture contacts; rules fired 2/4; condition outcomes seen 9/14; coverage 61.1%"]
    )


def test_without_the_option_there_is_no_coverage_report(pytester: pytest.Pytester) -> None:
    """Coverage costs nothing unless asked for."""
    _project(pytester, {"acute/red_flags.yaml": CASES})
    result = pytester.runpytest()
    assert "rule coverage" not in result.stdout.str()


def test_coverage_of_the_bundled_rules_and_fixtures_is_complete(
    pytester: pytest.Pytester,
) -> None:
    """The bundled fixtures fire every bundled rule and see every comparison both ways."""
    import shutil

    from oneContact import load_ruleset

    from ..conftest import BUNDLED_RULES, REPO

    shutil.copytree(BUNDLED_RULES, pytester.path / "rules")
    shutil.copytree(REPO / "fixtures", pytester.path / "fixtures")
    # The routing fixtures route with the example directory, named relative to them.
    shutil.copytree(REPO / "examples", pytester.path / "examples")
    pytester.makeini("[pytest]\nonecontact_rules = rules\nonecontact_fixtures = fixtures\n")
    result = pytester.runpytest(
        "--onecontact-backend=python", "--onecontact-coverage-fail-under=100", "-q"
    )
    assert result.ret == pytest.ExitCode.OK
    n = len(load_ruleset(BUNDLED_RULES).rules)
    result.stdout.fnmatch_lines([f"*rules fired {n}/{n};*coverage 100.0%"])


STAFF = """\
municipalities: [{id: town}]
units: [{id: station, kind: health_station, municipality: town}]
members:
  - {id: n-1, role: nurse, unit: station, slots: ["2025-03-05T09:00", "2025-03-06T09:00"]}
"""

ROUTED = """\
directory: ../../staff.yaml
base_contact:
  received_at: "2025-03-04T10:00:00+02:00"
  channel: phone
  municipality: town
  client: {age: 40}
  concerns: [acute_symptom]
cases:
  - name: the nurse's first free slot is offered
    contact: {contact_id: fx-r-1, answers: {chest_pain: false}}
    expect:
      routes_include:
        - {service: nurse, member: n-1, unit: station, slot: "2025-03-05T09:00:00+02:00", explanation: "place: same municipality"}
"""


def test_a_fixture_file_can_route_with_a_directory(pytester: pytest.Pytester) -> None:
    """`directory:` beside the cases: routes name members and slots, and are checked."""
    _project(pytester, {"acute/routed.yaml": ROUTED})
    (pytester.path / "staff.yaml").write_text(STAFF, encoding="utf-8")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_a_wrong_member_fails_and_shows_the_members_offered(pytester: pytest.Pytester) -> None:
    """Expected vs actual names the member and slot that were offered."""
    _project(pytester, {"acute/routed.yaml": ROUTED.replace("member: n-1", "member: n-2")})
    (pytester.path / "staff.yaml").write_text(STAFF, encoding="utf-8")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*actual routes:*team_member:nurse[[]n-1 2025-03-05T09:00:00+02:00[]]*"]
    )


def test_a_missing_directory_file_is_one_failing_item(pytester: pytest.Pytester) -> None:
    """A directory path that does not exist fails the file at the line of `directory:`."""
    _project(pytester, {"acute/routed.yaml": ROUTED})
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*routed.yaml:1: directory file '../../staff.yaml' not found*"])


def test_a_broken_directory_fails_the_cases_naming_its_line(pytester: pytest.Pytester) -> None:
    """A role the test catalogue lacks: each case fails with the directory's file:line."""
    _project(pytester, {"acute/routed.yaml": ROUTED})
    (pytester.path / "staff.yaml").write_text(
        STAFF.replace("role: nurse", "role: gp"), encoding="utf-8"
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*staff.yaml:4:*unknown-role*"])


def test_a_fixture_file_can_name_its_region(pytester: pytest.Pytester) -> None:
    """`region:` beside the cases: its language_rights decide the route. n-1 speaks only
    Finnish; a Swedish client in a bilingual region gets the route flagged."""
    bilingual = ROUTED.replace("directory:", "region: kaksikielinen\ndirectory:", 1).replace(
        "client: {age: 40}", "client: {age: 40, language: sv}"
    )
    bilingual = bilingual.replace(
        'explanation: "place: same municipality"}',
        'language_right_unmet: true, explanation: "klienten har rätt till service på svenska"}',
    )
    _project(pytester, {"acute/routed.yaml": bilingual})
    (pytester.path / "staff.yaml").write_text(STAFF, encoding="utf-8")
    (pytester.path / "rules" / "policies" / "regions" / "kaksikielinen.yaml").write_text(
        "name: {fi: Kaksikielinen, sv: Tvåspråkig, en: Bilingual}\nlanguage_rights: [fi, sv]\n",
        encoding="utf-8",
    )
    pytester.runpytest().assert_outcomes(passed=1)
    # Without the region the language is a preference: the route is not flagged.
    _project(pytester, {"acute/routed.yaml": bilingual.replace("region: kaksikielinen\n", "")})
    pytester.runpytest().assert_outcomes(failed=1)
    _project(pytester, {"acute/routed.yaml": bilingual.replace("kaksikielinen", "Bad Name")})
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*routed.yaml:1: 'region' is a region file's name*"])
