"""pytest plugin: every fixture case under ``fixtures/`` runs as a test item.

Registered through the ``pytest11`` entry point, so ``pytest`` alone checks code and
rules. Settings (``pyproject.toml`` ``[tool.pytest.ini_options]`` or ``pytest.ini``):

* ``onecontact_rules`` — the rules directory (default ``rules``, relative to rootdir);
* ``onecontact_fixtures`` — the folder whose ``*.yaml`` files are fixtures (default
  ``fixtures``);
* ``onecontact_region`` — regional targets to apply (``policies/regions/<name>.yaml``);
  default none;
* ``--onecontact-backend durable|python`` — the evaluator (default ``durable`` on Python
  3.11 and 3.12, ``python`` from 3.13, where durable_rules does not import);
* ``--onecontact-coverage`` — report rule coverage of the fixture cases (see
  :mod:`oneContact.testing.coverage`); ``--onecontact-coverage-fail-under N`` also fails
  the run when coverage is below N percent.

A broken fixture file or rules directory shows up as failing items naming file:line,
never as a collection crash. Importing this module has no side effects.

Property tests: ``--onecontact-properties`` (or ini ``onecontact_properties = true``, which
applies when the run covers the fixtures folder or the rules directory) adds one item per
property of ``oneContact.testing.properties``, run against the rules directory;
``--onecontact-properties-examples N`` (ini ``onecontact_properties_examples``) sets the
contacts generated per property (default 60).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..fixtures import FixtureCase, FixtureProblem, check_case, load_fixture_file
from ..ruleset import DEFAULT_BACKEND

__all__ = [
    "FixtureFile",
    "FixtureItem",
    "PropertyItem",
    "pytest_addoption",
    "pytest_collect_file",
    "pytest_collection_modifyitems",
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
        default=DEFAULT_BACKEND,
        help=f"evaluator for fixture cases (default here: {DEFAULT_BACKEND})",
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
    _add_property_options(parser, group)


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


def _rules_engine(
    config: pytest.Config, directory: Path | str | None = None, region: str | None = None
) -> Any:
    """The engine of the configured rules directory (with a fixture file's *directory*
    of units and members and its *region*, if it names them), built once per run and
    shared."""
    from ..engine import Engine  # noqa: PLC0415
    from ..errors import RuleError  # noqa: PLC0415
    from ..routing import Directory  # noqa: PLC0415 -- keep plugin import free of side effects

    engines = config.stash.setdefault(_ENGINES, {})
    rules = (config.rootpath / str(config.getini("onecontact_rules"))).resolve()
    backend = str(config.getoption("onecontact_backend"))
    region = region or str(config.getini("onecontact_region")) or None
    key = (str(rules), f"{backend}:{region}:{directory}")
    if key not in engines:
        try:
            engines[key] = Engine.from_directory(
                rules,
                backend=backend,  # type: ignore[arg-type]
                region=region,
                directory=(
                    Directory.from_file(directory, rules=rules) if directory is not None else None
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
        if self.case is None:
            return _rules_engine(self.config)
        return _rules_engine(self.config, self.case.directory, self.case.region)

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


def pytest_configure(config: pytest.Config) -> None:
    """Rule coverage is counted in one process: with ``--onecontact-coverage`` a run that
    pytest-xdist would spread over workers (``-n``) runs in this process instead, so the
    coverage of every case is seen (pytest-xdist starts its workers after this hook)."""
    if _coverage_on(config) and getattr(config.option, "dist", "no") != "no":
        config.option.dist = "no"
        config.option.tx = []


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


# ------------------------------------------------------------------ property tests
# ``--onecontact-properties`` (or ini ``onecontact_properties = true``) adds one item per
# property of oneContact.testing.properties, run against the configured rules directory.

_PROPERTY_EXAMPLES = 60


def _add_property_options(parser: pytest.Parser, group: Any) -> None:
    parser.addini(
        "onecontact_properties",
        "run the property tests against the rules directory whenever the run collects the "
        "fixtures folder (e.g. a plain `pytest`); default: false",
        type="bool",
        default=False,
    )
    parser.addini(
        "onecontact_properties_examples",
        f"generated contacts per property (default {_PROPERTY_EXAMPLES})",
        default=str(_PROPERTY_EXAMPLES),
    )
    group.addoption(
        "--onecontact-properties",
        action="store_true",
        default=False,
        help="run the property tests against the rules directory",
    )
    group.addoption(
        "--onecontact-properties-examples",
        type=int,
        default=None,
        metavar="N",
        help=f"generated contacts per property (default {_PROPERTY_EXAMPLES})",
    )


def _covers(config: pytest.Config, targets: tuple[Path, ...]) -> bool:
    """True when some argument of the run is, or lies above, one of *targets*."""
    base = config.invocation_params.dir
    for arg in config.args:
        path = (base / arg.split("::", 1)[0]).resolve()
        if any(path == target or path in target.parents for target in targets):
            return True
    return False


def _property_examples(config: pytest.Config) -> int:
    option = config.getoption("onecontact_properties_examples")
    raw = option if option is not None else config.getini("onecontact_properties_examples")
    try:
        examples = int(raw)
    except ValueError:
        raise pytest.UsageError(
            f"onecontact_properties_examples must be a whole number, not {raw!r}"
        ) from None
    if examples < 1:
        raise pytest.UsageError("--onecontact-properties-examples must be at least 1")
    return examples


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Add one :class:`PropertyItem` per property when the property tests are on.

    The command-line flag always adds them; the ini setting adds them when the run covers
    the fixtures folder or the rules directory, so `pytest tests/test_x.py` stays fast.
    """
    wanted = bool(config.getoption("onecontact_properties"))
    if not wanted and config.getini("onecontact_properties"):
        rules = (config.rootpath / str(config.getini("onecontact_rules"))).resolve()
        wanted = _covers(config, (_fixture_root(config), rules))
    if not wanted:
        return
    from .properties import PROPERTIES  # noqa: PLC0415 -- hypothesis only when asked for

    examples = _property_examples(config)
    where = str(config.getini("onecontact_rules"))
    for prop in PROPERTIES:
        name = f"property[{prop.name}]"
        items.append(
            PropertyItem.from_parent(
                session, name=name, nodeid=f"{where}::{name}", prop=prop, examples=examples
            )
        )


