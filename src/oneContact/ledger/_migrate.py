"""Schema changes, as their own explicit step: :func:`migrate` (``Ledger.migrate(url)``,
``onecontact ledger migrate URL``) makes the tables, indexes and append-only triggers of
:mod:`._schema`, adds what an older ledger lacks and records the versions;
:func:`opened` is what opening a ledger checks instead, running no DDL.

- A new SQLite file (no ledger table in it) is made on first open: the embedded default
  needs no extra step. Any other store that lacks something is refused on opening with a
  :class:`LedgerStoreError` (code ``needs-migrate``) that gives the command to run; a
  store of a newer schema version is refused (``schema-version``) by both.
- So a running service needs only SELECT and INSERT, and a read-only store (a read-only
  file, a SELECT-only PostgreSQL role) is never written by opening it. An SQLite store
  this process only reads is read as it is when every table it reads is there, of this
  schema version: a missing guard or index, an old clock projection, or the tables added
  since (:data:`~._schema.ADDED_TABLES`: the suggestions and the professionals' feedback)
  do not stop reading.
- :func:`migrate` is idempotent: a ledger that lacks nothing is not touched (no DDL, no
  lock), and the report says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from ..errors import LedgerStoreError
from ._schema import (
    ADDED_TABLES,
    DROP_PROJECTION,
    PG_SCHEMA,
    PROJECTION_FORMAT,
    PROJECTION_INDEXES,
    SCHEMA_VERSION,
    SQLITE_SCHEMA,
)
from ._store import Session, in_list

__all__ = ["Inspection", "inspect", "migrate", "opened"]

_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")
_INDEX = re.compile(r"CREATE INDEX IF NOT EXISTS (\w+)")
_TRIGGER = re.compile(
    r"CREATE (?:OR REPLACE )?TRIGGER (?:IF NOT EXISTS )?(\w+)\s.*?\bON (\w+)", re.S
)
# Dropped while a projection is built: never missing in a way migrate must mend.
_TRANSIENT_INDEXES = frozenset(m.group(1) for s in PROJECTION_INDEXES if (m := _INDEX.search(s)))
_ADDED_COLUMN = ("ledger_contacts", "clock_persons", "TEXT")
"""Added in 0.x without a new schema version: a ledger made before has every clock
following the client's right, which is what NULL in this column says."""


def _schema(backend: str) -> tuple[str, ...]:
    return SQLITE_SCHEMA if backend == "sqlite" else PG_SCHEMA


