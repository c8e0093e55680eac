"""The reference service's JSON API, FHIR and CDS Hooks endpoints (oneContact.service),
in process on SQLite and PostgreSQL, and against a running ``onecontact serve``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from oneContact import bundled_rules_directory
from oneContact.service import ServiceConfig, create_app

from ..conftest import REPO, fresh_ledger_url
from ..fhir_r4 import validate
from .conftest import running_service

CONTACT = json.loads((REPO / "examples" / "contact.json").read_text("utf-8"))
RESPONSE = json.loads((REPO / "examples" / "questionnaire-response.json").read_text("utf-8"))
NOW = "2025-04-18T10:00:00+03:00"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    for url in fresh_ledger_url(request.param, tmp_path, "svc"):
        config = ServiceConfig(rules=bundled_rules_directory(), db=url, backend="python")
        with TestClient(create_app(config)) as test_client:
            yield test_client


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["ledger"] == "reachable"
    assert len(ready["ruleset_digest"]) == 64


def test_assess_records_nothing_and_contacts_record_once(client: TestClient) -> None:
    assessed = client.post("/assess", json=CONTACT)
    assert assessed.status_code == 200
    assert assessed.json()["contact_id"] == CONTACT["contact_id"]
    unknown = client.get(f"/contacts/{CONTACT['contact_id']}/clocks")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown-contact"
    first = client.post("/contacts", json=CONTACT)
    again = client.post("/contacts", json=CONTACT)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["assessment"] == assessed.json()
    assert "kaatui" not in first.text  # the free text never leaves
    other = {**CONTACT, "client": {**CONTACT["client"], "age": 30}}  # another stored subject
    conflict = client.post("/contacts", json=other)
    assert conflict.status_code == 422
    assert conflict.json()["code"] == "contact-conflict"


def test_an_event_closes_its_clock_and_the_worklist_pages(client: TestClient) -> None:
    client.post("/contacts", json=CONTACT)
    due = client.get("/worklist", params={"now": NOW, "per_page": 1}).json()
    assert due["total"] >= 1
    assert len(due["items"]) == 1
    assert due["items"][0]["clock"] == "need_assessment"
    event = {"event": "need_assessed", "at": "2025-04-17T15:50:00+03:00", "event_id": "e-1"}
    recorded = client.post(f"/contacts/{CONTACT['contact_id']}/events", json=event)
    assert recorded.status_code == 201
    assert client.post(f"/contacts/{CONTACT['contact_id']}/events", json=event).status_code == 200
    clocks = client.get(f"/contacts/{CONTACT['contact_id']}/clocks", params={"now": NOW}).json()
    by_id = {c["clock"]: c for c in clocks}
    assert by_id["need_assessment"]["status"] == "met"
    later = client.get("/worklist", params={"now": NOW, "clock": "need_assessment"}).json()
    assert later["total"] == 0


def test_bad_input_is_422_in_the_requests_language_and_echoes_nothing(client: TestClient) -> None:
    bad = {**CONTACT, "channel": "fax", "free_text": "salainen 131052-308T"}
    answer = client.post("/contacts", json=bad, headers={"accept-language": "sv-FI,fi;q=0.5"})
    assert answer.status_code == 422
    body = answer.json()
    assert [d["field"] for d in body["detail"]] == ["channel"]
    assert body["detail"][0]["message"] == "Välj ett av alternativen."
    assert "131052-308T" not in answer.text
    assert client.post("/assess", content=b"{not json").status_code == 422
    event = {"event": "need_asessed", "at": NOW, "event_id": "e-2"}
    refused = client.post(f"/contacts/{CONTACT['contact_id']}/events", json=event)
    assert refused.status_code == 422
    assert refused.json()["code"] in ("unknown-event", "unknown-contact")
    assert client.get("/worklist", params={"per_page": 0}).status_code == 422


def test_a_ledger_that_cannot_be_written_is_503_with_retry_after(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ready = create_app(ServiceConfig(rules=bundled_rules_directory(), db=f"sqlite:///{path}"))
    del ready
    config = ServiceConfig(
        rules=bundled_rules_directory(), db=f"sqlite:///{path}?mode=ro", backend="python"
    )
    with TestClient(create_app(config)) as client:
        answer = client.post("/contacts", json=CONTACT)
    assert answer.status_code == 503
    assert answer.headers["retry-after"].isdigit()
    assert "Traceback" not in answer.text


def test_fhir_and_cds_hooks_endpoints(client: TestClient) -> None:
    form = client.get("/fhir/Questionnaire").json()
    validate(form)
    with_age = json.loads(json.dumps(RESPONSE))
    with_age["item"][0]["item"].append({"linkId": "client.age", "answer": [{"valueInteger": 78}]})
    found = client.post("/fhir/$assess", json=with_age)
    assert found.status_code == 200
    validate(found.json())
    refused = client.post("/fhir/$assess", json=RESPONSE, headers={"accept-language": "fi"})
    assert refused.status_code == 422
    outcome = refused.json()
    validate(outcome)
    assert outcome["issue"][0]["details"]["text"] == "Tämä tieto on pakollinen."
    step = client.post(
        "/fhir/Questionnaire/$next-question", json={**with_age, "item": with_age["item"][:2]}
    )
    validate(step.json())
    assert client.get("/cds-services").json()["services"][0]["id"] == "onecontact-first-contact"
    request = json.loads((REPO / "examples" / "cds-hooks" / "request.json").read_text("utf-8"))
    cards = client.post("/cds-services/onecontact-first-contact", json=request)
    assert cards.status_code == 200
    assert cards.json()["cards"]


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/assess", "/contacts", "/contacts/{contact_id}/events", "/worklist",
                 "/fhir/$assess", "/cds-services"):  # fmt: skip
        assert path in paths
    schema = paths["/contacts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "contact_id" in schema["properties"]


# --------------------------------------------------------------- a running server


def test_onecontact_serve_answers_over_http_with_two_workers(tmp_path: Path) -> None:
    options = ("--workers", "2", "--backend", "python", "--db", f"sqlite:///{tmp_path / 'l.db'}")
    with running_service(tmp_path, *options) as base:
        answers: list[Any] = [
            httpx.post(f"{base}/contacts", json={**CONTACT, "contact_id": f"c-{i}"}, timeout=30)
            for i in range(6)
        ]
        assert [a.status_code for a in answers] == [201] * 6
        again = httpx.post(f"{base}/contacts", json={**CONTACT, "contact_id": "c-0"}, timeout=30)
        assert again.status_code == 200
