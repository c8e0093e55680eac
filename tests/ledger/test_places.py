"""Where each contact belongs (``ledger_contact_places``): its municipality and its routes'
units, stored with the contact by ``Ledger.record_assessment`` and read back by
``Ledger.contact_summaries`` (the worklist's filters, the report's breakdowns), on SQLite
and (when a server is reachable) PostgreSQL.

The contacts are the bundled examples, every other one in a municipality of the example
directory, assessed with the bundled rules and that directory (which gives their routes
units).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from oneContact.engine import Assessment, Engine
from oneContact.errors import LedgerArgumentError, LedgerStoreError
from oneContact.ledger import ContactSummary, Ledger
from oneContact.ledger._schema import PG_SCHEMA, SQLITE_SCHEMA
from oneContact.routing import Directory

from ..conftest import fresh_ledger_url
from ..conftest import raw_sql as raw

REPO = Path(__file__).resolve().parents[2]
# Every other example gets a municipality of the example directory (the examples give
# none), whose units its routes then go to.
CONTACTS = [
    {**json.loads(line), "municipality": "rannikko"} if index % 2 == 0 else json.loads(line)
    for index, line in enumerate(
        line for line in (REPO / "examples" / "contacts.jsonl").read_text().splitlines() if line
    )
]
PLACES = "ledger_contact_places"


@pytest.fixture(scope="module")
def engine() -> Engine:
    rules = REPO / "rules"
    directory = Directory.from_file(REPO / "examples" / "directory.yaml", rules=rules)
    return Engine.from_directory(rules, backend="python", directory=directory)


@pytest.fixture(scope="module")
def assessments(engine: Engine) -> list[Assessment]:
    return [engine.assess(contact) for contact in CONTACTS]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_ledger_url(request.param, tmp_path, "places_test")


def test_the_examples_give_units_and_municipalities(assessments: list[Assessment]) -> None:
    """The fixture proves something: some routes have units, some contacts a municipality."""
    assert any(r.unit for a in assessments for r in a.routes)
    assert any(a.municipality for a in assessments)
    assert [c.get("municipality") for c in CONTACTS] == [a.municipality for a in assessments]


def test_a_recorded_contact_keeps_its_municipality_and_units(
    url: str, engine: Engine, assessments: list[Assessment]
) -> None:
    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
        for a in assessments:
            assert ledger.record_assessment(a)
        found = ledger.contact_summaries([a.contact_id for a in assessments] + ["not-there"])
    assert {a.contact_id for a in assessments} == set(found)
    for a in assessments:
        expected = ContactSummary(
            a.contact_id,
            a.received_at,
            str(a.urgency),
            tuple(r.service for r in a.routes),
            tuple(r.unit for r in a.routes if r.unit is not None),
            a.municipality,
            a.ruleset_digest,
        )
        assert expected == found[a.contact_id]


def test_a_later_assessment_with_other_units_changes_nothing(
    url: str, engine: Engine, assessments: list[Assessment]
) -> None:
    a = next(a for a in assessments if any(r.unit for r in a.routes))
    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
        assert ledger.record_assessment(a)
        before = raw(url, f"SELECT * FROM {PLACES} ORDER BY 1")  # noqa: S608
        moved = a.__class__(
            *(getattr(a, f) for f in ("contact_id", "received_at", "urgency", "needs")),
            tuple(r.__class__(r.kind, r.service, r.reason, unit="elsewhere") for r in a.routes),
            *(getattr(a, f) for f in ("clocks", "fired", "ruleset_digest", "backend")),
            a.subject,
            a.person_subjects,
            a.warnings,
            a.language,
            "Muualla",
        )
        assert not ledger.record_assessment(moved)
    assert before == raw(url, f"SELECT * FROM {PLACES} ORDER BY 1")  # noqa: S608
    assert (a.contact_id, a.municipality) == before[0][:2]


def test_a_bad_list_of_contact_ids_is_refused(url: str, engine: Engine) -> None:
    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
        with pytest.raises(LedgerArgumentError) as info:
            ledger.contact_summaries("c-1")
        assert "contact_ids" == info.value.field
        with pytest.raises(LedgerArgumentError) as info:
            ledger.contact_summaries(["c 1"])
        assert "contact_ids" == info.value.field
        assert {} == ledger.contact_summaries([])


def test_places_are_append_only(url: str, engine: Engine, assessments: list[Assessment]) -> None:
    with Ledger.open(url, policies=engine.ruleset.policies) as ledger:
        ledger.record_assessment(assessments[0])
    before = raw(url, f"SELECT * FROM {PLACES}")  # noqa: S608
    for statement in (f"UPDATE {PLACES} SET units = ''", f"DELETE FROM {PLACES}"):  # noqa: S608
        with pytest.raises(Exception, match="append-only"):
            raw(url, statement)
    assert before == raw(url, f"SELECT * FROM {PLACES}")  # noqa: S608


# --------------------------------------------------------------------------- migration


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A ledger made before places were kept: today's schema less the places table and
    what guards it."""
    schema = SQLITE_SCHEMA if request.param == "sqlite" else PG_SCHEMA
    for url in fresh_ledger_url(request.param, tmp_path, "places_old", migrated=False):
        for statement in schema:
            if PLACES not in statement:
                raw(url, statement)
        raw(url, "INSERT INTO ledger_meta (key, value) VALUES ('schema_version', '1')")
        raw(url, "INSERT INTO ledger_meta (key, value) VALUES ('projection_format', '3')")
        yield url


def test_a_ledger_made_before_places_is_migrated_and_filled_when_recorded_again(
    old_url: str, engine: Engine, assessments: list[Assessment]
) -> None:
    with pytest.raises(LedgerStoreError) as info:
        Ledger.open(old_url, policies=engine.ruleset.policies)
    assert "needs-migrate" == info.value.code
    assert PLACES in str(info.value)
    assert PLACES in Ledger.migrate(old_url)
    a = next(a for a in assessments if any(r.unit for r in a.routes) and a.municipality)
    with Ledger.open(old_url, policies=engine.ruleset.policies) as ledger:
        assert ledger.record_assessment(a)
        summary = ledger.contact_summaries([a.contact_id])[a.contact_id]
    assert a.municipality == summary.municipality
    assert summary.units
