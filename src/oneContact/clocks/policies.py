"""Care-guarantee clocks: the Finnish working-day calendar, policies with effective dates,
and due-date arithmetic.

The law lives in ``rules/policies/*.yaml`` (see docs/reference/policies.md); this module
only counts. A clock's due date follows the policy version in force on the local
(Europe/Helsinki) date the clock starts, so a past contact replays with the law of its day.

Regional targets (``rules/policies/regions/<region>.yaml``) overlay the statute: a region
the caller selects (``Policies.from_directory(path, region=...)``; none by default) fills a
clock's ``target_due_date`` beside its statutory ``due_date``. A clock with the switch
``declined_ends_clock`` ends as ``declined`` when the client declines a time offered
within the limit (docs/explanation/how-clocks-count.md).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import attrs

from ._calendar import YearTable, add_months, finnish_closed_days
from ._messages import label as message_label
from ._messages import limit_label
from ._text import LANGUAGES, Label, Untranslated, read_text
from ._yaml import Located, item_position, key_position, load_yaml, position, value_position
from .errors import RuleError, RuleProblem, did_you_mean

__all__ = [
    "HELSINKI",
    "REGIONS_DIRECTORY",
    "STANDARD_EVENTS",
    "Calendar",
    "Clock",
    "ClockSubject",
    "Judged",
    "Policies",
    "local_date",
    "local_day_of",
    "micros",
]

HELSINKI = ZoneInfo("Europe/Helsinki")

STANDARD_EVENTS: tuple[str, ...] = (
    "contact_received",
    "contact_answered",
    "need_assessed",
    "referral_received",
    "decision_made",
    "care_offered",
    "offer_declined",
    "care_started",
    "service_started",
    "assessment_completed",
    "withdrawn",
)
"""Events every clock may start or stop on; a policy file may declare more."""

_CONTACT_RECEIVED = "contact_received"
_CARE_OFFERED = "care_offered"
_OFFER_DECLINED = "offer_declined"

REGIONS_DIRECTORY = "regions"
"""The subdirectory of a policies directory that holds the regional target files."""


def _require_aware(name: str, ts: datetime) -> None:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(
            f"{name} is a naive datetime ({ts.isoformat()}); give it a time zone, "
            "e.g. datetime(..., tzinfo=ZoneInfo('Europe/Helsinki')) or UTC"
        )


def local_date(ts: datetime) -> date:
    """The Europe/Helsinki calendar date of the instant *ts* (which must be tz-aware)."""
    _require_aware("timestamp", ts)
    return ts.astimezone(HELSINKI).date()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_HOUR_US = 3_600_000_000


def micros(ts: datetime) -> int:
    """The instant *ts* (tz-aware) as integer microseconds since 1970-01-01 UTC: how the
    ledger stores time."""
    return (ts - _EPOCH) // _MICROSECOND


_DAY_US = 86_400_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


# Helsinki's UTC offset in microseconds per UTC hour (hours since the epoch), filled on
# first use: DST switches on the hour, so every instant of an hour shares one offset.
_OFFSETS: dict[int, int] = {}


def _offset_of(us: int) -> int:
    """Helsinki's UTC offset in microseconds at the instant *us*; fills ``_OFFSETS``."""
    hour = us // _HOUR_US
    first = (_EPOCH + timedelta(hours=hour)).astimezone(HELSINKI).utcoffset()
    last = (_EPOCH + timedelta(hours=hour + 1) - _MICROSECOND).astimezone(HELSINKI).utcoffset()
    exact = (_EPOCH + timedelta(microseconds=us)).astimezone(HELSINKI).utcoffset()
    assert exact is not None  # a ZoneInfo always has an offset
    if first == last:  # the usual case (always since 1921): keep it for the hour
        if len(_OFFSETS) >= _OFFSETS_KEPT:
            _OFFSETS.clear()
        _OFFSETS[hour] = exact // _MICROSECOND
    return exact // _MICROSECOND


_OFFSETS_KEPT = 1_000_000  # about 114 years of hours: bounded memory


@functools.lru_cache(maxsize=65_536)
def _day_of(index: int) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + index)


