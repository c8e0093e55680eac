"""Professionals' feedback in the ledger: the checks a :class:`~oneContact.suggestions.Feedback`
passes (all before anything is written), how it is stored (its event in
``ledger_events``, its link to the suggestion in ``ledger_feedback``), and the reads the
overrides report is counted from (:func:`overrides_of`).

A feedback is an ordinary ledger event (``suggestion_accepted`` /
``suggestion_overridden``) on the suggestion's contact, idempotent on its event id like
every event; the link row says which suggestion it answers and why (a coded reason, never
free text). The same event id again with the same suggestion, outcome, instant and reason
stores nothing; with anything different it is an ``event-id-conflict``. An event id
recorded before as an event that named no suggestion (``Ledger.record``) is a conflict
too: that event answered the whole assessment.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from ..clocks import from_micros
from ..errors import LedgerArgumentError, LedgerError, did_you_mean
from ..identity_code import shown_name
from ..report.overrides import ContactSuggestions, FeedbackItem, Overrides, build_overrides
from ..suggestions import OVERRIDE_REASONS, SUGGESTION_EVENTS, Feedback, Suggestion
from ._store import Session, chunks, in_list
from ._writing import EventRow, check_id, check_time, store_events

__all__ = [
    "FEEDBACK_EVENTS",
    "PreparedFeedback",
    "answers_of_contact",
    "overrides_of",
    "prepare_feedback",
    "store_feedback",
    "suggestions_of_contact",
]

FEEDBACK_EVENTS = frozenset(SUGGESTION_EVENTS.values())
"""The events a feedback is recorded as; also recordable by ``Ledger.record`` (then they
answer the contact's whole assessment). They start and stop no clock."""
_OUTCOME_OF = {event: outcome for outcome, event in SUGGESTION_EVENTS.items()}
_EVENT_ID_MAX = 128
_TOP_MAX = 10_000
_LOW, _HIGH = -(2**62), 2**62  # bounds of an open period, in microseconds

_SELECT_SUGGESTION = (
    "SELECT suggestion_id, contact_id FROM ledger_suggestions WHERE suggestion_id IN"
)
# The events already stored under these ids, each with its link if it has one: one
# statement, so one snapshot. (Two reads let a writer commit between them on PostgreSQL's
# read committed: the event seen, its link not, and a retried feedback taken for a
# conflict.) An event and its link are always written in one transaction.
_SELECT_STORED = (
    "SELECT e.event_id, f.suggestion_id, f.reason FROM ledger_events e "
    "LEFT JOIN ledger_feedback f ON f.event_id = e.event_id WHERE e.event_id IN"
)
_INSERT_LINK = "INSERT INTO ledger_feedback (event_id, suggestion_id, reason) VALUES (?, ?, ?)"

_PERIOD = "c.received_us >= ? AND c.received_us < ?"
# The feedback events, written out (not bound) so that the partial index
# ledger_events_feedback (see _schema) serves every read of them.
_IS_FEEDBACK = "e.event IN ('suggestion_accepted', 'suggestion_overridden')"
# The contacts with an answer by a moment: one list read from the partial index of the
# feedback events (a few in a hundred contacts), not a lookup per contact or suggestion
# (3x faster on a store where every contact has suggestions). contact_id is NOT NULL, so
# NOT IN means what it says.
_ANSWERED = (
    f"c.contact_id IN (SELECT e.contact_id FROM ledger_events e WHERE {_IS_FEEDBACK} "  # noqa: S608 - fixed text
    "AND e.at_us <= ?)"
)
_SELECT_RECEIVED = f"SELECT COUNT(*) FROM ledger_contacts c WHERE {_PERIOD}"  # noqa: S608 - fixed text
_SELECT_COUNTS = (
    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM ledger_suggestions s "  # noqa: S608 - fixed text
    f"WHERE s.contact_id = c.contact_id) THEN 1 ELSE 0 END), 0) FROM ledger_contacts c WHERE {_PERIOD}"
)
# The suggestions of the contacts nobody answered (most of them), counted by the store.
_SELECT_UNANSWERED = (
    "SELECT c.urgency, s.kind, s.rules, COUNT(*) FROM ledger_contacts c "  # noqa: S608 - fixed text
    f"JOIN ledger_suggestions s ON s.contact_id = c.contact_id WHERE {_PERIOD} "
    f"AND NOT {_ANSWERED} GROUP BY c.urgency, s.kind, s.rules"
)
_SELECT_LINKED = (
    "SELECT e.contact_id, e.at_us, e.seq, e.event, f.reason, f.suggestion_id "  # noqa: S608 - fixed text
    "FROM ledger_feedback f JOIN ledger_events e ON e.event_id = f.event_id "
    f"JOIN ledger_contacts c ON c.contact_id = e.contact_id WHERE {_PERIOD} AND e.at_us <= ?"
)
_SELECT_WHOLE = (
    "SELECT e.contact_id, e.at_us, e.seq, e.event FROM ledger_contacts c "  # noqa: S608 - fixed text
    f"JOIN ledger_events e ON e.contact_id = c.contact_id WHERE {_PERIOD} "
    f"AND {_IS_FEEDBACK} AND e.at_us <= ? "
    "AND NOT EXISTS (SELECT 1 FROM ledger_feedback f WHERE f.event_id = e.event_id)"
)
# The suggestions of the contacts with an answer, one by one.
_SELECT_SUGGESTIONS = (
    "SELECT s.contact_id, c.urgency, s.suggestion_id, s.kind, s.value, s.rules "  # noqa: S608 - fixed text
    "FROM ledger_contacts c JOIN ledger_suggestions s ON s.contact_id = c.contact_id "
    f"WHERE {_PERIOD} AND {_ANSWERED} ORDER BY s.contact_id"
)


class PreparedFeedback(NamedTuple):
    """A feedback checked: where it was in the call, and what is stored of it."""

    position: int
    event_id: str
    event: str
    at_us: int
    suggestion_id: str
    reason: str | None


def _check_reason(feedback: Feedback, where: str) -> str | None:
    reason = feedback.reason
    if reason is None:
        return None
    if feedback.outcome == "accepted":
        raise LedgerArgumentError(
            "bad-argument",
            where + "reason",
            "an accepted suggestion takes no reason; give reason=None, or outcome "
            "'overridden' with the reason",
        )
    if isinstance(reason, str) and reason in OVERRIDE_REASONS:
        return reason
    codes = ", ".join(OVERRIDE_REASONS)
    # Not repeated unless it reads as a code: it may be a professional's free text.
    hint = did_you_mean(reason, OVERRIDE_REASONS) if isinstance(reason, str) else None
    raise LedgerArgumentError(
        "unknown-override-reason",
        where + "reason",
        f"unknown override reason {shown_name(reason)}; a reason is one of the codes "
        f"{codes} (oneContact.suggestions.OVERRIDE_REASONS), or None; never free text",
        suggestion=hint,
    )


def prepare_feedback(items: Sequence[object], *, batch: bool) -> list[PreparedFeedback]:
    """Each feedback checked, in order; an event id twice with the same content counts
    once. Refused (before anything is written) at the first bad one."""
    out: list[PreparedFeedback] = []
    seen: dict[str, PreparedFeedback] = {}
    for index, item in enumerate(items):
        where = f"feedback[{index}]." if batch else ""
        if not isinstance(item, Feedback):
            raise LedgerArgumentError(
                "bad-feedback",
                f"feedback[{index}]" if batch else "feedback",
                "must be a Feedback(suggestion_id, outcome, at, event_id, reason) from "
                "oneContact.suggestions",
            )
        suggestion_id = check_id(item.suggestion_id, where + "suggestion_id")
        if item.outcome not in SUGGESTION_EVENTS:
            raise LedgerArgumentError(
                "bad-argument", where + "outcome", "is 'accepted' or 'overridden'"
            )
        reason = _check_reason(item, where)
        at_us = check_time(item.at, where + "at")
        event_id = check_id(item.event_id, where + "event_id", longest=_EVENT_ID_MAX)
        prepared = PreparedFeedback(
            index, event_id, SUGGESTION_EVENTS[item.outcome], at_us, suggestion_id, reason
        )
        prior = seen.get(event_id)
        if prior is None:
            seen[event_id] = prepared
            out.append(prepared)
        elif prior[1:] != prepared[1:]:
            raise LedgerArgumentError(
                "event-id-conflict",
                where + "event_id",
                f"{event_id!r} is also feedback[{prior.position}], with different content; "
                "each feedback gets its own event id",
            )
    return out


# A contact's suggestions: its urgency first ('urgency' sorts after 'route'), then the
# routes by service id.
_SELECT_OF_CONTACT = (
    "SELECT suggestion_id, kind, value, rules FROM ledger_suggestions WHERE contact_id = ? "
    "ORDER BY kind DESC, value"
)


def suggestions_of_contact(session: Session, contact_id: str) -> tuple[Suggestion, ...]:
    """The stored suggestions of *contact_id* (urgency first, then the routes by service
    id); none for a contact without any (or a ledger not yet migrated)."""
    if not session.has_table("ledger_suggestions"):
        return ()
    return tuple(
        Suggestion(str(sid), contact_id, "urgency" if kind == "urgency" else "route",
                   str(value), tuple(str(rules).split()))
        for sid, kind, value, rules in session.query(_SELECT_OF_CONTACT, (contact_id,))
    )  # fmt: skip


# A contact's answers, oldest first (as the overrides report orders them).
_SELECT_ANSWERS = (
    "SELECT f.suggestion_id, e.event, e.at_us, e.event_id, f.reason FROM ledger_feedback f "
    "JOIN ledger_events e ON e.event_id = f.event_id WHERE e.contact_id = ? "
    "ORDER BY e.at_us, e.seq"
)


def answers_of_contact(session: Session, contact_id: str) -> dict[str, Feedback]:
    """The latest answer to each of *contact_id*'s suggestions that has one, by
    suggestion id; none for a ledger not yet migrated."""
    if not session.has_table("ledger_feedback"):
        return {}
    return {
        str(sid): Feedback(str(sid), _OUTCOME_OF[str(event)], from_micros(int(at_us)),
                           str(event_id), None if reason is None else str(reason))
        for sid, event, at_us, event_id, reason in session.query(_SELECT_ANSWERS, (contact_id,))
    }  # fmt: skip


def _lookup(session: Session, head: str, keys: Sequence[str]) -> Iterator[tuple[object, ...]]:
    for chunk in chunks(keys):
        yield from session.query(in_list(head, len(chunk)), chunk)


def store_feedback(session: Session, items: list[PreparedFeedback], *, batch: bool) -> int:
    """Store the new feedback of *items* (in the caller's write transaction); how many
    were new. LedgerError for an unknown suggestion, a feedback before its contact was
    received, or an event id stored with other content."""
    contact_of = {
        str(sid): str(cid)
        for sid, cid in _lookup(
            session, _SELECT_SUGGESTION, sorted({f.suggestion_id for f in items})
        )
    }
    event_ids = [f.event_id for f in items]
    links: dict[str, tuple[object, object]] = {}
    stored: set[str] = set()
    for event_id, suggestion_id, reason in _lookup(session, _SELECT_STORED, event_ids):
        stored.add(str(event_id))
        if suggestion_id is not None:
            links[str(event_id)] = (suggestion_id, reason)
    rows: list[tuple[int, EventRow]] = []
    for f in items:
        where = f"feedback[{f.position}]." if batch else ""
        contact_id = contact_of.get(f.suggestion_id)
        if contact_id is None:
            raise LedgerArgumentError(
                "unknown-suggestion",
                where + "suggestion_id",
                f"no suggestion {f.suggestion_id!r} in the ledger: a suggestion id is the "
                "Suggestion.id (a CDS Hooks card's uuid) of an assessment recorded with "
                "Ledger.record_assessment(); record that assessment first (one recorded "
                "before the ledger kept suggestions gets them when recorded again)",
            )
        link = links.get(f.event_id)
        if (link is not None and link != (f.suggestion_id, f.reason)) or (
            link is None and f.event_id in stored
        ):
            what = (
                "an event that names no suggestion (another event, or feedback on the "
                "whole assessment)"
                if link is None
                else f"feedback on suggestion {link[0]!r} with other content"
            )
            raise LedgerError(
                "event-id-conflict",
                where + "event_id",
                f"{f.event_id!r} is already recorded as {what}; an event id names one "
                "event forever: give this feedback its own id",
            )
        rows.append((f.position, (f.event_id, contact_id, f.event, f.at_us)))
    new = store_events(session, rows, batch=batch, item="feedback")
    fresh = [(f.event_id, f.suggestion_id, f.reason) for f in items if f.event_id not in stored]
    if fresh:
        session.executemany(_INSERT_LINK, fresh)
    return new


def check_top(top: object) -> int:
    if not isinstance(top, int) or isinstance(top, bool) or not 0 <= top <= _TOP_MAX:
        raise LedgerArgumentError(
            "bad-argument", "top", f"must be a whole number of contacts from 0 to {_TOP_MAX}"
        )
    return top


def overrides_of(
    session: Session,
    *,
    since: datetime | None,
    until: datetime | None,
    now: datetime | None,
    top: int,
) -> Overrides:
    """The overrides report of the contacts received in ``[since, until)``, counting the
    feedback recorded up to *now* (see :mod:`oneContact.report.overrides`). One snapshot:
    the feedback of the period is read first (it is small: answers only); the
    suggestions of the contacts nobody answered are counted by the store, grouped (they
    only add to ``suggested``), and those of the answered contacts stream by contact."""
    low = _LOW if since is None else check_time(since, "since")
    high = _HIGH if until is None else check_time(until, "until")
    now_us = _HIGH if now is None else check_time(now, "now")
    top = check_top(top)
    if low >= high:
        raise LedgerArgumentError(
            "bad-period", "until", "is not after since; the period is [since, until)"
        )
    period = (low, high)
    if not (session.has_table("ledger_suggestions") and session.has_table("ledger_feedback")):
        # A ledger not yet migrated, read where it is only read: no suggestions stored.
        (received,) = session.query(_SELECT_RECEIVED, period)[0]
        return build_overrides(
            (), since=since, until=until, as_of=now, received=int(received), top=top
        )
    with session.streams(
        (_SELECT_COUNTS, period),
        (_SELECT_LINKED, (*period, now_us)),
        (_SELECT_WHOLE, (*period, now_us)),
        (_SELECT_UNANSWERED, (*period, now_us)),
        (_SELECT_SUGGESTIONS, (*period, now_us)),
    ) as (counts, linked, whole, unanswered, suggestions):
        received, with_suggestions = next(counts)
        feedback: dict[str, list[FeedbackItem]] = {}
        for cid, at_us, seq, event, reason, sid in linked:
            item = FeedbackItem(at_us, seq, _OUTCOME_OF[event], reason, sid)
            feedback.setdefault(cid, []).append(item)
        for cid, at_us, seq, event in whole:
            feedback.setdefault(cid, []).append(
                FeedbackItem(at_us, seq, _OUTCOME_OF[event], None, None)
            )
        return build_overrides(
            _by_contact(suggestions, feedback),
            since=since,
            until=until,
            as_of=now,
            received=int(received),
            top=top,
            unanswered=[(u, k, tuple(r.split()), int(n)) for u, k, r, n in unanswered],
            with_suggestions=int(with_suggestions),
        )


def _by_contact(
    rows: Iterator[tuple[Any, ...]], feedback: dict[str, list[FeedbackItem]]
) -> Iterator[ContactSuggestions]:
    """The suggestion rows (ordered by contact) grouped into one value per contact."""
    current: str | None = None
    urgency = ""
    found: list[tuple[str, str, str, tuple[str, ...]]] = []
    split: dict[str, tuple[str, ...]] = {}  # a few hundred distinct rule lists
    for cid, level, sid, kind, value, rules in rows:
        if cid != current:
            if current is not None:
                yield ContactSuggestions(
                    current, urgency, tuple(found), tuple(feedback.get(current, ()))
                )
            current, urgency, found = cid, level, []
        rule_ids = split.get(rules)
        if rule_ids is None:
            rule_ids = split[rules] = tuple(rules.split())
        found.append((sid, kind, value, rule_ids))
    if current is not None:
        yield ContactSuggestions(current, urgency, tuple(found), tuple(feedback.get(current, ())))
