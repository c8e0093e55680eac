"""An assessment as CDS Hooks 2.0 cards: one card per suggestion, one per clock.

Why one card per suggestion (and not one card holding every route): CDS Hooks lets a
professional accept any of a card's suggestions but override only a card as a whole.
A card per suggestion lets them override one route and keep the others, and the
override names exactly the rules that made that suggestion. The card's ``uuid`` and
its one suggestion's ``uuid`` are both the :class:`~oneContact.suggestions.Suggestion`
id, so that feedback on either leads back to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .._messages import kind_name, status_name, text, urgency_name
from .._render import person_note
from ..fhir import service_request
from ..fhir._codes import system
from ..suggestions import OVERRIDE_REASONS, Suggestion, suggestions_of

if TYPE_CHECKING:
    from ..assessment import Assessment
    from ..clocks import Clock
    from ..routing import Route
    from ..ruleset import RuleSet

__all__ = [
    "INDICATORS",
    "SOURCE_LABEL",
    "Indicator",
    "RecordedContact",
    "cards_of",
    "override_reason_system",
    "recorded_cards_of",
    "ruleset_system",
]

Indicator = Literal["info", "warning", "critical"]

#: The card ``indicator`` of each urgency level. CDS Hooks orders ``info < warning <
#: critical`` by how soon the user must act: an emergency is acted on now (critical), an
#: urgent contact the same or the next day (warning); a non-urgent or self-care contact
#: is information for the care-need assessment.
INDICATORS: Mapping[str, Indicator] = {
    "emergency": "critical",
    "urgent": "warning",
    "non_urgent": "info",
    "self_care": "info",
}

#: ``source.label`` of every card.
SOURCE_LABEL = "oneContact"

_SUMMARY_MAX = 139  # CDS Hooks: a summary of fewer than 140 characters
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~])")


def override_reason_system(base_url: str) -> str:
    """The CodeSystem of the override reasons (:data:`OVERRIDE_REASONS`) under *base_url*."""
    return system(base_url, "override-reason")


def ruleset_system(base_url: str) -> str:
    """The CodeSystem whose codes are ruleset digests (a card's ``source.topic``; the
    system the Bundle's RiskAssessment names its ruleset in)."""
    return system(base_url, "ruleset")


def _summary(words: str) -> str:
    return words if len(words) <= _SUMMARY_MAX else words[: _SUMMARY_MAX - 1] + "…"


def _md(words: str) -> str:
    """*words* (a rule author's text) with Markdown's special characters escaped."""
    return _MARKDOWN.sub(r"\\\1", words)


def cards_of(
    assessment: Assessment,
    ruleset: RuleSet,
    *,
    language: str,
    subject: dict[str, Any] | None,
    explain_url: str | None,
    base_url: str,
    clocks: Sequence[Clock] | None = None,
) -> list[dict[str, Any]]:
    """The cards of *assessment*: the urgency, each route (with the action creating its
    ServiceRequest), then each clock (*clocks*, e.g. the ledger's as of now, else the
    assessment's); the texts in *language* (fi, sv or en)."""
    shared = _Shared(
        assessment.contact_id, assessment.ruleset_digest, language, explain_url, base_url
    )
    indicator = INDICATORS[assessment.urgency]
    routes: dict[str, Route] = {}
    for route in assessment.routes:
        routes.setdefault(route.service, route)
    cards: list[dict[str, Any]] = []
    for suggestion in suggestions_of(assessment):
        if suggestion.kind == "urgency":
            summary, detail, option = _urgency(assessment, ruleset, language)
        else:
            summary, detail, option = _route(
                assessment, routes[suggestion.value], ruleset, language, subject, base_url
            )
        cards.append(shared.card(suggestion, summary, detail, indicator, option))
    cards.extend(
        _card_of_clock(clock, ruleset, language, shared.source())
        for clock in (assessment.clocks if clocks is None else clocks)
    )
    return cards


def recorded_cards_of(
    recorded: RecordedContact,
    now_assessed: Assessment,
    ruleset: RuleSet,
    *,
    language: str,
    explain_url: str | None,
    base_url: str,
) -> list[dict[str, Any]]:
    """The cards of a contact the ledger holds with another assessment than
    *now_assessed* (other rules, or other answers): the record stands, so the cards are
    the recorded suggestions (answered with their own ids, which name the rules that made
    them) and the ledger's clocks, after an information card saying so and what the
    current rules propose. A route card has no action: the ledger keeps the route's
    service, not the unit, member and slot a ServiceRequest would carry."""
    digest = recorded.ruleset_digest
    shared = _Shared(recorded.contact_id, digest, language, explain_url, base_url)
    now_named = ", ".join(
        [urgency_name(now_assessed.urgency, language)]
        + [_service_name(r.service, ruleset, language) for r in now_assessed.routes]
    )
    notice = {
        "summary": _summary(text("cds.recorded_summary", language)),
        "indicator": "info",
        "detail": "\n\n".join(
            [
                text(
                    "cds.recorded_detail",
                    language,
                    received=recorded.received_at.isoformat(timespec="minutes"),
                    digest=digest[:12],
                ),
                f"**{text('cds.assessed_now', language, digest=now_assessed.ruleset_digest[:12])}:**"
                f" {_md(now_named)}",
            ]
        ),
        "source": shared.source(),
    }
    cards: list[dict[str, Any]] = [notice]
    urgency = next((s.value for s in recorded.suggestions if s.kind == "urgency"), None)
    indicator = INDICATORS.get(urgency or "", "info")
    for suggestion in recorded.suggestions:
        why = _why(suggestion.rules, ruleset, language)
        if suggestion.kind == "urgency":
            named = urgency_name(suggestion.value, language)
            summary = text("cds.urgency_summary", language, urgency=named)
            option = {"label": text("cds.accept_urgency", language, urgency=named)}
            detail = why
        else:
            named = _service_name(suggestion.value, ruleset, language)
            summary = text("cds.route_summary", language, service=named)
            option = {"label": named}
            detail = f"**{_md(named)}** (`{suggestion.value}`)" + (f"\n\n{why}" if why else "")
        cards.append(shared.card(suggestion, summary, detail, indicator, option))
    cards.extend(
        _card_of_clock(clock, ruleset, language, shared.source()) for clock in recorded.clocks
    )
    return cards


@attrs.frozen
class RecordedContact:
    """What the ledger holds of a contact, for :func:`recorded_cards_of`."""

    contact_id: str
    received_at: datetime
    ruleset_digest: str
    suggestions: tuple[Suggestion, ...]
    clocks: tuple[Clock, ...]


@attrs.frozen
class _Shared:
    """The parts every card of one contact shares: its source, the override reasons and
    the link to the explanation (copied into each card, so that a host changing one card
    changes no other)."""

    contact_id: str
    digest: str
    language: str
    explain_url: str | None
    base_url: str

    def source(self) -> dict[str, Any]:
        topic = {
            "system": ruleset_system(self.base_url),
            "code": self.digest,
            "display": text("cds.rules", self.language, digest=self.digest[:12]),
        }
        return {"label": SOURCE_LABEL, "topic": topic}

    def card(
        self,
        suggestion: Suggestion,
        summary: str,
        detail: str,
        indicator: Indicator,
        option: dict[str, Any],
    ) -> dict[str, Any]:
        card = _card(suggestion, summary, detail, indicator, self.source(), option)
        card["overrideReasons"] = [
            {
                "system": override_reason_system(self.base_url),
                "code": code,
                "display": name.get(self.language),
            }
            for code, name in OVERRIDE_REASONS.items()
        ]
        if self.explain_url is not None:
            card["links"] = [
                {
                    "label": text("cds.explain", self.language),
                    "url": self.explain_url.replace("{contact_id}", self.contact_id),
                    "type": "absolute",
                }
            ]
        return card


def _service_name(service: str, ruleset: RuleSet, language: str) -> str:
    found = ruleset.catalogue.services.get(service)
    return found.name.get(language) if found is not None else service


def _why(rules: Sequence[str], ruleset: RuleSet, language: str) -> str:
    """The Markdown list of *rules* with the rule authors' descriptions (a rule the
    current rules no longer hold is named by its id alone)."""
    if not rules:
        return ""
    descriptions = {rule.id: rule.description for rule in ruleset.rules}
    why = [f"**{text('why', language)}:**"]
    for rule in rules:
        said = descriptions.get(rule)
        why.append(f"- `{rule}`" + (f" — {_md(said.get(language))}" if said else ""))
    return "\n".join(why)


def _copy(value: Any) -> Any:
    """A fresh copy of a JSON value, so that a host changing one card changes no other."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _card(
    suggestion: Suggestion,
    summary: str,
    detail: str,
    indicator: Indicator,
    source: dict[str, Any],
    option: dict[str, Any],
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": suggestion.id,
        "summary": _summary(summary),
        "indicator": indicator,
        "source": source,
        "suggestions": [{"uuid": suggestion.id, "isRecommended": True, **option}],
        "selectionBehavior": "at-most-one",
    }
    if detail:
        card["detail"] = detail
    return card


def _urgency(
    assessment: Assessment, ruleset: RuleSet, language: str
) -> tuple[str, str, dict[str, Any]]:
    urgency = urgency_name(assessment.urgency, language)
    needs = ruleset.catalogue.needs
    lines = []
    if assessment.needs:
        named = [_md(needs[n].get(language)) if n in needs else f"`{n}`" for n in assessment.needs]
        lines.append(f"**{text('needs', language)}:** {', '.join(named)}")
    if assessment.fired:
        lines.append(_why([fired.rule for fired in assessment.fired], ruleset, language))
    lines.extend(f"**{text('warning', language)}:** `{w}`" for w in assessment.warnings)
    option = {"label": text("cds.accept_urgency", language, urgency=urgency)}
    return text("cds.urgency_summary", language, urgency=urgency), "\n\n".join(lines), option


def _route(
    assessment: Assessment,
    route: Route,
    ruleset: RuleSet,
    language: str,
    subject: dict[str, Any] | None,
    base_url: str,
) -> tuple[str, str, dict[str, Any]]:
    name = _service_name(route.service, ruleset, language)
    lines = [f"**{_md(name)}** (`{route.service}`, {kind_name(route.kind, language)})"]
    parts = [
        text("route.member", language, id=f"`{route.member}`") if route.member else None,
        text("route.unit", language, id=f"`{route.unit}`") if route.unit else None,
        text("route.slot", language, at=route.slot.isoformat()) if route.slot else None,
        text("due", language, date=route.due_date.isoformat()) if route.due_date else None,
        f"**{text('route.at_risk', language)}**" if route.guarantee_at_risk else None,
    ]
    shown = " · ".join(part for part in parts if part)
    if shown:
        lines.append(shown)
    if route.language_notice is not None:
        lines.append(_md(route.language_notice.get(language)))
    lines.append(f"{text('cds.asked_by', language)}: `{route.reason}`")
    resource = service_request(
        assessment, route, ruleset, language=language, subject=subject, base_url=base_url
    )
    option = {
        "label": name,
        "actions": [
            {
                "type": "create",
                "description": text("cds.create_request", language, service=name),
                "resource": resource,
            }
        ],
    }
    return text("cds.route_summary", language, service=name), "\n\n".join(lines), option


def _card_of_clock(
    clock: Clock, ruleset: RuleSet, language: str, source: dict[str, Any]
) -> dict[str, Any]:
    """An information card: no uuid (nothing to accept or override: the law sets it)."""
    if clock.status == "not_started":
        when = text("not_started_at", language, event=clock.starts_on)
    elif clock.due_date is None:
        when = text("no_due_date", language)
    else:
        when = text("due", language, date=clock.due_date.isoformat())
    policies = ruleset.policies
    described = policies.description(clock.clock) if clock.clock in policies.clock_ids else None
    lines = [f"`{clock.clock}`"]
    facts = [
        f"{text('status', language)}: {status_name(clock.status, language)}",
        None
        if clock.limit_in(language) is None
        else f"{text('limit', language)}: {clock.limit_in(language)}",
        None
        if clock.target_due_date is None
        else text("target", language, date=clock.target_due_date.isoformat()),
    ]
    lines.append(" · ".join(f for f in facts if f))
    if clock.status != "not_started":
        lines.append(f"**{text('legal_basis', language)}:** {_md(clock.basis_in(language))}")
    named = clock.clock if described is None else described.get(language).rstrip(".")
    return {
        "summary": _summary(f"{named}{person_note(clock, ruleset, language)}: {when}"),
        "indicator": "info",
        "detail": "\n\n".join(lines),
        "source": source,
    }
