"""Every service area of the programme documents, end to end on the bundled rules.

One contact a service area the regional "future social and health centre" programmes name
(type 2 diabetes, mental health, substance use, palliative care, families, child welfare,
home care, informal carers, work ability, oral health, social support, disability
services, housing, violence, health checks, speech therapy, couples and separation): it
gets a route to the service the area is about, the clocks the law gives it, and a text
answer a client can read in Finnish, Swedish and English.

The expectations are the law's and the catalogue's (docs/explanation/law-index.md):
Terveydenhuoltolaki 1326/2010 § 51 a (care / planned care), § 51 b (oral care),
Sosiaalihuoltolaki 1301/2014 § 36 (service-need assessment; urgent need; a disabled
person's assessment by the 7th weekday, 677/2023), Vanhuspalvelulaki
980/2012 § 18, Lastensuojelulaki 417/2007 § 26. Contacts: Tue 2.9.2025 10:00.
"""

from __future__ import annotations

from typing import Any

import pytest

from oneContact import Engine

from ..conftest import BUNDLED_RULES

ENGINE = Engine.from_directory(BUNDLED_RULES, backend="python")

# (area, client, concerns, answers, a route it must offer, clocks it must start, clocks
# it must not start)
AREAS: list[tuple[str, dict[str, Any], list[str], dict[str, Any], str, set[str], set[str]]] = [
    # A follow-up keeps 3 months (§ 51 a): planned_care, not the 14-day/3-month care clock.
    (
        "diabetes follow-up",
        {"age": 60},
        ["diabetes_type2"],
        {},
        "diabetes_nurse",
        {"need_assessment", "planned_care"},
        {"care"},
    ),
    # Worsening symptoms are illness: care.
    (
        "diabetes worsening",
        {"age": 60},
        ["diabetes_type2"],
        {"symptoms_worsening": True},
        "diabetes_nurse",
        {"need_assessment", "care"},
        {"planned_care"},
    ),
    (
        "mental health",
        {"age": 40},
        ["mental_health"],
        {},
        "psychologist",
        {"need_assessment", "care"},
        {"therapy_guarantee"},
    ),
    # Terveydenhuoltolaki § 53 (1107/2024): a need for short therapy under 23.
    (
        "therapy guarantee",
        {"age": 19},
        ["mental_health"],
        {"short_therapy_need": True},
        "psychologist",
        {"therapy_guarantee"},
        {"care"},
    ),
    (
        "substance use",
        {"age": 45},
        ["substance_use"],
        {},
        "substance_worker",
        {"social_need_assessment"},
        set(),
    ),
    (
        "palliative care",
        {"age": 82},
        ["palliative"],
        {},
        "palliative_team",
        {"planned_care"},
        {"care"},
    ),
    (
        "family with a baby",
        {"age": 30},
        ["family_support"],
        {"child_age": 0},
        "child_health_clinic",
        set(),
        {"care"},
    ),
    # Lastensuojelulaki § 26: urgency at once, decision by the 7th weekday, 3 months.
    (
        "child welfare",
        {"age": 38},
        ["child_welfare"],
        {},
        "child_welfare",
        {"child_welfare_urgent_assessment", "child_welfare_decision", "child_welfare_assessment"},
        set(),
    ),
    # Sosiaalihuoltolaki § 36: 75 or over, by the 7th weekday; Vanhuspalvelulaki § 18.
    (
        "home care",
        {"age": 84},
        ["home_care"],
        {},
        "service_coordinator",
        {"social_need_assessment", "older_people_services"},
        set(),
    ),
    (
        "informal carer",
        {"age": 55},
        ["informal_carer"],
        {"cared_for_age": 88},
        "informal_care_coordinator",
        {"social_need_assessment", "older_people_services"},
        set(),
    ),
    (
        "work ability, employed",
        {"age": 50},
        ["work_ability"],
        {"employed": True, "sick_leave_days": 35},
        "occupational_health",
        set(),
        set(),
    ),
    # § 51 b: oral care has its own clock.
    (
        "oral health",
        {"age": 35},
        ["oral_health"],
        {"pain_score": 4},
        "dentist",
        {"oral_care"},
        {"care"},
    ),
    (
        "livelihood",
        {"age": 30},
        ["social_support"],
        {"no_money_for_food_or_medicine": True},
        "social_instructor",
        {"social_urgent_assessment"},
        set(),
    ),
    (
        "disability services",
        {"age": 30},
        ["disability_services"],
        {},
        "disability_social_worker",
        {"disability_need_assessment"},
        set(),
    ),
    (
        "homeless tonight",
        {"age": 27},
        ["housing"],
        {"homeless_tonight": True},
        "social_emergency",
        {"social_urgent_assessment"},
        set(),
    ),
    (
        "housing",
        {"age": 27},
        ["housing"],
        {},
        "housing_counselling",
        {"social_need_assessment"},
        set(),
    ),
    ("violence", {"age": 33}, ["violence"], {}, "violence_worker", set(), set()),
    (
        "health check",
        {"age": 45},
        ["health_checks"],
        {},
        "public_health_nurse",
        {"planned_care"},
        {"care"},
    ),
    (
        "speech therapy",
        {"age": 32},
        ["speech_therapy"],
        {"child_age": 4},
        "speech_therapist",
        {"planned_care"},
        {"care"},
    ),
    (
        "separation",
        {"age": 40},
        ["relationship"],
        {"separating": True},
        "separation_counselling",
        set(),
        set(),
    ),
]

# A word of each language's text output that only that language's output has.
HEADINGS = {"fi": "kiireellisyys", "sv": "brådskandegrad", "en": "urgency"}


def _contact(client: dict[str, Any], concerns: list[str], answers: dict[str, Any]) -> dict:
    return {
        "contact_id": "area-1",
        "received_at": "2025-09-02T10:00:00+03:00",
        "channel": "phone",
        "client": client,
        "concerns": concerns,
        "answers": answers,
    }


@pytest.mark.parametrize(
    ("area", "client", "concerns", "answers", "route", "clocks", "absent"),
    AREAS,
    ids=[a[0] for a in AREAS],
)
def test_each_service_area_gets_its_route_its_clocks_and_three_languages(
    area: str,
    client: dict[str, Any],
    concerns: list[str],
    answers: dict[str, Any],
    route: str,
    clocks: set[str],
    absent: set[str],
) -> None:
    assessment = ENGINE.assess(_contact(client, concerns, answers))
    started = {c.clock for c in assessment.clocks}
    assert route in [r.service for r in assessment.routes], area
    assert clocks <= started, f"{area}: missing {sorted(clocks - started)}"
    assert not absent & started, f"{area}: should not start {sorted(absent & started)}"
    texts = {lang: ENGINE.to_text(assessment, language=lang) for lang in HEADINGS}
    for lang, text in texts.items():
        assert HEADINGS[lang] in text, f"{area}: no {lang} heading"
        service = ENGINE.ruleset.catalogue.services[route].name.get(lang)
        assert service in text, f"{area}: the {lang} text does not name {service!r}"
    assert len(set(texts.values())) == 3


def test_a_swedish_client_is_answered_in_swedish_by_default() -> None:
    """The client's own language, not the service's (Kielilaki 423/2003)."""
    assessment = ENGINE.assess(_contact({"age": 84, "language": "sv"}, ["home_care"], {}))
    text = ENGINE.to_text(assessment)
    assert "brådskandegrad" in text
    assert "7 vardagar" in text
