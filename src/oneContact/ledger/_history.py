"""History reads: what the ledger reads back of its contacts and their events to judge
their clocks again, and the shape of a stored contact.

Every SELECT here comes with the row type it gives (a NamedTuple whose fields are the
SELECT's columns, the statement written from the fields), so a change to a statement
cannot silently shift a reader. Reports read contacts and events as two index-ordered
reads of one snapshot, merged by contact id (:func:`merged`): no sort of a million rows.

``clock_persons``: for each clock that follows another person's right than the client's,
``clock=person/age/birth_date/highest_care_allowance/special_support_child`` (an unknown
age or birth date left empty, the flags 0 or 1), separated by spaces; NULL when every
clock follows the client. Ids and numbers only, never text (:func:`encode_clock_persons`
writes it, :meth:`StoredContact.of` reads it).

Instants outside the supported years (:data:`~oneContact.errors.FIRST_SUPPORTED_YEAR` to
:data:`~oneContact.errors.LAST_SUPPORTED_YEAR`, UTC), which a version before they were
refused on recording may have stored, are left out of every read: such an event counts
for no clock and is not listed by ``events()``; a contact received at such an instant is
left out of the worklist and reports, and ``clocks()`` of it is a
:class:`LedgerStoreError`. Each is logged once per process (logger
``oneContact.ledger``, a warning naming the contact id and the event), so that the event
can be recorded again at its right time with a new event id.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
from types import MappingProxyType
from typing import Any, NamedTuple

import attrs

from .._memo import BoundedMemo
from ..clocks import Clock, ClockSubject, from_micros, micros
from ..errors import (
    FIRST_SUPPORTED_YEAR,
    LAST_SUPPORTED_YEAR,
    LedgerArgumentError,
    LedgerStoreError,
)
from ._store import Session, chunks, in_list
from ._values import LedgerEvent, when

__all__ = [
    "CONTACT_RECEIVED",
    "NEED_ASSESSED",
    "WITHDRAWN",
    "ContactRow",
    "History",
    "StoredContact",
    "SubjectRow",
    "assessed_us",
    "encode_clock_persons",
    "events_of",
    "histories",
    "histories_of",
    "merged",
    "open_contacts",
    "seen_of",
    "seen_until",
    "select_all_contacts",
    "select_some_contacts",
    "stored_contact",
]

CONTACT_RECEIVED = "contact_received"
NEED_ASSESSED = "need_assessed"
WITHDRAWN = "withdrawn"
_FIRST = itemgetter(0)

_LOG = logging.getLogger("oneContact.ledger")
# The stored instants of the supported years: [_FIRST_US, _END_US).
_FIRST_US = micros(datetime(FIRST_SUPPORTED_YEAR, 1, 1, tzinfo=UTC))
_END_US = micros(datetime(LAST_SUPPORTED_YEAR + 1, 1, 1, tzinfo=UTC))
# Bounded (the project's one memo): past 10,000, each is logged again when read.
_REPORTED: BoundedMemo[tuple[str, str, int], bool] = BoundedMemo(10_000)


def _left_out(contact_id: str, event: str, at_us: int) -> None:
    """Log (once per process) that an event stored at an unsupported instant is left out."""
    key = (contact_id, event, at_us)
    if _REPORTED.get(key):
        return
    _REPORTED.put(key, True)
    what = "was received" if event == CONTACT_RECEIVED else f"has a {event} event"
    _LOG.warning(
        "ledger: contact %r %s at %s, outside the years %d-%d (stored by an earlier "
        "version): left out of its clocks, due() and reports; record it again at its right "
        "time (a new event id; a new contact id for a receipt)",
        contact_id,
        what,
        when(at_us),
        FIRST_SUPPORTED_YEAR,
        LAST_SUPPORTED_YEAR,
    )


def _unsupported(contact_id: str, received_us: int) -> bool:
    """Whether a contact was received at an instant outside the supported years (then
    logged)."""
    if _FIRST_US <= received_us < _END_US:
        return False
    _left_out(contact_id, CONTACT_RECEIVED, received_us)
    return True


# --------------------------------------------------------------------------- rows


class SubjectRow(NamedTuple):
    """What recomputing a contact's clocks needs of its ``ledger_contacts`` row."""

    received_us: int
    clock_ids: str
    age: int | None
    birth_date: str | None
    highest_care_allowance: int
    special_support_child: int
    clock_persons: str | None


