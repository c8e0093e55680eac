"""Access reports from the time-to-care ledger: the measures THL publishes (Avohilmo),
from the same events the clocks are recomputed from.

::

    report = ledger.report(since=start, until=end, by=["service", "age_group"])
    report.total.within_14_days_share      # care started within 14 days of the assessment
    report.rows                            # one ReportRow per service and age group
    report.breaches                        # every clock past its due date, most days over first
    report.to_text() / to_json() / to_csv() / to_html()

What a period includes and how each measure is counted is the contract of
``docs/reference/reports.md``; in short:

- a report counts the *clocks whose start falls in* ``[since, until)``, judged as of
  ``now`` (by default the end of the period, or the present while the period runs);
- ``service`` is the assessment's first ``team_member`` route (else its first route);
  ``age_group`` is ``0-22`` or ``23+`` by the age on the need-assessment day;
- waiting times are calendar days from ``need_assessed`` to ``care_started``, one per
  contact per row, over the clocks that start on the first and stop on the second.

The computation is one streaming pass over the ledger (:meth:`Ledger.contacts`) into
finest-grain tallies (service x age group x clock x month); every grouping, the charts'
included, is rolled up from those tallies, so a report holds no per-contact data besides
its list of breaches.

Charts: hand-written inline SVG, no library. The page must be one file that opens
offline, in a mail client or on an intranet without scripts, and prints; three small
charts do not justify vendoring Vega-Lite with its runtime (about 1 MB of JavaScript from
npm, and a page that is blank without scripts), inlining plotly.js (3.5 MB) or depending
on matplotlib (and numpy) on a server. SVG written here is a few kilobytes, renders
without JavaScript, and carries ``data-*`` attributes a test can check.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import math
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ._messages import MESSAGES as _MESSAGES
from ._messages import reading_language
from ._messages import text as _msg
from ._text import Label
from .clocks import HELSINKI, ClockSubject, Judged, add_months, local_date, local_day_of
from .errors import did_you_mean
from .ledger import LedgerError

if TYPE_CHECKING:  # pragma: no cover
    from .ledger import Ledger
    from .ruleset import Catalogue

__all__ = [
    "AGE_GROUPS",
    "DIMENSIONS",
    "Breach",
    "Report",
    "ReportRow",
    "build_report",
]

DIMENSIONS: tuple[str, ...] = ("service", "age_group", "clock", "month")
"""What a report can be split by, in any combination."""

AGE_GROUPS: tuple[str, ...] = ("0-22", "23+", "unknown")
"""THL's age groups, by the age on the need-assessment day; ``unknown`` without an age."""

NO_SERVICE = "none"
"""The service of a contact whose assessment had no route at all."""

_ALL = "all"  # the dimension values of the total row in CSV and text
_NEED_ASSESSED = "need_assessed"
_CARE_STARTED = "care_started"
_TEAM_MEMBER = "team_member"
_YOUNG_BELOW = 23
_FOURTEEN_DAYS = 14
_THREE_MONTHS = 3
_MICROSECOND = timedelta(microseconds=1)
_HTML_BREACHES = 500  # rows of the breach table in the HTML page; the rest is counted

# (service, age_group, clock, month): the finest grain a report keeps.
_TallyKey = tuple[str, str, str, str]
# (service, age_group, month, care clocks of the contact in the period).
_WaitKey = tuple[str, str, str, frozenset[str]]


class _Tally:
    """Counters of the clocks of one finest-grain cell."""

    __slots__ = (
        "assessments_decided",
        "assessments_on_time",
        "breached",
        "clocks",
        "declined",
        "met",
        "no_limit",
        "open",
        "open_past_due",
        "target_clocks",
        "target_decided",
        "target_met",
    )

    def __init__(self) -> None:
        self.clocks = self.met = self.breached = self.open_past_due = self.open = 0
        self.declined = self.no_limit = 0
        self.target_clocks = self.target_decided = self.target_met = 0
        self.assessments_decided = self.assessments_on_time = 0

    def add(self, other: _Tally) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class _Waits:
    """Waiting times of the contacts of one cell: a histogram of days and the counts."""

    __slots__ = ("days", "still_waiting", "within_3m", "within_14")

    def __init__(self) -> None:
        self.days: Counter[int] = Counter()
        self.within_14 = 0
        self.within_3m = 0
        self.still_waiting = 0

    def add(self, other: _Waits) -> None:
        self.days.update(other.days)
        self.within_14 += other.within_14
        self.within_3m += other.within_3m
        self.still_waiting += other.still_waiting


