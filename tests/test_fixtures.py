"""The fixture file reader (oneContact.fixtures): every mistake of a file at once, with
the loaders' codes; the plugin's oneContact.testing.fixtures is the same module's API."""

from __future__ import annotations

from pathlib import Path

import pytest

from oneContact import Engine
from oneContact.errors import FixtureProblem, OneContactError
from oneContact.fixtures import FixtureCase, check_case, load_fixture_file

from .conftest import write_rules

BASE = """\
base_contact:
  contact_id: f-1
  received_at: "2025-03-04T10:00:00+02:00"
  channel: phone
  client: {age: 40}
  concerns: [acute_symptom]
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cases.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_mistake_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    """Three mistakes, three problems: each with its code, line and suggestion."""
    path = _file(
        tmp_path,
        BASE
        + "regoin: x\n"
        + "cases:\n"
        + "  - name: a\n    expect: {urgncy: urgent}\n"
        + "  - name: a\n    expect: {urgency: urgent}\n",
    )
    with pytest.raises(FixtureProblem) as info:
        load_fixture_file(path)
    problems = info.value.problems
    assert [(p.code, p.line, p.suggestion) for p in problems] == [
        ("unknown-key", 7, "region"),
        ("unknown-key", 10, "urgency"),
        ("duplicate-id", 11, None),
    ]
    assert str(info.value).splitlines() == [
        f"{path}:7: unknown key 'regoin' (did you mean 'region'?)",
        f"{path}:10: unknown expectation 'urgncy' (did you mean 'urgency'?)",
        f"{path}:11: case name 'a' is used twice in this file",
    ]
    assert isinstance(info.value, OneContactError)
    assert isinstance(info.value, ValueError)


def test_a_file_that_is_not_yaml_names_the_loader_code(tmp_path: Path) -> None:
    """A YAML mistake prints as a rules file's does, with its code."""
    path = _file(tmp_path, "cases: [\n")
    with pytest.raises(FixtureProblem) as info:
        load_fixture_file(path)
    assert "yaml-syntax" == info.value.problems[0].code
    assert f"{path}:" in str(info.value)
    assert ": yaml-syntax: " in str(info.value)


def test_a_fixture_path_that_is_no_regular_file_is_a_fixture_problem(tmp_path: Path) -> None:
    """A folder named like a fixture file, or a recursive alias: the problem, with its
    code, never an OSError or a RecursionError."""
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    with pytest.raises(FixtureProblem) as info:
        load_fixture_file(folder)
    assert ": not-a-file: " in str(info.value)
    looped = _file(tmp_path, "base_contact: &b {answers: *b}\ncases: []\n")
    with pytest.raises(FixtureProblem) as info:
        load_fixture_file(looped)
    assert ": yaml-recursive-alias: " in str(info.value)


def test_a_region_that_is_no_file_name_is_refused(tmp_path: Path) -> None:
    """``region`` is a region file's name: fixture-bad-region at its line."""
    path = _file(tmp_path, BASE + "region: Etelä Pohjanmaa\ncases: []\n")
    with pytest.raises(FixtureProblem) as info:
        load_fixture_file(path)
    assert [("fixture-bad-region", 7)] == [(p.code, p.line) for p in info.value.problems]


def test_the_plugin_module_re_exports_the_reader() -> None:
    """oneContact.testing.fixtures is the library's reader, for old imports."""
    from oneContact import fixtures as library
    from oneContact.testing import fixtures as plugin

    assert plugin.__all__ == library.__all__
    assert all(getattr(plugin, name) is getattr(library, name) for name in plugin.__all__)


@pytest.mark.parametrize(
    ("now", "said"),
    [
        ("2025-03-04T12:00:00", "now: '2025-03-04T12:00:00' needs a UTC offset"),
        ("tomorrow", "now: 'tomorrow' is not an RFC 3339 timestamp"),
    ],
)
def test_a_case_timestamp_is_read_as_every_timestamp_option(
    tmp_path: Path, now: str, said: str
) -> None:
    """A case's ``now`` without an offset, or no timestamp at all, fails that case."""
    engine = Engine.from_directory(write_rules(tmp_path / "rules"), backend="python")
    case = FixtureCase(
        name="a",
        path=tmp_path / "cases.yaml",
        line=1,
        contact={},
        events={},
        now=now,
        expect={"urgency": "urgent"},
    )
    assert [said] == check_case(engine, case)
