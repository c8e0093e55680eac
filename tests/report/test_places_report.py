"""The access report by unit and municipality: the ledger's places (``ledger_contact_places``)
read with the clocks, small cells suppressed in every format, names from the directory on
the page and in the text; on SQLite and (when a server is reachable) PostgreSQL.

The contacts are the bundled examples, copied under new ids into the municipalities of
the example directory in fixed numbers (and some with none, some with one the directory
does not know), assessed with the bundled rules and that directory. Every expected figure
is computed here from the assessments and from ``Ledger.clocks`` (the public API).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from oneContact.clocks import Calendar, finnish_closed_days
from oneContact.engine import Assessment, Engine
from oneContact.errors import LedgerArgumentError
from oneContact.ledger import Ledger
from oneContact.report import MIN_CELL, Report
from oneContact.routing import Directory

from ..conftest import fresh_ledger_url

REPO = Path(__file__).resolve().parents[2]
HKI = ZoneInfo("Europe/Helsinki")
SINCE, UNTIL = datetime(2025, 3, 1, tzinfo=HKI), datetime(2025, 4, 1, tzinfo=HKI)
NOW = datetime(2025, 4, 10, 12, tzinfo=HKI)
EXAMPLES = [
    json.loads(line)
    for line in (REPO / "examples" / "contacts.jsonl").read_text().splitlines()
    if line
]
# How many copies of the examples each municipality gets: rannikko and kivilahti many,
# ekby few (a small municipality), some none, one a municipality the directory lacks.
PLACES: list[str | None] = [
    *["rannikko"] * 20,
    *["kivilahti"] * 14,
    *["ekby"] * 3,
    *[None] * 4,
    "Muualla",
]
PLACED_KINDS = {"team_member", "family_centre", "digital_channel"}


def contacts() -> list[dict[str, object]]:
    found = []
    for n, municipality in enumerate(PLACES):
        example = dict(EXAMPLES[n % len(EXAMPLES)])
        example["contact_id"] = f"pl-{n:03d}"
        if municipality is not None:
            example["municipality"] = municipality
        found.append(example)
    return found


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.from_file(REPO / "examples" / "directory.yaml", rules=REPO / "rules")


@pytest.fixture(scope="module")
def engine(directory: Directory) -> Engine:
    return Engine.from_directory(REPO / "rules", backend="python", directory=directory)


@pytest.fixture(scope="module")
def assessments(engine: Engine) -> list[Assessment]:
    return [engine.assess(c) for c in contacts()]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_ledger_url(request.param, tmp_path, "places_report")


@pytest.fixture
def ledger(url: str, engine: Engine, assessments: list[Assessment]) -> Iterator[Ledger]:
    with Ledger.open(url, policies=engine.ruleset.policies) as opened:
        for a in assessments:
            assert opened.record_assessment(a)
        yield opened


def service_of(a: Assessment, engine: Engine) -> str:
    """The report's service: the first team_member route, else the first route."""
    kinds = {s.id: s.kind for s in engine.ruleset.catalogue.services.values()}
    team = [r.service for r in a.routes if kinds[r.service] == "team_member"]
    return team[0] if team else a.routes[0].service if a.routes else "none"


def unit_of(a: Assessment, engine: Engine) -> str:
    """The documented rule: the unit of the route that gives the service when every route
    that can have a unit has one; else the first unit; none without."""
    kinds = {s.id: s.kind for s in engine.ruleset.catalogue.services.values()}
    placed = [r for r in a.routes if kinds[r.service] in PLACED_KINDS]
    units = [r.unit for r in a.routes if r.unit is not None]
    if not units:
        return "none"
    service = service_of(a, engine)
    if all(r.unit is not None for r in placed):
        for r in placed:
            if r.service == service and r.unit is not None:
                return r.unit
    return units[0]


def municipality_of(a: Assessment, directory: Directory) -> str:
    if a.municipality is None:
        return "none"
    return a.municipality if a.municipality in directory.municipality_ids else "other"


def expected(
    ledger: Ledger, assessments: list[Assessment], place: dict[str, str]
) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """Clocks started in the period by place, and by place the contacts with each clock."""
    clocks: Counter[str] = Counter()
    per_clock: dict[str, Counter[str]] = defaultdict(Counter)
    for a in assessments:
        for c in ledger.clocks(a.contact_id, now=NOW):
            start = c.clock.starts_at
            if start is not None and SINCE <= start < UNTIL:
                clocks[place[a.contact_id]] += 1
                per_clock[place[a.contact_id]][c.clock.clock] += 1
    return clocks, per_clock


def shown(per_clock: Counter[str]) -> bool:
    """Shown when at least MIN_CELL contacts have one same clock in the row."""
    return max(per_clock.values(), default=0) >= MIN_CELL


