"""The ranking: for one route request, a member, unit and slot for each role, explained.

The steps, in order (``docs/explanation/routing.md``): continuity (the client's named
professional), language (a right or a preference), the earliest slot by the due date
in the nearest place, channel fit, a coordinator and one case for a multidisciplinary
team, family centres for minors, and the legal remedy when no slot meets the due date.
Each step is written into the route's ``explanation``. The directory router
(:mod:`oneContact.routing.directory_router`) runs one :class:`Ranking` per request.

The members a step chooses from are searched through the directory's slot index
(:mod:`oneContact.routing.slot_index`) when it has one, else member by member.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Protocol

from .._text import Label
from ..clocks import HELSINKI, local_date
from .directory import Directory
from .language import right_unmet_notice
from .model import ROLE_KINDS, UNIT_KINDS, DirectorySource, Member, Unit
from .slot_index import FAR, NEAR, SAME, RoleIndex
from .values import Route, RouteRequest, evolve_route

__all__ = [
    "COORDINATOR",
    "REMEDY_REASON",
    "TEAM_REASON",
    "URGENT_CARE",
    "URGENT_REASON",
    "Ranking",
]

#: The role that coordinates a multidisciplinary case (palveluohjaaja).
COORDINATOR = "service_coordinator"
#: ``reason`` of the coordinator route a multidisciplinary case adds.
TEAM_REASON = "default:multidisciplinary_coordinator"
#: ``reason`` of the remedy route added when the care guarantee cannot be met.
REMEDY_REASON = "default:care_guarantee_remedy"
#: Where urgent care goes when no team member is free the same day (päivystys).
URGENT_CARE = "emergency_department"
#: ``reason`` of that route.
URGENT_REASON = "default:urgent_care_same_day"
_MINOR_BELOW = 18
_NO_UNIT = Unit("", "", None, frozenset())
_Found = tuple[Member, datetime, tuple[int, int]]


def _day_text(moment: datetime) -> str:
    """*moment* as a Helsinki ``YYYY-MM-DD HH:MM``."""
    return moment.astimezone(HELSINKI).isoformat(" ", "minutes")[:16]


class Ranking:
    """The ranking of one request (holds what every route of it shares)."""

    def __init__(
        self,
        directory: DirectorySource,
        remedy: str,
        request: RouteRequest,
        units: Mapping[str, Unit],
    ) -> None:
        self.directory = directory
        self.remedy = remedy
        self.request = request
        self.units = units
        contact = request.contact
        client = contact.client
        self.language = client.language
        # A right (the region's language_rights) or a preference: docs/explanation/routing.md.
        self.right = client.language in request.language_rights
        self.digital = client.can_use_digital_services
        self.municipality = contact.municipality
        self.near: tuple[str, ...] = (
            tuple(self.directory.neighbours(contact.municipality)) if contact.municipality else ()
        )
        # The municipality is free text: an explanation names it only when the directory
        # does (a unit's municipality, or one with neighbours), never what was typed.
        listed = self.near or any(u.municipality == self.municipality for u in units.values())
        self.here = self.municipality if listed else "the client's municipality"
        self.minor = client.age_on(local_date(contact.received_at)) < _MINOR_BELOW
        self.after = contact.received_at
        self.due = request.due_date
        self.until = (
            datetime.combine(self.due + timedelta(days=1), time(0), HELSINKI)
            if self.due is not None
            else None
        )
        self.by_due = " by the due date" if self.due is not None else ""
        self.after_ts = self.after.timestamp()
        self.until_ts = self.until.timestamp() if self.until is not None else float("inf")
        basis = request.due_basis
        self.due_text = (
            f"{self.due} ({'urgent: the same day' if basis == 'urgent' else f'clock {basis}'})"
            if self.due is not None
            else "none (no statutory due date)"
        )
        self.named = client.named_professionals
        self.centres: list[Unit] | None = None

    def routes(self, base: Sequence[Route]) -> tuple[Route, ...]:
        out: list[Route] = []
        for route in base:
            if route.kind in ROLE_KINDS:
                out.append(self.place(route))
            elif route.kind == "digital_channel":
                out.append(self.channel(route))
            elif route.kind == "emergency":
                out.append(
                    evolve_route(
                        route, explanation=("emergency: reached directly; nothing is booked",)
                    )
                )
            else:
                out.append(evolve_route(route, explanation=(f"{route.kind}: not booked",)))
        out = self.team(out)
        return tuple(self.guarantee(out))

    # ------------------------------------------------------------ one role

    def klass(self, member: Member) -> tuple[int, int]:
        unit = self.units.get(member.unit)
        kind = unit.kind if unit is not None else ""
        family = 0 if not self.minor or kind == "family_centre" else 1
        if self.municipality is None or unit is None:
            distance = SAME
        elif kind == "digital_centre":
            distance = NEAR  # remote, wherever the centre is
        elif unit.municipality == self.municipality:
            distance = SAME
        elif unit.municipality in self.near:
            distance = NEAR
        else:
            distance = FAR
        return family, distance

    def where(self, member: Member, klass: tuple[int, int]) -> list[str]:
        unit = self.units.get(member.unit)
        steps: list[str] = []
        catalogue = self.request.catalogue.services
        if not self.minor or catalogue[member.role].kind == "family_centre":
            pass
        elif unit is not None and unit.kind == "family_centre":
            steps.append(f"family: a family-centre member ({unit.id}) for a client under 18")
        elif klass[0] == 1:
            steps.append(f"family: no family-centre member is free{self.by_due}")
        if unit is None or self.municipality is None:
            return steps
        if unit.kind == "digital_centre":
            steps.append(f"place: remote visit with the digital centre ({unit.id})")
        elif klass[1] == SAME:
            steps.append(f"place: same municipality ({unit.municipality})")
        elif klass[1] == NEAR:
            steps.append(
                f"place: neighbouring municipality ({unit.municipality}); none free"
                f"{self.by_due} in {self.here}"
            )
        else:
            steps.append(
                f"place: another municipality ({unit.municipality}); nobody nearer to "
                f"{self.here} is free{self.by_due}"
            )
        return steps

    def speaks(self, member: Member, nobody: bool, *, named: bool = False) -> str:
        if self.language in member.languages:
            if self.right:
                return (
                    f"language: speaks the client's language ({self.language}), a right "
                    "of the client in this region"
                )
            return f"language: speaks the client's language ({self.language})"
        offered = "/".join(sorted(member.languages))
        if named:
            return (
                f"language: the named {member.role} does not speak {self.language} "
                f"(speaks {offered}); continuity comes first"
            )
        if nobody:
            return (
                f"language: no {member.role} in the directory speaks {self.language}; "
                f"offered in {offered}"
            )
        return (
            f"language: no {member.role} who speaks {self.language} is free by the due "
            f"date; offered in {offered}"
        )

    def right_unmet(self, member: Member, nobody: bool) -> Label:
        """Why the client's right to service in their language is not met, in fi/sv/en."""
        service = self.request.catalogue.services.get(member.role)
        role = service.name if service is not None else Label(member.role, member.role, "")
        return right_unmet_notice(self.language, role, sorted(member.languages), nobody=nobody)

    def booked(
        self,
        route: Route,
        member: Member,
        slot: datetime,
        steps: list[str],
        *,
        klass: tuple[int, int] | None = None,
        at_risk: bool = False,
        nobody: bool = False,
        named: bool = False,
        late: bool = False,
    ) -> Route:
        notice: Label | None = None
        if self.right and self.language not in member.languages:
            # The right is not met: say so in the client's language (fi/sv/en in JSON).
            notice = self.right_unmet(member, nobody)
            steps.append(notice.get(self.language))
        elif late:
            steps.append(
                f"language: speaks the client's language ({self.language}), a right of the "
                f"client in this region; nobody who does is free by the due date, and the "
                "right comes before an earlier slot in another language"
            )
        else:
            steps.append(self.speaks(member, nobody, named=named))
        if at_risk:
            steps.append(
                f"guarantee: at risk; no {route.service} has a free slot by the due date "
                f"{self.due_text}; the earliest is {_day_text(slot)}"
            )
        else:
            steps.append(f"time: earliest free slot {_day_text(slot)}, due date {self.due_text}")
        steps.extend(self.where(member, klass or self.klass(member)))
        return evolve_route(
            route,
            member=member.id,
            unit=member.unit,
            slot=slot,
            due_date=self.due,
            guarantee_at_risk=at_risk,
            explanation=tuple(steps),
            language_right_unmet=notice is not None,
            language_notice=notice,
        )

    def pools(self, role: str) -> _Pools:
        directory = self.directory
        index = directory.role_index(role) if isinstance(directory, Directory) else None
        if index is not None:
            return _IndexedPools(self, index)
        return _MemberPools(self, role)

    def place(self, route: Route) -> Route:
        role = route.service
        steps: list[str] = []
        if route.kind == "family_centre":
            steps.append(f"family: family-centre service {role} (by age and concern)")
        pools = self.pools(role)
        if pools.remote and not self.digital:
            steps.append(
                "channel: remote members of the digital centre left out; the client cannot "
                "use digital services"
            )
        named = self.named.get(role)
        held: tuple[Member, datetime] | None = None  # a named member set aside for the right
        if named is not None:
            member = self.directory.member(named)
            remote = (
                member is not None
                and self.units.get(member.unit, _NO_UNIT).kind == "digital_centre"
            )
            if member is None or member.role != role or (remote and not self.digital):
                steps.append(f"continuity: lost; named {role} {named} is not in the directory")
            else:
                slot = self.directory.first_free_slot(member.id, self.after, self.until)
                if slot is None:
                    steps.append(
                        f"continuity: lost; named {role} {member.id} has no free slot by the "
                        f"due date {self.due_text}"
                    )
                elif self.right and self.language not in member.languages and pools.exists(True):
                    held = (member, slot)
                    steps.append(
                        f"continuity: set aside; named {role} {member.id} does not speak "
                        f"{self.language}, and service in {self.language} is the client's "
                        "right in this region"
                    )
                else:
                    steps.append(
                        f"continuity: kept; named {role} {member.id} is free by the due date"
                    )
                    nobody = self.right and not pools.exists(True)
                    return self.booked(route, member, slot, steps, named=True, nobody=nobody)
        speakers, others = pools.exists(True), pools.exists(False)
        if not speakers and not others:
            steps.append(f"directory: no member holds the role {role}")
            if self.due is not None:
                steps.append(
                    f"guarantee: at risk; nobody can take the client by the due date {self.due_text}"
                )
            return evolve_route(
                route,
                due_date=self.due,
                guarantee_at_risk=self.due is not None,
                explanation=tuple(steps),
            )
        nobody = not speakers
        found = pools.earliest(True, self.until)
        if found is not None:
            return self.booked(route, found[0], found[1], steps, klass=found[2], nobody=nobody)
        if self.right and speakers and self.due is not None and self.request.urgency != "urgent":
            # A right outranks an earlier slot in another language: the earliest speaker,
            # even past the due date; the care guarantee's remedy then applies.
            found = pools.earliest(True, None)
            if found is not None:
                return self.booked(
                    route, found[0], found[1], steps, klass=found[2], at_risk=True, late=True
                )
        if held is not None:
            steps.append(
                f"continuity: kept; nobody who speaks {self.language} is free, so the named "
                f"{role} {held[0].id} is"
            )
            return self.booked(route, held[0], held[1], steps, nobody=nobody)
        found = pools.earliest(False, self.until)
        if found is not None:
            return self.booked(route, found[0], found[1], steps, klass=found[2], nobody=nobody)
        if self.due is None:
            steps.append(f"time: no {role} has a free slot")
            return evolve_route(route, explanation=tuple(steps))
        found = pools.earliest(True, None) or pools.earliest(False, None)
        if found is not None:
            return self.booked(
                route, found[0], found[1], steps, klass=found[2], at_risk=True, nobody=nobody
            )
        steps.append(f"guarantee: at risk; no {role} has any free slot (due date {self.due_text})")
        return evolve_route(
            route, due_date=self.due, guarantee_at_risk=True, explanation=tuple(steps)
        )

    # ------------------------------------------------------------ channels, team, remedy

    def channel(self, route: Route) -> Route:
        if self.centres is None:
            self.centres = [u for u in self.units.values() if u.kind == "digital_centre"]
        centres = self.centres
        serving = [u for u in centres if route.service in u.channels] or [
            u for u in centres if not u.channels
        ]
        steps = ["channel: digital channel; the client can use digital services"]
        if self.request.urgency == "urgent":
            steps.append("channel: urgent, so never the only route")
        return evolve_route(
            route, unit=serving[0].id if serving else None, explanation=tuple(steps)
        )

    def sector(self, route: Route) -> str | None:
        unit = self.units.get(route.unit) if route.unit is not None else None
        if unit is None:
            members = self.directory.members(route.service)
            unit = self.units.get(members[0].unit) if members else None
        return UNIT_KINDS.get(unit.kind) if unit is not None else None

    def team(self, routes: list[Route]) -> list[Route]:
        roles = [i for i, r in enumerate(routes) if r.kind in ROLE_KINDS]
        sectors = {self.sector(routes[i]) for i in roles}
        if not {"health", "social"} <= sectors:
            return routes
        case = f"{self.request.contact.contact_id}:team"
        coordinator = next((i for i in roles if routes[i].service == COORDINATOR), None)
        if coordinator is None and COORDINATOR in self.request.catalogue.services:
            kind = self.request.catalogue.services[COORDINATOR].kind
            added = self.place(Route(kind, COORDINATOR, TEAM_REASON))
            routes.insert(roles[0], added)
            coordinator = roles[0]
        lead = routes[coordinator].member if coordinator is not None else None
        text = f"team: needs span health and social care; one multidisciplinary case {case}" + (
            f", coordinated by {COORDINATOR} {lead}" if lead else ""
        )
        return [
            evolve_route(r, case=case, explanation=(*r.explanation, text))
            if r.kind in ROLE_KINDS
            else r
            for r in routes
        ]

    def guarantee(self, routes: list[Route]) -> list[Route]:
        at_risk = [r for r in routes if r.guarantee_at_risk and r.due_date is not None]
        catalogue = self.request.catalogue.services
        if not at_risk:
            return routes
        due = min(r.due_date for r in at_risk if r.due_date is not None)
        names = ", ".join(r.service for r in at_risk)
        present = {r.service for r in routes}
        if (
            self.request.urgency == "urgent"
            and URGENT_CARE in catalogue
            and URGENT_CARE not in present
        ):
            # Urgent care cannot wait for a voucher: päivystys takes it today.
            routes = [
                *routes,
                Route(
                    catalogue[URGENT_CARE].kind,
                    URGENT_CARE,
                    URGENT_REASON,
                    due_date=due,
                    explanation=(
                        f"guarantee: urgent, and no same-day slot for {names}; the emergency "
                        f"department (päivystys) takes urgent care on {due}",
                    ),
                ),
            ]
        if self.remedy not in catalogue:
            return routes
        remedy = Route(
            catalogue[self.remedy].kind,
            self.remedy,
            REMEDY_REASON,
            due_date=due,
            guarantee_at_risk=True,
            case=at_risk[0].case,
            explanation=(
                f"guarantee: no free slot by {due} for {names}; by law the region then "
                f"buys the care elsewhere or gives a service voucher ({self.remedy}) "
                f"that the client can use by {due}",
            ),
        )
        return [*[r for r in routes if r.service != self.remedy], remedy]


