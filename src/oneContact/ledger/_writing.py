"""Writing to the ledger: the checks every id, instant and event name passes on the way in
(all refusals before anything is written), and the statements that append a contact and
its events idempotently.

The ids a host passes are pseudonymous keys, never text: the same alphabet as
``FirstContact.contact_id``, so nothing written in words can be stored through them, and
never anything that looks like a Finnish personal identity code.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from ..assessment import Assessment
from ..clocks import ClockSubject, micros
from ..errors import LedgerArgumentError, LedgerError, did_you_mean, require_supported_time
from ..identity_code import shown_name
from ..intake import looks_like_identity_code
from ..suggestions import suggestions_of
from ._history import CONTACT_RECEIVED, encode_clock_persons
from ._store import Session, chunks, in_list
from ._values import LedgerEvent, when

__all__ = [
    "CONTACT_ID_MAX",
    "EventRow",
    "SuggestionRow",
    "check_event",
    "check_id",
    "check_time",
    "contact_row",
    "place_row",
    "prepare",
    "store_contact",
    "store_events",
    "suggestion_rows",
]

CONTACT_ID_MAX = 64
_EVENT_ID_MAX = 128
_ID = re.compile(r"[A-Za-z0-9._:-]+\Z")
_EVENT_NAME = re.compile(r"[a-z0-9_]{1,64}\Z")
# The contact_received event of a contact gets this id. '/' is not allowed in the ids a
# host passes, so it can never collide with one of theirs.
_RECEIVED_ID_PREFIX = "contact_received/"

EventRow = tuple[str, str, str, int]
"""An event as stored and compared for idempotency: (event_id, contact_id, event, at_us)."""
PlaceRow = tuple[str, str | None, str]
"""Where a contact belongs, as stored: (contact_id, municipality, units separated by
spaces)."""
SuggestionRow = tuple[str, str, str, str, str]
"""A suggestion as stored: (suggestion_id, contact_id, kind, value, rules separated by
spaces)."""

# The columns of a contact after its id, in the order of the statements below.
_CONTACT_COLUMNS = (
    "received_us",
    "ruleset_digest",
    "clock_ids",
    "urgency",
    "services",
    "age",
    "birth_date",
    "highest_care_allowance",
    "special_support_child",
    "clock_persons",
)
_INSERT_CONTACT = (
    f"INSERT INTO ledger_contacts (contact_id, {', '.join(_CONTACT_COLUMNS)}) "  # noqa: S608 - fixed names
    f"VALUES ({', '.join('?' * (1 + len(_CONTACT_COLUMNS)))}) ON CONFLICT (contact_id) DO NOTHING"
)
_SELECT_CONTACT = f"SELECT {', '.join(_CONTACT_COLUMNS)} FROM ledger_contacts WHERE contact_id = ?"  # noqa: S608 - fixed names
_INSERT_EVENT = "INSERT INTO ledger_events (event_id, contact_id, event, at_us) VALUES (?, ?, ?, ?)"
_INSERT_SUGGESTION = (
    "INSERT INTO ledger_suggestions (suggestion_id, contact_id, kind, value, rules) "
    "VALUES (?, ?, ?, ?, ?)"
)
_HAS_SUGGESTIONS = "SELECT 1 FROM ledger_suggestions WHERE contact_id = ? LIMIT 1"
_INSERT_PLACE = (
    "INSERT INTO ledger_contact_places (contact_id, municipality, units) VALUES (?, ?, ?)"
)
_HAS_PLACE = "SELECT 1 FROM ledger_contact_places WHERE contact_id = ?"
_SELECT_RECEIVED = "SELECT contact_id, received_us FROM ledger_contacts WHERE contact_id IN"
_SELECT_EVENT_IDS = "SELECT event_id, contact_id, event, at_us FROM ledger_events WHERE event_id IN"


def check_time(ts: object, field: str) -> int:
    """*ts* in whole microseconds since the epoch; refused unless a datetime with a time
    zone in the years the working-day calendar supports (``timestamp-out-of-range``:
    stored, an instant outside them would leave its contact's clocks unjudgeable)."""
    return micros(require_supported_time(ts, field, LedgerArgumentError))


def check_id(value: object, field: str, *, longest: int = CONTACT_ID_MAX) -> str:
    """*value* when it is a pseudonymous key of at most *longest* characters."""
    if not isinstance(value, str) or not value:
        raise LedgerArgumentError("bad-id", field, "must be a non-empty string")
    if looks_like_identity_code(value):
        # The value is not repeated: it may be a real personal identity code.
        raise LedgerArgumentError(
            "identity-code",
            field,
            "looks like a Finnish personal identity code; the ledger stores only the "
            "pseudonymous ids the host passes",
        )
    if len(value) > longest or not _ID.match(value):
        raise LedgerArgumentError(
            "bad-id",
            field,
            f"must be 1-{longest} characters of A-Z a-z 0-9 . _ : - (a pseudonymous key, not text)",
        )
    return value


def check_event(name: object, field: str, recordable: Collection[str]) -> str:
    """*name* when it is one of the *recordable* events of the ledger's policies."""
    if isinstance(name, str) and name in recordable:
        return name
    if name == CONTACT_RECEIVED:
        raise LedgerArgumentError(
            "reserved-event",
            field,
            "contact_received is recorded by record_assessment(), from the assessment",
        )
    names = ", ".join(sorted(recordable))
    if not isinstance(name, str) or not _EVENT_NAME.match(name):
        raise LedgerArgumentError(
            "unknown-event", field, f"an event is one of the policies' event names: {names}"
        )
    hint = did_you_mean(name, recordable)
    also = "" if hint else f"; use one of {names}"
    raise LedgerArgumentError(
        "unknown-event",
        field,
        f"unknown event {shown_name(name)}{also}; a region adds events under 'events:' in "
        "its policy files",
        suggestion=hint,
    )


def contact_row(
    assessment: object, subject: object, clock_ids: Collection[str]
) -> tuple[str, tuple[object, ...]]:
    """The contact id and the stored columns of an assessment (see :data:`_CONTACT_COLUMNS`);
    refused when it is not an Assessment, has no subject, or starts a clock the ledger's
    policies (*clock_ids*) do not have."""
    if not isinstance(assessment, Assessment):
        raise LedgerArgumentError(
            "bad-assessment", "assessment", "must be an Assessment from Engine.assess()"
        )
    if subject is None:
        subject = assessment.subject
    if not isinstance(subject, ClockSubject):
        raise LedgerArgumentError(
            "bad-subject",
            "subject",
            "must be a ClockSubject, e.g. ClockSubject(age=client.age, "
            "birth_date=client.birth_date, highest_care_allowance=..., "
            "special_support_child=...)",
        )
    contact_id = check_id(assessment.contact_id, "contact_id")
    received_us = check_time(assessment.received_at, "received_at")
    ids = tuple(c.clock for c in assessment.clocks)
    unknown = [c for c in ids if c not in clock_ids]
    if unknown:
        raise LedgerArgumentError(
            "unknown-clock",
            "assessment.clocks",
            f"clock {unknown[0]!r} is not in this ledger's policies; open the ledger "
            "with the policies of the engine that made the assessment "
            "(Ledger.open(url, policies=engine.ruleset.policies))",
        )
    return contact_id, (
        received_us,
        str(assessment.ruleset_digest),
        " ".join(ids),
        str(assessment.urgency),
        " ".join(r.service for r in assessment.routes),
        subject.age,
        None if subject.birth_date is None else subject.birth_date.isoformat(),
        int(subject.highest_care_allowance),
        int(subject.special_support_child),
        encode_clock_persons(assessment.clocks, assessment.person_subjects),
    )


def suggestion_rows(assessment: Assessment) -> list[SuggestionRow]:
    """The stored rows of :func:`~oneContact.suggestions.suggestions_of` *assessment*."""
    return [
        (s.id, s.contact_id, s.kind, s.value, " ".join(s.rules)) for s in suggestions_of(assessment)
    ]


def place_row(assessment: Assessment) -> PlaceRow:
    """Where *assessment*'s contact belongs: its municipality and its routes' units."""
    units = " ".join(r.unit for r in assessment.routes if r.unit is not None)
    return (assessment.contact_id, assessment.municipality, units)


def store_contact(
    session: Session,
    contact_id: str,
    row: tuple[object, ...],
    suggestions: Sequence[SuggestionRow] = (),
    place: PlaceRow | None = None,
) -> bool:
    """Store a contact, its ``contact_received`` event, its *suggestions* and its
    *place*, in one transaction: True when stored, False when the same contact is stored
    already; LedgerError when it is stored differently. A contact stored before the
    ledger kept suggestions or places gets them when the same assessment is recorded
    again (nothing else of it changes)."""
    with session.write():
        # Looked up first: a stored key is never inserted again (on SQLite a trigger
        # refuses it, as it would a REPLACE).
        found = session.query(_SELECT_CONTACT, (contact_id,))
        if not found:
            if session.execute(_INSERT_CONTACT, (contact_id, *row)):
                session.execute(
                    _INSERT_EVENT,
                    (_RECEIVED_ID_PREFIX + contact_id, contact_id, CONTACT_RECEIVED, row[0]),
                )
                if suggestions:
                    session.executemany(_INSERT_SUGGESTION, suggestions)
                if place is not None:
                    session.execute(_INSERT_PLACE, place)
                return True
            # PostgreSQL: another transaction stored it after we looked.
            found = session.query(_SELECT_CONTACT, (contact_id,))
        (stored,) = found
        same = all(old == new for old, new in zip(stored, row, strict=True))
        if same and suggestions and not session.query(_HAS_SUGGESTIONS, (contact_id,)):
            # Stored before the ledger kept suggestions: they are added now, once.
            session.executemany(_INSERT_SUGGESTION, suggestions)
        if same and place is not None and not session.query(_HAS_PLACE, (contact_id,)):
            session.execute(_INSERT_PLACE, place)  # stored before the ledger kept places
    differ = [
        name for name, old, new in zip(_CONTACT_COLUMNS, stored, row, strict=True) if old != new
    ]
    if differ:
        shown = ", ".join(d.replace("received_us", "received_at") for d in differ)
        raise LedgerError(
            "contact-conflict",
            "contact_id",
            f"contact {contact_id!r} is already recorded with a different {shown}; a "
            "contact is recorded once, from its first assessment: record what happened "
            "since as events",
        )
    return False


def prepare(
    items: Sequence[object], recordable: Collection[str], *, batch: bool
) -> list[tuple[int, EventRow]]:
    """Each event checked, with its index in *items*; an event id twice with the same
    content counts once. Refused (before anything is written) at the first bad one."""
    rows: list[tuple[int, EventRow]] = []
    seen: dict[str, tuple[int, EventRow]] = {}
    for index, item in enumerate(items):
        where = f"events[{index}]." if batch else ""
        if not isinstance(item, LedgerEvent):
            raise LedgerArgumentError(
                "bad-event",
                f"events[{index}]",
                "must be a LedgerEvent(contact_id, event, at, event_id)",
            )
        contact_id = check_id(item.contact_id, where + "contact_id")
        event = check_event(item.event, where + "event", recordable)
        at_us = check_time(item.at, where + "at")
        event_id = check_id(item.event_id, where + "event_id", longest=_EVENT_ID_MAX)
        row = (event_id, contact_id, event, at_us)
        prior = seen.get(event_id)
        if prior is None:
            seen[event_id] = (index, row)
            rows.append((index, row))
        elif prior[1] != row:
            raise LedgerArgumentError(
                "event-id-conflict",
                where + "event_id",
                f"{event_id!r} is also events[{prior[0]}], with different content; "
                "each event gets its own id",
            )
    return rows


def store_events(
    session: Session, rows: list[tuple[int, EventRow]], *, batch: bool, item: str = "events"
) -> int:
    """Store the new events of *rows* (in the caller's write transaction); how many were
    new. LedgerError for an unknown contact, an event before its contact was received, or
    an event id stored with other content."""
    received: dict[str, int] = {}
    contact_ids = sorted({row[1] for _, row in rows})
    for chunk in chunks(contact_ids):
        received.update(session.query(in_list(_SELECT_RECEIVED, len(chunk)), chunk))
    existing: dict[str, EventRow] = {}
    for chunk in chunks([row[0] for _, row in rows]):
        for stored in session.query(in_list(_SELECT_EVENT_IDS, len(chunk)), chunk):
            existing[stored[0]] = (stored[0], stored[1], stored[2], stored[3])
    fresh: list[EventRow] = []
    for index, row in rows:
        where = f"{item}[{index}]." if batch else ""
        event_id, contact_id, _, at_us = row
        received_us = received.get(contact_id)
        if received_us is None:
            raise LedgerError(
                "unknown-contact",
                where + "contact_id",
                f"no contact {contact_id!r} in the ledger; record its assessment first "
                "with Ledger.record_assessment()",
            )
        if at_us < received_us:
            raise LedgerError(
                "before-contact",
                where + "at",
                f"{when(at_us)} is before contact {contact_id!r} was received "
                f"({when(received_us)}); check the timestamp and its UTC offset",
            )
        old = existing.get(event_id)
        if old is None:
            fresh.append(row)
        elif old != row:
            raise LedgerError(
                "event-id-conflict",
                where + "event_id",
                f"{event_id!r} is already recorded as {old[2]} of contact {old[1]!r} at "
                f"{when(old[3])}; an event id names one event forever: give this event "
                "its own id",
            )
    if fresh:
        session.executemany(_INSERT_EVENT, fresh)
    return len(fresh)