def test_the_fixture_has_small_and_large_municipalities(
    assessments: list[Assessment], engine: Engine
) -> None:
    assert {"rannikko", "kivilahti", "ekby", None, "Muualla"} == {
        a.municipality for a in assessments
    }
    assert len({unit_of(a, engine) for a in assessments}) >= 4


def test_by_municipality_counts_each_contact_where_it_gave(
    ledger: Ledger, assessments: list[Assessment], engine: Engine, directory: Directory
) -> None:
    report = ledger.report(
        since=SINCE,
        until=UNTIL,
        now=NOW,
        by=["municipality"],
        catalogue=engine.ruleset.catalogue,
        municipalities=directory.municipality_ids,
        overrides=False,
    )
    place = {a.contact_id: municipality_of(a, directory) for a in assessments}
    clocks, per_clock = expected(ledger, assessments, place)
    assert {r.values["municipality"]: r.clocks for r in report.rows} == dict(clocks)
    assert sum(clocks.values()) == report.total.clocks
    primary = {m for m in clocks if not shown(per_clock[m])}
    assert "ekby" in primary
    assert "rannikko" not in primary
    hidden = {r.values["municipality"] for r in report.rows if r.suppressed}
    assert primary <= hidden
    # Hidden rows counting fewer than five together would be the total less the others.
    people = {m: max(n.values()) for m, n in per_clock.items()}  # at least this many
    assert len(hidden) == len(report.rows) or sum(people[m] for m in hidden) >= MIN_CELL
    assert "Muualla" not in json.dumps(report.to_json())


def test_by_unit_counts_the_unit_of_the_service(
    ledger: Ledger, assessments: list[Assessment], engine: Engine
) -> None:
    report = ledger.report(
        since=SINCE,
        until=UNTIL,
        now=NOW,
        by=["unit"],
        catalogue=engine.ruleset.catalogue,
        overrides=False,
    )
    place = {a.contact_id: unit_of(a, engine) for a in assessments}
    clocks, per_clock = expected(ledger, assessments, place)
    assert {r.values["unit"]: r.clocks for r in report.rows} == dict(clocks)
    for row in report.rows:
        if not shown(per_clock[row.values["unit"]]):
            assert row.suppressed


def test_suppressed_rows_show_no_figures_in_any_format(
    ledger: Ledger, engine: Engine, directory: Directory
) -> None:
    report = ledger.report(
        since=SINCE,
        until=UNTIL,
        now=NOW,
        by=["age_group", "municipality"],
        catalogue=engine.ruleset.catalogue,
        municipalities=directory.municipality_ids,
        names=directory.names,
        overrides=False,
    )
    hidden = [r for r in report.rows if r.suppressed]
    assert hidden
    assert any(not r.suppressed for r in report.rows)
    rows = report.to_json()["rows"]
    for row, found in zip(report.rows, rows, strict=True):
        if row.suppressed:
            assert found["suppressed"] is True
            assert found["clocks"] is None
            assert found["met"] is None
        else:
            assert found["clocks"] == row.clocks
    *table, total = csv.DictReader(io.StringIO(report.to_csv()))
    assert str(report.total.clocks) == total["clocks"]
    for row, found in zip(report.rows, table, strict=True):
        assert (found["clocks"] == "") == row.suppressed
    page = report.to_html("sv")
    assert page.count('class="suppressed"') == len(hidden)
    assert "visas inte" in page
    assert "Ekby / Tammila" in page
    text = report.to_text()
    assert "Rannikko / Kustby" in text
    assert "not shown" in text


def test_names_not_codes_on_the_page(ledger: Ledger, engine: Engine, directory: Directory) -> None:
    report = ledger.report(
        since=SINCE,
        until=UNTIL,
        now=NOW,
        by=["unit"],
        catalogue=engine.ruleset.catalogue,
        names=directory.names,
        overrides=False,
    )
    table = report.to_html("fi").split('<table class="groups">')[1].split("</table>")[0]
    for row in report.rows:
        unit = row.values["unit"]
        name = "ei tiedossa" if unit == "none" else directory.names["unit"][unit]
        assert f">{name}<" in table
        assert f">{unit}<" not in table
    assert {r.values["unit"] for r in report.rows} <= {*directory.names["unit"], "none"}
    csv_units = {r["unit"] for r in csv.DictReader(io.StringIO(report.to_csv()))}
    assert {r.values["unit"] for r in report.rows} | {"all"} == csv_units  # codes in CSV


def test_the_same_clocks_split_by_service_are_never_suppressed(
    ledger: Ledger, engine: Engine
) -> None:
    report: Report = ledger.report(
        since=SINCE, until=UNTIL, now=NOW, by=["unit"], catalogue=engine.ruleset.catalogue
    )
    assert not any(r.suppressed for r in report.group(["service"]))
    assert sum(r.clocks for r in report.group(["service"])) == report.total.clocks


