"""The client's contact form and its result page (oneContact.service, ``GET /``,
``POST /form``, ``POST /form/questions``), in process, without JavaScript: what a
browser without scripts posts, and what it gets back."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from ruamel.yaml import YAML

from oneContact import Engine, bundled_rules_directory
from oneContact._bundled import bundled_example_directory
from oneContact._text import LANGUAGES
from oneContact.errors import contact_messages
from oneContact.fixtures import FixtureCase, load_fixture_file
from oneContact.routing import Directory
from oneContact.service import ServiceConfig, create_app
from oneContact.service._form import SKIP
from oneContact.service._form_texts import (
    FORM_TEXTS,
    MUST_ANSWER,
    MUST_CHOOSE_CONCERN,
    MUST_GIVE_AGE,
)
from oneContact.service._result import result_view

from ..conftest import REPO, fresh_ledger_url

IDENTITY_CODE = "131052-308T"
HEADING = {
    "emergency": "emergency_heading",
    "urgent": "urgent_heading",
    "non_urgent": "non_urgent_heading",
    "self_care": "self_care_heading",
}


def case(topic: str, file: str, name: str) -> FixtureCase:
    """A rule author's fixture case (its contact and what must come out)."""
    found = [c for c in load_fixture_file(REPO / "fixtures" / topic / file) if c.name == name]
    assert len(found) == 1
    return found[0]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_directory(bundled_rules_directory(), backend="python")


