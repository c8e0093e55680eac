"""Routing with a directory: the ranking's guarantees, failures that never fail an
assessment, and the JSON contract kept for engines without a directory."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from oneContact import Directory, DirectoryRouter, Engine, Member, RuleError, Unit
from oneContact.cli import main
from oneContact.clocks import HELSINKI, Clock, LimitKind, local_date
from oneContact.routing import booking_due_date
from oneContact.testing.strategies import first_contacts

from ..conftest import BUNDLED_RULES, REPO
from ..strategies import directories

EXAMPLE = REPO / "examples" / "directory.yaml"
DIRECTORY = Directory.from_file(EXAMPLE, rules=BUNDLED_RULES)
ENGINE = Engine.from_directory(BUNDLED_RULES, backend="python", directory=DIRECTORY)
PLAIN = Engine.from_directory(BUNDLED_RULES, backend="python")


def contact(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "contact_id": "t-route-1",
        "received_at": "2026-03-02T10:00:00+02:00",
        "channel": "phone",
        "municipality": "rannikko",
        "client": {"age": 45},
        "concerns": ["acute_symptom"],
        "answers": {"pain_score": 5, "symptom_duration": "hours"},
    }
    client = {**base["client"], **over.pop("client", {})}
    return {**base, **over, "client": client}


class Broken:
    """A host directory whose booking system is down."""

    calls = 0

    def units(self) -> Mapping[str, Unit]:
        Broken.calls += 1
        raise TimeoutError("booking system of Mrs. Virtanen did not answer")

    def members(self, role: str) -> Sequence[Member]:
        raise TimeoutError

    def member(self, member_id: str) -> Member | None:
        raise TimeoutError

    def neighbours(self, municipality: str) -> Collection[str]:
        raise TimeoutError

    def first_free_slot(
        self, member_id: str, after: datetime, until: datetime | None
    ) -> datetime | None:
        raise TimeoutError


class Empty(Broken):
    """A directory with nothing in it."""

    def units(self) -> Mapping[str, Unit]:
        return {}


def test_a_directory_that_raises_gives_role_routes_and_a_warning() -> None:
    """Never a failed assessment: the same services as without a directory, no members."""
    engine = Engine.from_directory(BUNDLED_RULES, backend="python", directory=Broken())
    a = engine.assess(contact(free_text="soittakaa Virtaselle"))
    assert [r.service for r in PLAIN.assess(contact()).routes] == [r.service for r in a.routes]
    assert all(r.member is None and r.slot is None for r in a.routes)
    assert 1 == len(a.warnings)
    assert a.warnings[0].startswith("directory-unavailable: the directory raised TimeoutError")
    text = json.dumps(a.to_json(), ensure_ascii=False)
    assert "Virtanen" not in text  # the host's exception message is not repeated
    assert "Virtaselle" not in text


def test_an_emergency_never_waits_for_the_directory() -> None:
    """Chest pain with a broken directory: 112 first, the directory not even asked."""
    Broken.calls = 0
    engine = Engine.from_directory(BUNDLED_RULES, backend="python", directory=Broken())
    a = engine.assess(contact(answers={"chest_pain": True}))
    assert "emergency" == a.urgency
    assert "emergency" == a.routes[0].kind
    assert 0 == Broken.calls
    assert () == a.warnings


def test_an_empty_directory_routes_by_role_with_a_warning() -> None:
    """No units: routes name roles only, and the assessment says why."""
    engine = Engine.from_directory(BUNDLED_RULES, backend="python", directory=Empty())
    a = engine.assess(contact())
    assert ["nurse"] == [r.service for r in a.routes if r.kind == "team_member"]
    assert [w.split(":")[0] for w in a.warnings] == ["directory-empty"]
    assert a.to_json()["warnings"] == list(a.warnings)


def test_without_a_directory_the_json_contract_is_unchanged() -> None:
    """Routes keep exactly kind, service and reason; no warnings key."""
    data = PLAIN.assess(contact()).to_json()
    assert "warnings" not in data
    assert all({"kind", "service", "reason"} == set(r) for r in data["routes"])


def test_with_a_directory_routes_carry_member_unit_slot_and_explanation() -> None:
    """The JSON of a directory route has the new fields, the slot as RFC 3339 text."""
    route = next(r for r in ENGINE.assess(contact()).to_json()["routes"] if r["service"] == "nurse")
    assert {
        "kind",
        "service",
        "reason",
        "member",
        "unit",
        "slot",
        "due_date",
        "guarantee_at_risk",
        "case",
        "explanation",
        "language_right_unmet",
        "language_notice",
    } == set(route)
    assert "nurse-rk-1" == route["member"]
    assert "2026-03-02T11:00:00+02:00" == route["slot"]
    assert route["explanation"]


def test_a_directory_with_a_role_the_engines_catalogue_lacks_is_refused(
    rules_dir: Path,
) -> None:
    """The test catalogue has no gp: the engine refuses the example, naming its file."""
    with pytest.raises(RuleError) as info:
        Engine.from_directory(rules_dir, backend="python", directory=DIRECTORY)
    assert "unknown-role" == info.value.code
    assert EXAMPLE == info.value.path
    assert info.value.line is not None


def test_router_and_directory_exclude_each_other() -> None:
    """Two ways to route at once is a mistake in the host's code."""
    with pytest.raises(ValueError, match="not both"):
        Engine.from_directory(BUNDLED_RULES, directory=DIRECTORY, router=DirectoryRouter(DIRECTORY))