def _expected(backend: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """The tables, indexes and (trigger, table) pairs the schema of *backend* makes."""
    tables, indexes, triggers = [], [], []
    for statement in _schema(backend):
        if m := _TABLE.search(statement):
            tables.append(m.group(1))
        elif (m := _INDEX.search(statement)) and m.group(1) not in _TRANSIENT_INDEXES:
            indexes.append(m.group(1))
        elif m := _TRIGGER.search(statement):
            triggers.append((m.group(1), m.group(2)))
    return tables, indexes, triggers


@attrs.frozen
class Inspection:
    """What a store holds of the ledger's schema, read without changing anything."""

    empty: bool
    """No ledger table at all (a new store)."""
    version: str | None
    projection_format: str | None
    missing: tuple[str, ...]
    """What :func:`migrate` would add or change, one phrase each."""
    meta_triggers: tuple[str, ...]
    """The triggers on ``ledger_meta`` now (SQLite drops them for a moment to update it)."""
    column_missing: bool
    tables_missing: bool = False
    """Some, not all, of the ledger's tables are absent, besides the :data:`ADDED_TABLES`
    (a ledger made before those still reads; its contacts have no stored suggestions)."""


def _catalogue(
    session: Session, backend: str, tables: Sequence[str], indexes: Sequence[str]
) -> tuple[set[str], set[str], set[tuple[str, str]]]:
    """The (tables, indexes, enabled (trigger, table) pairs) of the ledger found."""
    if backend == "sqlite":
        rows = session.query("SELECT type, name, tbl_name FROM sqlite_master")
        return (
            {name for kind, name, _ in rows if kind == "table"},
            {name for kind, name, _ in rows if kind == "index"},
            {(name, table) for kind, name, table in rows if kind == "trigger"},
        )
    # to_regclass follows search_path, as the unqualified names in the statements do.
    found = session.query(
        in_list(
            "SELECT relname, relkind FROM pg_class WHERE oid IN", len(tables) + len(indexes)
        ).replace("?", "to_regclass(?)"),
        (*tables, *indexes),
    )
    triggers = session.query(
        in_list(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND t.tgrelid IN",
            len(tables),
        ).replace("?", "to_regclass(?)"),
        tuple(tables),
    )
    return (
        {name for name, kind in found if kind in ("r", "p")},
        {name for name, kind in found if kind == "i"},
        {(name, table) for name, table in triggers},
    )


def _has_column(session: Session, backend: str) -> bool:
    table, column, _ = _ADDED_COLUMN
    if backend == "sqlite":
        sql = "SELECT 1 FROM pragma_table_info(?) WHERE name = ?"
    else:
        sql = (
            "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = ? "
            "AND NOT attisdropped"
        )
    return bool(session.query(sql, (table, column)))


def inspect(session: Session, backend: str) -> Inspection:
    """Read what the store at *session* holds of the ledger's schema (*backend* is
    ``sqlite`` or ``postgresql``)."""
    tables, indexes, triggers = _expected(backend)
    have_tables, have_indexes, have_triggers = _catalogue(session, backend, tables, indexes)
    absent = [t for t in tables if t not in have_tables]
    if len(absent) == len(tables):
        return Inspection(True, None, None, ("the ledger's tables",), (), False)
    missing: list[str] = []
    if absent:
        missing.append(f"table {', '.join(absent)}")
    meta: dict[str, str] = {}
    if "ledger_meta" in have_tables:
        meta = dict(session.query("SELECT key, value FROM ledger_meta"))
    version, projection = meta.get("schema_version"), meta.get("projection_format")
    if version != str(SCHEMA_VERSION):
        missing.append(f"schema version {SCHEMA_VERSION} (it has {version})")
    if projection != str(PROJECTION_FORMAT):
        missing.append(f"clock projection format {PROJECTION_FORMAT} (it has {projection})")
    column_missing = "ledger_contacts" in have_tables and not _has_column(session, backend)
    if column_missing:
        missing.append("column {}.{}".format(*_ADDED_COLUMN[:2]))
    lacking = [i for i in indexes if i not in have_indexes]
    if lacking:
        missing.append(f"index {', '.join(lacking)}")
    unguarded = [name for name, table in triggers if (name, table) not in have_triggers]
    if unguarded:
        missing.append(f"append-only trigger {', '.join(unguarded)}")
    meta_triggers = tuple(sorted(name for name, table in have_triggers if table == "ledger_meta"))
    # The tables added without a new schema version do not stop a read (see _readable).
    essential = bool(set(absent) - ADDED_TABLES)
    return Inspection(
        False, version, projection, tuple(missing), meta_triggers, column_missing, essential
    )


def _refuse_newer(found: Inspection, where: str) -> None:
    version = found.version
    if version is not None and not (version.isdigit() and int(version) <= SCHEMA_VERSION):
        raise LedgerStoreError(
            "schema-version",
            "url",
            f"{where} has ledger schema version {version}; this oneContact reads version "
            f"{SCHEMA_VERSION}: upgrade oneContact",
        )


def _readable(found: Inspection) -> bool:
    """Whether every table and column a read needs is there, of this schema version."""
    return (
        found.version == str(SCHEMA_VERSION)
        and not found.column_missing
        and not found.tables_missing
    )


def opened(session: Session, backend: str, where: str, command_url: str) -> None:
    """What opening a ledger checks: its schema is this version's, complete. A new
    SQLite file gets its schema here; anything else that lacks something is refused with
    the command that migrates it. Runs no DDL otherwise."""
    found = inspect(session, backend)
    if found.empty and backend == "sqlite":
        migrate(session, backend, where)
        return
    _refuse_newer(found, where)
    if found.missing and getattr(session, "read_only", False) and _readable(found):
        # A store this process only reads (a copy, a read-only mount) is read as it is:
        # a missing guard or index guards or speeds writes it cannot make, and a clock
        # projection of another format is not used (the clocks are judged from events).
        return
    if found.missing:
        what = "has no ledger tables" if found.empty else f"lacks {'; '.join(found.missing)}"
        raise LedgerStoreError(
            "needs-migrate",
            "url",
            f"{where} {what}: run `onecontact ledger migrate '{command_url}'` (or "
            "Ledger.migrate(url)) once, as a role that may create tables, then open it "
            "again; opening a ledger never changes its schema",
        )


def migrate(session: Session, backend: str, where: str) -> str:
    """Bring the store at *session* to this version's schema; a one-line report of
    what was done. Idempotent; a store of a newer schema version is refused."""
    found = inspect(session, backend)
    _refuse_newer(found, where)
    if not found.missing:
        return (
            f"{where}: the ledger schema is up to date (version {SCHEMA_VERSION}, clock "
            f"projection format {PROJECTION_FORMAT}); nothing was changed"
        )
    if backend == "postgresql":
        (schema_name,) = session.query("SELECT current_schema()")[0]
        if schema_name is None:
            raise LedgerStoreError(
                "no-schema",
                "url",
                f"the search_path of {where} names no schema that exists and this role may "
                "use: create it first (CREATE SCHEMA name; GRANT USAGE), or fix "
                "options=-csearch_path%3Dname in the URL",
            )
        where = f"{where} (schema {schema_name})"
    if found.column_missing:
        table, column, declaration = _ADDED_COLUMN
        session.add_column(table, column, declaration)
    schema = _schema(backend)
    statements: list[str] = []
    if found.projection_format not in (None, str(PROJECTION_FORMAT)):
        # The clock projection is derived data: one of another shape is dropped, and the
        # next report builds it again.
        statements += DROP_PROJECTION
    statements += schema
    statements += (
        # Fixed keys and this module's own version numbers, never input.
        # (not ON CONFLICT DO NOTHING: SQLite's guard refuses a stored key before that).
        f"INSERT INTO ledger_meta (key, value) SELECT '{key}', '{value}' "  # noqa: S608
        f"WHERE NOT EXISTS (SELECT 1 FROM ledger_meta WHERE key = '{key}')"
        for key, value in (
            ("schema_version", SCHEMA_VERSION),
            ("projection_format", PROJECTION_FORMAT),
        )
    )
    changes = [
        f"UPDATE ledger_meta SET value = '{value}' WHERE key = '{key}'"  # noqa: S608
        for key, value, was in (
            ("schema_version", SCHEMA_VERSION, found.version),
            ("projection_format", PROJECTION_FORMAT, found.projection_format),
        )
        if was is not None and was != str(value)
    ]
    if changes:
        # ledger_meta is append-only; the migration is the one step that may change a
        # version in it (PostgreSQL: only the tables' owner may disable a trigger).
        if backend == "sqlite":
            # Every guard on ledger_meta: those found, and those the schema above made.
            guards = {name for name, table in _expected(backend)[2] if table == "ledger_meta"}
            statements += (
                f"DROP TRIGGER IF EXISTS {name}" for name in sorted(guards | {*found.meta_triggers})
            )
            statements += (*changes, *schema)
        else:
            statements += (
                "ALTER TABLE ledger_meta DISABLE TRIGGER USER",
                *changes,
                "ALTER TABLE ledger_meta ENABLE TRIGGER USER",
            )
    if backend == "postgresql":
        # A trigger an owner disabled by hand counts as missing: enabled again.
        _, _, triggers = _expected(backend)
        statements += (
            f"ALTER TABLE {table} ENABLE TRIGGER USER"
            for table in sorted({table for _, table in triggers})
        )
    session.ddl(statements)
    after = inspect(session, backend)
    if after.missing:  # pragma: no cover - the statements above make every one of them
        raise LedgerStoreError(
            "store-fault", "url", f"{where} still lacks {'; '.join(after.missing)} after migrating"
        )
    done = (
        "created the ledger's tables" if found.empty else f"it lacked: {'; '.join(found.missing)}"
    )
    return (
        f"{where}: migrated to ledger schema version {SCHEMA_VERSION}, clock projection "
        f"format {PROJECTION_FORMAT}; {done}"
    )
