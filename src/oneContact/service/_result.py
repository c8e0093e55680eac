"""What the client reads after sending the form: :func:`result_view`, the assessment as
result.html shows it in plain language.

What happens next comes first, by urgency (112 or päivystys now; a call today; a booked
time or a contact; self-care), then where the client is directed (the catalogue's names
of the services and the directory's names of the units) and the time limits the law
gives them (each clock: what it promises, by which day, on what basis).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from .._messages import kind_name, reading_language, urgency_name
from .._render import person_note
from ..assessment import Assessment
from ..clocks import Clock
from ..routing import Route
from ..ruleset import RuleSet
from ._pages import Texts

__all__ = ["day_text", "result_view"]

_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def day_text(day: date, language: str) -> str:
    """*day* as the client's language writes it: 3.3.2026, or 3 March 2026 in English."""
    if reading_language(language) == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day}.{day.month}.{day.year}"


def _time_text(moment: datetime, language: str, words: Mapping[str, str]) -> str:
    clock = f"{moment:%H:%M}" if language == "en" else f"{moment.hour}.{moment.minute:02d}"
    return words["at_time"].format(day=day_text(moment.date(), language), time=clock)


def _route(
    route: Route, ruleset: RuleSet, lang: str, units: Mapping[str, str], words: Mapping[str, str]
) -> dict[str, Any]:
    found = ruleset.catalogue.services.get(route.service)
    return {
        "service": route.service if found is None else found.name.get(lang),
        "kind": kind_name(route.kind, lang),
        "emergency": route.kind == "emergency",
        "unit": None if route.unit is None else units.get(route.unit, route.unit),
        "when": None if route.slot is None else _time_text(route.slot, lang, words),
        "notice": None if route.language_notice is None else route.language_notice.get(lang),
    }


def _clock(clock: Clock, ruleset: RuleSet, lang: str, words: Mapping[str, str]) -> dict[str, Any]:
    policies = ruleset.policies
    described = policies.description(clock.clock) if clock.clock in policies.clock_ids else None
    later = clock.status == "not_started"
    due = None
    if not later and clock.due_date is not None:
        due = words["by_date"].format(date=day_text(clock.due_date, lang))
    limit = None if later else clock.limit_in(lang)
    target = None
    if clock.target_due_date is not None:
        target = words["target"].format(date=day_text(clock.target_due_date, lang))
    return {
        "what": (clock.clock if described is None else described.get(lang))
        + person_note(clock, ruleset, lang),
        "due": due,
        "limit": None if limit is None else words["limit"].format(limit=limit),
        "no_due_date": not later and clock.due_date is None,
        "later": later,
        "target": target,
        "basis": None if later else clock.basis_in(lang),
    }


def result_view(
    assessment: Assessment,
    ruleset: RuleSet,
    language: str,
    units: Mapping[str, str],
    texts: Texts,
) -> dict[str, Any]:
    """What result.html is rendered with: the urgency and its name, the booked time (a
    route with a slot, if any), the routes and the clocks (open ones first), in
    *language*; *units* names the directory's units by id."""
    lang = reading_language(language)
    words = {key: value[lang] for key, value in texts.items()}
    routes = [_route(r, ruleset, lang, units, words) for r in assessment.routes]
    booked = next((r for r in routes if r["when"] is not None and not r["emergency"]), None)
    clocks = sorted(
        (_clock(c, ruleset, lang, words) for c in assessment.clocks), key=lambda c: c["later"]
    )
    return {
        "contact_id": assessment.contact_id,
        "urgency": assessment.urgency,
        "urgency_name": urgency_name(assessment.urgency, lang),
        "booked": booked,
        "routes": routes,
        "clocks": clocks,
    }
