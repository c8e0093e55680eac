"""What an assessment proposes to a professional (oneContact.suggestions)."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest

from oneContact import Engine, Route, bundled_rules_directory, parse_contact
from oneContact.routing.catalogue_router import FALLBACK_REASON
from oneContact.suggestions import OVERRIDE_REASONS, Feedback, suggestion_id, suggestions_of

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "contact.json"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_directory(bundled_rules_directory(), backend="python")


def test_urgency_first_then_one_per_route_with_the_rules_that_made_them(engine: Engine) -> None:
    assessment = engine.assess(parse_contact(json.loads(EXAMPLE.read_text("utf-8"))))
    found = suggestions_of(assessment)
    assert found[0].kind == "urgency"
    assert found[0].value == assessment.urgency
    # The urgency's rules are exactly the fired rules that set that level.
    assert found[0].rules == tuple(
        f.rule for f in assessment.fired if f.urgency == assessment.urgency
    )
    assert found[0].rules  # the example's urgency comes from its rules, not a default
    assert [s.value for s in found[1:]] == list(dict.fromkeys(r.service for r in assessment.routes))
    for suggestion, route in zip(found[1:], assessment.routes, strict=False):
        assert suggestion.rules == (route.reason,)
    assert len({s.id for s in found}) == len(found)


def test_ids_are_stable_per_contact_and_suggestion(engine: Engine) -> None:
    contact = json.loads(EXAMPLE.read_text("utf-8"))
    first = suggestions_of(engine.assess(parse_contact(contact)))
    again = suggestions_of(engine.assess(parse_contact(contact)))
    assert [s.id for s in first] == [s.id for s in again]
    other = suggestions_of(engine.assess(parse_contact({**contact, "contact_id": "other-1"})))
    assert not {s.id for s in first} & {s.id for s in other}
    assert first[1].id == suggestion_id(
        contact["contact_id"], f"route:{first[1].value}", engine.digest
    )


def test_a_fallback_route_names_no_rule(engine: Engine) -> None:
    assessment = engine.assess(parse_contact(json.loads(EXAMPLE.read_text("utf-8"))))
    fallback = Route("team_member", "service_coordinator", FALLBACK_REASON)
    found = suggestions_of(attrs.evolve(assessment, routes=(fallback,)))
    assert [(s.kind, s.value, s.rules) for s in found[1:]] == [("route", "service_coordinator", ())]


def test_every_override_reason_is_coded_and_translated() -> None:
    for code, label in OVERRIDE_REASONS.items():
        assert code.isidentifier()
        assert code.islower()
        assert label.complete
    feedback = Feedback("x", "overridden", at=None, event_id="e-1", reason="client_choice")  # type: ignore[arg-type]
    assert feedback.event == "suggestion_overridden"


def test_the_rules_of_another_version_never_share_an_id(engine: Engine) -> None:
    """An answer to a suggestion is an answer to the rules that made it: the same contact
    assessed under other rules (another digest) proposes under other ids."""
    assessment = engine.assess(parse_contact(json.loads(EXAMPLE.read_text("utf-8"))))
    other = attrs.evolve(assessment, ruleset_digest="0" * 64)
    assert not {s.id for s in suggestions_of(assessment)} & {s.id for s in suggestions_of(other)}
