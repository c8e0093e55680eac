"""The CSV rendering of a report (:meth:`Report.to_csv`): the groups, or the breaches."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from ..errors import LedgerArgumentError
from .measures import ALL, BREACH_COLUMNS, MEASURES, ReportRow

if TYPE_CHECKING:  # pragma: no cover
    from .value import Report

__all__ = ["render_csv"]


def render_csv(report: Report, table: str) -> str:
    """CSV with a header row. ``groups``: a row per group (the ``by`` dimensions, then
    every measure; shares as fractions) and last the total, whose dimensions read
    ``all``. ``breaches``: a row per breach."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if table == "breaches":
        writer.writerow(BREACH_COLUMNS)
        for b in report.breaches:
            writer.writerow(_csv_value(v) for v in b.to_json().values())
        return out.getvalue()
    if table != "groups":
        raise LedgerArgumentError("bad-argument", "table", "is 'groups' or 'breaches'")
    writer.writerow((*report.by, *MEASURES))
    for row in report.rows:
        writer.writerow((*row.values.values(), *_json_measures(row)))
    writer.writerow((*(ALL for _ in report.by), *_json_measures(report.total)))
    return out.getvalue()


def _json_measures(row: ReportRow) -> list[object]:
    json = row.to_json()
    return [_csv_value(json[name]) for name in MEASURES]


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
