"""FHIR R4 in and out (oneContact.fhir): every resource validated against FHIR R4 4.0.1
(tests/fhir_r4.py), and the round trip Questionnaire -> response -> contact -> Bundle
over generated contacts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneContact import ContactError, Engine, bundled_rules_directory, parse_contact
from oneContact.fhir import (
    bundle,
    canonical_url,
    contact_from_response,
    next_question,
    operation_outcome,
    questionnaire,
    response_from_contact,
    service_request,
)
from oneContact.testing.strategies import first_contacts, form_contacts

from .fhir_r4 import FhirInvalid, validate

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "contact.json"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
RECORDED = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def _property(*, examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A hypothesis test over drawn data, with the module's engine (built once)."""

    def wrap(test: Callable[..., None]) -> Callable[..., None]:
        return settings(  # type: ignore[no-any-return]
            max_examples=examples,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )(given(data=st.data())(test))

    return wrap


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_directory(bundled_rules_directory(), backend="python")


@pytest.fixture(scope="module")
def form(engine: Engine) -> dict[str, Any]:
    return questionnaire(engine.ruleset)


def _items(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in node.get("item", []):
        out.append(item)
        out.extend(_items(item))
    return out


def _translations(element: dict[str, Any]) -> dict[str, str]:
    found = {}
    for extension in element.get("extension", []):
        assert extension["url"] == TRANSLATION
        parts = {e["url"]: e for e in extension["extension"]}
        found[parts["lang"]["valueCode"]] = parts["content"]["valueString"]
    return found


# ----------------------------------------------------------------- the Questionnaire


def test_the_questionnaire_is_valid_fhir_r4_sdc(engine: Engine, form: dict[str, Any]) -> None:
    validate(form)
    assert form["version"] == engine.digest
    assert form["url"] == canonical_url()
    assert form["language"] == "fi"


def test_every_question_once_by_its_id_with_its_translations(
    engine: Engine, form: dict[str, Any]
) -> None:
    by_link = {item["linkId"]: item for item in _items(form)}
    questions = engine.ruleset.questionnaire.questions
    for question in questions.values():
        item = by_link[question.id]
        assert item["text"] == question.label.fi
        assert _translations(item["_text"]) == {"sv": question.label.sv, "en": question.label.en}
        flagged = any(c["code"] == "red-flag" for c in item.get("code", []))
        assert flagged == question.red_flag
        if question.type == "choice":
            assert [o["valueCoding"]["code"] for o in item["answerOption"]] == list(
                question.choices
            )
        expected_type = {"boolean": "boolean", "choice": "choice"}.get(
            question.type, "integer" if question.integer else "decimal"
        )
        assert item["type"] == expected_type
    concerns = by_link["concerns"]
    assert concerns["repeats"] is True
    assert concerns["required"] is True
    assert [o["valueCoding"]["code"] for o in concerns["answerOption"]] == list(
        engine.ruleset.questionnaire.concerns
    )


def test_number_bounds_travel_as_min_and_max_value(engine: Engine, form: dict[str, Any]) -> None:
    by_link = {item["linkId"]: item for item in _items(form)}
    bounded = [
        q
        for q in engine.ruleset.questionnaire.questions.values()
        if q.type == "number" and q.maximum is not None
    ]
    assert bounded
    for question in bounded:
        extensions = {e["url"].rsplit("/", 1)[1]: e for e in by_link[question.id]["extension"]}
        value = extensions["maxValue"].get(
            "valueInteger", extensions["maxValue"].get("valueDecimal")
        )
        assert value == question.maximum


def _enabled(form: dict[str, Any], concerns: set[str]) -> set[str]:
    """The linkIds a renderer shows when *concerns* are chosen: an item is shown when its
    enableWhen holds (any or all, by enableBehavior) and its parent is shown
    (FHIR R4 Questionnaire.item.enableWhen semantics, for answerCoding on 'concerns')."""

    def holds(item: dict[str, Any]) -> bool:
        whens = item.get("enableWhen")
        if not whens:
            return True
        results = []
        for when in whens:
            assert when["question"] == "concerns"
            assert when["operator"] == "="
            results.append(when["answerCoding"]["code"] in concerns)
        return any(results) if item.get("enableBehavior") == "any" else all(results)

    shown: set[str] = set()

    def visit(items: list[dict[str, Any]]) -> None:
        for item in items:
            if holds(item):
                shown.add(item["linkId"])
                visit(item.get("item", []))

    visit(form["item"])
    return shown


def test_enable_when_shows_exactly_the_form_of_the_chosen_concerns(
    engine: Engine, form: dict[str, Any]
) -> None:
    """What a renderer shows under any one or two concerns is the questionnaire's own form
    of those concerns (Questionnaire.form), no question more or less."""
    questionnaire_ = engine.ruleset.questionnaire
    codes = list(questionnaire_.concerns)
    questions = set(questionnaire_.questions)
    for chosen in [*((c,) for c in codes), *combinations(codes[:8], 2)]:
        shown = _enabled(form, set(chosen)) & questions
        assert shown == {q.id for q in questionnaire_.form(chosen)}, chosen


def test_red_flags_come_first(form: dict[str, Any]) -> None:
    groups = [item["linkId"] for item in form["item"]]
    assert groups[:3] == ["client", "concerns", "red-flags"]


def test_the_adaptive_questionnaire_has_no_items(engine: Engine) -> None:
    adaptive = questionnaire(engine.ruleset, adaptive=True)
    validate(adaptive)
    assert "item" not in adaptive
    assert adaptive["extension"][0]["valueBoolean"] is True


def test_a_base_url_of_the_region_names_every_system(engine: Engine) -> None:
    text = json.dumps(questionnaire(engine.ruleset, base_url="https://fhir.example.fi/r4"))
    assert "onecontact.fi" not in text
    assert "https://fhir.example.fi/r4/Questionnaire/first-contact" in text


# ----------------------------------------------------------- the response, the contact


def _answer_item(link: str, value: Any) -> dict[str, Any]:
    """The response item of question *link* answered *value* (None: shown, unanswered),
    in the value[x] a form filler uses for its type."""
    if value is None:
        return {"linkId": link}
    if isinstance(value, bool):
        answer: dict[str, Any] = {"valueBoolean": value}
    elif isinstance(value, int):
        answer = {"valueInteger": value}
    elif isinstance(value, float):
        answer = {"valueDecimal": value}
    else:
        answer = {"valueCoding": {"code": value}}
    return {"linkId": link, "answer": [answer]}


def response_of(contact: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A QuestionnaireResponse (and a Patient for a birth date) holding *contact*, built
    as a form filler would from the questionnaire's linkIds (not by oneContact)."""
    client = contact["client"]
    client_items = []
    if "age" in client:
        client_items.append({"linkId": "client.age", "answer": [{"valueInteger": client["age"]}]})
    client_items.append(
        {
            "linkId": "client.language",
            "answer": [{"valueCoding": {"system": "urn:ietf:bcp:47", "code": client["language"]}}],
        }
    )
    for flag in ("highest_care_allowance", "special_support_child", "can_use_digital_services"):
        if flag in client:
            client_items.append(
                {"linkId": f"client.{flag}", "answer": [{"valueBoolean": client[flag]}]}
            )
    if "municipality" in contact:
        client_items.append(
            {"linkId": "municipality", "answer": [{"valueString": contact["municipality"]}]}
        )
    items: list[dict[str, Any]] = [
        {"linkId": "client", "item": client_items},
        {
            "linkId": "concerns",
            "answer": [
                {
                    "valueCoding": {
                        "system": "https://onecontact.fi/fhir/CodeSystem/concern",
                        "code": c,
                    }
                }
                for c in contact["concerns"]
            ],
        },
    ]
    items.extend(_answer_item(qid, value) for qid, value in contact["answers"].items())
    response = {
        "resourceType": "QuestionnaireResponse",
        "identifier": {
            "system": "https://onecontact.fi/fhir/NamingSystem/contact",
            "value": contact["contact_id"],
        },
        "questionnaire": canonical_url(),
        "status": "completed",
        "authored": contact["received_at"],
        "item": items,
    }
    patient = None
    if "birth_date" in client:
        patient = {"resourceType": "Patient", "birthDate": client["birth_date"]}
    return response, patient


def test_the_example_round_trips(engine: Engine) -> None:
    contact = json.loads(EXAMPLE.read_text("utf-8"))
    response, patient = response_of(contact)
    validate(response)
    back = contact_from_response(response, engine.ruleset, patient=patient)
    expected = parse_contact({**contact, "free_text": None})
    assert back == expected


def _bundle_matches(engine: Engine, assessment: Any, found: dict[str, Any]) -> None:
    validate(found)
    resources = [entry["resource"] for entry in found["entry"]]
    kinds = [r["resourceType"] for r in resources]
    services = list(dict.fromkeys(r.service for r in assessment.routes))
    assert kinds.count("ServiceRequest") == len(services)
    assert kinds.count("Task") == len(assessment.clocks)
    assert kinds.count("RiskAssessment") == 1
    assert kinds[-1] == "Provenance"
    # FHIR request-priority: stat is the most urgent, routine the least.
    priority = {
        "emergency": "stat",
        "urgent": "urgent",
        "non_urgent": "routine",
        "self_care": "routine",
    }
    requests = [r for r in resources if r["resourceType"] == "ServiceRequest"]
    assert [r["code"]["coding"][0]["code"] for r in requests] == services
    assert {r["priority"] for r in requests} <= {priority[assessment.urgency]}
    tasks = [r for r in resources if r["resourceType"] == "Task"]
    for task, clock in zip(tasks, assessment.clocks, strict=True):
        assert task["code"]["coding"][0]["code"] == clock.clock
        due = task.get("restriction", {}).get("period", {}).get("end")
        assert due == (None if clock.due_date is None else clock.due_date.isoformat())
        assert task["businessStatus"]["coding"][0]["code"] == str(clock.status)
    risk = resources[0]
    assert risk["prediction"][0]["outcome"]["coding"][0]["code"] == assessment.urgency
    assert [b["identifier"]["value"] for b in risk.get("basis", [])] == [
        f.rule for f in assessment.fired
    ]
    provenance = resources[-1]
    assert provenance["entity"][0]["what"]["identifier"]["value"] == engine.digest
    assert len(provenance["target"]) == len(resources) - 1


@_property(examples=60)
def test_round_trip_questionnaire_response_contact_bundle(
    engine: Engine, data: st.DataObject
) -> None:
    """Any valid contact, written as a response to the questionnaire, reads back as the
    same contact, and its decision is a valid Bundle that says what the assessment says."""
    contact = data.draw(first_contacts(engine.ruleset.questionnaire))
    response, patient = response_of(contact)
    validate(response)
    if patient is not None:
        validate(patient)
    back = contact_from_response(
        response, engine.ruleset, patient=patient, channel=contact["channel"]
    )
    assert back == parse_contact(contact)
    # oneContact's own export reads back the same too, nested as the Questionnaire's groups.
    exported = response_from_contact(contact, engine.ruleset)
    validate(exported)
    groups = {item["linkId"] for item in questionnaire(engine.ruleset)["item"]}
    assert {item["linkId"] for item in exported["item"]} <= groups
    assert contact_from_response(exported, engine.ruleset, channel=contact["channel"]) == back
    assessment = engine.assess(back)
    kind = data.draw(st.sampled_from(("collection", "transaction")))
    found = bundle(assessment, engine.ruleset, type=kind, recorded=RECORDED)
    _bundle_matches(engine, assessment, found)
    if kind == "transaction":
        assert all(entry["request"]["method"] == "POST" for entry in found["entry"])


def test_the_bundle_holds_no_free_text_and_is_deterministic(engine: Engine) -> None:
    contact = json.loads(EXAMPLE.read_text("utf-8"))
    assessment = engine.assess(parse_contact(contact))
    first = bundle(assessment, engine.ruleset, recorded=RECORDED)
    assert json.dumps(first) == json.dumps(bundle(assessment, engine.ruleset, recorded=RECORDED))
    text = json.dumps(first, ensure_ascii=False)
    assert contact["free_text"] not in text
    assert "kaatui" not in text
    _bundle_matches(engine, assessment, first)


def test_service_names_are_in_the_clients_language(engine: Engine) -> None:
    contact = json.loads(EXAMPLE.read_text("utf-8"))
    contact["client"]["language"] = "sv"
    assessment = engine.assess(parse_contact(contact))
    route = assessment.routes[0]
    request = service_request(assessment, route, engine.ruleset)
    validate(request)
    assert request["code"]["text"] == engine.ruleset.catalogue.services[route.service].name.sv
    english = service_request(assessment, route, engine.ruleset, language="en")
    assert english["code"]["text"] == engine.ruleset.catalogue.services[route.service].name.en


def test_a_directory_route_names_member_unit_and_slot(engine: Engine) -> None:
    from oneContact import Directory

    directory = Directory.from_file(
        Path(__file__).resolve().parents[1] / "examples" / "directory.yaml"
    )
    routed = Engine.from_directory(bundled_rules_directory(), backend="python", directory=directory)
    contact = json.loads(EXAMPLE.read_text("utf-8"))
    assessment = routed.assess(parse_contact(contact))
    with_member = [r for r in assessment.routes if r.member is not None]
    assert with_member
    request = service_request(assessment, with_member[0], routed.ruleset)
    validate(request)
    assert request["performer"][0]["identifier"]["value"] == with_member[0].member
    if with_member[0].unit is not None:
        assert request["locationReference"][0]["identifier"]["value"] == with_member[0].unit
    if with_member[0].slot is not None:
        assert request["occurrenceDateTime"] == with_member[0].slot.isoformat()


# ------------------------------------------------------------------------ refusals


def _refused(engine: Engine, response: dict[str, Any], **kw: Any) -> ContactError:
    with pytest.raises(ContactError) as caught:
        contact_from_response(response, engine.ruleset, **kw)
    outcome = operation_outcome(caught.value)
    validate(outcome)
    return caught.value


def test_problems_name_the_link_id_and_become_an_operation_outcome(engine: Engine) -> None:
    response, _ = response_of(json.loads(EXAMPLE.read_text("utf-8")))
    response["item"].append({"linkId": "chest_pian", "answer": [{"valueBoolean": True}]})
    response["item"].append({"linkId": "chest_pain", "answer": [{"valueString": "kyllä"}]})
    response["item"].append(
        {"linkId": "heavy_bleeding", "answer": [{"valueBoolean": True}, {"valueBoolean": False}]}
    )
    error = _refused(engine, response)
    by_field = {p.field: p for p in error.problems}
    assert by_field["item[chest_pian]"].suggestion == "chest_pain"
    assert by_field["item[chest_pain]"].code == "answer-type"
    assert by_field["item[heavy_bleeding]"].code == "too-many-answers"
    outcome = operation_outcome(error, language="sv")
    issue = next(i for i in outcome["issue"] if "chest_pain'" in i["expression"][0])
    assert issue["expression"] == [
        "QuestionnaireResponse.repeat(item).where(linkId = 'chest_pain')"
    ]
    assert issue["details"]["text"] == "Svara ja eller nej."
    assert "kyllä" not in json.dumps(outcome, ensure_ascii=False)


@pytest.mark.parametrize(
    "where",
    ["id", "identifier", "subject", "patient"],
)
def test_an_identity_code_in_any_identifier_is_refused_and_not_echoed(
    engine: Engine, where: str
) -> None:
    code = "131052-308T"  # the specimen identity code of the Population Register Centre
    response, _ = response_of(json.loads(EXAMPLE.read_text("utf-8")))
    patient = None
    if where == "id":
        response["id"] = code
    elif where == "identifier":
        response["identifier"] = {"system": "urn:oid:1.2.246.21", "value": code}
    elif where == "subject":
        response["subject"] = {"identifier": {"system": "urn:oid:1.2.246.21", "value": code}}
    else:
        patient = {
            "resourceType": "Patient",
            "identifier": [{"system": "urn:oid:1.2.246.21", "value": code}],
        }
    error = _refused(engine, response, patient=patient)
    assert {p.code for p in error.problems} == {"identity-code"}
    assert code not in str(error)
    assert code not in json.dumps(operation_outcome(error))


def test_not_a_response_and_another_questionnaire_are_refused(engine: Engine) -> None:
    error = _refused(engine, {"resourceType": "Patient"})
    assert error.problems[0].code == "fhir-resource"
    response, _ = response_of(json.loads(EXAMPLE.read_text("utf-8")))
    response["questionnaire"] = "https://example.org/Questionnaire/other"
    error = _refused(engine, response)
    assert [p.code for p in error.problems] == ["unknown-questionnaire"]


def test_age_and_birth_date_both_given_are_refused(engine: Engine) -> None:
    response, _ = response_of(json.loads(EXAMPLE.read_text("utf-8")))
    response["item"][0]["item"].append(
        {"linkId": "client.birth_date", "answer": [{"valueDate": "1947-01-02"}]}
    )
    error = _refused(engine, response)
    assert [(p.field, p.code) for p in error.problems] == [
        ("item[client.age]", "age-or-birth-date")
    ]


def test_a_missing_time_and_age_name_their_elements(engine: Engine) -> None:
    response, _ = response_of(json.loads(EXAMPLE.read_text("utf-8")))
    del response["authored"]
    response["item"][0]["item"] = [
        i for i in response["item"][0]["item"] if i["linkId"] != "client.age"
    ]
    fields = {p.field for p in _refused(engine, response).problems}
    assert "QuestionnaireResponse.authored" in fields
    assert "item[client.age]" in fields


def test_the_patient_gives_birth_date_language_and_municipality(engine: Engine) -> None:
    contact = json.loads(EXAMPLE.read_text("utf-8"))
    response, _ = response_of(contact)
    response["item"][0]["item"] = [
        i
        for i in response["item"][0]["item"]
        if i["linkId"] not in ("client.age", "client.language", "municipality")
    ]
    patient = {
        "resourceType": "Patient",
        "birthDate": "1946-05-02",
        "communication": [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "fi-FI"}]}},
            {
                "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "sv-FI"}]},
                "preferred": True,
            },
        ],
        "address": [{"use": "home", "city": "Närpes"}],
    }
    validate(patient)
    back = contact_from_response(response, engine.ruleset, patient=patient)
    assert back.client.birth_date is not None
    assert back.client.birth_date.isoformat() == "1946-05-02"
    assert back.client.language == "sv"
    assert back.municipality == "Närpes"
    patient["birthDate"] = "1946-02-30"
    error = _refused(engine, response, patient=patient)
    assert [p.field for p in error.problems] == ["Patient.birthDate"]