_SUBJECT = ", ".join(SubjectRow._fields)
_SELECT_SUBJECT = f"SELECT {_SUBJECT} FROM ledger_contacts WHERE contact_id = ?"  # noqa: S608 - fixed names


class ContactRow(NamedTuple):
    """A contact as reports read it (:func:`select_all_contacts`)."""

    contact_id: str
    received_us: int
    clock_ids: str
    age: int | None
    birth_date: str | None
    highest_care_allowance: int
    special_support_child: int
    urgency: str
    services: str
    clock_persons: str | None

    def shape(self) -> SubjectRow:
        """The subject columns (what contacts alike in clocks and subjects share)."""
        return SubjectRow(
            0,
            self.clock_ids,
            self.age,
            self.birth_date,
            self.highest_care_allowance,
            self.special_support_child,
            self.clock_persons,
        )


_CONTACT_HISTORY = f"SELECT {', '.join(ContactRow._fields)} FROM ledger_contacts"  # noqa: S608 - fixed names


def select_all_contacts() -> str:
    """Every contact (rows of :class:`ContactRow`), in contact-id order."""
    return f"{_CONTACT_HISTORY} ORDER BY contact_id"


def select_some_contacts(count: int) -> str:
    """The contacts of *count* ids (rows of :class:`ContactRow`), in contact-id order."""
    return f"{in_list(f'{_CONTACT_HISTORY} WHERE contact_id IN', count)} ORDER BY contact_id"


class OpenRow(NamedTuple):
    """A contact with clocks, joined with one of its events (``event`` None without
    one): the worklist's read when there is no projection."""

    contact_id: str
    received_us: int
    clock_ids: str
    age: int | None
    birth_date: str | None
    highest_care_allowance: int
    special_support_child: int
    clock_persons: str | None
    event: str | None
    at_us: int | None

    def subject(self) -> SubjectRow:
        return SubjectRow(
            self.received_us,
            self.clock_ids,
            self.age,
            self.birth_date,
            self.highest_care_allowance,
            self.special_support_child,
            self.clock_persons,
        )


_SELECT_OPEN = (
    f"SELECT {', '.join(f'c.{f}' for f in OpenRow._fields[:-2])}, e.event, e.at_us "  # noqa: S608 - fixed names
    "FROM ledger_contacts c LEFT JOIN ledger_events e "
    "ON e.contact_id = c.contact_id AND e.at_us <= ? "
    "WHERE c.received_us <= ? AND c.clock_ids <> '' "
    "ORDER BY c.contact_id, e.at_us, e.seq"
)

# Event rows are (contact_id, event, at_us) in time order: read only by seen_of() here.
_EVENTS = "SELECT contact_id, event, at_us FROM ledger_events"
_SELECT_EVENTS = f"{_EVENTS} WHERE contact_id = ? AND at_us <= ? ORDER BY at_us, seq"
_SELECT_ALL_EVENTS = f"{_EVENTS} WHERE at_us <= ? ORDER BY contact_id, at_us, seq"
SELECT_EVENTS_THROUGH = f"{_EVENTS} WHERE seq <= ? ORDER BY contact_id, at_us, seq"
"""Every event committed up to a seq (what a projection build judges)."""
_EVENTS_THROUGH_OF = f"{_EVENTS} WHERE seq <= ? AND contact_id IN"
_EVENTS_UNTIL_OF = f"{_EVENTS} WHERE at_us <= ? AND contact_id IN"


def select_events_through(count: int) -> str:
    """The events of *count* contacts up to a seq (``?`` first), in time order."""
    return f"{in_list(_EVENTS_THROUGH_OF, count)} ORDER BY contact_id, at_us, seq"


def _select_events_until(count: int) -> str:
    return f"{in_list(_EVENTS_UNTIL_OF, count)} ORDER BY contact_id, at_us, seq"


# --------------------------------------------------------------------------- contacts