def _app(url: str, *, directory: bool = True) -> TestClient:
    config = ServiceConfig(
        rules=bundled_rules_directory(),
        db=url,
        backend="python",
        directory=bundled_example_directory() if directory else None,
    )
    return TestClient(create_app(config))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The service on the example directory and an SQLite ledger."""
    with _app(f"sqlite:///{tmp_path / 'ledger.db'}") as test_client:
        yield test_client


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def both(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """The same on SQLite and on PostgreSQL."""
    for url in fresh_ledger_url(request.param, tmp_path, "form"):
        with _app(url) as test_client:
            yield test_client


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[TestClient]:
    """The service without a directory: the municipality is a text field."""
    with _app(f"sqlite:///{tmp_path / 'plain.db'}", directory=False) as test_client:
        yield test_client


def shown(html: str) -> list[str]:
    """The ids of the questions a page shows, in order."""
    return re.findall(r'data-question="([^"]+)"', html)


def contact_id(html: str) -> str:
    found = re.search(r'name="contact_id" value="(web-[0-9a-f]{32})"', html)
    assert found is not None
    return found.group(1)


def _number(html: str, question: str) -> bool:
    return f'<input type="number" id="q-{question}"' in html


def _value(answer: Any) -> str:
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    return str(answer)


def filled(
    client: TestClient, lang: str, age: int, concerns: list[str], answers: Mapping[str, Any]
) -> tuple[dict[str, Any], str]:
    """Fill the form as a client without JavaScript does: the facts and the concerns,
    "update", then each question shown: the answer in *answers*, else "I don't know"
    (a number question not in *answers* is left empty). Returns the form's fields and the
    last page."""
    page = client.get("/", params={"lang": lang}).text
    form: dict[str, Any] = {
        "contact_id": contact_id(page),
        "flags_shown": "1",
        "age": str(age),
        "language": lang,
        "municipality": "",
        "can_use_digital_services": "yes",
        "concern": concerns,
    }
    for _ in range(20):
        page = client.post("/form", params={"lang": lang}, data={**form, "action": "update"}).text
        more = {
            f"q.{q}": _value(answers[q]) if q in answers else "" if _number(page, q) else SKIP
            for q in shown(page)
            if f"q.{q}" not in form
        }
        if not more:
            return form, page
        form.update(more)
    raise AssertionError("the form never settled")


def sent(client: TestClient, lang: str, form: Mapping[str, Any]) -> Any:
    return client.post("/form", params={"lang": lang}, data={**form, "action": "send"})


def main_of(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


# ------------------------------------------------------------------ the flow, per language

FLOWS = {
    "fi": case("acute_symptom", "red_flags.yaml", "chest pain is an emergency"),
    "sv": case("acute_symptom", "routing.yaml", "mild pain for weeks needs care"),
    "en": case("acute_symptom", "routing.yaml", "mild pain for a day is self-care"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_client_fills_in_updates_and_sends_the_form_in_each_language(
    both: TestClient, engine: Engine, lang: str
) -> None:
    """GET, update, send without JavaScript: the page in the client's language, the
    result by the fixture's urgency, the catalogue's names of the routes it expects."""
    client, fixture = both, FLOWS[lang]
    form = client.get("/", params={"lang": lang})
    assert form.status_code == 200
    assert f'<html lang="{lang}">' in form.text
    assert FORM_TEXTS["title"][lang] in form.text
    for concern in engine.ruleset.questionnaire.concerns.values():
        assert str(escape(concern.label.get(lang))) in form.text
    fields, _ = filled(
        client, lang, fixture.contact["client"]["age"], fixture.contact["concerns"],
        fixture.contact["answers"],
    )  # fmt: skip
    result = sent(client, lang, fields)
    assert result.status_code == 200
    main = main_of(result.text)
    urgency = fixture.expect["urgency"]
    assert FORM_TEXTS[HEADING[urgency]][lang] in main
    assert FORM_TEXTS["result_title"][lang] in main
    services = engine.ruleset.catalogue.services
    for route in fixture.expect.get("routes_include", []):
        service = route if isinstance(route, str) else route["service"]
        assert services[service].name.get(lang) in main
    recorded = client.get(f"/contacts/{fields['contact_id']}/clocks")
    assert recorded.status_code == 200
    assert {c["clock"] for c in recorded.json()} >= {"need_assessment"}


def test_the_questions_are_the_engines_red_flags_first(client: TestClient, engine: Engine) -> None:
    """After the concerns and the age: exactly the questions Engine.next_questions
    lists, every red flag before any other question."""
    _, page = filled(client, "fi", 45, ["acute_symptom"], {})
    partial = {
        "contact_id": "t-1", "received_at": "2026-03-03T10:00:00+02:00", "channel": "digital",
        "client": {"age": 45}, "concerns": ["acute_symptom"], "answers": {},
    }  # fmt: skip
    expected = {q.id for q in engine.next_questions(partial).questions}
    ids = shown(page)
    assert set(ids) == expected
    flags = [engine.ruleset.questionnaire.questions[q].red_flag for q in ids]
    assert flags == sorted(flags, reverse=True)
    assert flags[0] is True
    assert False in flags
    marked = page.count(FORM_TEXTS["red_flag"]["fi"] + ":")
    assert marked == flags.count(True)  # said in words, not by colour alone


def test_a_question_that_cannot_change_the_decision_is_not_shown(
    client: TestClient, engine: Engine
) -> None:
    """With chest pain, shortness of breath cannot change the decision (the how-to on
    next questions): it leaves the form; with a pain score of 6 the duration leaves."""
    page = client.get("/", params={"lang": "en"}).text
    form = {
        "contact_id": contact_id(page), "flags_shown": "1", "age": "34", "language": "en",
        "concern": ["acute_symptom"], "q.chest_pain": "no", "action": "update",
    }  # fmt: skip
    first = client.post("/form", params={"lang": "en"}, data=form).text
    assert "symptom_duration" in shown(first)
    pain = client.post("/form", params={"lang": "en"}, data={**form, "q.pain_score": "6"}).text
    assert "symptom_duration" not in shown(pain)
    assert "pain_score" in shown(pain)  # an answered question stays, with its answer
    assert re.search(r'name="q.pain_score" value="6"', pain)
    chest = client.post("/form", params={"lang": "en"}, data={**form, "q.chest_pain": "yes"}).text
    assert "severe_breathing_difficulty" not in shown(chest)
    assert "chest_pain" in shown(chest)
    assert FORM_TEXTS["emergency_now"]["en"] in chest  # said before anything is sent


def test_i_dont_know_declines_a_number_question(client: TestClient) -> None:
    page = client.get("/", params={"lang": "fi"}).text
    form = {
        "contact_id": contact_id(page), "flags_shown": "1", "age": "34", "language": "fi",
        "concern": ["acute_symptom"], "q.chest_pain": "no", "q.pain_score": "",
        "skip.pain_score": "yes", "action": "update",
    }  # fmt: skip
    declined = client.post("/form", params={"lang": "fi"}, data=form).text
    box = re.search(r'<input type="checkbox" id="q-pain_score-skip"[^>]*>', declined)
    assert box is not None
    assert "checked" in box.group(0)
    assert re.search(r'name="q.pain_score" value=""', declined)


def test_an_emergency_answer_puts_112_first(client: TestClient) -> None:
    """Chest pain: the result opens with the 112 notice and a link that calls it."""
    fields, _ = filled(client, "sv", 60, ["acute_symptom"], {"chest_pain": True})
    main = main_of(sent(client, "sv", fields).text)
    notice = main.index(FORM_TEXTS["emergency_heading"]["sv"])
    assert notice < main.index(FORM_TEXTS["result_title"]["sv"])
    assert notice < main.index("<h2")
    assert 'href="tel:112"' in main
    assert FORM_TEXTS["emergency_body"]["sv"] in main


def test_the_result_names_the_time_limit_the_law_gives(client: TestClient, engine: Engine) -> None:
    """The need-assessment clock: what it promises (the policies' words) and its basis."""
    fields, _ = filled(
        client, "fi", 45, ["acute_symptom"], {"pain_score": 2, "symptom_duration": "weeks"}
    )
    main = main_of(sent(client, "fi", fields).text)
    described = engine.ruleset.policies.description("need_assessment")
    assert described is not None
    assert described.get("fi") in main
    assert "Viimeistään " in main
    assert "1326/2010" in main  # the law it rests on


def test_a_reload_records_nothing_twice(client: TestClient) -> None:
    fields, _ = filled(client, "fi", 45, ["acute_symptom"], {"pain_score": 6})
    first, again = sent(client, "fi", fields), sent(client, "fi", fields)
    assert (first.status_code, again.status_code) == (200, 200)
    assert FORM_TEXTS["already_sent"]["fi"] not in first.text
    assert FORM_TEXTS["already_sent"]["fi"] in again.text
    parts = client.app.state.parts  # type: ignore[attr-defined]
    events = parts.ledger.events(fields["contact_id"])
    assert [e.event for e in events].count("contact_received") == 1
    changed = {**fields, "q.chest_pain": "yes"}  # another decision: an emergency
    conflict = sent(client, "fi", changed)
    assert conflict.status_code == 409
    assert FORM_TEXTS["conflict_title"]["fi"] in conflict.text


# ------------------------------------------------------------------ errors


def test_errors_show_beside_their_fields_and_nothing_is_recorded(client: TestClient) -> None:
    page = client.get("/", params={"lang": "sv"}).text
    form = {
        "contact_id": contact_id(page), "flags_shown": "1", "age": "200", "language": "sv",
        "concern": ["acute_symptom"], "q.pain_score": "mycket", "action": "send",
    }  # fmt: skip
    answer = client.post("/form", params={"lang": "sv"}, data=form)
    assert answer.status_code == 422
    html = answer.text
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#f-age"' in summary
    assert 'href="#q-pain_score"' in summary
    assert 'href="#q-chest_pain"' in summary  # a red flag shown must be answered
    age_error = contact_messages("range:between", low=0, high=130).sv
    assert f'id="err-f-age"><span class="visually-hidden">Fel: </span>{age_error}' in html
    age_input = re.search(r'<input type="number" id="f-age"[^>]*>', html, re.S)
    assert age_input is not None
    assert 'aria-invalid="true"' in age_input.group(0)
    assert "err-f-age" in age_input.group(0)
    assert contact_messages("answer:whole").sv in html  # the pain score is a whole number
    assert MUST_ANSWER.sv in html
    assert "mycket" not in html  # a value that is not valid is never shown back
    assert 'value="200"' not in html
    recorded = client.get(f"/contacts/{form['contact_id']}/clocks")
    assert recorded.status_code == 404


def test_sending_without_concerns_or_age_says_what_is_missing(client: TestClient) -> None:
    page = client.get("/", params={"lang": "en"}).text
    form = {"contact_id": contact_id(page), "flags_shown": "1", "action": "send"}
    answer = client.post("/form", params={"lang": "en"}, data=form)
    assert answer.status_code == 422
    assert MUST_CHOOSE_CONCERN.en in answer.text
    assert MUST_GIVE_AGE.en in answer.text
    assert 'href="#f-concerns"' in answer.text
    assert client.get(f"/contacts/{form['contact_id']}/clocks").status_code == 404


def test_nothing_personal_is_shown_back_or_logged(
    plain: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An identity code typed anywhere is refused, never shown back, never logged."""
    caplog.set_level(logging.DEBUG)
    page = plain.get("/", params={"lang": "fi"}).text
    assert 'type="text" id="f-municipality"' in page  # no directory: a text field
    form = {
        "contact_id": IDENTITY_CODE, "flags_shown": "1", "age": IDENTITY_CODE,
        "language": "fi", "municipality": f"Jyväskylä {IDENTITY_CODE}",
        "concern": ["acute_symptom"], "q.pain_score": IDENTITY_CODE,
        "q.chest_pain": "no", "action": "send",
    }  # fmt: skip
    for action in ("update", "send"):
        answer = plain.post("/form", params={"lang": "fi"}, data={**form, "action": action})
        assert IDENTITY_CODE not in answer.text
        assert "Jyväskylä" not in answer.text
        fragment = plain.post("/form/questions", params={"lang": "fi"}, data=form)
        assert IDENTITY_CODE not in fragment.text
    assert answer.status_code == 422
    assert contact_messages("identity-code").fi in answer.text
    assert IDENTITY_CODE not in caplog.text
    assert "Traceback" not in answer.text
    fresh = contact_id(answer.text)  # the id given was not ours: a new one was made
    assert plain.get(f"/contacts/{fresh}/clocks").status_code == 404


def test_the_question_section_alone_for_the_script(client: TestClient) -> None:
    """POST /form/questions: the section only, with what changed for the live region."""
    page = client.get("/", params={"lang": "fi"}).text
    form = {
        "contact_id": contact_id(page), "flags_shown": "1", "age": "45", "language": "fi",
        "concern": ["acute_symptom"],
    }  # fmt: skip
    first = client.post("/form/questions", params={"lang": "fi"}, data=form)
    assert first.status_code == 200
    assert first.text.lstrip().startswith('<section id="questions"')
    assert "<html" not in first.text
    ids = shown(first.text)
    said = FORM_TEXTS["updated"]["fi"].format(shown=len(ids), added=len(ids), removed=0)
    assert f'data-announce="{said}"' in first.text
    after = client.post(
        "/form/questions",
        params={"lang": "fi"},
        data={**form, "shown": ",".join(ids), "q.chest_pain": "yes"},
    )
    left = set(ids) - set(shown(after.text))
    assert left
    said = FORM_TEXTS["updated"]["fi"].format(
        shown=len(shown(after.text)), added=0, removed=len(left)
    )
    assert said in after.text


def test_a_ledger_that_cannot_be_written_shows_try_again_with_503(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with _app(f"sqlite:///{path}"):
        pass  # made, with its tables
    with _app(f"sqlite:///{path}?mode=ro") as client:
        fields, _ = filled(client, "sv", 45, ["acute_symptom"], {"pain_score": 6})
        answer = sent(client, "sv", fields)
    assert answer.status_code == 503
    assert answer.headers["retry-after"].isdigit()
    assert FORM_TEXTS["unavailable_body"]["sv"] in answer.text
    assert "Traceback" not in answer.text


def test_the_municipality_is_chosen_from_the_directory(client: TestClient) -> None:
    page = client.get("/", params={"lang": "sv"}).text
    assert '<option value="ekby">Ekby / Tammila</option>' in page
    assert FORM_TEXTS["municipality_none"]["sv"] in page
    fields, _ = filled(client, "sv", 45, ["acute_symptom"], {"pain_score": 6})
    chosen = client.post(
        "/form", params={"lang": "sv"}, data={**fields, "municipality": "ekby", "action": "update"}
    )
    assert '<option value="ekby" selected>' in chosen.text
    wrong = client.post(
        "/form", params={"lang": "sv"}, data={**fields, "municipality": "nowhere", "action": "send"}
    )
    assert wrong.status_code == 422
    assert 'href="#f-municipality"' in wrong.text
    assert "nowhere" not in wrong.text


# ------------------------------------------------------------------ the words


def test_every_text_of_the_form_is_in_finnish_swedish_and_english() -> None:
    placeholders = re.compile(r"\{(\w+)\}")
    for key, words in FORM_TEXTS.items():
        assert set(words) == set(LANGUAGES), key
        assert all(words[lang].strip() for lang in LANGUAGES), key
        assert len({placeholders.findall(words[lang]).__len__() for lang in LANGUAGES}) == 1, key
        assert {frozenset(placeholders.findall(words[lang])) for lang in LANGUAGES}.__len__() == 1
    for label in (MUST_ANSWER, MUST_CHOOSE_CONCERN, MUST_GIVE_AGE):
        assert label.complete
        assert len({label.fi, label.sv, label.en}) == 3


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_page_is_labelled_and_in_order(client: TestClient, lang: str) -> None:
    """Every input has a label, groups have legends, headings go h1 then h2."""
    _, page = filled(client, lang, 45, ["acute_symptom", "mental_health"], {})
    ids = re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', page)
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    assert ids
    assert set(ids) <= labelled
    assert page.count("<fieldset") == page.count("<legend>")
    levels = [int(n) for n in re.findall(r"<h([1-6])", main_of(page))]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))


def test_a_booked_time_names_the_service_the_unit_and_the_time() -> None:
    """In the example directory's weeks, a non-urgent contact gets a slot: the result
    names the catalogue's service, the directory's unit and the time, in Swedish."""
    rules = bundled_rules_directory()
    directory = bundled_example_directory()
    engine = Engine.from_directory(
        rules, backend="python", directory=Directory.from_file(directory, rules=rules)
    )
    contact = {
        "contact_id": "web-booked", "received_at": "2026-03-03T10:00:00+02:00",
        "channel": "digital", "municipality": "ekby", "client": {"age": 40, "language": "sv"},
        "concerns": ["acute_symptom"], "answers": {"chest_pain": False, "pain_score": 6},
    }  # fmt: skip
    assessment = engine.assess(contact)
    slotted = [r for r in assessment.routes if r.slot is not None]
    assert slotted
    route = slotted[0]
    assert route.unit is not None
    assert route.slot is not None
    units = {
        u["id"]: u["name"] for u in YAML(typ="safe").load(directory.read_text("utf-8"))["units"]
    }
    view = result_view(assessment, engine.ruleset, "sv", units, FORM_TEXTS)
    booked = view["booked"]
    assert booked["service"] == engine.ruleset.catalogue.services[route.service].name.sv
    assert booked["unit"] == units[route.unit]
    slot = route.slot
    assert (
        booked["when"] == f"{slot.day}.{slot.month}.{slot.year} kl. {slot.hour}.{slot.minute:02d}"
    )


def test_no_page_repeats_what_was_typed_into_its_address(client: TestClient) -> None:
    """The language links keep only ``lang``: a query holding an identity code (a link
    someone was sent, a typo) is never written back into the page."""
    for path in ("/", "/team/worklist", "/team/report"):
        answer = client.get(path, params={"lang": "sv", "q": IDENTITY_CODE, "x": "<b>"})
        assert IDENTITY_CODE not in answer.text, path
        assert 'href="/?lang=fi"' in client.get("/", params={"q": IDENTITY_CODE}).text
