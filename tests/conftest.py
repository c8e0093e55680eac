"""Shared test helpers: a small, self-contained rules directory the engine tests own."""

from __future__ import annotations

import functools
import os
import shutil
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# No deadlines: speed is measured in bench/, never in a unit test. A deadline on a shared,
# loaded machine (CI's, or a laptop compiling something) fails a correct test at random.
settings.register_profile("onecontact", deadline=None)
settings.load_profile("onecontact")

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def durable_unavailable() -> str | None:
    """Why the durable_rules C engine cannot be used here, or None when it can."""
    from oneContact.ruleset._durable import DurableUnavailable, import_engine

    try:
        import_engine()
    except DurableUnavailable as exc:
        return str(exc)
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked ``durable`` needs the C engine: from Python 3.13, where durable_rules
    is not installed (pyproject's marker) and does not import, it skips and says why;
    on 3.11 and 3.12 it is a dependency, so not importing it fails the test."""
    if item.get_closest_marker("durable") is None:
        return
    reason = durable_unavailable()
    if reason is None:
        return
    if sys.version_info < (3, 13):
        pytest.fail(
            f"durable_rules is a dependency on Python {sys.version_info.major}."
            f"{sys.version_info.minor} but cannot be imported ({reason}); "
            "reinstall with pip install -e '.[test]'",
            pytrace=False,
        )
    pytest.skip(
        f"needs the durable_rules C engine, which does not import on Python "
        f"{sys.version_info.major}.{sys.version_info.minor} ({reason}); "
        "oneContact uses its Python evaluator there"
    )


BUNDLED_RULES = REPO / "rules"

QUESTIONNAIRE = """\
concerns:
  - id: acute_symptom
    label: {fi: Äkillinen oire, sv: Akut symtom, en: Acute symptom}
  - id: home_care
    label: {fi: Kotihoito, sv: Hemvård, en: Home care}
  - id: mental_health
    label: {fi: Mielenterveys, sv: Psykisk hälsa, en: Mental health}
questions:
  - id: chest_pain
    type: boolean
    red_flag: true
    label: {fi: Rintakipu, sv: Bröstsmärta, en: Chest pain}
  - id: lives_alone
    type: boolean
    label: {fi: Asuu yksin, sv: Bor ensam, en: Lives alone}
  - id: pain_score
    type: number
    min: 0
    max: 10
    integer: true
    label: {fi: Kipu, sv: Smärta, en: Pain}
  - id: symptom_duration
    type: choice
    choices:
      - {id: hours, label: {fi: tunteja, sv: timmar, en: hours}}
      - {id: days, label: {fi: päiviä, sv: dagar, en: days}}
      - {id: weeks, label: {fi: viikkoja, sv: veckor, en: weeks}}
    label: {fi: Kesto, sv: Längd, en: Duration}
"""

CATALOGUE = """\
defaults:
  urgency: non_urgent
  fallback_service: service_coordinator
  treatment_clock: care
needs:
  - id: acute_care
    label: {fi: Akuutti hoito, sv: Akut vård, en: Acute care}
  - id: home_care_services
    label: {fi: Kotihoito, sv: Hemvård, en: Home care}
  - id: self_care_guidance
    label: {fi: Omahoito, sv: Egenvård, en: Self-care}
services:
  - id: emergency_112
    kind: emergency
    name: {fi: hätänumero 112, sv: nödnummer 112, en: emergency number 112}
  - id: nurse
    kind: team_member
    name: {fi: sairaanhoitaja, sv: sjukskötare, en: nurse}
  - id: service_coordinator
    kind: team_member
    care_guarantee: false
    name: {fi: palveluohjaaja, sv: servicehandledare, en: service coordinator}
  - id: digital_chat
    kind: digital_channel
    name: {fi: chat, sv: chatt, en: chat}
  - id: self_care_material
    kind: digital_channel
    name: {fi: omahoito-ohjeet, sv: egenvårdsanvisningar, en: self-care instructions}
"""

ACUTE = """\
rules:
  - id: acute.chest-pain
    when: chest_pain
    urgency: emergency
    needs: [acute_care]
    services: [emergency_112]
    priority: 1
  - id: acute.mild
    when: "'acute_symptom' in concerns and not chest_pain and pain_score < 4"
    urgency: self_care
    needs: [self_care_guidance]
    services: [self_care_material, digital_chat]
  - id: acute.any
    when: "'acute_symptom' in concerns"
    needs: [acute_care]
    services: [nurse]
    clocks: [need_assessment, care]
"""

HOME = """\
rules:
  - id: home.older
    when: age >= 75 and 'home_care' in concerns
    urgency: non_urgent
    needs: [home_care_services]
    services: [service_coordinator, digital_chat]
    clocks: [social_need_assessment]
"""


# The test questionnaire with two persons a contact can be about besides the client: the
# person an informal carer cares for, and a parent's child.
PERSONS_QUESTIONNAIRE = (
    QUESTIONNAIRE
    + """\
  - id: cared_for_age
    type: number
    min: 0
    max: 130
    label: {fi: Hoidettavan ikä, sv: Den vårdades ålder, en: Age of the person cared for}
  - id: cared_for_highest_care_allowance
    type: boolean
    label: {fi: Hoitotuki ylin, sv: Högsta vårdbidrag, en: Highest care allowance}
  - id: child_age
    type: number
    min: 0
    max: 30
    label: {fi: Lapsen ikä, sv: Barnets ålder, en: Age of the child}
persons:
  - id: cared_for
    label: {fi: hoidettava, sv: den vårdade, en: the person cared for}
    age: cared_for_age
    highest_care_allowance: cared_for_highest_care_allowance
  - id: child
    label: {fi: lapsi, sv: barnet, en: the child}
    age: child_age
"""
)

# Rules that start clocks for those persons: an informal carer asking about home care for
# the person they care for, a parent asking about their child's mental health.
PERSONS_RULES = """\
rules:
  - id: carer.home-care
    when: "'home_care' in concerns and cared_for_age is answered"
    urgency: non_urgent
    priority: 10
    services: [service_coordinator]
    clocks:
      - {clock: social_need_assessment, for: cared_for}
      - {clock: older_people_services, for: cared_for}
  - id: parent.child-mental-health
    when: "'mental_health' in concerns"
    urgency: non_urgent
    services: [nurse]
    clocks:
      - care
      - {clock: therapy_guarantee, for: child}
"""


def write_person_rules(root: Path, **files: str | None) -> Path:
    """The small test rules directory with the persons questionnaire and its rules."""
    return write_rules(
        root, **{"questionnaire": PERSONS_QUESTIONNAIRE, "persons": PERSONS_RULES, **files}
    )


def write_rules(root: Path, **files: str | None) -> Path:
    """A rules directory under *root* with the test questionnaire, catalogue and policies.

    Keyword arguments give rule files (name without .yaml) or replace the defaults
    (``questionnaire``, ``catalogue``).
    """
    root.mkdir(parents=True, exist_ok=True)
    defaults = {
        "questionnaire": QUESTIONNAIRE,
        "catalogue": CATALOGUE,
        "acute": ACUTE,
        "home": HOME,
    }
    defaults.update(files)
    for name, text in defaults.items():
        if text is not None:
            (root / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    shutil.copytree(BUNDLED_RULES / "policies", root / "policies", dirs_exist_ok=True)
    return root


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """The small test rules directory."""
    return write_rules(tmp_path / "rules")


@pytest.fixture
def make_contact() -> Callable[..., dict[str, Any]]:
    """Build a valid contact dict for the test questionnaire, overriding any part."""

    def make(**over: Any) -> dict[str, Any]:
        contact: dict[str, Any] = {
            "contact_id": "t-1",
            "received_at": "2025-03-04T10:00:00+02:00",
            "channel": "phone",
            "client": {"age": 40},
            "concerns": ["acute_symptom"],
            "answers": {},
        }
        for key, value in over.items():
            if key == "client":
                contact["client"] = {**contact["client"], **value}
            else:
                contact[key] = value
        return contact

    return make


# --------------------------------------------------------------------------- ledgers

PG_URL = os.environ.get("ONECONTACT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@functools.cache
def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"no PostgreSQL server reachable at {PG_URL} ({first}); start one, or point "
            "$ONECONTACT_TEST_POSTGRES at one, to run the PostgreSQL variants"
        )
    return None


def pg_admin(sql: str) -> None:
    """Run one statement on the test server, outside any ledger."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql)


CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium, the browser of the HTML and page tests (never a downloaded one)."""


def chromium(unchecked: str) -> Path:
    """The browser, or a skip saying what goes *unchecked* without it (a failure under
    ONECONTACT_REQUIRE_CHROMIUM=1, as in CI)."""
    if CHROMIUM.is_file():
        return CHROMIUM
    reason = (
        f"headless Chromium is not installed at {CHROMIUM} (apt-get install -y chromium); "
        f"{unchecked}"
    )
    if os.environ.get("ONECONTACT_REQUIRE_CHROMIUM"):
        pytest.fail(reason)
    pytest.skip(reason)


def raw_sql(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run *sql* (``?`` placeholders) on the ledger at *url* directly, past the Ledger API:
    its rows, or none for a statement that returns none."""
    if url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///") :])
        try:
            rows = conn.execute(sql, params).fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg:
        cursor = pg.execute(sql.replace("?", "%s"), params) if params else pg.execute(sql)
        return cursor.fetchall() if cursor.description else []


def fresh_ledger_url(
    backend: str, tmp_path: Path, prefix: str, *, migrated: bool = True
) -> Iterator[str]:
    """A fresh, empty ledger location: a file in *tmp_path*, or a PostgreSQL schema of
    its own (dropped afterwards), its tables made by ``Ledger.migrate`` unless
    *migrated* is false (opening a PostgreSQL ledger makes none; a new SQLite file gets
    them on first open). Without a server the PostgreSQL variant skips and says why, or
    fails when $ONECONTACT_REQUIRE_POSTGRES is set (CI)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    reason = postgres_unreachable()
    if reason is not None:
        if os.environ.get("ONECONTACT_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    pg_admin(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    try:
        if migrated:
            from oneContact.ledger import Ledger

            Ledger.migrate(url)
        yield url
    finally:
        pg_admin(f"DROP SCHEMA {schema} CASCADE")
