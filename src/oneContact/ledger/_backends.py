"""Which storage backend a ledger URL names: :func:`dialect_for` reads
``sqlite:///path.db`` (:mod:`._sqlite`) or ``postgresql://user@host:5432/db``
(:mod:`._postgres`) and refuses anything else with a fix."""

from __future__ import annotations

from pathlib import Path

from ..errors import LedgerArgumentError, did_you_mean
from ..identity_code import shown_name
from ._postgres import postgres
from ._sqlite import SQLite
from ._store import Dialect

__all__ = ["MAX_POOL_SIZE", "dialect_for"]

MAX_POOL_SIZE = 1000
"""More connections than any PostgreSQL server is configured for: surely a mistake."""

_READ_ONLY = "?mode=ro"


def dialect_for(url: object, busy_timeout: float, pool_size: int) -> Dialect:
    """The backend of *url*; :class:`LedgerArgumentError` (``bad-url``) for a URL that
    names none, an in-memory SQLite URL or one with an option other than ``?mode=ro``
    (open it read-only), or a missing directory
    (``bad-argument`` for a *pool_size* or *busy_timeout* out of range).
    PostgreSQL's pool holds *pool_size* connections at most and a caller waits
    *busy_timeout* seconds for one."""
    if (
        isinstance(pool_size, bool)
        or not isinstance(pool_size, int)
        or not (2 <= pool_size <= MAX_POOL_SIZE)
    ):
        raise LedgerArgumentError(
            "bad-argument",
            "pool_size",
            f"must be a whole number of connections from 2 to {MAX_POOL_SIZE} (a report "
            "that builds the clock projection reads on one connection while it writes on "
            "another); the default is 4",
        )
    if (
        isinstance(busy_timeout, bool)
        or not isinstance(busy_timeout, int | float)
        or not (0 < busy_timeout <= 3600)
    ):
        raise LedgerArgumentError(
            "bad-argument", "busy_timeout", "must be a number of seconds above 0, at most 3600"
        )
    if not isinstance(url, str):
        raise LedgerArgumentError(
            "bad-url",
            "url",
            'give a URL string such as "sqlite:///ledger.db" or '
            '"postgresql://user@host:5432/dbname"',
        )
    if url.startswith("sqlite:"):
        read_only = url.endswith(_READ_ONLY)
        if read_only:
            url = url[: -len(_READ_ONLY)]
        if not url.startswith("sqlite:///") or "?" in url:
            raise LedgerArgumentError(
                "bad-url",
                "url",
                'an SQLite ledger is "sqlite:///relative/path.db" or '
                '"sqlite:////absolute/path.db" (three slashes, then the path; the one '
                'option is "?mode=ro", to read it only)',
            )
        raw = url[len("sqlite:///") :]
        if raw in ("", ":memory:") or raw.startswith("file:"):
            raise LedgerArgumentError(
                "bad-url",
                "url",
                "the ledger must be durable, so it is a file: give a path such as "
                '"sqlite:///ledger.db" (in tests, a file under tmp_path)',
            )
        path = Path(raw).resolve()
        if not path.parent.is_dir():
            raise LedgerArgumentError(
                "bad-url",
                "url",
                f"directory {path.parent} does not exist; create it first "
                "(the ledger creates its file, not its directory)",
            )
        return SQLite(str(path), max(1, round(busy_timeout * 1000)), read_only)
    if url.startswith(("postgresql://", "postgres://")):
        return postgres(url, pool_size, float(busy_timeout))
    scheme = url.split(":", 1)[0] if ":" in url else url
    hint = did_you_mean(scheme, ("sqlite", "postgresql"))
    raise LedgerArgumentError(
        "bad-url",
        "url",
        f"unknown ledger scheme {shown_name(scheme)}; use "
        '"sqlite:///ledger.db" or "postgresql://user@host:5432/dbname"',
        suggestion=hint,
    )
