"""Every bad contact is a ContactError naming the field, with a stable code and words in
fi/sv/en: never TypeError, RecursionError, OverflowError or ValueError, nothing changed.

Each refusal of docs/reference/contact-input.md, through :func:`parse_contact` and
:meth:`Engine.assess`, as a dict, as JSON text and as UTF-8 bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from oneContact import ContactError, Engine, parse_contact
from oneContact._contact_json import MAX_CONTACT_SIZE, MAX_JSON_DEPTH
from oneContact.diff import read_contacts
from oneContact.errors import CONTACT_CODES, MAX_TEXT_FILE_SIZE, read_text_file
from oneContact.intake import MAX_CONTACT_ANSWERS, MAX_CONTACT_CONCERNS, load_contact_json
from oneContact.ruleset import MAX_CONCERNS, MAX_QUESTIONS

from .conftest import write_rules

Make = Callable[..., dict[str, Any]]
IDENTITY_CODE = "131052-308t"  # lower case: the shape an answer key could take


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """One engine over the test rules for the module: every test here only reads."""
    rules = write_rules(tmp_path_factory.mktemp("contact-input") / "rules")
    return Engine.from_directory(rules, backend="python")


def _refused(call: Callable[[], object]) -> ContactError:
    with pytest.raises(ContactError) as info:
        call()
    error = info.value
    for problem in error.problems:
        assert problem.messages.complete, problem.code
    return error


def _everywhere(engine: Engine, data: str | bytes | dict[str, Any]) -> list[ContactError]:
    """The error of parse_contact and of Engine.assess for *data*; they must agree on
    the fields named first."""
    errors = [_refused(lambda: parse_contact(data)), _refused(lambda: engine.assess(data))]
    assert errors[0].fields[0] == errors[1].fields[0]
    return errors


def _text(contact: dict[str, Any], extra: str) -> str:
    """The contact's JSON with *extra* (``"key": value`` text) added at the end."""
    return json.dumps(contact)[:-1] + ", " + extra + "}"


# --------------------------------------------------------------------------- shape


@pytest.mark.parametrize(
    ("over", "field", "code"),
    [
        ({"concerns": [["acute_symptom"]]}, "concerns[0]", "string-type"),
        ({"concerns": [{"a": 1}]}, "concerns[0]", "string-type"),
        ({"client": {"age": 40, "language": {"a": 1}}}, "client.language", "string-type"),
        ({"answers": {"chest_pain": [True]}}, "answers.chest_pain", "answer-type"),
        ({"answers": {"pain_score": {"a": 1}}}, "answers.pain_score", "answer-type"),
        ({"contact_id": ["t-1"]}, "contact_id", "string-type"),
        ({"free_text": {"a": "b"}}, "free_text", "string-type"),
    ],
)
def test_nested_values_where_text_is_expected_name_the_field(
    engine: Engine, make_contact: Make, over: dict[str, Any], field: str, code: str
) -> None:
    """A list or object where a string or an answer goes: the field, never TypeError
    (``"concerns": [["x"]]`` made Engine.assess raise TypeError: unhashable list)."""
    contact = make_contact(**over)
    for data in (contact, json.dumps(contact), json.dumps(contact).encode()):
        for error in _everywhere(engine, data):
            assert (field, code) == (error.problems[0].field, error.problems[0].code)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_json_nested_deep_is_refused_before_it_is_read(
    engine: Engine, make_contact: Make, depth: int
) -> None:
    """Arrays nested 1,000 (and 100,000) deep: json-too-deep naming the field where they
    start, never RecursionError; an unknown key holding them is not echoed."""
    contact = make_contact()
    nested = "[" * depth + "]" * depth
    for text in (_text(contact, f'"{IDENTITY_CODE}": {nested}'), _text(contact, f'"x": {nested}')):
        for error in _everywhere(engine, text):
            assert ("<contact>", "json-too-deep") == (error.fields[0], error.problems[0].code)
            assert IDENTITY_CODE not in str(error)
    inside = json.dumps(contact).replace('["acute_symptom"]', nested)
    for error in _everywhere(engine, inside):
        assert "concerns[0]" == error.fields[0]
    depth = min(depth, 10_000)  # 100,000 objects are over the size limit
    objects = json.dumps(contact).replace('{"age": 40}', '{"a":' * depth + "1" + "}" * depth)
    assert "client" == _refused(lambda: parse_contact(objects)).fields[0]


