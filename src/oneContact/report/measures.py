"""What a report measures: the finest-grain tallies and waits one pass over the clocks
fills (:class:`Tally`, :class:`Waits`), the :class:`ReportRow` of measures any grouping
rolls up from them (:func:`rows_of`), and :class:`Breach`, a clock past its due date.

Each measure is defined in docs/reference/reports.md; a report holds no per-contact data
besides its list of breaches.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType

import attrs

from ..errors import LedgerArgumentError, did_you_mean
from ..identity_code import shown_name

__all__ = [
    "AGE_GROUPS",
    "ALL",
    "BREACH_COLUMNS",
    "DIMENSIONS",
    "MEASURES",
    "MIN_CELL",
    "NO_PLACE",
    "NO_SERVICE",
    "OTHER_PLACE",
    "PLACE_DIMENSIONS",
    "Breach",
    "ReportRow",
    "Tally",
    "TallyKey",
    "WaitKey",
    "Waits",
    "check_by",
    "rows_of",
]

DIMENSIONS: tuple[str, ...] = ("service", "age_group", "clock", "month", "unit", "municipality")
"""What a report can be split by, in any combination."""

PLACE_DIMENSIONS: tuple[str, ...] = ("unit", "municipality")
"""The dimensions that say where: a row split by one of them is shown only when it
counts at least :data:`MIN_CELL` contacts (docs/reference/reports.md, small cells)."""

MIN_CELL = 5
"""The fewest contacts a row split by unit or municipality must count to be shown (as
THL and Findata release aggregate tables: no cell of fewer than five)."""

NO_PLACE = "none"
"""The unit of a contact none of whose routes had one; the municipality of a contact
that gave none."""

OTHER_PLACE = "other"
"""The municipality of a contact that gave one the report was told it does not know."""

AGE_GROUPS: tuple[str, ...] = ("0-22", "23+", "unknown")
"""THL's age groups, by the age on the need-assessment day; ``unknown`` without an age."""

NO_SERVICE = "none"
"""The service of a contact whose assessment had no route at all."""

ALL = "all"
"""The dimension values of the total row in CSV and text."""

TallyKey = tuple[str, str, str, str, str, str]
"""(service, age_group, clock, month, unit, municipality): the finest grain a report
keeps."""
WaitKey = tuple[str, str, str, str, str, frozenset[str]]
"""(service, age_group, month, unit, municipality, the care clocks of the contact in the
period)."""


class Tally:
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

    def add(self, other: Tally) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Waits:
    """Waiting times of the contacts of one cell: a histogram of days and the counts."""

    __slots__ = ("days", "still_waiting", "within_3m", "within_14")

    def __init__(self) -> None:
        self.days: Counter[int] = Counter()
        self.within_14 = 0
        self.within_3m = 0
        self.still_waiting = 0

    def add(self, other: Waits) -> None:
        self.days.update(other.days)
        self.within_14 += other.within_14
        self.within_3m += other.within_3m
        self.still_waiting += other.still_waiting


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


