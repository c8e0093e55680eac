"""The shape of the package, read from src/ with ``ast`` (no third-party tool).

What may import what (docs/explanation/architecture.md draws it):

- no import cycles among oneContact's modules, counting imports inside functions too
  (only imports under ``if TYPE_CHECKING:`` are left out: they never run);
- no module imports another module's private name (``from .x import _y``, ``x._y``);
  a private *module* (``_yaml``, ``_problems``) is the way to share what is not API;
- the library (everything outside ``oneContact.testing``) never imports its own pytest
  plugin package ``oneContact.testing``;
- values sit below the engine: the ledger, the report, ``explain`` and ``diff`` never
  import ``oneContact.engine`` (they take the engine through a protocol, or its values);
- no module over 800 lines, except the few listed below, each one algorithm.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "oneContact"
MAX_LINES = 800

#: Modules allowed over MAX_LINES, each with its reason: one algorithm that reads best
#: whole. Keep it short; a module that does several jobs is split instead.
LONG_MODULES: dict[str, str] = {}


@attrs.frozen
class Import:
    """One import statement's target, as written in one module."""

    module: str
    """The oneContact module imported (a package means its ``__init__``)."""
    names: tuple[str, ...]
    """The names taken from it (``from m import a, b``); empty for ``import m``."""
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


MODULES = _modules()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import that can run: module level and inside functions and classes, but
    not under ``if TYPE_CHECKING:`` (its ``else:`` branch does run)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module name a ``from ... import`` names."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not _is_package(importer):
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: str) -> list[Import]:
    """The oneContact modules *module* imports, where, and the names it takes."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    out: list[Import] = []
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            out += [
                Import(alias.name, (), node.lineno)
                for alias in node.names
                if alias.name.split(".")[0] == PACKAGE
            ]
            continue
        target = _resolve(module, node)
        if target.split(".")[0] != PACKAGE:
            continue
        names = tuple(alias.name for alias in node.names)
        # ``from pkg import mod`` imports the module mod; other names come from pkg.
        submodules = [n for n in names if f"{target}.{n}" in MODULES]
        out += [Import(f"{target}.{n}", (), node.lineno) for n in submodules]
        rest = tuple(n for n in names if n not in submodules)
        if rest or not submodules:
            out.append(Import(target, rest, node.lineno))
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for imp in imports_of(module):
            if imp.module in MODULES and imp.module != module:
                graph[module].add(imp.module)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycle paths (``a -> b -> ... -> a``): in each strongly connected component, a
    shortest cycle through each of its modules (the same cycle named once)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                connect(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    cycles: list[list[str]] = []
    for component in components:
        seen: set[frozenset[str]] = set()
        for start in component:
            cycle = _cycle_path(graph, set(component), start)
            if frozenset(cycle) not in seen:
                seen.add(frozenset(cycle))
                cycles.append(cycle)
    return cycles


def _cycle_path(graph: dict[str, set[str]], component: set[str], start: str) -> list[str]:
    """A shortest cycle from *start* back to it within *component*, as a path."""
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for succ in sorted(graph[node] & component):
            if succ == start:
                return [*paths[node], start]
            if succ not in paths:
                paths[succ] = [*paths[node], succ]
                queue.append(succ)
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


# ---------------------------------------------------------------- the tests


def test_the_checker_reads_imports_as_python_does() -> None:
    """The graph sees relative, function-level and ``from pkg import module`` imports and
    leaves out ``if TYPE_CHECKING:`` ones; a planted cycle is reported as a path."""
    engine = {imp.module for imp in imports_of(f"{PACKAGE}.engine")}
    assert f"{PACKAGE}.errors" in engine
    problems = {imp.module for imp in imports_of(f"{PACKAGE}._problems")}
    assert f"{PACKAGE}._yaml" in problems  # from . import _yaml
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .engine import Engine\n"
        "def f():\n    from .lint import lint_rules\n"
    )
    found = {node.module for node in _statements(tree) if isinstance(node, ast.ImportFrom)}
    assert found == {"typing", "lint"}


def test_no_import_cycles() -> None:
    """No module imports, directly or through others, a module that imports it."""
    cycles = find_cycles(_graph())
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_module_imports_another_modules_private_names() -> None:
    """``from .x import _y`` and ``x._y`` reach into another module: make the name public
    in a private module (``_x.py``) instead."""
    found: list[str] = []
    for module, path in MODULES.items():
        bound: dict[str, str] = {}  # local name -> oneContact module it stands for
        for imp in imports_of(module):
            for name in imp.names:
                if _private(name) and f"{imp.module}.{name}" not in MODULES:
                    found.append(f"{path.name}:{imp.line}: from {imp.module} import {name}")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _statements(tree):
            for alias in node.names:
                if isinstance(node, ast.ImportFrom):
                    target = f"{_resolve(module, node)}.{alias.name}"
                else:
                    target = alias.name
                if target in MODULES:
                    bound[alias.asname or alias.name.split(".")[-1]] = target
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in bound
                and _private(node.attr)
                and f"{bound[node.value.id]}.{node.attr}" not in MODULES
            ):
                found.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert found == [], "private names used across modules:\n" + "\n".join(found)


def _defined_in(tree: ast.AST) -> set[str]:
    """Every name a module defines or assigns, as a name, attribute, slot or alias."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__ entries, getattr(obj, "_name")
    return names


# The documented API of every named tuple (collections.namedtuple, typing.NamedTuple): the
# underscore only keeps it apart from the field names.
NAMED_TUPLE_API = frozenset({"_make", "_fields", "_replace", "_asdict", "_field_defaults"})


def test_no_module_uses_a_private_attribute_defined_elsewhere() -> None:
    """``ledger._started_clocks(...)`` from the report reaches into another module's object:
    a private attribute is used only in the module that defines it (``self._x`` and
    ``cls._x`` always are)."""
    found: list[str] = []
    for path in MODULES.values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        own = _defined_in(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and _private(node.attr)
                and node.attr not in own
                and node.attr not in NAMED_TUPLE_API
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert found == [], "private attributes used outside their module:\n" + "\n".join(found)


def test_the_library_never_imports_its_pytest_plugin() -> None:
    """Only ``oneContact.testing`` itself may import ``oneContact.testing``."""
    testing = f"{PACKAGE}.testing"
    found = [
        f"{module} imports {imp.module} (line {imp.line})"
        for module in MODULES
        if not _within(module, testing)
        for imp in imports_of(module)
        if _within(imp.module, testing)
    ]
    assert found == []


@pytest.mark.parametrize("layer", ["ledger", "report", "explain", "diff"])
def test_values_and_tools_never_import_the_engine(layer: str) -> None:
    """The ledger, the report, explain and diff take values (and an engine through a
    protocol), never ``oneContact.engine`` itself."""
    engine = f"{PACKAGE}.engine"
    found = [
        f"{module} imports {imp.module} (line {imp.line})"
        for module in MODULES
        if _within(module, f"{PACKAGE}.{layer}")
        for imp in imports_of(module)
        if _within(imp.module, engine)
    ]
    assert found == []


def test_no_module_is_over_800_lines() -> None:
    """A long module usually does several jobs; the few allowed are one algorithm each."""
    long = {
        module: n
        for module, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert {m: n for m, n in long.items() if m not in LONG_MODULES} == {}
    assert all(reason.strip() for reason in LONG_MODULES.values())
    assert sorted(set(LONG_MODULES) - set(long)) == [], "allowed but no longer long"
