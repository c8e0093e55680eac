"""CDS Hooks 2.0 (oneContact.cds_hooks): discovery, the hook call, the cards and the
feedback, checked against the specification's examples and field rules
(https://cds-hooks.hl7.org/2.0/, the cds-hooks/docs repository)."""

from __future__ import annotations

import copy
import functools
import json
import re
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneContact import ContactError, Engine, Ledger, bundled_rules_directory, parse_contact
from oneContact.cds_hooks import (
    HOOK_CONTEXT,
    HOOKS,
    INDICATORS,
    PREFETCH_PATIENT,
    PREFETCH_RESPONSE,
    SERVICE_ID,
    CdsHooksError,
    cards,
    discovery,
    feedback,
    feedback_event_id,
    override_reason_system,
    read_feedback,
    service,
)
from oneContact.fhir import DEFAULT_BASE_URL, response_from_contact
from oneContact.ruleset import RuleSet, load_ruleset
from oneContact.suggestions import OVERRIDE_REASONS, Feedback, suggestions_of
from oneContact.testing.strategies import first_contacts

from .fhir_r4 import validate

REPO = Path(__file__).resolve().parents[1]
IDENTITY_CODE = "131052-308T"
SECRET = "salainen kommentti hemlig kommentar"  # noqa: S105 -- free text, not a password
REASONS = override_reason_system(DEFAULT_BASE_URL)

#: One contact of each urgency level, from examples/contacts.jsonl.
BY_URGENCY = {
    json.loads(line)["contact_id"]: json.loads(line)
    for line in (REPO / "examples" / "contacts.jsonl").read_text("utf-8").splitlines()[:4]
}
EMERGENCY, SELF_CARE, URGENT, NON_URGENT = "ex-001", "ex-002", "ex-003", "ex-004"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_directory(bundled_rules_directory(), backend="python")


# --------------------------------------------------------------------------- the spec's rules


