"""Reading a CDS Hooks 2.0 feedback POST into :class:`~oneContact.suggestions.Feedback`.

A professional accepts a card's suggestions or overrides the card, perhaps with a coded
reason and a comment. The comment (``overrideReason.userComment``) is never read: free
text is never stored. Each feedback value gets an event id derived from what the client
sent (card, outcome, the instant, the suggestion), so a retried POST records nothing
twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..errors import did_you_mean
from ..suggestions import OVERRIDE_REASONS, Feedback, Outcome
from ._error import Problems
from ._request import is_uuid

__all__ = ["MAX_FEEDBACK", "feedback_event_id", "read_feedback", "read_located"]

#: The most feedback entries one POST may hold.
MAX_FEEDBACK = 1000

_OUTCOMES: tuple[Outcome, ...] = ("accepted", "overridden")
# The namespace of feedback event ids (a fixed random UUID).
_NAMESPACE = uuid.UUID("0b6f3f5e-2a4c-4d1b-9a77-6c2e1f8d5a43")


def feedback_event_id(card: str, outcome: str, at: datetime, suggestion: str) -> str:
    """The ledger event id of one feedback value: a UUID of the card, the outcome, the
    instant (in UTC, so that ``...Z`` and ``...+00:00`` are the same) and the
    suggestion; the same feedback sent again gets the same id."""
    instant = at.astimezone(UTC).isoformat()
    return str(
        uuid.uuid5(_NAMESPACE, f"{card.lower()}\x00{outcome}\x00{instant}\x00{suggestion.lower()}")
    )


def read_feedback(request: object, reason_system: str) -> tuple[Feedback, ...]:
    """The feedback values of a feedback POST body; raises :class:`CdsHooksError` naming
    every problem. *reason_system* is the CodeSystem of the override reasons the cards
    offered: a reason of another system (a CDS Client may add its own) is recorded as an
    override without a reason."""
    return tuple(value for value, _ in read_located(request, reason_system))


def read_located(request: object, reason_system: str) -> list[tuple[Feedback, str]]:
    """:func:`read_feedback`, each value with the field of the request it comes from
    (``feedback[0].card``, ``feedback[1].acceptedSuggestions[0].id``), so that a refusal
    of the ledger names what the client sent."""
    p = Problems()
    entries = request.get("feedback") if isinstance(request, Mapping) else None
    if not isinstance(request, Mapping):
        p.add("<request>", 'must be a JSON object: {"feedback": [...]}', "dict-type")
    elif entries is None:
        p.add("feedback", "is required: a list of feedback entries", "missing")
    elif not isinstance(entries, list):
        p.add("feedback", "must be a list of feedback entries", "list-type")
    elif not entries:
        p.add("feedback", "must hold at least one entry (CDS Hooks: no empty arrays)", "too-short")
    elif len(entries) > MAX_FEEDBACK:
        p.add("feedback", f"holds more than {MAX_FEEDBACK} entries; send them in parts", "too-long")
    found: list[tuple[Feedback, str]] = []
    if not p.found:
        assert isinstance(entries, list)
        for index, entry in enumerate(entries):
            found.extend(_entry(entry, f"feedback[{index}]", reason_system, p))
    p.raise_if_any("invalid CDS Hooks feedback")
    return found


def _entry(
    entry: object, where: str, reason_system: str, p: Problems
) -> list[tuple[Feedback, str]]:
    if not isinstance(entry, Mapping):
        p.add(where, "must be a JSON object", "dict-type")
        return []
    before = len(p.found)
    card = entry.get("card")
    if card is None:
        p.add(f"{where}.card", "is required: the card.uuid of the response", "missing")
    elif not is_uuid(card):
        p.add(f"{where}.card", "must be the uuid of a card this service returned", "not-a-uuid")
    outcome = entry.get("outcome")
    if outcome is None:
        p.add(f"{where}.outcome", "is required: accepted or overridden", "missing")
    elif outcome not in _OUTCOMES:
        p.add(
            f"{where}.outcome",
            "must be accepted or overridden",
            "unknown-outcome",
            suggestion=did_you_mean(outcome, _OUTCOMES) if isinstance(outcome, str) else None,
        )
    at = _timestamp(entry.get("outcomeTimestamp"), f"{where}.outcomeTimestamp", p)
    accepted = _accepted(entry, where, p) if outcome == "accepted" else []
    reason = _reason(entry.get("overrideReason"), where, reason_system, p)
    if len(p.found) > before or at is None:
        return []
    assert isinstance(card, str)
    if outcome == "accepted":
        return [
            (
                Feedback(s, "accepted", at, feedback_event_id(card, "accepted", at, s)),
                f"{where}.acceptedSuggestions[{index}].id",
            )
            for index, s in accepted
        ]
    # An override answers the whole card: its one suggestion (the card's uuid is its id).
    value = Feedback(
        card.lower(), "overridden", at, feedback_event_id(card, "overridden", at, card), reason
    )
    return [(value, f"{where}.card")]


def _timestamp(value: object, field: str, p: Problems) -> datetime | None:
    if value is None:
        p.add(
            field, "is required: when the professional acted, e.g. 2021-12-11T10:05:31Z", "missing"
        )
        return None
    when = None
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            when = None
    if when is None or when.tzinfo is None or when.utcoffset() is None:
        p.add(
            field, "must be an RFC 3339 time in UTC, e.g. 2021-12-11T10:05:31Z", "timestamp-format"
        )
        return None
    if not 1970 <= when.astimezone(UTC).year <= 2099:
        p.add(field, "must fall in the years 1970-2099", "timestamp-out-of-range")
        return None
    return when


def _accepted(entry: Mapping[str, Any], where: str, p: Problems) -> list[tuple[int, str]]:
    """The accepted suggestion ids (lower case, each once), each with its index."""
    field = f"{where}.acceptedSuggestions"
    accepted = entry.get("acceptedSuggestions")
    if accepted is None:
        p.add(field, "is required when the outcome is accepted", "missing")
        return []
    if not isinstance(accepted, list) or not accepted:
        p.add(field, 'must be a non-empty list of {"id": <suggestion uuid>}', "list-type")
        return []
    ids: dict[str, int] = {}
    for index, item in enumerate(accepted):
        value = item.get("id") if isinstance(item, Mapping) else None
        if not is_uuid(value):
            p.add(
                f"{field}[{index}].id", "must be the uuid of a suggestion of the card", "not-a-uuid"
            )
            continue
        assert isinstance(value, str)
        ids.setdefault(value.lower(), index)
    return [(index, value) for value, index in ids.items()]


def _reason(value: object, where: str, reason_system: str, p: Problems) -> str | None:
    """The code of the override reason; its ``userComment`` is never read."""
    field = f"{where}.overrideReason"
    if value is None:
        return None
    if not isinstance(value, Mapping):
        p.add(field, 'must be a JSON object: {"reason": Coding}', "dict-type")
        return None
    coding = value.get("reason")
    if coding is None:
        return None  # only a comment: an override without a coded reason
    code = coding.get("code") if isinstance(coding, Mapping) else None
    system = coding.get("system") if isinstance(coding, Mapping) else None
    if not isinstance(code, str) or not isinstance(system, str) or not code or not system:
        p.add(f"{field}.reason", "must be a Coding with a code and a system", "dict-type")
        return None
    if system != reason_system:
        return None  # a reason of the CDS Client's own: counted as an override
    if code not in OVERRIDE_REASONS:
        p.add(
            f"{field}.reason.code",
            f"is not one of the override reasons of {reason_system}: {', '.join(OVERRIDE_REASONS)}",
            "unknown-override-reason",
            suggestion=did_you_mean(code, OVERRIDE_REASONS),
        )
        return None
    return code