# --------------------------------------------------------------------------- values


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _median(days: Mapping[int, int]) -> float | None:
    """The middle value; the mean of the two middle values when the count is even."""
    n = sum(days.values())
    if n == 0:
        return None
    if n % 2:
        return float(_rank(days, (n + 1) // 2))
    return (_rank(days, n // 2) + _rank(days, n // 2 + 1)) / 2


def _p90(days: Mapping[int, int]) -> int | None:
    """Nearest rank: the smallest value with at least 90 % of the values at or below it."""
    n = sum(days.values())
    return None if n == 0 else _rank(days, math.ceil(0.9 * n))


def _rank(days: Mapping[int, int], rank: int) -> int:
    """The *rank*-th smallest value (1-based) of the histogram *days*."""
    seen = 0
    for value in sorted(days):
        seen += days[value]
        if seen >= rank:
            return value
    raise AssertionError("rank beyond the count")  # pragma: no cover


_MEASURES: tuple[str, ...] = (
    "clocks",
    "met",
    "breached",
    "open_past_due",
    "open",
    "declined",
    "no_limit",
    "on_time_share",
    "target_clocks",
    "target_decided",
    "target_met",
    "target_share",
    "assessments_decided",
    "assessments_on_time",
    "assessments_on_time_share",
    "care_started",
    "still_waiting",
    "within_14_days",
    "within_14_days_share",
    "within_3_months",
    "within_3_months_share",
    "waiting_days_median",
    "waiting_days_p90",
)


@attrs.frozen
class ReportRow:
    """The measures of one group of clocks (see docs/reference/reports.md).

    Clock outcomes by law, each clock in exactly one of ``met``, ``breached`` (stopped
    after its due date), ``open_past_due`` (still running, past its due date), ``open``
    (still running, not past it), ``declined`` (ended by the client declining an offered
    time within the limit) and ``no_limit`` (no statutory limit applied). Regional
    targets: ``target_*`` over the clocks with a target due date. Need assessments: the
    clocks stopped by ``need_assessed``. Waiting: one per contact with a care clock.
    """

    key: tuple[tuple[str, str], ...]
    """(dimension, value) pairs in the order of the report's ``by``; () for the total."""
    clocks: int
    met: int
    breached: int
    open_past_due: int
    open: int
    declined: int
    no_limit: int
    target_clocks: int
    target_decided: int
    target_met: int
    assessments_decided: int
    assessments_on_time: int
    care_started: int
    still_waiting: int
    within_14_days: int
    within_3_months: int
    waiting_days: Mapping[int, int] = attrs.field(repr=False)
    """Histogram of waiting days: calendar days -> how many contacts waited that long."""

    @property
    def values(self) -> dict[str, str]:
        """The key as a dict, e.g. ``{"service": "nurse", "age_group": "23+"}``."""
        return dict(self.key)

    @property
    def on_time_share(self) -> float | None:
        """met / (met + breached + open_past_due): the clocks decided by law on time."""
        return _share(self.met, self.met + self.breached + self.open_past_due)

    @property
    def target_share(self) -> float | None:
        """target_met / target_decided."""
        return _share(self.target_met, self.target_decided)

    @property
    def assessments_on_time_share(self) -> float | None:
        """assessments_on_time / assessments_decided."""
        return _share(self.assessments_on_time, self.assessments_decided)

    @property
    def within_14_days_share(self) -> float | None:
        """within_14_days / care_started."""
        return _share(self.within_14_days, self.care_started)

    @property
    def within_3_months_share(self) -> float | None:
        """within_3_months / care_started."""
        return _share(self.within_3_months, self.care_started)

    @property
    def waiting_days_median(self) -> float | None:
        """Median waiting days (the mean of the two middle values for an even count)."""
        return _median(self.waiting_days)

    @property
    def waiting_days_p90(self) -> int | None:
        """90th percentile of the waiting days, nearest rank."""
        return _p90(self.waiting_days)

    def measures(self) -> dict[str, int | float | None]:
        """Every measure by name, shares as fractions (0.5 is 50 %), in a fixed order."""
        return {name: getattr(self, name) for name in _MEASURES}

    def to_json(self) -> dict[str, object]:
        """The key's dimensions, then every measure; shares rounded to 4 decimals."""
        out: dict[str, object] = dict(self.key)
        for name, value in self.measures().items():
            out[name] = round(value, 4) if isinstance(value, float) else value
        return out


@attrs.frozen
class Breach:
    """A clock of the period that went past its due date, stopped late or still open."""

    contact_id: str
    clock: str
    service: str
    age_group: str
    month: str
    started_on: date
    due_date: date
    stopped_on: date | None
    """The local day the clock stopped, or None while it is still open."""
    days_over: int
    """Calendar days past the due date: to the stop day, or to the report's day."""

    @property
    def still_open(self) -> bool:
        """Whether the clock is still running (an open clock past its due date)."""
        return self.stopped_on is None

    def to_json(self) -> dict[str, object]:
        """JSON-ready: dates as YYYY-MM-DD."""
        return {
            "contact_id": self.contact_id,
            "clock": self.clock,
            "service": self.service,
            "age_group": self.age_group,
            "month": self.month,
            "started_on": self.started_on.isoformat(),
            "due_date": self.due_date.isoformat(),
            "stopped_on": None if self.stopped_on is None else self.stopped_on.isoformat(),
            "days_over": self.days_over,
            "still_open": self.still_open,
        }


_BREACH_COLUMNS = (
    "contact_id",
    "clock",
    "service",
    "age_group",
    "month",
    "started_on",
    "due_date",
    "stopped_on",
    "days_over",
    "still_open",
)


def _sort_value(dimension: str, value: str) -> tuple[int, str]:
    if dimension == "age_group":
        return (AGE_GROUPS.index(value) if value in AGE_GROUPS else len(AGE_GROUPS), value)
    return (0, value)


def _rows(
    tallies: Mapping[_TallyKey, _Tally],
    waits: Mapping[_WaitKey, _Waits],
    by: tuple[str, ...],
) -> tuple[ReportRow, ...]:
    """The tallies rolled up by *by* (``()`` gives one row, the total)."""
    index = [DIMENSIONS.index(d) for d in by]
    tally_of: dict[tuple[str, ...], _Tally] = {}
    for key, tally in tallies.items():
        row_key = tuple(key[i] for i in index)
        tally_of.setdefault(row_key, _Tally()).add(tally)
    waits_of: dict[tuple[str, ...], _Waits] = {}
    for (service, age_group, month, care_clocks), wait in waits.items():
        # A contact's wait is counted once in each row one of its care clocks is in.
        for clock in sorted(care_clocks) if "clock" in by else ("",):
            full = (service, age_group, clock, month)
            row_key = tuple(full[i] for i in index)
            waits_of.setdefault(row_key, _Waits()).add(wait)
    if not by and not tally_of:
        tally_of[()] = _Tally()
    rows = []
    for row_key in sorted(
        tally_of, key=lambda k: tuple(_sort_value(d, v) for d, v in zip(by, k, strict=True))
    ):
        t = tally_of[row_key]
        w = waits_of.get(row_key) or _Waits()
        rows.append(
            ReportRow(
                key=tuple(zip(by, row_key, strict=True)),
                clocks=t.clocks,
                met=t.met,
                breached=t.breached,
                open_past_due=t.open_past_due,
                open=t.open,
                declined=t.declined,
                no_limit=t.no_limit,
                target_clocks=t.target_clocks,
                target_decided=t.target_decided,
                target_met=t.target_met,
                assessments_decided=t.assessments_decided,
                assessments_on_time=t.assessments_on_time,
                care_started=w.days.total(),
                still_waiting=w.still_waiting,
                within_14_days=w.within_14,
                within_3_months=w.within_3m,
                waiting_days=MappingProxyType(dict(sorted(w.days.items()))),
            )
        )
    return tuple(rows)


@attrs.frozen(repr=False)
class Report:
    """An access report: measures of the clocks that started in ``[since, until)``,
    judged as of ``as_of``, split by ``by``. Made by :meth:`Ledger.report`."""

    since: datetime
    until: datetime
    as_of: datetime
    """Only events at or before this instant count; open clocks are judged on its day."""
    by: tuple[str, ...]
    rows: tuple[ReportRow, ...]
    total: ReportRow
    breaches: tuple[Breach, ...]
    """Every breached clock (stopped late or open past due), most days over first."""
    _tallies: Mapping[_TallyKey, _Tally] = attrs.field(repr=False, eq=False)
    _waits: Mapping[_WaitKey, _Waits] = attrs.field(repr=False, eq=False)
    service_names: Mapping[str, Label] = attrs.field(
        factory=lambda: MappingProxyType({}), repr=False, eq=False
    )
    """Service id -> its name in the catalogue (fi, sv, en), for the HTML page."""

    def group(self, by: Sequence[str]) -> tuple[ReportRow, ...]:
        """The same clocks split another way (any subset of :data:`DIMENSIONS`)."""
        return _rows(self._tallies, self._waits, _check_by(by))

    def __repr__(self) -> str:
        return (
            f"<Report {self.since.isoformat()} to {self.until.isoformat()} by "
            f"{', '.join(self.by) or 'nothing'}: {self.total.clocks} clocks, "
            f"{len(self.breaches)} breaches>"
        )

    # ------------------------------------------------------------ formats

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the period, ``total``, ``rows``, ``breaches`` and the
        waiting-day histogram of each service (``{service: {days: contacts}}``)."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "as_of": self.as_of.isoformat(),
            "by": list(self.by),
            "total": self.total.to_json(),
            "rows": [row.to_json() for row in self.rows],
            "breaches": [b.to_json() for b in self.breaches],
            "waiting_days_by_service": {
                row.values["service"]: {str(d): n for d, n in row.waiting_days.items()}
                for row in self.group(["service"])
                if row.waiting_days
            },
        }

    def to_csv(self, table: Literal["groups", "breaches"] = "groups") -> str:
        """CSV with a header row. ``groups``: a row per group (the ``by`` dimensions, then
        every measure; shares as fractions) and last the total, whose dimensions read
        ``all``. ``breaches``: a row per breach."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if table == "breaches":
            writer.writerow(_BREACH_COLUMNS)
            for b in self.breaches:
                writer.writerow(_csv_value(v) for v in b.to_json().values())
            return out.getvalue()
        if table != "groups":
            raise LedgerError("bad-argument", "table", "is 'groups' or 'breaches'")
        writer.writerow((*self.by, *_MEASURES))
        for row in self.rows:
            writer.writerow((*row.values.values(), *_json_measures(row)))
        writer.writerow((*(_ALL for _ in self.by), *_json_measures(self.total)))
        return out.getvalue()

    def to_text(self) -> str:
        """A plain-text summary for people: the groups as a table, then the breaches."""
        return _text(self)

    def to_html(self, language: str = "en") -> str:
        """One self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched)
        with charts: waiting times against the limits per service, the share on time per
        month, and the outcomes per service; then the tables. *language* (fi, sv or en)
        is the page's ``lang`` and the language of its headings, columns and the
        catalogue's service names."""
        return _html(self, reading_language(language))


def _json_measures(row: ReportRow) -> list[object]:
    json = row.to_json()
    return [_csv_value(json[name]) for name in _MEASURES]


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


# --------------------------------------------------------------------------- building


def _check_by(by: object) -> tuple[str, ...]:
    if isinstance(by, str):
        by = [part.strip() for part in by.split(",") if part.strip()]
    if not isinstance(by, Iterable):
        raise LedgerError(
            "bad-argument", "by", f"is a list of dimensions from {', '.join(DIMENSIONS)}"
        )
    out: list[str] = []
    for item in by:
        if not isinstance(item, str) or item not in DIMENSIONS:
            hint = did_you_mean(item, DIMENSIONS) if isinstance(item, str) else None
            also = f" (did you mean {hint!r}?)" if hint else ""
            raise LedgerError(
                "bad-argument",
                "by",
                f"unknown dimension {str(item)[:40]!r}{also}; a report splits by any of "
                f"{', '.join(DIMENSIONS)}",
            )
        if item in out:
            raise LedgerError("bad-argument", "by", f"{item!r} is given twice")
        out.append(item)
    return tuple(out)


def _check_instant(value: object, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise LedgerError(
            "bad-timestamp",
            field,
            f"must be a datetime with a time zone, not {type(value).__name__}",
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise LedgerError(
            "naive-timestamp",
            field,
            f"{value.isoformat()} has no time zone; give it one, e.g. "
            "datetime(..., tzinfo=ZoneInfo('Europe/Helsinki'))",
        )
    return value


@functools.cache
def _bundled_services() -> tuple[Mapping[str, str], Mapping[str, Label]]:
    """The bundled catalogue's service kinds and names (for a report without a catalogue)."""
    from ._bundled import bundled_rules_directory  # noqa: PLC0415 - only without a catalogue
    from .ruleset import load_catalogue  # noqa: PLC0415

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
        self.tallies: dict[_TallyKey, _Tally] = {}
        self.waits: dict[_WaitKey, _Waits] = {}
        self.breaches: list[Breach] = []
        self._services: dict[tuple[str, ...], str] = {}
        self._months: dict[tuple[int, int], str] = {}
        self._clock_sets: dict[tuple[str, ...], frozenset[str]] = {}
        self._three_months: dict[date, date] = {}

    def service(self, services: tuple[str, ...]) -> str:
        found = self._services.get(services)
        if found is None:
            found = next(
                (s for s in services if self.kinds.get(s) == _TEAM_MEMBER),
                services[0] if services else NO_SERVICE,
            )
            self._services[services] = found
        return found

    def month(self, day: date) -> str:
        key = (day.year, day.month)
        found = self._months.get(key)
        if found is None:
            found = self._months[key] = f"{day.year:04d}-{day.month:02d}"
        return found

    def add(self, contact_id: str, services: tuple[str, ...], subject: ClockSubject,
            assessed_us: int, started: Sequence[Judged],
            others: Mapping[str, ClockSubject] | None = None) -> None:  # fmt: skip
        """Count the clocks of one contact that started in the period (*started*);
        *assessed_us* is its first need assessment (or its receipt, without one). Each
        clock's age group is that of the person whose right it follows: *subject* (the
        client), or its subject in *others* (by clock id)."""
        service = self.service(services)
        age_group = _group_of(subject, assessed_us)
        care: list[tuple[Judged, str]] = []
        if not others:
            for clock in started:
                self.count(contact_id, clock, service, age_group, care)
            if care:
                self.wait(care, service, age_group)
            return
        # A wait is one person's: care clocks following people of different age groups
        # are waits of their own, each in its group.
        cares: dict[str, list[tuple[Judged, str]]] = {}
        for clock in started:
            other = others.get(clock.clock)
            group = age_group if other is None else _group_of(other, assessed_us)
            self.count(contact_id, clock, service, group, cares.setdefault(group, []))
        for group, care in cares.items():
            if care:
                self.wait(care, service, group)

    def count(
        self,
        contact_id: str,
        clock: Judged,
        service: str,
        age_group: str,
        care: list[tuple[Judged, str]],
    ) -> None:
        started_on = clock.start_day
        assert started_on is not None  # only started clocks are counted
        month = self.month(started_on)
        key = (service, age_group, clock.clock, month)
        tally = self.tallies.get(key)
        if tally is None:
            tally = self.tallies[key] = _Tally()
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
            if stopped_on is not None:
                late = stopped_on > due
                if late:
                    tally.breached += 1
                else:
                    tally.met += 1
            else:
                late = today > due
                if late:
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
            if stopped_on is not None or today > target:
                tally.target_decided += 1
                if stopped_on is not None and stopped_on <= target:
                    tally.target_met += 1
        if is_care:
            care.append((clock, month))

    def wait(self, care: list[tuple[Judged, str]], service: str, age_group: str) -> None:
        """The contact's one wait, from its care clocks in the period (they share their
        start, ``need_assessed``, and their stop, ``care_started``)."""
        month = care[0][1]
        ids = tuple(c.clock for c, _ in care)
        clock_set = self._clock_sets.get(ids)
        if clock_set is None:
            clock_set = self._clock_sets[ids] = frozenset(ids)
        key = (service, age_group, month, clock_set)
        wait = self.waits.get(key)
        if wait is None:
            wait = self.waits[key] = _Waits()
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
                    three = self._three_months[start] = add_months(start, _THREE_MONTHS)
                if stop <= three:
                    wait.within_3m += 1
                return
        if not any(c.status == "declined" for c, _ in care):
            wait.still_waiting += 1
        # else declined: counted apart (in the clock tallies), not as a wait


_CONTACT_AND_CLOCK = operator.attrgetter("contact_id", "clock")
_DAYS_OVER = operator.attrgetter("days_over")


def build_report(
    ledger: Ledger,
    *,
    since: datetime,
    until: datetime,
    by: Sequence[str] = ("service", "age_group"),
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
) -> Report:
    """The report of :meth:`Ledger.report` (which see)."""
    since = _check_instant(since, "since")
    until = _check_instant(until, "until")
    dimensions = _check_by(by)
    if since >= until:
        raise LedgerError(
            "bad-period",
            "until",
            f"{until.isoformat()} is not after since ({since.isoformat()}); a period is "
            "[since, until)",
        )
    if now is None:
        as_of = min(until - _MICROSECOND, datetime.now(UTC))
    else:
        as_of = _check_instant(now, "now")
    as_of = as_of.astimezone(HELSINKI)
    names: Mapping[str, Label]
    if catalogue is None:
        kinds, names = _bundled_services()
    else:
        kinds = {s.id: s.kind for s in catalogue.services.values()}
        names = MappingProxyType({s.id: s.name for s in catalogue.services.values()})
    policies = ledger.policies
    shapes = {c: (policies.starts_on(c), policies.stops_on(c)) for c in policies.clock_ids}
    builder = _Builder(since, until, local_date(as_of), kinds, shapes)
    if as_of >= since:  # otherwise no clock can have started yet
        for started in ledger._started_clocks(since, until, as_of):
            builder.add(*started)
    # Most days over first, then by contact and clock: two stable sorts on plain keys.
    builder.breaches.sort(key=_CONTACT_AND_CLOCK)
    builder.breaches.sort(key=_DAYS_OVER, reverse=True)
    tallies = MappingProxyType(builder.tallies)
    waits = MappingProxyType(builder.waits)
    (total,) = _rows(tallies, waits, ())
    return Report(
        since=since,
        until=until,
        as_of=as_of,
        by=dimensions,
        rows=_rows(tallies, waits, dimensions),
        total=total,
        breaches=tuple(builder.breaches),
        tallies=tallies,
        waits=waits,
        service_names=names,
    )


# --------------------------------------------------------------------------- text


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}"


_TEXT_COLUMNS: tuple[tuple[str, str, Callable[[ReportRow], str]], ...] = (
    ("clocks", "clocks", lambda r: str(r.clocks)),
    ("met", "met", lambda r: str(r.met)),
    ("breached", "breached", lambda r: str(r.breached)),
    ("past due", "open past due", lambda r: str(r.open_past_due)),
    ("open", "open", lambda r: str(r.open)),
    ("declined", "declined", lambda r: str(r.declined)),
    ("on time", "on time by law", lambda r: _percent(r.on_time_share)),
    ("on target", "on the regional target", lambda r: _percent(r.target_share)),
    ("NA on time", "need assessments on time", lambda r: _percent(r.assessments_on_time_share)),
    ("care", "care started (contacts)", lambda r: str(r.care_started)),
    ("<=14 d", "care within 14 days", lambda r: _percent(r.within_14_days_share)),
    ("<=3 mo", "care within 3 months", lambda r: _percent(r.within_3_months_share)),
    ("median d", "median waiting days", lambda r: _number(r.waiting_days_median)),
    ("p90 d", "90th percentile waiting days", lambda r: _number(r.waiting_days_p90)),
)
# The message keys of the columns above, in the same order (the HTML page's languages).
_COLUMN_KEYS = (
    "clocks",
    "met",
    "breached",
    "past_due",
    "open",
    "declined",
    "on_time",
    "on_target",
    "na_on_time",
    "care",
    "within_14",
    "within_3mo",
    "median",
    "p90",
)


def _columns(language: str) -> list[tuple[str, str, Callable[[ReportRow], str]]]:
    """The columns with their short and long names in *language*."""
    out = []
    for key, (_, _, cell) in zip(_COLUMN_KEYS, _TEXT_COLUMNS, strict=True):
        short = _msg(f"col.{key}", language)
        long_key = f"col.{key}.long"
        long = _msg(long_key, language) if long_key in _MESSAGES else short
        out.append((short, long, cell))
    return out


def _table(header: Sequence[str], body: Sequence[Sequence[str]], left: int) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in body)]


def _span(report: Report, language: str = "en") -> str:
    """The period in local (Europe/Helsinki) days, e.g. ``2025-01-01 to 2025-02-28``; with
    times when a bound is not at midnight (the end bound then stays exclusive)."""
    since, until = report.since.astimezone(HELSINKI), report.until.astimezone(HELSINKI)
    start = since.date().isoformat() if since.time() == time(0) else f"{since:%Y-%m-%d %H:%M}"
    if until.time() == time(0):
        end = (until.date() - timedelta(days=1)).isoformat()
        return _msg("report.span", language, start=start, end=end)
    return _msg("report.span_before", language, start=start, end=f"{until:%Y-%m-%d %H:%M}")


def _period(report: Report) -> str:
    return (
        f"clocks started {_span(report)} (Europe/Helsinki; since {report.since.isoformat()}, "
        f"until {report.until.isoformat()} exclusive)"
    )


def _text(report: Report) -> str:
    lines = [
        "oneContact access report",
        f"period: {_period(report)}",
        f"as of:  {report.as_of.isoformat()}",
        f"by:     {', '.join(report.by) or '(total only)'}",
        "",
    ]
    header = [*report.by, *(short for short, _, _ in _TEXT_COLUMNS)]
    body = [
        [*row.values.values(), *(cell(row) for _, _, cell in _TEXT_COLUMNS)] for row in report.rows
    ]
    body.append([*(_ALL for _ in report.by), *(cell(report.total) for _, _, cell in _TEXT_COLUMNS)])
    if not report.by:
        header, body = ["", *header], [["all", *body[-1]]]
    lines += _table(header, body, max(1, len(report.by)))
    lines += [
        "",
        "columns: " + "; ".join(f"{short} = {long}" for short, long, _ in _TEXT_COLUMNS),
        "",
    ]
    still = sum(b.still_open for b in report.breaches)
    lines.append(f"breaches: {len(report.breaches)} ({still} still open)")
    if report.breaches:
        lines += _table(
            ["contact", "clock", "service", "age", "started", "due", "stopped", "days over"],
            [
                [
                    b.contact_id,
                    b.clock,
                    b.service,
                    b.age_group,
                    b.started_on.isoformat(),
                    b.due_date.isoformat(),
                    "open" if b.stopped_on is None else b.stopped_on.isoformat(),
                    str(b.days_over),
                ]
                for b in report.breaches
            ],
            7,
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- HTML

_GREEN, _AMBER, _RED, _DARK_RED = "#2e7d32", "#f2a900", "#c62828", "#7f0000"
_BLUE, _PURPLE, _GREY, _INK = "#5c7fa3", "#7b5ea7", "#c9ced6", "#1f2933"
# Waiting-time bins: a week each up to 13 weeks (91 days, about 3 months), then the rest.
_BINS: tuple[tuple[int, int | None], ...] = (
    (0, 7),
    *((7 * i + 1, 7 * i + 7) for i in range(1, 13)),
    (92, None),
)
_OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("met", "met", _GREEN),
    ("breached", "breached", _RED),
    ("open_past_due", "open past due", _DARK_RED),
    ("open", "open", _BLUE),
    ("declined", "declined", _PURPLE),
    ("no_limit", "no limit", _GREY),
)

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;
margin:0;background:#f4f6f8}
main{max-width:1120px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 6px}
p.lead{margin:0 0 16px;color:#52606d}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.tile{background:#fff;border-radius:8px;padding:12px 16px;min-width:150px;flex:1;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
.tile b{display:block;font-size:26px}.tile span{color:#52606d;font-size:13px}
.grid{display:flex;flex-wrap:wrap;gap:16px}
figure{background:#fff;border-radius:8px;margin:0;padding:12px;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
figcaption{font-weight:600;margin-bottom:4px}
.note{color:#52606d;font-size:13px;max-width:900px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin-top:8px}
th,td{padding:4px 8px;border-bottom:1px solid #e4e7eb;text-align:right;white-space:nowrap}
th{background:#e4e7eb}th.k,td.k{text-align:left}tr.total td{font-weight:700}
.legend span{display:inline-block;margin-right:14px;font-size:13px}
.legend i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}
svg text{font:11px system-ui,sans-serif;fill:#1f2933}
@media print{body{background:#fff}figure,.tile{box-shadow:none;border:1px solid #ccc}}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _svg(
    width: int, height: int, title: str, attrs_: Mapping[str, str], body: Iterable[str]
) -> str:
    data = "".join(f' data-{k}="{_e(v)}"' for k, v in attrs_.items())
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}"{data}>'
        f"<title>{_e(title)}</title>{''.join(body)}</svg>"
    )


def _bin_label(low: int, high: int | None) -> str:
    return f"{low}+" if high is None else f"{low}-{high}"


def _waiting_chart(service: str, name: str, row: ReportRow, lang: str) -> str:
    """Histogram of one service's waiting days with the 14-day and 3-month limits."""
    width, height, left, right, top, bottom = 420, 220, 36, 10, 36, 40
    counts = [
        sum(n for d, n in row.waiting_days.items() if d >= low and (high is None or d <= high))
        for low, high in _BINS
    ]
    peak = max(counts) or 1
    plot_w, plot_h = width - left - right, height - top - bottom
    bar_w = plot_w / len(_BINS)
    head = _msg(
        "report.chart_waiting_head",
        lang,
        service=name,
        started=row.care_started,
        median=_number(row.waiting_days_median),
        share=_percent(row.within_14_days_share),
    )
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="#9aa5b1"/>',
        f'<text x="{left}" y="14" font-weight="600">{_e(head)}</text>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    for i, ((low, high), count) in enumerate(zip(_BINS, counts, strict=True)):
        colour = _GREEN if high is not None and high <= 14 else _AMBER if high else _RED
        h = plot_h * count / peak
        x = left + i * bar_w
        tip = _msg("report.bin_days", lang, bin=_bin_label(low, high), count=count)
        body.append(
            f'<rect class="bar" data-bin="{_bin_label(low, high)}" data-count="{count}" '
            f'x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{_e(tip)}</title></rect>'
        )
        if i % 2 == 0 or high is None:
            body.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" '
                f'text-anchor="middle">{low if high is None else high}{"+" if high is None else ""}'
                "</text>"
            )
    for days, key in ((14, "report.limit_14"), (91, "report.limit_3mo")):
        x = left + bar_w * (2 if days == 14 else 13)
        body.append(
            f'<line class="limit" data-limit-days="{days}" x1="{x:.1f}" y1="{top - 8}" '
            f'x2="{x:.1f}" y2="{top + plot_h}" stroke="{_INK}" stroke-dasharray="4 3"/>'
            f'<text x="{x:.1f}" y="{top - 12}" text-anchor="middle">{_e(_msg(key, lang))}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
        f"{_e(_msg('report.chart_waiting_axis', lang))}</text>"
    )
    title = _msg("report.chart_waiting", lang, service=name)
    return _svg(
        width,
        height,
        title,
        {
            "chart": "waiting-distribution",
            "service": service,
            "care-started": str(row.care_started),
        },
        body,
    )


def _month_chart(clock: str, rows: Sequence[ReportRow], months: Sequence[str], lang: str) -> str:
    """Bars: share of the clock's decided clocks on time by law, per month of start;
    a diamond marks the share on the regional target where there is one."""
    by_month = {r.values["month"]: r for r in rows}
    width = max(300, 60 + 46 * len(months))
    height, left, top, bottom = 230, 40, 36, 44
    plot_h = height - top - bottom
    slot = (width - left - 10) / max(1, len(months))
    body = [f'<text x="{left}" y="14" font-weight="600">{_e(clock)}</text>']
    for pct in (0, 50, 100):
        y = top + plot_h * (1 - pct / 100)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" '
            f'stroke="{"#9aa5b1" if pct == 0 else "#e4e7eb"}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{pct} %</text>'
        )
    for i, month in enumerate(months):
        x = left + i * slot
        body.append(
            f'<text x="{x + slot / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle">'
            f"{_e(month)}</text>"
        )
        row = by_month.get(month)
        share = None if row is None else row.on_time_share
        if row is None or share is None:
            continue
        decided = row.met + row.breached + row.open_past_due
        h = plot_h * share
        colour = _GREEN if share >= 0.9 else _AMBER if share >= 0.5 else _RED
        tip = _msg("report.month_bar", lang, month=month, share=_percent(share), decided=decided)
        body.append(
            f'<rect class="bar" data-month="{_e(month)}" data-measure="law" '
            f'data-share="{share:.4f}" data-decided="{decided}" x="{x + slot * 0.2:.1f}" '
            f'y="{top + plot_h - h:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}" '
            f'fill="{colour}"><title>{_e(tip)}</title></rect>'
            f'<text x="{x + slot / 2:.1f}" y="{top + plot_h - h - 3:.1f}" '
            f'text-anchor="middle">{100 * share:.0f}%</text>'
            f'<text x="{x + slot / 2:.1f}" y="{top + plot_h + 27}" text-anchor="middle" '
            f'fill="#52606d">n={decided}</text>'
        )
        target = row.target_share
        if target is not None:
            cx, cy = x + slot / 2, top + plot_h * (1 - target)
            tip = _msg("report.month_target", lang, month=month, share=_percent(target))
            body.append(
                f'<path class="target" data-month="{_e(month)}" data-measure="target" '
                f'data-share="{target:.4f}" d="M{cx:.1f} {cy - 5:.1f} L{cx + 5:.1f} {cy:.1f} '
                f'L{cx:.1f} {cy + 5:.1f} L{cx - 5:.1f} {cy:.1f} Z" fill="{_INK}">'
                f"<title>{_e(tip)}</title></path>"
            )
    title = _msg("report.chart_month", lang, clock=clock)
    return _svg(width, height, title, {"chart": "on-time-by-month", "clock": clock}, body)


def _outcome_chart(rows: Sequence[ReportRow], names: Mapping[str, str], lang: str) -> str:
    """Horizontal stacked bars: the outcome of every clock, per service."""
    label_w, bar_w, row_h, top = 190, 560, 26, 8
    width, height = label_w + bar_w + 60, top + row_h * len(rows) + 8
    body = []
    for i, row in enumerate(rows):
        service = row.values["service"]
        name = names.get(service, service)
        y = top + i * row_h
        body.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{_e(name)}</text>')
        x = float(label_w)
        for outcome, _, colour in _OUTCOMES:
            count = getattr(row, outcome)
            if not count:
                continue
            w = bar_w * count / max(1, row.clocks)
            said = _msg(f"outcome.{outcome}", lang)
            body.append(
                f'<rect class="bar" data-service="{_e(service)}" data-outcome="{outcome}" '
                f'data-count="{count}" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="18" '
                f'fill="{colour}"><title>{_e(name)}: {count} {_e(said)}</title></rect>'
            )
            x += w
        body.append(f'<text x="{label_w + bar_w + 6}" y="{y + 15}">{row.clocks}</text>')
    title = _msg("report.chart_outcome", lang)
    return _svg(width, height, title, {"chart": "outcomes-by-service"}, body)


def _tile(value: str, label: str) -> str:
    return f'<div class="tile"><b>{_e(value)}</b><span>{_e(label)}</span></div>'


def _shown(dimension: str, value: str, names: Mapping[str, str]) -> str:
    """A dimension's value as the page shows it: a service by its name."""
    return names.get(value, value) if dimension == "service" else value


def _html_table(report: Report, names: Mapping[str, str], lang: str) -> str:
    dimensions = report.by or ("",)
    columns = _columns(lang)
    head = "".join(
        f'<th class="k">{_e(_msg(f"dim.{d}", lang) if d else "")}</th>' for d in dimensions
    ) + "".join(f'<th title="{_e(long)}">{_e(short)}</th>' for short, long, _ in columns)
    everything = _msg("report.all", lang)
    lines = []
    for row, css in [*((r, "") for r in report.rows), (report.total, ' class="total"')]:
        if css:
            keys = [everything for _ in dimensions]
        else:
            keys = [_shown(d, v, names) for d, v in row.values.items()]
        cells = "".join(f'<td class="k">{_e(k)}</td>' for k in keys) + "".join(
            f"<td>{_e(cell(row))}</td>" for _, _, cell in columns
        )
        lines.append(f"<tr{css}>{cells}</tr>")
    return (
        f'<table class="groups"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table>"
    )


def _breach_table(report: Report, names: Mapping[str, str], lang: str) -> str:
    shown = report.breaches[:_HTML_BREACHES]
    still_open = _e(_msg("report.still_open", lang))
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="k">{_e(v)}</td>'
            for v in (
                b.contact_id,
                b.clock,
                names.get(b.service, b.service),
                b.age_group,
                b.started_on,
                b.due_date,
            )
        )
        + f'<td class="k">{still_open if b.stopped_on is None else _e(b.stopped_on)}</td>'
        + f"<td>{b.days_over}</td></tr>"
        for b in shown
    )
    more = len(report.breaches) - len(shown)
    # The message holds markup (<code>), and only a number is put into it.
    note = f'<p class="note">{_msg("report.more_breaches", lang, more=more)}</p>' if more else ""
    head = "".join(
        f'<th class="k">{_e(_msg(key, lang))}</th>'
        for key in (
            "col.contact",
            "dim.clock",
            "dim.service",
            "col.age_group",
            "col.started",
            "col.due",
            "col.stopped",
        )
    )
    return (
        f'<table class="breaches"><thead><tr>{head}<th>{_e(_msg("report.days_over", lang))}'
        f"</th></tr></thead><tbody>{rows}</tbody></table>{note}"
    )


def _html(report: Report, lang: str = "en") -> str:
    total = report.total
    names = {sid: name.get(lang) for sid, name in report.service_names.items()}
    by_service = report.group(["service"])
    waiting = [
        _waiting_chart(
            row.values["service"],
            names.get(row.values["service"], row.values["service"]),
            row,
            lang,
        )
        for row in by_service
        if row.care_started
    ]
    by_clock_month = report.group(["clock", "month"])
    months = sorted({r.values["month"] for r in by_clock_month})
    clocks = sorted({r.values["clock"] for r in by_clock_month if r.on_time_share is not None})
    month_charts = [
        _month_chart(c, [r for r in by_clock_month if r.values["clock"] == c], months, lang)
        for c in clocks
    ]
    still = sum(b.still_open for b in report.breaches)

    def m(key: str, **values: object) -> str:
        return _e(_msg(key, lang, **values))

    tiles = [
        _tile(str(total.clocks), _msg("report.tile_clocks", lang)),
        _tile(_percent(total.on_time_share), _msg("report.tile_on_time", lang)),
        _tile(_percent(total.within_14_days_share), _msg("report.tile_14", lang)),
        _tile(_percent(total.within_3_months_share), _msg("report.tile_3mo", lang)),
        _tile(
            _msg(
                "report.days_short",
                lang,
                n=f"{_number(total.waiting_days_median)} / {_number(total.waiting_days_p90)}",
            ),
            _msg("report.tile_wait", lang),
        ),
        _tile(str(total.open_past_due), _msg("report.tile_past_due", lang)),
        _tile(str(total.declined), _msg("report.tile_declined", lang)),
    ]
    if total.target_clocks:
        tiles.insert(2, _tile(_percent(total.target_share), _msg("report.tile_target", lang)))
    legend = "".join(
        f'<span><i style="background:{colour}"></i>{m(f"outcome.{outcome}")}</span>'
        for outcome, _, colour in _OUTCOMES
    )

    def empty(key: str) -> str:
        return f'<p class="note">{m("report.empty", what=_msg(key, lang))}</p>'

    span = _span(report, lang)
    title = _msg("report.title", lang, span=span)
    by = ", ".join(_msg(f"dim.{d}", lang) for d in report.by) or _msg("report.total", lang)
    columns = _columns(lang)
    lead = _msg("report.lead", lang, span=span, as_of=f"{report.as_of:%Y-%m-%d %H:%M}")
    outcome_chart = (
        _outcome_chart(by_service, names, lang) if by_service else empty("report.empty_clocks")
    )
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body><main>
<h1>{_e(title)}</h1>
<p class="lead">{_e(lead)}</p>
<div class="tiles">{"".join(tiles)}</div>

<h2>{m("report.h_waiting")}</h2>
<p class="note">{m("report.note_waiting")}</p>
<div class="grid">{"".join(f"<figure>{c}</figure>" for c in waiting) or empty("report.empty_care")}</div>

<h2>{m("report.h_month")}</h2>
<p class="note">{m("report.note_month")}</p>
<div class="grid">{"".join(f"<figure>{c}</figure>" for c in month_charts) or empty("report.empty_decided")}</div>

<h2>{m("report.h_outcome")}</h2>
<figure><div class="legend">{legend}</div>{outcome_chart}</figure>

<h2>{m("report.h_figures", by=by)}</h2>
{_html_table(report, names, lang)}
<p class="note">{_e("; ".join(f"{s} = {long}" for s, long, _ in columns))}.</p>

<h2>{m("report.h_breaches", count=len(report.breaches), still=still)}</h2>
{_breach_table(report, names, lang)}
<p class="note">{m("report.note_end")}</p>
</main></body></html>
"""
