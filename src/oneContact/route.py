"""Destinations: from the services the fired rules name to routes a client can use.

This is the seam where capacity, continuity and language plug in later (a directory of
team members and slots). Today the :class:`CatalogueRouter` turns each service into a
route of the service's catalogue kind and applies the rules any router must keep:

* a client who cannot use digital services gets no ``digital_channel`` route, and
  neither does an emergency: nothing may stand between the client and 112;
* a client whose urgency is ``urgent`` or ``emergency`` never gets digital routes only;
* every contact gets at least one route ("one contact is enough"): when none is left,
  the catalogue's ``fallback_service`` is added;
* when the urgency is ``emergency``, emergency routes come first.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

import attrs

from ._text import Label
from .clocks import Clock, local_date
from .intake import FirstContact
from .ruleset import Catalogue, Urgency

__all__ = [
    "FALLBACK_REASON",
    "CatalogueRouter",
    "Route",
    "RouteRequest",
    "Router",
    "ServiceRequest",
    "booking_due_date",
]

#: The ``reason`` of a route added because no other usable route was left.
FALLBACK_REASON = "default:fallback_service"


@attrs.frozen
class Route:
    """One destination for the client.

    A router with a directory (:class:`~oneContact.directory.DirectoryRouter`) also names
    the team member, unit and slot, the due date the slot must meet, whether the care
    guarantee is at risk, the shared case of a multidisciplinary team, the ranking
    steps it applied (``explanation``), and whether the client's right to service in their
    language is not met (``language_right_unmet``, with ``language_notice``, the same
    words in Finnish, Swedish and English); the catalogue router leaves them empty.
    """

    kind: str
    service: str
    reason: str
    member: str | None = None
    unit: str | None = None
    slot: datetime | None = None
    due_date: date | None = None
    guarantee_at_risk: bool = False
    case: str | None = None
    explanation: tuple[str, ...] = ()
    language_right_unmet: bool = False
    """The client has a right to service in their language (the region's
    ``language_rights``) and this route's member does not speak it."""
    language_notice: Label | None = None
    """Why the right is not met, in fi/sv/en (the explanation holds it in the client's
    language); None when it is met or is no right."""

    def to_json(self) -> dict[str, object]:
        """The route as in the public JSON contract.

        ``kind``, ``service`` and ``reason`` always; the directory's fields only on a
        route a directory router made (one with an ``explanation``).
        """
        data: dict[str, object] = {
            "kind": self.kind,
            "service": self.service,
            "reason": self.reason,
        }
        if self.explanation:
            data.update(
                member=self.member,
                unit=self.unit,
                slot=None if self.slot is None else self.slot.isoformat(),
                due_date=None if self.due_date is None else self.due_date.isoformat(),
                guarantee_at_risk=self.guarantee_at_risk,
                case=self.case,
                explanation=list(self.explanation),
                language_right_unmet=self.language_right_unmet,
                language_notice=None
                if self.language_notice is None
                else {
                    "fi": self.language_notice.fi,
                    "sv": self.language_notice.sv,
                    "en": self.language_notice.en,
                },
            )
        return data


@attrs.frozen
class ServiceRequest:
    """A service a fired rule asks for, in hit-policy order."""

    service: str
    reason: str
    urgency: Urgency | None


@attrs.frozen
class RouteRequest:
    """Everything a router may use to choose destinations."""

    contact: FirstContact
    urgency: Urgency
    services: tuple[ServiceRequest, ...]
    catalogue: Catalogue
    clocks: tuple[Clock, ...] = ()
    """The assessment's care-guarantee clocks (computed before routing)."""
    due_date: date | None = None
    """The day a booked slot must meet (see :func:`booking_due_date`), if any."""
    due_basis: str | None = None
    """Where ``due_date`` comes from: a clock id, or ``urgent`` (the same day)."""
    language_rights: frozenset[str] = frozenset()
    """The languages in which the client has a right to service (the selected region's
    ``language_rights``, :attr:`Policies.language_rights`). When the client's language is
    one of them, a router must honour it or say so; otherwise it is a preference."""


class Router(Protocol):
    """Turns a route request into ranked routes. Must not raise for a valid request."""

    def route(self, request: RouteRequest) -> tuple[Route, ...]:
        """Ranked routes for *request*."""
        ...


@attrs.frozen
class CatalogueRouter:
    """Routes by the catalogue's service kinds; no directory of people or slots."""

    def route(self, request: RouteRequest) -> tuple[Route, ...]:
        """Ranked routes for *request* (see the module docstring for the guarantees)."""
        catalogue = request.catalogue
        digital_ok = request.contact.client.can_use_digital_services
        routes: list[Route] = []
        dropped: list[ServiceRequest] = []
        for wanted in request.services:
            kind = catalogue.services[wanted.service].kind
            if kind == "digital_channel" and (not digital_ok or request.urgency == "emergency"):
                dropped.append(wanted)
                continue
            routes.append(_route(kind, wanted.service, wanted.reason))
        if request.urgency == "emergency":
            routes.sort(key=lambda r: r.kind != "emergency")
        digital_only = all(r.kind == "digital_channel" for r in routes)  # also when empty
        if not routes or (digital_only and request.urgency in ("emergency", "urgent")):
            fallback = catalogue.fallback_service
            reason = dropped[0].reason if dropped else FALLBACK_REASON
            routes.append(Route(catalogue.services[fallback].kind, fallback, reason))
        return _unique(routes)


@functools.lru_cache(maxsize=16_384)
def _route(kind: str, service: str, reason: str) -> Route:
    # Routes are frozen values made of rule data only: share them instead of rebuilding.
    return Route(kind, service, reason)


def _unique(routes: Sequence[Route]) -> tuple[Route, ...]:
    seen: set[str] = set()
    out: list[Route] = []
    for route in routes:
        if route.service not in seen:
            seen.add(route.service)
            out.append(route)
    return tuple(out)


def booking_due_date(
    urgency: Urgency, received_at: datetime, clocks: Sequence[Clock]
) -> tuple[date | None, str | None]:
    """The day a booked slot must meet, and where it comes from.

    ``urgent``: the day of the contact (basis ``"urgent"``). ``emergency``: none (nothing
    is booked). Otherwise the earliest due date of the open clocks that a booked visit
    meets; same-day clocks (the contact answered, the need assessed) are met by whoever
    handles the first contact, not by a booking, so they do not count.
    """
    if urgency == "emergency":
        return None, None
    if urgency == "urgent":
        return local_date(received_at), "urgent"
    best: Clock | None = None
    for clock in clocks:
        if clock.due_date is None or clock.stopped_at is not None:
            continue
        # A same-day limit reads "same day ..." (clocks._Limit.text).
        if (clock.limit or "").startswith("same day"):
            continue
        if best is None or best.due_date is None or clock.due_date < best.due_date:
            best = clock
    return (best.due_date, best.clock) if best is not None else (None, None)
