"""No personal data leaves through us: an identity code, with every century sign, alone or
in text, upper or lower case, is refused in every field that takes text, and no error,
message or chained exception repeats it (docs/reference/personal-data.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from oneContact import Engine, parse_contact
from oneContact.cli import main
from oneContact.clocks import ClockSubject
from oneContact.errors import (
    ArgumentError,
    ContactError,
    FixtureProblem,
    OneContactError,
    RuleError,
    parse_timestamp,
)
from oneContact.explain import explain, why_not
from oneContact.fixtures import FixtureCase, check_case, load_fixture_file
from oneContact.identity_code import check_character
from oneContact.intake import FirstContact
from oneContact.ledger import Ledger, LedgerError

from .conftest import BUNDLED_RULES

SIGNS = "+-YXWVUABCDEF"


def _code(sign: str, i: int) -> str:
    century = 1800 if sign == "+" else 1900 if sign in "-YXWVU" else 2000
    day = date(century + (17 * i + 3) % 100, 1 + i % 12, 1 + (7 * i) % 28)
    ddmmyy = day.strftime("%d%m") + f"{day.year % 100:02d}"
    number = f"{2 + (97 * i) % 998:03d}"
    return f"{ddmmyy}{sign}{number}{check_character(ddmmyy, number)}"


#: One code per century sign, then the same in lower case.
CODES = [_code(sign, i) for i, sign in enumerate(SIGNS)]
CODES += [c.lower() for c in CODES]
#: Each code alone and inside text that an id or a field name might hold.
TEXTS = [
    (text, code)
    for i, code in enumerate(CODES)
    for text in (code, f"id_{code}" if i % 2 else f"x:{code}.y", f"p {code} q")
]


def chain(exc: BaseException) -> Iterator[BaseException]:
    """*exc* and every exception chained to it (``__cause__``, ``__context__``)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo += [item.__cause__, item.__context__]


def everything_said(exc: BaseException) -> str:
    """Every text an error carries: str, repr, JSON, and each attribute of each exception
    in its chain (pydantic's ValidationError keeps ``input_value`` there)."""
    parts: list[str] = []
    for item in chain(exc):
        parts += [str(item), repr(item), repr(item.args)]
        parts += [f"{k}={v!r}" for k, v in vars(item).items()]
        errors = getattr(item, "errors", None)
        if callable(errors):
            parts.append(repr(errors()))
        to_json = getattr(item, "to_json", None)
        if callable(to_json):
            parts.append(json.dumps(to_json(), ensure_ascii=False))
    return "\n".join(parts)


def assert_unsaid(exc: BaseException, code: str) -> None:
    said = everything_said(exc).lower()
    assert code.lower() not in said
    assert code[:6] + code[7:10] not in said  # not even the digits


def _contact(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "contact_id": "c-1",
        "received_at": "2025-03-04T10:00:00+02:00",
        "channel": "phone",
        "client": {"age": 40},
        "concerns": ["acute_symptom"],
        "answers": {},
    }
    return {**base, **over}


def contacts_with(text: str) -> dict[str, dict[str, Any]]:
    """A contact with *text* in each field that takes text."""
    return {
        "contact_id": _contact(contact_id=text),
        "professional id": _contact(client={"age": 40, "named_professionals": {"nurse": text}}),
        "professional role": _contact(client={"age": 40, "named_professionals": {text: "p-1"}}),
        "answer key": _contact(answers={text: True}),
        "answer value": _contact(answers={"symptom_duration": text}),
        "concern": _contact(concerns=[text]),
        "municipality": _contact(municipality=text),
        "unknown field": _contact(**{text: 1}),
        "unknown client field": _contact(client={"age": 40, text: 1}),
    }


ENGINE = Engine.from_directory(BUNDLED_RULES, backend="python")


@pytest.mark.parametrize(("text", "code"), TEXTS)
def test_every_field_refuses_an_identity_code_and_never_repeats_it(text: str, code: str) -> None:
    for field, contact in contacts_with(text).items():
        for parse in (parse_contact, ENGINE.validate):
            with pytest.raises(ContactError) as info:
                parse(contact)
            assert_unsaid(info.value, code)
        with pytest.raises(ContactError) as info:
            parse_contact(json.dumps(contact))
        assert_unsaid(info.value, code)
        assert field  # named for the failure report


