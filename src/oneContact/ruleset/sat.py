"""Exact satisfiability of conditions over the values a first contact can hold.

The lint (:mod:`oneContact.lint`) asks questions such as "can this condition ever be
true?", "is every contact matching A also matched by B?" and "can a red flag be answered
yes while no urgent rule fires?". Each is a conjunction of conditions in the intermediate
form (:mod:`oneContact.ruleset.condition`), some of them negated. This module decides them
exactly, not by sampling:

* each condition is expanded to its disjunctive normal form (a choice of alternatives);
* a backtracking search picks one alternative per condition, always the condition with
  the fewest alternatives still consistent with the picks so far, and backs up on a dead
  end;
* consistency is decided key by key over the finite values of the questionnaire: yes/no
  fields and concerns are true or absent, choice questions take one of their choices, a
  number satisfies interval bounds within the question's ``min``/``max`` (whole numbers
  for ``integer`` questions and ``age``), texts (``language``, ``municipality``) equal or
  avoid finitely many texts. Keys are independent of each other except one rule of
  intake: a contact names at least one concern.

A satisfiable question comes with a *witness*: a flat fact (see ``engine.flatten``) that
holds, from which a real contact can be built and assessed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs

from ..intake import CHANNELS
from .condition import MAX_NUMBER, All, Any_, Atom, Cond, Const, Missing, Present, Test, dnf

__all__ = [
    "Domain",
    "Unknown",
    "domains",
    "key_satisfiable",
    "negate",
    "number_in",
    "satisfy",
    "solve",
]

Kind = Literal["flag", "number", "choice", "string"]
#: Expansions and search steps beyond which a question is left undecided.
MAX_ALTERNATIVES = 4_096
MAX_STEPS = 200_000

_INVERSE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


class Unknown(Exception):
    """The question is too large to decide within the bounds; nothing is claimed."""


@attrs.frozen
class Domain:
    """The values one key of the flat fact can take."""

    kind: Kind
    always_present: bool = False
    choices: tuple[str, ...] = ()
    minimum: float = -MAX_NUMBER
    maximum: float = MAX_NUMBER
    integer: bool = False


def domains(questionnaire: Any) -> dict[str, Domain]:
    """The domain of every key a condition over *questionnaire* can test."""
    out: dict[str, Domain] = {
        "age": Domain("number", always_present=True, minimum=0, maximum=130, integer=True),
        "language": Domain("string", always_present=True),
        "channel": Domain("choice", always_present=True, choices=CHANNELS),
        "municipality": Domain("string"),
        "highest_care_allowance": Domain("flag"),
        "special_support_child": Domain("flag"),
        "can_use_digital_services": Domain("flag"),
    }
    for code in questionnaire.concerns:
        out[f"c__{code}"] = Domain("flag")
    for q in questionnaire.questions.values():
        key = f"q__{q.id}"
        if q.type == "boolean":
            out[key] = Domain("flag")
        elif q.type == "choice":
            out[key] = Domain("choice", choices=q.choices)
        else:
            out[key] = Domain(
                "number",
                minimum=q.minimum if q.minimum is not None else -MAX_NUMBER,
                maximum=q.maximum if q.maximum is not None else MAX_NUMBER,
                integer=q.integer,
            )
    return out


def negate(cond: Cond) -> Cond:
    """The negation of *cond*, again in negation normal form."""
    if isinstance(cond, Const):
        return Const(not cond.value)
    if isinstance(cond, All):
        return Any_(tuple(negate(c) for c in cond.items))
    if isinstance(cond, Any_):
        return All(tuple(negate(c) for c in cond.items))
    if isinstance(cond, Present):
        return Missing(cond.key, column=cond.column)
    if isinstance(cond, Missing):
        return Present(cond.key, column=cond.column)
    if cond.op == "==" and cond.value is True:
        return Missing(cond.key, column=cond.column)  # yes/no fields: present only when true
    inverse = Test(cond.key, _INVERSE[cond.op], cond.value, column=cond.column)  # type: ignore[arg-type]
    return Any_((Missing(cond.key, column=cond.column), inverse))


# ---------------------------------------------------------------- one key


def _value(domain: Domain, atoms: Sequence[Atom]) -> tuple[bool, Any]:
    """Whether *atoms* on one key can all hold, and a value that makes them hold.

    The value is ``_ABSENT`` when the key is best left out of the fact.
    """
    present = any(isinstance(a, Test | Present) for a in atoms)
    missing = any(isinstance(a, Missing) for a in atoms)
    if missing:
        return (not present and not domain.always_present), _ABSENT
    if domain.kind == "flag":
        return True, (True if present else _ABSENT)
    tests = [a for a in atoms if isinstance(a, Test)]
    if domain.kind in ("choice", "string"):
        return _text_value(domain, tests, present)
    return _number_value(domain, tests, present)


class _AbsentType:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _AbsentType()


def key_satisfiable(domain: Domain, atoms: Sequence[Atom]) -> bool:
    """Whether *atoms*, all on one key of *domain*, can hold together."""
    return _value(domain, atoms)[0]


def _text_value(domain: Domain, tests: Sequence[Test], present: bool) -> tuple[bool, Any]:
    equal = {t.value for t in tests if t.op == "=="}
    differ = {t.value for t in tests if t.op == "!="}
    if len(equal) > 1:
        return False, None
    if equal:
        (value,) = equal
        ok = value not in differ and (domain.kind == "string" or value in domain.choices)
        return ok, value
    if not present and not domain.always_present:
        return True, _ABSENT
    if domain.kind == "choice":
        left = [c for c in domain.choices if c not in differ]
        return bool(left), (left[0] if left else None)
    # Texts are open-ended: a two-letter code or name that no test mentions always exists.
    candidates = (f"{a}{b}" for a in "zyxwvu" for b in "zyxwvutsrq")
    return True, next(c for c in candidates if c not in differ)


def _number_value(domain: Domain, tests: Sequence[Test], present: bool) -> tuple[bool, Any]:
    if not present and not domain.always_present and not tests:
        return True, _ABSENT
    low, low_open = float(domain.minimum), False
    high, high_open = float(domain.maximum), False
    differ: set[float] = set()
    for t in tests:
        v = float(t.value)  # number keys hold numbers only
        if t.op == "==":
            low, low_open = _tighter_low(low, low_open, v, False)
            high, high_open = _tighter_high(high, high_open, v, False)
        elif t.op == "!=":
            differ.add(v)
        elif t.op in (">", ">="):
            low, low_open = _tighter_low(low, low_open, v, t.op == ">")
        else:
            high, high_open = _tighter_high(high, high_open, v, t.op == "<")
    value = _pick(low, low_open, high, high_open, differ, integer=domain.integer)
    return value is not None, value


def number_in(
    domain: Domain, low: float, low_open: bool, high: float, high_open: bool
) -> int | float | None:
    """A number of *domain* (whole when it is) between *low* and *high* (each bound
    excluded when open), or None when there is none."""
    return _pick(low, low_open, high, high_open, set(), integer=domain.integer)


def _tighter_low(low: float, is_open: bool, v: float, v_open: bool) -> tuple[float, bool]:
    if v > low or (v == low and v_open):
        return v, v_open
    return low, is_open


def _tighter_high(high: float, is_open: bool, v: float, v_open: bool) -> tuple[float, bool]:
    if v < high or (v == high and v_open):
        return v, v_open
    return high, is_open


def _pick(
    low: float, low_open: bool, high: float, high_open: bool, differ: set[float], *, integer: bool
) -> int | float | None:
    """A number in the interval avoiding *differ*, or None when there is none."""
    if integer:
        first = math.floor(low) + 1 if low_open or not low.is_integer() else int(low)
        last = math.ceil(high) - 1 if high_open or not high.is_integer() else int(high)
        # At most len(differ) integers are excluded, so one of the first len+1 is free.
        for n in range(first, min(last, first + len(differ)) + 1):
            if float(n) not in differ:
                return n
        return None
    if low > high or (low == high and (low_open or high_open)):
        return None
    if low == high:
        return None if low in differ else _number(low)
    # A real interval of positive length holds infinitely many numbers: try round ones
    # first (whole numbers, halves), then halve towards the lower bound.
    candidates: list[float] = []
    if not low_open:
        candidates.append(low)
    candidates.extend(float(n) for n in range(math.ceil(low), math.ceil(low) + len(differ) + 2))
    candidates.append((low + high) / 2)
    for c in candidates:
        if _inside(c, low, low_open, high, high_open) and c not in differ:
            return _number(c)
    step = (high - low) / 2
    c = low + step
    while step > 1e-9:
        if _inside(c, low, low_open, high, high_open) and c not in differ:
            return c
        step /= 2
        c = low + step
    return None  # pragma: no cover - finitely many exclusions cannot fill an interval


def _inside(c: float, low: float, low_open: bool, high: float, high_open: bool) -> bool:
    above = c > low if low_open else c >= low
    below = c < high if high_open else c <= high
    return above and below


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


# ---------------------------------------------------------------- search


def _alternatives(cond: Cond) -> tuple[tuple[Atom, ...], ...]:
    terms = dnf(cond, limit=MAX_ALTERNATIVES)
    if terms is None:
        raise Unknown(f"a condition expands to more than {MAX_ALTERNATIVES} alternatives")
    return terms


class _Search:
    def __init__(self, space: Mapping[str, Domain], concerns: Sequence[str]) -> None:
        self.space = space
        self.concerns = tuple(f"c__{c}" for c in concerns)
        self.steps = 0

    def consistent(self, state: Mapping[str, tuple[Atom, ...]], term: Iterable[Atom]) -> bool:
        touched: dict[str, tuple[Atom, ...]] = {}
        for atom in term:
            touched[atom.key] = (*touched.get(atom.key, state.get(atom.key, ())), atom)
        return all(self._key_ok(key, atoms) for key, atoms in touched.items())

    def _key_ok(self, key: str, atoms: Sequence[Atom]) -> bool:
        domain = self.space.get(key)
        if domain is None:
            return False  # a key no contact can hold
        return _value(domain, atoms)[0]

    def run(
        self, state: dict[str, tuple[Atom, ...]], pending: list[tuple[tuple[Atom, ...], ...]]
    ) -> dict[str, tuple[Atom, ...]] | None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Unknown(f"more than {MAX_STEPS} search steps")
        if not pending:
            return state if self._a_concern_is_possible(state) else None
        best: list[tuple[Atom, ...]] | None = None
        best_index = -1
        for index, alternatives in enumerate(pending):
            live = [t for t in alternatives if self.consistent(state, t)]
            if not live:
                return None
            if best is None or len(live) < len(best):
                best, best_index = live, index
                if len(live) == 1:
                    break
        assert best is not None
        rest = pending[:best_index] + pending[best_index + 1 :]
        for term in best:
            grown = dict(state)
            for atom in term:
                grown[atom.key] = (*grown.get(atom.key, ()), atom)
            found = self.run(grown, rest)
            if found is not None:
                return found
        return None

    def _a_concern_is_possible(self, state: Mapping[str, tuple[Atom, ...]]) -> bool:
        if not self.concerns:
            return True
        return any(
            not any(isinstance(a, Missing) for a in state.get(key, ())) for key in self.concerns
        )

    def witness(self, state: Mapping[str, tuple[Atom, ...]]) -> dict[str, Any]:
        fact: dict[str, Any] = {}
        for key, domain in self.space.items():
            ok, value = _value(domain, state.get(key, ()))
            assert ok
            if value is not _ABSENT:
                fact[key] = value
        if self.concerns and not any(key in fact for key in self.concerns):
            fact[next(k for k in self.concerns if k not in state)] = True
        return fact


def solve(
    conditions: Sequence[Cond], space: Mapping[str, Domain], concerns: Sequence[str]
) -> tuple[dict[str, Any], frozenset[str]] | None:
    """Like :func:`satisfy`, and also the keys the chosen alternatives constrain.

    Keys outside that set hold whatever value the witness gave them; any value would do.
    """
    pending = [_alternatives(c) for c in conditions]
    search = _Search(space, concerns)
    state = search.run({}, pending)
    return None if state is None else (search.witness(state), frozenset(state))


def satisfy(
    conditions: Sequence[Cond], space: Mapping[str, Domain], concerns: Sequence[str]
) -> dict[str, Any] | None:
    """A flat fact for which every condition of *conditions* holds, or None if none exists.

    *space* gives the domain of each key (:func:`domains`); *concerns* the concern codes,
    of which a contact names at least one. Raises :class:`Unknown` when the question
    is too large to decide within the bounds.
    """
    solved = solve(conditions, space, concerns)
    return None if solved is None else solved[0]
