"""The team's worklist (``GET /worklist`` and the page ``/team/worklist``), a contact's
page and recording from it, in process on SQLite and PostgreSQL.

The contacts are the bundled examples, placed in the example directory's municipalities
and received in the two weeks its slots cover, so their routes have units; what each
filter should list is computed here from what was posted (each assessment's routes)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oneContact import Engine, bundled_rules_directory
from oneContact._bundled import bundled_example_directory
from oneContact.service import ServiceConfig, create_app
from oneContact.suggestions import OVERRIDE_REASONS, suggestion_id

from ..conftest import REPO, fresh_ledger_url

NOW = "2026-03-13T12:00:00+02:00"
PLACES = ("rannikko", "kivilahti", "ekby")
EXAMPLES = [
    json.loads(line)
    for line in (REPO / "examples" / "contacts.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]
SAME_SITE = {"origin": "http://testserver"}


def contacts() -> list[dict[str, Any]]:
    """The examples, each in a municipality of the directory, received 2026-03-02..06."""
    out = []
    for number, example in enumerate(EXAMPLES):
        day = 2 + number % 5
        out.append(
            {
                **example,
                "contact_id": f"wl-{number:03d}",
                "municipality": PLACES[number % len(PLACES)],
                "received_at": f"2026-03-{day:02d}T{9 + number % 6:02d}:10:00+02:00",
            }
        )
    return out


MUNICIPALITY = {c["contact_id"]: c["municipality"] for c in contacts()}


@pytest.fixture(scope="module")
def catalogue_names() -> Any:
    return Engine.from_directory(bundled_rules_directory(), backend="python").ruleset.catalogue


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def service(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[TestClient, dict[str, dict[str, Any]]]]:
    for url in fresh_ledger_url(request.param, tmp_path, "team"):
        config = ServiceConfig(
            rules=bundled_rules_directory(),
            db=url,
            directory=bundled_example_directory(),
            backend="python",
        )
        with TestClient(create_app(config)) as client:
            posted = {}
            for contact in contacts():
                answer = client.post("/contacts", json=contact)
                assert answer.status_code == 201, answer.text
                posted[contact["contact_id"]] = answer.json()["assessment"]
            yield client, posted


def units_of(assessment: dict[str, Any]) -> set[str]:
    return {r["unit"] for r in assessment["routes"] if r.get("unit")}


def services_of(assessment: dict[str, Any]) -> set[str]:
    return {r["service"] for r in assessment["routes"]}


def everything(client: TestClient, **params: str) -> list[dict[str, Any]]:
    answer = client.get("/worklist", params={"now": NOW, "per_page": "500", **params})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == len(body["items"])
    return list(body["items"])


def keys(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(i["contact_id"], i["clock"]) for i in items]


def test_filters_list_exactly_the_contacts_of_a_unit_service_municipality_urgency(
    service: tuple[TestClient, dict[str, dict[str, Any]]],
) -> None:
    client, posted = service
    full = everything(client)
    assert len({i["contact_id"] for i in full}) >= 5  # the fixture gives a real list
    assert any(units_of(a) for a in posted.values())
    for unit in ("rannikko-hs", "kivilahti-hs", "ekby-hs", "rannikko-social"):
        expected = [i for i in full if unit in units_of(posted[i["contact_id"]])]
        assert keys(everything(client, unit=unit)) == keys(expected), unit
    for place in PLACES:
        expected = [i for i in full if MUNICIPALITY[i["contact_id"]] == place]
        assert expected, place
        assert keys(everything(client, municipality=place)) == keys(expected)
    for code in ("nurse", "gp", "social_worker"):
        expected = [i for i in full if code in services_of(posted[i["contact_id"]])]
        assert keys(everything(client, service=code)) == keys(expected)
    for level in ("urgent", "non_urgent"):
        expected = [i for i in full if posted[i["contact_id"]]["urgency"] == level]
        assert keys(everything(client, urgency=level)) == keys(expected)
    both = [
        i
        for i in full
        if "rannikko-hs" in units_of(posted[i["contact_id"]]) and i["clock"] == "need_assessment"
    ]
    assert keys(everything(client, unit="rannikko-hs", clock="need_assessment")) == keys(both)
    item = full[0]
    assessment = posted[item["contact_id"]]
    assert item["urgency"] == assessment["urgency"]
    assert item["services"] == [r["service"] for r in assessment["routes"]]
    assert set(item["units"]) == units_of(assessment)


def test_paging_totals_and_breached_first(
    service: tuple[TestClient, dict[str, dict[str, Any]]],
) -> None:
    client, _ = service
    full = everything(client, within="20")
    statuses = [i["status"] for i in full]
    assert "breached" in statuses
    assert "open" in statuses
    assert statuses == sorted(statuses, key=lambda s: s != "breached")  # breached first
    over = [i["days_over"] for i in full if i["status"] == "breached"]
    assert over == sorted(over, reverse=True)
    pages, number = [], 1
    while True:
        body = client.get(
            "/worklist", params={"now": NOW, "within": "20", "per_page": "4", "page": str(number)}
        ).json()
        assert body["total"] == len(full)
        assert (body["page"], body["per_page"]) == (number, 4)
        if not body["items"]:
            break
        pages += body["items"]
        number += 1
    assert keys(pages) == keys(full)
    assert number - 1 == -(-len(full) // 4)


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("unit", "rannikko-hx", "rannikko-hs"),
        ("service", "nurze", "nurse"),
        ("municipality", "kivilahtti", "kivilahti"),
        ("urgency", "urgnet", "urgent"),
        ("clock", "need_asessment", "need_assessment"),
        ("status", "breahced", "breached"),
    ],
)
def test_an_unknown_filter_value_is_a_422_naming_the_field_with_a_did_you_mean(
    service: tuple[TestClient, dict[str, dict[str, Any]]], field: str, value: str, hint: str
) -> None:
    client, _ = service
    answer = client.get("/worklist", params={"now": NOW, field: value})
    assert answer.status_code == 422
    body = answer.json()
    assert (body["code"], body["field"]) == ("unknown-value", field)
    assert f"did you mean '{hint}'" in body["message"]
    assert value not in body["message"]
    page = client.get("/team/worklist", params={"now": NOW, field: value, "lang": "en"})
    assert page.status_code == 422
    assert f'id="e-{field}"' in page.text
    assert f"Did you mean: {hint}?" in page.text
    for path in ("/worklist", "/team/worklist"):
        secret = client.get(path, params={field: "131052-308T", "lang": "131052-308T"})
        assert secret.status_code == 422
        assert "131052-308T" not in secret.text
    unknown = client.get("/team/contacts/131052-308T", params={"now": "131052-308T"})
    assert unknown.status_code == 404
    assert "131052-308T" not in unknown.text


@pytest.mark.parametrize(
    ("language", "title", "breached"),
    [
        ("fi", "Tiimin työlista", "määräaika ylittyi"),
        ("sv", "Teamets arbetslista", "tidsfristen överskreds"),
        ("en", "The team's worklist", "breached"),
    ],
)
def test_the_worklist_page_in_each_language(
    service: tuple[TestClient, dict[str, dict[str, Any]]],
    catalogue_names: Any,
    language: str,
    title: str,
    breached: str,
) -> None:
    client, posted = service
    answer = client.get(
        "/team/worklist", params={"now": NOW, "lang": language, "unit": "rannikko-hs"}
    )
    assert answer.status_code == 200
    html = answer.text
    assert f'<html lang="{language}">' in html
    assert f"<h1>{title}</h1>".replace("'", "&#39;") in html
    assert "<caption>" in html
    assert 'scope="col"' in html
    listed = everything(client, unit="rannikko-hs")
    first = listed[0]
    assert f'href="/team/contacts/{first["contact_id"]}?' in html
    assert breached in html
    service_id = posted[first["contact_id"]]["routes"][0]["service"]
    name = catalogue_names.services[service_id].name.get(language)
    assert name.replace("'", "&#39;") in html
    # the filter's options are names, the codes only their values
    assert '<option value="rannikko-hs" selected>Rannikon sote-keskus' in html
    empty = client.get("/team/worklist", params={"now": "2026-03-02T00:00:00+02:00"})
    assert "Ei määräaikoja" in empty.text


def form_ids(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(event_id|feedback_id)" value="([^"]+)"', html))


def clock_of(client: TestClient, contact_id: str, clock: str) -> dict[str, Any]:
    found = client.get(f"/contacts/{contact_id}/clocks", params={"now": NOW}).json()
    return next(c for c in found if c["clock"] == clock)


def test_recording_from_the_contact_page_closes_the_clock_once(
    service: tuple[TestClient, dict[str, dict[str, Any]]],
) -> None:
    client, _ = service
    item = everything(client, clock="need_assessment", status="breached")[0]
    cid = item["contact_id"]
    page = client.get(f"/team/contacts/{cid}", params={"now": NOW, "lang": "sv"})
    assert page.status_code == 200
    event_id = form_ids(page.text)["event_id"]
    assert clock_of(client, cid, "need_assessment")["stopped_at"] is None
    form = {"event": "need_assessed", "event_id": event_id, "at": "2026-03-12T09:00"}
    sent = client.post(
        f"/team/contacts/{cid}/events?lang=sv", data=form, headers=SAME_SITE, follow_redirects=False
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/team/contacts/{cid}?lang=sv&notice=recorded"
    again = client.post(
        f"/team/contacts/{cid}/events?lang=sv", data=form, headers=SAME_SITE, follow_redirects=False
    )
    assert again.status_code == 303
    assert again.headers["location"].endswith("notice=already")
    stopped = clock_of(client, cid, "need_assessment")
    assert stopped["stopped_at"] == "2026-03-12T09:00:00+02:00"
    assert stopped["status"] == "breached"  # it was already late
    assert (cid, "need_assessment") not in keys(everything(client))
    shown = client.get(
        f"/team/contacts/{cid}", params={"now": NOW, "lang": "sv", "notice": "recorded"}
    )
    assert shown.text.count("<td>Vårdbehovet bedömt</td>") == 1  # recorded once
    assert "Registreringen har sparats." in shown.text
    # a form sent twice with "now" as its time (the two sends a moment apart) also records once
    now_form = {"event": "care_started", "event_id": form_ids(shown.text)["event_id"]}
    for expected in ("recorded", "already"):
        answer = client.post(
            f"/team/contacts/{cid}/events", data=now_form, headers=SAME_SITE, follow_redirects=False
        )
        assert answer.headers["location"].endswith(f"notice={expected}")


def test_the_quick_action_on_a_worklist_row_returns_to_the_worklist(
    service: tuple[TestClient, dict[str, dict[str, Any]]],
) -> None:
    client, _ = service
    html = client.get("/team/worklist", params={"now": NOW, "clock": "need_assessment"}).text
    cid = everything(client, clock="need_assessment")[0]["contact_id"]
    row = re.search(rf'action="/team/contacts/{cid}/events[^"]*"(.*?)</form>', html, re.S)
    assert row is not None
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', row.group(1)))
    assert fields["event"] == "need_assessed"  # the event that stops this row's clock
    back = fields["back"].replace("&amp;", "&")
    fields["back"] = back
    answer = client.post(
        f"/team/contacts/{cid}/events", data=fields, headers=SAME_SITE, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/team/worklist?")
    assert "notice=recorded" in answer.headers["location"]
    at_present = client.get(f"/contacts/{cid}/clocks").json()  # recorded now
    assert next(c for c in at_present if c["clock"] == "need_assessment")["stopped_at"]
    after = client.get(answer.headers["location"])
    assert "Kirjaus tallennettu." in after.text
    assert 'aria-live="polite"' in after.text


def test_refusals_record_nothing(
    service: tuple[TestClient, dict[str, dict[str, Any]]],
) -> None:
    client, _ = service
    cid = everything(client, clock="need_assessment")[0]["contact_id"]
    page = client.get(f"/team/contacts/{cid}", params={"now": NOW})
    event_id = form_ids(page.text)["event_id"]
    form = {"event": "need_assessed", "event_id": event_id, "at": "2026-03-12T09:00"}
    for headers in ({"origin": "http://evil.example"}, {"referer": "http://evil.example/x"}, {}):
        refused = client.post(f"/team/contacts/{cid}/events", data=form, headers=headers)
        assert refused.status_code == 403
        assert "mitään ei tallennettu" in refused.text
    bad_event = client.post(
        f"/team/contacts/{cid}/events?lang=en",
        data={**form, "event": "need_asessed"},
        headers=SAME_SITE,
    )
    assert bad_event.status_code == 422
    assert 'id="e-event"' in bad_event.text
    assert "Choose an event from the list." in bad_event.text
    early = client.post(
        f"/team/contacts/{cid}/events?lang=en", data={**form, "at": "2026-01-01T09:00"},
        headers=SAME_SITE,
    )  # fmt: skip
    assert early.status_code == 422
    assert 'id="e-at"' in early.text
    assert "before the contact" in early.text
    garbled = client.post(
        f"/team/contacts/{cid}/events?lang=en", data={**form, "at": "131052-308T"},
        headers=SAME_SITE,
    )  # fmt: skip
    assert garbled.status_code == 422
    assert "131052-308T" not in garbled.text
    assert clock_of(client, cid, "need_assessment")["stopped_at"] is None
    assert client.get("/team/contacts/no-such-contact", params={"lang": "en"}).status_code == 404
    # a return address is made again from checked values: never another site, never text
    for back in ("https://evil.example/team/worklist", "/team/worklist?unit=131052-308T"):
        page = client.get(f"/team/contacts/{cid}", params={"back": back})
        assert "evil.example" not in page.text
        assert "131052-308T" not in page.text
        sent = client.post(
            f"/team/contacts/{cid}/events", data={**form, "back": back, "event_id": form_ids(page.text)["event_id"]},
            headers=SAME_SITE, follow_redirects=False,
        )  # fmt: skip
        assert sent.headers["location"].startswith(f"/team/contacts/{cid}?")


def test_an_override_with_a_coded_reason(
    service: tuple[TestClient, dict[str, dict[str, Any]]],
) -> None:
    client, posted = service
    cid = next(iter(posted))
    assessment = posted[cid]
    digest = client.get("/readyz").json()["ruleset_digest"]
    urgency = suggestion_id(cid, f"urgency:{assessment['urgency']}", digest)
    page = client.get(f"/team/contacts/{cid}", params={"lang": "fi"})
    assert f'<option value="{urgency}">' in page.text
    for label in OVERRIDE_REASONS.values():
        assert label.fi in page.text
    feedback_id = form_ids(page.text)["feedback_id"]
    form = {"suggestion": urgency, "reason": "clinical_jugement", "feedback_id": feedback_id}
    wrong = client.post(f"/team/contacts/{cid}/feedback", data=form, headers=SAME_SITE)
    assert wrong.status_code == 422
    assert 'id="e-reason"' in wrong.text
    other = suggestion_id("wl-001" if cid != "wl-001" else "wl-002", "urgency:urgent", digest)
    foreign = client.post(
        f"/team/contacts/{cid}/feedback",
        data={**form, "suggestion": other, "reason": "clinical_judgement"},
        headers=SAME_SITE,
    )
    assert foreign.status_code == 422
    form["reason"] = "clinical_judgement"
    for expected in ("recorded", "already"):
        sent = client.post(
            f"/team/contacts/{cid}/feedback", data=form, headers=SAME_SITE, follow_redirects=False
        )
        assert sent.headers["location"].endswith(f"notice={expected}")
    shown = client.get(f"/team/contacts/{cid}", params={"lang": "fi"}).text
    assert shown.count("<td>Ehdotus ohitettu</td>") == 1


def test_a_suggestion_accepted_from_the_contact_page_is_counted_as_accepted(
    service: tuple[TestClient, dict[str, dict[str, Any]]],
) -> None:
    client, posted = service
    cid = next(iter(posted))
    digest = client.get("/readyz").json()["ruleset_digest"]
    urgency = suggestion_id(cid, f"urgency:{posted[cid]['urgency']}", digest)
    page = client.get(f"/team/contacts/{cid}", params={"lang": "sv"}).text
    forms = re.findall(
        r'<form method="post" action="([^"]*/feedback[^"]*)"(.*?)</form>', page, re.S
    )
    accepts = {}
    for action, body in forms:
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', body))
        if fields.get("outcome") == "accepted":
            accepts[fields["suggestion"]] = (action.replace("&amp;", "&"), fields)
            assert "Godkänn" in body  # the button, named with its suggestion for a screen reader
    # one accept button per stored suggestion, each form with its own id
    stored = {s.id for s in client.app.state.parts.ledger.suggestions(cid)}
    assert set(accepts) == stored
    assert len({fields["feedback_id"] for _, fields in accepts.values()}) == len(stored)
    action, fields = accepts[urgency]
    for expected in ("recorded", "already"):
        sent = client.post(action, data=fields, headers=SAME_SITE, follow_redirects=False)
        assert sent.status_code == 303
        assert sent.headers["location"].endswith(f"notice={expected}")
    report = client.app.state.parts.ledger.overrides()
    assert (report.total.accepted, report.total.overridden) == (1, 0)
    shown = client.get(f"/team/contacts/{cid}", params={"lang": "sv"}).text
    assert shown.count("<td>Förslaget godkänt</td>") == 1
    # the row says so, and offers no second accept; the others still do
    assert shown.count("<p>Godkänt ") == 1
    assert f'name="suggestion" value="{urgency}"' not in shown  # the accept forms' field
    assert shown.count('value="accepted"') == len(stored) - 1
    route = next(s for s in stored if s != urgency)
    override = {"suggestion": route, "reason": "service_unavailable", "outcome": "overridden",
                "feedback_id": form_ids(shown)["feedback_id"]}  # fmt: skip
    assert client.post(f"/team/contacts/{cid}/feedback", data=override, headers=SAME_SITE,
                       follow_redirects=False).status_code == 303  # fmt: skip
    again = client.get(f"/team/contacts/{cid}", params={"lang": "sv"}).text
    assert "<p>Åsidosatt " in again
    assert "Tjänsten är inte tillgänglig</p>" in again
    assert again.count('value="accepted"') == len(stored) - 1  # an override may be accepted
    # an accept carries no reason, and an outcome the page never offers is refused
    odd = client.post(action, data={**fields, "outcome": "ignored"}, headers=SAME_SITE)
    assert odd.status_code == 422
    assert client.app.state.parts.ledger.overrides().total.accepted == 1
