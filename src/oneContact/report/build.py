"""Building a report: one streaming pass over the contacts a :class:`ReportSource` gives
(:func:`build_report`) into finest-grain tallies (service x age group x clock x month x
unit x municipality), waits and breaches. Each clock's outcome is the status
:meth:`Policies.judge` gave it, never decided here again.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

from .._bundled import bundled_rules_directory
from .._text import Label
from ..clocks import (
    HELSINKI,
    Calendar,
    ClockStatus,
    ClockSubject,
    Judged,
    judge_status,
    local_date,
    local_day_of,
)
from ..errors import LedgerArgumentError, require_aware
from ..identity_code import shown_name
from ..ruleset import load_catalogue
from .measures import (
    AGE_GROUPS,
    NO_PLACE,
    NO_SERVICE,
    OTHER_PLACE,
    PLACE_DIMENSIONS,
    Breach,
    Tally,
    TallyKey,
    WaitKey,
    Waits,
    check_by,
    rows_of,
)
from .source import ReportSource, StartedContact
from .value import Report

if TYPE_CHECKING:  # pragma: no cover
    from ..ruleset import Catalogue

__all__ = ["build_report", "place_names"]

_NEED_ASSESSED = "need_assessed"
_CARE_STARTED = "care_started"
_TEAM_MEMBER = "team_member"
# The kinds of service whose routes a directory gives a unit (a member's, or the digital
# centre's); the other routes have none.
_PLACED_KINDS = frozenset({"team_member", "family_centre", "digital_channel"})
_YOUNG_BELOW = 23
_FOURTEEN_DAYS = 14
_THREE_MONTHS = 3
_MICROSECOND = timedelta(microseconds=1)


@functools.cache
def _bundled_services() -> tuple[Mapping[str, str], Mapping[str, Label]]:
    """The bundled catalogue's service kinds and names (for a report without a catalogue)."""
    catalogue = load_catalogue(bundled_rules_directory())
    services = catalogue.services.values()
    return (
        MappingProxyType({s.id: s.kind for s in services}),
        MappingProxyType({s.id: s.name for s in services}),
    )


def _age_group(age: int | None) -> str:
    if age is None:
        return AGE_GROUPS[2]
    return AGE_GROUPS[0] if age < _YOUNG_BELOW else AGE_GROUPS[1]


def _group_of(subject: ClockSubject, assessed_us: int) -> str:
    """The age group of *subject* on the need-assessment day *assessed_us*."""
    if subject.birth_date is None:  # the age as given: the same on every day
        return _age_group(subject.age)
    return _age_group(subject.age_on(local_day_of(assessed_us)))


