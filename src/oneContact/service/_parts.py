"""What one application serves with: its configuration (:class:`ServiceConfig`) and the
parts built from it when it starts (:class:`Parts`: the engine, the ledger).

Handlers read ``parts.engine`` (and ``parts.places``) when a request comes in, never a
copy taken at start, so a reload (which replaces both at once, :class:`Served`) reaches
every request after it; a request that needs the engine twice takes it once into a local
name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from time import perf_counter
from typing import Any

import attrs

from ..assessment import Assessment
from ..engine import Engine
from ..fhir import DEFAULT_BASE_URL
from ..ledger import Ledger
from ..routing import Directory
from ..ruleset import DEFAULT_BACKEND, Backend
from ._places import Places

__all__ = ["DEFAULT_DB", "Observer", "Parts", "Served", "ServiceConfig", "load", "process_alive"]

#: The embedded ledger a newcomer's service writes to, in the working directory.
DEFAULT_DB = "sqlite:///ledger.db"


@attrs.frozen
class ServiceConfig:
    """What a service runs on: the rules, the directory, the ledger and the evaluator."""

    rules: Path
    db: str = DEFAULT_DB
    directory: Path | None = None
    backend: Backend = DEFAULT_BACKEND
    region: str | None = None
    base_url: str = DEFAULT_BASE_URL
    explain_url: str | None = None
    """A URL template with ``{contact_id}`` for the CDS Hooks cards' link, or None."""
    state: Path | None = None
    """The directory the worker processes of one service share their rules through
    (published snapshots, the digest each serves): ``onecontact serve`` makes one; None
    for a single process."""
    decision_log: str | None = None
    """A file every worker appends the decision log's lines to, ``-`` for stderr, or None
    (the ``oneContact.service.decisions`` logger only)."""
    pool_size: int | None = None
    """A PostgreSQL ledger's connections per process (``Ledger.open(pool_size=)``, 2 to
    1000); None for the ledger's default."""


@attrs.frozen
class Served:
    """What one application serves with at a time: the engine and the places of the
    directory of units it was loaded with. A reload swaps them together."""

    engine: Engine
    places: Places = attrs.field(factory=Places)


def load(config: ServiceConfig) -> Served:
    """The engine of the configured rules with the configured directory of units,
    evaluator and region, and that directory's places. Raises what loading raises."""
    directory = (
        None
        if config.directory is None
        else Directory.from_file(config.directory, rules=config.rules)
    )
    engine = Engine.from_directory(
        config.rules, backend=config.backend, region=config.region, directory=directory
    )
    return Served(engine, Places.of(directory))


Observer = Callable[[Assessment, float], None]
"""Told of every assessment the service makes, with the seconds it took (the metrics and
the decision log); called in the worker thread that assessed. Must not raise."""


def process_alive(pid: int) -> bool:
    """Whether the process *pid* still runs (a worker of this service, or one gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - another user's process of that id
        return True
    return True


class Parts:
    """The engine, the directory's places and the ledger one application serves with
    (built when it starts; *served*, when given, instead of loading the configured rules),
    and who is told of each assessment (:data:`Observer`)."""

    def __init__(self, config: ServiceConfig, served: Served | None = None) -> None:
        self.config = config
        self.served = load(config) if served is None else served
        policies = self.engine.ruleset.policies
        self.ledger = (
            Ledger.open(config.db, policies=policies)
            if config.pool_size is None
            else Ledger.open(config.db, policies=policies, pool_size=config.pool_size)
        )
        self.observers: list[Observer] = []

    @property
    def engine(self) -> Engine:
        """The engine in force (a reload replaces it, with the places)."""
        return self.served.engine

    @property
    def places(self) -> Places:
        """The places of the directory the engine in force was loaded with."""
        return self.served.places

    def assess(
        self, contact: Any, engine: Engine | None = None, *, now: datetime | None = None
    ) -> Assessment:
        """*contact* assessed by *engine* (default: the current one) as of *now*; every
        observer is told. Every page and endpoint assesses through here."""
        engine = self.engine if engine is None else engine
        started = perf_counter()
        assessment = engine.assess(contact, now=now)
        seconds = perf_counter() - started
        for observer in self.observers:
            observer(assessment, seconds)
        return assessment
