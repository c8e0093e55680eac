"""The public API keeps working: every exported name and every import path the docs show.

A restructuring moves code between modules; these tests make sure a host's imports do not
notice. ``oneContact.__all__`` keeps every name it had, each documented path
(``oneContact.clocks.Policies``, ``from oneContact.testing.properties import ...``)
imports, and every module's ``__all__`` is sorted the way ruff (RUF022) sorts it.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import Any

import pytest

import oneContact

from .conftest import REPO

SRC = REPO / "src" / "oneContact"

#: ``oneContact.__all__`` as it was before the restructuring (issue 11): every name stays.
PUBLIC_NAMES = (
    "Assessment",
    "Breach",
    "Calendar",
    "CatalogueRouter",
    "Client",
    "Clock",
    "ClockSubject",
    "ContactError",
    "ContactProblem",
    "Directory",
    "DirectoryRouter",
    "DirectorySource",
    "Engine",
    "Explanation",
    "FiredRule",
    "FirstContact",
    "Ledger",
    "LedgerClock",
    "LedgerContact",
    "LedgerError",
    "LedgerEvent",
    "LintFinding",
    "Member",
    "OneContactError",
    "Policies",
    "ReplayError",
    "Report",
    "ReportRow",
    "Route",
    "RouteRequest",
    "Router",
    "Rule",
    "RuleError",
    "RuleProblem",
    "RuleSet",
    "RulesDiff",
    "ServiceRequest",
    "SlotProvider",
    "Unit",
    "WhyNot",
    "__version__",
    "bundled_rules_directory",
    "contact_json_schema",
    "diff_rules",
    "lint_rules",
    "load_ruleset",
    "parse_contact",
    "replay",
)

#: Import paths the docs, the issue or a host rely on, named here too so that the test
#: still fails when the docs stop naming one and the code stops providing it.
DOCUMENTED_PATHS = (
    "oneContact.__version__",
    "oneContact.bundled_rules_directory",
    "oneContact.cds_hooks.CdsHooksError",
    "oneContact.cds_hooks.cards",
    "oneContact.cds_hooks.discovery",
    "oneContact.cds_hooks.feedback",
    "oneContact.cds_hooks.read_feedback",
    "oneContact.cds_hooks.service",
    "oneContact.clocks.Calendar",
    "oneContact.clocks.ClockSubject",
    "oneContact.clocks.HELSINKI",
    "oneContact.clocks.Policies",
    "oneContact.clocks.STANDARD_EVENTS",
    "oneContact.clocks.local_day_of",
    "oneContact.clocks.micros",
    "oneContact.diff.ReplayError",
    "oneContact.diff.RulesDiff",
    "oneContact.diff.diff_rules",
    "oneContact.diff.read_contacts",
    "oneContact.diff.replay",
    "oneContact.engine.Assessment",
    "oneContact.engine.Engine",
    "oneContact.engine.FiredRule",
    "oneContact.errors.CONTACT_MESSAGES",
    "oneContact.errors.ContactError",
    "oneContact.errors.RuleError",
    "oneContact.explain.MAX_WHY_NOT_CHANGES",
    "oneContact.explain.Explanation",
    "oneContact.explain.WhyNot",
    "oneContact.explain.explain",
    "oneContact.explain.why_not",
    "oneContact.intake.FirstContact",
    "oneContact.intake.contact_json_schema",
    "oneContact.intake.parse_contact",
    "oneContact.ledger.Ledger",
    "oneContact.ledger.LedgerError",
    "oneContact.lint.LintFinding",
    "oneContact.lint.lint_rules",
    "oneContact.lint.lint_ruleset",
    "oneContact.report.Overrides",
    "oneContact.report.Report",
    "oneContact.ruleset.DEFAULT_BACKEND",
    "oneContact.ruleset.REQUIRE_ALL_LANGUAGES",
    "oneContact.ruleset.RuleSet",
    "oneContact.ruleset.load_ruleset",
    "oneContact.testing.fixtures.FixtureCase",
    "oneContact.testing.fixtures.FixtureProblem",
    "oneContact.testing.fixtures.check_case",
    "oneContact.testing.fixtures.load_fixture_file",
    "oneContact.testing.properties.PROPERTIES",
    "oneContact.testing.properties.PropertyFailed",
    "oneContact.testing.properties.check_properties",
    "oneContact.testing.properties.check_property",
    "oneContact.testing.strategies.first_contacts",
)

_FROM_IMPORT = re.compile(
    r"\bfrom\s+(oneContact(?:\.\w+)*)\s+import\s+(\([^)]*\)|[^\n]+)", flags=re.MULTILINE
)
_DOTTED = re.compile(r"(?<![\w/.-])oneContact(?:\.[A-Za-z_]\w*)+")


def _doc_files() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def documented_paths(text: str) -> set[str]:
    """``module.name`` for each name a ``from oneContact... import`` takes, and every dotted
    ``oneContact.x.y`` the text names."""
    found: set[str] = set()
    for module, names in _FROM_IMPORT.findall(text):
        for written in names.strip("()").split(","):
            name = written.split("#")[0].split(" as ")[0].strip()
            if re.fullmatch(r"[A-Za-z_]\w*", name):
                found.add(f"{module}.{name}")
    found.update(_DOTTED.findall(text))
    return found


def _docs_paths() -> set[str]:
    return set().union(*(documented_paths(p.read_text(encoding="utf-8")) for p in _doc_files()))


def resolve(path: str) -> Any:
    """Import the longest module prefix of *path*, then take the rest as attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(path)  # pragma: no cover - every path starts with oneContact