def _no_null_or_empty(value: object, where: str = "") -> Iterator[str]:
    """CDS Hooks: "JSON elements SHALL NOT be null or empty" (an OPTIONAL one is omitted);
    the top-level ``cards`` may be empty, FHIR resources follow FHIR's own rules."""
    if value is None or value in ("", [], {}):
        yield f"{where}: null or empty"
    elif isinstance(value, Mapping):
        if value.get("resourceType"):
            return
        for key, item in value.items():
            yield from _no_null_or_empty(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _no_null_or_empty(item, f"{where}[{index}]")


def _is_uuid(value: object) -> bool:
    return isinstance(value, str) and str(uuid.UUID(value)) == value.lower()


def _coding_problems(coding: object, where: str, *, display: bool) -> list[str]:
    if not isinstance(coding, Mapping):
        return [f"{where}: not an object"]
    found = [f"{where}.{k}: required" for k in ("code", "system") if not coding.get(k)]
    if display and not coding.get("display"):
        found.append(f"{where}.display: required for an override reason")
    return found


def response_problems(response: Mapping[str, Any]) -> list[str]:
    """Every way *response* breaks the field rules of a CDS Hooks 2.0 service response."""
    found = [] if isinstance(response.get("cards"), list) else ["cards: required array"]
    for i, card in enumerate(response.get("cards", [])):
        at = f"cards[{i}]"
        found.extend(_no_null_or_empty(card, at))
        if not isinstance(card.get("summary"), str) or len(card["summary"]) >= 140:
            found.append(f"{at}.summary: a string of fewer than 140 characters")
        if card.get("indicator") not in ("info", "warning", "critical"):
            found.append(f"{at}.indicator: info, warning or critical")
        if not isinstance(card.get("source"), Mapping) or not card["source"].get("label"):
            found.append(f"{at}.source.label: required")
        elif "topic" in card["source"]:
            found.extend(
                _coding_problems(card["source"]["topic"], f"{at}.source.topic", display=False)
            )
        if "uuid" in card and not _is_uuid(card["uuid"]):
            found.append(f"{at}.uuid: a UUID")
        suggestions = card.get("suggestions", [])
        if suggestions and card.get("selectionBehavior") not in ("at-most-one", "any"):
            found.append(f"{at}.selectionBehavior: at-most-one or any with suggestions")
        for j, suggestion in enumerate(suggestions):
            if not suggestion.get("label"):
                found.append(f"{at}.suggestions[{j}].label: required")
            if "uuid" in suggestion and not _is_uuid(suggestion["uuid"]):
                found.append(f"{at}.suggestions[{j}].uuid: a UUID")
            for k, action in enumerate(suggestion.get("actions", [])):
                where = f"{at}.suggestions[{j}].actions[{k}]"
                if action.get("type") not in ("create", "update", "delete"):
                    found.append(f"{where}.type: create, update or delete")
                if not action.get("description"):
                    found.append(f"{where}.description: required")
                if action.get("type") == "create" and not isinstance(
                    action.get("resource"), Mapping
                ):
                    found.append(f"{where}.resource: a FHIR resource for create")
        for j, reason in enumerate(card.get("overrideReasons", [])):
            found.extend(_coding_problems(reason, f"{at}.overrideReasons[{j}]", display=True))
        for j, link in enumerate(card.get("links", [])):
            where = f"{at}.links[{j}]"
            if not link.get("label") or not link.get("url"):
                found.append(f"{where}: label and url required")
            if link.get("type") not in ("absolute", "smart"):
                found.append(f"{where}.type: absolute or smart")
            if link.get("type") == "absolute" and "appContext" in link:
                found.append(f"{where}.appContext: only for smart links")
    return found


#: The example response of the specification ("CDS Service Response", Example).
SPEC_RESPONSE = {
    "cards": [
        {
            "uuid": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
            "summary": "Example Card",
            "indicator": "info",
            "detail": "This is an example card.",
            "source": {
                "label": "Static CDS Service Example",
                "url": "https://example.com",
                "icon": "https://example.com/img/icon-100px.png",
            },
            "links": [
                {"label": "Google", "url": "https://google.com", "type": "absolute"},
                {"label": "Github", "url": "https://github.com", "type": "absolute"},
                {
                    "label": "SMART Example App",
                    "url": "https://smart.example.com/launch",
                    "type": "smart",
                    "appContext": '{"session":3456356,"settings":{"module":4235}}',
                },
            ],
        },
        {
            "summary": "Another card",
            "indicator": "warning",
            "source": {"label": "Static CDS Service Example"},
            "overrideReasons": [
                {
                    "code": "reason-code-provided-by-service",
                    "system": "http://example.org/cds-services/fhir/CodeSystem/override-reasons",
                    "display": "Patient refused",
                },
                {
                    "code": "12354",
                    "system": "http://example.org/cds-services/fhir/CodeSystem/override-reasons",
                    "display": "Contraindicated",
                },
            ],
        },
    ]
}


def test_the_rule_checker_accepts_the_specs_example_and_finds_planted_breaks() -> None:
    """The checker below is the specification's: its own example passes, and each kind of
    break is found."""
    assert [] == response_problems(SPEC_RESPONSE)
    broken = copy.deepcopy(SPEC_RESPONSE)
    card = broken["cards"][1]
    card["indicator"] = "urgent"
    card["summary"] = "x" * 140
    card["overrideReasons"][0].pop("display")
    card["suggestions"] = [{"label": "Do it", "actions": [{"type": "insert"}]}]
    broken["cards"][0]["links"][0]["type"] = "web"
    broken["cards"][0]["detail"] = ""
    assert {p.split(":")[0] for p in response_problems(broken)} == {
        "cards[1].indicator",
        "cards[1].summary",
        "cards[1].overrideReasons[0].display",
        "cards[1].selectionBehavior",
        "cards[1].suggestions[0].actions[0].type",
        "cards[1].suggestions[0].actions[0].description",
        "cards[0].links[0].type",
        "cards[0].detail",
    }


# --------------------------------------------------------------------------- discovery


def test_discovery_offers_the_service_on_each_hook_with_valid_prefetch_tokens() -> None:
    document = discovery()
    assert [] == list(_no_null_or_empty(document["services"], "services"))
    services = document["services"]
    assert [s["hook"] for s in services] == list(HOOKS)
    for entry in services:
        # REQUIRED: hook, description, id; RECOMMENDED: title.
        assert entry["id"] == SERVICE_ID
        assert entry["description"]
        assert entry["title"]
        assert isinstance(entry["usageRequirements"], str)
        assert set(entry["prefetch"]) == {PREFETCH_PATIENT, PREFETCH_RESPONSE}
        assert entry["prefetch"][PREFETCH_PATIENT] == "Patient/{{context.patientId}}"
        fields = {name for name, _ in HOOK_CONTEXT[entry["hook"]]}
        for template in entry["prefetch"].values():
            # A token is a root-level field of the hook's context (or a user token).
            for token in re.findall(r"\{\{(.*?)\}\}", template):
                assert token.startswith("context.")
                assert token.removeprefix("context.") in fields
        query = entry["prefetch"][PREFETCH_RESPONSE]
        assert query.startswith("QuestionnaireResponse?patient={{context.patientId}}&")
        assert "_sort=-authored" in query
        assert "status=completed" in query


def test_discovery_offers_one_hook_when_asked_and_refuses_an_unknown_one() -> None:
    assert [s["hook"] for s in discovery(hooks=["patient-view"])["services"]] == ["patient-view"]
    with pytest.raises(ValueError, match="hooks: must be a non-empty list"):
        discovery(hooks=["order-sign"])
    with pytest.raises(ValueError, match="hooks"):
        discovery(hooks="patient-view")


# --------------------------------------------------------------------------- the hook call

PATIENT_ID = "1288992"


@functools.cache
def _ruleset() -> RuleSet:
    return load_ruleset(bundled_rules_directory())


def response_of(contact: Mapping[str, Any], *, patient_id: str = PATIENT_ID) -> dict[str, Any]:
    """*contact* as the client's first-contact form (``oneContact.fhir``'s response to its
    questionnaire), stored in the record system for the patient."""
    response = response_from_contact(dict(contact), _ruleset())
    response["subject"] = {"reference": f"Patient/{patient_id}"}
    return response


def _without_client_items(response: dict[str, Any], *links: str) -> None:
    """Drop the answers *links* of the form's client group (left to the Patient)."""
    for item in response["item"]:
        if item["linkId"] == "client":
            item["item"] = [i for i in item["item"] if i["linkId"] not in links]


def patient() -> dict[str, Any]:
    """A Patient as a Finnish record system sends it: with the identity code and a name."""
    return {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "identifier": [{"system": "urn:oid:1.2.246.21", "value": IDENTITY_CODE}],
        "name": [{"family": "Virtanen", "given": ["Aino"]}],
    }


def hook_request(
    contact: Mapping[str, Any] | None = None, *, hook: str = "patient-view", **over: Any
) -> dict[str, Any]:
    """A hook call as the specification's example makes it, with our prefetch."""
    context = {"userId": "Practitioner/example", "patientId": PATIENT_ID, "encounterId": "89284"}
    request: dict[str, Any] = {
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "fhirServer": "http://hooks.smarthealthit.org:9080",
        "hook": hook,
        "context": context,
        "prefetch": {
            PREFETCH_PATIENT: patient(),
            PREFETCH_RESPONSE: response_of(contact or BY_URGENCY[URGENT]),
        },
    }
    request.update(over)
    return request


@pytest.mark.parametrize(
    ("contact_id", "indicator"),
    [(EMERGENCY, "critical"), (URGENT, "warning"), (NON_URGENT, "info"), (SELF_CARE, "info")],
)
def test_the_urgency_is_the_indicator_and_each_suggestion_a_card(
    engine: Engine, contact_id: str, indicator: str
) -> None:
    contact = BY_URGENCY[contact_id]
    answer = service(engine, hook_request(contact))
    assert [] == response_problems(answer)
    assessment = engine.assess(contact)
    suggested = suggestions_of(assessment)
    decided = [c for c in answer["cards"] if "uuid" in c]
    # One card per suggestion, in order; the card's and its suggestion's uuid are its id.
    assert [c["uuid"] for c in decided] == [s.id for s in suggested]
    assert all(c["suggestions"][0]["uuid"] == c["uuid"] for c in decided)
    assert {c["indicator"] for c in decided} == {indicator}
    assert INDICATORS[assessment.urgency] == indicator
    # Every clock is an information card of its own, with no uuid: nothing to override.
    clocks = [c for c in answer["cards"] if "uuid" not in c]
    assert len(clocks) == len(assessment.clocks) > 0
    assert {c["indicator"] for c in clocks} == {"info"}
    assert all("suggestions" not in c and "overrideReasons" not in c for c in clocks)


def test_a_route_card_suggests_creating_its_service_request(engine: Engine) -> None:
    from fhirclient.models.servicerequest import ServiceRequest

    contact = BY_URGENCY[NON_URGENT]
    answer = service(engine, hook_request(contact), language="en")
    assessment = engine.assess(contact)
    services = engine.ruleset.catalogue.services
    routes = [c for c in answer["cards"] if c.get("suggestions", [{}])[0].get("actions")]
    assert len(routes) == len(suggestions_of(assessment)) - 1 > 0
    for card, route in zip(
        routes, dict.fromkeys(r.service for r in assessment.routes), strict=True
    ):
        (suggestion,) = card["suggestions"]
        assert suggestion["label"] == services[route].name.en
        assert card["selectionBehavior"] == "at-most-one"
        (action,) = suggestion["actions"]
        assert action["type"] == "create"
        assert services[route].name.en in action["description"]
        resource = action["resource"]
        assert resource["resourceType"] == "ServiceRequest"
        assert resource["subject"] == {"reference": f"Patient/{PATIENT_ID}"}
        ServiceRequest(copy.deepcopy(resource), strict=True)  # raises on an invalid resource
        validate(resource)  # and the required bindings the models leave out


def test_cards_speak_the_clients_language_unless_told(engine: Engine) -> None:
    swedish = BY_URGENCY[URGENT]
    assert swedish["client"]["language"] == "sv"
    answer = service(engine, hook_request(swedish))
    assert answer["cards"][0]["summary"] == "Brådskandegrad: brådskande"
    english = service(engine, hook_request(swedish), language="en")
    assert english["cards"][0]["summary"] == "Urgency: urgent"
    # A clock card names its due date and its legal basis.
    assessment = engine.assess(swedish)
    clock = assessment.clocks[0]
    last = english["cards"][len(suggestions_of(assessment))]
    assert clock.due_date is not None
    assert clock.due_date.isoformat() in last["summary"]
    assert "legal basis" in last["detail"]
    with pytest.raises(ValueError, match="language: must be one of fi, sv, en"):
        service(engine, hook_request(swedish), language="de")


def test_override_reasons_source_and_the_explanation_link(engine: Engine) -> None:
    contact = BY_URGENCY[EMERGENCY]
    url = "https://host.example/explain/{contact_id}"
    answer = service(engine, hook_request(contact), explain_url=url, language="fi")
    decided = [c for c in answer["cards"] if "uuid" in c]
    for card in answer["cards"]:
        assert card["source"]["label"] == "oneContact"
        assert card["source"]["topic"]["code"] == engine.digest
    for card in decided:
        assert [r["code"] for r in card["overrideReasons"]] == list(OVERRIDE_REASONS)
        assert {r["system"] for r in card["overrideReasons"]} == {REASONS}
        assert [r["display"] for r in card["overrideReasons"]] == [
            label.fi for label in OVERRIDE_REASONS.values()
        ]
        (link,) = card["links"]
        assert link == {
            "label": link["label"],
            "url": f"https://host.example/explain/{contact['contact_id']}",
            "type": "absolute",
        }
    # No link without a URL to the explanation.
    assert all("links" not in c for c in service(engine, hook_request(contact))["cards"])
    for bad in ("/explain/{contact_id}", "https://host/explain", "https://h/{contact_id}/{x}"):
        with pytest.raises(ValueError, match="explain_url: must be an absolute"):
            service(engine, hook_request(contact), explain_url=bad)


def test_no_free_text_and_no_identity_code_reaches_a_card(engine: Engine) -> None:
    contact = json.loads((REPO / "examples" / "contact.json").read_text("utf-8"))
    assert contact["free_text"]
    shown = json.dumps(service(engine, hook_request(contact)), ensure_ascii=False)
    assert contact["free_text"] not in shown
    assert IDENTITY_CODE not in shown
    assert "Virtanen" not in shown


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_contact_gives_cards_by_the_rules_of_the_specification(
    engine: Engine, data: st.DataObject
) -> None:
    """Any valid contact, as a form prefetched beside a record system's Patient, gives
    cards that keep every field rule, one per suggestion (its uuid the suggestion's id)
    and one per clock, each suggestion's ServiceRequest valid FHIR R4."""
    contact = data.draw(first_contacts(engine.ruleset.questionnaire))
    request = hook_request(contact, hook=data.draw(st.sampled_from(HOOKS)))
    answer = service(engine, request, language=data.draw(st.sampled_from((None, "fi", "sv", "en"))))
    assert [] == response_problems(answer)
    assessment = engine.assess(parse_contact({**contact, "channel": "digital"}))
    with_uuid = [c["uuid"] for c in answer["cards"] if "uuid" in c]
    assert with_uuid == [s.id for s in suggestions_of(assessment)]
    assert len(answer["cards"]) == len(with_uuid) + len(assessment.clocks)
    for card in answer["cards"]:
        for suggestion in card.get("suggestions", []):
            for action in suggestion.get("actions", []):
                validate(action["resource"])
    assert IDENTITY_CODE not in json.dumps(answer)


def test_the_cards_of_an_assessment_need_no_hook_call(engine: Engine) -> None:
    """A host with an assessment of its own (a plain first contact) gets the same cards."""
    contact = BY_URGENCY[URGENT]
    subject = {"reference": f"Patient/{PATIENT_ID}"}
    made = cards(engine, engine.assess(parse_contact(contact)), subject=subject)
    assert made == service(engine, hook_request(contact))["cards"]


# --------------------------------------------------------------------------- refusals

#: The example hook call of the specification ("Calling a CDS Service", Example): it
#: prefetches only what another service asked for.
SPEC_REQUEST = {
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "fhirServer": "http://hooks.smarthealthit.org:9080",
    "hook": "patient-view",
    "fhirAuthorization": {
        "access_token": "some-opaque-fhir-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Patient.read user/Observation.read",
        "subject": "cds-service4",
    },
    "context": {"userId": "Practitioner/example", "patientId": "1288992", "encounterId": "89284"},
    "prefetch": {
        "patientToGreet": {
            "resourceType": "Patient",
            "gender": "male",
            "birthDate": "1925-12-23",
            "id": "1288992",
            "active": True,
        }
    },
}


def _refused(engine: Engine, request: object, **options: Any) -> CdsHooksError:
    with pytest.raises(CdsHooksError) as caught:
        service(engine, request, **options)  # type: ignore[arg-type]
    error = caught.value
    assert isinstance(error, ContactError)
    return error


def _codes(error: CdsHooksError) -> dict[str, str]:
    return {p.field: p.code for p in error.problems}


def test_the_specs_request_without_our_prefetch_is_a_precondition_failure(engine: Engine) -> None:
    """CDS Hooks: a service that cannot get the data it needs answers 412."""
    error = _refused(engine, SPEC_REQUEST)
    assert error.status == 412
    assert _codes(error) == {f"prefetch.{PREFETCH_RESPONSE}": "prefetch-missing"}
    assert "some-opaque-fhir-access-token" not in str(error)


def test_every_problem_of_a_request_is_named_at_once(engine: Engine) -> None:
    request = hook_request(
        hookInstance="not-a-uuid",
        hook="encounter-start",
        context={"userId": "Patient/123", "patientId": IDENTITY_CODE},
        fhirServer=None,
        fhirAuthorization={"access_token": "secret-token"},
    )
    error = _refused(engine, request)
    assert error.status == 400
    assert _codes(error) == {
        "hookInstance": "not-a-uuid",
        "fhirServer": "missing",
        "context.userId": "bad-reference",
        "context.patientId": "identity-code",
        "context.encounterId": "missing",
    }
    shown = json.dumps(error.to_json(), ensure_ascii=False) + str(error)
    assert IDENTITY_CODE not in shown
    assert "secret-token" not in shown


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"hook": "patient-veiw"}, "hook", "unknown-hook"),
        ({"hook": None}, "hook", "missing"),
        ({"context": "1288992"}, "context", "dict-type"),
        ({"context": {"userId": "Practitioner/a"}}, "context.patientId", "missing"),
        ({"fhirServer": "ftp://x"}, "fhirServer", "bad-url"),
        ({"prefetch": []}, "prefetch", "dict-type"),
    ],
)
def test_a_malformed_request_is_a_bad_request(
    engine: Engine, change: dict[str, Any], field: str, code: str
) -> None:
    request = {k: v for k, v in {**hook_request(), **change}.items() if v is not None}
    error = _refused(engine, request)
    assert error.status == 400
    assert _codes(error)[field] == code
    if code == "unknown-hook":
        assert error.problems[0].suggestion == "patient-view"


