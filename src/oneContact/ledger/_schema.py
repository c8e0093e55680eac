"""The ledger's schema and its migrations, in one place: every table, index and trigger
(the same tables, columns and constraints on both backends; only the spelling of the
autoincrement column and of the append-only triggers differs), and :func:`create`, which
makes them on first use and brings an older ledger up to date on opening.

- ``ledger_meta(key, value)``: ``schema_version`` = :data:`SCHEMA_VERSION`. A ledger
  written by a newer version is refused rather than misread. ``projection_format`` =
  :data:`PROJECTION_FORMAT`.
- ``ledger_contacts``: one row per contact, written once: ``contact_id`` (primary key),
  ``received_us``, ``ruleset_digest``, ``clock_ids``, ``urgency``, ``services``, and the
  clock subject needed to recompute: ``age``, ``birth_date``, ``highest_care_allowance``,
  ``special_support_child``; ``clock_persons`` (nullable, added on opening to ledgers
  made before it; see :mod:`._history`). No free text, no identity code.
- ``ledger_events``: ``seq`` (autoincrement: the order of recording), ``event_id``
  (UNIQUE: the idempotency key), ``contact_id`` (foreign key), ``event``, ``at_us``.
  Indexed on ``(contact_id, at_us)``. Triggers refuse UPDATE and DELETE on both data
  tables.
- the clock projection (``ledger_projections``, ``ledger_clock_terms``,
  ``ledger_clock_rows``; see :mod:`._projection`): derived data, dropped on opening when
  its format is not :data:`PROJECTION_FORMAT`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import LedgerStoreError
from ._store import Session

__all__ = [
    "DROP_PROJECTION",
    "DROP_PROJECTION_INDEXES",
    "PG_SCHEMA",
    "PROJECTION_FORMAT",
    "PROJECTION_INDEXES",
    "SCHEMA_VERSION",
    "SQLITE_SCHEMA",
    "create",
]

SCHEMA_VERSION = 1

PROJECTION_FORMAT = 3
"""Bumped when the projection's tables change; kept in ``ledger_meta`` as
``projection_format`` and part of the projection's fingerprint. A ledger of another
format has its projection dropped on opening (the next report builds it again). 3: each
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
"""What a ledger whose projection has another :data:`PROJECTION_FORMAT` drops on opening."""

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
    *_PROJECTION_TABLES,
    *PROJECTION_INDEXES,
)


def _schema(seq: str, triggers: Sequence[str]) -> tuple[str, ...]:
    return (*(t.replace("{seq}", seq) for t in _TABLES), *triggers)


SQLITE_SCHEMA = _schema(
    "INTEGER PRIMARY KEY AUTOINCREMENT",
    tuple(
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        for table in ("ledger_contacts", "ledger_events")
        for verb in ("UPDATE", "DELETE")
    ),
)

PG_SCHEMA = _schema(
    "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    (
        "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
        *(
            f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
            for table in ("ledger_contacts", "ledger_events")
        ),
    ),
)

_SELECT_PROJECTION_FORMAT = "SELECT value FROM ledger_meta WHERE key = 'projection_format'"


def create(session: Session, backend: str, where: str) -> None:
    """Make the ledger's tables on first use, or bring an older ledger up to date: a
    ledger of another schema version is refused (:class:`LedgerStoreError`) before
    anything is run on it. *backend* is ``sqlite`` or ``postgresql``; *where* names the
    store in messages."""
    if session.has_table("ledger_meta"):
        _check_version(session, where)
        found = session.query(_SELECT_PROJECTION_FORMAT)
        if not found or found[0][0] != str(PROJECTION_FORMAT):
            # The clock projection is derived data: one of another shape is dropped,
            # and the next report builds it again.
            session.ddl(DROP_PROJECTION)
    session.ddl(SQLITE_SCHEMA if backend == "sqlite" else PG_SCHEMA)
    # Added in 0.x without a new schema version: a ledger made before has every clock
    # following the client's right, which is what NULL in this column says.
    session.add_column("ledger_contacts", "clock_persons", "TEXT")
    with session.write():
        session.execute(
            "INSERT INTO ledger_meta (key, value) VALUES ('schema_version', ?) "
            "ON CONFLICT (key) DO NOTHING",
            (str(SCHEMA_VERSION),),
        )
        session.execute(
            "INSERT INTO ledger_meta (key, value) VALUES ('projection_format', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(PROJECTION_FORMAT),),
        )
    _check_version(session, where)


def _check_version(session: Session, where: str) -> None:
    found = session.query("SELECT value FROM ledger_meta WHERE key = 'schema_version'")
    version = found[0][0] if found else None
    if version != str(SCHEMA_VERSION):
        raise LedgerStoreError(
            "schema-version",
            "url",
            f"{where} has ledger schema version {version}; this oneContact reads version "
            f"{SCHEMA_VERSION}: upgrade oneContact",
        )
