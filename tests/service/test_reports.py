"""The access report over HTTP (``GET /reports/access``) and the team's page
(``GET /team/report``), in process on SQLite and PostgreSQL, with the example directory.

The contacts are the bundled examples copied under new ids into the directory's
municipalities in fixed numbers (ekby a small one), some with none, one with a place the
directory does not know (text a client typed) and one with free text; each is posted to
``POST /contacts``. Expected figures come from ``GET /contacts/{id}/clocks`` and from the
directory file, never from the report itself.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from ruamel.yaml import YAML

from oneContact import bundled_rules_directory
from oneContact._bundled import bundled_example_directory
from oneContact.service import ServiceConfig, create_app

from ..conftest import REPO, fresh_ledger_url

HKI = ZoneInfo("Europe/Helsinki")
MARCH = {"since": "2025-03-01", "until": "2025-04-01"}
AS_OF = "2025-03-31T23:59:59+03:00"
TYPED = "Matin mökki Kivilahdella"  # a place a client typed: never in a report
FREE_TEXT = "salainen 131052-308T"
EXAMPLES = [
    json.loads(line)
    for line in (REPO / "examples" / "contacts.jsonl").read_text("utf-8").splitlines()
    if line
]
PLACES: list[str | None] = [
    *["rannikko"] * 16,
    *["kivilahti"] * 12,
    *["ekby"] * 2,
    *[None] * 3,
    TYPED,
]
DIRECTORY = YAML(typ="safe").load(bundled_example_directory().read_text("utf-8"))
UNIT_NAMES = {u["id"]: u["name"] for u in DIRECTORY["units"]}
MUNICIPALITY_NAMES = {m["id"]: m["name"] for m in DIRECTORY["municipalities"]}


def contacts() -> list[dict[str, Any]]:
    found = []
    for n, municipality in enumerate(PLACES):
        contact = {**EXAMPLES[n % len(EXAMPLES)], "contact_id": f"rep-{n:03d}"}
        if municipality is not None:
            contact["municipality"] = municipality
        if n == 0:
            contact["free_text"] = FREE_TEXT
        found.append(contact)
    return found


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """One service per backend for the module: its tests only read."""
    tmp_path = tmp_path_factory.mktemp("reports")
    for url in fresh_ledger_url(request.param, tmp_path, "svc_reports"):
        config = ServiceConfig(
            rules=bundled_rules_directory(),
            db=url,
            backend="python",
            directory=bundled_example_directory(),
        )
        with TestClient(create_app(config)) as test_client:
            for contact in contacts():
                assert test_client.post("/contacts", json=contact).status_code == 201
            yield test_client


def started_in_march(client: TestClient) -> dict[str, list[str]]:
    """By contact id, the clocks that started in March (what ``GET .../clocks`` says)."""
    since, until = datetime(2025, 3, 1, tzinfo=HKI), datetime(2025, 4, 1, tzinfo=HKI)
    found = {}
    for contact in contacts():
        answer = client.get(f"/contacts/{contact['contact_id']}/clocks", params={"now": AS_OF})
        found[contact["contact_id"]] = [
            c["clock"]
            for c in answer.json()
            if c["starts_at"] and since <= datetime.fromisoformat(c["starts_at"]) < until
        ]
    return found


def municipality_of(contact: dict[str, Any]) -> str:
    given = contact.get("municipality")
    return "none" if given is None else given if given in MUNICIPALITY_NAMES else "other"


def test_json_by_municipality_counts_what_was_posted(client: TestClient) -> None:
    answer = client.get("/reports/access", params={**MARCH, "by": "municipality"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    report = answer.json()
    started = started_in_march(client)
    clocks: Counter[str] = Counter()
    per_clock: dict[str, Counter[str]] = defaultdict(Counter)
    for contact in contacts():
        place = municipality_of(contact)
        clocks[place] += len(started[contact["contact_id"]])
        per_clock[place].update(started[contact["contact_id"]])
    assert sum(clocks.values()) == report["total"]["clocks"]
    rows = {r["municipality"]: r for r in report["rows"]}
    assert set(rows) == {p for p, n in clocks.items() if n}
    for place, row in rows.items():
        if max(per_clock[place].values()) < 5:  # fewer than five contacts: suppressed
            assert row["suppressed"] is True
            assert row["clocks"] is None
        elif not row.get("suppressed"):
            assert row["clocks"] == clocks[place]
    assert rows["ekby"]["suppressed"] is True
    assert rows["rannikko"]["clocks"] == clocks["rannikko"]
    assert TYPED not in answer.text
    assert FREE_TEXT not in answer.text
    assert "131052" not in answer.text


def test_html_in_each_language_names_units_and_municipalities(client: TestClient) -> None:
    for lang, heading in (("fi", "yksikkö"), ("sv", "enhet"), ("en", "unit")):
        answer = client.get(
            "/reports/access", params={**MARCH, "by": "unit", "format": "html", "lang": lang}
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/html")
        page = answer.text
        assert f'<html lang="{lang}">' in page
        assert f">{heading}<" in page
        table = page.split('<table class="groups">')[1].split("</table>")[0]
        units = [
            row["unit"]
            for row in client.get("/reports/access", params={**MARCH, "by": "unit"}).json()["rows"]
        ]
        assert "rannikko-hs" in units
        for unit in units:
            if unit in UNIT_NAMES:
                assert f">{UNIT_NAMES[unit]}<" in table
                assert f">{unit}<" not in table
    by_place = client.get(
        "/reports/access", params={**MARCH, "by": "municipality", "format": "html", "lang": "sv"}
    ).text
    assert MUNICIPALITY_NAMES["kivilahti"] in by_place
    assert "annan kommun" in by_place  # the typed place, in words
    assert TYPED not in by_place


def test_csv_is_a_download_with_codes(client: TestClient) -> None:
    answer = client.get(
        "/reports/access", params={**MARCH, "by": "service,municipality", "format": "csv"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == (
        'attachment; filename="access-report-2025-03-01-2025-03-31-groups.csv"'
    )
    *rows, total = csv.DictReader(io.StringIO(answer.text))
    assert list(rows[0])[:3] == ["service", "municipality", "clocks"]
    assert {r["municipality"] for r in rows} <= {*MUNICIPALITY_NAMES, "none", "other"}
    assert total["municipality"] == "all"
    assert int(total["clocks"]) == sum(len(c) for c in started_in_march(client).values())
    breaches = client.get("/reports/access", params={**MARCH, "format": "csv", "table": "breaches"})
    assert breaches.status_code == 200
    assert breaches.text.splitlines()[0].startswith("contact_id,clock,service")


def test_the_default_period_is_the_last_full_month(client: TestClient) -> None:
    report = client.get("/reports/access").json()
    today = datetime.now(HKI).date()
    first = today.replace(day=1)
    since = datetime.fromisoformat(report["since"]).astimezone(HKI)
    until = datetime.fromisoformat(report["until"]).astimezone(HKI)
    assert (until.date(), until.hour) == (first, 0)
    assert since.day == 1
    assert since.date() < first
    assert (first - since.date()).days <= 31
    assert report["by"] == ["service", "age_group"]
    alone = client.get("/reports/access", params={"since": "2025-03-01"}).json()
    assert alone["until"] == "2025-04-01T00:00:00+03:00"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2025-13-01"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2025-03-01T10:00:00"}, "until"),
        ({"since": "2025-03-10", "until": "2025-03-01"}, "until"),
        ({"since": "2024-01-01", "until": "2025-03-01"}, "until"),
        ({**MARCH, "by": "servise"}, "by"),
        ({**MARCH, "by": "131052-308T"}, "by"),
        ({**MARCH, "format": "pdf"}, "format"),
        ({**MARCH, "format": "json", "table": "breaches"}, "table"),
        ({**MARCH, "format": "csv", "table": "people"}, "table"),
        ({**MARCH, "lang": "de"}, "lang"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    answer = client.get("/reports/access", params=params)
    assert answer.status_code == 422
    body = answer.json()
    assert body["field"] == field
    assert body["message"].startswith(f"{field}: ")
    assert "131052" not in answer.text
    assert "Traceback" not in answer.text


def test_a_misspelt_dimension_is_told_the_right_one(client: TestClient) -> None:
    body = client.get("/reports/access", params={**MARCH, "by": "municipalty"}).json()
    assert "did you mean 'municipality'" in body["message"]


TEAM_WORDS = {
    "fi": ("Hoitoonpääsyraportti", "Ensimmäinen päivä", "Kunta", "Lataa tiedostona"),
    "sv": ("Rapport om tillgång till vård", "Första dagen", "Kommun", "Ladda ner som fil"),
    "en": ("Access report", "First day", "Municipality", "Download"),
}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_team_page_in_each_language(client: TestClient, lang: str) -> None:
    answer = client.get(
        "/team/report",
        params=[
            ("lang", lang),
            ("since", "2025-03-01"),
            ("last", "2025-03-31"),
            ("by", "service"),
            ("by", "municipality"),
        ],
    )
    assert answer.status_code == 200
    page = answer.text
    assert f'<html lang="{lang}">' in page
    frame_words = {"fi": "Yhteydenotto", "sv": "Kontakt", "en": "Contact form"}
    assert f">{frame_words[lang]}</a>" in page  # the frame's own words are kept
    for words in TEAM_WORDS[lang]:
        assert words in page
    assert '<label for="by-unit">' in page
    assert 'id="by-municipality" name="by" value="municipality" checked' in page
    assert 'id="by-unit" name="by" value="unit">' in page  # not ticked
    frame = page.split("<iframe")[1].split(">")[0]
    assert 'title="' in frame
    src = frame.split('src="')[1].split('"')[0].replace("&amp;", "&")
    assert "until=2025-04-01" in src
    assert "by=service%2Cmunicipality" in src
    assert f"lang={lang}" in src
    embedded = client.get(src)
    assert embedded.status_code == 200
    assert MUNICIPALITY_NAMES["rannikko"] in embedded.text
    for kind in ("format=json", "table=groups", "table=breaches"):
        assert kind in page


def test_the_team_page_shows_errors_next_to_their_fields(client: TestClient) -> None:
    answer = client.get(
        "/team/report", params={"lang": "sv", "since": "2025-03-10", "last": "2025-03-01"}
    )
    assert answer.status_code == 422
    page = answer.text
    assert 'id="last-error"' in page
    assert 'aria-invalid="true" aria-describedby="last-error"' in page
    assert "Ange sista dagen" in page
    assert 'role="alert"' in page
    assert "<iframe" not in page
    bad = client.get("/team/report", params={"lang": "fi", "since": "131052-308T"})
    assert bad.status_code == 422
    assert "Anna ensimmäinen päivä" in bad.text
    assert "131052" not in bad.text  # what was typed is never shown back


def test_the_team_page_defaults_to_last_month(client: TestClient) -> None:
    page = client.get("/team/report", params={"lang": "en"}).text
    first = datetime.now(HKI).date().replace(day=1)
    assert f"until={first.isoformat()}" in page
    assert 'id="by-service" name="by" value="service" checked' in page
