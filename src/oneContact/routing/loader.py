"""The directory loader: reads a directory file (YAML or JSON) or mapping, and checks it.

Every problem is collected (through the one :class:`~oneContact._problems.ProblemCollector`)
and located to file:line:column: unknown keys, roles that are not a ``team_member`` or
``family_centre`` service of the catalogue, unknown units and municipalities, members
without a unit, bad dates and times, overlapping slots. The codes are in
``docs/reference/errors.md``. Working patterns become slot starts here, over the file's
``slots_from``..``slots_until`` days less public holidays.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import attrs

from .. import _yaml
from .._bundled import bundled_rules_directory
from .._problems import ProblemCollector
from ..clocks import HELSINKI, Calendar
from ..errors import RuleProblem, did_you_mean
from ..ruleset import Catalogue, load_catalogue
from .model import REMEDIES, ROLE_KINDS, UNIT_KINDS, Member, Unit

__all__ = [
    "DirectoryLoader",
    "Loaded",
    "catalogue_of",
    "role_ids",
    "unknown_role",
]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LOCAL_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d$")
_DEFAULT_MINUTES = 30


def catalogue_of(rules: str | Path | Catalogue | None) -> Catalogue:
    """The catalogue roles are checked against: *rules* itself, the catalogue of a rules
    directory, or (None) the bundled rules' catalogue."""
    if isinstance(rules, Catalogue):
        return rules
    root = Path(rules) if rules is not None else bundled_rules_directory()
    # Only the catalogue names roles: read it alone, refused whole like any rule file.
    return load_catalogue(root)


def role_ids(catalogue: Catalogue) -> set[str]:
    """The catalogue's services that members can hold (kinds in ``ROLE_KINDS``)."""
    return {sid for sid, s in catalogue.services.items() if s.kind in ROLE_KINDS}


def unknown_role(
    role: str, roles: Collection[str], path: Path | None, where: _yaml.Located
) -> RuleProblem:
    """The ``unknown-role`` problem of a member's *role* at *path*, line and column *where*."""
    return RuleProblem(
        "unknown-role",
        f"role {role!r} is not a team_member or family_centre service of the catalogue",
        path,
        where[0],
        where[1],
        suggestion=did_you_mean(role, roles),
    )


@attrs.frozen
class Loaded:
    """What a directory document holds, checked (the parts of a ``Directory``)."""

    region: str | None
    remedy: str
    municipalities: dict[str, frozenset[str]]
    units: dict[str, Unit]
    members: dict[str, Member]
    slots: dict[str, list[float]]
    """Each member's free slot starts (epoch seconds, sorted)."""
    role_places: tuple[tuple[str, int | None, int | None], ...]
    """Each member's role and where it is written (for ``Directory.check``)."""
    names: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    """``unit`` and ``municipality`` -> id -> its ``name`` (those written with one)."""


class DirectoryLoader:
    """Reads one directory document, collecting every problem with its position.

    :meth:`read` gives the checked parts or raises one :class:`RuleError` naming every
    problem.
    """

    def __init__(self, path: Path | None, catalogue: Catalogue) -> None:
        self.path = path
        self.catalogue = catalogue
        self.roles = role_ids(catalogue)
        self.collector = ProblemCollector()
        self.role_places: list[tuple[str, int | None, int | None]] = []
        self.calendar = Calendar.finnish()
        self.made: dict[tuple[frozenset[str], str, str, int], tuple[float, ...]] = {}
        self.days: list[date] | None = None
        self.language_sets: dict[frozenset[str], frozenset[str]] = {}
        self.names: dict[str, dict[str, str]] = {"unit": {}, "municipality": {}}

    def add(
        self, code: str, message: str, where: _yaml.Located, suggestion: str | None = None
    ) -> None:
        self.collector.add(code, message, self.path, where, suggestion=suggestion)

    def keys(self, node: Mapping[str, Any], allowed: Sequence[str], what: str) -> None:
        self.collector.unknown_keys(node, allowed, self.path, what, code="unknown-key")

    def read(self, doc: Any) -> Loaded:
        """The checked parts of *doc*; raises :class:`RuleError` with every problem."""
        parts = self.parts(doc)
        self.collector.raise_if_any()
        assert parts is not None  # no problems means parts() built everything
        return parts

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

    def parts(self, doc: Any) -> Loaded | None:
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
        if self.collector.problems:
            return None
        return Loaded(
            region,
            str(remedy),
            municipalities,
            units,
            members,
            slots,
            tuple(self.role_places),
            self.names,
        )

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

    def name(self, item: Mapping[str, Any], kind: str, ident: str) -> None:
        """Keep the ``name`` of a unit or a municipality (text, for people)."""
        name = item.get("name")
        if name is None:
            return
        if not isinstance(name, str) or not name.strip():
            self.add(
                "directory-bad-value",
                f"a {kind}'s 'name' is text, for people",
                _yaml.value_position(item, "name"),
            )
            return
        self.names[kind][ident] = name.strip()

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
            self.name(item, "municipality", mid)
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
            self.name(item, "unit", uid)
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
                    self.collector.problems.append(unknown_role(role, self.roles, self.path, place))
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
                        f"a slot at {_local_minute(nxt)} overlaps the one at {_local_minute(start)}; "
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
    """The slot starts (epoch seconds) of a working pattern: *weekdays* of *days*, from
    *t0* to *t1* (Helsinki time), *minutes* each."""
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


def _local_minute(epoch: float) -> str:
    """*epoch* as a Helsinki ``YYYY-MM-DDTHH:MM``."""
    return datetime.fromtimestamp(epoch, HELSINKI).strftime("%Y-%m-%dT%H:%M")
