"""The bundled rules under both evaluators, on generated contacts."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from oneContact import Engine, load_ruleset
from oneContact.testing.strategies import first_contacts

from .conftest import BUNDLED_RULES

RULESET = load_ruleset(BUNDLED_RULES)
PYTHON = Engine(RULESET, backend="python")


@functools.cache
def durable() -> Engine:
    """The bundled rules on the C engine, built on first use: only the tests marked
    ``durable`` use it, and they skip where durable_rules does not import (Python 3.13)."""
    engine = Engine(RULESET, backend="durable")
    assert "durable" == engine.backend
    return engine


@pytest.mark.durable
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contact=first_contacts(RULESET.questionnaire))
def test_both_evaluators_give_the_same_assessment(contact: dict[str, Any]) -> None:
    """durable_rules and generated Python fire the same rules for any valid contact."""
    assert PYTHON.assess(contact).to_json() == durable().assess(contact).to_json()


@settings(max_examples=200, deadline=None)
@given(contact=first_contacts(RULESET.questionnaire))
def test_every_contact_gets_a_route_and_red_flags_are_urgent(contact: dict[str, Any]) -> None:
    """One contact is enough (at least one route); a red flag is never below urgent."""
    a = PYTHON.assess(contact)
    assert a.routes
    red = [q for q in RULESET.questionnaire.red_flags if contact["answers"].get(q) is True]
    if red:
        assert a.urgency in ("emergency", "urgent"), red
    if not contact["client"]["can_use_digital_services"]:
        assert all(r.kind != "digital_channel" for r in a.routes)


@pytest.mark.slow
@pytest.mark.durable
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contact=first_contacts(RULESET.questionnaire))
def test_both_evaluators_agree_soak(contact: dict[str, Any]) -> None:
    """The same agreement, many more contacts (slow suite)."""
    assert PYTHON.assess(contact).to_json() == durable().assess(contact).to_json()