def test_urgent_means_a_slot_the_same_day() -> None:
    """Pain 8 at 14:45 on Monday in Kivilahti, no digital services: nobody is free in
    person before midnight (the last slots are at 14:30), so the guarantee is at risk."""
    a = ENGINE.assess(
        contact(
            received_at="2026-03-02T14:45:00+02:00",
            municipality="kivilahti",
            client={"can_use_digital_services": False},
            answers={"pain_score": 8, "symptom_duration": "hours"},
        )
    )
    assert "urgent" == a.urgency
    nurse = next(r for r in a.routes if r.service == "nurse")
    assert nurse.due_date == date(2026, 3, 2)
    assert nurse.guarantee_at_risk
    assert nurse.slot is not None
    assert nurse.slot.date() > date(2026, 3, 2)
    # Päivystys takes urgent care today; the voucher is the legal remedy beside it.
    assert ["emergency_department", "service_voucher"] == [r.service for r in a.routes[-2:]]
    assert "default:urgent_care_same_day" == a.routes[-2].reason


def test_the_need_assessed_event_moves_the_due_date() -> None:
    """Given need_assessed three days later, the under-23 care limit counts from it."""
    when = datetime(2026, 3, 5, 9, 0, tzinfo=HELSINKI)
    a = ENGINE.assess(contact(client={"age": 20}), events={"need_assessed": when})
    nurse = next(r for r in a.routes if r.service == "nurse")
    assert date(2026, 3, 19) == nurse.due_date  # 5.3 + 14 days, a Thursday


def _clock(clock: str, due: date | None, limit: str | None, stopped: bool = False) -> Clock:
    # The kind a policy file gives such a limit (``{same_day: ...}``, ``{months: 3}``, ...).
    kind = {"same": LimitKind.SAME_DAY, "3": LimitKind.MONTHS}.get(
        (limit or "").split(" ")[0], LimitKind.WEEKDAYS
    )
    return Clock(
        clock=clock,
        starts_on="contact_received",
        stops_on=("x",),
        starts_at=None,
        due_date=due,
        limit=limit,
        basis="test",
        status="open",
        stopped_at=datetime(2026, 3, 2, tzinfo=HELSINKI) if stopped else None,
        limit_kind=kind if limit is not None else None,
    )


def test_booking_due_date_skips_same_day_and_stopped_clocks() -> None:
    """The earliest counted clock decides; same-day clocks are the first contact's own."""
    received = datetime(2026, 3, 2, 10, tzinfo=HELSINKI)
    clocks = [
        _clock("need_assessment", date(2026, 3, 2), "same day (office hours 08:00-16:00)"),
        _clock("care", date(2026, 6, 2), "3 months"),
        _clock("social_need_assessment", date(2026, 3, 11), "7 weekdays"),
        _clock("done", date(2026, 3, 3), "1 weekday", stopped=True),
    ]
    assert (date(2026, 3, 11), "social_need_assessment") == booking_due_date(
        "non_urgent", received, clocks
    )
    assert (date(2026, 3, 2), "urgent") == booking_due_date("urgent", received, clocks)
    assert (None, None) == booking_due_date("emergency", received, clocks)
    assert (None, None) == booking_due_date("self_care", received, clocks[:1])