def test_the_docs_collector_reads_both_forms() -> None:
    """Both ``from ... import (a, b)`` and dotted paths in prose are collected."""
    text = (
        "from oneContact.x import (\n    a,\n    b as c,  # why\n)\n"
        ">>> from oneContact import Engine, RuleError\n"
        "see `oneContact.clocks.micros(ts)` and oneContact.ledger.\n"
    )
    assert documented_paths(text) == {
        "oneContact.x",
        "oneContact.x.a",
        "oneContact.x.b",
        "oneContact.Engine",
        "oneContact.RuleError",
        "oneContact.clocks.micros",
        "oneContact.ledger",
    }
    # The docs do show paths this way: the collector finds those listed above.
    assert {
        "oneContact.diff.read_contacts",
        "oneContact.lint.lint_ruleset",
        "oneContact.testing.strategies.first_contacts",
    } <= _docs_paths()


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_every_name_of_the_public_api_stays(name: str) -> None:
    """Each name ``oneContact.__all__`` had is still there and imports."""
    assert name in oneContact.__all__
    assert getattr(oneContact, name) is not None


@pytest.mark.parametrize("name", sorted(oneContact.__all__))
def test_every_name_in_all_imports(name: str) -> None:
    """``from oneContact import <name>`` works for every name of ``__all__``."""
    namespace: dict[str, Any] = {}
    exec(f"from oneContact import {name}", namespace)
    assert name in namespace


@pytest.mark.parametrize("path", sorted(_docs_paths() | set(DOCUMENTED_PATHS)))
def test_every_documented_import_path_imports(path: str) -> None:
    """Every ``oneContact...`` path README.md and docs/ show, and those listed above."""
    assert resolve(path) is not None


def test_require_all_languages_is_still_settable_where_documented() -> None:
    """``oneContact.ruleset.REQUIRE_ALL_LANGUAGES`` is a setting: it is read at its
    documented place, not copied out of it at import time."""
    ruleset = importlib.import_module("oneContact.ruleset")
    assert isinstance(ruleset.REQUIRE_ALL_LANGUAGES, bool)


# ---------------------------------------------------------------- sorted __all__


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", text) if p)


def ruff_order(name: str) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    """How ruff (RUF022, isort style) sorts ``__all__``: CONSTANTS, then Classes, then the
    rest, each in natural order."""
    cased = [c for c in name if c.isalpha()]
    if len(name) > 1 and cased and all(c.isupper() for c in cased):
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return kind, _natural(name)


def module_all(path: Path) -> list[str] | None:
    """The literal ``__all__`` of the module at *path*, or None when it has none."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            assert isinstance(node.value, ast.List | ast.Tuple), f"{path}: __all__ is not literal"
            return [ast.literal_eval(elt) for elt in node.value.elts]
    return None


def test_the_sort_check_can_fail() -> None:
    """The order check tells a sorted ``__all__`` from an unsorted one."""
    good = ["MAX", "Engine", "RuleError", "explain", "why_not"]
    assert sorted(good, key=ruff_order) == good
    assert sorted(["explain", "Engine"], key=ruff_order) != ["explain", "Engine"]
    assert sorted(["item10", "item9"], key=ruff_order) == ["item9", "item10"]


@pytest.mark.parametrize(
    "path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC.parent))
)
def test_every_all_is_sorted(path: Path) -> None:
    """Each module's ``__all__`` (where it has one) is sorted, and a package's
    ``__init__.py`` has one."""
    names = module_all(path)
    if names is None:
        assert path.name != "__init__.py" or not path.read_text(encoding="utf-8").strip(), (
            f"{path} re-exports without __all__"
        )
        return
    assert names == sorted(names, key=ruff_order)
    assert len(set(names)) == len(names), "a name listed twice"