@pytest.mark.parametrize(("text", "code"), TEXTS[::3])
def test_event_names_are_refused_unrepeated(text: str, code: str) -> None:
    at = ENGINE.validate(_contact()).received_at
    with pytest.raises(ContactError) as info:
        ENGINE.assess(_contact(), events={text: at})
    assert_unsaid(info.value, code)
    policies = ENGINE.ruleset.policies
    for call in (
        lambda: policies.starts_on(text),
        lambda: policies.compute(
            ("care",), subject=ClockSubject(age=40), received_at=at, events={text: at}
        ),
        lambda: policies.compute(
            ("care",), subject=ClockSubject(age=40), received_at=at, events={"need_assessed": text}
        ),
    ):
        with pytest.raises(ArgumentError) as refused:
            call()
        assert_unsaid(refused.value, code)


def test_a_mistyped_code_is_refused_in_text_values_not_in_ids() -> None:
    """A wrong check character: still personal data in a text value; an id is refused
    only for a valid code (so generated ids never are)."""
    typo = "131052-308U"
    for contact in (_contact(municipality=f"near {typo}"), _contact(answers={"q": typo})):
        with pytest.raises(ContactError, match="identity code") as info:
            parse_contact(contact)
        assert_unsaid(info.value, typo)
    assert parse_contact(_contact(contact_id=typo)).contact_id == typo


def test_a_contact_error_keeps_no_input_value_in_its_chain() -> None:
    """pydantic's ValidationError holds every input value (``input_value``); json's
    JSONDecodeError the whole text. Neither is kept as the ContactError's context."""
    secret = "Matti Virtanen, 131052-308T"  # noqa: S105 - a made-up identity code
    bad = _contact(contact_id=secret, client={"age": secret}, free_text=[secret])
    for given in (bad, json.dumps(bad), json.dumps(bad)[:-1], json.dumps(bad).encode()[:-1]):
        with pytest.raises(ContactError) as info:
            parse_contact(given)
        assert secret.lower() not in everything_said(info.value).lower()
        assert "Virtanen" not in everything_said(info.value)
        assert all(isinstance(e, OneContactError) for e in chain(info.value))


def test_unknown_names_are_shown_only_when_they_cannot_be_a_code() -> None:
    """An identifier with no run of six digits is named; anything else is not shown."""
    with pytest.raises(ContactError) as info:
        parse_contact(_contact(colour=1, **{"131052a308t": 1}))
    assert {"colour", "<not shown>"} == set(info.value.fields)
    with pytest.raises(ContactError) as info:
        ENGINE.validate(_contact(answers={"pain_scor": 3, "my answer": 1}))
    assert "answers.pain_scor" in info.value.fields
    assert "answers.<not shown>" in info.value.fields
    assert "did you mean 'pain_score'" in str(info.value)


@pytest.mark.parametrize("code", CODES)
def test_region_level_and_clock_names_are_not_repeated(code: str) -> None:
    with pytest.raises(RuleError) as rule_error:
        Engine.from_directory(BUNDLED_RULES, backend="python", region=code)
    assert "(not shown)" in str(rule_error.value)
    assert_unsaid(rule_error.value, code)
    with pytest.raises(ArgumentError) as argument_error:
        why_not(ENGINE, _contact(), code)
    assert_unsaid(argument_error.value, code)


# --------------------------------------------------------------------------- the CLI


@pytest.fixture(scope="module")
def contact_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("contact") / "c.json"
    path.write_text(json.dumps(_contact()), encoding="utf-8")
    return path


