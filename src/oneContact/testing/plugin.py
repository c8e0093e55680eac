"""pytest plugin: every fixture case under ``fixtures/`` runs as a test item.

Registered through the ``pytest11`` entry point, so ``pytest`` alone checks code and
rules. Settings (``pyproject.toml`` ``[tool.pytest.ini_options]`` or ``pytest.ini``):

* ``onecontact_rules`` — the rules directory (default ``rules``, relative to rootdir);
* ``onecontact_fixtures`` — the folder whose ``*.yaml`` files are fixtures (default
  ``fixtures``);
* ``onecontact_region`` — regional targets to apply (``policies/regions/<name>.yaml``);
  default none;
* ``--onecontact-backend durable|python`` — the evaluator (default ``durable``).

A broken fixture file or rules directory shows up as failing items naming file:line,
never as a collection crash. Importing this module has no side effects.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .fixtures import FixtureCase, FixtureProblem, check_case, load_fixture_file

__all__ = [
    "FixtureFile",
    "FixtureItem",
    "pytest_addoption",
    "pytest_collect_file",
]

_ENGINES = pytest.StashKey[dict[tuple[str, str], Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the plugin's ini settings and command-line option."""
    group = parser.getgroup("onecontact", "oneContact rule fixtures")
    parser.addini("onecontact_rules", "rules directory the fixtures run against", default="rules")
    parser.addini(
        "onecontact_fixtures", "folder whose *.yaml files are fixture cases", default="fixtures"
    )
    parser.addini(
        "onecontact_region",
        "regional targets to apply (policies/regions/<name>.yaml); default: none",
        default="",
    )
    group.addoption(
        "--onecontact-backend",
        choices=("durable", "python"),
        default="durable",
        help="evaluator for fixture cases (default: durable)",
    )


def _fixture_root(config: pytest.Config) -> Path:
    return (config.rootpath / str(config.getini("onecontact_fixtures"))).resolve()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect ``*.yaml`` files below the fixtures folder."""
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    root = _fixture_root(parent.config)
    if root not in file_path.resolve().parents:
        return None
    collector: FixtureFile = FixtureFile.from_parent(parent, path=file_path)
    return collector


class FixtureFile(pytest.File):
    """One fixture file: a test item per case."""

    def collect(self) -> Iterator[pytest.Item]:
        """Yield one item per case, or one failing item when the file cannot be read."""
        try:
            cases = load_fixture_file(self.path)
        except FixtureProblem as problem:
            yield FixtureItem.from_parent(self, name="<file>", case=None, problem=problem)
            return
        for case in cases:
            yield FixtureItem.from_parent(self, name=case.name, case=case, problem=None)


class FixtureFailed(Exception):
    """A fixture case did not hold; the message shows expected vs actual."""


class FixtureItem(pytest.Item):
    """One fixture case run through the engine."""

    def __init__(
        self,
        *,
        case: FixtureCase | None,
        problem: FixtureProblem | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.problem = problem

    def _engine(self) -> Any:
        from ..directory import Directory  # noqa: PLC0415 -- plugin import has no side effects
        from ..engine import Engine  # noqa: PLC0415
        from ..errors import RuleError  # noqa: PLC0415

        config = self.config
        engines = config.stash.setdefault(_ENGINES, {})
        rules = (config.rootpath / str(config.getini("onecontact_rules"))).resolve()
        backend = str(config.getoption("onecontact_backend"))
        region = str(config.getini("onecontact_region")) or None
        directory = self.case.directory if self.case is not None else None
        key = (str(rules), f"{backend}:{region}:{directory}")
        if key not in engines:
            try:
                engines[key] = Engine.from_directory(
                    rules,
                    backend=backend,  # type: ignore[arg-type]
                    region=region,
                    directory=(
                        Directory.from_file(directory, rules=rules)
                        if directory is not None
                        else None
                    ),
                )
            except RuleError as exc:
                engines[key] = exc
        engine = engines[key]
        if isinstance(engine, RuleError):
            what = f"the rules directory {rules}"
            if directory is not None:
                what += f" with the directory {directory}"
            raise FixtureFailed(f"{what} cannot be loaded:\n{engine}")
        return engine

    def runtest(self) -> None:
        """Run the case; raise FixtureFailed listing every expectation that did not hold."""
        if self.problem is not None:
            raise FixtureFailed(str(self.problem))
        assert self.case is not None
        failures = check_case(self._engine(), self.case)
        if failures:
            raise FixtureFailed("\n".join(failures))

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        """Expected vs actual, without a Python traceback."""
        if isinstance(excinfo.value, FixtureFailed):
            where = f"{self.path}:{self.case.line if self.case else 1}"
            return f"fixture case {self.name!r} at {where}\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the case is written."""
        line = self.case.line - 1 if self.case is not None else 0
        return self.path, line, f"fixture: {self.name}"
