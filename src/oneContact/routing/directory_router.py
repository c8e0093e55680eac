"""The directory router: routes with a directory of members, units and free slots.

It starts from the catalogue router's routes (so its guarantees hold first), never asks
the directory anything for an emergency, ranks every other route with a
:class:`~oneContact.routing.ranking.Ranking`, and turns a directory that raises or is
empty into routes by role only and a warning: a directory never fails an assessment.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from .catalogue_router import CatalogueRouter
from .model import DirectorySource
from .ranking import Ranking
from .values import Route, RouteRequest, evolve_route

__all__ = ["DirectoryRouter"]

_CATALOGUE_ROUTER = CatalogueRouter()


@attrs.frozen
class DirectoryRouter:
    """Ranks routes with a directory: member, unit and slot for each role, explained.

    The ranking, in order (``docs/explanation/routing.md``): emergency first; the client's
    named professional when free by the due date; a member who speaks the client's
    language (where the region makes it a right, ``RouteRequest.language_rights``: before
    continuity too, and for non-urgent care even past the due date; a route that cannot
    honour it says so in the client's language); the earliest slot by the due date, own
    municipality before a neighbouring one; digital channels only for clients who can use
    them; a coordinator and one shared case when needs span health and social care;
    family-centre members for minors; and the legal remedy when no slot meets the due
    date. The catalogue router's guarantees hold first. A directory that raises or is empty never fails an
    assessment: the routes then name roles only and a warning says why.
    """

    directory: DirectorySource
    remedy: str = "service_voucher"

    def route(self, request: RouteRequest) -> tuple[Route, ...]:
        """Ranked routes for *request*."""
        return self.route_with_warnings(request)[0]

    def route_with_warnings(
        self, request: RouteRequest
    ) -> tuple[tuple[Route, ...], tuple[str, ...]]:
        """Ranked routes for *request* and warnings (codes and ids only, no client text)."""
        base = _CATALOGUE_ROUTER.route(request)
        if request.urgency == "emergency":
            # Nothing may delay an emergency route: the directory is not even asked.
            return tuple(_emergency(r) for r in base), ()
        try:
            units = self.directory.units()
            if not units:
                return _role_only(base, "directory: empty; the route names the role only"), (
                    "directory-empty: the directory has no units; routes name roles only",
                )
            return Ranking(self.directory, self.remedy, request, units).routes(base), ()
        except Exception as exc:
            name = type(exc).__name__
            return _role_only(base, "directory: unavailable; the route names the role only"), (
                f"directory-unavailable: the directory raised {name}; routes name roles only",
            )


def _emergency(route: Route) -> Route:
    if route.kind == "emergency":
        text = "emergency: first, reached directly (112 / päivystys); nothing is booked"
    else:
        text = "emergency: comes after the emergency route; nothing is booked before it"
    return evolve_route(route, explanation=(text,))


def _role_only(routes: Sequence[Route], text: str) -> tuple[Route, ...]:
    return tuple(evolve_route(r, explanation=(text,)) for r in routes)
