"""Access reports from the time-to-care ledger: the measures THL publishes (Avohilmo),
from the same events the clocks are recomputed from.

::

    report = ledger.report(since=start, until=end, by=["service", "age_group"])
    report.total.within_14_days_share      # care started within 14 days of the assessment
    report.rows                            # one ReportRow per service and age group
    report.breaches                        # every clock past its due date, most days over first
    report.to_text() / to_json() / to_csv() / to_html()
    report.overrides                       # professionals' overrides of the rules' suggestions
    ledger.overrides(since=start, until=end, top=10)  # the same on its own (Overrides)

What a period includes and how each measure is counted is the contract of
``docs/reference/reports.md``; in short:

- a report counts the *clocks whose start falls in* ``[since, until)``, judged as of
  ``now`` (by default the end of the period, or the present while the period runs);
- ``service`` is the assessment's first ``team_member`` route (else its first route);
  ``age_group`` is ``0-22`` or ``23+`` by the age on the need-assessment day; ``unit``
  is the unit of the service's route, ``municipality`` the one the contact gave (a row
  split by either of fewer than :data:`MIN_CELL` contacts is suppressed);
- waiting times are calendar days from ``need_assessed`` to ``care_started``, one per
  contact per row, over the clocks that start on the first and stop on the second.

The computation is one streaming pass over the contacts the ledger gives (any
:class:`ReportSource`: the report never imports the ledger) into finest-grain tallies
(service x age group x clock x month x unit x municipality); every grouping, the charts'
included, is rolled up from those tallies, so a report holds no per-contact data besides
its list of breaches.

Where things are: :mod:`.source` (what a report reads), :mod:`.measures` (tallies, rows,
breaches), :mod:`.build` (the one pass), :mod:`.value` (the :class:`Report`), and the
renderers :mod:`.text`, :mod:`.csv_table` and :mod:`.html_page`; :mod:`.overrides` counts
professionals' feedback on the rules' suggestions (its own value, :class:`Overrides`,
a section of the access report).
"""

from .build import build_report
from .measures import (
    AGE_GROUPS,
    DIMENSIONS,
    MIN_CELL,
    NO_PLACE,
    NO_SERVICE,
    OTHER_PLACE,
    PLACE_DIMENSIONS,
    Breach,
    ReportRow,
)
from .overrides import DisagreedContact, OverrideCounts, Overrides
from .source import ReportSource, StartedContact
from .value import Report

__all__ = [
    "AGE_GROUPS",
    "DIMENSIONS",
    "MIN_CELL",
    "NO_PLACE",
    "NO_SERVICE",
    "OTHER_PLACE",
    "PLACE_DIMENSIONS",
    "Breach",
    "DisagreedContact",
    "OverrideCounts",
    "Overrides",
    "Report",
    "ReportRow",
    "ReportSource",
    "StartedContact",
    "build_report",
]