class _Builder:
    """One pass over the contacts into finest-grain tallies, waits and breaches."""

    def __init__(
        self,
        since: datetime,
        until: datetime,
        today: date,
        kinds: Mapping[str, str],
        shapes: Mapping[str, tuple[str, tuple[str, ...]]],
        municipalities: Iterable[str] | None = None,
    ) -> None:
        self.since = since
        self.until = until
        self.today = today
        self.kinds = kinds
        # Per clock id: (stops on need_assessed, is a care clock: need_assessed -> care_started).
        self.kind_of = {
            clock: (_NEED_ASSESSED in stops, start == _NEED_ASSESSED and _CARE_STARTED in stops)
            for clock, (start, stops) in shapes.items()
        }
        self.tallies: dict[TallyKey, Tally] = {}
        self.waits: dict[WaitKey, Waits] = {}
        self.breaches: list[Breach] = []
        self._services: dict[tuple[str, ...], str] = {}
        self._units: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}
        self._municipalities = None if municipalities is None else frozenset(municipalities)
        self._months: dict[tuple[int, int], str] = {}
        self._clock_sets: dict[tuple[str, ...], frozenset[str]] = {}
        self._three_months: dict[date, date] = {}
        self._calendar = Calendar.finnish()

    def service(self, services: tuple[str, ...]) -> str:
        found = self._services.get(services)
        if found is None:
            found = next(
                (s for s in services if self.kinds.get(s) == _TEAM_MEMBER),
                services[0] if services else NO_SERVICE,
            )
            self._services[services] = found
        return found

    def unit(self, services: tuple[str, ...], units: tuple[str, ...]) -> str:
        """The unit of the route that gives the contact's service, where its units line
        up with the routes that can have one; else its first unit (``none`` without)."""
        if not units:
            return NO_PLACE
        found = self._units.get((services, units))
        if found is None:
            placed = [s for s in services if self.kinds.get(s) in _PLACED_KINDS]
            service = self.service(services)
            if len(placed) == len(units) and service in placed:
                found = units[placed.index(service)]
            else:
                found = units[0]
            self._units[(services, units)] = found
        return found

    def municipality(self, given: str | None) -> str:
        """The municipality as the contact gave it; ``none`` without one, ``other`` for
        one the report was not told of (when told which there are)."""
        if given is None:
            return NO_PLACE
        known = self._municipalities
        return given if known is None or given in known else OTHER_PLACE

    def month(self, day: date) -> str:
        key = (day.year, day.month)
        found = self._months.get(key)
        if found is None:
            found = self._months[key] = f"{day.year:04d}-{day.month:02d}"
        return found

    def add(self, started: StartedContact) -> None:
        """Count the clocks of one contact that started in the period; its age group is
        taken on its first need assessment (or its receipt, without one). Each clock's age
        group is that of the person whose right it follows: the client, or its subject in
        ``started.subjects`` (by clock id)."""
        contact_id, services, subject, assessed_us, clocks, others, given, units = started
        service = self.service(services)
        place = (self.unit(services, units), self.municipality(given))
        age_group = _group_of(subject, assessed_us)
        care: list[tuple[Judged, str]] = []
        if not others:
            for clock in clocks:
                self.count(contact_id, clock, service, age_group, care, place)
            if care:
                self.wait(care, service, age_group, place)
            return
        # A wait is one person's: care clocks following people of different age groups
        # are waits of their own, each in its group.
        cares: dict[str, list[tuple[Judged, str]]] = {}
        for clock in clocks:
            other = others.get(clock.clock)
            group = age_group if other is None else _group_of(other, assessed_us)
            self.count(contact_id, clock, service, group, cares.setdefault(group, []), place)
        for group, care in cares.items():
            if care:
                self.wait(care, service, group, place)

    def count(
        self,
        contact_id: str,
        clock: Judged,
        service: str,
        age_group: str,
        care: list[tuple[Judged, str]],
        place: tuple[str, str],
    ) -> None:
        started_on = clock.start_day
        assert started_on is not None  # only started clocks are counted
        month = self.month(started_on)
        key = (service, age_group, clock.clock, month, *place)
        tally = self.tallies.get(key)
        if tally is None:
            tally = self.tallies[key] = Tally()
        tally.clocks += 1
        declined = clock.status == "declined"
        stopped_on = clock.stop_day
        due = clock.due_date
        today = self.today
        assessment, is_care = self.kind_of[clock.clock]
        if declined:
            tally.declined += 1
        elif due is None:
            tally.no_limit += 1
        else:
            # The status Policies.judge gave the clock on the report's day: a stopped
            # clock is met or breached, a running one open or breached (past due).
            late = clock.status == ClockStatus.BREACHED
            if stopped_on is not None:
                if late:
                    tally.breached += 1
                else:
                    tally.met += 1
            elif late:
                tally.open_past_due += 1
            else:
                tally.open += 1
            if late:
                self.breaches.append(
                    Breach(
                        contact_id,
                        clock.clock,
                        service,
                        age_group,
                        month,
                        started_on,
                        due,
                        stopped_on,
                        ((stopped_on or today) - due).days,
                    )
                )
            if assessment and (stopped_on is not None or late):
                tally.assessments_decided += 1
                if not late:
                    tally.assessments_on_time += 1
        target = clock.target_due_date
        if target is not None and not declined:
            tally.target_clocks += 1
            # A regional target is judged by the clocks' one rule, with its own due date.
            target_status = judge_status(target, stopped_on, today)
            if target_status != ClockStatus.OPEN:
                tally.target_decided += 1
                if target_status == ClockStatus.MET:
                    tally.target_met += 1
        if is_care:
            care.append((clock, month))

    def wait(
        self,
        care: list[tuple[Judged, str]],
        service: str,
        age_group: str,
        place: tuple[str, str],
    ) -> None:
        """The contact's one wait, from its care clocks in the period (they share their
        start, ``need_assessed``, and their stop, ``care_started``)."""
        month = care[0][1]
        ids = tuple(c.clock for c, _ in care)
        clock_set = self._clock_sets.get(ids)
        if clock_set is None:
            clock_set = self._clock_sets[ids] = frozenset(ids)
        key = (service, age_group, month, *place, clock_set)
        wait = self.waits.get(key)
        if wait is None:
            wait = self.waits[key] = Waits()
        for clock, _ in care:
            start, stop = clock.start_day, clock.stop_day
            if stop is not None and clock.status != "declined":
                assert start is not None
                days = (stop - start).days
                wait.days[days] += 1
                if days <= _FOURTEEN_DAYS:
                    wait.within_14 += 1
                three = self._three_months.get(start)
                if three is None:
                    three = self._three_months[start] = self._calendar.add_months(
                        start, _THREE_MONTHS
                    )
                if stop <= three:
                    wait.within_3m += 1
                return
        if not any(c.status == "declined" for c, _ in care):
            wait.still_waiting += 1
        # else declined: counted apart (in the clock tallies), not as a wait