def test_a_request_that_is_no_object_is_refused(engine: Engine) -> None:
    assert _codes(_refused(engine, ["hook"])) == {"<request>": "dict-type"}


def test_a_prefetch_the_client_could_not_fetch_is_a_precondition_failure(engine: Engine) -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error"}]}
    request = hook_request()
    request["prefetch"][PREFETCH_RESPONSE] = outcome
    error = _refused(engine, request)
    assert (error.status, _codes(error)) == (
        412,
        {f"prefetch.{PREFETCH_RESPONSE}": "prefetch-failed"},
    )
    # A malformed request beside it is a 400: that is what to fix first.
    request["hookInstance"] = "x"
    assert _refused(engine, request).status == 400


def test_another_patients_data_is_never_assessed(engine: Engine) -> None:
    request = hook_request()
    request["prefetch"][PREFETCH_RESPONSE] = response_of(BY_URGENCY[URGENT], patient_id="999")
    assert _codes(_refused(engine, request)) == {
        f"prefetch.{PREFETCH_RESPONSE}.subject": "patient-mismatch"
    }
    request = hook_request()
    request["prefetch"][PREFETCH_PATIENT]["id"] = "999"
    assert _codes(_refused(engine, request)) == {
        f"prefetch.{PREFETCH_PATIENT}.id": "patient-mismatch"
    }


