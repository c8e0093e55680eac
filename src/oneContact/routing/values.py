"""The values routing takes and gives: the route request, the services asked for, routes.

:class:`RouteRequest` is everything a router may use (the contact, the urgency, the
services the fired rules ask for, the catalogue, the clocks, the booking due date and
the region's language rights); :class:`Route` is one ranked destination, as in the
public JSON contract. All are frozen.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import attrs

from .._text import Label
from ..clocks import Clock
from ..intake import FirstContact
from ..ruleset import Catalogue, Urgency

__all__ = ["Route", "RouteRequest", "ServiceRequest", "evolve_route"]


@attrs.frozen
class Route:
    """One destination for the client.

    A router with a directory (:class:`~oneContact.routing.DirectoryRouter`) also names
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


def evolve_route(route: Route, **changes: Any) -> Route:
    """*route* with *changes* (field name -> value); ``kind``, ``service`` and ``reason``
    stay. A fast ``attrs.evolve``: the directory router builds several routes per
    assessment."""
    fields: dict[str, Any] = {
        "member": route.member,
        "unit": route.unit,
        "slot": route.slot,
        "due_date": route.due_date,
        "guarantee_at_risk": route.guarantee_at_risk,
        "case": route.case,
        "explanation": route.explanation,
        "language_right_unmet": route.language_right_unmet,
        "language_notice": route.language_notice,
    }
    fields.update(changes)
    return Route(route.kind, route.service, route.reason, **fields)


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
    """The day a booked slot must meet (see :func:`~oneContact.routing.booking_due_date`),
    if any. The engine sets it for a router that books slots (:class:`SlotBookingRouter`)."""
    due_basis: str | None = None
    """Where ``due_date`` comes from: a clock id, or ``urgent`` (the same day)."""
    language_rights: frozenset[str] = frozenset()
    """The languages in which the client has a right to service (the selected region's
    ``language_rights``, :attr:`Policies.language_rights`). When the client's language is
    one of them, a router must honour it or say so; otherwise it is a preference."""