def _local_wall_us(us: int) -> int:
    """The Europe/Helsinki wall-clock time of the instant *us*, as microseconds since
    1970-01-01 00:00 local: one table lookup per UTC hour, no time-zone conversion."""
    offset = _OFFSETS.get(us // _HOUR_US)
    return us + (_offset_of(us) if offset is None else offset)


def local_day_of(us: int) -> date:
    """The Europe/Helsinki day of the instant *us* (microseconds since 1970-01-01 UTC, as
    :func:`micros` gives): exactly ``local_date`` of that instant, without building a
    datetime."""
    return _day_of(_local_wall_us(us) // _DAY_US)


# --------------------------------------------------------------------------- calendar


@attrs.frozen(eq=False, repr=False)
class Calendar:
    """Finnish working-day calendar: weekday = Mon-Fri except FI public holidays,
    Christmas Eve, Midsummer Eve.

    Build it with :meth:`finnish`. A calendar with other days off can be made from
    *closed_days*, a function giving the holidays of a year (Saturdays and Sundays are off
    anyway). Each year is tabulated once, on first use, and kept.
    """

    _closed_days: Callable[[int], frozenset[date]]
    _name: str = attrs.field(default="custom", kw_only=True)
    _years: dict[int, YearTable] = attrs.field(init=False, factory=dict)

    @classmethod
    def finnish(cls) -> Calendar:
        """The calendar of Finland, from the holidays package; one shared instance."""
        return _finnish_calendar()

    def _table(self, year: int) -> YearTable:
        table = self._years.get(year)
        if table is None:
            # Two threads may build the same year; both results are equal and setdefault
            # keeps one, so no lock is needed.
            table = self._years.setdefault(year, YearTable.build(year, self._closed_days(year)))
        return table

    def is_weekday(self, day: date) -> bool:
        """Whether *day* is a weekday (arkipäivä)."""
        table = self._table(day.year)
        return table.flags[day.toordinal() - table.first] == 1

    def next_weekday(self, day: date) -> date:
        """*day* itself when it is a weekday, else the next weekday."""
        return day if self.is_weekday(day) else self.add_weekdays(day, 1)

    def add_weekdays(self, day: date, n: int) -> date:
        """The *n*-th weekday after *day*; *day* itself is not counted (0 gives *day*)."""
        if n < 0:
            raise ValueError(f"add_weekdays counts forward only; got n={n}")
        if n == 0:
            return day
        table = self._table(day.year)
        index = table.through[day.toordinal() - table.first] + n
        while index > len(table.weekdays):
            index -= len(table.weekdays)
            table = self._table(table.year + 1)
        return date.fromordinal(table.weekdays[index - 1])

    def add_days(self, day: date, n: int) -> date:
        """*n* calendar days after *day* (vrk)."""
        return day + timedelta(days=n)

    def add_months(self, day: date, n: int) -> date:
        """The same date number *n* months later, or that month's last day."""
        return add_months(day, n)

    def weekdays_between(self, start: date, end: date) -> int:
        """Weekdays in (start, end]; negative (minus those in (end, start]) if end < start."""
        if end < start:
            return -self.weekdays_between(end, start)
        first, last = self._table(start.year), self._table(end.year)
        before = first.through[start.toordinal() - first.first]
        upto = last.through[end.toordinal() - last.first]
        between = sum(len(self._table(year).weekdays) for year in range(start.year, end.year))
        return between + upto - before

    def __repr__(self) -> str:
        return f"<Calendar {self._name}>"


@functools.cache
def _finnish_calendar() -> Calendar:
    return Calendar(finnish_closed_days, name="FI")


# --------------------------------------------------------------------------- values


def _check_age(_instance: object, _attribute: object, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not 0 <= value <= 150):
        raise ValueError(f"age must be a whole number of years from 0 to 150, got {value!r}")


@attrs.frozen
class ClockSubject:
    """What a policy needs to know of the client, without personal data."""

    age: int | None = attrs.field(default=None, validator=_check_age)
    """Age as given at contact, used when there is no birth date."""
    birth_date: date | None = attrs.field(default=None, repr=False)
    """When given, the age is taken on the day the clock starts (never shown in a repr)."""
    highest_care_allowance: bool = False
    special_support_child: bool = False

    def age_on(self, day: date) -> int | None:
        """Age in whole years on *day*, from the birth date when there is one.

        A 29 February birthday counts on 1 March in common years. A birth date after *day*
        (a child not yet born when, say, a maternity clinic was contacted) gives 0.
        """
        if self.birth_date is None:
            return self.age
        born = self.birth_date
        years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        return max(years, 0)


_STATUSES = ("not_started", "open", "met", "breached", "declined")


@attrs.frozen(repr=False)
class Clock:
    """One care-guarantee clock of one contact, as of ``now``."""

    clock: str
    starts_on: str
    stops_on: tuple[str, ...]
    starts_at: datetime | None
    due_date: date | None
    limit: str | None
    basis: str
    status: str  # one of _STATUSES; set only by this module
    stopped_at: datetime | None
    target_due_date: date | None = None
    """A regional target's due date (stricter than the law), when a region sets one."""
    target_basis: str | None = None
    """Where the regional target comes from, e.g. the region's decision."""
    person: str | None = None
    """Whose right the clock follows: the id of a person of the questionnaire (e.g.
    ``"child"``) when a rule started it ``for`` them, None for the client's own."""
    basis_text: Label | None = attrs.field(default=None, eq=False)
    """``basis`` in Finnish, Swedish and English (None for a Clock made by hand)."""
    limit_text: Label | None = attrs.field(default=None, eq=False)
    """``limit`` in Finnish, Swedish and English, e.g. "7 arkipäivää"."""
    target_basis_text: Label | None = attrs.field(default=None, eq=False)
    """``target_basis`` in Finnish, Swedish and English."""

    def basis_in(self, language: str) -> str:
        """The legal basis in *language* (fi, sv or en); English when not translated."""
        return self.basis if self.basis_text is None else self.basis_text.get(language)

    def limit_in(self, language: str) -> str | None:
        """The limit in words in *language*, e.g. "7 vardagar"; None without a limit."""
        if self.limit_text is None:
            return self.limit
        return self.limit_text.get(language)

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: dates as YYYY-MM-DD, times as ISO 8601 strings; ``for`` is
        the person whose right the clock follows (null: the client)."""
        return {
            "clock": self.clock,
            "for": self.person,
            "starts_on": self.starts_on,
            "starts_at": None if self.starts_at is None else self.starts_at.isoformat(),
            "due_date": None if self.due_date is None else self.due_date.isoformat(),
            "limit": self.limit,
            "basis": self.basis,
            "status": self.status,
            "stopped_at": None if self.stopped_at is None else self.stopped_at.isoformat(),
            "target_due_date": (
                None if self.target_due_date is None else self.target_due_date.isoformat()
            ),
        }

    def __repr__(self) -> str:
        due = f" due {self.due_date}" if self.due_date is not None else ""
        person = f" for {self.person}" if self.person is not None else ""
        return f"<Clock {self.clock!r}{person} {self.status}{due}>"


# --------------------------------------------------------------------------- policy model


@attrs.frozen
class _OfficeHours:
    start: time
    end: time


_COUNTED = ("weekdays", "days", "weeks", "months")
_LIMIT_KINDS = (*_COUNTED, "same_day", "none")


@attrs.frozen(cache_hash=True)
class _Limit:
    kind: str  # one of _LIMIT_KINDS
    amount: int = 0
    office_hours: _OfficeHours | None = None
    reason: Label | None = None  # why there is no limit, for kind "none"

    @property
    def label(self) -> Label | None:
        """The limit in words in each language; None for kind ``none``."""
        hours = self.office_hours
        return limit_label(
            self.kind, self.amount, None if hours is None else (hours.start, hours.end)
        )

    @property
    def text(self) -> str | None:
        """The limit in English words: the ``limit`` of the JSON contract."""
        found = self.label
        return None if found is None else found.en

    def due(self, local: datetime, calendar: Calendar, *, roll: bool) -> date | None:
        """Due date for a clock that started at *local* (a Europe/Helsinki datetime)."""
        hours = self.office_hours
        # Only a same-day limit reads the time of day; everything else is a function of the
        # start day, which every contact of that day shares: look it up once.
        in_hours = hours is not None and self.kind == "same_day" and local.time() < hours.end
        return _due_on(self, local.date(), in_hours, calendar, roll)

    def _due(self, day: date, in_hours: bool, calendar: Calendar, roll: bool) -> date | None:
        kind = self.kind
        if kind == "none":
            return None
        if kind == "weekdays":
            # The n-th weekday is a weekday already: nothing to roll.
            return calendar.add_weekdays(day, self.amount)
        if kind == "same_day":
            hours = self.office_hours
            if hours is not None:
                # Before office hours the clock counts from their start the same day; at or
                # after their end, or on a day off, from the next weekday's office hours.
                if calendar.is_weekday(day) and in_hours:
                    return day
                return calendar.add_weekdays(day, 1)
            due = day
        elif kind == "days":
            due = calendar.add_days(day, self.amount)
        elif kind == "weeks":
            due = calendar.add_days(day, 7 * self.amount)
        else:
            due = calendar.add_months(day, self.amount)
        return calendar.next_weekday(due) if roll else due


@functools.lru_cache(maxsize=65_536)
def _due_on(
    limit: _Limit, day: date, in_hours: bool, calendar: Calendar, roll: bool
) -> date | None:
    return limit._due(day, in_hours, calendar, roll)  # the cache behind _Limit.due


@attrs.frozen
class _Flag:
    name: str

    def holds(self, subject: ClockSubject, age: int | None) -> bool:
        if self.name == "highest_care_allowance":
            return subject.highest_care_allowance
        return subject.special_support_child


@attrs.frozen
class _AgeBelow:
    years: int

    def holds(self, subject: ClockSubject, age: int | None) -> bool:
        return age is not None and age < self.years


@attrs.frozen
class _AgeAtLeast:
    years: int

    def holds(self, subject: ClockSubject, age: int | None) -> bool:
        return age is not None and age >= self.years


@attrs.frozen
class _AnyOf:
    conditions: tuple[_Condition, ...]

    def holds(self, subject: ClockSubject, age: int | None) -> bool:
        return any(c.holds(subject, age) for c in self.conditions)


@attrs.frozen
class _AllOf:
    conditions: tuple[_Condition, ...]

    def holds(self, subject: ClockSubject, age: int | None) -> bool:
        return all(c.holds(subject, age) for c in self.conditions)


@attrs.frozen
class _Otherwise:
    def holds(self, subject: ClockSubject, age: int | None) -> bool:
        return True


_Condition = _Flag | _AgeBelow | _AgeAtLeast | _AnyOf | _AllOf | _Otherwise
_FLAGS = ("highest_care_allowance", "special_support_child")


@attrs.frozen
class _Variant:
    condition: _Condition
    limit: _Limit
    note: Label | None = None


def _basis_label(version: _Version, variant: _Variant) -> Label:
    """The basis a clock under *variant* carries, in each language: the version's basis,
    the variant's note and a ``none`` limit's reason, joined with "; "."""
    parts = [p for p in (version.basis, variant.note, variant.limit.reason) if p]
    return Label(*("; ".join(p.get(lang) for p in parts) for lang in LANGUAGES))


def _resolve(version: _Version) -> tuple[tuple[_Condition, _Limit, str | None, str], ...]:
    # Texts are joined once at load, not on every assessment.
    return tuple(
        (
            v.condition,
            v.limit,
            v.limit.text,
            _basis_label(version, v).en,
        )
        for v in version.variants
    )


@attrs.frozen
class _Span:
    """When a version is in force: inclusive local dates, None for an open end."""

    valid_from: date | None
    valid_until: date | None
    line: int | None

    def in_force(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    def sort_key(self) -> date:
        return self.valid_from or date.min

    def __str__(self) -> str:
        start = "the beginning" if self.valid_from is None else str(self.valid_from)
        end = "no end" if self.valid_until is None else str(self.valid_until)
        return f"{start} to {end}"


@attrs.frozen
class _Version:
    span: _Span
    basis: Label
    variants: tuple[_Variant, ...]  # the last one always holds
    roll_to_weekday: bool
    # (condition, limit, limit text, basis) per variant, in order.
    resolved: tuple[tuple[_Condition, _Limit, str | None, str], ...] = attrs.field(
        init=False, default=attrs.Factory(_resolve, takes_self=True), repr=False
    )


def _version_on(versions: Sequence[_Version], day: date) -> _Version | None:
    for version in versions:
        if version.span.in_force(day):
            return version
    return None


@attrs.frozen
class _ClockPolicy:
    id: str
    starts_on: str
    stops_on: tuple[str, ...]
    versions: tuple[_Version, ...]
    path: Path
    line: int | None
    declined_ends_clock: bool = False
    treatment: bool = False
    description: Label | None = None

    def version_on(self, day: date) -> _Version | None:
        return _version_on(self.versions, day)


@attrs.frozen
class _Target:
    """A region's target for one statutory clock: versions like the clock's own."""

    clock: str
    versions: tuple[_Version, ...]
    path: Path
    line: int | None

    def version_on(self, day: date) -> _Version | None:
        return _version_on(self.versions, day)


@attrs.frozen
class _Region:
    id: str
    name: str
    path: Path
    targets: Mapping[str, _Target]
    language_rights: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- loading

_ID = re.compile(r"[a-z0-9][a-z0-9_]*\Z")
_FILE_KEYS = ("clocks", "events")
_CLOCK_KEYS = (
    "id",
    "description",
    "starts_on",
    "stops_on",
    "roll_to_weekday",
    "declined_ends_clock",
    "treatment",
    "versions",
)
_REGION_KEYS = ("name", "description", "targets", "language_rights")
_LANGUAGE_CODE = re.compile(r"[a-z]{2}\Z")
_TARGET_KEYS = ("clock", "description", "roll_to_weekday", "versions")
_REGION_ID = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_VERSION_KEYS = ("valid_from", "valid_until", "basis", "limit", "variants", "roll_to_weekday")
_VARIANT_KEYS = ("when", "otherwise", "limit", "note")
_CONDITION_KEYS = ("age_below", "age_at_least", "any_of", "all_of")
_SAME_DAY_KEYS = ("office_hours",)
_HOURS_KEYS = ("start", "end")
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])\Z")
_LIMIT_FORMS = (
    "{weekdays: N}, {days: N}, {weeks: N}, {months: N}, "
    '{same_day: {office_hours: {start: "08:00", end: "16:00"}}} or {none: "reason"}'
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Loader:
    """Reads policy files, collecting every problem rather than stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[RuleProblem] = []
        self.clocks: dict[str, _ClockPolicy] = {}
        self.seen: dict[str, str] = {}  # clock id -> where first defined, valid or not
        self.declared: set[str] = set()
        self.references: list[tuple[str, str, Path, Located]] = []  # event, clock, where
        self.regions: dict[str, _Region] = {}
        self.region_files: dict[str, Path] = {}  # every region file found, valid or not
        self.untranslated: list[Untranslated] = []  # texts lacking fi, sv or en

    def translated(self, found: Label, path: Path, where: Located, what: str) -> Label:
        """Note *found* when it lacks a language (``onecontact check`` may refuse it)."""
        if not found.complete:
            self.untranslated.append(Untranslated(path, where[0], where[1], what, found))
        return found

    # -- reporting

    def problem(
        self,
        code: str,
        message: str,
        path: Path,
        where: Located,
        *,
        suggestion: str | None = None,
    ) -> None:
        line, column = where
        self.problems.append(
            RuleProblem(code, message, path=path, line=line, column=column, suggestion=suggestion)
        )

    def check_keys(
        self, mapping: Mapping[Any, Any], allowed: Sequence[str], path: Path, what: str
    ) -> None:
        for key in mapping:
            if key not in allowed:
                self.problem(
                    "policy-unknown-key",
                    f"unknown key {str(key)!r} in {what}; allowed keys: {', '.join(allowed)}",
                    path,
                    key_position(mapping, key),
                    suggestion=did_you_mean(str(key), allowed),
                )

    def required(
        self,
        mapping: Mapping[Any, Any],
        key: str,
        path: Path,
        what: str,
        allowed: Sequence[str],
    ) -> object | None:
        if key not in mapping:
            # A misspelt key was reported as unknown, with this key as the suggestion;
            # saying again that the key is missing would only add noise.
            misspelt = any(
                did_you_mean(str(k), allowed) == key for k in mapping if k not in allowed
            )
            if not misspelt:
                self.problem("policy-missing-key", f"{what} needs {key!r}", path, position(mapping))
            return None
        value: object = mapping[key]
        if value is None:
            self.problem(
                "policy-bad-value", f"{what}: {key!r} is empty", path, key_position(mapping, key)
            )
        return value

    # -- files

    def read_mapping(self, path: Path, shape: str) -> Mapping[str, Any] | None:
        """The YAML mapping in *path*, or None after reporting why it is not one."""
        try:
            data = load_yaml(path)
        except RuleError as exc:
            self.problems.extend(exc.problems)
            return None
        if not isinstance(data, Mapping):
            self.problem(
                "policy-bad-file",
                shape,
                path,
                position(data) if data is not None else (1, 1),
            )
            return None
        return data

    def read_file(self, path: Path) -> None:
        data = self.read_mapping(
            path, "a policy file is a mapping with 'clocks:' (and optionally 'events:')"
        )
        if data is None:
            return
        self.check_keys(data, _FILE_KEYS, path, "a policy file")
        events = data.get("events", [])
        if not isinstance(events, list):
            self.problem(
                "policy-bad-value",
                "'events' is a list of extra event names",
                path,
                value_position(data, "events"),
            )
        else:
            for index, name in enumerate(events):
                if self.identifier(name, path, item_position(events, index), "an event name"):
                    self.declared.add(name)
        clocks = self.required(data, "clocks", path, "a policy file", _FILE_KEYS)
        if clocks is None:
            return
        if not isinstance(clocks, list):
            self.problem(
                "policy-bad-value",
                "'clocks' is a list of clocks, each starting with '- id:'",
                path,
                value_position(data, "clocks"),
            )
            return
        for index, item in enumerate(clocks):
            self.read_clock(item, path, item_position(clocks, index))

    def identifier(self, value: object, path: Path, where: Located, what: str) -> bool:
        if isinstance(value, str) and _ID.match(value):
            return True
        self.problem(
            "policy-bad-id",
            f"{what} must be lower case letters, digits and '_' "
            f"(like 'need_assessed'), got {value!r}",
            path,
            where,
        )
        return False

    def event(self, value: object, clock: str, path: Path, where: Located) -> str | None:
        if not self.identifier(value, path, where, "an event name"):
            return None
        assert isinstance(value, str)  # identifier() checked it
        self.references.append((value, clock, path, where))
        return value

    def flag(self, mapping: Mapping[Any, Any], key: str, path: Path, *, default: bool) -> bool:
        value = mapping.get(key, default)
        if isinstance(value, bool):
            return value
        self.problem(
            "policy-bad-value",
            f"{key!r} is true or false, got {value!r}",
            path,
            value_position(mapping, key),
        )
        return default

    # -- clocks

    def text(self, mapping: Mapping[Any, Any], key: str, path: Path, what: str) -> bool | None:
        """Check an optional text under *key*: None when absent, else whether it is text
        (a string, or ``{fi, sv, en}`` strings)."""
        if mapping.get(key) is None:
            return None
        found = read_text(mapping[key])
        if found is None:
            self.problem(
                "policy-bad-value",
                f"{what}: {key!r} is text, or the same text in each language: "
                "{fi: ..., sv: ..., en: ...}",
                path,
                value_position(mapping, key),
            )
            return False
        self.translated(found, path, value_position(mapping, key), f"the {key} of {what}")
        return True

    def read_clock(self, item: object, path: Path, where: Located) -> None:
        if not isinstance(item, Mapping):
            self.problem(
                "policy-bad-value",
                "each clock is a mapping starting with '- id:'",
                path,
                where,
            )
            return
        self.check_keys(item, _CLOCK_KEYS, path, "a clock")
        ok = True
        clock_id = self.required(item, "id", path, "a clock", _CLOCK_KEYS)
        if clock_id is None or not self.identifier(
            clock_id, path, value_position(item, "id"), "a clock id"
        ):
            ok = False
            clock_id = "?"
        name = str(clock_id)
        what = f"clock {name!r}"
        description = (
            read_text(item["description"]) if self.text(item, "description", path, what) else None
        )
        starts_on = None
        if (raw_start := self.required(item, "starts_on", path, what, _CLOCK_KEYS)) is not None:
            starts_on = self.event(raw_start, name, path, value_position(item, "starts_on"))
        stops_on: list[str] = []
        raw_stops = self.required(item, "stops_on", path, what, _CLOCK_KEYS)
        if raw_stops is not None:
            if not isinstance(raw_stops, list) or not raw_stops:
                self.problem(
                    "policy-bad-value",
                    f"{what}: 'stops_on' is a non-empty list of event names, e.g. [need_assessed]",
                    path,
                    value_position(item, "stops_on"),
                )
                ok = False
            else:
                for index, raw in enumerate(raw_stops):
                    where_stop = item_position(raw_stops, index)
                    stop = self.event(raw, name, path, where_stop)
                    if stop is None:
                        ok = False
                    elif stop == starts_on:
                        self.problem(
                            "policy-bad-value",
                            f"{what}: {stop!r} both starts and stops the clock",
                            path,
                            where_stop,
                        )
                        ok = False
                    else:
                        stops_on.append(stop)
        roll = self.flag(item, "roll_to_weekday", path, default=True)
        declined = self.flag(item, "declined_ends_clock", path, default=False)
        treatment = self.flag(item, "treatment", path, default=False)
        versions = self.read_versions(item, path, what, roll, _CLOCK_KEYS)
        if starts_on is None or raw_stops is None or versions is None:
            ok = False
        if clock_id != "?":
            first = self.seen.setdefault(name, f"{path}:{where[0]}")
            if first != f"{path}:{where[0]}":
                self.problem(
                    "policy-duplicate-clock",
                    f"{what} is already defined at {first}; give one of them another id",
                    path,
                    value_position(item, "id"),
                )
                return
        if not ok or starts_on is None or versions is None:
            return
        self.clocks[name] = _ClockPolicy(
            name,
            starts_on,
            tuple(stops_on),
            versions,
            path,
            where[0],
            declined_ends_clock=declined,
            treatment=treatment,
            description=description,
        )

    def read_versions(
        self,
        item: Mapping[Any, Any],
        path: Path,
        what: str,
        roll: bool,
        allowed: Sequence[str],
    ) -> tuple[_Version, ...] | None:
        """The 'versions' of a clock or a regional target, sorted by start; None when
        any is wrong (each problem reported)."""
        raw_versions = self.required(item, "versions", path, what, allowed)
        if raw_versions is None:
            return None
        if not isinstance(raw_versions, list) or not raw_versions:
            self.problem(
                "policy-bad-value",
                f"{what}: 'versions' is a non-empty list, each with 'basis' and "
                "'limit' or 'variants'",
                path,
                value_position(item, "versions"),
            )
            return None
        ok = True
        versions: list[_Version] = []
        spans: list[_Span] = []
        for index, raw in enumerate(raw_versions):
            span, version = self.read_version(
                raw, path, item_position(raw_versions, index), what, roll
            )
            if span is not None:
                spans.append(span)
            if version is None:
                ok = False
            else:
                versions.append(version)
        self.check_overlaps(spans, path, what)
        if not ok:
            return None
        versions.sort(key=lambda v: v.span.sort_key())
        return tuple(versions)

    def check_overlaps(self, spans: Sequence[_Span], path: Path, what: str) -> None:
        latest: _Span | None = None  # the span reaching furthest so far
        for version in sorted(spans, key=_Span.sort_key):
            if latest is not None and (
                latest.valid_until is None
                or version.valid_from is None
                or version.valid_from <= latest.valid_until
            ):
                self.problem(
                    "policy-overlap",
                    f"{what}: the version in force {version} overlaps the version "
                    f"at line {latest.line} (in force {latest}); "
                    "end one the day before the other starts",
                    path,
                    (version.line, None),
                )
            if latest is None or (
                latest.valid_until is not None
                and (version.valid_until is None or version.valid_until > latest.valid_until)
            ):
                latest = version

    def read_date(self, mapping: Mapping[Any, Any], key: str, path: Path) -> date | None:
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(
            "policy-bad-value",
            f"{key!r} is a date like 2025-01-01, got {value!r}",
            path,
            value_position(mapping, key),
        )
        return None

    def read_version(
        self, item: object, path: Path, where: Located, what: str, roll: bool
    ) -> tuple[_Span | None, _Version | None]:
        """The version's span (when its dates are valid) and the version (when all is)."""
        if not isinstance(item, Mapping):
            self.problem(
                "policy-bad-value",
                f"{what}: each version is a mapping with 'basis' and 'limit' or 'variants'",
                path,
                where,
            )
            return None, None
        self.check_keys(item, _VERSION_KEYS, path, f"a version of {what}")
        ok = True
        valid_from = self.read_date(item, "valid_from", path)
        valid_until = self.read_date(item, "valid_until", path)
        span: _Span | None = _Span(valid_from, valid_until, where[0])
        if (item.get("valid_from") is not None and valid_from is None) or (
            item.get("valid_until") is not None and valid_until is None
        ):
            ok, span = False, None
        elif valid_from is not None and valid_until is not None and valid_from > valid_until:
            self.problem(
                "policy-bad-dates",
                f"{what}: valid_from {valid_from} is after valid_until {valid_until}",
                path,
                key_position(item, "valid_until"),
            )
            ok, span = False, None
        basis: Label | None = None
        if self.required(item, "basis", path, f"a version of {what}", _VERSION_KEYS) is not None:
            basis = read_text(item["basis"])
            if basis is None:
                self.problem(
                    "policy-bad-value",
                    f"{what}: 'basis' is the legal basis as text, e.g. "
                    "'Terveydenhuoltolaki 1326/2010 § 51', or the same in each language: "
                    "{fi: ..., sv: ..., en: ...}",
                    path,
                    value_position(item, "basis"),
                )
                ok = False
            else:
                self.translated(basis, path, value_position(item, "basis"), f"the basis of {what}")
        roll_here = self.flag(item, "roll_to_weekday", path, default=roll)
        variants: tuple[_Variant, ...] | None = None
        if ("limit" in item) == ("variants" in item):
            self.problem(
                "policy-bad-version",
                f"{what}: a version has either 'limit' or 'variants', not "
                + ("both" if "limit" in item else "neither"),
                path,
                where,
            )
            ok = False
        elif "limit" in item:
            limit = self.read_limit(item, "limit", path, what)
            variants = None if limit is None else (_Variant(_Otherwise(), limit),)
        else:
            variants = self.read_variants(item, path, what)
        if not ok or span is None or variants is None or basis is None:
            return span, None
        return span, _Version(span, basis, variants, roll_here)

    # -- limits and variants

    def read_limit(
        self, mapping: Mapping[Any, Any], key: str, path: Path, what: str
    ) -> _Limit | None:
        value = mapping[key]
        where = value_position(mapping, key)
        if not isinstance(value, Mapping) or len(value) != 1:
            suggestion = did_you_mean(value, _LIMIT_KINDS) if isinstance(value, str) else None
            self.problem(
                "policy-bad-limit",
                f"{what}: a limit is one of {_LIMIT_FORMS}; got {value!r}",
                path,
                where,
                suggestion=suggestion,
            )
            return None
        ((kind, arg),) = value.items()
        where = key_position(value, kind)
        if kind not in _LIMIT_KINDS:
            self.problem(
                "policy-bad-limit",
                f"{what}: unknown limit {str(kind)!r}; a limit is one of {_LIMIT_FORMS}",
                path,
                where,
                suggestion=did_you_mean(str(kind), _LIMIT_KINDS),
            )
            return None
        arg_where = value_position(value, kind)
        if kind in _COUNTED:
            if not _is_int(arg) or arg < 1:
                self.problem(
                    "policy-bad-limit",
                    f"{what}: {kind} must be a whole number of at least 1, got {arg!r}",
                    path,
                    arg_where,
                )
                return None
            return _Limit(kind, amount=arg)
        if kind == "none":
            reason = read_text(arg)
            if reason is None:
                self.problem(
                    "policy-bad-limit",
                    f"{what}: 'none' needs the reason there is no fixed limit, e.g. "
                    '{none: "without delay; no fixed day in law"} (or the reason in each '
                    "language: {fi: ..., sv: ..., en: ...})",
                    path,
                    arg_where,
                )
                return None
            self.translated(reason, path, arg_where, f"the reason for no limit of {what}")
            return _Limit("none", reason=reason)
        return self.read_same_day(arg, path, arg_where, what)

    def read_same_day(self, arg: object, path: Path, where: Located, what: str) -> _Limit | None:
        if arg is None:
            return _Limit("same_day")
        if not isinstance(arg, Mapping):
            self.problem(
                "policy-bad-limit",
                f"{what}: same_day takes {{}} or {{office_hours: {{start: ..., end: ...}}}}",
                path,
                where,
            )
            return None
        self.check_keys(arg, _SAME_DAY_KEYS, path, f"{what}: same_day")
        hours = arg.get("office_hours")
        if hours is None:
            return _Limit("same_day")
        hours_where = value_position(arg, "office_hours")
        if not isinstance(hours, Mapping) or set(hours) != set(_HOURS_KEYS):
            self.check_keys(hours if isinstance(hours, Mapping) else {}, _HOURS_KEYS, path, what)
            self.problem(
                "policy-bad-limit",
                f'{what}: office_hours is {{start: "08:00", end: "16:00"}}',
                path,
                hours_where,
            )
            return None
        times: list[time] = []
        for key in _HOURS_KEYS:
            raw = hours[key]
            match = _HHMM.match(raw) if isinstance(raw, str) else None
            if match is None:
                self.problem(
                    "policy-bad-limit",
                    f'{what}: office_hours {key} is a quoted 24-hour time like "08:00", '
                    f"got {raw!r}",
                    path,
                    value_position(hours, key),
                )
                return None
            times.append(time(int(match[1]), int(match[2])))
        start, end = times
        if start >= end:
            self.problem(
                "policy-bad-limit",
                f"{what}: office hours end ({end:%H:%M}) must be after their start ({start:%H:%M})",
                path,
                hours_where,
            )
            return None
        return _Limit("same_day", office_hours=_OfficeHours(start, end))

    def read_variants(
        self, mapping: Mapping[Any, Any], path: Path, what: str
    ) -> tuple[_Variant, ...] | None:
        raw = mapping["variants"]
        if not isinstance(raw, list) or not raw:
            self.problem(
                "policy-bad-value",
                f"{what}: 'variants' is a non-empty list ending with an 'otherwise: true' entry",
                path,
                value_position(mapping, "variants"),
            )
            return None
        variants: list[_Variant] = []
        ok = True
        otherwise_at: int | None = None
        for index, item in enumerate(raw):
            where = item_position(raw, index)
            if not isinstance(item, Mapping):
                self.problem(
                    "policy-bad-variant",
                    f"{what}: each variant is a mapping with 'when' (or 'otherwise: true') "
                    "and 'limit'",
                    path,
                    where,
                )
                ok = False
                continue
            self.check_keys(item, _VARIANT_KEYS, path, f"a variant of {what}")
            condition: _Condition | None = None
            if ("when" in item) == ("otherwise" in item):
                self.problem(
                    "policy-bad-variant",
                    f"{what}: a variant has either 'when' or 'otherwise: true', not "
                    + ("both" if "when" in item else "neither"),
                    path,
                    where,
                )
            elif "otherwise" in item:
                if item["otherwise"] is not True:
                    self.problem(
                        "policy-bad-variant",
                        f"{what}: write 'otherwise: true'",
                        path,
                        value_position(item, "otherwise"),
                    )
                else:
                    condition = _Otherwise()
                    if otherwise_at is None:
                        otherwise_at = index
            else:
                condition = self.read_condition(
                    item["when"], path, value_position(item, "when"), what
                )
            limit = self.required(item, "limit", path, f"a variant of {what}", _VARIANT_KEYS)
            if limit is not None:
                limit = self.read_limit(item, "limit", path, what)
            note: Label | None = None
            if item.get("note") is not None:
                note = read_text(item["note"])
                if note is None:
                    self.problem(
                        "policy-bad-value",
                        f"{what}: a variant's 'note' is text, or the same text in each "
                        "language: {fi: ..., sv: ..., en: ...}",
                        path,
                        value_position(item, "note"),
                    )
                    ok = False
                else:
                    self.translated(
                        note, path, value_position(item, "note"), f"a variant's note of {what}"
                    )
            if condition is None or not isinstance(limit, _Limit):
                ok = False
                continue
            variants.append(_Variant(condition, limit, note))
        if otherwise_at is None:
            self.problem(
                "policy-no-otherwise",
                f"{what}: variants must end with an 'otherwise: true' entry, so that every "
                "client (also one whose age is unknown) gets a limit or a reason for none",
                path,
                key_position(mapping, "variants"),
            )
            return None
        if otherwise_at != len(raw) - 1:
            self.problem(
                "policy-bad-variant",
                f"{what}: variants after 'otherwise' can never apply; make 'otherwise' last",
                path,
                item_position(raw, otherwise_at + 1),
            )
            return None
        return tuple(variants) if ok else None

    def read_condition(
        self, node: object, path: Path, where: Located, what: str
    ) -> _Condition | None:
        choices = (*_FLAGS, *_CONDITION_KEYS)
        if isinstance(node, str):
            if node in _FLAGS:
                return _Flag(node)
            self.problem(
                "policy-bad-condition",
                f"{what}: unknown condition {node!r}; use {', '.join(_FLAGS)}, "
                "{age_below: N}, {age_at_least: N}, {any_of: [...]} or {all_of: [...]}",
                path,
                where,
                suggestion=did_you_mean(node, choices),
            )
            return None
        if not isinstance(node, Mapping) or len(node) != 1:
            self.problem(
                "policy-bad-condition",
                f"{what}: a condition is a flag name or a one-key mapping such as "
                f"{{age_at_least: 75}}; got {node!r}",
                path,
                where,
            )
            return None
        ((key, arg),) = node.items()
        arg_where = value_position(node, key)
        if key in ("age_below", "age_at_least"):
            if not _is_int(arg) or not 0 <= arg <= 150:
                self.problem(
                    "policy-bad-condition",
                    f"{what}: {key} takes a whole number of years, got {arg!r}",
                    path,
                    arg_where,
                )
                return None
            return _AgeBelow(arg) if key == "age_below" else _AgeAtLeast(arg)
        if key in ("any_of", "all_of"):
            if not isinstance(arg, list) or not arg:
                self.problem(
                    "policy-bad-condition",
                    f"{what}: {key} takes a non-empty list of conditions",
                    path,
                    arg_where,
                )
                return None
            parts = [
                self.read_condition(sub, path, item_position(arg, index), what)
                for index, sub in enumerate(arg)
            ]
            kept = tuple(p for p in parts if p is not None)
            if len(kept) != len(parts):
                return None
            return _AnyOf(kept) if key == "any_of" else _AllOf(kept)
        self.problem(
            "policy-bad-condition",
            f"{what}: unknown condition {str(key)!r}",
            path,
            key_position(node, key),
            suggestion=did_you_mean(str(key), choices),
        )
        return None

    # -- regional targets

    def read_region(self, path: Path) -> None:
        """A region file: targets overlaying statutory clocks already read."""
        region_id = path.stem
        self.region_files[region_id] = path
        if not _REGION_ID.match(region_id):
            self.problem(
                "policy-bad-file",
                "a region file is named after its region: lower case letters, digits and "
                f"'-', like etela-pohjanmaa.yaml; got {path.name!r}",
                path,
                (None, None),
            )
            return
        data = self.read_mapping(
            path, "a region file is a mapping with 'targets:' (and optionally 'name:')"
        )
        if data is None:
            return
        self.check_keys(data, _REGION_KEYS, path, "a region file")
        ok = True
        for key in ("name", "description"):
            if self.text(data, key, path, f"region {region_id!r}") is False:
                ok = False
        rights = self.read_language_rights(data, path, region_id)
        if rights is None:
            ok = False
        targets: dict[str, _Target] = {}
        # A region may only declare its language policy: then 'targets' may be left out.
        if "targets" in data or "language_rights" not in data:
            raw = self.required(data, "targets", path, "a region file", _REGION_KEYS)
            if raw is None:
                return
            if not isinstance(raw, list) or not raw:
                self.problem(
                    "policy-bad-value",
                    "'targets' is a non-empty list of targets, each starting with '- clock:'",
                    path,
                    value_position(data, "targets"),
                )
                return
            first_line: dict[str, int | None] = {}
            for index, item in enumerate(raw):
                target = self.read_target(
                    item, path, item_position(raw, index), region_id, first_line
                )
                if target is None:
                    ok = False
                else:
                    targets[target.clock] = target
        if ok:
            name = data.get("name")
            self.regions[region_id] = _Region(
                region_id,
                name.strip() if isinstance(name, str) else region_id,
                path,
                MappingProxyType(targets),
                rights or frozenset(),
            )

    def read_language_rights(
        self, data: Mapping[str, Any], path: Path, region_id: str
    ) -> frozenset[str] | None:
        """``language_rights``: the languages a client has a right to be served in (a
        list of two-letter codes, possibly empty); empty when absent, None when wrong."""
        if "language_rights" not in data:
            return frozenset()
        value = data["language_rights"]
        if not isinstance(value, list) or not all(
            isinstance(code, str) and _LANGUAGE_CODE.match(code) for code in value
        ):
            self.problem(
                "policy-bad-value",
                f"region {region_id!r}: 'language_rights' is a list of two-letter language "
                "codes, e.g. [fi, sv] in a bilingual wellbeing services county, or []",
                path,
                value_position(data, "language_rights"),
            )
            return None
        return frozenset(value)

    def read_target(
        self,
        item: object,
        path: Path,
        where: Located,
        region_id: str,
        first_line: dict[str, int | None],
    ) -> _Target | None:
        if not isinstance(item, Mapping):
            self.problem(
                "policy-bad-value",
                "each target is a mapping starting with '- clock:'",
                path,
                where,
            )
            return None
        self.check_keys(item, _TARGET_KEYS, path, "a regional target")
        ok = True
        clock = self.required(item, "clock", path, "a regional target", _TARGET_KEYS)
        clock_where = value_position(item, "clock")
        if clock is None or not self.identifier(clock, path, clock_where, "a clock id"):
            ok = False
            clock = "?"
        elif clock not in self.seen:
            self.problem(
                "policy-unknown-clock",
                f"region {region_id!r}: no statutory clock {clock!r}; a target overlays a "
                "clock defined in the policy files beside regions/",
                path,
                clock_where,
                suggestion=did_you_mean(str(clock), self.seen),
            )
            ok = False
        name = str(clock)
        what = f"region {region_id!r}, target for clock {name!r}"
        if name != "?":
            if name in first_line:
                self.problem(
                    "policy-duplicate-target",
                    f"{what} is already given at line {first_line[name]}; a clock has one "
                    "target per region, its changes over time as versions",
                    path,
                    clock_where,
                )
                ok = False
            else:
                first_line[name] = where[0]
        self.text(item, "description", path, what)
        roll = self.flag(item, "roll_to_weekday", path, default=True)
        versions = self.read_versions(item, path, what, roll, _TARGET_KEYS)
        if not ok or versions is None:
            return None
        return _Target(name, versions, path, where[0])

    # -- whole directory

    def check_events(self) -> frozenset[str]:
        known = frozenset(STANDARD_EVENTS) | self.declared
        for name, clock, path, where in self.references:
            if name not in known:
                self.problem(
                    "policy-unknown-event",
                    f"clock {clock!r}: unknown event {name!r}; use a standard event or "
                    "declare it under 'events:'",
                    path,
                    where,
                    suggestion=did_you_mean(name, known),
                )
        return known


def _problem_order(problem: RuleProblem) -> tuple[str, int, int]:
    return (str(problem.path), problem.line or 0, problem.column or 0)


# --------------------------------------------------------------------------- policies


@attrs.frozen(eq=False, repr=False)
class Policies:
    """Care-guarantee policies loaded from rules/policies/*.yaml; immutable.

    The regional targets under ``regions/`` are always loaded and checked; at most one
    region is *selected* (``region``), and only the selected region's targets fill a
    clock's ``target_due_date``. The default selects none.
    """

    _clocks: Mapping[str, _ClockPolicy]
    _events: frozenset[str]
    _source: str = "<policies>"
    _regions: Mapping[str, _Region] = attrs.field(default=MappingProxyType({}))
    _region: _Region | None = None
    _files_digest: str = ""
    _untranslated: tuple[Untranslated, ...] = ()
    _lists: dict[tuple[str, ...], tuple[_ClockPolicy, ...]] = attrs.field(
        init=False, factory=dict
    )  # the policies of each list of clock ids judge() was given
    _other_terms: dict[Calendar, _Terms] = attrs.field(init=False, factory=dict)
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
    _terms: _Terms = attrs.field(
        init=False,
        default=attrs.Factory(
            lambda self: _Terms(Calendar.finnish(), self._region), takes_self=True
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
        path = Path(path)
        if not path.is_dir():
            raise RuleError(
                [
                    RuleProblem(
                        "policy-no-directory",
                        "policy directory not found; pass the rules/policies directory",
                        path=path,
                    )
                ]
            )
        loader = _Loader()
        regions_dir = path / REGIONS_DIRECTORY
        for stray in sorted([*path.glob("*.yml"), *regions_dir.glob("*.yml")]):
            loader.problem(
                "policy-bad-file",
                "policy files end in .yaml; this file would be ignored, rename it",
                stray,
                (None, None),
            )
        for file in sorted(path.glob("*.yaml")):
            loader.read_file(file)
        # Statutory files first: a target may only name a clock they define.
        for file in sorted(regions_dir.glob("*.yaml")):
            loader.read_region(file)
        events = loader.check_events()
        if region is not None and region not in loader.region_files:
            loader.problems.append(_unknown_region(str(region), loader.region_files, regions_dir))
        if loader.problems:
            raise RuleError(sorted(loader.problems, key=_problem_order))
        policies = cls(
            MappingProxyType(dict(loader.clocks)),
            events,
            str(path),
            MappingProxyType(dict(loader.regions)),
            files_digest=files_digest(path, [*path.glob("*.yaml"), *regions_dir.glob("*.yaml")]),
            untranslated=tuple(loader.untranslated),
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
            raise RuleError([_unknown_region(str(region), files, regions_dir)])
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

    def _policy(self, clock_id: str) -> _ClockPolicy:
        try:
            return self._clocks[clock_id]
        except KeyError:
            hint = did_you_mean(clock_id, self._clocks)
            also = f" (did you mean {hint!r}?)" if hint else ""
            raise ValueError(f"unknown clock {clock_id!r}{also}") from None

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
            names = (*names, _CARE_OFFERED, _OFFER_DECLINED)
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
        policies = [self._policy(clock_id) for clock_id in clock_ids]
        _require_aware("received_at", received_at)
        # The clocks are judged on integer instants (as the ledger stores them); the
        # caller's own datetime objects go back into the Clocks.
        happened: dict[str, list[int]] = {}
        given: dict[int, datetime] = {}
        for name, value in (events or {}).items():
            if name not in self._events:
                hint = did_you_mean(name, self._events)
                also = f" (did you mean {hint!r}?)" if hint else ""
                raise ValueError(f"unknown event {name!r}{also}")
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
        happened[_CONTACT_RECEIVED] = [received_us]
        today = None
        if now is not None:
            _require_aware("now", now)
            today = local_date(now)
        subjects = None if not others else {c: s for c, (_, s) in others.items()}
        judged = self._judge(policies, subject, happened, today, calendar, subjects)
        instant = given.__getitem__
        if not others:
            return tuple(self.clock(j, instant) for j in judged)
        return tuple(
            self.clock(j, instant, person=others[j.clock][0] if j.clock in others else None)
            for j in judged
        )

    def clock(
        self, judged: Judged, instant: Callable[[int], datetime], *, person: str | None = None
    ) -> Clock:
        """The :class:`Clock` of *judged* (from :meth:`judge`), its instants made
        datetimes by *instant*; *person* is whose right it follows (None: the client)."""
        policy = self._policy(judged.clock)
        return Clock(
            clock=judged.clock,
            starts_on=policy.starts_on,
            stops_on=policy.stops_on,
            starts_at=None if judged.start is None else instant(judged.start),
            due_date=judged.due_date,
            limit=judged.limit,
            basis=judged.basis,
            status=judged.status,
            stopped_at=None if judged.stopped is None else instant(judged.stopped),
            target_due_date=judged.target_due_date,
            target_basis=judged.target_basis,
            person=person,
            basis_text=self.basis_label(judged.basis),
            limit_text=None if judged.limit is None else self._texts.get(_LIMIT_KEY + judged.limit),
            target_basis_text=(
                None if judged.target_basis is None else self.basis_label(judged.target_basis)
            ),
        )

    def basis_label(self, basis: str) -> Label:
        """The basis text *basis* (a Clock's ``basis`` or ``target_basis``, in English as
        the JSON and the ledger keep it) in Finnish, Swedish and English. A text these
        policies did not write comes back as English only."""
        found = self._texts.get(basis)
        if found is not None:
            return found
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
            policies = self._lists.setdefault(key, tuple(self._policy(c) for c in key))
        return self._judge(policies, subject, happened, today, calendar, subjects)

    def _judge(
        self,
        policies: Sequence[_ClockPolicy],
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
                other = self._other_terms.setdefault(calendar, _Terms(calendar, self._region))
            terms = other
        if subjects:
            return tuple(
                [
                    _judge(policy, subjects.get(policy.id, subject), happened, today, terms)
                    for policy in policies
                ]
            )
        return tuple([_judge(policy, subject, happened, today, terms) for policy in policies])

    def __repr__(self) -> str:
        region = "" if self._region is None else f", region {self._region.id}"
        return f"<Policies {len(self._clocks)} clocks from {self._source}{region}>"


_LIMIT_KEY = "\0limit\0"  # limits and bases share one table; no basis starts with NUL
_NOT_STARTED = re.compile(r"not started: starts when '([a-z0-9_]+)' happens")
_NO_VERSION = re.compile(r"no version of policy '([a-z0-9_]+)' is in force on (\S+)")


def _texts_of(
    clocks: Mapping[str, _ClockPolicy], regions: Mapping[str, _Region]
) -> Mapping[str, Label]:
    """Every basis and limit text a clock of these policies can carry, in English (as the
    JSON and the ledger's projection keep it) -> the same text in every language. Two
    variants whose English texts are equal are taken to say the same thing."""
    versions = [v for p in clocks.values() for v in p.versions]
    versions += [v for r in regions.values() for t in r.targets.values() for v in t.versions]
    texts: dict[str, Label] = {}
    for version in versions:
        for variant in version.variants:
            basis = _basis_label(version, variant)
            texts.setdefault(basis.en, basis)
            limit = variant.limit.label
            if limit is not None:
                texts.setdefault(_LIMIT_KEY + limit.en, limit)
    return MappingProxyType(texts)


def files_digest(root: Path, files: Iterable[Path], prefix: str = "") -> str:
    """SHA-256 of *prefix*, then each file's name relative to *root* and its contents, in
    name order: what a ruleset's and a policies' digest are made of."""
    h = hashlib.sha256(prefix.encode())
    for file in sorted(files):
        h.update(file.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(file.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _unknown_region(region: str, files: Mapping[str, Path], regions_dir: Path) -> RuleProblem:
    known = ", ".join(sorted(files)) or f"none: there are no files in {regions_dir}"
    return RuleProblem(
        "policy-unknown-region",
        f"no region {region!r}: a region is the name of a file {regions_dir}/<region>.yaml "
        f"without .yaml; regions here: {known}",
        path=regions_dir,
        suggestion=did_you_mean(region, files),
    )


def _instants(name: str, value: datetime | Sequence[datetime]) -> tuple[datetime, ...]:
    if isinstance(value, datetime):  # the usual case first: one occurrence
        _require_aware(f"event {name!r}", value)
        return (value,)
    raw: tuple[object, ...] = (
        tuple(value)
        if isinstance(value, Sequence) and not isinstance(value, str | bytes)
        else (value,)
    )
    times: list[datetime] = []
    for ts in raw:
        if not isinstance(ts, datetime):
            raise TypeError(
                f"event {name!r}: give a datetime or a sequence of datetimes, got {ts!r}"
            )
        _require_aware(f"event {name!r}", ts)
        times.append(ts)
    return tuple(times)


def _declined_at(
    start: int,
    stopped: int | None,
    due: date | None,
    happened: Mapping[str, Sequence[int]],
) -> int | None:
    """When the client declined a time offered within the limit, or None.

    A decline counts when it comes at or after the start and before any stop, and the
    latest offer at or before it (at or after the start) was made on or before the due
    date (any offer when there is none). The offered appointment's own date is not an
    event field, so the day the offer was made stands for it.
    """
    declines = happened.get(_OFFER_DECLINED)
    offers = happened.get(_CARE_OFFERED)
    if not declines or not offers:
        return None
    for declined in declines:  # ascending
        if declined < start:
            continue
        if stopped is not None and declined >= stopped:
            return None
        offered = max((o for o in offers if start <= o <= declined), default=None)
        if offered is not None and (due is None or local_day_of(offered) <= due):
            return declined
    return None


def _variant(
    version: _Version, subject: ClockSubject, age: int | None
) -> tuple[_Condition, _Limit, str | None, str]:
    """The first variant of *version* that holds for the client (the limit, its text and
    basis). The last variant is "otherwise" (checked at load), so one always holds."""
    return next(chosen for chosen in version.resolved if chosen[0].holds(subject, age))


_TermsKey = tuple[str, date, int, bool, bool, int]
_TermsValue = tuple[date | None, str | None, str, date | None, str | None]


class _Terms:
    """The terms a clock gets from its start: due date, limit and basis by law, and the
    selected region's target, looked up once per policy, local start day and *class* of
    client and time, then shared (a report judges hundreds of thousands of clocks that
    start on a few thousand days).

    Only what the policies can tell apart goes into the key, so the lookup is exact: the
    client's age as its place among the ages any variant of the policy names, the two
    flags, and the time of day as its place among the ends of office hours any same-day
    limit names.
    """

    _LIMIT = 65_536  # entries kept; beyond it the table starts again (bounded memory)

    def __init__(self, calendar: Calendar, region: _Region | None) -> None:
        self.calendar = calendar
        self._targets: Mapping[str, _Target] = {} if region is None else region.targets
        self._cuts: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._table: dict[_TermsKey, _TermsValue] = {}

    def on(
        self, policy: _ClockPolicy, day: date, time_us: int, subject: ClockSubject
    ) -> _TermsValue:
        """The terms of *policy* for a clock starting on local *day*, *time_us*
        microseconds after local midnight, for *subject*."""
        cuts = self._cuts.get(policy.id)
        if cuts is None:
            cuts = self._cuts.setdefault(policy.id, self._cuts_of(policy))
        ages, ends = cuts
        age = subject.age if subject.birth_date is None else subject.age_on(day)
        key = (
            policy.id,
            day,
            -1 if age is None else bisect.bisect_right(ages, age),
            subject.highest_care_allowance,
            subject.special_support_child,
            bisect.bisect_right(ends, time_us),
        )
        found = self._table.get(key)
        if found is None:
            if len(self._table) >= self._LIMIT:
                self._table.clear()
            found = self._table.setdefault(key, self._work_out(policy, day, time_us, subject, age))
        return found

    def _cuts_of(self, policy: _ClockPolicy) -> tuple[tuple[int, ...], tuple[int, ...]]:
        target = self._targets.get(policy.id)
        versions = (*policy.versions, *(() if target is None else target.versions))
        ages: set[int] = set()
        ends: set[int] = set()
        for version in versions:
            for variant in version.variants:
                ages.update(_ages_named(variant.condition))
                hours = variant.limit.office_hours
                if hours is not None:
                    end = hours.end
                    ends.add(
                        ((end.hour * 60 + end.minute) * 60 + end.second) * 1_000_000
                        + end.microsecond
                    )
        return tuple(sorted(ages)), tuple(sorted(ends))

    def _work_out(
        self, policy: _ClockPolicy, day: date, time_us: int, subject: ClockSubject, age: int | None
    ) -> _TermsValue:
        local = datetime.combine(day, time()) + timedelta(microseconds=time_us)
        calendar = self.calendar
        version = policy.version_on(day)
        due: date | None = None
        limit_text: str | None = None
        if version is None:
            basis = f"no version of policy {policy.id!r} is in force on {day}"
        else:
            _, limit, limit_text, basis = _variant(version, subject, age)
            due = limit.due(local, calendar, roll=version.roll_to_weekday)
        target_due: date | None = None
        target_basis: str | None = None
        target = self._targets.get(policy.id)
        if target is not None and (target_version := target.version_on(day)) is not None:
            _, target_limit, _, target_basis = _variant(target_version, subject, age)
            target_due = target_limit.due(local, calendar, roll=target_version.roll_to_weekday)
            if target_due is not None and due is not None and due < target_due:
                # A target never allows more time than the law.
                target_due = due
                target_basis += "; the statutory due date is earlier here and is the target too"
        return due, limit_text, basis, target_due, target_basis


def _ages_named(condition: _Condition) -> tuple[int, ...]:
    """Every age a variant's condition compares with (``age < n`` and ``age >= n`` both
    split at *n*)."""
    if isinstance(condition, _AgeBelow | _AgeAtLeast):
        return (condition.years,)
    if isinstance(condition, _AnyOf | _AllOf):
        return tuple(a for c in condition.conditions for a in _ages_named(c))
    return ()


class Judged(NamedTuple):
    """One clock as judged from instants in integer microseconds since the epoch (UTC):
    what :class:`Clock` holds, with the local days of its start and stop, for readers
    (the ledger, reports) that keep instants as integers and never need a Clock."""

    clock: str
    start: int | None
    start_day: date | None
    stopped: int | None
    stop_day: date | None
    due_date: date | None
    limit: str | None
    basis: str
    status: str
    target_due_date: date | None
    target_basis: str | None


def _judge(
    policy: _ClockPolicy,
    subject: ClockSubject,
    happened: Mapping[str, Sequence[int]],
    today: date | None,
    terms: _Terms,
) -> Judged:
    """The one place a clock is judged. *happened* holds each event's instants in
    ascending order."""
    starts = happened.get(policy.starts_on)
    if not starts:
        return Judged(
            policy.id,
            None,
            None,
            None,
            None,
            None,
            None,
            f"not started: starts when {policy.starts_on!r} happens",
            "not_started",
            None,
            None,
        )
    start = starts[0]
    stopped: int | None = None
    for name in policy.stops_on:
        for ts in happened.get(name, ()):
            if ts >= start:  # ascending: the first at or after the start is the earliest
                if stopped is None or ts < stopped:
                    stopped = ts
                break
    wall = _local_wall_us(start)
    day = _day_of(wall // _DAY_US)
    due, limit_text, basis, target_due, target_basis = terms.on(
        policy, day, wall % _DAY_US, subject
    )
    declined_at = None
    if policy.declined_ends_clock:
        declined_at = _declined_at(start, stopped, due, happened)
    stop_day = None
    if declined_at is not None:
        status, stopped = "declined", declined_at
        stop_day = local_day_of(declined_at)
    elif stopped is not None:
        stop_day = local_day_of(stopped)
        status = "met" if due is None or stop_day <= due else "breached"
    elif due is not None and today is not None and today > due:
        status = "breached"
    else:
        status = "open"
    return Judged(
        policy.id,
        start,
        day,
        stopped,
        stop_day,
        due,
        limit_text,
        basis,
        status,
        target_due,
        target_basis,
    )