def test_a_form_of_the_patients_version_is_theirs_and_a_form_without_status_refused(
    engine: Engine,
) -> None:
    request = hook_request()
    versioned = f"https://ehr.example/fhir/Patient/{PATIENT_ID}/_history/3"
    request["prefetch"][PREFETCH_RESPONSE]["subject"] = {"reference": versioned}
    assert service(engine, request)["cards"]
    del request["prefetch"][PREFETCH_RESPONSE]["status"]
    assert _codes(_refused(engine, request)) == {
        f"prefetch.{PREFETCH_RESPONSE}.status": "unknown-status"
    }


def test_no_finished_form_is_no_guidance(engine: Engine) -> None:
    """A null prefetch (the client has no form), an in-progress form or an empty search
    give the empty list of cards the specification shows for no guidance."""
    for value in (
        None,
        {**response_of(BY_URGENCY[URGENT]), "status": "in-progress"},
        {"resourceType": "Bundle", "type": "searchset", "entry": []},
    ):
        request = hook_request()
        request["prefetch"][PREFETCH_RESPONSE] = value
        assert service(engine, request) == {"cards": []}


def test_of_a_searchset_the_form_authored_last_is_assessed(engine: Engine) -> None:
    older = response_of(BY_URGENCY[EMERGENCY])
    newer = response_of(BY_URGENCY[SELF_CARE])
    older["authored"], newer["authored"] = "2025-03-04T09:00:00+02:00", "2025-03-04T08:00:00Z"
    for entries in ([older, newer], [newer, older]):
        request = hook_request()
        request["prefetch"][PREFETCH_RESPONSE] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in entries],
        }
        first = service(engine, request)["cards"][0]
        assert first["uuid"] == suggestions_of(engine.assess(BY_URGENCY[SELF_CARE]))[0].id