_CLOCK_PERSON = re.compile(
    r"([a-z0-9_]{1,64})=([a-z0-9_]{1,64})/(\d{0,3})/(\d{4}-\d{2}-\d{2})?/([01])/([01])\Z"
)
_PERSON_ID = re.compile(r"[a-z0-9_]{1,64}\Z")


@attrs.frozen
class StoredContact:
    """A stored contact: what recomputing its clocks needs."""

    received_us: int
    clock_ids: tuple[str, ...]
    subject: ClockSubject
    persons: Mapping[str, str] = attrs.field(default=MappingProxyType({}), hash=False)
    """Clock id -> the person whose right it follows, for the clocks not the client's."""
    subjects: Mapping[str, ClockSubject] | None = attrs.field(default=None, hash=False)
    """Clock id -> the subject it is judged with, for the clocks not the client's; None
    when every clock follows the client."""

    @classmethod
    def of(cls, row: SubjectRow) -> StoredContact:
        """From its stored columns."""
        persons, subjects = _clock_persons(row.clock_persons)
        subject = ClockSubject(
            age=row.age,
            birth_date=None if row.birth_date is None else date.fromisoformat(row.birth_date),
            highest_care_allowance=bool(row.highest_care_allowance),
            special_support_child=bool(row.special_support_child),
        )
        return cls(row.received_us, tuple(row.clock_ids.split()), subject, persons, subjects)

    def with_received(self, received_us: int) -> StoredContact:
        """This shape (clocks and subjects) for a contact received at *received_us*."""
        return StoredContact(received_us, self.clock_ids, self.subject, self.persons, self.subjects)


def encode_clock_persons(
    clocks: Sequence[Clock], subjects: Mapping[str, ClockSubject]
) -> str | None:
    """The ``clock_persons`` column of an assessment's *clocks*; LedgerArgumentError when
    a clock names a person whose subject is not in *subjects* or an id that is not one."""
    parts = []
    for clock in clocks:
        person = clock.person
        if person is None:
            continue
        subject = subjects.get(person) if isinstance(person, str) else None
        if not isinstance(subject, ClockSubject) or not _PERSON_ID.match(person or ""):
            raise LedgerArgumentError(
                "bad-subject",
                "assessment.person_subjects",
                f"clock {clock.clock!r} follows a person without a ClockSubject in "
                "person_subjects (or whose id is not a-z, 0-9, _); record an assessment "
                "from Engine.assess()",
            )
        age = "" if subject.age is None else str(subject.age)
        born = "" if subject.birth_date is None else subject.birth_date.isoformat()
        parts.append(
            f"{clock.clock}={person}/{age}/{born}/"
            f"{int(subject.highest_care_allowance)}/{int(subject.special_support_child)}"
        )
    return " ".join(parts) or None


def _clock_persons(
    text: str | None,
) -> tuple[Mapping[str, str], Mapping[str, ClockSubject] | None]:
    """Persons and subjects by clock id from a ``clock_persons`` column."""
    if not text:
        return MappingProxyType({}), None
    persons: dict[str, str] = {}
    subjects: dict[str, ClockSubject] = {}
    for part in text.split():
        found = _CLOCK_PERSON.match(part)
        if found is None:
            raise LedgerStoreError(
                "store-format",
                "ledger_contacts.clock_persons",
                "a stored value is not in the ledger's format; the store was changed by "
                "hand or by a newer version: upgrade oneContact",
            )
        clock, person, age, born, allowance, special = found.groups()
        persons[clock] = person
        subjects[clock] = ClockSubject(
            age=int(age) if age else None,
            birth_date=date.fromisoformat(born) if born else None,
            highest_care_allowance=allowance == "1",
            special_support_child=special == "1",
        )
    return MappingProxyType(persons), MappingProxyType(subjects)


def stored_contact(session: Session, contact_id: str) -> StoredContact | None:
    """The stored contact *contact_id*, or None; LedgerStoreError when it was received at
    an instant outside the supported years."""
    found = session.query(_SELECT_SUBJECT, (contact_id,))
    if not found:
        return None
    row = SubjectRow._make(found[0])
    if _unsupported(contact_id, row.received_us):
        raise LedgerStoreError(
            "time-out-of-range",
            "contact_id",
            f"contact {contact_id!r} was stored (by an earlier version) as received at "
            f"{when(row.received_us)}, outside the years {FIRST_SUPPORTED_YEAR}-"
            f"{LAST_SUPPORTED_YEAR}: its clocks cannot be judged, and it is left out of "
            "due() and reports; record its assessment again under a new contact id",
        )
    return StoredContact.of(row)