class _Pools(Protocol):
    """The members of one role a ranking chooses from, split by the client's language."""

    @property
    def remote(self) -> bool:
        """Some members of the role work at a digital centre."""
        ...

    def exists(self, speaks: bool) -> bool:
        """Some member the client may see (does not) speak the client's language."""
        ...

    def earliest(self, speaks: bool, until: datetime | None) -> _Found | None:
        """The earliest free slot before *until* in the nearest class that has one."""
        ...


class _MemberPools:
    """Any DirectorySource: asks each member of the role for its first free slot."""

    def __init__(self, ranking: Ranking, role: str) -> None:
        self.ranking = ranking
        units = ranking.units
        members = ranking.directory.members(role)
        eligible = [
            m
            for m in members
            if ranking.digital or units.get(m.unit, _NO_UNIT).kind != "digital_centre"
        ]
        self.remote = any(units.get(m.unit, _NO_UNIT).kind == "digital_centre" for m in members)
        language = ranking.language
        self.pools = {
            True: [m for m in eligible if language in m.languages],
            False: [m for m in eligible if language not in m.languages],
        }

    def exists(self, speaks: bool) -> bool:
        return bool(self.pools[speaks])

    def earliest(self, speaks: bool, until: datetime | None) -> _Found | None:
        ranking = self.ranking
        classes: dict[tuple[int, int], list[Member]] = {}
        for member in self.pools[speaks]:
            classes.setdefault(ranking.klass(member), []).append(member)
        first = ranking.directory.first_free_slot
        for klass in sorted(classes):
            best: tuple[Member, datetime] | None = None
            for member in classes[klass]:
                slot = first(member.id, ranking.after, until)
                # Equal starts go to the lower member id, as in the built-in index.
                if slot is not None and (best is None or (slot, member.id) < (best[1], best[0].id)):
                    best = (member, slot)
            if best is not None:
                return best[0], best[1], klass
        return None


class _IndexedPools:
    """The built-in Directory: a few binary searches per class instead of one per member."""

    def __init__(self, ranking: Ranking, index: RoleIndex) -> None:
        self.ranking = ranking
        self.index = index
        self.remote = index.remote
        self.sigs = index.split(ranking.language, ranking.digital)

    def exists(self, speaks: bool) -> bool:
        return bool(self.sigs[speaks])

    def earliest(self, speaks: bool, until: datetime | None) -> _Found | None:
        ranking = self.ranking
        if until is ranking.until:
            end = ranking.until_ts
        else:
            end = until.timestamp() if until is not None else float("inf")
        found = self.index.earliest(
            self.sigs[speaks],
            after=ranking.after_ts,
            end=end,
            here=ranking.municipality,
            near=ranking.near,
            digital=ranking.digital,
            minor=ranking.minor,
        )
        if found is None:
            return None
        (start, member_id), klass = found
        member = ranking.directory.member(member_id)
        assert member is not None  # the index is built from the members
        return member, datetime.fromtimestamp(start, HELSINKI), klass
