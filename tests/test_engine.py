"""Engine: hit policy, explanation, validation, digest, threads and the two backends."""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oneContact import ContactError, Engine, RuleError
from oneContact.clocks import HELSINKI, ClockSubject
from oneContact.ruleset import DEFAULT_BACKEND, Backend
from oneContact.ruleset import _durable as durable_adapter
from oneContact.ruleset import program as program_module

from .conftest import PERSONS_RULES, write_person_rules, write_rules
from .strategies import person_answers

# The durable variant needs the C engine: it skips from Python 3.13 (tests/conftest.py).
BACKENDS = [pytest.param("durable", marks=pytest.mark.durable), "python"]
Make = Callable[..., dict[str, Any]]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, rules_dir: Path) -> Engine:
    built = Engine.from_directory(rules_dir, backend=request.param)
    assert request.param == built.backend  # never the other evaluator in its place
    return built


def test_every_matching_rule_fires_and_the_most_urgent_wins(
    engine: Engine, make_contact: Make
) -> None:
    """Hit policy: all matching rules fire; urgency is the most urgent of theirs."""
    a = engine.assess(make_contact(answers={"chest_pain": True, "pain_score": 2}))
    assert "emergency" == a.urgency
    assert ["acute.chest-pain", "acute.any"] == [f.rule for f in a.fired]
    # needs are the union, most urgent rule first, each once
    assert ("acute_care",) == a.needs
    assert "emergency_112" == a.routes[0].service
    assert "emergency" == a.routes[0].kind


def test_default_urgency_when_no_rule_sets_one(engine: Engine, make_contact: Make) -> None:
    """acute.any sets no urgency: the catalogue default (non_urgent) applies."""
    a = engine.assess(make_contact(answers={"pain_score": 7}))
    assert "non_urgent" == a.urgency
    assert ["acute.any"] == [f.rule for f in a.fired]


def test_ordering_by_urgency_then_priority(engine: Engine, make_contact: Make) -> None:
    """Needs and routes of a self_care rule come before those of a rule without urgency."""
    a = engine.assess(make_contact(answers={"pain_score": 2}))
    assert "self_care" == a.urgency
    assert ("self_care_guidance", "acute_care") == a.needs
    assert ["self_care_material", "digital_chat", "nurse"] == [r.service for r in a.routes]
    assert ["acute.mild", "acute.mild", "acute.any"] == [r.reason for r in a.routes]


def test_fired_names_file_and_line(engine: Engine, make_contact: Make) -> None:
    """The explanation points at the rule where it is written."""
    a = engine.assess(make_contact(answers={"chest_pain": True}))
    first = a.fired[0]
    assert ("acute.chest-pain", "acute.yaml", 2) == (first.rule, first.file, first.line)


def test_no_digital_routes_for_a_client_who_cannot_use_them(
    engine: Engine, make_contact: Make
) -> None:
    """can_use_digital_services: false removes every digital_channel route."""
    a = engine.assess(
        make_contact(answers={"pain_score": 2}, client={"can_use_digital_services": False})
    )
    assert all(r.kind != "digital_channel" for r in a.routes)
    assert ["nurse"] == [r.service for r in a.routes]


def test_fallback_route_when_only_digital_routes_were_left(
    tmp_path: Path, make_contact: Make
) -> None:
    """One contact is enough: a client left without a usable route gets the fallback."""
    rules = write_rules(
        tmp_path / "rules",
        acute="""\
            rules:
              - id: acute.digital-only
                when: "'acute_symptom' in concerns"
                urgency: self_care
                services: [self_care_material]
            """,
    )
    engine = Engine.from_directory(rules, backend="python")
    a = engine.assess(make_contact(client={"can_use_digital_services": False}))
    assert [("team_member", "service_coordinator", "acute.digital-only")] == [
        (r.kind, r.service, r.reason) for r in a.routes
    ]