# --------------------------------------------------------------------------- events


def seen_of(received_us: int, rows: Iterable[tuple[Any, ...]]) -> dict[str, list[int]]:
    """Each event's instants, ascending, from event rows (``contact_id, event, at_us``)
    in time order; ``contact_received`` is the contact's own receipt."""
    seen: dict[str, list[int]] = {}
    first, end = _FIRST_US, _END_US  # locals: read once per contact, not per event
    for contact_id, name, at_us in rows:
        if not first <= at_us < end:
            _left_out(contact_id, name, at_us)
            continue
        found = seen.get(name)
        if found is None:
            seen[name] = [at_us]
        else:
            found.append(at_us)
    seen[CONTACT_RECEIVED] = [received_us]
    return seen


def seen_until(
    session: Session, contact_id: str, received_us: int, now_us: int
) -> dict[str, list[int]]:
    """The contact's events at or before *now_us*, as :func:`seen_of` gives them."""
    return seen_of(received_us, session.query(_SELECT_EVENTS, (contact_id, now_us)))


def assessed_us(contact: StoredContact, seen: Mapping[str, Sequence[int]]) -> int:
    """The contact's first need assessment, or its receipt without one: the day its age
    group is counted on."""
    assessed = seen.get(NEED_ASSESSED)
    return contact.received_us if assessed is None else assessed[0]


def events_of(session: Session, contact_id: str) -> tuple[LedgerEvent, ...]:
    """Every event of the contact, ``contact_received`` first, in time order."""
    rows = session.query(
        "SELECT contact_id, event, at_us, event_id FROM ledger_events "
        "WHERE contact_id = ? ORDER BY at_us, seq",
        (contact_id,),
    )
    events = []
    for c, e, at, i in rows:
        if _FIRST_US <= at < _END_US:
            events.append(LedgerEvent(c, e, from_micros(at), i))
        else:
            _left_out(c, e, at)
    return tuple(events)


def open_contacts(
    session: Session, now_us: int
) -> Iterator[tuple[str, StoredContact, dict[str, list[int]]]]:
    """Every contact with clocks received by *now_us*, with its events up to then (as
    :func:`seen_of` gives them), in contact-id order: one streaming read."""
    # closing(): should anything fail half-way, the read (on PostgreSQL a server-side
    # cursor in a transaction) ends here, not whenever the generator is collected.
    with contextlib.closing(session.stream(_SELECT_OPEN, (now_us, now_us))) as rows:
        for contact_id, group in itertools.groupby(map(OpenRow._make, rows), key=_FIRST):
            first = next(group)
            if _unsupported(contact_id, first.received_us):
                continue
            contact = StoredContact.of(first.subject())
            events = [
                (contact_id, r.event, r.at_us) for r in (first, *group) if r.event is not None
            ]
            yield contact_id, contact, seen_of(contact.received_us, events)


# --------------------------------------------------------------------------- histories


class History(NamedTuple):
    """One contact and its events up to the moment read, as reports read them."""

    contact_id: str
    urgency: str
    services: tuple[str, ...]
    contact: StoredContact
    seen: dict[str, list[int]]
    """Each event's instants, ascending; ``contact_received`` is the contact's own."""
    place: tuple[str | None, tuple[str, ...]] = (None, ())
    """Its municipality and its routes' units (``ledger_contact_places``), where read."""


_SELECT_PLACES = "SELECT contact_id, municipality, units FROM ledger_contact_places"
_NO_PLACE: tuple[str | None, tuple[str, ...]] = (None, ())


def _place_rows(
    rows: Iterable[tuple[Any, ...]],
) -> Iterator[tuple[str, tuple[str | None, tuple[str, ...]]]]:
    for contact_id, municipality, units in rows:
        yield (
            str(contact_id),
            (None if municipality is None else str(municipality), tuple(str(units).split())),
        )


