"""Tracing one rule on one flat fact: whether it matched and what each comparison saw.

The rule author's view of a decision (``onecontact explain``, fixture coverage) needs each
comparison of a condition evaluated on its own. This module evaluates the compiled
intermediate form (:mod:`oneContact.ruleset.condition`) atom by atom with exactly the
semantics of the generated-Python evaluator (:mod:`oneContact.ruleset.python_evaluator`):
a key is present only when it has a value; booleans and concerns are present (as
``True``) only when true. Tests prove that ``trace_rule(rule, fact).matched`` agrees with
both evaluators.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..identity_code import NOT_SHOWN
from .condition import All, Any_, Atom, Cond, Const, Missing, Present, Test

if TYPE_CHECKING:
    from .model import Rule
    from .questionnaire import Questionnaire

__all__ = ["AtomTrace", "RuleTrace", "atom_holds", "atom_text", "atoms", "trace_rule"]

_OPS: Mapping[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@attrs.frozen
class AtomTrace:
    """One comparison of a rule's condition, evaluated on one fact."""

    text: str
    """The comparison in the condition language, e.g. ``age >= 75``."""
    line: int
    """Line of the rule in its file (the condition is part of the rule)."""
    column: int | None
    """1-based column of the comparison within the rule's ``when`` text, when known."""
    actual: Any
    """The value the fact holds: ``True``/``False`` for yes/no fields and concerns, the
    answer for number and choice fields, ``None`` when the question is not answered. The
    municipality, text the client typed, is ``"(not shown)"`` unless it is the value the
    comparison names."""
    outcome: bool
    """Whether the comparison holds for the fact."""
    key: str = ""
    """The fact key compared (``q__<question>`` for an answer), to show the value in words."""


@attrs.frozen
class RuleTrace:
    """One rule evaluated on one fact: matched or not, and each comparison."""

    rule: str
    file: str
    line: int
    matched: bool
    atoms: tuple[AtomTrace, ...]


def atoms(cond: Cond) -> Iterator[Atom]:
    """The atoms of *cond* in the order they are written (duplicates included)."""
    if isinstance(cond, All | Any_):
        for item in cond.items:
            yield from atoms(item)
    elif not isinstance(cond, Const):
        yield cond


def atom_holds(atom: Atom, fact: Mapping[str, Any]) -> bool:
    """Whether *atom* holds for the flat *fact*, exactly as the evaluators decide it."""
    key = atom.key
    if isinstance(atom, Present):
        return key in fact
    if isinstance(atom, Missing):
        return key not in fact
    if atom.op == "==" and atom.value is True:
        # boolean fields and concerns are present only when true
        return key in fact
    if key not in fact:
        return False
    return bool(_OPS[atom.op](fact[key], atom.value))


def _holds(cond: Cond, fact: Mapping[str, Any]) -> bool:
    if isinstance(cond, Const):
        return cond.value
    if isinstance(cond, All):
        return all(_holds(c, fact) for c in cond.items)
    if isinstance(cond, Any_):
        return any(_holds(c, fact) for c in cond.items)
    return atom_holds(cond, fact)


def _is_flag(key: str, questionnaire: Questionnaire | None) -> bool:
    """True for keys that are present only when true (yes/no fields and concerns)."""
    if key.startswith("c__"):
        return True
    if key.startswith("q__"):
        if questionnaire is None:
            return False
        question = questionnaire.questions.get(key[3:])
        return question is not None and question.type == "boolean"
    return key in ("highest_care_allowance", "special_support_child", "can_use_digital_services")


def _name(key: str) -> str:
    return key[3:] if key.startswith(("q__", "c__")) else key


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def atom_text(atom: Atom, questionnaire: Questionnaire | None = None) -> str:
    """*atom* written in the condition language.

    Without *questionnaire*, an absent yes/no question reads as ``x is not answered``
    (which is what it tests: an unanswered yes/no question counts as false).
    """
    key = atom.key
    name = _name(key)
    concern = key.startswith("c__")
    if isinstance(atom, Present):
        return f"'{name}' in concerns" if concern else f"{name} is answered"
    if isinstance(atom, Missing):
        if concern:
            return f"'{name}' not in concerns"
        return f"not {name}" if _is_flag(key, questionnaire) else f"{name} is not answered"
    if atom.op == "==" and atom.value is True:
        return f"'{name}' in concerns" if concern else name
    return f"{name} {atom.op} {_literal(atom.value)}"


# Facts that hold text a person typed, checked against no closed vocabulary: a trace
# shows the value only when it is the value the comparison itself names.
_FREE_TEXT_FACTS = frozenset({"municipality"})


def _actual(atom: Atom, fact: Mapping[str, Any], questionnaire: Questionnaire | None) -> Any:
    key = atom.key
    if key in fact:
        value = fact[key]
        if key in _FREE_TEXT_FACTS and not (isinstance(atom, Test) and atom.value == value):
            return NOT_SHOWN
        return value
    return False if _is_flag(key, questionnaire) else None


def trace_rule(
    rule: Rule, fact: Mapping[str, Any], questionnaire: Questionnaire | None = None
) -> RuleTrace:
    """Evaluate *rule* on the flat *fact* (see ``engine.flatten``), comparison by comparison.

    *questionnaire* (optional) tells yes/no questions from others, so that an absent
    answer reads as ``False`` rather than ``None``, and ``not x`` rather than
    ``x is not answered``.
    """
    traced = tuple(
        AtomTrace(
            text=atom_text(atom, questionnaire),
            line=rule.line,
            column=atom.column or None,
            actual=_actual(atom, fact, questionnaire),
            outcome=atom_holds(atom, fact),
            key=atom.key,
        )
        for atom in atoms(rule.condition)
    )
    return RuleTrace(
        rule=rule.id,
        file=rule.file,
        line=rule.line,
        matched=_holds(rule.condition, fact),
        atoms=traced,
    )
