"""The plain-text rendering of a report (:meth:`Report.to_text`), and the number and
period formats the HTML page shares with it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import time, timedelta
from typing import TYPE_CHECKING

from .._messages import MESSAGES as _MESSAGES
from .._messages import text as _msg
from ..clocks import HELSINKI
from .measures import ALL, MIN_CELL, NO_PLACE, OTHER_PLACE, PLACE_DIMENSIONS, ReportRow

if TYPE_CHECKING:  # pragma: no cover
    from .value import Report

__all__ = ["TEXT_COLUMNS", "columns_in", "number", "percent", "period_span", "render_text"]


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal, ``-`` without one."""
    return "-" if value is None else f"{100 * value:.1f} %"


def number(value: float | None) -> str:
    """A number as short as it reads exactly, ``-`` without one."""
    if value is None:
        return "-"
    return f"{value:g}"


TEXT_COLUMNS: tuple[tuple[str, str, Callable[[ReportRow], str]], ...] = (
    # (short name, long name, the cell of a row)
    ("clocks", "clocks", lambda r: str(r.clocks)),
    ("met", "met", lambda r: str(r.met)),
    ("breached", "breached", lambda r: str(r.breached)),
    ("past due", "open past due", lambda r: str(r.open_past_due)),
    ("open", "open", lambda r: str(r.open)),
    ("declined", "declined", lambda r: str(r.declined)),
    ("on time", "on time by law", lambda r: percent(r.on_time_share)),
    ("on target", "on the regional target", lambda r: percent(r.target_share)),
    ("NA on time", "need assessments on time", lambda r: percent(r.assessments_on_time_share)),
    ("care", "care started (contacts)", lambda r: str(r.care_started)),
    ("<=14 d", "care within 14 days", lambda r: percent(r.within_14_days_share)),
    ("<=3 mo", "care within 3 months", lambda r: percent(r.within_3_months_share)),
    ("median d", "median waiting days", lambda r: number(r.waiting_days_median)),
    ("p90 d", "90th percentile waiting days", lambda r: number(r.waiting_days_p90)),
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


def columns_in(language: str) -> list[tuple[str, str, Callable[[ReportRow], str]]]:
    """The columns with their short and long names in *language*."""
    out = []
    for key, (_, _, cell) in zip(_COLUMN_KEYS, TEXT_COLUMNS, strict=True):
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


def period_span(report: Report, language: str = "en") -> str:
    """The period in local (Europe/Helsinki) days, e.g. ``2025-01-01 to 2025-02-28``; with
    times when a bound is not at midnight (the end bound then stays exclusive)."""
    since, until = report.since.astimezone(HELSINKI), report.until.astimezone(HELSINKI)
    start = since.date().isoformat() if since.time() == time(0) else f"{since:%Y-%m-%d %H:%M}"
    if until.time() == time(0):
        end = (until.date() - timedelta(days=1)).isoformat()
        return _msg("report.span", language, start=start, end=end)
    return _msg("report.span_before", language, start=start, end=f"{until:%Y-%m-%d %H:%M}")


_HIDDEN = "*"


def _named(report: Report, dimension: str, value: str) -> str:
    """A unit or municipality by its name where the report has one (else the value)."""
    if dimension not in PLACE_DIMENSIONS:
        return value
    names = report.place_names.get(dimension, {})
    if value in (NO_PLACE, OTHER_PLACE) and value not in names:
        return _msg(f"place.{value}", "en")
    return names.get(value, value)


def _period(report: Report) -> str:
    return (
        f"clocks started {period_span(report)} (Europe/Helsinki; since {report.since.isoformat()}, "
        f"until {report.until.isoformat()} exclusive)"
    )


def render_text(report: Report) -> str:
    """A plain-text summary for people: the groups as a table, then the breaches."""
    lines = [
        "oneContact access report",
        f"period: {_period(report)}",
        f"as of:  {report.as_of.isoformat()}",
        f"by:     {', '.join(report.by) or '(total only)'}",
        "",
    ]
    header = [*report.by, *(short for short, _, _ in TEXT_COLUMNS)]
    body = [
        [
            *(_named(report, d, v) for d, v in row.values.items()),
            *(_HIDDEN if row.suppressed else cell(row) for _, _, cell in TEXT_COLUMNS),
        ]
        for row in report.rows
    ]
    body.append([*(ALL for _ in report.by), *(cell(report.total) for _, _, cell in TEXT_COLUMNS)])
    if not report.by:
        header, body = ["", *header], [["all", *body[-1]]]
    lines += _table(header, body, max(1, len(report.by)))
    lines += [
        "",
        "columns: " + "; ".join(f"{short} = {long}" for short, long, _ in TEXT_COLUMNS),
    ]
    if any(d in PLACE_DIMENSIONS for d in report.by):
        lines.append(
            f"{_HIDDEN} = not shown: fewer than {MIN_CELL} contacts in the row, or a row that "
            "would reveal one (small cells)"
        )
    lines.append("")
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
