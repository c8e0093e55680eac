"""The :class:`Report` value: the measures of the clocks that started in a period, any
grouping of them, and its formats (JSON here; text, CSV and HTML by their renderers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

import attrs

from .._messages import reading_language
from .._text import Label
from ..errors import LedgerArgumentError
from .csv_table import render_csv
from .html_page import render_html
from .measures import Breach, ReportRow, Tally, TallyKey, WaitKey, Waits, check_by, rows_of
from .overrides import Overrides, text_lines
from .text import render_text

__all__ = ["Report"]


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
    _tallies: Mapping[TallyKey, Tally] = attrs.field(repr=False, eq=False)
    _waits: Mapping[WaitKey, Waits] = attrs.field(repr=False, eq=False)
    service_names: Mapping[str, Label] = attrs.field(
        factory=lambda: MappingProxyType({}), repr=False, eq=False
    )
    """Service id -> its name in the catalogue (fi, sv, en), for the HTML page."""
    place_names: Mapping[str, Mapping[str, str]] = attrs.field(
        factory=lambda: MappingProxyType({}), repr=False, eq=False
    )
    """``unit`` and ``municipality`` -> code -> its name (as a directory gives it, one
    text for every language), for the HTML page and the text; codes stay in JSON and
    CSV."""
    overrides: Overrides | None = attrs.field(default=None, repr=False)
    """Professionals' overrides of the rules' suggestions for the contacts received in the
    period (``Ledger.report`` adds it; None from a source that keeps no suggestions)."""

    def group(self, by: Sequence[str]) -> tuple[ReportRow, ...]:
        """The same clocks split another way (any subset of :data:`DIMENSIONS`)."""
        return rows_of(self._tallies, self._waits, check_by(by))

    def __repr__(self) -> str:
        return (
            f"<Report {self.since.isoformat()} to {self.until.isoformat()} by "
            f"{', '.join(self.by) or 'nothing'}: {self.total.clocks} clocks, "
            f"{len(self.breaches)} breaches>"
        )

    # ------------------------------------------------------------ formats

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the period, ``total``, ``rows``, ``breaches``, the
        waiting-day histogram of each service (``{service: {days: contacts}}``) and, when
        the report has them, the ``overrides`` (:meth:`Overrides.to_json`)."""
        found = {
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
        if self.overrides is not None:
            found["overrides"] = self.overrides.to_json()
        return found

    def to_csv(self, table: Literal["groups", "breaches", "overrides"] = "groups") -> str:
        """CSV with a header row. ``groups``: a row per group (the ``by`` dimensions, then
        every measure; shares as fractions) and last the total, whose dimensions read
        ``all``. ``breaches``: a row per breach. ``overrides``: the overrides section
        (:meth:`Overrides.to_csv`)."""
        if table == "overrides":
            if self.overrides is None:
                raise LedgerArgumentError(
                    "bad-argument", "table", "this report has no overrides section"
                )
            return self.overrides.to_csv()
        return render_csv(self, table)

    def to_text(self) -> str:
        """A plain-text summary for people: the groups as a table, then the breaches,
        then the overrides section (English, as the rest)."""
        text = render_text(self)
        if self.overrides is None:
            return text
        return text + "\n" + "\n".join(text_lines(self.overrides, "en")) + "\n"

    def to_html(self, language: str = "en") -> str:
        """One self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched)
        with charts: waiting times against the limits per service, the share on time per
        month, and the outcomes per service; then the tables. *language* (fi, sv or en)
        is the page's ``lang`` and the language of its headings, columns and the
        catalogue's service names."""
        return render_html(self, reading_language(language))
