"""``onecontact next-questions``: the questions still worth asking, for a person (fi, sv,
en) and for a form (JSON); --declined, stdin, bad input and the bundled examples."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

import oneContact.next_questions
from oneContact import Engine
from oneContact._messages import number_text
from oneContact.cli import main

from .conftest import BUNDLED_RULES, REPO

RULES = str(BUNDLED_RULES)
FAST = ("--rules", RULES, "--backend", "python")
SECRET = "salainen kertomus 131052-308T"  # noqa: S105 -- free text, not a password


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_directory(BUNDLED_RULES, backend="python")


def contact(concerns: list[str], answers: dict[str, Any], language: str = "fi") -> dict[str, Any]:
    return {
        "contact_id": "nq-1",
        "received_at": "2025-03-04T10:00:00+02:00",
        "channel": "digital",
        "client": {"age": 40, "language": language},
        "concerns": concerns,
        "answers": answers,
        "free_text": SECRET,
    }


def write(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "contact.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own exits (--help, a bad option)
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- text, in three languages


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "fi",
            [
                "13 kysymystä voi vielä muuttaa päätöstä; kysy ne tässä järjestyksessä:",
                " 1. [hälytysmerkki] Onko sinulla nyt rintakipua tai puristavaa tunnetta "
                "rinnassa?  (chest_pain)",
                "    vastaus: kyllä / ei",
                "    voi muuttaa: kiireellisyys (kiireellisimmillään: hätätilanne), ",
                "    säännöt: acute.chest-pain",
                "vastaus: kokonaisluku 0–10",  # noqa: RUF001 -- Finnish writes ranges so
                "vastaus: tunteja (hours) / päiviä (days) / viikkoja (weeks) / kuukausia (months)",
                "päätös nyt, jos asiakas ei vastaa enempää:",
                "  kiireellisyys: kiireetön",
            ],
        ),
        (
            "sv",
            [
                "13 frågor kan ännu ändra beslutet; ställ dem i den här ordningen:",
                " 1. [varningstecken] Har du nu bröstsmärta eller en tryckande känsla i "
                "bröstet?  (chest_pain)",
                "    svar: ja / nej",
                "    kan ändra: brådskandegrad (som mest: nödsituation), ",
                "    regler: acute.chest-pain",
                "svar: ett heltal 0–10",  # noqa: RUF001 -- Swedish writes ranges so
                "svar: timmar (hours) / dagar (days) / veckor (weeks) / månader (months)",
                "beslutet nu, om klienten inte svarar mer:",
                "  brådskandegrad: icke-brådskande",
            ],
        ),
        (
            "en",
            [
                "13 questions can still change the decision; ask them in this order:",
                " 1. [red flag] Do you have chest pain or pressure in the chest now?  (chest_pain)",
                "    answer: yes / no",
                "    can change: urgency (up to emergency), ",
                "    rules: acute.chest-pain",
                "answer: a whole number from 0 to 10",
                "answer: hours / days / weeks / months",
                "the decision as it stands, if the client answers nothing more:",
                "  urgency: non-urgent",
            ],
        ),
    ],
)
def test_text_is_a_persons_view_in_the_language_asked_for(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, language: str, words: list[str]
) -> None:
    """Header, numbered questions (red flags first, label, id, answers, why, rules) and
    the decision as it stands, in each of fi, sv and en; the free text never appears."""
    path = write(tmp_path, contact(["acute_symptom"], {}))
    code, out, err = run(capsys, "next-questions", path, *FAST, "--language", language)
    assert (0, "") == (code, err)
    lines = out.splitlines()
    assert "nq-1" in lines[0]
    for expected in words:
        assert expected in out, expected
    assert SECRET not in out
    assert "131052" not in out


def test_the_default_language_is_the_clients(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A Swedish-speaking client's form reads Swedish without --language; a language
    other than fi, sv or en reads Finnish."""
    path = write(tmp_path, contact(["acute_symptom"], {}, language="sv"))
    out = run(capsys, "next-questions", path, *FAST)[1]
    assert "Har du nu bröstsmärta eller en tryckande känsla i bröstet?" in out
    path = write(tmp_path, contact(["acute_symptom"], {}, language="ru"))
    out = run(capsys, "next-questions", path, *FAST)[1]
    assert "Onko sinulla nyt rintakipua tai puristavaa tunnetta rinnassa?" in out


def test_the_questions_come_in_the_apis_asking_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, engine: Engine
) -> None:
    """The numbered ids are step.questions in order: red flags before the rest."""
    data = contact(["acute_symptom"], {"chest_pain": False, "pain_score": 6})
    out = run(capsys, "next-questions", write(tmp_path, data), *FAST, "--language", "en")[1]
    shown = [line.rsplit("(", 1)[1].rstrip(")") for line in out.splitlines() if ". " in line[:4]]
    step = engine.next_questions(data)
    assert [q.id for q in step.questions] == shown
    flags = [q.red_flag for q in step.questions]
    assert flags == sorted(flags, reverse=True)
    assert 10 == len(shown)
    assert "chest_pain" not in shown  # answered