# ---------------------------------------------------------------- $next-question


def test_the_first_step_asks_who_and_what(engine: Engine) -> None:
    step = next_question(engine, {"resourceType": "QuestionnaireResponse", "status": "in-progress"})
    validate(step)
    assert step["status"] == "in-progress"
    assert step["questionnaire"] == "#" + step["contained"][0]["id"]
    assert [i["linkId"] for i in step["contained"][0]["item"]] == ["client", "concerns"]


@pytest.mark.parametrize("age", ["client.age", "client.birth_date", "Patient.birthDate"])
def test_once_concerns_and_age_are_known_the_questions_come(engine: Engine, age: str) -> None:
    contact = json.loads(EXAMPLE.read_text("utf-8"))
    patient = None
    if age != "client.age":
        del contact["client"]["age"]
        contact["client"]["birth_date"] = "1947-03-02"
    response = response_from_contact(
        {**contact, "answers": {}}, engine.ruleset, status="in-progress"
    )
    if age == "Patient.birthDate":
        response["item"][0]["item"] = [
            i for i in response["item"][0]["item"] if i["linkId"] != "client.birth_date"
        ]
        patient = {"resourceType": "Patient", "birthDate": "1947-03-02"}
    step = next_question(engine, response, patient=patient)
    validate(step)
    asked = [i["linkId"] for i in step["contained"][0]["item"][2:]]
    expected = engine.next_questions({**contact, "answers": {}})
    assert asked == [q.id for q in expected.questions]
    assert asked