QUESTIONNAIRE = ENGINE.ruleset.questionnaire
MUNICIPALITIES = ("rannikko", "kivilahti", "ekby", "elsewhere")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first_contacts(QUESTIONNAIRE))
def test_every_contact_is_routed_within_the_guarantees(raw: dict[str, Any]) -> None:
    """For any valid contact: emergency first; slots never before the contact; a slot
    not at risk meets its due date; no digital route or remote member for a client who
    cannot use them; a remedy whenever something is at risk."""
    raw = {**raw, "municipality": MUNICIPALITIES[len(raw["contact_id"]) % 4]}
    a = ENGINE.assess(raw)
    assert a.routes
    assert () == a.warnings
    if a.urgency == "emergency":
        assert "emergency" == a.routes[0].kind
        assert all(r.slot is None for r in a.routes)
    units = DIRECTORY.units()
    digital = raw["client"]["can_use_digital_services"]
    for route in a.routes:
        assert route.explanation
        if route.slot is not None:
            assert route.slot >= datetime.fromisoformat(raw["received_at"])
            if not route.guarantee_at_risk and route.due_date is not None:
                assert route.slot < datetime.combine(
                    route.due_date + timedelta(days=1), time(0), HELSINKI
                )
        if not digital:
            assert route.kind != "digital_channel"
            if route.unit is not None:
                assert units[route.unit].kind != "digital_centre"
    if any(r.guarantee_at_risk for r in a.routes):
        assert "remedy" == a.routes[-1].kind
    if a.urgency == "urgent":
        due = local_date(datetime.fromisoformat(raw["received_at"]))
        assert all(r.due_date == due for r in a.routes if r.kind == "team_member")


def test_cli_assess_with_a_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """JSON on stdout names the member and slot; exit 0."""
    path = tmp_path / "c.json"
    path.write_text(json.dumps(contact()), encoding="utf-8")
    code = main(["assess", str(path), "--rules", str(BUNDLED_RULES), "--directory", str(EXAMPLE)])
    out = json.loads(capsys.readouterr().out)
    assert 0 == code
    assert "nurse-rk-1" in [r.get("member") for r in out["routes"]]
    argv = ["assess", str(path), "--rules", str(BUNDLED_RULES), "--directory", str(EXAMPLE)]
    assert 0 == main([*argv, "--format", "text", "--language", "en"])
    assert "member nurse-rk-1" in capsys.readouterr().out
    assert 0 == main([*argv, "--format", "text", "--language", "sv"])
    assert "anställd nurse-rk-1" in capsys.readouterr().out