def test_json_as_deep_as_allowed_is_read(make_contact: Make) -> None:
    """The limit is a limit, not a guess: 32 levels are read (and refused for their
    shape), 33 are too deep."""
    contact = make_contact()
    at_limit = _text(contact, '"x": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1))
    assert "unknown-field" == _refused(lambda: parse_contact(at_limit)).problems[0].code
    deeper = _text(contact, '"x": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    assert "json-too-deep" == _refused(lambda: parse_contact(deeper)).problems[0].code
    # Brackets inside strings are text, not nesting.
    texts = {**contact, "free_text": "[" * 5_000}
    assert parse_contact(json.dumps(texts)).free_text == "[" * 5_000


def test_integers_of_thousands_of_digits_name_the_field(engine: Engine, make_contact: Make) -> None:
    """An integer of 5,000 digits (Python refuses to read more than 4,300): the field, code
    number-too-large, never ValueError; in an unknown key, the key is not shown."""
    contact = make_contact()
    huge = "9" * 5_000
    text = json.dumps(contact).replace('"age": 40', f'"age": {huge}')
    for error in _everywhere(engine, text):
        assert ("client.age", "number-too-large") == (error.fields[0], error.problems[0].code)
        assert huge not in str(error)
    answer = json.dumps(contact).replace('"answers": {}', f'"answers": {{"pain_score": -{huge}}}')
    assert "answers" == _refused(lambda: parse_contact(answer)).fields[0]
    unknown = _text(contact, f'"{IDENTITY_CODE}": [{huge}]')
    error = _refused(lambda: parse_contact(unknown))
    assert ("<contact>", "number-too-large") == (error.fields[0], error.problems[0].code)
    assert IDENTITY_CODE not in str(error)
    # 1,000 digits are read, and refused by the field's own bound.
    thousand = json.dumps(contact).replace('"age": 40', f'"age": {"9" * 1_000}')
    assert "less-than-equal" == _refused(lambda: parse_contact(thousand)).problems[0].code


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("1e400", "int-type"),
        ("-1e400", "int-type"),
        ("NaN", "json-invalid"),
        ("Infinity", "json-invalid"),
    ],
)
def test_floats_beyond_json_name_the_field(
    engine: Engine, make_contact: Make, number: str, code: str
) -> None:
    """1e400 (infinity when read), NaN and Infinity (not JSON): a ContactError at the
    field, never OverflowError."""
    text = json.dumps(make_contact()).replace('"age": 40', f'"age": {number}')
    for error in _everywhere(engine, text):
        assert ("client.age", code) == (error.fields[0], error.problems[0].code)
    answer = json.dumps(make_contact()).replace(
        '"answers": {}', f'"answers": {{"pain_score": {number}}}'
    )
    assert _refused(lambda: engine.assess(answer)).fields[0].startswith("answers")


