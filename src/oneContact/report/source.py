"""What a report reads, and from what: :class:`ReportSource`, the small protocol a store
of clocks implements so that a report can be built from it (the ledger does; so can a
test double), and :class:`StartedContact`, the value it yields for each contact.

The report never imports the ledger: the ledger hands itself to
:func:`oneContact.report.build_report` as a :class:`ReportSource`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import NamedTuple, Protocol

from ..clocks import ClockSubject, Judged, Policies

__all__ = ["ReportSource", "StartedContact"]


class StartedContact(NamedTuple):
    """One contact as a report counts it: its clocks that started in the period, as
    :meth:`Policies.judge` judges them on the report's day."""

    contact_id: str
    services: tuple[str, ...]
    """The assessment's route service ids, in route order."""
    subject: ClockSubject
    """The client's clock subject."""
    assessed_us: int
    """The contact's first ``need_assessed`` (its receipt without one), in microseconds
    since the epoch: the day its age group is counted on."""
    clocks: tuple[Judged, ...]
    """The contact's clocks that started in the period, judged."""
    subjects: Mapping[str, ClockSubject] | None = None
    """By clock id, the subject of each clock that follows another person's right than
    the client's; None when every clock follows the client."""
    municipality: str | None = None
    """The municipality the contact gave; None when it gave none (or the source keeps
    none)."""
    units: tuple[str, ...] = ()
    """The units of its routes, in route order (a route without a unit gives none)."""


class ReportSource(Protocol):
    """What :func:`~oneContact.report.build_report` reads: the policies the clocks are
    judged with, and the contacts with a clock that started in a period."""

    @property
    def policies(self) -> Policies:
        """The policies the clocks are judged with (their start and stop events name the
        need assessments and the care clocks)."""
        ...

    def started_clocks(
        self, since: datetime, until: datetime, as_of: datetime
    ) -> Iterable[StartedContact]:
        """Each contact with a clock that started in ``[since, until)``, as of *as_of*:
        only events at or before it count, and its local day judges the open clocks."""
        ...