def merged(
    contacts: Iterable[tuple[Any, ...]],
    event_rows: Iterable[tuple[Any, ...]],
    now_us: int | None,
    since_us: int | None,
    place_rows: Iterable[tuple[Any, ...]] = (),
) -> Generator[History, None, None]:
    """Contacts (rows of :class:`ContactRow`) merged with their events (``contact_id,
    event, at_us``), both in the same order of contact id: each contact that has clocks,
    with its events. With *now_us*, only contacts received by then; with *since_us*, only
    contacts with an event at or after it. *place_rows* (``contact_id, municipality,
    units`` of some of the contacts, in the same order) give each contact its place.

    The merge needs only that both come in the same order of contact ids, which they do
    (one ORDER BY, one collation), so it compares ids only for equality; an event left
    over at the end would mean they did not, and is an error rather than a silent loss.
    """
    # Contacts alike in clock ids and subject share one parsed shape, and alike in
    # services one tuple of them.
    shapes: dict[SubjectRow, StoredContact] = {}
    services: dict[str, tuple[str, ...]] = {}
    groups = itertools.groupby(event_rows, key=_FIRST)
    group = next(groups, None)
    # The places are of some of the contacts, in their order: each is taken when its
    # contact comes (a contact recorded before the ledger kept places has none).
    places = _place_rows(place_rows)
    next_place = next(places, None)
    for row in map(ContactRow._make, contacts):
        contact_id, received_us = row.contact_id, row.received_us
        place = _NO_PLACE
        if next_place is not None and next_place[0] == contact_id:
            place = next_place[1]
            next_place = next(places, None)
        if group is not None and group[0] == contact_id:
            seen = seen_of(received_us, group[1])  # read before the next group
            group = next(groups, None)
        else:
            seen = seen_of(received_us, ())
        if (now_us is not None and received_us > now_us) or not row.clock_ids:
            continue  # not received yet, or no clocks
        if not _FIRST_US <= received_us < _END_US and _unsupported(contact_id, received_us):
            continue
        if since_us is not None and max(t[-1] for t in seen.values()) < since_us:
            continue
        key = row.shape()
        shape = shapes.get(key)
        if shape is None:
            shape = shapes.setdefault(key, StoredContact.of(key))
        routes = services.get(row.services)
        if routes is None:
            routes = services.setdefault(row.services, tuple(row.services.split()))
        yield History(
            contact_id, row.urgency, routes, shape.with_received(received_us), seen, place
        )
    pending = None if group is None else group[0]
    if pending is not None:
        raise LedgerStoreError(
            "store-order",
            "ledger_events",
            "the store gave events and contacts in different orders of contact id "
            f"(an event of {pending!r} was left over); report this as a bug",
        )


def histories(
    session: Session, now_us: int, since_us: int | None, *, places: bool = False
) -> Generator[History, None, None]:
    """Each contact received by *now_us* that has clocks, with its events up to *now_us*
    in time order, in contact-id order; with *since_us*, only contacts with an event at
    or after it; with *places*, with its place (a ledger with ``ledger_contact_places``).
    Index-ordered reads in one snapshot, merged by :func:`merged`."""
    statements = [(select_all_contacts(), ()), (_SELECT_ALL_EVENTS, (now_us,))]
    if places:
        statements.append((f"{_SELECT_PLACES} ORDER BY contact_id", ()))
    with session.streams(*statements) as (contacts, event_rows, *place_rows):
        yield from merged(contacts, event_rows, now_us, since_us, *place_rows)


def histories_of(
    session: Session,
    contact_ids: Sequence[str],
    now_us: int,
    since_us: int | None,
    *,
    places: bool = False,
) -> Iterator[History]:
    """What :func:`histories` gives, for the contacts *contact_ids* (in contact-id
    order) only: a few hundred at a time, each lot in one snapshot."""
    for chunk in chunks(contact_ids):
        statements = [
            (select_some_contacts(len(chunk)), chunk),
            (_select_events_until(len(chunk)), (now_us, *chunk)),
        ]
        if places:
            head = in_list(f"{_SELECT_PLACES} WHERE contact_id IN", len(chunk))
            statements.append((f"{head} ORDER BY contact_id", chunk))
        with session.streams(*statements) as (contacts, event_rows, *place_rows):
            yield from merged(contacts, event_rows, now_us, since_us, *place_rows)