def test_a_parameters_request_is_read_too(engine: Engine) -> None:
    response, _ = response_of(json.loads(EXAMPLE.read_text("utf-8")))
    response["status"] = "in-progress"
    bare = next_question(engine, response)
    wrapped = next_question(
        engine, {"resourceType": "Parameters", "parameter": [{"name": "in", "resource": response}]}
    )
    assert bare == wrapped


@_property(examples=25)
def test_answering_each_next_question_reaches_the_decision_of_all_answers(
    engine: Engine, data: st.DataObject
) -> None:
    """A client answering, step by step, only the first item $next-question adds ends with
    the decision their answers to the whole form give; each step is valid FHIR."""
    drawn = data.draw(form_contacts(engine.ruleset.questionnaire))
    contact = drawn["contact"]
    contact["client"].pop("birth_date", None)
    contact["client"].setdefault("age", 40)
    contact["client"]["language"] = "fi"
    answers = contact["answers"]
    # Answers to questions outside the form of the concerns came by another door: given.
    on_form = {q.id for q in engine.ruleset.questionnaire.form(contact["concerns"])}
    so_far = {k: v for k, v in answers.items() if k not in on_form}
    response, _ = response_of({**contact, "answers": so_far})
    response["status"] = "in-progress"
    for _ in range(60):
        step = next_question(engine, response)
        validate(step)
        if step["status"] == "completed":
            break
        given_links = {i["linkId"] for i in response["item"]}
        new = [
            i
            for i in step["contained"][0]["item"]
            if i["linkId"] not in given_links | {"client", "concerns"}
        ]
        assert new, "in progress, but no new item"
        response["item"].append(_answer_item(new[0]["linkId"], answers.get(new[0]["linkId"])))
    else:
        pytest.fail("the form did not finish")
    asked = contact_from_response(
        {**response, "questionnaire": canonical_url()}, engine.ruleset, channel=contact["channel"]
    )
    full = parse_contact(contact)
    assert engine.assess(asked).decision() == engine.assess(full).decision()


