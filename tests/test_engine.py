"""Engine: hit policy, explanation, validation, digest, threads and the two backends."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oneContact import ContactError, Engine, RuleError
from oneContact import _durable as durable_adapter
from oneContact import engine as engine_module

from .conftest import write_rules

BACKENDS = ["durable", "python"]
Make = Callable[..., dict[str, Any]]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, rules_dir: Path) -> Engine:
    return Engine.from_directory(rules_dir, backend=request.param)


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


def test_eight_threads_agree_with_one(rules_dir: Path, make_contact: Make) -> None:
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
    for backend in BACKENDS:
        engine = Engine.from_directory(rules_dir, backend=backend)
        expected = [engine.assess(c) for c in contacts]
        results: dict[int, list[Any]] = {}

        def work(n: int, engine: Engine = engine, results: dict[int, list[Any]] = results) -> None:
            results[n] = [engine.assess(c) for c in contacts]

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(expected == got for got in results.values()), backend


def test_backends_agree_on_the_test_rules(rules_dir: Path, make_contact: Make) -> None:
    """Both evaluators give the same assessment for the same contacts."""
    durable = Engine.from_directory(rules_dir, backend="durable")
    python = Engine.from_directory(rules_dir, backend="python")
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
    monkeypatch.setattr(engine_module, "_fallback_warned", threading.Event())
    with pytest.warns(RuntimeWarning, match="uses its Python evaluator"):
        engine = Engine.from_directory(rules_dir)
    assert "python" == engine.backend
    assert "emergency" == engine.assess(make_contact(answers={"chest_pain": True})).urgency
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Engine.from_directory(rules_dir)  # said once only


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
