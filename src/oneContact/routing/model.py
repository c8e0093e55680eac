"""The directory model: units, members, and the protocols a host's directory implements.

A directory says who works where, speaks what, and when they have free time. These are
its values (:class:`Unit`, :class:`Member`) and the two protocols a region's own
scheduling system plugs in through: :class:`DirectorySource` (what a router reads of a
directory) and :class:`SlotProvider` (a booking system's first free slot). The built-in
directory is :class:`~oneContact.routing.Directory`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import attrs

__all__ = [
    "REMEDIES",
    "ROLE_KINDS",
    "UNIT_KINDS",
    "DirectorySource",
    "Member",
    "SlotProvider",
    "Unit",
]

#: Kinds of unit a directory knows, and the sector each belongs to.
UNIT_KINDS: Mapping[str, str] = {
    "health_station": "health",
    "social_services": "social",
    "family_centre": "family",
    "digital_centre": "digital",
}
#: Catalogue kinds whose services are roles that members can hold.
ROLE_KINDS = ("team_member", "family_centre")
#: What a region may offer when the care guarantee cannot be met (a directory's ``remedy``).
REMEDIES = ("service_voucher", "purchased_service")


@attrs.frozen
class Unit:
    """A place (or the digital centre) where members work."""

    id: str
    kind: str
    municipality: str | None
    languages: frozenset[str]
    channels: tuple[str, ...] = ()
    """The digital channels a digital centre serves (catalogue ``digital_channel`` ids)."""


@attrs.frozen
class Member:
    """A team member, by a pseudonymous id: role (a catalogue service id), unit, languages."""

    id: str
    role: str
    unit: str
    languages: frozenset[str]


class SlotProvider(Protocol):
    """A host's booking system: the first free slot of *member* in ``[after, until)``."""

    def __call__(self, member: str, after: datetime, until: datetime | None) -> datetime | None: ...


class DirectorySource(Protocol):
    """What a router reads of a directory. Implement it to plug in a scheduling system.

    Every method may raise (a booking system that is down): the router then routes by
    role only and the assessment carries a warning; an assessment never fails for it.
    """

    def units(self) -> Mapping[str, Unit]:
        """Every unit by id."""
        ...

    def members(self, role: str) -> Sequence[Member]:
        """The members who hold *role* (a catalogue service id)."""
        ...

    def member(self, member_id: str) -> Member | None:
        """The member with this id, or None."""
        ...

    def neighbours(self, municipality: str) -> Collection[str]:
        """The municipalities next to *municipality*."""
        ...

    def first_free_slot(
        self, member_id: str, after: datetime, until: datetime | None
    ) -> datetime | None:
        """The start of the member's earliest free slot at or after *after*, before *until*."""
        ...
