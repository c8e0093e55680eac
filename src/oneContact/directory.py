"""The directory: who works where, speaks what, and when they have free time.

Deployment data, not rules: a region keeps its units (health stations, family centres,
social services, the digital centre), their team members and the members' free slots in
a directory file (format: ``docs/reference/directory.md``), or plugs in its own
scheduling system through the :class:`DirectorySource` protocol or a slot-provider
callable. :class:`Directory` is the built-in implementation; :meth:`Directory.from_file`
refuses a file with unknown roles or units, members without a unit or overlapping slots,
naming file:line, before any client is routed with it.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol

import attrs

from . import _yaml
from ._bundled import bundled_rules_directory
from ._text import LANGUAGES, Label
from .clocks import HELSINKI, Calendar, local_date
from .errors import RuleError, RuleProblem, did_you_mean
from .route import CatalogueRouter, Route, RouteRequest
from .ruleset import Catalogue, load_catalogue

__all__ = [
    "COORDINATOR",
    "REMEDY_REASON",
    "ROLE_KINDS",
    "TEAM_REASON",
    "UNIT_KINDS",
    "URGENT_CARE",
    "URGENT_REASON",
    "Directory",
    "DirectoryRouter",
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
REMEDIES = ("service_voucher", "purchased_service")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LOCAL_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d$")
_DEFAULT_MINUTES = 30


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


@attrs.frozen(eq=False, repr=False)
class Directory:
    """The built-in directory: units, members and free slots from a file or a mapping.

    Immutable and safe to share between threads. Free slots come from the file (working
    patterns and single slots), or from *slot_provider* when the host gives one.
    """

    region: str | None
    remedy: str
    _municipalities: Mapping[str, frozenset[str]]
    _units: Mapping[str, Unit]
    _members: Mapping[str, Member]
    _by_role: Mapping[str, tuple[Member, ...]]
    _epochs: Mapping[str, tuple[float, ...]]
    _role_places: tuple[tuple[str, int | None, int | None], ...]
    path: Path | None = None
    _provider: SlotProvider | None = None
    _indexes: Mapping[str, _RoleIndex] = attrs.field(factory=dict)

    # ------------------------------------------------------------ loading

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        rules: str | Path | Catalogue | None = None,
        slot_provider: SlotProvider | None = None,
    ) -> Directory:
        """Load and check a directory file (``.yaml``, ``.yml`` or ``.json``).

        Roles are checked against the catalogue of *rules* (a rules directory or a
        :class:`~oneContact.ruleset.Catalogue`; default: the bundled rules). Raises
        :class:`RuleError` naming file:line for every problem; nothing is loaded then.
        """
        file = Path(path)
        catalogue = _catalogue(rules)
        if not file.is_file():
            raise RuleError(
                [RuleProblem("missing-file", "directory file not found; check the path", file)]
            )
        if file.suffix == ".json":
            # JSON is fast to read but has no positions: on a problem, read it again
            # with the YAML reader (JSON is YAML) so every problem names its line.
            try:
                doc = json.loads(file.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                doc = _yaml.load_yaml(file)
            try:
                return cls._build(doc, file, catalogue, slot_provider)
            except RuleError:
                pass
        return cls._build(_yaml.load_yaml(file), file, catalogue, slot_provider)

    @classmethod
    def from_data(
        cls,
        data: Mapping[str, Any],
        *,
        rules: str | Path | Catalogue | None = None,
        slot_provider: SlotProvider | None = None,
    ) -> Directory:
        """A directory from a mapping in the file format (e.g. built by a host in Python)."""
        return cls._build(data, None, _catalogue(rules), slot_provider)

    @classmethod
    def _build(
        cls,
        doc: Any,
        path: Path | None,
        catalogue: Catalogue,
        provider: SlotProvider | None,
    ) -> Directory:
        loader = _Loader(path, catalogue)
        built = loader.read(doc)
        if loader.problems:
            raise RuleError(loader.problems)
        assert built is not None  # no problems means read() built everything
        region, remedy, municipalities, units, members, slots = built
        by_role: dict[str, list[Member]] = {}
        for member in members.values():
            by_role.setdefault(member.role, []).append(member)
        return cls(
            region=region,
            remedy=remedy,
            municipalities=municipalities,
            units=units,
            members=members,
            by_role={role: tuple(ms) for role, ms in by_role.items()},
            # Tuples of floats and strings: the garbage collector stops tracking them, so a
            # full collection does not walk 200,000 slots on an assessment's clock.
            epochs={m: tuple(e) for m, e in slots.items()},
            role_places=tuple(loader.role_places),
            path=path,
            provider=provider,
            indexes={role: _RoleIndex.build(ms, units, slots) for role, ms in by_role.items()},
        )

    def check(self, catalogue: Catalogue) -> list[RuleProblem]:
        """Problems of this directory against *catalogue* (roles it does not know)."""
        problems: list[RuleProblem] = []
        roles = _roles(catalogue)
        for role, line, column in self._role_places:
            if role not in roles:
                problems.append(_unknown_role(role, roles, self.path, (line, column)))
        return problems

    # ------------------------------------------------------------ DirectorySource

    def units(self) -> Mapping[str, Unit]:
        """Every unit by id."""
        return self._units

    def members(self, role: str) -> Sequence[Member]:
        """The members who hold *role*."""
        return self._by_role.get(role, ())

    def member(self, member_id: str) -> Member | None:
        """The member with this id, or None."""
        return self._members.get(member_id)

    def all_members(self) -> Iterable[Member]:
        """Every member, in file order."""
        return self._members.values()

    def neighbours(self, municipality: str) -> Collection[str]:
        """The municipalities next to *municipality* (the relation is symmetric)."""
        return self._municipalities.get(municipality, frozenset())

    def free_slots(self, member_id: str) -> tuple[datetime, ...]:
        """Every free slot start of a member known to the file, earliest first."""
        return tuple(datetime.fromtimestamp(e, HELSINKI) for e in self._epochs.get(member_id, ()))

    def first_free_slot(
        self, member_id: str, after: datetime, until: datetime | None
    ) -> datetime | None:
        """The member's earliest free slot starting at or after *after* and before *until*."""
        if self._provider is not None:
            return self._provider(member_id, after, until)
        epochs = self._epochs.get(member_id)
        if not epochs:
            return None
        i = bisect.bisect_left(epochs, after.timestamp())
        if i == len(epochs) or (until is not None and epochs[i] >= until.timestamp()):
            return None
        return datetime.fromtimestamp(epochs[i], HELSINKI)

    def _role_index(self, role: str) -> _RoleIndex:
        """The search index of *role* (built when the directory was loaded)."""
        return self._indexes.get(role, _EMPTY_INDEX)

    def __repr__(self) -> str:
        where = f" {str(self.path)!r}" if self.path is not None else ""
        slots = sum(len(s) for s in self._epochs.values())
        return (
            f"<Directory{where} units={len(self._units)} members={len(self._members)} "
            f"slots={slots}>"
        )