def test_a_question_left_unanswered_is_not_asked_again(engine: Engine) -> None:
    response, _ = response_of(json.loads(EXAMPLE.read_text("utf-8")))
    response["item"] = response["item"][:2]
    response["status"] = "in-progress"
    first = next_question(engine, response)
    asked = [i["linkId"] for i in first["contained"][0]["item"][2:]]
    assert asked
    response["item"].append({"linkId": asked[0]})  # shown, left unanswered
    again = next_question(engine, response)
    validate(again)
    later = [i["linkId"] for i in again["contained"][0]["item"][2:]]
    assert later.count(asked[0]) == 1  # kept in the form (its item is in the response) ...
    assert asked[0] not in later[later.index(asked[0]) + 1 :]  # ... and not asked again


def test_the_validator_catches_what_it_should() -> None:
    """The checks the tests rely on fail on invalid resources (so a pass means something)."""
    bad: list[dict[str, Any]] = [
        {
            "resourceType": "ServiceRequest",
            "status": "active",
            "intent": "order",
            "subject": {"reference": "Patient/1"},
            "priority": "soon",
        },
        {"resourceType": "ServiceRequest", "status": "active", "intent": "order"},
        {"resourceType": "Task", "status": "open", "intent": "plan"},
        {
            "resourceType": "Questionnaire",
            "status": "active",
            "item": [{"linkId": "a", "type": "group"}],
        },
        {
            "resourceType": "Questionnaire",
            "status": "active",
            "item": [{"linkId": "a", "type": "boolean", "colour": 1}],
        },
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {
                    "fullUrl": "urn:uuid:1",
                    "resource": {
                        "resourceType": "Basic",
                        "code": {},
                        "subject": {"reference": "urn:uuid:2"},
                    },
                }
            ],
        },
        {
            "resourceType": "Questionnaire",
            "status": "active",
            "_title": {"extension": [{"valueString": "x"}]},
        },
    ]
    bad.append({"resourceType": "Patient", "id": "omaks_2025:1"})
    for resource in bad:
        with pytest.raises(FhirInvalid):
            validate(resource)


def test_an_identity_code_as_a_link_id_is_refused_as_one(engine: Engine) -> None:
    response, _ = response_of(json.loads(EXAMPLE.read_text("utf-8")))
    response["item"].append({"linkId": "131052-308T", "answer": [{"valueBoolean": True}]})
    error = _refused(engine, response)
    assert [p.code for p in error.problems] == ["identity-code"]
    assert "131052-308T" not in json.dumps(operation_outcome(error))
