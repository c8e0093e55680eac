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

__all__ = ["dialect_for"]


def dialect_for(url: object, busy_timeout: float) -> Dialect:
    """The backend of *url*; :class:`LedgerArgumentError` (``bad-url``) for a URL that
    names none, an in-memory or option-bearing SQLite URL, or a missing directory."""
    if not isinstance(url, str):
        raise LedgerArgumentError(
            "bad-url",
            "url",
            'give a URL string such as "sqlite:///ledger.db" or '
            '"postgresql://user@host:5432/dbname"',
        )
    if url.startswith("sqlite:"):
        if not url.startswith("sqlite:///") or "?" in url:
            raise LedgerArgumentError(
                "bad-url",
                "url",
                'an SQLite ledger is "sqlite:///relative/path.db" or '
                '"sqlite:////absolute/path.db" (three slashes, then the path, no options)',
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
        return SQLite(str(path), max(1, round(busy_timeout * 1000)))
    if url.startswith(("postgresql://", "postgres://")):
        return postgres(url)
    scheme = url.split(":", 1)[0] if ":" in url else url
    hint = did_you_mean(scheme, ("sqlite", "postgresql"))
    raise LedgerArgumentError(
        "bad-url",
        "url",
        f"unknown ledger scheme {shown_name(scheme)}; use "
        '"sqlite:///ledger.db" or "postgresql://user@host:5432/dbname"',
        suggestion=hint,
    )
