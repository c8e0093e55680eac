"""The values rules are made of: urgency levels and their one order, the fields every
contact has, the persons a contact can be about, and one compiled :class:`Rule`.

The urgency order lives here once: :data:`URGENCY_LEVELS` (most urgent first) and
:func:`urgency_rank` / :data:`URGENCY_RANK` (its place in that order; no urgency after
every level). Rank urgencies through them, never through a copy of the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

import attrs

from .._text import Label
from ..intake import CHANNELS
from .condition import Cond, FieldInfo

__all__ = [
    "BUILTIN_FIELDS",
    "NO_URGENCY_RANK",
    "URGENCY_LEVELS",
    "URGENCY_RANK",
    "URGENT_OR_MORE",
    "Person",
    "Rule",
    "Urgency",
    "urgency_rank",
]

Urgency = Literal["emergency", "urgent", "non_urgent", "self_care"]
#: Most urgent first.
URGENCY_LEVELS: tuple[Urgency, ...] = ("emergency", "urgent", "non_urgent", "self_care")
#: The place of a level in :data:`URGENCY_LEVELS` (0: most urgent); after every level for
#: a rule or a table cell without urgency.
NO_URGENCY_RANK = len(URGENCY_LEVELS)
URGENCY_RANK: Mapping[Urgency | None, int] = MappingProxyType(
    {**{level: i for i, level in enumerate(URGENCY_LEVELS)}, None: NO_URGENCY_RANK}
)


URGENT_OR_MORE: frozenset[Urgency] = frozenset(URGENCY_LEVELS[:2])
"""The levels that need care the same day or now: ``emergency`` and ``urgent``."""


def urgency_rank(level: Urgency | None) -> int:
    """The place of *level* in the urgency order: 0 for ``emergency``, 3 for ``self_care``,
    :data:`NO_URGENCY_RANK` (4) for no urgency. A lower rank is more urgent."""
    return URGENCY_RANK[level]


BUILTIN_FIELDS: Mapping[str, FieldInfo] = {
    "age": FieldInfo("age", "number", "age", always_present=True),
    "language": FieldInfo("language", "string", "language", always_present=True),
    "channel": FieldInfo("channel", "choice", "channel", always_present=True, choices=CHANNELS),
    "municipality": FieldInfo("municipality", "string", "municipality"),
    "highest_care_allowance": FieldInfo(
        "highest_care_allowance", "boolean", "highest_care_allowance"
    ),
    "special_support_child": FieldInfo("special_support_child", "boolean", "special_support_child"),
    "can_use_digital_services": FieldInfo(
        "can_use_digital_services", "boolean", "can_use_digital_services"
    ),
    "concerns": FieldInfo("concerns", "concerns", "concerns"),
}


@attrs.frozen
class Person:
    """Someone a contact can be about besides the client (``persons:`` in the
    questionnaire), e.g. the person an informal carer cares for, or a parent's child.

    A clock a rule starts ``for`` this person follows their right: the care-guarantee
    policies read this person's age and flags, taken from the answers to the questions
    named here (ids, never answers: a Person holds no personal data).
    """

    id: str
    label: Label
    age: str
    """The number question that holds the person's age in years."""
    highest_care_allowance: str | None = None
    """The boolean question: does the person receive the highest care allowance."""
    special_support_child: str | None = None
    """The boolean question: is the person a child who needs special support."""


@attrs.frozen(repr=False)
class Rule:
    """One compiled assessment rule."""

    id: str
    file: str
    line: int
    when: str
    condition: Cond
    urgency: Urgency | None
    needs: tuple[str, ...]
    services: tuple[str, ...]
    clocks: tuple[str, ...]
    priority: int
    description: Label | None = None
    """What the rule does, for the people who read a decision (fi/sv/en)."""
    clock_for: Mapping[str, str] = attrs.field(default=MappingProxyType({}), hash=False)
    """Clock id -> the id of the person (``persons:`` in the questionnaire) whose right the
    clock follows, for the clocks written ``{clock: ..., for: ...}``; a clock not named
    here follows the client's own right."""
    when_at: tuple[int | None, int | None] = attrs.field(default=(None, None), eq=False)
    """Line and column of the ``when`` value in the file, as far as known (for the lint)."""
    priority_written: bool = attrs.field(default=False, eq=False)
    """Whether the rule file writes a ``priority`` (else the default 100 applies)."""

    def __repr__(self) -> str:
        return f"<Rule {self.id!r} {self.file}:{self.line}>"
