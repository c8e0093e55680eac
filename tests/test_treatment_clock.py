"""One wait, one treatment clock (Terveydenhuoltolaki 1326/2010 § 51, § 51 a-b).

A treatment clock (``treatment: true``: care, planned_care, oral_care, therapy_guarantee)
counts the wait from the need assessment to the treatment. An emergency starts none, an
assessment starts at most one, and a non-urgent contact routed to care under the care
guarantee always starts one: the rules' own, else the catalogue's default for that care.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oneContact import Engine, RuleError
from oneContact.engine import one_treatment_clock
from oneContact.routing import ServiceRequest
from oneContact.ruleset import load_ruleset

from .conftest import CATALOGUE, write_rules

MakeContact = Callable[..., dict[str, Any]]

# The test catalogue with a dentist (oral care) and the catalogue's default treatment clock.
WITH_DEFAULT = CATALOGUE + (
    "  - id: dentist\n"
    "    kind: team_member\n"
    "    treatment_clock: oral_care\n"
    "    name: {fi: hammaslääkäri, sv: tandläkare, en: dentist}\n"
)

# A follow-up that names planned_care, and plain routes that name no clock at all.
ROUTES = """\
rules:
  - id: route.follow-up
    when: "'acute_symptom' in concerns and symptom_duration == 'weeks'"
    urgency: non_urgent
    services: [nurse]
    clocks: [planned_care]
    priority: 10
  - id: route.nurse
    when: "'home_care' in concerns and lives_alone"
    urgency: non_urgent
    services: [nurse]
  - id: route.dentist
    when: "'mental_health' in concerns and pain_score >= 5"
    urgency: non_urgent
    services: [dentist]
  - id: route.urgent-nurse
    when: "'mental_health' in concerns and pain_score >= 9"
    urgency: urgent
    services: [nurse]
"""


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    rules = write_rules(tmp_path / "rules", catalogue=WITH_DEFAULT, routes=ROUTES)
    return Engine.from_directory(rules, backend="python")


def _clocks(engine: Engine, contact: dict[str, Any]) -> list[str]:
    return [c.clock for c in engine.assess(contact).clocks]


def test_an_emergency_starts_no_treatment_clock(engine: Engine, make_contact: MakeContact) -> None:
    """Chest pain: 112 now. acute.any still asks for care, but an emergency is no wait for
    non-urgent care; the need assessment clock stays."""
    clocks = _clocks(engine, make_contact(answers={"chest_pain": True}))
    assert ["need_assessment"] == clocks


def test_a_non_urgent_acute_contact_keeps_the_rules_care_clock(
    engine: Engine, make_contact: MakeContact
) -> None:
    """Pain 6 for days: acute.any's need assessment and care, nothing added."""
    clocks = _clocks(engine, make_contact(answers={"pain_score": 6, "symptom_duration": "days"}))
    assert ["need_assessment", "care"] == clocks


def test_two_treatment_clocks_keep_the_first_in_hit_policy_order(
    engine: Engine, make_contact: MakeContact
) -> None:
    """Weeks of symptoms: route.follow-up (non_urgent, planned_care) ranks before acute.any
    (no urgency, care): one wait, counted by planned_care."""
    clocks = _clocks(engine, make_contact(answers={"pain_score": 6, "symptom_duration": "weeks"}))
    assert ["planned_care", "need_assessment"] == clocks


def test_non_urgent_care_without_a_clock_gets_the_default(
    engine: Engine, make_contact: MakeContact
) -> None:
    """A nurse for a home-care client, and no rule names a treatment clock: care."""
    contact = make_contact(concerns=["home_care"], answers={"lives_alone": True})
    assert ["care"] == _clocks(engine, contact)


def test_a_service_of_its_own_clock_gets_that_clock(
    engine: Engine, make_contact: MakeContact
) -> None:
    """The dentist names oral_care: the wait for a dentist is oral care's, not care's."""
    contact = make_contact(concerns=["mental_health"], answers={"pain_score": 5})
    assert ["oral_care"] == _clocks(engine, contact)


