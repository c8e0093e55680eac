"""Care-guarantee clocks (stage 5): the Finnish working-day calendar, the clock model,
policy files, :class:`Policies`, and judging.

The law lives in ``rules/policies/*.yaml`` (see docs/reference/policies.md); this package
only counts. Where to look:

- ``calendar``: :class:`Calendar`, Finnish closed days, Helsinki time, integer instants,
  :func:`age_on`;
- ``model``: :class:`Clock`, :class:`ClockSubject`, :class:`ClockStatus`,
  :class:`LimitKind`, :data:`STANDARD_EVENTS`;
- ``loading``: reading the policy and region files (``_reading`` reads their versions,
  limits and conditions; ``_policy`` holds what they say as values);
- ``policies``: :class:`Policies`;
- ``judge``: where a clock is judged (:func:`judge_clock`, :func:`judge_status`).
"""

from .calendar import (
    HELSINKI,
    Calendar,
    YearTable,
    add_months,
    age_on,
    day_from_ordinal,
    finnish_closed_days,
    from_micros,
    local_date,
    local_day_and_time,
    local_day_of,
    micros,
)
from .judge import (
    Judged,
    judge_clock,
    judge_status,
    judging_code_digest,
    status_as_of,
)
from .loading import REGIONS_DIRECTORY, files_digest
from .model import STANDARD_EVENTS, Clock, ClockStatus, ClockSubject, LimitKind, as_status
from .policies import Policies

__all__ = [
    "HELSINKI",
    "REGIONS_DIRECTORY",
    "STANDARD_EVENTS",
    "Calendar",
    "Clock",
    "ClockStatus",
    "ClockSubject",
    "Judged",
    "LimitKind",
    "Policies",
    "YearTable",
    "add_months",
    "age_on",
    "as_status",
    "day_from_ordinal",
    "files_digest",
    "finnish_closed_days",
    "from_micros",
    "judge_clock",
    "judge_status",
    "judging_code_digest",
    "local_date",
    "local_day_and_time",
    "local_day_of",
    "micros",
    "status_as_of",
]
