"""pytest plugin: every fixture case under ``fixtures/`` runs as a test item.

Registered through the ``pytest11`` entry point, so ``pytest`` alone checks code and
rules. Settings (``pyproject.toml`` ``[tool.pytest.ini_options]`` or ``pytest.ini``):

* ``onecontact_rules`` — the rules directory (default ``rules``, relative to rootdir);
* ``onecontact_fixtures`` — the folder whose ``*.yaml`` files are fixtures (default
  ``fixtures``);
* ``onecontact_region`` — regional targets to apply (``policies/regions/<name>.yaml``);
  default none;
* ``--onecontact-backend durable|python`` — the evaluator (default ``durable``);
* ``--onecontact-coverage`` — report rule coverage of the fixture cases (see
  :mod:`oneContact.testing.coverage`); ``--onecontact-coverage-fail-under N`` also fails
  the run when coverage is below N percent.

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
    "pytest_runtestloop",
    "pytest_terminal_summary",
]

_ENGINES = pytest.StashKey[dict[tuple[str, str], Any]]()
_COVERAGE = pytest.StashKey[dict[str, Any]]()
_COVERAGE_RESULT = pytest.StashKey[tuple[list[str], float | None]]()


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
    group.addoption(
        "--onecontact-coverage",
        action="store_true",
        default=False,
        help="report which rules and condition outcomes the fixture cases exercised",
    )
    group.addoption(
        "--onecontact-coverage-fail-under",
        type=float,
        default=None,
        metavar="N",
        help="fail the run when rule coverage is below N percent (implies the report)",
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
        from ..engine import Engine  # noqa: PLC0415 -- keep plugin import free of side effects
        from ..errors import RuleError  # noqa: PLC0415

        config = self.config
        engines = config.stash.setdefault(_ENGINES, {})
        rules = (config.rootpath / str(config.getini("onecontact_rules"))).resolve()
        backend = str(config.getoption("onecontact_backend"))
        region = str(config.getini("onecontact_region")) or None
        key = (str(rules), f"{backend}:{region}")
        if key not in engines:
            try:
                engines[key] = Engine.from_directory(
                    rules,
                    backend=backend,  # type: ignore[arg-type]
                    region=region,
                )
            except RuleError as exc:
                engines[key] = exc
        engine = engines[key]
        if isinstance(engine, RuleError):
            raise FixtureFailed(f"the rules directory {rules} cannot be loaded:\n{engine}")
        return engine

    def runtest(self) -> None:
        """Run the case; raise FixtureFailed listing every expectation that did not hold."""
        if self.problem is not None:
            raise FixtureFailed(str(self.problem))
        assert self.case is not None
        engine = self._engine()
        if _coverage_on(self.config):
            from .coverage import Coverage  # noqa: PLC0415

            store = self.config.stash.setdefault(_COVERAGE, {})
            key = str(engine.ruleset.path)
            if key not in store:
                store[key] = Coverage(engine.ruleset)
            store[key].record(engine, self.case.contact)
        failures = check_case(engine, self.case)
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


def _coverage_on(config: pytest.Config) -> bool:
    return bool(config.getoption("onecontact_coverage")) or (
        config.getoption("onecontact_coverage_fail_under") is not None
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Any:
    """After the cases ran: compute coverage, and fail the run below the threshold."""
    result = yield
    config = session.config
    if not _coverage_on(config):
        return result
    from ..errors import RuleError  # noqa: PLC0415
    from ..ruleset import load_ruleset  # noqa: PLC0415
    from .coverage import Coverage  # noqa: PLC0415

    store = config.stash.setdefault(_COVERAGE, {})
    if not store:
        # No fixture case ran: every rule of the configured directory is unexercised.
        rules = (config.rootpath / str(config.getini("onecontact_rules"))).resolve()
        try:
            ruleset = load_ruleset(rules)
        except RuleError as exc:
            config.stash[_COVERAGE_RESULT] = ([f"rules cannot be loaded: {exc}"], None)
            return result
        store[str(rules)] = Coverage(ruleset)
    lines: list[str] = []
    lowest: float | None = None
    for path, coverage in store.items():
        lines.append(f"rules: {path}")
        lines.extend(coverage.lines(verbose=config.get_verbosity() > 0))
        lowest = coverage.percent if lowest is None else min(lowest, coverage.percent)
    threshold = config.getoption("onecontact_coverage_fail_under")
    if threshold is not None and lowest is not None and lowest < threshold:
        lines.append(f"FAIL: rule coverage {lowest:.1f}% is below {threshold:g}%")
        session.testsfailed += 1
    config.stash[_COVERAGE_RESULT] = (lines, lowest)
    return result


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    """Print the coverage report computed after the run."""
    if _COVERAGE_RESULT not in config.stash:
        return
    lines, _ = config.stash[_COVERAGE_RESULT]
    terminalreporter.write_sep("-", "oneContact rule coverage")
    for line in lines:
        terminalreporter.write_line(line)