def test_urgent_care_gets_no_default(engine: Engine, make_contact: MakeContact) -> None:
    """Pain 9: the nurse the same day is not a wait under the non-urgent care guarantee."""
    contact = make_contact(concerns=["mental_health"], answers={"pain_score": 9})
    assessment = engine.assess(contact)
    assert ("urgent", []) == (assessment.urgency, [c.clock for c in assessment.clocks])


def test_care_outside_the_guarantee_gets_no_default(
    engine: Engine, make_contact: MakeContact
) -> None:
    """home.older routes to the service coordinator (care_guarantee: false): only the
    social-care assessment clock."""
    contact = make_contact(concerns=["home_care"], client={"age": 80})
    assert ["social_need_assessment"] == _clocks(engine, contact)


def test_each_person_has_one_wait(tmp_path: Path) -> None:
    """A parent's own care and the therapy guarantee for their child are two persons'
    waits: both stay. Two treatment clocks for the child: the first stays."""
    ruleset = load_ruleset(write_rules(tmp_path / "rules", catalogue=WITH_DEFAULT))
    catalogue, treatment = ruleset.catalogue, ruleset.policies.treatment_clocks
    nurse = (ServiceRequest("nurse", "r", "non_urgent"),)
    two = {"care": None, "therapy_guarantee": "child", "planned_care": "child"}
    assert {"care": None, "therapy_guarantee": "child"} == one_treatment_clock(
        "non_urgent", two, nurse, catalogue, treatment
    )
    # a wait for the child is a wait: no default care for the client is added
    assert {"therapy_guarantee": "child"} == one_treatment_clock(
        "non_urgent", {"therapy_guarantee": "child"}, nurse, catalogue, treatment
    )


def test_the_rule_is_one_function_of_its_inputs(tmp_path: Path) -> None:
    """one_treatment_clock decides from urgency, clocks and requested services alone."""
    ruleset = load_ruleset(write_rules(tmp_path / "rules", catalogue=WITH_DEFAULT))
    catalogue, treatment = ruleset.catalogue, ruleset.policies.treatment_clocks
    nurse = (ServiceRequest("nurse", "r", "non_urgent"),)
    coordinator = (ServiceRequest("service_coordinator", "r", "non_urgent"),)
    both = {"oral_care": None, "care": None}
    assert {"oral_care": None} == one_treatment_clock(
        "non_urgent", both, nurse, catalogue, treatment
    )
    assert {"x": None} == one_treatment_clock(
        "emergency", {"x": None, **both}, nurse, catalogue, treatment
    )
    assert {"care": None} == one_treatment_clock("non_urgent", {}, nurse, catalogue, treatment)
    assert {} == one_treatment_clock("non_urgent", {}, coordinator, catalogue, treatment)
    assert {} == one_treatment_clock("self_care", {}, nurse, catalogue, treatment)


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        (
            ("  treatment_clock: care\n", "  treatment_clock: cure\n"),
            "bad-treatment-clock",
            "'cure' is not a clock",
        ),
        (
            ("  treatment_clock: care\n", "  treatment_clock: need_assessment\n"),
            "bad-treatment-clock",
            "not marked 'treatment: true'",
        ),
        (
            ("    treatment_clock: oral_care\n", "    care_guarantee: maybe\n"),
            "bad-care-guarantee",
            "care_guarantee is true or false",
        ),
        (
            (
                "    treatment_clock: oral_care\n",
                "    care_guarantee: false\n    treatment_clock: oral_care\n",
            ),
            "bad-care-guarantee",
            "a treatment_clock is for care",
        ),
    ],
)
def test_a_catalogue_mistake_is_refused_at_its_file(
    tmp_path: Path, change: tuple[str, str], code: str, words: str
) -> None:
    """A misspelt clock, a clock that counts no treatment, a care_guarantee that is not a
    yes/no, a clock on a service outside the guarantee: refused, each with its code."""
    catalogue = WITH_DEFAULT.replace(*change)
    assert catalogue != WITH_DEFAULT
    with pytest.raises(RuleError) as info:
        load_ruleset(write_rules(tmp_path / "rules", catalogue=catalogue))
    found = [(p.code, p.path.name) for p in info.value.problems if words in p.message]
    assert [(code, "catalogue.yaml")] == found