def test_a_key_given_twice_is_refused(engine: Engine, make_contact: Make) -> None:
    """JSON that gives a key twice is ambiguous (json keeps the last, silently): refused
    with code json-duplicate-key, naming the field; a key that is no field name is not
    echoed."""
    contact = make_contact()
    for error in _everywhere(engine, _text(contact, '"channel": "chat"')):
        assert ("channel", "json-duplicate-key") == (error.fields[0], error.problems[0].code)
    twice = json.dumps(contact).replace('"age": 40', '"age": 40, "age": 41')
    assert "client.age" == _refused(lambda: parse_contact(twice)).fields[0]
    answers = json.dumps(contact).replace(
        '"answers": {}', f'"answers": {{"{IDENTITY_CODE}": true, "{IDENTITY_CODE}": false}}'
    )
    error = _refused(lambda: engine.assess(answers.encode()))
    assert ("answers", "json-duplicate-key") == (error.fields[0], error.problems[0].code)
    assert IDENTITY_CODE not in str(error).lower()
    assert IDENTITY_CODE not in json.dumps(error.to_json()).lower()


def test_a_byte_order_mark_is_accepted(engine: Engine, make_contact: Make) -> None:
    """A UTF-8 byte order mark (Windows editors write one) is skipped, in text and bytes."""
    text = json.dumps(make_contact())
    for data in ("\ufeff" + text, b"\xef\xbb\xbf" + text.encode()):
        assert "t-1" == parse_contact(data).contact_id
        assert "t-1" == engine.assess(data).contact_id


def test_bytes_that_are_not_utf8_are_refused(engine: Engine, make_contact: Make) -> None:
    """Latin-1 and UTF-16 bytes: json-invalid (UTF-16 was read as JSON before)."""
    text = json.dumps(make_contact(free_text="äiti"), ensure_ascii=False)
    for data in (text.encode("latin-1"), text.encode("utf-16"), text.encode("utf-32")):
        for error in _everywhere(engine, data):
            assert ("<json>", "json-invalid") == (error.fields[0], error.problems[0].code)


@pytest.mark.parametrize("data", ["[]", '"contact"', "42", "null", "true", b"[1]"])
def test_a_document_that_is_not_an_object_is_refused(engine: Engine, data: str | bytes) -> None:
    for error in _everywhere(engine, data):
        assert ("<contact>", "contact-type") == (error.fields[0], error.problems[0].code)


def test_a_huge_document_is_refused_and_a_full_one_is_read(make_contact: Make) -> None:
    """Over 256 KiB: json-too-large, before any reading. A contact at every limit of the
    form (10,000 characters of free text written as escapes, 100 concerns, 500 answers)
    is smaller, and read."""
    contact = make_contact()
    huge = _text(contact, '"x": "' + "a" * MAX_CONTACT_SIZE + '"')
    for data in (huge, huge.encode()):
        error = _refused(lambda: parse_contact(data))  # noqa: B023 -- called at once
        assert ("<json>", "json-too-large") == (error.fields[0], error.problems[0].code)
    full = make_contact(
        free_text="\U0001f600" * 5_000,
        concerns=[f"c{i:02}" + "x" * 60 for i in range(MAX_CONTACT_CONCERNS)],
        answers={f"q{i:03}" + "x" * 60: 123456789.5 for i in range(MAX_CONTACT_ANSWERS)},
    )
    text = json.dumps(full)  # ensure_ascii: every emoji is 12 characters of escapes
    assert len(text) < MAX_CONTACT_SIZE
    assert MAX_CONTACT_ANSWERS == len(parse_contact(text).answers)


def test_more_concerns_or_answers_than_any_form_has_are_refused_at_once(
    engine: Engine, make_contact: Make
) -> None:
    """10,000 unknown concerns or answers: one too-long problem, not one problem (and a
    search for the nearest code) for each; the limits exceed every questionnaire's."""
    assert MAX_CONTACT_CONCERNS >= MAX_CONCERNS
    assert MAX_CONTACT_ANSWERS >= MAX_QUESTIONS
    many = make_contact(concerns=[f"c{i}" for i in range(10_000)])
    error = _refused(lambda: engine.assess(json.dumps(many)))
    assert ("concerns", "too-long") == (error.fields[0], error.problems[0].code)
    assert len(error.problems) <= MAX_CONTACT_CONCERNS + 1
    answers = make_contact(answers={f"q{i}": True for i in range(10_000)})
    error = _refused(lambda: engine.assess(answers))
    assert "answers" in error.fields
    assert len(error.problems) <= MAX_CONTACT_ANSWERS + 1