def test_the_patient_gives_birth_date_language_and_municipality_and_nothing_else(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import oneContact.cds_hooks as module
    from oneContact.fhir import contact_from_response

    request = hook_request(BY_URGENCY[URGENT])
    _without_client_items(request["prefetch"][PREFETCH_RESPONSE], "client.age", "client.language")
    given = request["prefetch"][PREFETCH_PATIENT]
    given.update(
        birthDate="1984-01-01",
        communication=[
            {
                "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "sv-FI"}]},
                "preferred": True,
            }
        ],
        address=[{"use": "home", "line": ["Kotikatu 1"], "postalCode": "65100", "city": "Vaasa"}],
        telecom=[{"system": "phone", "value": "+358401234567"}],
    )
    # Read as the record system sends it, the Patient's identity code refuses the form...
    with pytest.raises(ContactError, match="identity code"):
        contact_from_response(request["prefetch"][PREFETCH_RESPONSE], engine.ruleset, patient=given)
    # ...so the service cuts it down first, and reads the birth date and the language.
    seen: list[object] = []

    def spy(response: Mapping[str, Any], ruleset: Any, **options: Any) -> Any:
        seen.append(options["patient"])
        return contact_from_response(response, ruleset, **options)

    monkeypatch.setattr(module, "contact_from_response", spy)
    answer = service(engine, request)
    assert seen == [
        {
            "resourceType": "Patient",
            "id": PATIENT_ID,
            "birthDate": "1984-01-01",
            "communication": given["communication"],
            "address": [{"use": "home", "city": "Vaasa"}],
        }
    ]
    assert answer["cards"][0]["summary"] == "Brådskandegrad: brådskande"
    shown = json.dumps(answer, ensure_ascii=False)
    for private in (IDENTITY_CODE, "Kotikatu", "+358401234567", "Virtanen"):
        assert private not in shown


def test_a_bad_form_is_refused_by_its_link_id(engine: Engine) -> None:
    from oneContact.fhir import operation_outcome

    request = hook_request(BY_URGENCY[URGENT])
    items = request["prefetch"][PREFETCH_RESPONSE]["item"]
    items.append({"linkId": "pain_scroe", "answer": [{"valueInteger": 3}]})
    items.append({"linkId": "free", "answer": [{"valueString": f"hetu {IDENTITY_CODE}"}]})
    error = _refused(engine, request)
    assert error.status == 400
    assert "item[pain_scroe]" in error.fields
    outcome = operation_outcome(error)
    assert outcome["resourceType"] == "OperationOutcome"
    assert len(outcome["issue"]) == len(error.problems)
    assert IDENTITY_CODE not in json.dumps(outcome) + str(error)


# --------------------------------------------------------------------------- feedback

#: The specification's feedback examples ("Feedback").
SPEC_ACCEPTED = {
    "feedback": [
        {
            "card": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
            "outcome": "accepted",
            "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
            "outcomeTimestamp": "2021-12-11T10:05:31Z",
        }
    ]
}
SPEC_OVERRIDDEN = {
    "feedback": [
        {
            "card": "f6b95768-b1c8-40dc-8385-bf3504b82ffb",
            "outcome": "overridden",
            "outcomeTimestamp": "2020-12-11T00:00:00Z",
        }
    ]
}
SPEC_OVERRIDDEN_WITH_REASON = {
    "feedback": [
        {
            "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
            "outcome": "overridden",
            "overrideReason": {
                "reason": {
                    "code": "d7ecf885",
                    "system": "https://example.com/cds-hooks/override-reason-system",
                },
                "userComment": "A comment entered by the clinician.",
            },
            "outcomeTimestamp": "2020-12-11T00:00:00Z",
        }
    ]
}


def test_the_specs_feedback_examples_become_feedback_values() -> None:
    (accepted,) = read_feedback(SPEC_ACCEPTED, REASONS)
    assert accepted == Feedback(
        "e56e1945-20b3-4393-8503-a1a20fd73152",
        "accepted",
        datetime(2021, 12, 11, 10, 5, 31, tzinfo=UTC),
        accepted.event_id,
    )
    assert accepted.event == "suggestion_accepted"
    (overridden,) = read_feedback(SPEC_OVERRIDDEN, REASONS)
    assert (overridden.suggestion_id, overridden.outcome, overridden.reason) == (
        "f6b95768-b1c8-40dc-8385-bf3504b82ffb",
        "overridden",
        None,
    )
    assert overridden.event == "suggestion_overridden"
    # A reason of the client's own system counts as an override without a coded reason;
    # the comment is never read.
    (commented,) = read_feedback(SPEC_OVERRIDDEN_WITH_REASON, REASONS)
    assert commented.reason is None
    assert "A comment" not in repr(commented)


def test_an_override_reason_of_the_cards_is_recorded_by_its_code() -> None:
    request = copy.deepcopy(SPEC_OVERRIDDEN_WITH_REASON)
    request["feedback"][0]["overrideReason"]["reason"] = {
        "system": REASONS,
        "code": "client_choice",
        "display": "The client's own choice",
    }
    request["feedback"][0]["overrideReason"]["userComment"] = SECRET
    (value,) = read_feedback(request, REASONS)
    assert value.reason == "client_choice"
    assert SECRET not in repr(value)
    request["feedback"][0]["overrideReason"]["reason"]["code"] = "client_choise"
    with pytest.raises(CdsHooksError) as caught:
        read_feedback(request, REASONS)
    (problem,) = caught.value.problems
    assert (problem.field, problem.code, problem.suggestion) == (
        "feedback[0].overrideReason.reason.code",
        "unknown-override-reason",
        "client_choice",
    )
    assert SECRET not in str(caught.value)


def test_the_event_id_is_the_same_for_the_same_feedback_only() -> None:
    card, other = str(uuid.uuid4()), str(uuid.uuid4())
    at = datetime(2021, 12, 11, 10, 5, 31, tzinfo=UTC)
    same = feedback_event_id(card, "accepted", at, card)
    helsinki = datetime.fromisoformat("2021-12-11T12:05:31+02:00")
    assert feedback_event_id(card.upper(), "accepted", helsinki, card) == same
    assert _is_uuid(same)
    assert (
        len(
            {
                same,
                feedback_event_id(card, "overridden", at, card),
                feedback_event_id(card, "accepted", at.replace(second=32), card),
                feedback_event_id(card, "accepted", at, other),
                feedback_event_id(other, "accepted", at, card),
            }
        )
        == 5
    )
    # Parsing the same POST twice gives the same ids: a retry records nothing twice.
    assert read_feedback(SPEC_ACCEPTED, REASONS) == read_feedback(
        copy.deepcopy(SPEC_ACCEPTED), REASONS
    )


def test_every_problem_of_a_feedback_post_is_named_at_once() -> None:
    request = {
        "feedback": [
            {"card": "x", "outcome": "acepted", "outcomeTimestamp": "2021-12-11T10:05:31"},
            {
                "card": str(uuid.uuid4()),
                "outcome": "accepted",
                "outcomeTimestamp": "2021-12-11T10:05:31Z",
            },
            {
                "card": str(uuid.uuid4()),
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": IDENTITY_CODE}],
                "outcomeTimestamp": "1900-01-01T00:00:00Z",
            },
            "no object",
        ]
    }
    with pytest.raises(CdsHooksError) as caught:
        read_feedback(request, REASONS)
    error = caught.value
    assert error.status == 400
    assert _codes(error) == {
        "feedback[0].card": "not-a-uuid",
        "feedback[0].outcome": "unknown-outcome",
        "feedback[0].outcomeTimestamp": "timestamp-format",
        "feedback[1].acceptedSuggestions": "missing",
        "feedback[2].acceptedSuggestions[0].id": "not-a-uuid",
        "feedback[2].outcomeTimestamp": "timestamp-out-of-range",
        "feedback[3]": "dict-type",
    }
    assert next(p for p in error.problems if p.code == "unknown-outcome").suggestion == "accepted"
    assert IDENTITY_CODE not in str(error)


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ([], "dict-type"),
        ({}, "missing"),
        ({"feedback": {}}, "list-type"),
        ({"feedback": []}, "too-short"),
        ({"feedback": SPEC_OVERRIDDEN["feedback"] * 1001}, "too-long"),
    ],
)
def test_a_feedback_post_without_entries_is_refused(request_: object, code: str) -> None:
    with pytest.raises(CdsHooksError) as caught:
        read_feedback(request_, REASONS)
    assert [p.code for p in caught.value.problems] == [code]