def test_clocks_started_by_fired_rules(engine: Engine, make_contact: Make) -> None:
    """acute.any starts need_assessment (at contact) and care (waits for need_assessed)."""
    a = engine.assess(make_contact())
    clocks = {c.clock: c for c in a.clocks}
    assert ["need_assessment", "care"] == list(clocks)
    # Tue 2025-03-04 10:00 local is within office hours: due the same day (§ 51 from 2023-09-01)
    assert "2025-03-04" == clocks["need_assessment"].due_date.isoformat()
    assert clocks["care"].due_date is None
    assert "not_started" == clocks["care"].status


def test_older_client_gets_social_need_assessment_due_on_7th_weekday(
    engine: Engine, make_contact: Make
) -> None:
    """Vanhuspalvelulaki: a 75-year-old's service-need assessment starts by the 7th weekday."""
    a = engine.assess(make_contact(concerns=["home_care"], client={"age": 75}))
    clock = {c.clock: c for c in a.clocks}["social_need_assessment"]
    # Tue 4.3.2025 → weekdays 5,6,7,10,11,12,13 March: the 7th is Thu 13.3.
    assert "2025-03-13" == clock.due_date.isoformat()


def test_to_json_is_the_public_contract(engine: Engine, make_contact: Make) -> None:
    """The JSON has exactly the contract's keys, and the digest of the rules."""
    data = engine.assess(make_contact()).to_json()
    assert {"contact_id", "urgency", "needs", "routes", "clocks", "fired", "ruleset_digest"} == set(
        data
    )
    assert {"kind", "service", "reason"} == set(data["routes"][0])
    assert {"clock", "starts_at", "due_date", "basis"} <= set(data["clocks"][0])
    assert {"rule", "file", "line"} == set(data["fired"][0])
    assert engine.digest == data["ruleset_digest"]
    json.dumps(data)


def test_contact_as_dict_json_or_model_gives_the_same_assessment(
    engine: Engine, make_contact: Make
) -> None:
    """assess accepts a dict, JSON text or a FirstContact."""
    contact = make_contact(answers={"pain_score": 2})
    from_dict = engine.assess(contact)
    assert from_dict == engine.assess(json.dumps(contact))
    assert from_dict == engine.assess(engine.validate(contact))


def test_invalid_contact_names_every_field(engine: Engine, make_contact: Make) -> None:
    """Unknown codes, unknown questions and wrong answer types are reported together."""
    contact = make_contact(
        concerns=["acute_symptom", "home_cares"],
        answers={
            "chest_pian": True,
            "pain_score": 11,
            "symptom_duration": "years",
            "lives_alone": "yes",
        },
    )
    with pytest.raises(ContactError) as info:
        engine.assess(contact)
    fields = set(info.value.fields)
    assert {
        "concerns[1]",
        "answers.chest_pian",
        "answers.pain_score",
        "answers.symptom_duration",
        "answers.lives_alone",
    } == fields
    text = str(info.value)
    assert "did you mean 'home_care'?" in text
    assert "did you mean 'chest_pain'?" in text


def test_free_text_and_identity_codes_never_leak(
    engine: Engine, make_contact: Make, caplog: pytest.LogCaptureFixture
) -> None:
    """free_text appears in no output, repr or log; an identity code is refused unechoed."""
    caplog.set_level(logging.DEBUG)
    private = "Potilas kertoo luottamuksellisesti 131052-308T"
    a = engine.assess(make_contact(free_text=private))
    assert "luottamuksellisesti" not in json.dumps(a.to_json())
    assert "luottamuksellisesti" not in repr(a)
    assert "luottamuksellisesti" not in repr(engine.validate(make_contact(free_text=private)))
    with pytest.raises(ContactError) as info:
        engine.assess(make_contact(contact_id="131052-308T"))
    assert "131052-308T" not in str(info.value)
    assert "131052-308T" not in json.dumps(info.value.to_json(), ensure_ascii=False)
    assert "contact_id" in info.value.fields
    assert "luottamuksellisesti" not in caplog.text