def test_an_unknown_key_named_like_a_type_tag_is_an_unknown_field(make_contact: Make) -> None:
    """A key such as "[" or "int" (pydantic's tags look alike) is an unknown field, not
    an IndexError."""
    for key in ("[", "int", "function-after[x]"):
        error = _refused(lambda: parse_contact(make_contact(**{key: 1})))  # noqa: B023
        assert "unknown-field" == error.problems[0].code


# --------------------------------------------------------------------------- time


@pytest.mark.parametrize(
    "received_at",
    [
        "9999-12-31T23:00:00+00:00",
        "9999-12-31T23:00:00-05:00",  # past datetime.max in UTC
        "0001-01-01T00:00:00+14:00",
        "1900-01-01T10:00:00+02:00",
        "1969-12-31T23:59:59+00:00",
        "2100-01-01T00:00:00+00:00",
    ],
)
def test_a_contact_time_outside_the_years_supported_says_which_years(
    engine: Engine, make_contact: Make, received_at: str
) -> None:
    """received_at outside 1970-2099: timestamp-out-of-range naming the years, in the
    three languages; never OverflowError from the calendar (year 9999) or the error of
    the holidays package (year 1)."""
    contact = make_contact(received_at=received_at)
    for error in _everywhere(engine, contact):
        problem = error.problems[0]
        assert ("received_at", "timestamp-out-of-range") == (problem.field, problem.code)
        assert "1970-2099" in problem.message
        for language in ("fi", "sv", "en"):
            assert "1970" in problem.message_in(language)
            assert "2099" in problem.message_in(language)
    assert "timestamp-out-of-range" in CONTACT_CODES
    aware = datetime(9999, 1, 1, tzinfo=UTC)
    error = _refused(lambda: parse_contact({**contact, "received_at": aware}))
    assert "timestamp-out-of-range" == error.problems[0].code


def test_the_edges_of_the_years_supported_are_accepted(engine: Engine, make_contact: Make) -> None:
    for received_at in ("1970-01-01T00:00:00+00:00", "2099-12-31T23:59:59+00:00"):
        assert engine.assess(make_contact(received_at=received_at)).clocks is not None


@pytest.mark.parametrize(
    ("birth_date", "code"),
    [
        ("9999-01-01", "date-out-of-range"),
        ("2025-03-05", "date-out-of-range"),  # the day after the contact
        ("0001-01-01", "date-out-of-range"),
        ("1894-03-03", "date-out-of-range"),  # 131 years old
        ("2025-02-30", "date-format"),
        ("25-02-03", "date-format"),
    ],
)
def test_a_birth_date_after_the_contact_or_too_long_ago_is_refused(
    engine: Engine, make_contact: Make, birth_date: str, code: str
) -> None:
    """A birth date after the day of the contact, or more than 130 years before it
    (the oldest age), or not in the calendar: the field, never a wrong age."""
    contact = make_contact(client={"age": None, "birth_date": birth_date})
    for error in _everywhere(engine, contact):
        assert ("client.birth_date", code) == (error.fields[0], error.problems[0].code)


def test_a_birth_date_on_the_day_of_the_contact_is_accepted(make_contact: Make) -> None:
    for born in ("2025-03-04", "1895-03-04"):  # a newborn; 130 years old that day
        contact = make_contact(client={"age": None, "birth_date": born})
        assert born == parse_contact(contact).client.birth_date.isoformat()