class _Recorder:
    """Stands in for a ledger: records each event id once."""

    def __init__(self) -> None:
        self.recorded: dict[str, Feedback] = {}

    def record_feedback_many(self, values: Iterable[Feedback]) -> int:
        new = {v.event_id: v for v in values if v.event_id not in self.recorded}
        self.recorded.update(new)
        return len(new)


def test_feedback_records_each_value_and_a_retry_nothing() -> None:
    recorder = _Recorder()
    request = {"feedback": SPEC_ACCEPTED["feedback"] + SPEC_OVERRIDDEN["feedback"]}
    assert feedback(recorder, request) == 2
    assert feedback(recorder, copy.deepcopy(request)) == 0
    assert [v.event for v in recorder.recorded.values()] == [
        "suggestion_accepted",
        "suggestion_overridden",
    ]
    with pytest.raises(CdsHooksError):
        feedback(recorder, {"feedback": [{"card": "x"}]})
    assert len(recorder.recorded) == 2


# --------------------------------------------------------------------------- the ledger


@pytest.fixture
def ledger(engine: Engine, tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(
        f"sqlite:///{tmp_path / 'ledger.db'}", policies=engine.ruleset.policies
    ) as opened:
        yield opened


def _accept(card: Mapping[str, Any], at: str) -> dict[str, Any]:
    return {
        "card": card["uuid"],
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": s["uuid"]} for s in card["suggestions"]],
        "outcomeTimestamp": at,
    }


def _override(card: Mapping[str, Any], at: str, reason: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": at}
    if reason is not None:
        entry["overrideReason"] = {
            "reason": card["overrideReasons"][reason],
            "userComment": SECRET,
        }
    return entry


def test_a_hook_call_records_the_assessment_once(engine: Engine, ledger: Ledger) -> None:
    contact = BY_URGENCY[NON_URGENT]
    first = service(engine, hook_request(contact), ledger=ledger)
    # The record system calls again (patient-view after encounter-start): same cards,
    # nothing recorded twice.
    again = service(engine, hook_request(contact, hook="encounter-start"), ledger=ledger)
    assert first == again
    assert [e.event for e in ledger.events(contact["contact_id"])] == ["contact_received"]


def test_feedback_is_recorded_with_the_rules_that_made_each_suggestion(
    engine: Engine, ledger: Ledger
) -> None:
    contact = BY_URGENCY[NON_URGENT]
    answer = service(engine, hook_request(contact), ledger=ledger)
    urgency, first_route, second_route = answer["cards"][:3]
    reason = list(OVERRIDE_REASONS).index("already_in_care")
    body = {
        "feedback": [
            _accept(urgency, "2025-03-06T09:10:00Z"),
            _accept(first_route, "2025-03-06T09:11:00Z"),
            _override(second_route, "2025-03-06T09:12:00Z", reason),
        ]
    }
    assert feedback(ledger, body) == 3
    assert feedback(ledger, copy.deepcopy(body)) == 0  # a retried POST records nothing
    events = [e.event for e in ledger.events(contact["contact_id"])]
    assert events == [
        "contact_received",
        "suggestion_accepted",
        "suggestion_accepted",
        "suggestion_overridden",
    ]
    report = ledger.overrides()
    assert (report.total.accepted, report.total.overridden) == (2, 1)
    suggested = {s.id: s for s in suggestions_of(engine.assess(contact))}
    overridden_rules = suggested[second_route["uuid"]].rules
    assert overridden_rules
    for rule in overridden_rules:
        assert report.by_rule[rule].overridden >= 1
        assert report.by_rule[rule].reasons.get("already_in_care", 0) >= 1
    assert SECRET not in json.dumps(report.to_json(), ensure_ascii=False, default=str)


def test_feedback_on_a_card_never_recorded_records_nothing(engine: Engine, ledger: Ledger) -> None:
    contact = BY_URGENCY[URGENT]
    answer = service(engine, hook_request(contact), ledger=ledger)
    stranger = dict(answer["cards"][1], uuid=str(uuid.uuid4()))
    body = {
        "feedback": [
            _accept(answer["cards"][0], "2025-03-05T13:00:00Z"),
            _override(stranger, "2025-03-05T13:01:00Z"),
        ]
    }
    with pytest.raises(CdsHooksError) as caught:
        feedback(ledger, body)
    assert caught.value.status == 400
    assert _codes(caught.value) == {"feedback[1].card": "unknown-suggestion"}
    # All of one POST, or none of it.
    assert [e.event for e in ledger.events(contact["contact_id"])] == ["contact_received"]


def test_an_answer_before_the_contact_is_refused_by_its_timestamp(
    engine: Engine, ledger: Ledger
) -> None:
    contact = BY_URGENCY[URGENT]
    answer = service(engine, hook_request(contact), ledger=ledger)
    body = {"feedback": [_accept(answer["cards"][0], "2020-01-01T00:00:00Z")]}
    with pytest.raises(CdsHooksError) as caught:
        feedback(ledger, body)
    assert _codes(caught.value) == {"feedback[0].outcomeTimestamp": "before-contact"}
    assert contact["contact_id"] not in str(caught.value)


def _rules_where_a_non_urgent_symptom_is_urgent(into: Path) -> Engine:
    """The bundled rules changed as a rule author might: ``acute.non-urgent`` now says
    urgent (another ruleset digest, another urgency for a NON_URGENT contact)."""
    shutil.copytree(bundled_rules_directory(), into)
    path = into / "acute_symptom.yaml"
    rule = path.read_text("utf-8")
    old = "    urgency: non_urgent\n    services: [nurse]\n    clocks: [care, doctor_visit]\n"
    assert rule.count(old) == 1
    path.write_text(rule.replace(old, old.replace("non_urgent", "urgent")), "utf-8")
    return Engine.from_directory(into, backend="python")


def test_after_a_rules_change_the_recorded_assessment_keeps_its_cards(
    engine: Engine, ledger: Ledger, tmp_path: Path
) -> None:
    contact = BY_URGENCY[NON_URGENT]
    request = hook_request(contact)
    first = service(engine, request, ledger=ledger, language="en")
    changed = _rules_where_a_non_urgent_symptom_is_urgent(tmp_path / "rules")
    assert changed.assess(contact).urgency == "urgent"
    later = datetime(2025, 3, 7, 9, 0, tzinfo=UTC)

    # The professional opens the record again after the rules changed: no refusal, and
    # the cards are the recorded assessment's, so their answers reach the rules that
    # made the suggestions the ledger holds.
    again = service(changed, request, ledger=ledger, language="en", now=later)
    assert [] == response_problems(again)
    notice, *cards = again["cards"]
    assert "uuid" not in notice
    assert notice["indicator"] == "info"
    assert "Recorded earlier" in notice["summary"]
    assert engine.ruleset.digest[:12] in notice["detail"]
    assert changed.ruleset.digest[:12] in notice["detail"]
    # what the changed rules propose: urgent (not the recorded non-urgent)
    assert re.search(r"Assessed now \(rules `\w+`\):\*\* urgent, ", notice["detail"])
    recorded = {s.id for s in ledger.suggestions(contact["contact_id"])}
    answerable = [c for c in cards if "uuid" in c]
    assert {c["uuid"] for c in answerable} == recorded
    # In the order the first cards gave them.
    assert [c["uuid"] for c in answerable] == [c["uuid"] for c in first["cards"] if "uuid" in c]
    (urgency,) = [c for c in answerable if c["summary"].startswith("Urgency")]
    assert urgency["summary"] == "Urgency: non-urgent"
    assert urgency["indicator"] == INDICATORS["non_urgent"]
    assert "`acute.non-urgent`" in urgency["detail"]
    assert all(c["source"]["topic"]["code"] == engine.ruleset.digest for c in cards)
    # The clocks are the ledger's, as the first cards gave them.
    assert [c["summary"] for c in cards if "uuid" not in c] == [
        c["summary"] for c in first["cards"] if "uuid" not in c
    ]
    body = {"feedback": [_override(urgency, "2025-03-07T09:05:00Z", 0)]}
    assert feedback(ledger, body) == 1
    assert ledger.overrides().by_rule["acute.non-urgent"].overridden == 1
    assert [e.event for e in ledger.events(contact["contact_id"])] == [
        "contact_received",
        "suggestion_overridden",
    ]
    assert (
        ledger.contact_summaries([contact["contact_id"]])[contact["contact_id"]].ruleset_digest
        == engine.ruleset.digest
    )


def test_a_changed_form_for_a_recorded_contact_keeps_the_record(
    engine: Engine, ledger: Ledger
) -> None:
    contact = BY_URGENCY[NON_URGENT]
    service(engine, hook_request(contact), ledger=ledger, language="sv")
    older = dict(contact, client=dict(contact["client"], age=contact["client"]["age"] + 40))
    answer = service(engine, hook_request(older), ledger=ledger, language="sv")
    assert [] == response_problems(answer)
    assert answer["cards"][0]["summary"].startswith("Registrerad tidigare")
    recorded = {s.id for s in ledger.suggestions(contact["contact_id"])}
    assert {c["uuid"] for c in answer["cards"] if "uuid" in c} == recorded


def test_with_a_ledger_the_clock_cards_show_what_the_team_recorded(
    engine: Engine, ledger: Ledger
) -> None:
    contact = BY_URGENCY[URGENT]
    request = hook_request(contact)
    service(engine, request, ledger=ledger, language="en")
    assessed = datetime.fromisoformat(contact["received_at"]).replace(hour=15)
    ledger.record(contact["contact_id"], "need_assessed", at=assessed, event_id="t-assessed")
    later = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)

    def clock_details(answer: Mapping[str, Any]) -> list[str]:
        return [c["detail"] for c in answer["cards"] if "uuid" not in c]

    # The form alone: the same-day need assessment still runs, two weeks late.
    (alone,) = clock_details(service(engine, request, language="en", now=later))
    assert "status: breached" in alone
    # With the ledger: the team assessed the need that day.
    (recorded,) = clock_details(service(engine, request, ledger=ledger, language="en", now=later))
    assert "status: met" in recorded