MEASURES: tuple[str, ...] = (
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
    suppressed: bool = False
    """A row split by unit or municipality that counts fewer than :data:`MIN_CELL`
    contacts, or that would let one be worked out from the others: the value keeps its
    counts, but every format (text, JSON, CSV, HTML) shows its key only."""

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
        return {name: getattr(self, name) for name in MEASURES}

    def to_json(self) -> dict[str, object]:
        """The key's dimensions, then every measure; shares rounded to 4 decimals. A
        suppressed row: its dimensions, ``"suppressed": true`` and every measure null."""
        out: dict[str, object] = dict(self.key)
        if self.suppressed:
            out["suppressed"] = True
            out.update(dict.fromkeys(MEASURES))
            return out
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


BREACH_COLUMNS = (
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


def rows_of(
    tallies: Mapping[TallyKey, Tally],
    waits: Mapping[WaitKey, Waits],
    by: tuple[str, ...],
) -> tuple[ReportRow, ...]:
    """The tallies rolled up by *by* (``()`` gives one row, the total)."""
    index = [DIMENSIONS.index(d) for d in by]
    tally_of: dict[tuple[str, ...], Tally] = {}
    # By row and clock id, the clocks: a contact has one clock of each id, so a row
    # counts at least as many contacts as its most frequent clock (small cells).
    placed = any(d in PLACE_DIMENSIONS for d in by)
    per_clock: dict[tuple[tuple[str, ...], str], int] = {}
    for key, tally in tallies.items():
        row_key = tuple(key[i] for i in index)
        tally_of.setdefault(row_key, Tally()).add(tally)
        if placed:
            found = (row_key, key[2])
            per_clock[found] = per_clock.get(found, 0) + tally.clocks
    waits_of: dict[tuple[str, ...], Waits] = {}
    for (service, age_group, month, unit, municipality, care_clocks), wait in waits.items():
        # A contact's wait is counted once in each row one of its care clocks is in.
        for clock in sorted(care_clocks) if "clock" in by else ("",):
            full = (service, age_group, clock, month, unit, municipality)
            row_key = tuple(full[i] for i in index)
            waits_of.setdefault(row_key, Waits()).add(wait)
    if not by and not tally_of:
        tally_of[()] = Tally()
    rows = []
    for row_key in sorted(
        tally_of, key=lambda k: tuple(_sort_value(d, v) for d, v in zip(by, k, strict=True))
    ):
        t = tally_of[row_key]
        w = waits_of.get(row_key) or Waits()
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
    if not placed:
        return tuple(rows)
    contacts: dict[tuple[str, ...], int] = {}
    for (row_key, _), clocks in per_clock.items():
        contacts[row_key] = max(contacts.get(row_key, 0), clocks)
    return _suppressed(rows, by, contacts)


def _suppressed(
    rows: list[ReportRow], by: tuple[str, ...], contacts: Mapping[tuple[str, ...], int]
) -> tuple[ReportRow, ...]:
    """*rows* with those of fewer than :data:`MIN_CELL` contacts (at least *contacts*
    by row key) suppressed; then, among rows alike but in their place, the smallest of
    the others too until the suppressed ones count :data:`MIN_CELL` together (or all are),
    so that their sum less the rest (a report without the place) tells nothing of one."""
    places = [i for i, d in enumerate(by) if d in PLACE_DIMENSIONS]

    def count(row: ReportRow) -> int:
        return contacts.get(tuple(v for _, v in row.key), 0)

    def alike(row: ReportRow) -> tuple[str, ...]:
        return tuple(v for i, (_, v) in enumerate(row.key) if i not in places)

    hidden = {i for i, row in enumerate(rows) if count(row) < MIN_CELL}
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(alike(row), []).append(i)
    for members in groups.values():
        small = [i for i in members if i in hidden]
        shown = sorted((i for i in members if i not in hidden), key=lambda i: (count(rows[i]), i))
        together = sum(count(rows[i]) for i in small)
        while small and together < MIN_CELL and shown:
            more = shown.pop(0)
            hidden.add(more)
            together += count(rows[more])
    return tuple(
        attrs.evolve(row, suppressed=True) if i in hidden else row for i, row in enumerate(rows)
    )


def check_by(by: object) -> tuple[str, ...]:
    """*by* (a list, or a comma-separated text) as a tuple of dimensions; refused with a
    did-you-mean when a dimension is unknown or given twice."""
    if isinstance(by, str):
        by = [part.strip() for part in by.split(",") if part.strip()]
    if not isinstance(by, Iterable):
        raise LedgerArgumentError(
            "bad-argument", "by", f"is a list of dimensions from {', '.join(DIMENSIONS)}"
        )
    out: list[str] = []
    for item in by:
        if not isinstance(item, str) or item not in DIMENSIONS:
            raise LedgerArgumentError(
                "bad-argument",
                "by",
                f"unknown dimension {shown_name(item)}; a report splits by any of "
                f"{', '.join(DIMENSIONS)}",
                suggestion=did_you_mean(item, DIMENSIONS) if isinstance(item, str) else None,
            )
        if item in out:
            raise LedgerArgumentError("bad-argument", "by", f"{item!r} is given twice")
        out.append(item)
    return tuple(out)
