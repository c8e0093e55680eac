"""Contact errors a form shows a client: a stable code and a message in fi, sv and en.

The messages never repeat what was typed; docs/reference/errors.md lists every wording.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from oneContact import ContactError, ContactProblem, Engine
from oneContact._text import LANGUAGES, Label
from oneContact.cli import main
from oneContact.errors import CONTACT_CODES, CONTACT_MESSAGES, contact_messages
from oneContact.intake import Client, FirstContact

from .conftest import REPO

Make = Callable[..., dict[str, Any]]

SECRET = "salainen kertomus hemlig berättelse"  # noqa: S105 -- free text, not a password
IDENTITY_CODE = "131052-308T"


def _incomplete(table: Mapping[str, Label]) -> list[str]:
    """Keys whose wording lacks a language, or whose languages name different bounds."""
    bad = []
    for key, label in table.items():
        fields = [
            {name for _, name, _, _ in string.Formatter().parse(getattr(label, lang)) if name}
            for lang in LANGUAGES
        ]
        if not label.complete or any(f != fields[0] for f in fields):
            bad.append(key)
    return bad


def test_every_wording_is_in_finnish_swedish_and_english() -> None:
    """Each key of CONTACT_MESSAGES has all three languages, with the same placeholders."""
    assert [] == _incomplete(CONTACT_MESSAGES)
    # The check can fail: a wording without Swedish, or with a bound in one language only.
    planted = {
        "no-sv": Label("Tarkista.", "", "Check."),
        "bound": Label("Vähintään {limit}.", "Minst.", "At least {limit}."),
    }
    assert ["no-sv", "bound"] == _incomplete(planted)


def test_every_code_has_its_own_wording() -> None:
    """Every code of CONTACT_CODES resolves to a wording that is not the fallback."""
    for code, key in CONTACT_CODES.items():
        assert key in CONTACT_MESSAGES, code
        assert key != "invalid", code
        problem = ContactProblem("x", "m", code)
        assert CONTACT_MESSAGES[key] == problem.messages, code
        assert problem.messages.complete, code
    # A code not listed (pydantic's own, which may grow) still gets all three languages.
    assert CONTACT_MESSAGES["invalid"] == ContactProblem("x", "m", "no-such-code").messages


def _doc_table() -> dict[str, tuple[str, Label]]:
    text = (REPO / "docs" / "reference" / "errors.md").read_text(encoding="utf-8")
    section = text.split("### Messages for the client", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, Label]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (cells[1], Label(cells[2], cells[3], cells[4]))
    return rows


def test_the_documented_table_is_the_source() -> None:
    """docs/reference/errors.md lists every wording with its codes, word for word."""
    documented = _doc_table()
    assert list(CONTACT_MESSAGES) == list(documented)
    for key, label in CONTACT_MESSAGES.items():
        assert label == documented[key][1], key
    for code, key in CONTACT_CODES.items():
        assert f"`{code}`" in documented[key][0], code


BAD_CONTACTS: list[dict[str, Any]] = [
    # shape: each of these is refused before the questionnaire is read
    {"channel": "fax"},
    {"channel": 7},
    {"client": {"age": 40, "birth_date": "1985-01-01"}},
    {"client": {"birth_date": "1.1.1985"}, "drop_age": True},
    {"client": {"age": 131}},
    {"client": {"age": -1}},
    {"client": {"age": "forty"}},
    {"client": {"age": 40, "language": "svenska"}},
    {"client": {"age": 40, "named_professionals": {"nurse": IDENTITY_CODE}}},
    {"client": {"age": 40, "nickname": SECRET}},
    {"contact_id": f"fx-{IDENTITY_CODE}"},
    {"contact_id": ""},
    {"contact_id": "x" * 65},
    {"received_at": "2025-03-04T10:00:00"},
    {"received_at": "next tuesday"},
    {"concerns": []},
    {"concerns": ["acute_symptom", "acute_symptom"]},
    {"concerns": "acute_symptom"},
    {"answers": [1, 2]},
    {"answers": {"chest_pain": ["yes"]}},
    {"free_text": 5},
    {"free_text": "x" * 10_001},
    {"surprise": SECRET},
    # against the questionnaire
    {"concerns": ["acute_symptom", SECRET]},
    {"answers": {"chest_pain": "joo kyllä"}},
    {"answers": {"pain_score": 11}},
    {"answers": {"pain_score": -3}},
    {"answers": {"pain_score": 2.5}},
    {"answers": {"pain_score": 1e12}},
    {"answers": {"pain_score": "kova"}},
    {"answers": {"symptom_duration": "months"}},
    {"answers": {"chest_pian": True}},
    {"answers": {IDENTITY_CODE: True}},
]


def _bad(make_contact: Make, over: dict[str, Any]) -> dict[str, Any]:
    over = dict(over)
    drop_age = over.pop("drop_age", False)
    contact = make_contact(**{"free_text": SECRET, **over})
    if drop_age:
        del contact["client"]["age"]
    return contact


def _typed(contact: Mapping[str, Any]) -> Iterable[str]:
    """Every text and number the contact carries (and keys that are not the record's own
    fields or the questionnaire's), as a form would have typed them."""
    stack: list[Any] = [contact]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            stack.extend(k for k in item if k not in _FIELDS)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            yield item
        elif isinstance(item, int | float) and not isinstance(item, bool):
            yield f"{item:g}" if isinstance(item, float) else str(item)


# What a message may show of a number: the bounds of the form and the record.
FORM_NUMBERS = {"0", "10", "130", "1", "02", "00"}


@pytest.mark.parametrize("over", BAD_CONTACTS, ids=",".join)
def test_a_bad_contact_has_codes_and_three_messages_and_echoes_nothing(
    rules_dir: Path, make_contact: Make, over: dict[str, Any]
) -> None:
    """Each problem has a documented code, all three messages, and none of the values."""
    engine = Engine.from_directory(rules_dir, backend="python")
    contact = _bad(make_contact, over)
    with pytest.raises(ContactError) as caught:
        engine.assess(contact)
    error = caught.value
    assert error.problems
    words = json.dumps(error.to_json(), ensure_ascii=False)
    for problem in error.problems:
        assert problem.code in CONTACT_CODES, problem
        assert problem.messages.complete, problem
        assert problem.messages != CONTACT_MESSAGES["invalid"], problem
    typed = {t for t in _typed(contact) if t and t not in FORM_NUMBERS and t not in _VALID_PARTS}
    for text in typed:
        for problem in error.problems:
            for lang in LANGUAGES:
                assert text not in problem.message_in(lang), (text, problem)
    assert SECRET not in words
    assert IDENTITY_CODE not in words


_FIELDS = {
    *FirstContact.model_fields,
    *Client.model_fields,
    "chest_pain",
    "lives_alone",
    "pain_score",
    "symptom_duration",
}

# Parts of the valid contact and codes of the questionnaire: echoing them echoes nothing
# the client typed (field paths name question ids; messages never do).
_VALID_PARTS = {"t-1", "phone", "acute_symptom", "2025-03-04T10:00:00+02:00", "40"}


def test_a_swedish_clients_bad_contact_is_explained_in_swedish(
    rules_dir: Path, make_contact: Make, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Swedish-speaking client who gives both age and birth date and a pain of 12
    reads Swedish messages; the JSON of the command line carries the same."""
    contact = make_contact(
        client={"age": 40, "birth_date": "1985-01-01", "language": "sv"},
        answers={"pain_score": 12},
        free_text=SECRET,
    )
    engine = Engine.from_directory(rules_dir, backend="python")
    with pytest.raises(ContactError) as caught:
        engine.assess(contact)
    language = contact["client"]["language"]
    shown = {p.field: p.message_in(language) for p in caught.value.problems}
    assert {
        "client": "Ange ålder eller födelsedatum, inte båda.",
        "answers.pain_score": "Ange ett tal som är högst 10.",
    } == shown
    contact["client"].pop("birth_date")
    with pytest.raises(ContactError) as caught:
        engine.assess(contact)
    (problem,) = caught.value.problems
    assert ("answers.pain_score", "answer-type") == (problem.field, problem.code)
    assert "must be at most 10" == problem.message  # the developer's English, unchanged
    assert "Ange ett tal som är högst 10." == problem.message_in("sv")
    assert "Anna luku, joka on enintään 10." == problem.message_in("fi")
    assert "Give a number of at most 10." == problem.message_in("en")
    path = tmp_path / "contact.json"
    contact["client"]["birth_date"] = "1985-01-01"
    contact["answers"] = {}
    path.write_text(json.dumps(contact), encoding="utf-8")
    code = main(["assess", str(path), "--rules", str(rules_dir)])
    out, err = capsys.readouterr()
    assert (2, "") == (code, out)
    data = json.loads(err)
    assert 1 == data["count"] == len(data["problems"])
    assert {
        "field": "client",
        "code": "age-or-birth-date",
        "message": "give exactly one of 'age' and 'birth_date'",
        "messages": {
            "fi": "Anna ikä tai syntymäaika, ei molempia.",
            "sv": "Ange ålder eller födelsedatum, inte båda.",
            "en": "Give age or birth date, not both.",
        },
    } == data["problems"][0]
    assert SECRET not in err


def test_bounds_are_written_the_languages_way() -> None:
    """Decimal comma and a space between thousands in Finnish and Swedish."""
    label = contact_messages("range:between", low=-1_000_000_000, high=2.5)
    assert "Anna luku -1 000 000 000 ja 2,5 väliltä." == label.fi
    assert "Ange ett tal mellan -1 000 000 000 och 2,5." == label.sv
    assert "Give a number between -1,000,000,000 and 2.5." == label.en


def test_the_json_of_an_error_is_the_documented_shape() -> None:
    """ContactError.to_json: error (the title), count, problems with both message kinds."""
    error = ContactError(
        [ContactProblem("<json>", "not UTF-8 text", "json-invalid")], title="invalid input"
    )
    data = error.to_json()
    assert {"error", "count", "problems"} == set(data)
    assert "invalid input" == data["error"] == error.title
    assert re.fullmatch(r"[a-z-]+", data["problems"][0]["code"])  # type: ignore[index]