def test_the_example_names_the_other_answers_it_needs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Why we ask: children in the household matters when violence is happening now."""
    path = write(tmp_path, contact(["housing"], {}))
    out = run(capsys, "next-questions", path, *FAST, "--language", "en")[1]
    assert (
        'for example, the answers "yes" and "no" give different decisions when '
        "violence_happening_now = yes"
    ) in out
    out = run(capsys, "next-questions", path, *FAST, "--language", "fi")[1]
    assert "antavat eri päätöksen, kun violence_happening_now = kyllä" in out


def test_numbers_are_written_the_languages_way() -> None:
    assert "1 000,5" == number_text(1000.5, "fi")
    assert "1 000,5" == number_text(1000.5, "sv")
    assert "1,000.5" == number_text(1000.5, "en")
    assert "17" == number_text(17.0, "sv")


# ---------------------------------------------------------------- done, and not exact


def test_done_when_nothing_left_can_change_the_decision(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Chest pain under speech therapy with the child's age given: only the interpreting
    question is left; declined, nothing is. Done is exit 0, not a failure."""
    path = write(tmp_path, contact(["speech_therapy"], {"chest_pain": True, "child_age": 5}))
    code, out, _ = run(capsys, "next-questions", path, *FAST, "--format", "json")
    assert 0 == code
    assert ["needs_disability_interpreting"] == [q["id"] for q in json.loads(out)["questions"]]
    declined = ("--declined", "needs_disability_interpreting")
    code, out, _ = run(capsys, "next-questions", path, *FAST, "--format", "json", *declined)
    data = json.loads(out)
    assert 0 == code
    assert (True, True, []) == (data["done"], data["exact"], data["questions"])
    assert "emergency" == data["outcome"]["urgency"]
    for language, said in [
        ("fi", "valmis: mikään jäljellä oleva kysymys ei voi muuttaa päätöstä"),
        ("sv", "klart: ingen fråga som återstår kan ändra beslutet"),
        ("en", "done: nothing left can change the decision"),
    ]:
        code, out, _ = run(capsys, "next-questions", path, *FAST, *declined, "--lang", language)
        assert 0 == code
        assert said == out.splitlines()[1]
        assert not any(line.startswith(" 1. ") for line in out.splitlines())


def test_a_search_past_its_bounds_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """exact False: the text says the list is every open question the rules read, with
    the note, and what each can change is 'not worked out'; the JSON has exact false."""
    monkeypatch.setattr(oneContact.next_questions, "MAX_COMBINATIONS", 1)
    path = write(
        tmp_path,
        contact(["acute_symptom"], {"chest_pain": False, "severe_breathing_difficulty": True}),
    )
    code, out, _ = run(capsys, "next-questions", path, *FAST, "--language", "en")
    assert 0 == code
    assert "not exact: the search reached its bounds" in out
    assert "asked without proof that they matter" in out  # the note
    assert "can change: not worked out (the search reached its bounds)" in out
    out = run(capsys, "next-questions", path, *FAST, "--language", "sv")[1]
    assert "inte exakt: sökningen nådde sina gränser" in out
    data = json.loads(run(capsys, "next-questions", path, *FAST, "--format", "json")[1])
    assert data["exact"] is False
    assert data["note"]
    unproven = [q for q in data["questions"] if q["why"]["witness"] is None]
    assert unproven
    assert all(q["id"] in data["note"] for q in unproven)


# ---------------------------------------------------------------- JSON


def test_json_is_the_steps_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, engine: Engine
) -> None:
    """--format json prints step.to_json(): stable key order, words unescaped."""
    data = contact(["acute_symptom"], {}, language="sv")
    code, out, err = run(capsys, "next-questions", write(tmp_path, data), *FAST, "--format", "json")
    assert (0, "") == (code, err)
    printed = json.loads(out)
    assert engine.next_questions(data).to_json() == printed
    assert ["done", "exact", "note", "questions", "outcome"] == list(printed)
    first = printed["questions"][0]
    assert ["id", "type", "label", "red_flag", "why"] == list(first)
    assert ["rules", "changes", "urgency_up_to", "witness"] == list(first["why"])
    assert "bröstsmärta" in out  # ensure_ascii=False
    by_id = {q["id"]: q for q in printed["questions"]}
    pain = by_id["pain_score"]
    assert (0, 10, True) == (pain["minimum"], pain["maximum"], pain["integer"])
    assert "choices" not in pain
    assert {"id": "days", "label": {"fi": "päiviä", "sv": "dagar", "en": "days"}} in by_id[
        "symptom_duration"
    ]["choices"]
    assert SECRET not in out


# ---------------------------------------------------------------- declined, stdin