class PropertyItem(pytest.Item):
    """One property of oneContact.testing.properties against the configured rules."""

    def __init__(self, *, prop: Any, examples: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prop = prop
        self.examples = examples

    def runtest(self) -> None:
        """Search for a contact that breaks the property; fail with the smallest found."""
        from ..engine import Backend, Engine  # noqa: PLC0415
        from .properties import PropertyFailed, check_property  # noqa: PLC0415

        engine = _rules_engine(self.config)
        # The twin is built from the files again, with the other evaluator: same digest,
        # same output is then a claim about the files, not about one object in memory.
        # (Where durable_rules does not import, from Python 3.13, both are Python.)
        other: Backend = "python" if engine.backend == "durable" else DEFAULT_BACKEND
        region = str(self.config.getini("onecontact_region")) or None
        twin = Engine.from_directory(engine.ruleset.path, backend=other, region=region)
        try:
            check_property(engine, self.prop, examples=self.examples, twin=twin)
        except PropertyFailed as failure:
            raise FixtureFailed(str(failure)) from None

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        """The property, the rules directory and the smallest contact, without a traceback."""
        if isinstance(excinfo.value, FixtureFailed):
            rules = self.config.getini("onecontact_rules")
            return f"{self.name} against rules directory {rules!r}\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the property's rules live."""
        rules = (self.config.rootpath / str(self.config.getini("onecontact_rules"))).resolve()
        return rules, None, f"property: {self.prop.name} ({self.prop.description})"
