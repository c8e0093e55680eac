"""Routing (stage 4): from the services the fired rules name to routes a client can use.

Where things are:

- ``values``: :class:`Route`, :class:`RouteRequest`, :class:`ServiceRequest`;
- ``protocol``: :class:`Router` (what a host's router implements) and
  :class:`SlotBookingRouter` (a router that books slots against the due date);
- ``catalogue_router``: :class:`CatalogueRouter` and the guarantees every router keeps;
- ``due_date``: :func:`booking_due_date`, the day a booked slot must meet, and the
  provisional clocks it is counted from;
- ``model``: the directory's values :class:`Unit`, :class:`Member` and the protocols
  :class:`DirectorySource`, :class:`SlotProvider`;
- ``loader``: reading and checking a directory file (problem codes, file:line);
- ``directory``: :class:`Directory`, the built-in directory;
- ``slot_index``: the merged free slots of one role, for fast search;
- ``ranking``: the ranking steps of one request (continuity, language, time and place,
  channel, team, family centre, the care guarantee's remedy);
- ``language``: the words of a language right that is not met, in fi/sv/en;
- ``directory_router``: :class:`DirectoryRouter`;
- ``stage``: :class:`RoutingStage`, the routing stage as the engine runs it.
"""

from .catalogue_router import FALLBACK_REASON, CatalogueRouter
from .directory import Directory
from .directory_router import DirectoryRouter
from .due_date import booking_due_date
from .model import ROLE_KINDS, UNIT_KINDS, DirectorySource, Member, SlotProvider, Unit
from .protocol import Router, SlotBookingRouter
from .ranking import COORDINATOR, REMEDY_REASON, TEAM_REASON, URGENT_CARE, URGENT_REASON
from .stage import RoutingStage
from .values import Route, RouteRequest, ServiceRequest

__all__ = [
    "COORDINATOR",
    "FALLBACK_REASON",
    "REMEDY_REASON",
    "ROLE_KINDS",
    "TEAM_REASON",
    "UNIT_KINDS",
    "URGENT_CARE",
    "URGENT_REASON",
    "CatalogueRouter",
    "Directory",
    "DirectoryRouter",
    "DirectorySource",
    "Member",
    "Route",
    "RouteRequest",
    "Router",
    "RoutingStage",
    "ServiceRequest",
    "SlotBookingRouter",
    "SlotProvider",
    "Unit",
    "booking_due_date",
]