def test_cli_refuses_a_bad_directory_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Exit 1, the problem at file:line on stderr, nothing on stdout."""
    contact_file = tmp_path / "c.json"
    contact_file.write_text(json.dumps(contact()), encoding="utf-8")
    bad = tmp_path / "d.yaml"
    bad.write_text(
        "municipalities: [{id: a}]\n"
        "units: [{id: u, kind: health_station, municipality: a}]\n"
        "members:\n  - {id: m, role: nurse, unit: uu}\n",
        encoding="utf-8",
    )
    code = main(["assess", str(contact_file), "--directory", str(bad)])
    out, err = capsys.readouterr()
    assert 1 == code
    assert "" == out
    assert f"{bad}:4:" in err
    assert "unknown-unit" in err
    assert "did you mean 'u'" in err
    assert "Traceback" not in err


class Delegate:
    """The example directory seen through the protocol only (no built-in index)."""

    def __init__(self, inner: Directory) -> None:
        self.inner = inner

    def units(self) -> Mapping[str, Unit]:
        return self.inner.units()

    def members(self, role: str) -> Sequence[Member]:
        return self.inner.members(role)

    def member(self, member_id: str) -> Member | None:
        return self.inner.member(member_id)

    def neighbours(self, municipality: str) -> Collection[str]:
        return self.inner.neighbours(municipality)

    def first_free_slot(
        self, member_id: str, after: datetime, until: datetime | None
    ) -> datetime | None:
        return self.inner.first_free_slot(member_id, after, until)


PROTOCOL_ONLY = Engine.from_directory(
    BUNDLED_RULES, backend="python", directory=Delegate(DIRECTORY)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first_contacts(QUESTIONNAIRE))
def test_a_host_directory_ranks_exactly_like_the_built_in_one(raw: dict[str, Any]) -> None:
    """The built-in index is a faster way to the same routes, never different ones."""
    raw = {
        **raw,
        "municipality": MUNICIPALITIES[len(raw["contact_id"]) % 4],
        # Inside the example's slot window, so that slots are found and compared.
        "received_at": f"2026-03-{2 + len(raw['contact_id']) % 12:02d}T{7 + len(raw['contact_id']) % 10:02d}:15:00+02:00",
    }
    if len(raw["contact_id"]) % 3 == 0:
        raw.pop("municipality")
    assert ENGINE.assess(raw).routes == PROTOCOL_ONLY.assess(raw).routes


def test_a_slot_provider_that_fails_gives_role_routes_and_a_warning() -> None:
    """Units and members load, the booking system is down: no member, one warning."""

    def down(member: str, after: datetime, until: datetime | None) -> datetime | None:
        raise ConnectionError("no route to host")

    directory = Directory.from_file(EXAMPLE, rules=BUNDLED_RULES, slot_provider=down)
    engine = Engine.from_directory(BUNDLED_RULES, backend="python", directory=directory)
    a = engine.assess(contact())
    assert all(r.member is None for r in a.routes)
    assert (
        "directory-unavailable: the directory raised ConnectionError; routes name roles only",
    ) == a.warnings


def test_a_slot_provider_is_asked_within_the_due_date() -> None:
    """The provider gets the contact time and the end of the due day, and its answer is used."""
    asked: list[tuple[str, datetime, datetime | None]] = []

    def booking(member: str, after: datetime, until: datetime | None) -> datetime | None:
        asked.append((member, after, until))
        return after + timedelta(hours=2) if member == "nurse-rk-2" else None

    directory = Directory.from_file(EXAMPLE, rules=BUNDLED_RULES, slot_provider=booking)
    engine = Engine.from_directory(BUNDLED_RULES, backend="python", directory=directory)
    nurse = next(
        r for r in engine.assess(contact(client={"age": 20})).routes if r.service == "nurse"
    )
    assert "nurse-rk-2" == nurse.member
    assert datetime(2026, 3, 2, 12, tzinfo=HELSINKI) == nurse.slot
    # Under 23: care within 14 days of 2.3.2026 -> due 16.3; asked up to midnight after it.
    assert {datetime(2026, 3, 17, tzinfo=HELSINKI)} == {until for _, _, until in asked}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directories(), first_contacts(QUESTIONNAIRE))
def test_generated_directories_rank_the_same_through_the_protocol(
    data: dict[str, Any], raw: dict[str, Any]
) -> None:
    """Any small directory: the built-in index and the plain protocol give equal routes,
    and no slot offered as meeting the due date is after it."""
    directory = Directory.from_data(data, rules=BUNDLED_RULES)
    built_in = Engine(ENGINE.ruleset, backend="python", directory=directory)
    protocol = Engine(ENGINE.ruleset, backend="python", directory=Delegate(directory))
    towns = [m["id"] for m in data["municipalities"]]
    raw = {
        **raw,
        "municipality": towns[len(raw["contact_id"]) % len(towns)],
        "received_at": "2026-03-0{}T{:02d}:30:00+02:00".format(
            2 + len(raw["contact_id"]) % 7, 7 + len(raw["contact_id"]) % 10
        ),
    }
    if len(raw["contact_id"]) % 4 == 0:
        raw.pop("municipality")
    a = built_in.assess(raw)
    b = protocol.assess(raw)
    for mine, theirs in zip(a.routes, b.routes, strict=True):
        assert mine == theirs, f"built-in {mine!r}\nprotocol {theirs!r}"
    for route in a.routes:
        if route.slot is not None and route.due_date is not None and not route.guarantee_at_risk:
            assert route.slot.date() <= route.due_date


def test_cli_check_also_checks_a_directory(capsys: pytest.CaptureFixture[str]) -> None:
    """`check --directory` loads the directory against the rules and says what it holds."""
    code = main(["check", str(BUNDLED_RULES), "--backend", "python", "--directory", str(EXAMPLE)])
    out = capsys.readouterr().out
    assert 0 == code
    slots = sum(len(DIRECTORY.free_slots(m.id)) for m in DIRECTORY.all_members())
    assert f"{EXAMPLE}: OK: 8 units, 52 members, {slots} free slots" in out


def test_a_municipality_the_directory_does_not_list_is_never_repeated() -> None:
    """The municipality is free text: an explanation names the directory's municipalities
    (the units', their neighbours) and calls any other "the client's municipality"."""
    at = {"received_at": "2026-03-02T14:45:00+02:00"}
    offline = {"can_use_digital_services": False}
    typed = ENGINE.assess(contact(municipality="Kotikylä, Matti V", client=offline, **at))
    said = json.dumps(typed.to_json(), ensure_ascii=False)
    assert "Kotikylä" not in said
    assert "nobody nearer to the client's municipality" in said
    listed = ENGINE.assess(contact(municipality="ekby", client=offline, **at))
    assert any("in ekby" in step for route in listed.routes for step in route.explanation or ())