@pytest.mark.parametrize(
    "when",
    [
        datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=5))),
        datetime.max.replace(tzinfo=UTC),
        datetime.min.replace(tzinfo=UTC),
        datetime(1969, 12, 31, tzinfo=UTC),
    ],
)
def test_events_and_now_outside_the_years_supported_are_contact_errors(
    engine: Engine, make_contact: Make, when: datetime
) -> None:
    """Engine.assess(events=..., now=...) far in the future or past: the event's field
    and code timestamp-out-of-range, never OverflowError."""
    contact = make_contact()
    error = _refused(lambda: engine.assess(contact, events={"need_assessed": when}))
    assert ("events.need_assessed", "timestamp-out-of-range") == (
        error.fields[0],
        error.problems[0].code,
    )
    error = _refused(lambda: engine.assess(json.dumps(contact), now=when))
    assert ("now", "timestamp-out-of-range") == (error.fields[0], error.problems[0].code)


# --------------------------------------------------------------------------- files


def test_only_a_regular_file_is_read_and_only_so_much(tmp_path: Path) -> None:
    """A directory, a FIFO, /dev/zero, a file over the limit, bytes that are not UTF-8:
    a ContactError (code file) naming the file, at once: no wait, no endless read."""
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    (tmp_path / "dir.json").mkdir()
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 101)
    latin = tmp_path / "latin.json"
    latin.write_bytes("äiti".encode("latin-1"))
    for path, limit in (
        (fifo, MAX_TEXT_FILE_SIZE),
        (tmp_path / "dir.json", MAX_TEXT_FILE_SIZE),
        (Path("/dev/zero"), MAX_TEXT_FILE_SIZE),
        (big, 100),
        (latin, MAX_TEXT_FILE_SIZE),
        (tmp_path / "missing.json", MAX_TEXT_FILE_SIZE),
    ):
        error = _refused(lambda: read_text_file(path, title="t", limit=limit))  # noqa: B023
        assert ("<file>", "file") == (error.fields[0], error.problems[0].code)
        assert str(path) in error.problems[0].message
    assert " " * 100 == read_text_file(big, title="t", limit=101)[:100]


def test_a_contacts_file_line_nested_deep_is_named(tmp_path: Path) -> None:
    """diff's JSON-lines file: a line nested 100,000 deep, a key twice or a 5,000-digit
    integer is named by file and line, never RecursionError or ValueError."""
    path = tmp_path / "c.jsonl"
    lines = ['{"a": 1}', "[" * 100_000 + "]" * 100_000, '{"a": 1, "a": 2}', "9" * 5_000]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    error = _refused(lambda: read_contacts(path))
    assert (f"{path}:2: [0]", f"{path}:3", f"{path}:4") == error.fields
    assert ["json-too-deep", "json-duplicate-key", "number-too-large"] == [
        p.code for p in error.problems
    ]


def test_load_contact_json_reads_what_parse_contact_reads() -> None:
    assert {"a": [1, 2.5, None, True]} == load_contact_json(
        b'\xef\xbb\xbf{"a": [1, 2.5, null, true]}'
    )


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None:
        found.append(seen)
        seen = seen.__cause__ or seen.__context__
    return found


def test_a_refused_document_is_not_kept_in_the_error_chain(tmp_path: Path) -> None:
    """json's and the decoder's errors hold the whole document (``doc``, ``object``): a
    ContactError raised in their handler would carry what the client wrote along in its
    ``__context__``. None of the errors of reading keeps them."""
    written = "Äiti kaatui eikä pärjää 131052-308T"
    latin = tmp_path / "latin.json"
    latin.write_bytes(f'{{"free_text": "{written}"}}'.encode("latin-1"))
    for call in (
        lambda: parse_contact(f'{{"free_text": "{written}"'),  # torn
        lambda: parse_contact(f'{{"free_text": "{written}"}}'.encode("latin-1")),
        lambda: parse_contact(f'{{"free_text": "{written}", "x": {"9" * 5_000}}}'),
        lambda: read_text_file(latin, title="t"),
    ):
        for error in _chain(_refused(call)):
            for value in vars(error).values():
                assert written not in str(value)
                assert written.encode("latin-1") not in (value if isinstance(value, bytes) else b"")