AT = "2025-03-04T11:00:00+02:00"
#: Each option that takes a name, an id or a value, with where the code goes.
CLI_RUNS = [
    ["assess", "{contact}", "--event", "{code}=" + AT],
    ["assess", "{contact}", "--event", "need_assessed={code}"],
    ["assess", "{contact}", "--region", "{code}"],
    ["assess", "{contact}", "--format", "{code}"],
    ["assess", "{contact}", "p {code}"],
    ["explain", "{contact}", "--why-not", "{code}"],
    ["ledger", "record", "--db", "{db}", "--event", "{code}=" + AT, "--contact-id", "c-1",
     "--event-id", "e-1"],
    ["ledger", "record", "--db", "{db}", "--event", "need_assessed=" + AT, "--contact-id",
     "x_{code}", "--event-id", "e-1"],
    ["ledger", "record", "--db", "{db}", "--event", "need_assessed=" + AT, "--contact-id",
     "c-1", "--event-id", "{code}"],
    ["ledger", "clocks", "{code}", "--db", "{db}"],
    ["ledger", "due", "--db", "{db}", "--within", "{code}"],
    ["ledger", "report", "--db", "{db}", "--since", "2025-01-01", "--until", "2025-02-01",
     "--by", "service,{code}"],
    ["ledger", "report", "--db", "{db}", "--since", "{code}", "--until", "2025-02-01"],
    ["next-questions", "{contact}", "--declined", "{code}"],
    ["next-questions", "{contact}", "--declined", "x_{code}", "--format", "json"],
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "code"),
    # Each run a different sign, every other one in lower case: every sign is used.
    [(argv, CODES[i % len(SIGNS) + len(SIGNS) * (i % 2)]) for i, argv in enumerate(CLI_RUNS)],
)
def test_cli_options_never_repeat_a_code(
    argv: list[str],
    code: str,
    capsys: pytest.CaptureFixture[str],
    contact_file: Path,
    tmp_path: Path,
) -> None:
    """Refused (exit 2, or 1 for a rules problem such as an unknown region), unrepeated."""
    db = f"sqlite:///{tmp_path / 'l.db'}"
    args = [a.format(code=code, contact=contact_file, db=db) for a in argv]
    try:
        status = main([*args, "--backend", "python"])
    except SystemExit as exit_:  # argparse's own refusals
        status = int(exit_.code or 0)
    out, err = capsys.readouterr()
    assert status in (1, 2)
    assert code.lower() not in (out + err).lower()
    assert "Traceback" not in err


def test_free_municipality_text_is_not_shown_in_an_explanation(tmp_path: Path) -> None:
    """The municipality is free text: a rule's trace shows it only when the rule names
    the same value."""
    rules = tmp_path / "rules"
    rules.mkdir()
    for item in BUNDLED_RULES.iterdir():
        target = rules / item.name
        if item.is_dir():
            target.symlink_to(item)
        else:
            target.write_text(item.read_text(encoding="utf-8"), encoding="utf-8")
    (rules / "local.yaml").write_text(
        "rules:\n"
        "  - id: local.kyla\n"
        "    when: \"municipality == 'kyla' and 'acute_symptom' in concerns\"\n"
        "    urgency: non_urgent\n",
        encoding="utf-8",
    )
    engine = Engine.from_directory(rules, backend="python")
    typed = "Kotikylä, Matti Virtanen"
    for municipality, shown in ((typed, "(not shown)"), ("kyla", "kyla")):
        contact = engine.validate(_contact(municipality=municipality))
        explanation = explain(engine, contact)
        said = explanation.to_text() + json.dumps(explanation.to_json(), ensure_ascii=False)
        assert "Virtanen" not in said
        assert shown in said
        finnish = explanation.to_text(language="fi")
        assert "Virtanen" not in finnish
        assert ("(ei näytetä)" in finnish) == (shown == "(not shown)")
    assert isinstance(engine.validate(_contact()), FirstContact)


@pytest.mark.parametrize("code", CODES[::3])
def test_timestamps_urls_and_fixture_keys_do_not_repeat_a_code(code: str, tmp_path: Path) -> None:
    """Python's own errors quote the text (``Invalid isoformat string: '...'``): none is
    kept in the chain; a ledger URL's scheme and a fixture file's keys are not repeated."""
    with pytest.raises(ArgumentError) as info:
        parse_timestamp(code, "now")
    assert_unsaid(info.value, code)
    with pytest.raises(LedgerError) as ledger_error:
        Ledger.open(f"{code.replace('+', '-')}://x", policies=ENGINE.ruleset.policies)
    assert_unsaid(ledger_error.value, code.replace("+", "-"))
    fixture = tmp_path / "cases.yaml"
    fixture.write_text(
        f"{code}: 1\ncases:\n  - name: a\n    {code}: 2\n    contact: {{}}\n"
        f"    expect: {{urgency: urgent, {code}: 3}}\n",
        encoding="utf-8",
    )
    with pytest.raises(FixtureProblem) as problem:
        load_fixture_file(fixture)
    assert "(not shown)" in str(problem.value)
    assert_unsaid(problem.value, code)
    case = FixtureCase(
        name="a",
        path=fixture,
        line=1,
        contact=_contact(),
        events={code: "2025-03-04T11:00:00+02:00", "need_assessed": code},
        now=None,
        expect={"urgency": "urgent", "fired_include": [code]},
    )
    assert code.lower() not in " ".join(check_case(ENGINE, case)).lower()
