"""The hazard log's controls exist and run in CI (docs/safety/hazard-log.md).

A control the log names but nobody runs is no control. Each control is written in the log
as `kind:reference`; this test fails when one names a lint code, property, test, fixture
case or loader check that does not exist, or that CI does not run.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from oneContact.lint import LINT_CODES
from oneContact.testing.fixtures import load_fixture_file
from oneContact.testing.properties import PROPERTIES

from .conftest import REPO

LOG = REPO / "docs" / "safety" / "hazard-log.md"
CI = (REPO / ".ci" / "run").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
_CONTROL = re.compile(r"`(lint|property|test|fixture|check):([^`]+)`")
_HAZARD = re.compile(r"^### (HAZ-\d{2}) ", re.MULTILINE)


def _controls() -> list[tuple[str, str]]:
    """Every control named under '## Hazards' (the key above it shows the forms)."""
    return _CONTROL.findall(LOG.read_text(encoding="utf-8").split("\n## Hazards", 1)[1])


def _hazards() -> list[tuple[str, str]]:
    """(hazard id, its section's text) in the order of the log."""
    text = LOG.read_text(encoding="utf-8")
    starts = [(m.group(1), m.start()) for m in _HAZARD.finditer(text)]
    ends = [start for _, start in starts[1:]] + [len(text)]
    return [(hid, text[start:end]) for (hid, start), end in zip(starts, ends, strict=True)]


def test_every_hazard_has_cause_effect_and_a_control() -> None:
    """Numbered in order from HAZ-01, each with its cause, effect, risk and controls."""
    hazards = _hazards()
    assert len(hazards) >= 10
    assert [f"HAZ-{i:02d}" for i in range(1, len(hazards) + 1)] == [h for h, _ in hazards]
    for hazard, section in hazards:
        for part in ("**Cause", "**Effect", "**Risk", "**Controls", "**Residual"):
            assert part in section, f"{hazard} lacks {part}"
        assert _CONTROL.search(section), f"{hazard} names no control"


def _test_names(path: Path) -> dict[str, list[str]]:
    """Each test function of *path* and the names of its decorators."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name: [ast.unparse(d) for d in node.decorator_list]
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


@pytest.mark.parametrize(("kind", "reference"), _controls(), ids=str)
def test_every_control_exists_and_runs_in_ci(kind: str, reference: str) -> None:
    """Each control names something real, of a kind that CI runs on every submission."""
    if kind == "lint":
        assert reference in LINT_CODES
        assert "onecontact lint rules --fixtures fixtures" in CI
    elif kind == "property":
        assert reference in {p.name for p in PROPERTIES}
        assert PYPROJECT["tool"]["pytest"]["ini_options"]["onecontact_properties"] is True
    elif kind == "test":
        file, _, name = reference.partition("::")
        path = REPO / file
        assert path.is_file(), f"no test file {file}"
        assert file.startswith("tests/")
        decorators = _test_names(path).get(name)
        assert decorators is not None, f"no test {name} in {file}"
        # skipped outright, it never runs; `slow` runs in CI's own step (pytest -m slow)
        assert not any(d.startswith(("pytest.mark.skip(", "pytest.mark.skip")) for d in decorators)
        if "pytest.mark.slow" in decorators:
            assert "pytest -q -m slow" in CI
    elif kind == "fixture":
        file, _, name = reference.partition("::")
        path = REPO / file
        assert path.is_file(), f"no fixture file {file}"
        assert file.startswith("fixtures/")
        names = [case.name for case in load_fixture_file(path)]
        assert name in names, f"no case {name!r} in {file}"
    else:  # check: a code the loader raises, documented with its fix
        errors = (REPO / "docs" / "reference" / "errors.md").read_text(encoding="utf-8")
        assert f"| `{reference}` |" in errors
        sources = "".join(p.read_text(encoding="utf-8") for p in (REPO / "src").rglob("*.py"))
        assert f'"{reference}"' in sources


def test_the_log_names_every_lint_code_and_property() -> None:
    """Every lint code and property is a control of some hazard: none is left unexplained."""
    named = set(_controls())
    assert sorted(c for c in LINT_CODES if ("lint", c) not in named) == []
    assert sorted(p.name for p in PROPERTIES if ("property", p.name) not in named) == []
