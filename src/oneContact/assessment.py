"""The values a first contact's assessment is made of, which cross every later stage.

The ledger, the reports, ``explain`` and ``diff`` read these values; none of them needs
the :class:`~oneContact.engine.Engine` that made them. Frozen, and free of free text and
identity codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from .clocks import Clock, ClockSubject
from .routing import Route
from .ruleset import Backend, Urgency

__all__ = ["Assessment", "Backend", "FiredRule"]


@attrs.frozen
class FiredRule:
    """A rule that fired, and where it is written: the explanation of a decision."""

    rule: str
    file: str
    line: int
    urgency: Urgency | None = None

    def to_json(self) -> dict[str, object]:
        """``{rule, file, line}`` as in the public JSON contract."""
        return {"rule": self.rule, "file": self.file, "line": self.line}


@attrs.frozen
class Assessment:
    """The outcome of one first contact. Holds no free text and no identity code."""

    contact_id: str
    received_at: datetime
    urgency: Urgency
    needs: tuple[str, ...]
    routes: tuple[Route, ...]
    clocks: tuple[Clock, ...]
    fired: tuple[FiredRule, ...]
    ruleset_digest: str
    backend: Backend
    subject: ClockSubject = attrs.field(factory=ClockSubject, repr=False)
    """What the care-guarantee policies read of the client (kept for the ledger; it is not
    part of the JSON output)."""
    person_subjects: Mapping[str, ClockSubject] = attrs.field(
        default=MappingProxyType({}), repr=False, hash=False
    )
    """What the policies read of each person a clock follows instead of the client, by
    person id (see :attr:`Clock.person`); kept for the ledger, never in the JSON."""
    warnings: tuple[str, ...] = ()
    """What went wrong without failing the assessment, e.g. ``directory-unavailable: ...``
    (codes and ids only, never client text)."""
    language: str = "fi"
    """The client's language as the contact gives it (``client.language``): the default
    language of :meth:`Engine.to_text`."""
    municipality: str | None = None
    """The contact's municipality as it gives it (``municipality``), or None: kept for the
    ledger's breakdowns by municipality; not part of the JSON output."""

    def decision(self) -> dict[str, Any]:
        """What was decided, without its explanation: the urgency, the needs, the routes
        (without the rule each names as its ``reason``) and the clocks, as in
        :meth:`to_json`. Two assessments with equal decisions send the client to the same
        places under the same clocks; :meth:`Engine.next_questions` asks only what can
        change this."""
        return {
            "urgency": self.urgency,
            "needs": list(self.needs),
            "routes": [
                {k: v for k, v in r.to_json().items() if k != "reason"} for r in self.routes
            ],
            "clocks": [c.to_json() for c in self.clocks],
        }

    def to_json(self) -> dict[str, Any]:
        """The public JSON contract of ``onecontact assess``."""
        data: dict[str, Any] = {
            "contact_id": self.contact_id,
            "urgency": self.urgency,
            "needs": list(self.needs),
            "routes": [r.to_json() for r in self.routes],
            "clocks": [c.to_json() for c in self.clocks],
            "fired": [f.to_json() for f in self.fired],
            "ruleset_digest": self.ruleset_digest,
        }
        if self.warnings:
            data["warnings"] = list(self.warnings)
        return data
