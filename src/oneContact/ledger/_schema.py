"""The ledger's schema, in one place: every table, index and trigger
(the same tables, columns and constraints on both backends; only the spelling of the
autoincrement column and of the append-only triggers differs). :mod:`._migrate` makes
them (``Ledger.migrate``) and checks them on opening.

- ``ledger_meta(key, value)``: ``schema_version`` = :data:`SCHEMA_VERSION`. A ledger
  written by a newer version is refused rather than misread. ``projection_format`` =
  :data:`PROJECTION_FORMAT`.
- ``ledger_contacts``: one row per contact, written once: ``contact_id`` (primary key),
  ``received_us``, ``ruleset_digest``, ``clock_ids``, ``urgency``, ``services``, and the
  clock subject needed to recompute: ``age``, ``birth_date``, ``highest_care_allowance``,
  ``special_support_child``; ``clock_persons`` (nullable, added by ``Ledger.migrate`` to ledgers
  made before it; see :mod:`._history`). No free text, no identity code.
- ``ledger_events``: ``seq`` (autoincrement: the order of recording), ``event_id``
  (UNIQUE: the idempotency key), ``contact_id`` (foreign key), ``event``, ``at_us``.
  Indexed on ``(contact_id, at_us)``. Triggers refuse UPDATE and DELETE on both data
  tables and on ``ledger_meta`` (only ``Ledger.migrate`` changes a version there), on
  PostgreSQL TRUNCATE of all three (a statement trigger: TRUNCATE fires no row trigger),
  and on SQLite also an INSERT of a stored key (``INSERT OR REPLACE`` / ``REPLACE INTO``
  would otherwise delete the stored row without a DELETE trigger firing).
- ``ledger_suggestions``: what each contact's assessment proposed to a professional
  (:func:`oneContact.suggestions.suggestions_of`), written with the contact by
  ``Ledger.record_assessment``: ``suggestion_id`` (primary key: the UUID a CDS Hooks card
  carries), ``contact_id`` (foreign key), ``kind`` (``urgency`` or ``route``), ``value``
  (the level or the service id), ``rules`` (the ids of the rules that made it, separated
  by spaces; empty for a default). Indexed on ``contact_id``.
- ``ledger_feedback``: the link of a ``suggestion_accepted`` / ``suggestion_overridden``
  event to the suggestion it answers (``Ledger.record_feedback``): ``event_id`` (primary
  key, foreign key to ``ledger_events``), ``suggestion_id`` (foreign key), ``reason`` (a
  key of :data:`~oneContact.suggestions.OVERRIDE_REASONS`, or NULL; never free text).
  The partial index ``ledger_events_feedback`` finds the feedback events of a contact.
- ``ledger_contact_places``: where each contact belongs, for the worklist's filters and the
  access report's breakdowns, written with the contact: ``contact_id`` (primary key,
  foreign key), ``municipality`` (as the contact gave it, or NULL), ``units`` (the units
  of its routes in route order, separated by spaces; a route without a unit leaves
  none). Written once, from the first assessment recorded: a later one whose directory
  gave other units changes nothing.
  These three tables are :data:`ADDED_TABLES`: append-only like the data tables above, and
  added by ``Ledger.migrate`` to a ledger made before them without a new schema version.
- the clock projection (``ledger_projections``, ``ledger_clock_terms``,
  ``ledger_clock_rows``; see :mod:`._projection`): derived data, dropped by ``Ledger.migrate``
  when its format is not :data:`PROJECTION_FORMAT`.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ADDED_TABLES",
    "DROP_PROJECTION",
    "DROP_PROJECTION_INDEXES",
    "PG_SCHEMA",
    "PROJECTION_FORMAT",
    "PROJECTION_INDEXES",
    "SCHEMA_VERSION",
    "SQLITE_SCHEMA",
]

SCHEMA_VERSION = 1

PROJECTION_FORMAT = 3
"""Bumped when the projection's tables change; kept in ``ledger_meta`` as
``projection_format`` and part of the projection's fingerprint. A ledger of another
format has its projection dropped by ``Ledger.migrate`` (the next report builds it again). 3: each
row says the person whose right its clock follows, and is judged with that person's
subject."""

_PROJECTION_TABLES = (
    # A projection is named in its rows by a small number, not by its 64-character
    # fingerprint (which in every row and index entry doubled the projection's size).
    """CREATE TABLE IF NOT EXISTS ledger_projections (
        projection_id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        through_seq BIGINT NOT NULL,
        caught_up_us BIGINT NOT NULL
    )""",
    # The texts a clock's terms give (its id, limit, legal basis, the target's basis):
    # a few hundred kinds, each stored once and named by a number in the rows.
    """CREATE TABLE IF NOT EXISTS ledger_clock_terms (
        projection_id INTEGER NOT NULL,
        terms_id INTEGER NOT NULL,
        clock_id TEXT NOT NULL,
        limit_text TEXT,
        basis TEXT NOT NULL,
        target_basis TEXT,
        PRIMARY KEY (projection_id, terms_id)
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_clock_rows (
        projection_id INTEGER NOT NULL,
        contact_id TEXT NOT NULL,
        clock_index INTEGER NOT NULL,
        terms_id INTEGER NOT NULL,
        start_us BIGINT NOT NULL,
        start_day INTEGER NOT NULL,
        stopped_us BIGINT,
        stop_day INTEGER,
        due_day INTEGER,
        status TEXT NOT NULL,
        target_due_day INTEGER,
        assessed_us BIGINT NOT NULL,
        last_us BIGINT NOT NULL,
        withdrawn_us BIGINT,
        person TEXT,
        PRIMARY KEY (projection_id, contact_id, clock_index)
    )""",
)

PROJECTION_INDEXES = (
    # The worklist: running clocks by due date; and the contacts with events after a
    # moment (judged again from their events when that moment is asked about).
    "CREATE INDEX IF NOT EXISTS ledger_clock_rows_due "
    "ON ledger_clock_rows (projection_id, status, due_day)",
    "CREATE INDEX IF NOT EXISTS ledger_clock_rows_last "
    "ON ledger_clock_rows (projection_id, last_us)",
)
"""Made with the tables; dropped while a whole projection is built and made again after
it (one sort, instead of a B-tree insert per row in random order)."""

DROP_PROJECTION_INDEXES = (
    "DROP INDEX IF EXISTS ledger_clock_rows_due",
    "DROP INDEX IF EXISTS ledger_clock_rows_last",
)

DROP_PROJECTION = tuple(
    f"DROP TABLE IF EXISTS {table}"
    for table in ("ledger_clock_rows", "ledger_clock_terms", "ledger_projections")
)
"""What ``Ledger.migrate`` drops of a ledger whose projection has another
:data:`PROJECTION_FORMAT`."""

_TABLES = (
    """CREATE TABLE IF NOT EXISTS ledger_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_contacts (
        contact_id TEXT PRIMARY KEY,
        received_us BIGINT NOT NULL,
        ruleset_digest TEXT NOT NULL,
        clock_ids TEXT NOT NULL,
        urgency TEXT NOT NULL,
        services TEXT NOT NULL,
        age INTEGER,
        birth_date TEXT,
        highest_care_allowance INTEGER NOT NULL CHECK (highest_care_allowance IN (0, 1)),
        special_support_child INTEGER NOT NULL CHECK (special_support_child IN (0, 1)),
        clock_persons TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_events (
        seq {seq},
        event_id TEXT NOT NULL UNIQUE,
        contact_id TEXT NOT NULL REFERENCES ledger_contacts (contact_id),
        event TEXT NOT NULL,
        at_us BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS ledger_events_contact ON ledger_events (contact_id, at_us)",
    """CREATE TABLE IF NOT EXISTS ledger_suggestions (
        suggestion_id TEXT PRIMARY KEY,
        contact_id TEXT NOT NULL REFERENCES ledger_contacts (contact_id),
        kind TEXT NOT NULL CHECK (kind IN ('urgency', 'route')),
        value TEXT NOT NULL,
        rules TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS ledger_suggestions_contact ON ledger_suggestions (contact_id)",
    """CREATE TABLE IF NOT EXISTS ledger_contact_places (
        contact_id TEXT PRIMARY KEY REFERENCES ledger_contacts (contact_id),
        municipality TEXT,
        units TEXT NOT NULL
    )""",
    # The professionals' feedback events only (a partial index: the other events skip
    # it): which contacts were answered, and the answers that named no suggestion.
    "CREATE INDEX IF NOT EXISTS ledger_events_feedback ON ledger_events (contact_id, at_us) "
    "WHERE event IN ('suggestion_accepted', 'suggestion_overridden')",
    """CREATE TABLE IF NOT EXISTS ledger_feedback (
        event_id TEXT PRIMARY KEY REFERENCES ledger_events (event_id),
        suggestion_id TEXT NOT NULL REFERENCES ledger_suggestions (suggestion_id),
        reason TEXT
    )""",
    *_PROJECTION_TABLES,
    *PROJECTION_INDEXES,
)


ADDED_TABLES = frozenset({"ledger_suggestions", "ledger_feedback", "ledger_contact_places"})
"""Tables added after schema version 1 was first released, without a new version (as
the column ``ledger_contacts.clock_persons`` was): ``Ledger.migrate`` adds them; a ledger
without them is refused for writing until migrated, and read where it is only read (its
contacts then have no stored suggestions, which the overrides report counts apart)."""


def _schema(seq: str, triggers: Sequence[str]) -> tuple[str, ...]:
    return (*(t.replace("{seq}", seq) for t in _TABLES), *triggers)


# The append-only tables, each with the key a REPLACE would make room for (by deleting
# the stored row of that key, or of that rowid, without firing a DELETE trigger).
_APPEND_ONLY = {
    "ledger_meta": "key",
    "ledger_contacts": "contact_id",
    "ledger_events": "event_id",
    "ledger_suggestions": "suggestion_id",
    "ledger_feedback": "event_id",
    "ledger_contact_places": "contact_id",
}


def _sqlite_guard(table: str, event: str, name: str, when: str = "") -> str:
    """A trigger refusing *event* on *table* (when *when* holds): ``<table>_no_<name>``."""
    return (
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{name} BEFORE {event} ON {table} {when}"
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
    )


SQLITE_SCHEMA = _schema(
    "INTEGER PRIMARY KEY AUTOINCREMENT",
    (
        *(_sqlite_guard(table, "UPDATE", "update") for table in _APPEND_ONLY),
        *(_sqlite_guard(table, "DELETE", "delete") for table in _APPEND_ONLY),
        # INSERT OR REPLACE, REPLACE INTO and an UPSERT's insert of a stored key or rowid
        # (NEW.rowid is -1 when the statement gives none).
        *(
            _sqlite_guard(
                table,
                "INSERT",
                "replace",
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {key} = NEW.{key}) "  # noqa: S608 - fixed names
                f"OR EXISTS (SELECT 1 FROM {table} WHERE rowid = NEW.rowid) ",
            )
            for table, key in _APPEND_ONLY.items()
        ),
    ),
)
"""The SQLite schema; its append-only guards are triggers named ``<table>_no_update``,
``<table>_no_delete`` and ``<table>_no_replace`` on ``ledger_meta``, ``ledger_contacts``,
``ledger_events``, ``ledger_suggestions``, ``ledger_feedback`` and
``ledger_contact_places``."""

_PG_APPEND_ONLY = tuple(_APPEND_ONLY)
"""The tables PostgreSQL's triggers keep append-only (the projection is derived data)."""

PG_SCHEMA = _schema(
    "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    (
        "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
        *(
            f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
            for table in _PG_APPEND_ONLY
        ),
        # TRUNCATE fires no row trigger: a statement trigger refuses it.
        *(
            f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()"
            for table in _PG_APPEND_ONLY
        ),
    ),
)