def place_names(names: object) -> Mapping[str, Mapping[str, str]]:
    """*names* (``{"unit" | "municipality": {code: name}}``, or None) checked and frozen;
    refused naming the field ``names`` when it is not such a mapping."""
    if names is None:
        return MappingProxyType({})
    if not isinstance(names, Mapping):
        raise LedgerArgumentError(
            "bad-argument", "names", 'is a mapping like {"unit": {"rannikko-hs": "name"}}'
        )
    found: dict[str, Mapping[str, str]] = {}
    for dimension, of in names.items():
        if dimension not in PLACE_DIMENSIONS:
            raise LedgerArgumentError(
                "bad-argument",
                "names",
                f"names are for {' and '.join(PLACE_DIMENSIONS)}, not {shown_name(dimension)}",
            )
        if not isinstance(of, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in of.items()
        ):
            raise LedgerArgumentError(
                "bad-argument", "names", f"names[{dimension!r}] maps codes to names (texts)"
            )
        found[dimension] = MappingProxyType(dict(of))
    return MappingProxyType(found)


_CONTACT_AND_CLOCK = operator.attrgetter("contact_id", "clock")
_DAYS_OVER = operator.attrgetter("days_over")


def build_report(
    source: ReportSource,
    *,
    since: datetime,
    until: datetime,
    by: Sequence[str] = ("service", "age_group"),
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
    municipalities: Iterable[str] | None = None,
    names: Mapping[str, Mapping[str, str]] | None = None,
) -> Report:
    """The report of the clocks *source* gives that started in ``[since, until)``, split
    by *by*: what :meth:`Ledger.report` returns (which see)."""
    since = require_aware(since, "since", LedgerArgumentError)
    until = require_aware(until, "until", LedgerArgumentError)
    dimensions = check_by(by)
    if "municipality" in dimensions and municipalities is None:
        raise LedgerArgumentError(
            "bad-argument",
            "municipalities",
            "by municipality needs the municipalities to count (e.g. a directory's "
            "Directory.municipality_ids): a contact's municipality is what the client gave, "
            "and a report never shows text a client typed; any other value counts as 'other'",
        )
    if since >= until:
        raise LedgerArgumentError(
            "bad-period",
            "until",
            f"{until.isoformat()} is not after since ({since.isoformat()}); a period is "
            "[since, until)",
        )
    if now is None:
        as_of = min(until - _MICROSECOND, datetime.now(UTC))
    else:
        as_of = require_aware(now, "now", LedgerArgumentError)
    as_of = as_of.astimezone(HELSINKI)
    service_names: Mapping[str, Label]
    if catalogue is None:
        kinds, service_names = _bundled_services()
    else:
        kinds = {s.id: s.kind for s in catalogue.services.values()}
        service_names = MappingProxyType({s.id: s.name for s in catalogue.services.values()})
    policies = source.policies
    shapes = {c: (policies.starts_on(c), policies.stops_on(c)) for c in policies.clock_ids}
    builder = _Builder(since, until, local_date(as_of), kinds, shapes, municipalities)
    if as_of >= since:  # otherwise no clock can have started yet
        for started in source.started_clocks(since, until, as_of):
            builder.add(started)
    # Most days over first, then by contact and clock: two stable sorts on plain keys.
    builder.breaches.sort(key=_CONTACT_AND_CLOCK)
    builder.breaches.sort(key=_DAYS_OVER, reverse=True)
    tallies = MappingProxyType(builder.tallies)
    waits = MappingProxyType(builder.waits)
    (total,) = rows_of(tallies, waits, ())
    return Report(
        since=since,
        until=until,
        as_of=as_of,
        by=dimensions,
        rows=rows_of(tallies, waits, dimensions),
        total=total,
        breaches=tuple(builder.breaches),
        tallies=tallies,
        waits=waits,
        service_names=service_names,
        place_names=place_names(names),
    )
