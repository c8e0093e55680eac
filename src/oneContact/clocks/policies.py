"""Care-guarantee policies: the clocks the law (``rules/policies/*.yaml``) defines, and
the regional targets that overlay it (``regions/<region>.yaml``).

:class:`Policies` is what the engine and the ledger hold: it answers which clocks exist
and what events they read, and makes a contact's :class:`~oneContact.clocks.Clock` values
(:meth:`Policies.compute`), each judged by :func:`~oneContact.clocks.judge_clock` with the
policy version in force on the local (Europe/Helsinki) day the clock starts, so a past
contact replays with the law of its day. The files are read by
:mod:`oneContact.clocks.loading`.

A region the caller selects (``Policies.from_directory(path, region=...)``; none by
default) fills a clock's ``target_due_date`` beside its statutory ``due_date``. A clock
with the switch ``declined_ends_clock`` ends as ``declined`` when the client declines a
time offered within the limit (docs/explanation/how-clocks-count.md).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType

import attrs

from .._memo import BoundedMemo
from .._messages import label as message_label
from .._text import LANGUAGES, Label, Untranslated
from ..errors import ArgumentError, RuleError, did_you_mean, require_aware
from ..identity_code import shown_key, shown_name
from ._policy import ClockPolicy, Region, ages_named, basis_label
from .calendar import Calendar, local_date, micros
from .judge import Judged, Terms, judge_clock
from .loading import REGIONS_DIRECTORY, read_policy_directory, unknown_region
from .model import (
    CARE_OFFERED,
    CONTACT_RECEIVED,
    OFFER_DECLINED,
    Clock,
    ClockSubject,
    LimitKind,
)

__all__ = ["Policies"]


@attrs.frozen(eq=False, repr=False)
class Policies:
    """Care-guarantee policies loaded from rules/policies/*.yaml; immutable.

    The regional targets under ``regions/`` are always loaded and checked; at most one
    region is *selected* (``region``), and only the selected region's targets fill a
    clock's ``target_due_date``. The default selects none.
    """

    _clocks: Mapping[str, ClockPolicy]
    _events: frozenset[str]
    _source: str = "<policies>"
    _regions: Mapping[str, Region] = attrs.field(default=MappingProxyType({}))
    _region: Region | None = None
    _files_digest: str = ""
    _untranslated: tuple[Untranslated, ...] = ()
    _lists: BoundedMemo[tuple[str, ...], tuple[ClockPolicy, ...]] = attrs.field(
        init=False, factory=lambda: BoundedMemo(_KEPT)
    )  # the policies of each list of clock ids judge() was given
    _other_terms: BoundedMemo[Calendar, Terms] = attrs.field(
        init=False, factory=lambda: BoundedMemo(_KEPT)
    )  # the terms of a host's own calendars
    _idle: BoundedMemo[tuple[Judged, str | None], Clock] = attrs.field(
        init=False, factory=lambda: BoundedMemo(_KEPT)
    )
    """The clocks not started, by what was judged and whose right: the same value for
    every contact, made once."""
    _made: BoundedMemo[str, Label] = attrs.field(init=False, factory=lambda: BoundedMemo(_KEPT))
    """Basis texts made from a message (not started, no version in force, capped), in
    every language: worked out once."""
    _treatment: frozenset[str] = attrs.field(
        init=False,
        default=attrs.Factory(
            lambda self: frozenset(c for c, p in self._clocks.items() if p.treatment),
            takes_self=True,
        ),
    )
    _texts: Mapping[str, Label] = attrs.field(
        init=False,
        default=attrs.Factory(lambda self: _texts_of(self._clocks, self._regions), takes_self=True),
    )  # English basis and limit texts -> the same texts in every language
    _kinds: Mapping[str, LimitKind] = attrs.field(
        init=False,
        default=attrs.Factory(lambda self: _kinds_of(self._clocks), takes_self=True),
    )  # English limit texts, and the bases of no limit -> the kind of limit
    _terms: Terms = attrs.field(
        init=False,
        default=attrs.Factory(
            lambda self: Terms(Calendar.finnish(), self._region), takes_self=True
        ),
    )

    @classmethod
    def from_directory(cls, path: Path | str, *, region: str | None = None) -> Policies:
        """Read every ``*.yaml`` in *path* (sorted by name), and every regional target file
        ``regions/*.yaml`` beneath it.

        *region* selects one regional target file by its name without ``.yaml`` (e.g.
        ``"etela-pohjanmaa"``); ``None``, the default, selects none, so clocks carry only
        the statutory due dates. Every region file is checked whether selected or not.

        Raises RuleError listing every problem found, each with its file:line; an unknown
        *region* is one of them (``policy-unknown-region``, with a suggestion).
        """
        files = read_policy_directory(path, region=region)
        policies = cls(
            files.clocks,
            files.events,
            files.source,
            files.regions,
            files_digest=files.files_digest,
            untranslated=files.untranslated,
        )
        return policies if region is None else policies.with_region(region)

    def with_region(self, region: str | None) -> Policies:
        """These policies with *region*'s targets selected (``None``: no region).

        Raises RuleError (``policy-unknown-region``, with a suggestion) for a region that
        has no file under ``regions/``.
        """
        if region is None:
            return attrs.evolve(self, region=None)
        found = self._regions.get(region) if isinstance(region, str) else None
        if found is None:
            regions_dir = Path(self._source) / REGIONS_DIRECTORY
            files = {name: r.path for name, r in self._regions.items()}
            raise RuleError([unknown_region(str(region), files, regions_dir)])
        return attrs.evolve(self, region=found)

    @property
    def untranslated(self) -> tuple[Untranslated, ...]:
        """Every text of the policy files (descriptions, bases, notes, reasons, region
        names) that lacks Finnish, Swedish or English, with its file and line."""
        return self._untranslated

    def description(self, clock_id: str) -> Label | None:
        """What clock *clock_id* measures, in each language (None when not written)."""
        return self._policy(clock_id).description

    @property
    def clock_ids(self) -> frozenset[str]:
        """Ids of every clock defined."""
        return frozenset(self._clocks)

    @property
    def events(self) -> frozenset[str]:
        """Every event name a clock starts or stops on, plus the standard events."""
        return self._events

    @property
    def regions(self) -> frozenset[str]:
        """Ids of every regional target file loaded (selected or not)."""
        return frozenset(self._regions)

    @property
    def digest(self) -> str:
        """SHA-256 of the policy files read (names relative to the policy directory, and
        contents) and of the selected region: two Policies with the same digest judge every
        clock alike. Empty for Policies not read from a directory."""
        if not self._files_digest:
            return ""
        region = "" if self._region is None else self._region.id
        return hashlib.sha256(f"{self._files_digest}\0region={region}".encode()).hexdigest()

    @property
    def region(self) -> str | None:
        """The id of the selected region, or None when no region is selected."""
        return None if self._region is None else self._region.id

    @property
    def language_rights(self) -> frozenset[str]:
        """The languages in which a client of the selected region has a right to service
        (its file's ``language_rights``: ``fi`` and ``sv`` in a bilingual wellbeing
        services county). Empty without a region, or when the region declares none: the
        client's language is then a preference the router honours when it can."""
        return frozenset() if self._region is None else self._region.language_rights

    def ages_compared(self) -> frozenset[int]:
        """Every age a variant of a clock or of the region's targets compares with: the
        ages at which a person's limit can change."""
        versions = [v for p in self._clocks.values() for v in p.versions]
        if self._region is not None:
            versions.extend(v for t in self._region.targets.values() for v in t.versions)
        return frozenset(
            age
            for version in versions
            for variant in version.variants
            for age in ages_named(variant.condition)
        )

    def _policy(self, clock_id: str) -> ClockPolicy:
        policy = self._clocks.get(clock_id)
        if policy is None:
            # Not raised from a KeyError: that would keep the name, which may be anything.
            raise ArgumentError(
                "unknown-clock",
                "clock_id",
                f"unknown clock {shown_name(clock_id)}",
                suggestion=did_you_mean(clock_id, self._clocks),
            )
        return policy

    def starts_on(self, clock_id: str) -> str:
        """The event that starts clock *clock_id*."""
        return self._policy(clock_id).starts_on

    def stops_on(self, clock_id: str) -> tuple[str, ...]:
        """The events that stop clock *clock_id* (as met or breached)."""
        return self._policy(clock_id).stops_on

    @property
    def treatment_clocks(self) -> frozenset[str]:
        """The clocks marked ``treatment: true``: the care-guarantee clocks of a treatment
        (``care``, ``planned_care``, ``oral_care``, ``therapy_guarantee``, ...), of which an
        assessment starts at most one."""
        return self._treatment

    def declined_ends_clock(self, clock_id: str) -> bool:
        """Whether the client declining a time offered within the limit ends *clock_id*
        as ``declined`` (the policy switch ``declined_ends_clock``)."""
        return self._policy(clock_id).declined_ends_clock

    def events_of(self, clock_id: str) -> tuple[str, ...]:
        """Every event :meth:`compute` reads for *clock_id*: its start, its stops and, when
        declining ends it, ``care_offered`` and ``offer_declined``."""
        policy = self._policy(clock_id)
        names = (policy.starts_on, *policy.stops_on)
        if policy.declined_ends_clock:
            names = (*names, CARE_OFFERED, OFFER_DECLINED)
        return tuple(dict.fromkeys(names))

    def compute(
        self,
        clock_ids: Sequence[str],
        *,
        subject: ClockSubject,
        received_at: datetime,
        events: Mapping[str, datetime | Sequence[datetime]] | None = None,
        now: datetime | None = None,
        calendar: Calendar | None = None,
        others: Mapping[str, tuple[str, ClockSubject]] | None = None,
    ) -> tuple[Clock, ...]:
        """The clocks *clock_ids*, in that order, for a contact received at *received_at*.

        Each clock follows *subject*'s right, except those in *others* (clock id ->
        the id of the person it follows and that person's subject): these are judged with
        that subject and say the person in :attr:`Clock.person`.

        *events* maps event names to when they happened: one datetime, or a sequence of
        them for an event that happened more than once (care offered twice). A clock starts
        at the earliest occurrence of its start event and stops at the earliest occurrence
        of a stop event at or after its start. *now* decides whether an unstopped clock is
        already breached. Every datetime must be tz-aware.
        """
        clocks = self._clocks
        try:
            policies: list[ClockPolicy] | None = [clocks[clock_id] for clock_id in clock_ids]
        except KeyError:
            policies = None  # raised below, not from the KeyError that holds the name
        if policies is None:
            policies = [self._policy(clock_id) for clock_id in clock_ids]  # says which
        require_aware(received_at, "received_at")
        # The clocks are judged on integer instants (as the ledger stores them); the
        # caller's own datetime objects go back into the Clocks.
        happened: dict[str, list[int]] = {}
        given: dict[int, datetime] = {}
        for name, value in events.items() if events else ():
            if name not in self._events:
                raise ArgumentError(
                    "unknown-event",
                    f"events.{shown_key(name)}",
                    f"unknown event {shown_name(name)}",
                    suggestion=did_you_mean(name, self._events),
                )
            times = _instants(name, value)
            if times:
                instants = []
                for ts in times:
                    us = micros(ts)
                    given.setdefault(us, ts)
                    instants.append(us)
                happened[name] = sorted(instants)
        received_us = micros(received_at)
        given.setdefault(received_us, received_at)
        happened[CONTACT_RECEIVED] = [received_us]
        today = None
        if now is not None:
            require_aware(now, "now")
            today = local_date(now)
        subjects = None if not others else {c: s for c, (_, s) in others.items()}
        judged = self._judge(policies, subject, happened, today, calendar, subjects)
        instant = given.__getitem__
        if not others:
            return tuple([self.clock(j, instant) for j in judged])
        return tuple(
            [
                self.clock(j, instant, person=others[j.clock][0] if j.clock in others else None)
                for j in judged
            ]
        )

    def clock(
        self, judged: Judged, instant: Callable[[int], datetime], *, person: str | None = None
    ) -> Clock:
        """The :class:`Clock` of *judged* (from :meth:`judge`), its instants made
        datetimes by *instant*; *person* is whose right it follows (None: the client)."""
        if judged.start is None:
            # Not started: nothing of its contact in it, one shared value.
            key = (judged, person)
            idle = self._idle.get(key)
            if idle is None:
                idle = self._idle.put(key, self._clock(judged, instant, person))
            return idle
        return self._clock(judged, instant, person)

    def _clock(
        self, judged: Judged, instant: Callable[[int], datetime], person: str | None
    ) -> Clock:
        policy = self._policy(judged.clock)
        limit = judged.limit
        # By position, in the order of Clock's fields (by keyword costs a third more).
        return Clock(
            judged.clock,
            policy.starts_on,
            policy.stops_on,
            None if judged.start is None else instant(judged.start),
            judged.due_date,
            limit,
            judged.basis,
            judged.status,
            None if judged.stopped is None else instant(judged.stopped),
            judged.target_due_date,
            judged.target_basis,
            person,
            self.basis_label(judged.basis),
            None if limit is None else self._texts.get(_LIMIT_KEY + limit),
            None if judged.target_basis is None else self.basis_label(judged.target_basis),
            self._kinds.get(judged.basis if limit is None else _LIMIT_KEY + limit),
        )

    def basis_label(self, basis: str) -> Label:
        """The basis text *basis* (a Clock's ``basis`` or ``target_basis``, in English as
        the JSON and the ledger keep it) in Finnish, Swedish and English. A text these
        policies did not write comes back as English only."""
        found = self._texts.get(basis) or self._made.get(basis)
        if found is not None:
            return found
        return self._made.put(basis, self._basis_label(basis))

    def _basis_label(self, basis: str) -> Label:
        if match := _NOT_STARTED.fullmatch(basis):
            return message_label("basis_not_started", event=match[1])
        if match := _NO_VERSION.fullmatch(basis):
            return message_label("basis_no_version", policy=match[1], day=match[2])
        capped = message_label("target_capped")
        if basis.endswith(f"; {capped.en}"):
            head = self.basis_label(basis[: -len(capped.en) - 2])
            return Label(*(f"{head.get(lang)}; {capped.get(lang)}" for lang in LANGUAGES))
        return Label("", "", basis)

    def judge(
        self,
        clock_ids: Sequence[str],
        *,
        subject: ClockSubject,
        happened: Mapping[str, Sequence[int]],
        today: date | None,
        calendar: Calendar | None = None,
        subjects: Mapping[str, ClockSubject] | None = None,
    ) -> tuple[Judged, ...]:
        """The clocks *clock_ids* as :meth:`compute` judges them, from instants kept as
        integer microseconds (see :func:`micros`), for stores and reports that read
        millions of them. *subjects* gives, by clock id, the subject of each clock that
        follows another person's right than *subject*'s.

        *happened* maps each event (``contact_received`` included) to its instants in
        ascending order; the event names are trusted (the ledger checked them on the way
        in). *today* is the local day that decides whether an unstopped clock is breached.
        """
        key = tuple(clock_ids)
        policies = self._lists.get(key)
        if policies is None:
            policies = self._lists.put(key, tuple(self._policy(c) for c in key))
        return self._judge(policies, subject, happened, today, calendar, subjects)

    def _judge(
        self,
        policies: Sequence[ClockPolicy],
        subject: ClockSubject,
        happened: Mapping[str, Sequence[int]],
        today: date | None,
        calendar: Calendar | None,
        subjects: Mapping[str, ClockSubject] | None = None,
    ) -> tuple[Judged, ...]:
        terms = self._terms
        if calendar is not None and calendar is not terms.calendar:
            # Another calendar (a host's own): its terms are kept apart, and kept.
            other = self._other_terms.get(calendar)
            if other is None:
                other = self._other_terms.put(calendar, Terms(calendar, self._region))
            terms = other
        if subjects:
            return tuple(
                [
                    judge_clock(policy, subjects.get(policy.id, subject), happened, today, terms)
                    for policy in policies
                ]
            )
        return tuple([judge_clock(policy, subject, happened, today, terms) for policy in policies])

    def __repr__(self) -> str:
        region = "" if self._region is None else f", region {self._region.id}"
        return f"<Policies {len(self._clocks)} clocks from {self._source}{region}>"


_KEPT = 4096  # entries of a memo of Policies; beyond it the memo starts again
_LIMIT_KEY = "\0limit\0"  # limits and bases share one table; no basis starts with NUL
_NOT_STARTED = re.compile(r"not started: starts when '([a-z0-9_]+)' happens")
_NO_VERSION = re.compile(r"no version of policy '([a-z0-9_]+)' is in force on (\S+)")


def _texts_of(
    clocks: Mapping[str, ClockPolicy], regions: Mapping[str, Region]
) -> Mapping[str, Label]:
    """Every basis and limit text a clock of these policies can carry, in English (as the
    JSON and the ledger's projection keep it) -> the same text in every language. Two
    variants whose English texts are equal are taken to say the same thing."""
    versions = [v for p in clocks.values() for v in p.versions]
    versions += [v for r in regions.values() for t in r.targets.values() for v in t.versions]
    texts: dict[str, Label] = {}
    for version in versions:
        for variant in version.variants:
            basis = basis_label(version, variant)
            texts.setdefault(basis.en, basis)
            limit = variant.limit.label
            if limit is not None:
                texts.setdefault(_LIMIT_KEY + limit.en, limit)
    return MappingProxyType(texts)


def _instants(name: str, value: datetime | Sequence[datetime]) -> tuple[datetime, ...]:
    if isinstance(value, datetime):  # the usual case first: one occurrence
        require_aware(value, f"events.{name}")
        return (value,)
    raw: tuple[object, ...] = (
        tuple(value)
        if isinstance(value, Sequence) and not isinstance(value, str | bytes)
        else (value,)
    )
    times: list[datetime] = []
    for ts in raw:
        if not isinstance(ts, datetime):
            # The value is not repeated: it may be anything a person typed.
            raise ArgumentError(
                "bad-timestamp", f"events.{name}", "give a datetime or a sequence of datetimes"
            )
        require_aware(ts, f"events.{name}")
        times.append(ts)
    return tuple(times)


def _kinds_of(clocks: Mapping[str, ClockPolicy]) -> Mapping[str, LimitKind]:
    """The kind of every limit a clock of these policies can carry, by its English text
    (prefixed as in :func:`_texts_of`), and :attr:`LimitKind.NONE` by the basis of each
    variant with no fixed limit (its clocks carry no limit text)."""
    kinds: dict[str, LimitKind] = {}
    for policy in clocks.values():
        for version in policy.versions:
            for variant in version.variants:
                text = variant.limit.text
                if text is None:
                    kinds.setdefault(basis_label(version, variant).en, variant.limit.kind)
                else:
                    kinds.setdefault(_LIMIT_KEY + text, variant.limit.kind)
    return MappingProxyType(kinds)
