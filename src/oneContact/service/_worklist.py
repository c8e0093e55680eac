"""The team's worklist, shared by the JSON API (``GET /worklist``) and the page
(``GET /team/worklist``): which clocks, filtered how, on which page.

A *team* is a unit of the region's directory (``unit=``): the worklist of a team is the
clocks of the contacts whose routes went to that unit. A team may also look at one
service (a catalogue service id, ``service=``), a municipality of the directory, an
urgency level, a clock or a status. The order is the ledger's (:meth:`Ledger.due`):
running clocks past due first, most days over first, then by due date.

What a filter on the contact needs (its urgency, services, units, municipality) comes
from :meth:`Ledger.contact_summaries`, read for every listed contact when such a filter
is given, else for the items of the page only. Unknown filter values are refused with an
:class:`ArgumentError` naming the field and the nearest known value.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from ..engine import Engine
from ..errors import ArgumentError, did_you_mean, parse_timestamp
from ..ledger import MAX_WITHIN_WEEKDAYS, ContactSummary, Ledger, LedgerClock
from ..ruleset.model import URGENCY_LEVELS
from ._places import Places

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_PER_PAGE",
    "STATUSES",
    "WorklistItem",
    "WorklistPage",
    "WorklistQuery",
    "read_query",
    "worklist_page",
]

#: The most worklist items one page holds.
MAX_PER_PAGE = 500
#: Items on a page when ``per_page`` is not given.
DEFAULT_PER_PAGE = 50
#: The statuses a clock on the worklist can have (it runs: on time or past due).
STATUSES = ("open", "breached")
#: The filters that need each listed contact's summary.
_CONTACT_FILTERS = ("unit", "service", "municipality", "urgency")


@attrs.frozen
class WorklistQuery:
    """One reading of the worklist: the moment, the horizon, the filters and the page."""

    now: datetime
    within: int = 1
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    unit: str | None = None
    service: str | None = None
    municipality: str | None = None
    urgency: str | None = None
    clock: str | None = None
    status: str | None = None

    def filters(self) -> dict[str, str]:
        """The filters given, by name (for links that keep them)."""
        names = ("unit", "service", "municipality", "urgency", "clock", "status")
        return {n: v for n in names if (v := getattr(self, n)) is not None}


@attrs.frozen
class WorklistItem:
    """One clock on the worklist with what the ledger keeps of its contact (None for a
    contact the ledger has no summary of, which never happens for a recorded one)."""

    clock: LedgerClock
    summary: ContactSummary | None

    def to_json(self) -> dict[str, object]:
        """The clock's JSON (:meth:`LedgerClock.to_json`) with the contact's urgency,
        services, units and municipality."""
        summary = self.summary
        return {
            **self.clock.to_json(),
            "urgency": None if summary is None else summary.urgency,
            "services": [] if summary is None else list(summary.services),
            "units": [] if summary is None else list(summary.units),
            "municipality": None if summary is None else summary.municipality,
        }


@attrs.frozen
class WorklistPage:
    """A page of the worklist: its number, size, the total after filtering, its items."""

    page: int
    per_page: int
    total: int
    items: tuple[WorklistItem, ...]

    @property
    def pages(self) -> int:
        """How many pages the total fills (at least one)."""
        return max(1, -(-self.total // self.per_page))

    def to_json(self) -> dict[str, Any]:
        """``{page, per_page, total, items}``."""
        return {
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "items": [item.to_json() for item in self.items],
        }


def _whole(text: str | None, field: str, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise ArgumentError("bad-argument", field, f"must be a whole number from {low} to {high}")
    return int(text)


def _known(text: str | None, field: str, known: Collection[str]) -> str | None:
    """*text* when it is one of *known* (None when not given or empty)."""
    if text is None or text == "":
        return None
    if text in known:
        return text
    if not known:
        raise ArgumentError(
            "unknown-value", field, f"there is nothing to filter by {field} here; leave it out"
        )
    shown = ", ".join(sorted(known)[:12]) + (", ..." if len(known) > 12 else "")
    raise ArgumentError(
        "unknown-value",
        field,
        f"not a known {field}; choose one of: {shown}",
        suggestion=did_you_mean(text, known),
    )


def read_query(params: Mapping[str, str], engine: Engine, places: Places) -> WorklistQuery:
    """The worklist query of *params* (a request's query parameters) for the rules of
    *engine* and the directory's *places*; an :class:`ArgumentError` naming the field
    when a value is not one the service knows."""
    now_text = params.get("now")
    now = datetime.now(UTC) if not now_text else parse_timestamp(now_text, "now")
    ruleset = engine.ruleset
    return WorklistQuery(
        now=now,
        within=_whole(params.get("within"), "within", 1, 0, MAX_WITHIN_WEEKDAYS),
        page=_whole(params.get("page"), "page", 1, 1, 10**9),
        per_page=_whole(params.get("per_page"), "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
        unit=_known(params.get("unit"), "unit", places.units),
        service=_known(params.get("service"), "service", ruleset.catalogue.services),
        municipality=_known(params.get("municipality"), "municipality", places.municipalities),
        urgency=_known(params.get("urgency"), "urgency", URGENCY_LEVELS),
        clock=_known(params.get("clock"), "clock", ruleset.policies.clock_ids),
        status=_known(params.get("status"), "status", STATUSES),
    )


def _wanted(query: WorklistQuery, summary: ContactSummary | None) -> bool:
    if summary is None:
        return False
    return (
        (query.unit is None or query.unit in summary.units)
        and (query.service is None or query.service in summary.services)
        and (query.municipality is None or query.municipality == summary.municipality)
        and (query.urgency is None or query.urgency == summary.urgency)
    )


def worklist_page(ledger: Ledger, query: WorklistQuery) -> WorklistPage:
    """The page of the worklist *query* asks for (blocking: run it in the thread pool)."""
    clocks = ledger.due(now=query.now, within_weekdays=query.within)
    if query.clock is not None:
        clocks = [c for c in clocks if c.id == query.clock]
    if query.status is not None:
        clocks = [c for c in clocks if c.status == query.status]
    start = (query.page - 1) * query.per_page
    if any(getattr(query, name) is not None for name in _CONTACT_FILTERS):
        summaries = ledger.contact_summaries({c.contact_id for c in clocks})
        listed = [
            WorklistItem(c, s) for c in clocks if _wanted(query, s := summaries.get(c.contact_id))
        ]
        shown = listed[start : start + query.per_page]
        total = len(listed)
    else:
        page = clocks[start : start + query.per_page]
        summaries = ledger.contact_summaries({c.contact_id for c in page})
        shown = [WorklistItem(c, summaries.get(c.contact_id)) for c in page]
        total = len(clocks)
    return WorklistPage(query.page, query.per_page, total, tuple(shown))