def test_digest_is_stable_and_changes_with_the_rules(rules_dir: Path) -> None:
    """The same files give the same digest; any edit gives another."""
    first = Engine.from_directory(rules_dir, backend="python").digest
    assert first == Engine.from_directory(rules_dir, backend="python").digest
    path = rules_dir / "home.yaml"
    path.write_text(path.read_text().replace("age >= 75", "age >= 76"))
    assert first != Engine.from_directory(rules_dir, backend="python").digest


def test_broken_directory_is_refused_whole(tmp_path: Path) -> None:
    """A rule naming an unknown service: RuleError with file, line, rule id, code, hint."""
    rules = write_rules(
        tmp_path / "rules",
        home="""\
            rules:
              - id: home.older
                when: age >= 75
                services: [servce_coordinator]
            """,
    )
    with pytest.raises(RuleError) as info:
        Engine.from_directory(rules)
    err = info.value
    assert ("unknown-service", "home.older", 4, "service_coordinator") == (
        err.code,
        err.rule_id,
        err.line,
        err.suggestion,
    )
    assert err.path is not None
    assert err.path.name == "home.yaml"


@pytest.mark.parametrize("backend", BACKENDS)
def test_eight_threads_agree_with_one(
    rules_dir: Path, make_contact: Make, backend: Backend
) -> None:
    """One engine shared by 8 threads gives exactly the answers of one thread."""
    contacts = []
    for i in range(200):
        contacts.append(
            make_contact(
                contact_id=f"t-{i}",
                concerns=["acute_symptom", "home_care"] if i % 3 else ["home_care"],
                client={"age": 60 + i % 30},
                answers={"chest_pain": i % 7 == 0, "pain_score": i % 11},
            )
        )
    engine = Engine.from_directory(rules_dir, backend=backend)
    assert backend == engine.backend
    expected = [engine.assess(c) for c in contacts]
    results: dict[int, list[Any]] = {}

    def work(n: int) -> None:
        results[n] = [engine.assess(c) for c in contacts]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 8 == len(results)
    assert all(expected == got for got in results.values())


@pytest.mark.durable
def test_backends_agree_on_the_test_rules(rules_dir: Path, make_contact: Make) -> None:
    """Both evaluators give the same assessment for the same contacts."""
    durable = Engine.from_directory(rules_dir, backend="durable")
    python = Engine.from_directory(rules_dir, backend="python")
    assert ("durable", "python") == (durable.backend, python.backend)
    for age in (18, 74, 75, 90):
        for answers in ({}, {"chest_pain": True}, {"pain_score": 3}, {"pain_score": 4}):
            contact = make_contact(
                client={"age": age}, concerns=["acute_symptom", "home_care"], answers=answers
            )
            d, p = durable.assess(contact), python.assess(contact)
            assert d.to_json() == p.to_json()


def test_python_evaluator_takes_over_where_durable_cannot_import(
    rules_dir: Path, monkeypatch: pytest.MonkeyPatch, make_contact: Make
) -> None:
    """Where durable_rules cannot be imported the engine says so once and still works."""

    def unavailable() -> None:
        raise durable_adapter.DurableUnavailable("PyEval_CallObject is gone")

    monkeypatch.setattr(durable_adapter, "import_engine", unavailable)
    monkeypatch.setattr(program_module, "_fallback_warned", threading.Event())
    with pytest.warns(RuntimeWarning, match="uses its Python evaluator"):
        engine = Engine.from_directory(rules_dir, backend="durable")
    assert "python" == engine.backend
    assert "emergency" == engine.assess(make_contact(answers={"chest_pain": True})).urgency
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Engine.from_directory(rules_dir, backend="durable")  # said once only


