"""The hit policy: what the rules that fire decide together, in one place.

:class:`Outcome` is what one rule contributes when it fires (prepared once per engine);
:func:`combine` folds the fired rules, in hit-policy order, into the urgency, the needs,
the services and the clocks; :func:`one_treatment_clock` makes the treatment clocks right;
:func:`clock_subject` and :func:`person_subject` are what the care-guarantee policies read
of the client and of a person a clock follows. ``Engine.assess`` and the search for the
next questions (:mod:`oneContact.next_questions`) both ask this module, so they cannot
decide apart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import attrs

from .assessment import FiredRule
from .clocks import ClockSubject
from .intake import FirstContact
from .routing import ServiceRequest
from .ruleset import Catalogue, Person, Rule, Urgency

__all__ = [
    "Outcome",
    "clock_subject",
    "combine",
    "followed",
    "one_treatment_clock",
    "person_subject",
]

_P = TypeVar("_P")
_OLDEST = 150  # the oldest age a ClockSubject holds


@attrs.frozen
class Outcome:
    """What one rule contributes when it fires, prepared when the engine is built."""

    rule: Rule
    urgency: Urgency | None
    fired: FiredRule
    needs: Mapping[str, None]
    services: tuple[ServiceRequest, ...]
    clocks: tuple[tuple[str, str | None], ...]
    """Each clock the rule starts and the person whose right it follows (None: the
    client's)."""

    @classmethod
    def of(cls, rule: Rule) -> Outcome:
        return cls(
            rule=rule,
            urgency=rule.urgency,
            fired=FiredRule(rule.id, rule.file, rule.line, rule.urgency),
            needs=dict.fromkeys(rule.needs),
            services=tuple(ServiceRequest(s, rule.id, rule.urgency) for s in rule.services),
            clocks=tuple((c, rule.clock_for.get(c)) for c in rule.clocks),
        )


def clock_subject(contact: FirstContact) -> ClockSubject:
    client = contact.client
    # By position: age, birth_date, highest_care_allowance, special_support_child.
    return ClockSubject(
        client.age,
        client.birth_date,
        client.highest_care_allowance,
        client.special_support_child,
    )


def person_subject(person: Person, answers: Mapping[str, Any]) -> ClockSubject:
    """What the policies read of *person*: the age from their number question, in whole
    years rounded down (unanswered, or outside 0-150: unknown, so a policy's
    ``otherwise`` variant applies), and each flag true only when its boolean question is
    answered true."""
    value = answers.get(person.age)
    age: int | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        whole = math.floor(value)
        age = whole if 0 <= whole <= _OLDEST else None
    return ClockSubject(
        age=age,
        highest_care_allowance=(
            person.highest_care_allowance is not None
            and answers.get(person.highest_care_allowance) is True
        ),
        special_support_child=(
            person.special_support_child is not None
            and answers.get(person.special_support_child) is True
        ),
    )


def followed(
    clock_ids: Mapping[str, str | None], persons: Mapping[str, Person], answers: Mapping[str, Any]
) -> tuple[dict[str, ClockSubject], dict[str, tuple[str, ClockSubject]]]:
    """Whose right each clock of *clock_ids* follows, for the clocks started for a person:
    each such person's subject (:func:`person_subject`, read once from *answers*), and
    clock id -> (person id, subject) as ``Policies.compute(others=...)`` takes it."""
    subjects: dict[str, ClockSubject] = {}
    others: dict[str, tuple[str, ClockSubject]] = {}
    for clock_id, person in clock_ids.items():
        if person is not None:
            found = subjects.get(person)
            if found is None:
                found = subjects[person] = person_subject(persons[person], answers)
            others[clock_id] = (person, found)
    return subjects, others


def combine(
    fired: Iterable[Outcome], catalogue: Catalogue, treatment: frozenset[str]
) -> tuple[Urgency, dict[str, None], dict[str, ServiceRequest], dict[str, str | None]]:
    """What the fired rules decide together: the urgency, the needs, the services asked
    for (by the first rule asking, in hit-policy order) and the clocks started (each with
    the person whose right it follows; None: the client's), treatment clocks made right
    (:func:`one_treatment_clock`). *fired* must be in hit-policy order.

    The one place the hit policy is applied: ``Engine.assess`` and the search for the
    next questions (:mod:`oneContact.next_questions`) both ask it.
    """
    # Fired outcomes come most urgent first (hit-policy order), so the first urgency
    # set is the most urgent; the default applies only when no fired rule sets one.
    urgency: Urgency | None = None
    needs: dict[str, None] = {}
    services: dict[str, ServiceRequest] = {}
    # Clock id -> whose right it follows. A clock two fired rules start for different
    # persons follows the person of the first rule in hit-policy order.
    clock_ids: dict[str, str | None] = {}
    for outcome in fired:
        if urgency is None:
            urgency = outcome.urgency
        needs.update(outcome.needs)
        for wanted in outcome.services:
            services.setdefault(wanted.service, wanted)
        for clock_id, person in outcome.clocks:
            clock_ids.setdefault(clock_id, person)
    if urgency is None:
        urgency = catalogue.default_urgency
    return (
        urgency,
        needs,
        services,
        one_treatment_clock(urgency, clock_ids, services.values(), catalogue, treatment),
    )


def one_treatment_clock(
    urgency: Urgency,
    clock_ids: Mapping[str, _P | None],
    services: Iterable[ServiceRequest],
    catalogue: Catalogue,
    treatment: frozenset[str],
) -> dict[str, _P | None]:
    """The clocks an assessment starts, with its treatment clocks made right.

    A treatment clock (``treatment: true`` in its policy: ``care``, ``planned_care``,
    ``oral_care``, ``therapy_guarantee``, ...) counts one person's wait for one treatment
    after the need assessment, and a contact is one such wait for each person it concerns:

    - an ``emergency`` starts none: the client goes to 112 or the emergency department now,
      and a non-urgent care clock beside it would only be a false breach;
    - at most one for each person (the client, or a person a clock is started ``for``): the
      first in hit-policy order (most urgent rule, then priority, file, line) of those the
      fired rules start for that person;
    - a ``non_urgent`` assessment that routes to care under the care guarantee (a service
      not marked ``care_guarantee: false``) starts at least one: when no fired rule starts
      one, the ``treatment_clock`` of the first such service in route order (the
      catalogue's default ``care`` unless the service names its own), for the client.

    *clock_ids* maps each clock to the person whose right it follows (None: the client);
    the result keeps that order. The lint finding ``no-treatment-clock`` names the rules
    that rely on the last default.
    """
    if urgency == "emergency":
        return {c: p for c, p in clock_ids.items() if c not in treatment}
    kept: dict[str, _P | None] = {}
    treated: set[_P | None] = set()
    for clock, person in clock_ids.items():
        if clock in treatment:
            if person in treated:
                continue
            treated.add(person)
        kept[clock] = person
    if treated or urgency != "non_urgent":
        return kept
    offered = catalogue.services
    default = next(
        (
            offered[wanted.service].treatment_clock
            for wanted in services
            if offered[wanted.service].care_guarantee
        ),
        None,
    )
    if default is not None:
        kept[default] = None
    return kept