def test_declined_questions_are_not_asked_again(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--declined takes several ids, and may be repeated."""
    path = write(tmp_path, contact(["acute_symptom"], {}))
    asked = ("next-questions", path, *FAST, "--format", "json")
    before = [q["id"] for q in json.loads(run(capsys, *asked)[1])["questions"]]
    declined = ("--declined", "chest_pain", "pregnant", "--declined", "stroke_symptoms")
    code, out, _ = run(capsys, *asked, *declined)
    after = [q["id"] for q in json.loads(out)["questions"]]
    assert 0 == code
    assert {"chest_pain", "pregnant", "stroke_symptoms"} <= set(before)
    assert [q for q in before if q not in {"chest_pain", "pregnant", "stroke_symptoms"}] == after


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_an_unknown_declined_question_is_refused_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    """A typo would ask the question again without a word: exit 2 with the nearest id;
    an id that may be personal data is not repeated."""
    path = write(tmp_path, contact(["acute_symptom"], {}))
    code, out, err = run(
        capsys,
        "next-questions",
        path,
        *FAST,
        "--format",
        fmt,
        "--declined",
        "chest_pian",
        "131052-308T",
    )
    assert (2, "") == (code, out)
    assert "131052" not in err
    if fmt == "text":
        assert "--declined chest_pian: unknown question (did you mean 'chest_pain'?)" in err
    else:
        problems = json.loads(err)["problems"]
        assert ["--declined chest_pian", "--declined <not shown>"] == [p["field"] for p in problems]
        assert {"unknown-question"} == {p["code"] for p in problems}
        assert "Frågan är okänd." == problems[0]["messages"]["sv"]


def test_the_contact_can_come_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = json.dumps(contact(["acute_symptom"], {}, language="en")).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = run(capsys, "next-questions", "-", *FAST)
    assert 0 == code
    assert "13 questions can still change the decision" in out


# ---------------------------------------------------------------- bad input, bad rules


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_bad_contact_exits_2_naming_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    """Exit 2, nothing on stdout, the field named, no traceback, nothing echoed; with
    --format json the error is JSON on stderr, as for assess."""
    bad = contact(["acute_symptom"], {"pain_score": 11, "chest_pian": True})
    path = write(tmp_path, bad)
    code, out, err = run(capsys, "next-questions", path, *FAST, "--format", fmt)
    assert (2, "") == (code, out)
    assert "Traceback" not in err
    assert SECRET not in err
    if fmt == "text":
        assert "answers.pain_score: must be at most 10" in err
        assert "answers.chest_pian" in err
    else:
        fields = {p["field"] for p in json.loads(err)["problems"]}
        assert {"answers.pain_score", "answers.chest_pian"} == fields


def test_a_missing_file_and_a_bad_rules_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A file that is not there is bad input (2); rules that do not load exit 1."""
    code, out, err = run(capsys, "next-questions", str(tmp_path / "none.json"), *FAST)
    assert (2, "") == (code, out)
    path = write(tmp_path, contact(["acute_symptom"], {}))
    code, out, err = run(capsys, "next-questions", path, "--rules", str(tmp_path / "nowhere"))
    assert (1, "") == (code, out)
    assert "missing-directory" in err
    assert "1 problem; nothing was loaded" in err


def test_a_bad_option_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, contact(["acute_symptom"], {}))
    code, out, err = run(capsys, "next-questions", path, "--format", "yaml")
    assert (2, "") == (code, out)
    assert "invalid choice: 'yaml'" in err


# ---------------------------------------------------------------- the bundled examples, help


def test_the_bundled_example_contact(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/contact.json with the default rules and evaluator, in both formats."""
    example = str(REPO / "examples" / "contact.json")
    code, out, err = run(capsys, "next-questions", example, "--rules", RULES)
    assert (0, "") == (code, err)
    assert out.startswith("yhteydenotto omaks-2025-000123\n12 kysymystä")
    assert "Äiti" not in out
    code, out, _ = run(capsys, "next-questions", example, "--rules", RULES, "--format", "json")
    data = json.loads(out)
    assert (0, False) == (code, data["done"])
    assert "chest_pain" == data["questions"][0]["id"]


def test_every_line_of_the_example_contacts(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    engine: Engine,
) -> None:
    """Each contact of examples/contacts.jsonl, read from stdin, gives its step."""
    lines = (REPO / "examples" / "contacts.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 3
    for line in filter(None, lines):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(line.encode())))
        code, out, err = run(capsys, "next-questions", "-", *FAST, "--format", "json")
        assert (0, "") == (code, err), line[:40]
        assert engine.next_questions(line).to_json() == json.loads(out)


def test_help_lists_the_command_and_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert 0 == code
    assert "next-questions" in out
    assert "the unanswered questions" in out
    code, out, _ = run(capsys, "next-questions", "--help")
    assert 0 == code
    for option in ("--rules DIR", "--region NAME", "--format {text,json}", "--language"):
        assert option in out
    assert "--declined ID [ID ...]" in out


def test_the_reference_shows_the_usage_of_today(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/reference/cli.md shows what --help prints: the command list (at 100
    columns) and the usage of next-questions (at 80, as the other commands' are)."""
    page = (REPO / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    # Compared word for word, not line for line: argparse wraps a usage line where it is
    # exactly at the width differently from Python 3.13 on.
    words = " ".join(page.split())
    monkeypatch.setenv("COLUMNS", "100")
    out = run(capsys, "--help")[1]
    assert " ".join(out.split()) in words
    monkeypatch.setenv("COLUMNS", "80")
    out = run(capsys, "next-questions", "--help")[1]
    assert " ".join(out.partition("\n\n")[0].split()) in words