# ---------------------------------------------------------------- loading


def _catalogue(rules: str | Path | Catalogue | None) -> Catalogue:
    if isinstance(rules, Catalogue):
        return rules
    root = Path(rules) if rules is not None else bundled_rules_directory()
    # Only the catalogue names roles: read it alone, refused whole like any rule file.
    return load_catalogue(root)


def _roles(catalogue: Catalogue) -> set[str]:
    return {sid for sid, s in catalogue.services.items() if s.kind in ROLE_KINDS}


def _unknown_role(
    role: str, roles: Collection[str], path: Path | None, where: _yaml.Located
) -> RuleProblem:
    return RuleProblem(
        "unknown-role",
        f"role {role!r} is not a team_member or family_centre service of the catalogue",
        path,
        where[0],
        where[1],
        suggestion=did_you_mean(role, roles),
    )


_Built = tuple[
    str | None,
    str,
    dict[str, frozenset[str]],
    dict[str, Unit],
    dict[str, Member],
    dict[str, list[float]],
]


class _Loader:
    """Reads a directory document, collecting every problem with its position."""

    def __init__(self, path: Path | None, catalogue: Catalogue) -> None:
        self.path = path
        self.catalogue = catalogue
        self.roles = _roles(catalogue)
        self.problems: list[RuleProblem] = []
        self.role_places: list[tuple[str, int | None, int | None]] = []
        self.calendar = Calendar.finnish()
        self.made: dict[tuple[frozenset[str], str, str, int], tuple[float, ...]] = {}
        self.days: list[date] | None = None
        self.language_sets: dict[frozenset[str], frozenset[str]] = {}

    def add(
        self, code: str, message: str, where: _yaml.Located, suggestion: str | None = None
    ) -> None:
        self.problems.append(
            RuleProblem(code, message, self.path, where[0], where[1], suggestion=suggestion)
        )

    def keys(self, node: Mapping[str, Any], allowed: Sequence[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                self.add(
                    "unknown-key",
                    f"unknown key {key!r} in {what}; allowed: {', '.join(allowed)}",
                    _yaml.key_position(node, key),
                    did_you_mean(str(key), allowed),
                )

    def items(self, doc: Mapping[str, Any], key: str, what: str) -> list[tuple[Any, Any]]:
        """(item, position) of the list under *key*; each item must be a mapping with an id."""
        node = doc.get(key)
        if node is None:
            return []
        if not isinstance(node, list):
            self.add(
                "not-a-list", f"'{key}' holds a list of {what}s", _yaml.value_position(doc, key)
            )
            return []
        out = []
        for index, item in enumerate(node):
            where = _yaml.item_position(node, index)
            if not isinstance(item, Mapping):
                self.add("not-a-mapping", f"each {what} is a mapping starting with '- id:'", where)
                continue
            out.append((item, _yaml.position(item) if _yaml.position(item)[0] else where))
        return out

    def ident(self, item: Mapping[str, Any], what: str, where: _yaml.Located) -> str | None:
        value = item.get("id")
        if not isinstance(value, str) or not _ID.match(value):
            self.add(
                "bad-id",
                f"a {what} needs an 'id' of letters, digits, '.', '_' or '-' (at most 64)",
                _yaml.value_position(item, "id") if "id" in item else where,
            )
            return None
        return value

    def languages(self, item: Mapping[str, Any], default: frozenset[str]) -> frozenset[str]:
        if "languages" not in item:
            return default
        value = item["languages"]
        where = _yaml.value_position(item, "languages")
        if not isinstance(value, list) or not value:
            self.add("bad-language", "'languages' is a non-empty list such as [fi, sv]", where)
            return default
        out = set()
        for lang in value:
            if not isinstance(lang, str) or not _LANGUAGE.match(lang):
                self.add("bad-language", "a language is a two-letter code such as fi or sv", where)
            else:
                out.add(lang)
        # One shared object per set of languages: members mostly repeat a few sets.
        return self.language_sets.setdefault(frozenset(out), frozenset(out))

    def read(self, doc: Any) -> _Built | None:
        if not isinstance(doc, Mapping):
            self.add(
                "not-a-mapping",
                "a directory file holds 'municipalities', 'units' and 'members'",
                (1, 1),
            )
            return None
        self.keys(
            doc,
            ("region", "remedy", "slots_from", "slots_until", "municipalities", "units", "members"),
            "the directory",
        )
        region = doc.get("region")
        if region is not None and not isinstance(region, str):
            self.add(
                "directory-bad-value",
                "'region' is the region's name as text",
                _yaml.value_position(doc, "region"),
            )
            region = None
        remedy = doc.get("remedy", "service_voucher")
        if remedy not in REMEDIES:
            self.add(
                "directory-bad-value",
                f"'remedy' is one of {', '.join(REMEDIES)} (what the region offers when the "
                "care guarantee cannot be met)",
                _yaml.value_position(doc, "remedy"),
                did_you_mean(str(remedy), REMEDIES),
            )
            remedy = "service_voucher"
        span = self.span(doc)
        municipalities = self.municipalities(doc)
        units = self.units(doc, municipalities)
        members, slots = self.members(doc, units, span)
        if self.problems:
            return None
        return region, str(remedy), municipalities, units, members, slots

    def day(self, doc: Mapping[str, Any], key: str) -> date | None:
        value = doc.get(key)
        if value is None:
            return None
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                value = None
        if not isinstance(value, date):
            self.add(
                "directory-bad-date",
                f"'{key}' is a date written YYYY-MM-DD",
                _yaml.value_position(doc, key),
            )
            return None
        return value

    def span(self, doc: Mapping[str, Any]) -> tuple[date, date] | None:
        first, last = self.day(doc, "slots_from"), self.day(doc, "slots_until")
        if (first is None) != (last is None):
            self.add(
                "directory-bad-date",
                "give both 'slots_from' and 'slots_until' (the days working patterns cover)",
                _yaml.key_position(doc, "slots_from" if first is not None else "slots_until"),
            )
            return None
        if first is None or last is None:
            return None
        if last < first or (last - first).days > 366:
            self.add(
                "directory-bad-date",
                "'slots_until' must be on or after 'slots_from', at most a year later",
                _yaml.value_position(doc, "slots_until"),
            )
            return None
        return first, last

    def municipalities(self, doc: Mapping[str, Any]) -> dict[str, frozenset[str]]:
        found: dict[str, tuple[Mapping[str, Any], list[str]]] = {}
        for item, where in self.items(doc, "municipalities", "municipality"):
            self.keys(item, ("id", "name", "neighbours"), "a municipality")
            mid = self.ident(item, "municipality", where)
            if mid is None:
                continue
            if mid in found:
                self.add("duplicate-id", f"municipality {mid!r} is listed twice", where)
                continue
            neighbours = item.get("neighbours", [])
            if not isinstance(neighbours, list) or not all(isinstance(n, str) for n in neighbours):
                self.add(
                    "not-a-list",
                    "'neighbours' is a list of municipality ids",
                    _yaml.value_position(item, "neighbours"),
                )
                neighbours = []
            found[mid] = (item, list(neighbours))
        graph: dict[str, set[str]] = {mid: set() for mid in found}
        for mid, (item, neighbours) in found.items():
            for other in neighbours:
                if other not in found:
                    self.add(
                        "unknown-municipality",
                        f"neighbour {other!r} is not a municipality of this directory",
                        _yaml.value_position(item, "neighbours"),
                        did_you_mean(other, found),
                    )
                elif other != mid:
                    graph[mid].add(other)
                    graph[other].add(mid)
        return {mid: frozenset(n) for mid, n in graph.items()}

    def units(
        self, doc: Mapping[str, Any], municipalities: Mapping[str, frozenset[str]]
    ) -> dict[str, Unit]:
        units: dict[str, Unit] = {}
        digital = {sid for sid, s in self.catalogue.services.items() if s.kind == "digital_channel"}
        for item, where in self.items(doc, "units", "unit"):
            self.keys(
                item, ("id", "name", "kind", "municipality", "languages", "channels"), "a unit"
            )
            uid = self.ident(item, "unit", where)
            kind = item.get("kind")
            if kind not in UNIT_KINDS:
                self.add(
                    "bad-unit-kind",
                    f"a unit's 'kind' is one of {', '.join(UNIT_KINDS)}",
                    _yaml.value_position(item, "kind") if "kind" in item else where,
                    did_you_mean(str(kind), UNIT_KINDS),
                )
            municipality = item.get("municipality")
            if municipality is None and kind != "digital_centre":
                self.add(
                    "missing-key",
                    "a unit other than the digital centre needs 'municipality'",
                    where,
                )
            elif municipality is not None and municipality not in municipalities:
                self.add(
                    "unknown-municipality",
                    f"municipality {municipality!r} is not listed under 'municipalities'",
                    _yaml.value_position(item, "municipality"),
                    did_you_mean(str(municipality), municipalities),
                )
            languages = self.languages(item, frozenset({"fi"}))
            channels = item.get("channels", [])
            if not isinstance(channels, list):
                self.add(
                    "not-a-list",
                    "'channels' is a list of digital channel ids",
                    _yaml.value_position(item, "channels"),
                )
                channels = []
            for channel in channels:
                if channel not in digital:
                    self.add(
                        "unknown-channel",
                        f"channel {channel!r} is not a digital_channel service of the catalogue",
                        _yaml.value_position(item, "channels"),
                        did_you_mean(str(channel), digital),
                    )
            if uid is None:
                continue
            if uid in units:
                self.add("duplicate-id", f"unit {uid!r} is listed twice", where)
                continue
            units[uid] = Unit(
                uid,
                str(kind),
                str(municipality) if municipality is not None else None,
                languages,
                tuple(str(c) for c in channels),
            )
        return units

    def members(
        self,
        doc: Mapping[str, Any],
        units: Mapping[str, Unit],
        span: tuple[date, date] | None,
    ) -> tuple[dict[str, Member], dict[str, list[float]]]:
        members: dict[str, Member] = {}
        slots: dict[str, list[float]] = {}
        for item, where in self.items(doc, "members", "member"):
            self.keys(
                item, ("id", "role", "unit", "languages", "works", "slots", "booked"), "a member"
            )
            mid = self.ident(item, "member", where)
            role = item.get("role")
            if not isinstance(role, str):
                self.add("missing-key", "a member needs a 'role' (a catalogue service id)", where)
            else:
                place = _yaml.value_position(item, "role")
                self.role_places.append((role, place[0], place[1]))
                if role not in self.roles:
                    self.problems.append(_unknown_role(role, self.roles, self.path, place))
            unit_id = item.get("unit")
            unit = None
            if unit_id is None:
                self.add(
                    "member-without-unit",
                    "every member works in a unit: add 'unit: <unit id>'",
                    where,
                )
            elif unit_id not in units:
                self.add(
                    "unknown-unit",
                    f"unit {unit_id!r} is not listed under 'units'",
                    _yaml.value_position(item, "unit"),
                    did_you_mean(str(unit_id), units),
                )
            else:
                unit = units[unit_id]
            languages = self.languages(item, unit.languages if unit else frozenset({"fi"}))
            free = self.slots(item, span)
            if mid is None or not isinstance(role, str) or unit is None:
                continue
            if mid in members:
                self.add("duplicate-id", f"member {mid!r} is listed twice", where)
                continue
            members[mid] = Member(mid, role, unit.id, languages)
            slots[mid] = free
        return members, slots

    def slots(self, item: Mapping[str, Any], span: tuple[date, date] | None) -> list[float]:
        """The member's free slot starts (epoch seconds, sorted): patterns and single
        slots, less the booked ones. Overlaps are refused."""
        # Each source is (sorted starts, minutes, position); overlaps are looked for only
        # between sources, since one pattern's slots follow each other by construction.
        sources: list[tuple[list[float], int, _yaml.Located]] = []
        works = item.get("works", [])
        if not isinstance(works, list):
            self.add(
                "not-a-list",
                "'works' is a list of working patterns",
                _yaml.value_position(item, "works"),
            )
            works = []
        for index, pattern in enumerate(works):
            where = _yaml.item_position(works, index)
            made = self.pattern(pattern, where, span)
            if made is not None:
                sources.append((made[0], made[1], where))
        singles = item.get("slots", [])
        if not isinstance(singles, list):
            self.add(
                "not-a-list", "'slots' is a list of free times", _yaml.value_position(item, "slots")
            )
            singles = []
        for index, single in enumerate(singles):
            where = _yaml.item_position(singles, index)
            parsed = self.single(single, where)
            if parsed is not None:
                sources.append(([parsed[0].timestamp()], parsed[1], where))
        if len(sources) == 1:
            free = sources[0][0]
        else:
            found = sorted(
                (start, minutes, where) for starts, minutes, where in sources for start in starts
            )
            for (start, minutes, _), (nxt, _, where) in itertools.pairwise(found):
                if nxt < start + 60 * minutes:
                    self.add(
                        "overlapping-slots",
                        f"a slot at {_local(nxt)} overlaps the one at {_local(start)}; "
                        "a member is in one place at a time",
                        where,
                    )
            free = [start for start, _, _ in found]
        booked_node = item.get("booked", [])
        if not booked_node:
            return free
        if not isinstance(booked_node, list):
            self.add(
                "not-a-list",
                "'booked' is a list of taken times",
                _yaml.value_position(item, "booked"),
            )
            return free
        starts = set(free)
        booked: set[float] = set()
        for index, taken in enumerate(booked_node):
            where = _yaml.item_position(booked_node, index)
            when = self.moment(taken, where, "a booked time")
            if when is None:
                continue
            if when.timestamp() not in starts:
                self.add(
                    "unknown-slot",
                    "a booked time must be the start of one of the member's slots",
                    where,
                )
            booked.add(when.timestamp())
        return [start for start in free if start not in booked]

    def moment(self, value: Any, where: _yaml.Located, what: str) -> datetime | None:
        """A local ``YYYY-MM-DDTHH:MM`` (Europe/Helsinki) or an RFC 3339 time with offset."""
        if isinstance(value, datetime):
            value = value.isoformat()
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                parsed = None
            if parsed is not None:
                if parsed.tzinfo is None:
                    if _LOCAL_MINUTE.match(value):
                        return parsed.replace(tzinfo=HELSINKI)
                else:
                    return parsed
        self.add(
            "directory-bad-time",
            f"{what} is written YYYY-MM-DDTHH:MM (Helsinki time) or with an offset",
            where,
        )
        return None

    def single(self, value: Any, where: _yaml.Located) -> tuple[datetime, int] | None:
        minutes = _DEFAULT_MINUTES
        at = value
        if isinstance(value, Mapping):
            self.keys(value, ("at", "minutes"), "a slot")
            at = value.get("at")
            minutes = value.get("minutes", _DEFAULT_MINUTES)
            if not isinstance(minutes, int) or isinstance(minutes, bool) or not 5 <= minutes <= 480:
                self.add("directory-bad-value", "'minutes' is a whole number from 5 to 480", where)
                return None
        when = self.moment(at, where, "a slot")
        return None if when is None else (when, minutes)

    def pattern(
        self, node: Any, where: _yaml.Located, span: tuple[date, date] | None
    ) -> tuple[list[float], int] | None:
        """The slot starts one working pattern makes over *span*, and their length."""
        if not isinstance(node, Mapping):
            self.add(
                "not-a-mapping",
                "a working pattern is {days: [...], from: HH:MM, to: HH:MM}",
                where,
            )
            return None
        self.keys(node, ("days", "from", "to", "minutes"), "a working pattern")
        if span is None:
            self.add(
                "missing-key",
                "working patterns need 'slots_from' and 'slots_until' at the top of the file",
                where,
            )
            return None
        days = node.get("days")
        if not isinstance(days, list) or not days or any(d not in _DAYS for d in days):
            self.add("directory-bad-value", f"'days' is a list of {', '.join(_DAYS)}", where)
            return None
        start, end = node.get("from"), node.get("to")
        if not (isinstance(start, str) and _CLOCK_TIME.match(start)) or not (
            isinstance(end, str) and _CLOCK_TIME.match(end)
        ):
            self.add(
                "directory-bad-time",
                "'from' and 'to' are times of day written HH:MM, quoted",
                where,
            )
            return None
        minutes = node.get("minutes", _DEFAULT_MINUTES)
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 5 <= minutes <= 480:
            self.add("directory-bad-value", "'minutes' is a whole number from 5 to 480", where)
            return None
        if time.fromisoformat(end) <= time.fromisoformat(start):
            self.add("directory-bad-time", "'to' must be later than 'from'", where)
            return None
        key = (frozenset(days), start, end, minutes)
        made = self.made.get(key)
        if made is None:
            # Many members share working hours: make each pattern's slots once per file.
            made = self.made[key] = _pattern_slots(
                {_DAYS.index(d) for d in days},
                time.fromisoformat(start),
                time.fromisoformat(end),
                minutes,
                self.workdays(span),
            )
        return list(made), minutes

    def workdays(self, span: tuple[date, date]) -> list[date]:
        """The days of *span* a pattern may work: all but public holidays, Christmas Eve
        and Midsummer Eve (weekends are the pattern's own choice)."""
        if self.days is None:
            day, last = span
            out = []
            while day <= last:
                if day.weekday() >= 5 or self.calendar.is_weekday(day):
                    out.append(day)
                day += timedelta(days=1)
            self.days = out
        return self.days


def _pattern_slots(
    weekdays: set[int], t0: time, t1: time, minutes: int, days: Sequence[date]
) -> tuple[float, ...]:
    out: list[float] = []
    step = 60 * minutes
    for day in days:
        if day.weekday() not in weekdays:
            continue
        first = datetime.combine(day, t0, HELSINKI)
        last = datetime.combine(day, t1, HELSINKI)
        span = (t1.hour * 60 + t1.minute - t0.hour * 60 - t0.minute) * 60
        begin, stop = first.timestamp(), last.timestamp()
        if stop - begin != span:
            # A daylight-saving change inside the working hours: step in local time.
            slot = first
            while slot + timedelta(minutes=minutes) <= last:
                out.append(slot.timestamp())
                slot += timedelta(minutes=minutes)
            continue
        slot_at = begin
        while slot_at + step <= stop:
            out.append(slot_at)
            slot_at += step
    return tuple(out)


def _local(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, HELSINKI).strftime("%Y-%m-%dT%H:%M")


# ---------------------------------------------------------------- routing

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
_SAME, _NEAR, _FAR = 0, 1, 2


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
    family-centre members for minors; and the legal remedy when no slot meets the due date. The catalogue router's
    guarantees hold first. A directory that raises or is empty never fails an
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
            return _Ranking(self, request, units).routes(base), ()
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
    return _evolve(route, explanation=(text,))


def _role_only(routes: Sequence[Route], text: str) -> tuple[Route, ...]:
    return tuple(_evolve(r, explanation=(text,)) for r in routes)


def _day(moment: datetime) -> str:
    return moment.astimezone(HELSINKI).isoformat(" ", "minutes")[:16]


def _evolve(route: Route, **changes: Any) -> Route:
    # attrs.evolve is generic and slow; routing builds several routes per assessment.
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


class _Ranking:
    """The ranking of one request (holds what every route of it shares)."""

    def __init__(
        self, router: DirectoryRouter, request: RouteRequest, units: Mapping[str, Unit]
    ) -> None:
        self.directory = router.directory
        self.remedy = router.remedy
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
                    _evolve(route, explanation=("emergency: reached directly; nothing is booked",))
                )
            else:
                out.append(_evolve(route, explanation=(f"{route.kind}: not booked",)))
        out = self.team(out)
        return tuple(self.guarantee(out))

    # ------------------------------------------------------------ one role

    def klass(self, member: Member) -> tuple[int, int]:
        unit = self.units.get(member.unit)
        kind = unit.kind if unit is not None else ""
        family = 0 if not self.minor or kind == "family_centre" else 1
        if self.municipality is None or unit is None:
            distance = _SAME
        elif kind == "digital_centre":
            distance = _NEAR  # remote, wherever the centre is
        elif unit.municipality == self.municipality:
            distance = _SAME
        elif unit.municipality in self.near:
            distance = _NEAR
        else:
            distance = _FAR
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
        elif klass[1] == _SAME:
            steps.append(f"place: same municipality ({unit.municipality})")
        elif klass[1] == _NEAR:
            steps.append(
                f"place: neighbouring municipality ({unit.municipality}); none free"
                f"{self.by_due} in {self.municipality}"
            )
        else:
            steps.append(
                f"place: another municipality ({unit.municipality}); nobody nearer to "
                f"{self.municipality} is free{self.by_due}"
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
        offered = sorted(member.languages)
        texts = []
        for lang in LANGUAGES:
            template = getattr(_RIGHT_UNMET_NOBODY if nobody else _RIGHT_UNMET, lang)
            texts.append(
                template.format(
                    role=role.get(lang),
                    lang=_in_language(self.language, lang),
                    offered=_in_languages(offered, lang),
                )
            )
        return Label(*texts)

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
                f"{self.due_text}; the earliest is {_day(slot)}"
            )
        else:
            steps.append(f"time: earliest free slot {_day(slot)}, due date {self.due_text}")
        steps.extend(self.where(member, klass or self.klass(member)))
        return _evolve(
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
        if isinstance(directory, Directory) and directory._provider is None:
            return _IndexedPools(self, directory._role_index(role))
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
            return _evolve(
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
            return _evolve(route, explanation=tuple(steps))
        found = pools.earliest(True, None) or pools.earliest(False, None)
        if found is not None:
            return self.booked(
                route, found[0], found[1], steps, klass=found[2], at_risk=True, nobody=nobody
            )
        steps.append(f"guarantee: at risk; no {role} has any free slot (due date {self.due_text})")
        return _evolve(route, due_date=self.due, guarantee_at_risk=True, explanation=tuple(steps))

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
        return _evolve(route, unit=serving[0].id if serving else None, explanation=tuple(steps))

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
            _evolve(r, case=case, explanation=(*r.explanation, text)) if r.kind in ROLE_KINDS else r
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


# A right to service in the client's language not met: the route's language step, in the
# client's language (Kielilaki 423/2003 §§ 10, 23; sote-järjestämislaki 612/2021 § 5).
_RIGHT_UNMET = Label(
    "kieli: asiakkaalla on oikeus palveluun {lang}, mutta yksikään {lang} palveleva "
    "ammattilainen ({role}) ei ole vapaana ajoissa; aika tarjotaan {offered}. Kielellinen "
    "oikeus ei toteudu.",
    "språk: klienten har rätt till service {lang}, men ingen {role} som ger service {lang} "
    "är ledig i tid; tiden erbjuds {offered}. Den språkliga rättigheten uppfylls inte.",
    "language: the client has a right to service {lang}, but no {role} who serves {lang} "
    "is free in time; the time is offered {offered}. The language right is not met.",
)
_RIGHT_UNMET_NOBODY = Label(
    "kieli: asiakkaalla on oikeus palveluun {lang}, mutta {lang} palvelevaa ammattilaista "
    "({role}) ei ole; aika tarjotaan {offered}. Kielellinen oikeus ei toteudu.",
    "språk: klienten har rätt till service {lang}, men det finns ingen {role} som ger "
    "service {lang}; tiden erbjuds {offered}. Den språkliga rättigheten uppfylls inte.",
    "language: the client has a right to service {lang}, but no {role} serves {lang}; "
    "the time is offered {offered}. The language right is not met.",
)
# "in Swedish" in each language; a code without a name here is written as it is.
_IN_LANGUAGE = {
    "fi": {"fi": "suomeksi", "sv": "ruotsiksi", "en": "englanniksi", "se": "saameksi"},
    "sv": {"fi": "på finska", "sv": "på svenska", "en": "på engelska", "se": "på samiska"},
    "en": {"fi": "in Finnish", "sv": "in Swedish", "en": "in English", "se": "in Sámi"},
}
_OR = {"fi": "tai", "sv": "eller", "en": "or"}


_IN_CODE = {"fi": "kielellä {}", "sv": "på {}", "en": "in {}"}


def _in_language(code: str, language: str) -> str:
    found = _IN_LANGUAGE.get(language, _IN_LANGUAGE["en"]).get(code)
    return found or _IN_CODE.get(language, "in {}").format(code)


def _in_languages(codes: Sequence[str], language: str) -> str:
    words = [_in_language(code, language) for code in codes]
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {_OR.get(language, 'or')} {words[-1]}"


_NO_UNIT = Unit("", "", None, frozenset())
_CATALOGUE_ROUTER = CatalogueRouter()
_Found = tuple[Member, datetime, tuple[int, int]]


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

    def __init__(self, ranking: _Ranking, role: str) -> None:
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


_Merged = tuple[tuple[float, ...], tuple[str, ...]]  # slot starts (sorted), whose they are
_Languages = frozenset[str]
_Hit = tuple[float, str]  # (start, member id): equal starts go to the lower id
_REMOTE = ""  # the place of digital-centre units (they have no municipality)


@attrs.frozen
class _RoleIndex:
    """Free slots of one role, merged for fast search, built when the directory loads.

    Slots are grouped by the members' set of languages (few distinct sets: fi; fi+sv;
    sv; ...), so one index serves clients of every language; by place (a municipality,
    or ``_REMOTE`` for digital centres); and by whether the unit is a family centre.
    """

    remote: bool
    counts: Mapping[_Languages, int]
    places: Mapping[tuple[_Languages, str, bool], _Merged]
    merged: Mapping[tuple[_Languages, bool], _Merged]
    """Every place but the digital centres, by languages and family centre or not."""
    families: frozenset[bool] = frozenset()
    """Which kinds of unit the role's members work in: family centres (True), others."""
    local: frozenset[_Languages] = frozenset()
    """The language sets of members outside digital centres (for non-digital clients)."""
    _split: dict[tuple[str, bool], dict[bool, list[_Languages]]] = attrs.field(
        factory=dict, eq=False
    )

    def split(self, language: str, digital: bool) -> dict[bool, list[_Languages]]:
        """The language sets of the members a client may see (digital-centre members only
        for a *digital* client) that do / do not include *language* (cached; pure)."""
        found = self._split.get((language, digital))
        if found is None:
            found = {True: [], False: []}
            for sig in self.counts if digital else self.local:
                found[language in sig].append(sig)
            self._split[language, digital] = found
        return found

    @classmethod
    def build(
        cls,
        members: Iterable[Member],
        units: Mapping[str, Unit],
        epochs: Mapping[str, Sequence[float]],
    ) -> _RoleIndex:
        rows: dict[tuple[_Languages, str, bool], list[_Hit]] = {}
        counts: dict[_Languages, int] = {}
        remote = False
        for member in members:
            sig = member.languages
            counts[sig] = counts.get(sig, 0) + 1
            unit = units[member.unit]
            remote = remote or unit.kind == "digital_centre"
            place = _REMOTE if unit.kind == "digital_centre" else unit.municipality or _REMOTE
            family = unit.kind == "family_centre"
            rows.setdefault((sig, place, family), []).extend(
                (start, member.id) for start in epochs[member.id]
            )
        places: dict[tuple[_Languages, str, bool], _Merged] = {}
        merged_rows: dict[tuple[_Languages, bool], list[_Hit]] = {}
        for key, hits in rows.items():
            hits.sort()
            places[key] = (tuple(h[0] for h in hits), tuple(h[1] for h in hits))
            if key[1] != _REMOTE:
                merged_rows.setdefault((key[0], key[2]), []).extend(hits)
        merged: dict[tuple[_Languages, bool], _Merged] = {}
        for group, hits in merged_rows.items():
            hits.sort()
            merged[group] = (tuple(h[0] for h in hits), tuple(h[1] for h in hits))
        return cls(
            remote,
            counts,
            places,
            merged,
            frozenset(k[2] for k in rows),
            frozenset(k[0] for k in rows if k[1] != _REMOTE),
        )


def _first(merged: _Merged | None, after: float, until: float) -> _Hit | None:
    if merged is None:
        return None
    starts = merged[0]
    i = bisect.bisect_left(starts, after)
    if i < len(starts) and starts[i] < until:
        return starts[i], merged[1][i]
    return None


_EMPTY_INDEX = _RoleIndex(False, {}, {}, {})


class _IndexedPools:
    """The built-in Directory: a few binary searches per class instead of one per member."""

    def __init__(self, ranking: _Ranking, index: _RoleIndex) -> None:
        self.ranking = ranking
        self.index = index
        self.remote = index.remote
        self.sigs = index.split(ranking.language, ranking.digital)

    def exists(self, speaks: bool) -> bool:
        return bool(self.sigs[speaks])

    def earliest(self, speaks: bool, until: datetime | None) -> _Found | None:
        ranking = self.ranking
        after = ranking.after_ts
        if until is ranking.until:
            end = ranking.until_ts
        else:
            end = until.timestamp() if until is not None else float("inf")
        sigs = self.sigs[speaks]
        places, merged = self.index.places, self.index.merged
        here = ranking.municipality
        remote = ranking.digital
        families: tuple[bool | None, ...] = (True, False) if ranking.minor else (None,)
        for rank, family in enumerate(families):
            if family is not None and family not in self.index.families:
                continue  # nobody of the role works in (or outside) a family centre
            flags = (True, False) if family is None else (family,)
            # A digital centre is not a family centre: it is searched with flag False.
            remote_here = remote and False in flags

            def at(where: Iterable[str], flags: tuple[bool, ...] = flags) -> _Hit | None:
                hit: _Hit | None = None
                for sig in sigs:
                    for place in where:
                        for flag in flags:
                            hit = _min(hit, _first(places.get((sig, place, flag)), after, end))
                return hit

            def far(flags: tuple[bool, ...] = flags) -> _Hit | None:
                hit: _Hit | None = None
                for sig in sigs:
                    for flag in flags:
                        hit = _min(hit, _first(merged.get((sig, flag)), after, end))
                return hit

            if here is None:
                # No municipality known: one class, the whole region and the digital centre.
                distance = _SAME
                hit = _min(far(), at((_REMOTE,), (False,)) if remote_here else None)
            else:
                distance, hit = _SAME, at((here,))
                if hit is None:
                    distance = _NEAR
                    hit = _min(at(ranking.near), at((_REMOTE,), (False,)) if remote_here else None)
                if hit is None:
                    # Nearer places have nothing in the window: the first merged slot is far.
                    distance, hit = _FAR, far()
            if hit is not None:
                member = ranking.directory.member(hit[1])
                assert member is not None  # the index is built from the members
                return member, datetime.fromtimestamp(hit[0], HELSINKI), (rank, distance)
        return None


def _min(a: tuple[float, str] | None, b: tuple[float, str] | None) -> tuple[float, str] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a <= b else b
