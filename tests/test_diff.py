"""diff: the decisions a rule change alters; replay: a stored assessment against its rules.

The change under test widens the test rules' self-care threshold from pain under 4 to pain
under 6. A rule author expects exactly the acute contacts with pain 4 or 5 (and no chest
pain) to move from the default non_urgent to self_care, gaining the self-care routes;
their clocks stay (acute.any still starts them).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oneContact import ContactError, Engine
from oneContact.cli import main
from oneContact.diff import ReplayError, diff_rules, read_contacts, replay

from .conftest import ACUTE, QUESTIONNAIRE, REPO, write_rules

MakeContact = Callable[..., dict[str, Any]]


@pytest.fixture
def wider(tmp_path: Path) -> Path:
    return write_rules(
        tmp_path / "rules-new",
        acute=textwrap.dedent(ACUTE).replace("pain_score < 4", "pain_score < 6"),
    )


def _contacts(make_contact: MakeContact) -> list[dict[str, Any]]:
    return [
        make_contact(contact_id="c-pain-2", answers={"pain_score": 2}),
        make_contact(contact_id="c-pain-5", answers={"pain_score": 5}),
        make_contact(contact_id="c-pain-4-chest", answers={"pain_score": 4, "chest_pain": True}),
        make_contact(contact_id="c-pain-4", answers={"pain_score": 4}),
        make_contact(contact_id="c-pain-7", answers={"pain_score": 7}),
        make_contact(contact_id="c-home", concerns=["home_care"], client={"age": 80}),
    ]


def _jsonl(tmp_path: Path, contacts: list[Any], name: str = "contacts.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(
        "\n".join(c if isinstance(c, str) else json.dumps(c) for c in contacts) + "\n",
        encoding="utf-8",
    )
    return path


def test_the_contacts_a_change_moves_are_counted_and_listed(
    rules_dir: Path, wider: Path, make_contact: MakeContact
) -> None:
    """Pain 4 and 5 move to self_care with new routes; nothing else changes."""
    old = Engine.from_directory(rules_dir, backend="python")
    new = Engine.from_directory(wider, backend="python")
    contacts = list(enumerate(_contacts(make_contact), 1))
    result = diff_rules(old, new, contacts)
    assert 6 == result.contacts
    assert ["c-pain-5", "c-pain-4"] == [c.contact_id for c in result.changes]
    assert [2, 4] == [c.line for c in result.changes]
    assert (2, 2, 0) == (result.count("urgency"), result.count("routes"), result.count("clocks"))
    assert {
        ("self_care", "self_care"): 1,
        ("non_urgent", "self_care"): 2,
        ("emergency", "emergency"): 1,
        ("non_urgent", "non_urgent"): 2,
    } == dict(result.urgency_table)
    moved = result.changes[0]
    assert "urgency non_urgent -> self_care" in moved.summary()
    assert "+self_care_material (digital_channel)" in moved.summary()
    assert old.digest == result.old_digest
    assert new.digest == result.new_digest


def test_a_contact_the_new_questionnaire_refuses_is_a_change(
    rules_dir: Path, tmp_path: Path, make_contact: MakeContact
) -> None:
    """Dropping a question: contacts that answer it are refused by the new rules."""
    without = QUESTIONNAIRE.replace(
        "  - id: lives_alone\n    type: boolean\n    label: {fi: Asuu yksin, sv: Bor ensam, en: Lives alone}\n",
        "",
    )
    assert without != QUESTIONNAIRE
    new_dir = write_rules(tmp_path / "dropped", questionnaire=without)
    old = Engine.from_directory(rules_dir, backend="python")
    new = Engine.from_directory(new_dir, backend="python")
    contacts = [(1, make_contact(contact_id="c-alone", answers={"lives_alone": True}))]
    result = diff_rules(old, new, contacts)
    (change,) = result.changes
    assert ("refused",) == change.changed
    assert ("answers.lives_alone",) == change.refused
    assert change.new is None
    assert {("non_urgent", None): 1} == dict(result.urgency_table)


def test_a_contact_both_refuse_is_bad_input_naming_file_and_line(
    rules_dir: Path, wider: Path, make_contact: MakeContact
) -> None:
    """Invalid for both rules: ContactError with source:line and the field, no result."""
    old = Engine.from_directory(rules_dir, backend="python")
    new = Engine.from_directory(wider, backend="python")
    contacts = [(1, make_contact()), (3, make_contact(answers={"pain_score": 11}))]
    with pytest.raises(ContactError) as info:
        diff_rules(old, new, contacts, source="c.jsonl")
    assert ("c.jsonl:3: answers.pain_score",) == info.value.fields


def test_a_line_that_is_not_json_is_named(tmp_path: Path) -> None:
    """Every line that is not JSON is named; blank lines are skipped."""
    path = _jsonl(tmp_path, ['{"a": 1}', "", "{oops", '{"b": 2}', "[1,"])
    with pytest.raises(ContactError) as info:
        read_contacts(path)
    assert (f"{path}:3", f"{path}:5") == info.value.fields
    assert [(1, {"a": 1}), (4, {"b": 2})] == read_contacts(
        _jsonl(tmp_path, ['{"a": 1}', "", "", '{"b": 2}'], "ok.jsonl")
    )


def test_cli_diff_text_and_json(
    rules_dir: Path,
    wider: Path,
    make_contact: MakeContact,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The command prints the summary, the table and the first N changes; no free text."""
    contacts = _contacts(make_contact)
    contacts[1]["free_text"] = "Selkä on kipeä SALAINEN-XYZ"
    path = _jsonl(tmp_path, contacts)
    base = ["diff", "--old", str(rules_dir), "--new", str(wider), str(path)]
    assert 0 == main([*base, "--limit", "1"])
    out = capsys.readouterr().out
    assert "contacts: 6; decisions changed: 2 (urgency 2, routes 2, clocks 0)" in out
    assert "changed contacts (first 1 of 2):" in out
    assert "line 2  c-pain-5: urgency non_urgent -> self_care" in out
    assert "c-pain-4:" not in out
    assert "SALAINEN" not in out
    assert 0 == main([*base, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert (6, 2, 2, 2, 0) == (
        data["contacts"],
        data["changed"],
        data["changed_urgency"],
        data["changed_routes"],
        data["changed_clocks"],
    )
    assert {"old": "non_urgent", "new": "self_care", "contacts": 2} in data["urgency_table"]
    assert "SALAINEN" not in json.dumps(data)


def test_cli_diff_bad_input_exit_2(
    rules_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing file and a bad line: exit 2, the problem on stderr, nothing on stdout."""
    base = ["diff", "--old", str(rules_dir), "--new", str(rules_dir)]
    assert 2 == main([*base, str(tmp_path / "missing.jsonl")])
    captured = capsys.readouterr()
    assert "cannot read" in captured.err
    assert "" == captured.out
    assert 2 == main([*base, str(_jsonl(tmp_path, ["{oops"]))])
    assert "contacts.jsonl:1: not valid JSON" in capsys.readouterr().err


def test_the_bundled_example_contacts_are_valid_and_unchanged_against_themselves() -> None:
    """examples/contacts.jsonl (used in the docs) is valid for the bundled rules."""
    engine = Engine.from_directory(REPO / "rules", backend="python")
    contacts = read_contacts(REPO / "examples" / "contacts.jsonl")
    assert len(contacts) >= 12
    result = diff_rules(engine, engine, contacts)
    assert 0 == result.changed
    # Across concerns and every urgency level, as the docs say.
    assert {"emergency", "urgent", "non_urgent", "self_care"} == {
        old for old, _ in result.urgency_table
    }
    assert len({c for _, contact in contacts for c in contact["concerns"]}) >= 10


# ---------------------------------------------------------------- replay


def test_replay_reproduces_a_stored_assessment(
    rules_dir: Path, wider: Path, make_contact: MakeContact
) -> None:
    """The stored JSON names its digest; the same rules reproduce it, others refuse."""
    engine = Engine.from_directory(rules_dir, backend="python")
    contact = make_contact(answers={"pain_score": 5})
    stored = json.dumps(engine.assess(contact).to_json())
    assessment, differing = replay(engine, contact, stored)
    assert () == differing
    assert engine.digest == assessment.ruleset_digest
    tampered = {**json.loads(stored), "urgency": "urgent"}
    assert ("urgency",) == replay(engine, contact, tampered)[1]
    with pytest.raises(ReplayError, match="made by rules with digest"):
        replay(Engine.from_directory(wider, backend="python"), contact, stored)
    with pytest.raises(ReplayError, match="no 'ruleset_digest'"):
        replay(engine, contact, {"urgency": "urgent"})


def test_replay_reads_clocks_stored_before_they_said_whose_right_they_follow(
    rules_dir: Path, make_contact: MakeContact
) -> None:
    """A stored assessment whose clocks have no 'for' (made before it existed) is the
    client's own: reproduced. A stored clock for another person than now differs."""
    engine = Engine.from_directory(rules_dir, backend="python")
    contact = make_contact(answers={"pain_score": 5})
    stored = engine.assess(contact).to_json()
    assert stored["clocks"], "the contact must start clocks for this test to mean anything"
    older = {
        **stored,
        "clocks": [{k: v for k, v in c.items() if k != "for"} for c in stored["clocks"]],
    }
    assert () == replay(engine, contact, older)[1]
    other = {**stored, "clocks": [{**c, "for": "child"} for c in stored["clocks"]]}
    assert ("clocks",) == replay(engine, contact, other)[1]
