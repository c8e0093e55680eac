"""What an assessment proposes to a professional, and what the professional said back.

The need assessment is a professional's; the rules only propose. :func:`suggestions_of`
lists the proposals of one assessment — its urgency and each route — as
:class:`Suggestion` values, each with a stable id and the ids of the rules that made it.
A professional accepts or overrides a suggestion (:class:`Feedback`, with a coded
:data:`OVERRIDE_REASONS` entry, never free text); the ledger records it
(``Ledger.record_feedback``) and reports override rates per rule
(``Ledger.overrides``), so that a rule author learns which rule professionals disagree
with. CDS Hooks cards carry the same ids (``oneContact.cds_hooks``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Literal

import attrs

from ._text import Label
from .assessment import Assessment

__all__ = [
    "OVERRIDE_REASONS",
    "SUGGESTION_EVENTS",
    "Feedback",
    "Outcome",
    "Suggestion",
    "SuggestionKind",
    "suggestion_id",
    "suggestions_of",
]

SuggestionKind = Literal["urgency", "route"]
Outcome = Literal["accepted", "overridden"]

#: The ledger event each feedback outcome is recorded as.
SUGGESTION_EVENTS: Mapping[Outcome, str] = MappingProxyType(
    {"accepted": "suggestion_accepted", "overridden": "suggestion_overridden"}
)

#: Why a professional overrode a suggestion: coded, so that the reasons can be counted
#: and no free text is ever stored. The code is what ``Feedback.reason`` holds and what
#: a CDS Hooks card offers as its ``overrideReasons`` (its label, in the card's language,
#: as the display).
OVERRIDE_REASONS: Mapping[str, Label] = MappingProxyType(
    {
        "clinical_judgement": Label(
            "Ammattilaisen arvio on toinen",
            "Yrkespersonens bedömning är en annan",
            "The professional's assessment differs",
        ),
        "information_not_in_contact": Label(
            "Tieto, jota yhteydenotossa ei ollut",
            "Uppgifter som inte fanns i kontakten",
            "Information the contact did not hold",
        ),
        "client_choice": Label(
            "Asiakkaan oma valinta", "Klientens eget val", "The client's own choice"
        ),
        "service_unavailable": Label(
            "Palvelu ei ole käytettävissä",
            "Tjänsten är inte tillgänglig",
            "The service is not available",
        ),
        "already_in_care": Label(
            "Asiakas on jo hoidossa tai palvelussa",
            "Klienten har redan vård eller service",
            "The client is already in care or service",
        ),
        "rule_seems_wrong": Label(
            "Sääntö vaikuttaa virheelliseltä", "Regeln verkar felaktig", "The rule seems wrong"
        ),
    }
)

# The namespace of suggestion ids (a fixed random UUID: ids are uuid5 of the contact id,
# the ruleset digest and the suggestion within it, so the same assessment always gives
# the same ids, and the rules of another version never share one).
_NAMESPACE = uuid.UUID("5f0c6a52-9d1e-4a55-8a57-3f1f0d1c6b21")


def suggestion_id(contact_id: str, key: str, ruleset_digest: str) -> str:
    """The stable id (a UUID) of the suggestion *key* (e.g. ``urgency:urgent``,
    ``route:physician_visit``) of contact *contact_id* under the rules of
    *ruleset_digest*: an answer to it is an answer to exactly the rules that made it."""
    return str(uuid.uuid5(_NAMESPACE, f"{contact_id}\x00{ruleset_digest}\x00{key}"))


@attrs.frozen
class Suggestion:
    """One proposal of an assessment to the professional."""

    id: str
    """A UUID, stable for the contact, the rules and the proposal (:func:`suggestion_id`)."""
    contact_id: str
    kind: SuggestionKind
    value: str
    """The urgency level, or the route's service id."""
    rules: tuple[str, ...]
    """The ids of the rules that made it: for the urgency, the fired rules that set that
    level; for a route, the rule that asked for its service. Empty for a default (the
    catalogue's default urgency, a fallback route)."""

    @property
    def key(self) -> str:
        """``kind:value``, e.g. ``route:physician_visit``: unique within the contact."""
        return f"{self.kind}:{self.value}"


def suggestions_of(assessment: Assessment) -> tuple[Suggestion, ...]:
    """The suggestions of *assessment*: its urgency first, then one per route, in route
    order (a service routed twice is suggested once)."""
    fired = {f.rule for f in assessment.fired}
    urgency_rules = tuple(f.rule for f in assessment.fired if f.urgency == assessment.urgency)
    cid = assessment.contact_id
    out = [
        Suggestion(
            suggestion_id(cid, f"urgency:{assessment.urgency}", assessment.ruleset_digest),
            cid,
            "urgency",
            assessment.urgency,
            urgency_rules,
        )
    ]
    seen: set[str] = set()
    for route in assessment.routes:
        if route.service in seen:
            continue
        seen.add(route.service)
        rules = (route.reason,) if route.reason in fired else ()
        out.append(
            Suggestion(
                suggestion_id(cid, f"route:{route.service}", assessment.ruleset_digest),
                cid,
                "route",
                route.service,
                rules,
            )
        )
    return tuple(out)


@attrs.frozen
class Feedback:
    """A professional's answer to one suggestion: what ``Ledger.record_feedback`` takes.

    ``reason`` is a key of :data:`OVERRIDE_REASONS` (None when accepted, or when an
    override gave none); never the professional's free-text comment.
    """

    suggestion_id: str
    outcome: Outcome
    at: datetime
    event_id: str
    reason: str | None = None

    @property
    def event(self) -> str:
        """The ledger event: ``suggestion_accepted`` or ``suggestion_overridden``."""
        return SUGGESTION_EVENTS[self.outcome]