def test_the_default_evaluator_is_the_one_this_python_can_run(
    rules_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """durable_rules on Python 3.11 and 3.12 (where pyproject installs it), the Python
    evaluator from 3.13 (where it does not import): chosen without a warning either way."""
    import sys
    import warnings

    expected = "durable" if sys.version_info < (3, 13) else "python"
    assert expected == DEFAULT_BACKEND
    monkeypatch.setattr(program_module, "_fallback_warned", threading.Event())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        engine = Engine.from_directory(rules_dir)
    assert expected == engine.backend


def test_engine_is_immutable(rules_dir: Path) -> None:
    """An engine cannot be changed after it is built."""
    engine = Engine.from_directory(rules_dir, backend="python")
    with pytest.raises(AttributeError):
        engine.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        engine.ruleset.rules = ()  # type: ignore[misc]


def test_unknown_event_and_naive_timestamps_are_bad_input(
    engine: Engine, make_contact: Make
) -> None:
    """A misspelt event would never stop a clock: refused as input, with a suggestion."""
    from datetime import datetime

    with pytest.raises(ContactError) as info:
        engine.assess(
            make_contact(),
            events={"need_asessed": datetime.fromisoformat("2025-03-04T10:00:00+02:00")},
            now=datetime(2025, 3, 5, 12, 0),
        )
    assert ("events.need_asessed", "now") == info.value.fields
    assert "did you mean 'need_assessed'?" in str(info.value)


def test_identity_code_as_a_key_is_never_echoed(engine: Engine, make_contact: Make) -> None:
    """Even a key shaped like a henkilötunnus stays out of the error message."""
    contact = make_contact(answers={"010190-123A": True})
    contact["131052-308T"] = 1
    with pytest.raises(ContactError) as info:
        engine.assess(contact)
    text = str(info.value) + json.dumps(info.value.to_json(), ensure_ascii=False)
    assert "010190-123A" not in text
    assert "131052-308T" not in text
    assert "unknown field" in text


@pytest.mark.durable
def test_dropping_an_engine_deletes_its_c_rulesets(
    rules_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The C rulesets an engine created are deleted when the engine is collected."""
    import gc

    c_engine = durable_adapter.import_engine()
    created: list[int] = []
    deleted: list[int] = []
    real_create, real_delete = c_engine.create_ruleset, c_engine.delete_ruleset

    def create(name: str, definition: str) -> int:
        handle: int = real_create(name, definition)
        created.append(handle)
        return handle

    def delete(handle: int) -> None:
        deleted.append(handle)
        real_delete(handle)

    monkeypatch.setattr(c_engine, "create_ruleset", create)
    monkeypatch.setattr(c_engine, "delete_ruleset", delete)
    engine = Engine.from_directory(rules_dir, backend="durable")
    assert created
    del engine
    gc.collect()
    assert sorted(created) == sorted(deleted)


# --------------------------------------------------------------------------- persons
# Finnish days off in the spring of 2025: Good Friday 18.4 and Easter Monday 21.4 (Maundy
# Thursday 17.4 is a weekday). The therapy guarantee is in force from 1.5.2025.


@pytest.fixture(params=BACKENDS)
def persons_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    built = Engine.from_directory(write_person_rules(tmp_path / "rules"), backend=request.param)
    assert request.param == built.backend
    return built


def carer_contact(client_age: int, answers: dict[str, Any]) -> dict[str, Any]:
    """An informal carer's contact about home care for the person they care for,
    received Tue 15.4.2025 10:00."""
    return {
        "contact_id": "carer-1",
        "received_at": "2025-04-15T10:00:00+03:00",
        "channel": "phone",
        "client": {"age": client_age},
        "concerns": ["home_care"],
        "answers": answers,
    }


def parent_contact(child_age: float | None) -> dict[str, Any]:
    """A parent aged 40 contacting about their child's mental health, Tue 3.6.2025."""
    return {
        "contact_id": "parent-1",
        "received_at": "2025-06-03T09:00:00+03:00",
        "channel": "phone",
        "client": {"age": 40},
        "concerns": ["mental_health"],
        "answers": {} if child_age is None else {"child_age": child_age},
    }


NEED_ASSESSED = {"need_assessed": datetime(2025, 6, 4, 10, tzinfo=HELSINKI)}


def by_clock(assessment: Any) -> dict[str, Any]:
    return {c.clock: c for c in assessment.clocks}


def test_the_social_assessment_follows_the_age_of_the_person_cared_for(
    persons_engine: Engine,
) -> None:
    """A carer aged 50 about a person aged 80 (SHL § 36: 7 weekdays for 75+). Received Tue
    15.4.2025; the weekdays after it: Wed 16 (1), Thu 17 (2), Fri 18 Good Friday and Mon 21
    Easter Monday off, Tue 22 (3), Wed 23 (4), Thu 24 (5), Fri 25 (6), Mon 28.4 (7)."""
    a = persons_engine.assess(carer_contact(50, {"cared_for_age": 80}))
    clock = by_clock(a)["social_need_assessment"]
    assert (date(2025, 4, 28), "7 weekdays", "cared_for") == (
        clock.due_date,
        clock.limit,
        clock.person,
    )
    assert "cared_for" == clock.to_json()["for"]
    assert "cared_for" == by_clock(a)["older_people_services"].person
    # What the policies read of the person is kept for the ledger, never in the JSON.
    assert 80 == a.person_subjects["cared_for"].age
    assert re.search(r"\b80\b", json.dumps(a.to_json())) is None


def test_a_cared_for_person_under_75_gets_the_without_delay_limit(
    persons_engine: Engine,
) -> None:
    """The same contact about a person aged 60: no fixed day in law ('without delay'),
    although the carer's own age (50) plays no part either way; the highest care allowance
    of the person cared for brings the 7 weekdays back (due Mon 28.4, as above)."""
    a = persons_engine.assess(carer_contact(50, {"cared_for_age": 60}))
    clock = by_clock(a)["social_need_assessment"]
    assert (None, None) == (clock.due_date, clock.limit)
    assert clock.basis.endswith("without delay; no fixed day in law")
    allowance = persons_engine.assess(
        carer_contact(50, {"cared_for_age": 60, "cared_for_highest_care_allowance": True})
    )
    assert date(2025, 4, 28) == by_clock(allowance)["social_need_assessment"].due_date


def test_the_therapy_guarantee_follows_the_childs_age(
    persons_engine: Engine, tmp_path: Path
) -> None:
    """A parent aged 40 about a child aged 15: need assessed Wed 4.6.2025, treatment due
    within 28 days, Wed 2.7.2025 (a weekday). The same rule without 'for' judges the
    parent's right: 40 is not under 23, so no limit."""
    a = persons_engine.assess(parent_contact(15), events=NEED_ASSESSED)
    therapy, care = by_clock(a)["therapy_guarantee"], by_clock(a)["care"]
    assert (date(2025, 7, 2), "28 days", "child") == (
        therapy.due_date,
        therapy.limit,
        therapy.person,
    )
    assert care.person is None  # written without 'for': the client's own right
    own = write_person_rules(
        tmp_path / "own",
        persons="rules:\n  - id: p\n    when: \"'mental_health' in concerns\"\n"
        "    clocks: [therapy_guarantee]\n",
    )
    parents = Engine.from_directory(own, backend="python").assess(
        parent_contact(15), events=NEED_ASSESSED
    )
    clock = by_clock(parents)["therapy_guarantee"]
    assert (None, None, None) == (clock.due_date, clock.limit, clock.person)
    assert clock.basis.endswith("the therapy guarantee covers clients under 23 only")


@pytest.mark.parametrize(
    ("child_age", "due"),
    [
        (22.9, date(2025, 7, 2)),  # rounded down: 22, under 23
        (23, None),  # 23: not covered
        (None, date(2025, 7, 2)),  # unanswered: age unknown, the 'otherwise' variant
    ],
)
def test_a_persons_age_is_whole_years_rounded_down_or_unknown(
    persons_engine: Engine, child_age: float | None, due: date | None
) -> None:
    """The age answer in whole years, rounded down; no answer is an unknown age."""
    a = persons_engine.assess(parent_contact(child_age), events=NEED_ASSESSED)
    assert due == by_clock(a)["therapy_guarantee"].due_date


@pytest.mark.parametrize(("carer_priority", "person"), [(10, "cared_for"), (200, None)])
def test_a_clock_two_rules_start_for_different_persons_follows_the_first_rule(
    tmp_path: Path, carer_priority: int, person: str | None
) -> None:
    """A client aged 80 asks about home care for a person aged 60: home.older (priority
    100) starts social_need_assessment for the client, carer.home-care for the person cared
    for. The first fired rule in hit-policy order (both non_urgent: lower priority first)
    decides whose right it follows: the person's 'without delay', or the client's 7
    weekdays (due Mon 28.4.2025, counted above)."""
    rules = write_person_rules(
        tmp_path / "rules",
        persons=PERSONS_RULES.replace("priority: 10", f"priority: {carer_priority}"),
    )
    a = Engine.from_directory(rules, backend="python").assess(
        carer_contact(80, {"cared_for_age": 60})
    )
    assert ["carer.home-care", "home.older"] == sorted(f.rule for f in a.fired)
    clock = by_clock(a)["social_need_assessment"]
    expected_due = None if person == "cared_for" else date(2025, 4, 28)
    assert (person, expected_due) == (clock.person, clock.due_date)


@pytest.fixture(scope="module")
def persons_python_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    rules = write_person_rules(tmp_path_factory.mktemp("persons") / "rules")
    return Engine.from_directory(rules, backend="python")


@given(client_age=st.integers(0, 120), answers=person_answers())
def test_a_clock_for_a_person_is_judged_with_that_persons_subject_only(
    persons_python_engine: Engine, client_age: int, answers: dict[str, Any]
) -> None:
    """Whatever the client's age, each clock started for a person equals the clock the
    policies compute for that person's subject: the age answer rounded down (unanswered:
    unknown), the flag only when answered yes; the client's own clocks follow the client."""
    contact = {
        "contact_id": "prop-1",
        "received_at": "2025-06-03T09:00:00+03:00",
        "channel": "phone",
        "client": {"age": client_age},
        "concerns": ["home_care", "mental_health"],
        "answers": answers,
    }
    events = {**NEED_ASSESSED, "decision_made": datetime(2025, 6, 5, 10, tzinfo=HELSINKI)}
    a = persons_python_engine.assess(contact, events=events)
    policies = persons_python_engine.ruleset.policies

    def subject_of(age_question: str, allowance_question: str | None) -> ClockSubject:
        age = answers.get(age_question)
        return ClockSubject(
            age=None if age is None else math.floor(age),
            highest_care_allowance=allowance_question is not None
            and answers.get(allowance_question) is True,
        )

    expected_subjects = {
        "child": subject_of("child_age", None),
        "cared_for": subject_of("cared_for_age", "cared_for_highest_care_allowance"),
    }
    for clock in a.clocks:
        subject = (
            ClockSubject(age=client_age)
            if clock.person is None
            else expected_subjects[clock.person]
        )
        (expected,) = policies.compute(
            [clock.clock], subject=subject, received_at=a.received_at, events=events
        )
        assert attrs.evolve(expected, person=clock.person) == clock
    followed = {c.clock: c.person for c in a.clocks}
    assert "child" == followed["therapy_guarantee"]
    assert None is followed["care"]
    if "cared_for_age" in answers:  # the carer rule asks for the cared-for person's age
        assert "cared_for" == followed["social_need_assessment"]
