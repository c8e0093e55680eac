"""The routing stage as the engine runs it: one router, and what the router is given.

The engine builds one :class:`RoutingStage` (:meth:`RoutingStage.choose`: the router it
was given, a :class:`~oneContact.routing.DirectoryRouter` for a directory, checked
against the catalogue, or the :class:`~oneContact.routing.CatalogueRouter`) and asks it
for the routes of each assessment. A router that books slots
(:class:`~oneContact.routing.SlotBookingRouter`) is given the booking due date, counted
from provisional clocks kept in a bounded memo, and its warnings are kept; any other
router is asked ``route(request)`` alone. The engine never asks which router it holds.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import datetime

import attrs

from .._memo import BoundedMemo
from ..clocks import Clock, ClockSubject, Policies
from ..errors import RuleError
from ..ruleset import Catalogue
from .catalogue_router import CatalogueRouter
from .directory import Directory
from .directory_router import DirectoryRouter
from .due_date import PROVISIONAL_CLOCKS_KEPT, booking_clocks, booking_due_date
from .model import DirectorySource
from .protocol import Router, SlotBookingRouter
from .values import Route, RouteRequest

__all__ = ["RoutingStage"]


@attrs.frozen(eq=False)
class RoutingStage:
    """One engine's router and what it gives the router. Thread-safe; its only state is
    the bounded memo of provisional clocks."""

    router: Router
    policies: Policies
    _booking: SlotBookingRouter | None = None
    _memo: BoundedMemo[Hashable, tuple[Clock, ...]] = attrs.field(
        factory=lambda: BoundedMemo(PROVISIONAL_CLOCKS_KEPT)
    )

    @classmethod
    def choose(
        cls,
        catalogue: Catalogue,
        policies: Policies,
        *,
        router: Router | None = None,
        directory: DirectorySource | None = None,
    ) -> RoutingStage:
        """The stage for an engine given *router* or *directory* (not both; neither: the
        catalogue router). A loaded :class:`Directory` is checked against *catalogue*
        (``RuleError`` for roles it does not know) and brings its own remedy."""
        chosen: Router
        if directory is None:
            chosen = router if router is not None else CatalogueRouter()
        elif router is not None:
            raise ValueError("give either router= or directory=, not both")
        elif isinstance(directory, Directory):
            problems = directory.check(catalogue)
            if problems:
                raise RuleError(problems)
            chosen = DirectoryRouter(directory, remedy=directory.remedy)
        else:
            chosen = DirectoryRouter(directory)
        booking = chosen if isinstance(chosen, SlotBookingRouter) else None
        return cls(chosen, policies, booking)

    def route(
        self,
        request: RouteRequest,
        *,
        subject: ClockSubject,
        others: Mapping[str, tuple[str, ClockSubject]],
        events: Mapping[str, datetime] | None,
    ) -> tuple[tuple[Route, ...], tuple[str, ...]]:
        """The routes of *request* and the router's warnings.

        A slot-booking router gets *request* with the booking due date: counted from the
        request's clocks, with a care clock that waits for the need assessment started at
        this contact unless *events* give ``need_assessed`` (*subject* and *others*: whose
        rights the clocks follow, as for ``Policies.compute``).
        """
        booking = self._booking
        if booking is None:
            return self.router.route(request), ()
        contact = request.contact
        due, basis = booking_due_date(
            request.urgency,
            contact.received_at,
            booking_clocks(
                request.clocks,
                subject=subject,
                others=others,
                contact=contact,
                events=events,
                policies=self.policies,
                memo=self._memo,
            ),
        )
        return booking.route_with_warnings(attrs.evolve(request, due_date=due, due_basis=basis))
