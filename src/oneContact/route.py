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
from typing import Protocol

import attrs

from .intake import FirstContact
from .ruleset import Catalogue, Urgency

__all__ = [
    "FALLBACK_REASON",
    "CatalogueRouter",
    "Route",
    "RouteRequest",
    "Router",
    "ServiceRequest",
]

#: The ``reason`` of a route added because no other usable route was left.
FALLBACK_REASON = "default:fallback_service"


@attrs.frozen
class Route:
    """One destination for the client."""

    kind: str
    service: str
    reason: str

    def to_json(self) -> dict[str, object]:
        """The route as in the public JSON contract."""
        return {"kind": self.kind, "service": self.service, "reason": self.reason}


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
