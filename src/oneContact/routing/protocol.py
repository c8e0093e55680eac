"""The router protocols: what the engine asks of a router.

:class:`Router` is all a host's router needs: ``route(request)``. A router that books
slots (the :class:`~oneContact.routing.DirectoryRouter`, or a host's own) also
implements :class:`SlotBookingRouter`: the engine then gives it the day a booked slot
must meet (``RouteRequest.due_date``) and keeps the warnings it returns on the
assessment. The engine asks nothing else, and never which class a router is.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .values import Route, RouteRequest

__all__ = ["Router", "SlotBookingRouter"]


class Router(Protocol):
    """Turns a route request into ranked routes. Must not raise for a valid request."""

    def route(self, request: RouteRequest) -> tuple[Route, ...]:
        """Ranked routes for *request*."""
        ...


@runtime_checkable
class SlotBookingRouter(Router, Protocol):
    """A router that books slots against the care guarantee's due date.

    The engine sets ``RouteRequest.due_date`` and ``due_basis`` before it asks (see
    :func:`~oneContact.routing.booking_due_date`) and calls :meth:`route_with_warnings`
    instead of :meth:`route`.
    """

    def route_with_warnings(
        self, request: RouteRequest
    ) -> tuple[tuple[Route, ...], tuple[str, ...]]:
        """Ranked routes for *request* and warnings (codes and ids only, no client text)."""
        ...
