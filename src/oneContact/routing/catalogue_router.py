"""The catalogue router: routes by the catalogue's service kinds, no directory.

It turns each service the fired rules name into a route of the service's catalogue kind
and applies the rules any router must keep:

* a client who cannot use digital services gets no ``digital_channel`` route, and
  neither does an emergency: nothing may stand between the client and 112;
* a client whose urgency is ``urgent`` or ``emergency`` never gets digital routes only;
* every contact gets at least one route ("one contact is enough"): when none is left,
  the catalogue's ``fallback_service`` is added;
* when the urgency is ``emergency``, emergency routes come first.

The directory router starts from its result, so these rules hold with a directory too.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import attrs

from ..ruleset import URGENT_OR_MORE
from .values import Route, RouteRequest, ServiceRequest

__all__ = ["FALLBACK_REASON", "CatalogueRouter"]

#: The ``reason`` of a route added because no other usable route was left.
FALLBACK_REASON = "default:fallback_service"
#: Routes kept in the bounded memo of plain routes (rule data only, so few distinct).
_ROUTE_MEMO_SIZE = 16_384


@attrs.frozen
class CatalogueRouter:
    """Routes by the catalogue's service kinds; no directory of people or slots."""

    def route(self, request: RouteRequest) -> tuple[Route, ...]:
        """Ranked routes for *request* (see the module docstring for the guarantees)."""
        catalogue = request.catalogue
        offered = catalogue.services
        urgency = request.urgency
        emergency = urgency == "emergency"
        # Nothing digital for a client who cannot use it, nor in an emergency.
        no_digital = emergency or not request.contact.client.can_use_digital_services
        routes: list[Route] = []
        dropped: ServiceRequest | None = None  # the first service left out
        for wanted in request.services:
            kind = offered[wanted.service].kind
            if kind == "digital_channel" and no_digital:
                if dropped is None:
                    dropped = wanted
                continue
            routes.append(_route_memo(kind, wanted.service, wanted.reason))
        if emergency:
            routes.sort(key=_not_emergency)
        if not routes or (
            urgency in URGENT_OR_MORE and all(r.kind == "digital_channel" for r in routes)
        ):
            fallback = catalogue.fallback_service
            reason = FALLBACK_REASON if dropped is None else dropped.reason
            routes.append(Route(offered[fallback].kind, fallback, reason))
        return _unique(routes)


def _not_emergency(route: Route) -> bool:
    return route.kind != "emergency"


@functools.lru_cache(maxsize=_ROUTE_MEMO_SIZE)
def _route_memo(kind: str, service: str, reason: str) -> Route:
    """A bounded memo of plain routes: they are frozen values made of rule data only,
    so they are shared instead of rebuilt."""
    return Route(kind, service, reason)


def _unique(routes: Sequence[Route]) -> tuple[Route, ...]:
    seen: set[str] = set()
    out: list[Route] = []
    for route in routes:
        if route.service not in seen:
            seen.add(route.service)
            out.append(route)
    return tuple(out)
