"""Property tests for any rules directory: each one passes on sound rules and can fail.

The red-flag properties are broken by planted rules directories, run through the pytest
plugin as a rule author would run them. The other properties cannot be broken by rule
files (the loader refuses what would break them: a catalogue without a reachable
fallback service, a negative limit), so they are broken by a planted router or policy
object given to the engine, which is what a regression in the code would look like.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings

from oneContact import CatalogueRouter, Engine, Route, RouteRequest
from oneContact.clocks import Clock, local_date
from oneContact.errors import ArgumentError
from oneContact.ruleset import load_ruleset
from oneContact.testing.properties import (
    PROPERTIES,
    PropertyFailed,
    check_properties,
    check_property,
)
from oneContact.testing.strategies import first_contacts

from ..conftest import ACUTE, write_rules

pytest_plugins = ["pytester"]

_BY_NAME = {p.name: p for p in PROPERTIES}

# Chest pain is a red flag of the test questionnaire; without its rule it ends at the
# catalogue's default, non_urgent.
NO_CHEST_PAIN_RULE = """\
rules:
  - id: acute.any
    when: "'acute_symptom' in concerns"
    needs: [acute_care]
    services: [nurse]
    clocks: [need_assessment]
"""

# An emergency for every acute contact *without* chest pain: answering chest pain yes
# lowers such a contact to urgent.
CHEST_PAIN_LOWERS = """\
rules:
  - id: acute.no-chest-pain-is-emergency
    when: "'acute_symptom' in concerns and not chest_pain"
    urgency: emergency
    services: [emergency_112]
  - id: acute.chest-pain
    when: chest_pain
    urgency: urgent
    services: [nurse]
