"""The Python evaluator: the intermediate form compiled to one plain Python function.

It is the fast path and the oracle the durable_rules adapter is proven against. The
function's source is generated from the checked intermediate form only: keys and values
enter it through ``repr`` of str/int/float/bool, never as text a rule author wrote, so
executing it is as safe as executing this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from .condition import All, Any_, Cond, Const, Missing, Present, Test

__all__ = ["PythonProgram", "compile_python", "condition_source"]

Fact = Mapping[str, Any]


def _atom(cond: Test | Present | Missing) -> str:
    key = repr(cond.key)
    if isinstance(cond, Present):
        return f"{key} in f"
    if isinstance(cond, Missing):
        return f"{key} not in f"
    value = cond.value
    if cond.op == "==" and value is True:
        # boolean fields are present only when true (see the fact conventions in condition.py)
        return f"{key} in f"
    if cond.op == "==":
        return f"f.get({key}, _ABSENT) == {value!r}"
    return f"({key} in f and f[{key}] {cond.op} {value!r})"


def condition_source(cond: Cond) -> str:
    """A Python expression over the flat fact ``f`` equivalent to *cond*."""
    if isinstance(cond, Const):
        return "True" if cond.value else "False"
    if isinstance(cond, All):
        return "(" + " and ".join(condition_source(c) for c in cond.items) + ")"
    if isinstance(cond, Any_):
        return "(" + " or ".join(condition_source(c) for c in cond.items) + ")"
    return _atom(cond)


class _Absent:
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 0


class PythonProgram:
    """Evaluates every rule on a flat fact; returns the indices of the rules that hold."""

    __slots__ = ("_function", "source")

    def __init__(self, function: Callable[[Fact], list[int]], source: str) -> None:
        self._function = function
        self.source = source

    @property
    def backend(self) -> Literal["python"]:
        """The evaluator: generated Python."""
        return "python"

    def fired(self, fact: Fact) -> list[int]:
        """Indices (in rule order) of the conditions that hold for *fact*."""
        return self._function(fact)


def compile_python(conditions: Sequence[Cond]) -> PythonProgram:
    """Compile *conditions* (one per rule, in rule order) to one Python function."""
    lines = ["def _evaluate(f):", "    fired = []", "    add = fired.append"]
    for index, cond in enumerate(conditions):
        if isinstance(cond, Const) and not cond.value:
            continue
        lines.append(f"    if {condition_source(cond)}:")
        lines.append(f"        add({index})")
    lines.append("    return fired")
    source = "\n".join(lines) + "\n"
    namespace: dict[str, Any] = {"_ABSENT": _Absent()}
    code = compile(source, "<oneContact rules>", "exec")
    exec(code, namespace)
    return PythonProgram(namespace["_evaluate"], source)