def test_bad_names_are_refused(ledger: Ledger) -> None:
    for names in ({"service": {"nurse": "Hoitaja"}}, {"unit": {"x": 1}}, ["unit"]):
        with pytest.raises(LedgerArgumentError) as info:
            ledger.report(since=SINCE, until=UNTIL, by=["unit"], names=names)  # type: ignore[arg-type]
        assert "names" == info.value.field


def test_every_read_path_gives_the_same_places(
    url: str,
    ledger: Ledger,
    assessments: list[Assessment],
    engine: Engine,
    directory: Directory,
) -> None:
    """The clock projection (a join), contacts with events after the report's moment
    (read again from their events) and a ledger judging every clock from the events (a
    host calendar keeps no projection: a third ordered stream) count the same places."""
    by = ["unit", "municipality", "age_group"]
    asked = {"since": SINCE, "until": UNTIL, "now": NOW, "by": by, "overrides": False}
    places = {"municipalities": directory.municipality_ids}
    projected = ledger.report(**asked, catalogue=engine.ruleset.catalogue, **places)  # type: ignore[arg-type]
    with Ledger.open(
        url,
        policies=engine.ruleset.policies,
        calendar=Calendar(finnish_closed_days, name="FI"),
    ) as direct:
        judged = direct.report(**asked, catalogue=engine.ruleset.catalogue, **places)  # type: ignore[arg-type]
    assert projected.to_json() == judged.to_json()
    # Events after the report's moment: those contacts are read again from their events.
    for a in assessments[::3]:
        at = datetime(2025, 4, 20, tzinfo=HKI)
        ledger.record(a.contact_id, "need_assessed", at=at, event_id=f"na-{a.contact_id}")
    later = ledger.report(**asked, catalogue=engine.ruleset.catalogue, **places)  # type: ignore[arg-type]
    assert projected.to_json() == later.to_json()
    assert {r.values["municipality"] for r in later.rows} >= {"rannikko", "kivilahti", "ekby"}


def test_the_command_line_reads_the_places_of_a_directory_file(
    url: str,
    ledger: Ledger,
    assessments: list[Assessment],
    directory: Directory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from oneContact.cli import main

    def report(*more: str) -> str:
        argv = ["ledger", "report", "--db", url, "--rules", str(REPO / "rules"),
                "--since", "2025-03-01", "--until", "2025-04-01",
                "--now", NOW.isoformat(), "--by", "municipality", "--no-overrides", *more]  # fmt: skip
        assert main(argv) == 0
        return capsys.readouterr().out

    given = json.loads(report("--directory", str(REPO / "examples" / "directory.yaml"),
                              "--format", "json"))  # fmt: skip
    place = {a.contact_id: municipality_of(a, directory) for a in assessments}
    clocks, _ = expected(ledger, assessments, place)
    rows = {r["municipality"]: r["clocks"] for r in given["rows"]}
    assert set(rows) == set(clocks)
    assert {m: n for m, n in rows.items() if n is not None} == {  # small cells: None
        m: n for m, n in clocks.items() if rows[m] is not None
    }
    assert rows["rannikko"] == clocks["rannikko"]
    # without the directory, what a contact gave (e.g. "Muualla") would be shown as
    # typed: refused, naming the option that fixes it
    argv = ["ledger", "report", "--db", url, "--since", "2025-03-01", "--until", "2025-04-01",
            "--by", "service,municipality"]  # fmt: skip
    assert main(argv) == 2
    refused = capsys.readouterr()
    assert "--by municipality needs --directory FILE" in refused.err
    assert "Muualla" not in refused.out + refused.err
    named = report("--directory", str(REPO / "examples" / "directory.yaml"))
    assert "Rannikko / Kustby" in named
    broken = tmp_path / "directory.yaml"
    text = (REPO / "examples" / "directory.yaml").read_text("utf-8")
    broken.write_text(text.replace("kind: health_station", "kind: health_statoin", 1), "utf-8")
    argv = ["ledger", "report", "--db", url, "--since", "2025-03-01", "--until", "2025-04-01",
            "--by", "municipality", "--directory", str(broken)]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"{broken}:" in err
    assert "Traceback" not in err


def test_by_municipality_without_the_municipalities_to_count_is_refused(ledger: Ledger) -> None:
    # Without a list, the rows would be what contacts typed ("Muualla" among them).
    with pytest.raises(LedgerArgumentError) as refused:
        ledger.report(since=SINCE, until=UNTIL, now=NOW, by=["service", "municipality"])
    assert (refused.value.code, refused.value.field) == ("bad-argument", "municipalities")
    assert "Muualla" not in str(refused.value)
    empty = ledger.report(
        since=SINCE, until=UNTIL, now=NOW, by=["municipality"], municipalities=(), overrides=False
    )
    assert {r.values["municipality"] for r in empty.rows} == {"other", "none"}