"""


# The test rules with the infant guard the bundled rules keep: acute.mild would otherwise
# send a baby with mild pain to self-care (infant-never-self-care).
SOUND_ACUTE = ACUTE.replace("and pain_score < 4", "and pain_score < 4 and age >= 1")


def _project(pytester: pytest.Pytester, ini: str = "", **rules: str) -> None:
    write_rules(pytester.path / "rules", **{"acute": SOUND_ACUTE, **rules})
    (pytester.path / "fixtures").mkdir()
    pytester.makeini("[pytest]\nonecontact_rules = rules\nonecontact_fixtures = fixtures\n" + ini)


def test_the_sound_test_rules_pass_every_property(pytester: pytest.Pytester) -> None:
    """The flag adds one item per property; on sound rules all pass."""
    _project(pytester)
    result = pytester.runpytest(
        "-v",
        "--onecontact-properties",
        "--onecontact-properties-examples",
        "10",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=len(PROPERTIES))
    result.stdout.fnmatch_lines(["rules::property?red-flag-at-least-urgent? PASSED*"])


def test_a_red_flag_without_a_rule_fails_at_least_urgent(pytester: pytest.Pytester) -> None:
    """Chest pain answered yes ends non_urgent: the property names it and shows a contact."""
    _project(pytester, acute=NO_CHEST_PAIN_RULE)
    result = pytester.runpytest(
        "--onecontact-properties", "-k", "red-flag-at-least-urgent", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*property 'red-flag-at-least-urgent' does not hold: red flag(s) chest_pain "
            "answered yes, but the urgency is non_urgent*",
            '*"chest_pain": true*',
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_self_care_for_a_baby_fails_infant_never_self_care(pytester: pytest.Pytester) -> None:
    """Mild pain for hours sends anyone to self-care, a baby too: the property finds it."""
    _project(pytester, acute=ACUTE)
    result = pytester.runpytest(
        "--onecontact-properties", "-k", "infant-never-self-care", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*property 'infant-never-self-care' does not hold: a client under one year old*"]
    )


def test_a_rule_that_a_red_flag_switches_off_fails_never_lowers(
    pytester: pytest.Pytester,
) -> None:
    """A contact that is an emergency until chest pain is answered yes breaks the property."""
    _project(pytester, acute=CHEST_PAIN_LOWERS)
    result = pytester.runpytest(
        "--onecontact-properties", "-k", "red-flag-never-lowers", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*answering red flag chest_pain yes lowers the urgency from emergency to urgent*"]
    )


def test_the_ini_setting_runs_them_only_when_the_run_covers_the_rules(
    pytester: pytest.Pytester,
) -> None:
    """`onecontact_properties = true`: on for a whole run, off for one test file."""
    _project(pytester, ini="onecontact_properties = true\nonecontact_properties_examples = 5\n")
    pytester.makepyfile(test_one="def test_one():\n    assert 1 + 1 == 2\n")
    whole = pytester.runpytest("-p", "no:cacheprovider")
    whole.assert_outcomes(passed=1 + len(PROPERTIES))
    targeted = pytester.runpytest("test_one.py", "-p", "no:cacheprovider")
    targeted.assert_outcomes(passed=1)


def test_a_bad_examples_count_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """Zero examples would prove nothing: refused with the option's name."""
    _project(pytester)
    result = pytester.runpytest(
        "--onecontact-properties", "--onecontact-properties-examples", "0", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--onecontact-properties-examples must be at least 1*"])


def test_a_bad_examples_argument_is_an_argument_error(ruleset: Any) -> None:
    """From Python, zero examples is the ArgumentError every bad argument raises."""
    with pytest.raises(ArgumentError) as info:
        check_property(Engine(ruleset, backend="python"), PROPERTIES[0], examples=0)
    assert ("bad-argument", "examples") == (info.value.code, info.value.field)


# ---------------------------------------------------------------- planted code faults


class _RaisingRouter:
    def route(self, request: RouteRequest) -> tuple[Route, ...]:
        raise RuntimeError("router down")


class _NoRouteRouter:
    def route(self, request: RouteRequest) -> tuple[Route, ...]:
        return ()


class _NurseRouter:
    """Routes like the catalogue, and adds a nurse no rule asked for."""

    def route(self, request: RouteRequest) -> tuple[Route, ...]:
        return (*CatalogueRouter().route(request), Route("team_member", "nurse", "planted"))


class _CountingRouter:
    """Routes like the catalogue, but the reason changes on every call."""

    def __init__(self) -> None:
        self._calls = itertools.count()

    def route(self, request: RouteRequest) -> tuple[Route, ...]:
        routes = CatalogueRouter().route(request)
        return tuple(attrs.evolve(r, reason=f"{r.reason}#{next(self._calls)}") for r in routes)


@attrs.frozen
class _ClockDueYesterday:
    """Policies whose every clock falls due the day before the contact."""

    real: Any

    @property
    def events(self) -> Any:
        return self.real.events

    @property
    def treatment_clocks(self) -> Any:
        return self.real.treatment_clocks

    @property
    def language_rights(self) -> Any:
        return self.real.language_rights

    def compute(self, clock_ids: Sequence[str], **kwargs: Any) -> tuple[Clock, ...]:
        clocks = self.real.compute(clock_ids, **kwargs)
        yesterday = local_date(kwargs["received_at"]) - timedelta(days=1)
        return tuple(attrs.evolve(c, due_date=yesterday) for c in clocks)


@pytest.fixture
def ruleset(tmp_path: Path) -> Any:
    return load_ruleset(write_rules(tmp_path / "rules", acute=SOUND_ACUTE))


@pytest.mark.parametrize(
    ("prop", "router", "message"),
    [
        ("never-raises", _RaisingRouter, "assess raised RuntimeError: router down"),
        ("at-least-one-route", _NoRouteRouter, "the contact got no route at all"),
        ("same-input-same-output", _CountingRouter, "assessing the same contact twice gave"),
        (
            "one-treatment-clock",
            _NurseRouter,
            "routed to nurse .care under the care guarantee. but no treatment clock",
        ),
    ],
)
def test_a_planted_router_fault_is_found(
    ruleset: Any, prop: str, router: type, message: str
) -> None:
    """The engine-level properties fail on the fault a router regression would bring."""
    engine = Engine(ruleset, backend="python", router=router())
    with pytest.raises(PropertyFailed, match=message) as info:
        check_property(engine, _BY_NAME[prop], examples=20)
    assert prop == info.value.name
    assert (
        ruleset.questionnaire.check_codes(
            info.value.contact["concerns"], info.value.contact["answers"]
        )
        == []
    )


def test_a_clock_due_before_the_contact_is_found(ruleset: Any) -> None:
    """A clock falling due the day before the contact breaks no-clock-before-contact."""
    planted = attrs.evolve(ruleset, policies=_ClockDueYesterday(ruleset.policies))
    with pytest.raises(PropertyFailed, match=r"has due_date \S+, before the contact"):
        check_property(
            Engine(planted, backend="python"), _BY_NAME["no-clock-before-contact"], examples=30
        )


def test_a_twin_from_other_files_breaks_same_output(ruleset: Any, tmp_path: Path) -> None:
    """Same files, same digest: a twin built from changed files is caught by its digest."""
    other = write_rules(
        tmp_path / "other", acute=textwrap.dedent(ACUTE).replace("pain_score < 4", "pain_score < 5")
    )
    engine = Engine(ruleset, backend="python")
    twin = Engine.from_directory(other, backend="python")
    with pytest.raises(PropertyFailed, match="the same rules files gave two digests"):
        check_property(engine, _BY_NAME["same-input-same-output"], examples=5, twin=twin)


def test_check_properties_reports_each_property(ruleset: Any) -> None:
    """All properties hold on the test rules; the result names every one of them."""
    results = check_properties(Engine(ruleset, backend="python"), examples=10)
    assert [p.name for p in PROPERTIES] == list(results)
    assert {None} == set(results.values())


# ---------------------------------------------------------------- the strategy itself

ODD_QUESTIONS = """\
concerns:
  - id: other
    label: {fi: Muu, sv: Annat, en: Other}
questions:
  - id: dose
    type: number
    min: 0.25
    max: 0.75
    label: {fi: Annos, sv: Dos, en: Dose}
  - id: floor_number
    type: number
    min: 5000
    integer: true
    label: {fi: Kerros, sv: Våning, en: Floor}
  - id: debt
    type: number
    max: -2000
    label: {fi: Velka, sv: Skuld, en: Debt}
  - id: impossible_whole
    type: number
    min: 0.2
    max: 0.8
    integer: true
    label: {fi: Ei kokonaislukua, sv: Inget heltal, en: No whole number}
"""

OTHER_RULES = """\
rules:
  - id: other.any
    when: "'other' in concerns"
    services: [service_coordinator]
"""


def test_first_contacts_are_valid_for_odd_number_bounds(tmp_path: Path) -> None:
    """Bounds that are fractions, one-sided or far from zero still give valid contacts."""
    rules = write_rules(tmp_path / "odd", questionnaire=ODD_QUESTIONS, acute=OTHER_RULES, home=None)
    engine = Engine.from_directory(rules, backend="python")
    answered: set[str] = set()

    @settings(max_examples=150, deadline=None, database=None, derandomize=True)
    @given(first_contacts(engine.ruleset.questionnaire))
    def valid(contact: dict[str, Any]) -> None:
        engine.validate(contact)  # raises ContactError when the strategy is wrong
        answered.update(contact["answers"])

    valid()
    assert {"dose", "floor_number", "debt"} == answered
