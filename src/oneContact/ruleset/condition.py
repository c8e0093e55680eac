"""The condition language of rule files: tokens, parser, type checker, intermediate form.

A condition such as ``age >= 75 and 'home_care' in concerns`` is parsed by a small
recursive-descent parser (no ``eval``), checked against the fields the questionnaire
declares, and lowered to one intermediate form (:data:`Cond`) in negation normal form
over the keys of a *flat fact* (see ``engine.flatten``). Both evaluators read that form:
the durable_rules adapter and the generated-Python evaluator.

Flat fact conventions (they make negation exact without ``not`` in the C engine):
a key is present only when it has a value; boolean fields and concerns are present
(as ``True``) only when true.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Literal

import attrs

from ..errors import did_you_mean

__all__ = [
    "MAX_COMPARISONS",
    "MAX_DECIMALS",
    "MAX_DEPTH",
    "MAX_NUMBER",
    "MAX_TERMS",
    "All",
    "Any_",
    "Cond",
    "ConditionSyntaxError",
    "ConditionTypeError",
    "Const",
    "FieldInfo",
    "Missing",
    "Present",
    "Test",
    "comparisons",
    "compile_condition",
    "dnf",
]

MAX_COMPARISONS = 64
MAX_DEPTH = 16
MAX_TERMS = 64
#: Bounds of numbers in conditions and answers: the C engine reads no exponents.
MAX_NUMBER = 1_000_000_000
MAX_DECIMALS = 4

Op = Literal["==", "!=", "<", "<=", ">", ">="]
Scalar = bool | int | float | str
FieldType = Literal["boolean", "number", "choice", "string", "concerns"]


# ---------------------------------------------------------------- intermediate form


@attrs.frozen
class Test:
    """``key`` is present and ``fact[key] <op> value``."""

    key: str
    op: Op
    value: Scalar
    column: int = attrs.field(default=0, eq=False, repr=False)
    """1-based column of the comparison in the condition text (0: not from a text);
    not part of equality."""


@attrs.frozen
class Present:
    """``key`` is present in the fact."""

    key: str
    column: int = attrs.field(default=0, eq=False, repr=False)
    """1-based column of the comparison in the condition text (0: not from a text);
    not part of equality."""


@attrs.frozen
class Missing:
    """``key`` is absent from the fact."""

    key: str
    column: int = attrs.field(default=0, eq=False, repr=False)
    """1-based column of the comparison in the condition text (0: not from a text);
    not part of equality."""


@attrs.frozen
class Const:
    """Always true or always false."""

    value: bool


@attrs.frozen
class All:
    """Every item holds."""

    items: tuple[Cond, ...]


@attrs.frozen
class Any_:  # noqa: N801 -- the trailing underscore avoids shadowing typing.Any
    """At least one item holds."""

    items: tuple[Cond, ...]


Cond = Test | Present | Missing | Const | All | Any_
Atom = Test | Present | Missing


def comparisons(cond: Cond) -> int:
    """Number of atoms in *cond*."""
    if isinstance(cond, All | Any_):
        return sum(comparisons(c) for c in cond.items)
    return 0 if isinstance(cond, Const) else 1


def dnf(cond: Cond, *, limit: int = MAX_TERMS) -> tuple[tuple[Atom, ...], ...] | None:
    """Disjunctive normal form: a tuple of conjunctions of atoms.

    Returns ``()`` for a condition that is always false, ``((),)`` for one that is always
    true, and ``None`` when more than *limit* terms would be needed.
    """
    if isinstance(cond, Const):
        return ((),) if cond.value else ()
    if isinstance(cond, Test | Present | Missing):
        return ((cond,),)
    if isinstance(cond, Any_):
        out: list[tuple[Atom, ...]] = []
        for item in cond.items:
            sub = dnf(item, limit=limit)
            if sub is None:
                return None
            out.extend(sub)
            if len(out) > limit:
                return None
        return tuple(dict.fromkeys(out))
    terms: list[tuple[Atom, ...]] = [()]
    for item in cond.items:
        sub = dnf(item, limit=limit)
        if sub is None:
            return None
        terms = [t + s for t in terms for s in sub]
        if len(terms) > limit:
            return None
    return tuple(dict.fromkeys(tuple(dict.fromkeys(t)) for t in terms))


# ---------------------------------------------------------------- fields


@attrs.frozen
class FieldInfo:
    """A field a condition may name, and how it sits in the flat fact."""

    name: str
    type: FieldType
    key: str
    always_present: bool = False
    choices: tuple[str, ...] = ()


# ---------------------------------------------------------------- errors


class ConditionSyntaxError(Exception):
    """The text is not a condition; ``column`` is 1-based within the condition."""

    def __init__(self, message: str, column: int, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.suggestion = suggestion


class ConditionTypeError(ConditionSyntaxError):
    """The condition names an unknown field, code or choice, or mixes types."""

    def __init__(
        self, message: str, column: int, suggestion: str | None = None, *, code: str
    ) -> None:
        super().__init__(message, column, suggestion)
        self.code = code


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>'[^'\\]*'|"[^"\\]*")
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<punct>[()\[\],])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
    """,
    re.VERBOSE,
)

_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "answered", "true", "false"})


@attrs.frozen
class _Tok:
    kind: str
    text: str
    column: int


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            hint = ""
            if char in "=!":
                hint = "; compare with == or !="
            elif char in "&|":
                hint = "; write 'and' / 'or'"
            raise ConditionSyntaxError(f"unexpected character {char!r}{hint}", pos + 1)
        kind = match.lastgroup or ""
        if kind != "ws":
            word = match.group()
            if kind == "name" and word in _KEYWORDS:
                kind = "kw"
            elif kind == "name" and word in {"True", "False", "AND", "OR", "NOT"}:
                raise ConditionSyntaxError(
                    f"keywords are lower case: write {word.lower()!r}", pos + 1, word.lower()
                )
            out.append(_Tok(kind, word, pos + 1))
        pos = match.end()
    out.append(_Tok("end", "", len(text) + 1))
    return out


# ---------------------------------------------------------------- parser + checker

_INVERSE: Mapping[Op, Op] = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    "<=": ">",
    ">": "<=",
    ">=": "<",
}


class _Parser:
    def __init__(
        self, text: str, fields: Mapping[str, FieldInfo], concerns: frozenset[str]
    ) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.fields = fields
        self.concerns = concerns
        self.depth = 0

    # -- token helpers
    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def at(self, kind: str, text: str | None = None) -> bool:
        tok = self.tok
        return tok.kind == kind and (text is None or tok.text == text)

    def expect(self, kind: str, text: str, what: str) -> _Tok:
        if not self.at(kind, text):
            raise ConditionSyntaxError(
                f"expected {what}, found {self._show(self.tok)}", self.tok.column
            )
        return self.take()

    @staticmethod
    def _show(tok: _Tok) -> str:
        return "the end of the condition" if tok.kind == "end" else repr(tok.text)

    # -- grammar; each returns the condition and whether it is negated (NNF on the way)
    def parse(self) -> Cond:
        if self.at("end"):
            raise ConditionSyntaxError("the condition is empty; write e.g. 'chest_pain'", 1)
        cond = self.or_(negate=False)
        if not self.at("end"):
            tok = self.tok
            hint = " (join conditions with 'and' / 'or')" if tok.kind in {"name", "string"} else ""
            raise ConditionSyntaxError(f"unexpected {self._show(tok)}{hint}", tok.column)
        return cond

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionTypeError(
                f"nested more than {MAX_DEPTH} deep; split the rule",
                self.tok.column,
                code="condition-too-complex",
            )

    def or_(self, *, negate: bool) -> Cond:
        items = [self.and_(negate=negate)]
        while self.at("kw", "or"):
            self.take()
            items.append(self.and_(negate=negate))
        # not (a or b) == (not a) and (not b)
        return (
            _simplify(All(tuple(items)) if negate else Any_(tuple(items)))
            if len(items) > 1
            else items[0]
        )

    def and_(self, *, negate: bool) -> Cond:
        items = [self.not_(negate=negate)]
        while self.at("kw", "and"):
            self.take()
            items.append(self.not_(negate=negate))
        return (
            _simplify(Any_(tuple(items)) if negate else All(tuple(items)))
            if len(items) > 1
            else items[0]
        )

    def not_(self, *, negate: bool) -> Cond:
        if self.at("kw", "not"):
            self.take()
            self.nest()
            try:
                return self.not_(negate=not negate)
            finally:
                self.depth -= 1
        return self.atom(negate=negate)

    def atom(self, *, negate: bool) -> Cond:
        tok = self.tok
        if self.at("punct", "("):
            self.take()
            self.nest()
            cond = self.or_(negate=negate)
            self.depth -= 1
            self.expect("punct", ")", "')'")
            return cond
        if self.at("kw", "true") or self.at("kw", "false"):
            self.take()
            return Const((tok.text == "true") != negate)
        if tok.kind == "string":
            return self.concern_test(negate=negate)
        if tok.kind == "name":
            return self.field_test(negate=negate)
        raise ConditionSyntaxError(
            f"expected a field, a concern code or '(', found {self._show(tok)}", tok.column
        )

    def concern_test(self, *, negate: bool) -> Cond:
        tok = self.take()
        code = tok.text[1:-1]
        inverted = False
        if self.at("kw", "not"):
            self.take()
            inverted = True
        self.expect("kw", "in", "'in concerns' after a concern code")
        target = self.tok
        if not (target.kind == "name" and target.text == "concerns"):
            raise ConditionSyntaxError(
                f'a quoted code is tested with "in concerns"; found {self._show(target)}',
                target.column,
                "concerns",
            )
        self.take()
        if code not in self.concerns:
            raise ConditionTypeError(
                f"unknown concern code {code!r}",
                tok.column,
                _suggest(code, self.concerns),
                code="unknown-concern",
            )
        key = f"c__{code}"
        at = tok.column
        return Missing(key, column=at) if inverted != negate else Test(key, "==", True, column=at)

    def field(self) -> tuple[FieldInfo, _Tok]:
        tok = self.take()
        name = tok.text
        if name.startswith("answers."):
            name = name[len("answers.") :]
            info = self.fields.get(name)
            if info is not None and not info.key.startswith("q__"):
                info = None
        else:
            info = self.fields.get(name)
        if info is None:
            raise ConditionTypeError(
                f"unknown field {tok.text!r}",
                tok.column,
                _suggest(tok.text, [*self.fields, *(f"answers.{f}" for f in self.fields)]),
                code="unknown-field",
            )
        if info.type == "concerns":
            raise ConditionTypeError(
                "'concerns' is a set: test it with 'code' in concerns",
                tok.column,
                code="type-mismatch",
            )
        return info, tok

    def field_test(self, *, negate: bool) -> Cond:
        info, tok = self.field()
        nxt = self.tok
        if nxt.kind == "op":
            return self.compare(info, tok, negate=negate)
        if self.at("kw", "in") or (self.at("kw", "not") and self.toks[self.i + 1].text == "in"):
            return self.membership(info, tok, negate=negate)
        if self.at("kw", "is"):
            return self.answered(info, tok, negate=negate)
        if info.type != "boolean":
            raise ConditionTypeError(
                f"{info.name!r} is a {info.type}, not true/false: compare it, "
                f"e.g. {info.name} {'>= 1' if info.type == 'number' else '== ...'}",
                tok.column,
                code="type-mismatch",
            )
        at = tok.column
        return Missing(info.key, column=at) if negate else Test(info.key, "==", True, column=at)

    def literal(self, info: FieldInfo) -> tuple[Scalar, _Tok]:
        tok = self.take()
        if tok.kind == "number":
            number = float(tok.text) if "." in tok.text else int(tok.text)
            value: Scalar = number
            want = "number"
            if abs(number) > MAX_NUMBER or len(tok.text.partition(".")[2]) > MAX_DECIMALS:
                raise ConditionTypeError(
                    f"numbers in conditions stay within ±{MAX_NUMBER:,} with at most "
                    f"{MAX_DECIMALS} decimals; {tok.text} is outside that",
                    tok.column,
                    code="number-out-of-range",
                )
        elif tok.kind == "string":
            value = tok.text[1:-1]
            want = "text"
        elif tok.kind == "kw" and tok.text in {"true", "false"}:
            value = tok.text == "true"
            want = "boolean"
        else:
            raise ConditionSyntaxError(
                f"expected a value (a number, 'text', true or false), found {self._show(tok)}",
                tok.column,
            )
        expected = {"boolean": "boolean", "number": "number", "choice": "text", "string": "text"}[
            info.type
        ]
        if want != expected:
            raise ConditionTypeError(
                f"{info.name!r} is a {info.type}; it cannot be compared with {tok.text}",
                tok.column,
                code="type-mismatch",
            )
        if info.type == "choice" and value not in info.choices:
            raise ConditionTypeError(
                f"{value!r} is not a choice of {info.name!r} ({', '.join(info.choices)})",
                tok.column,
                _suggest(str(value), info.choices),
                code="unknown-choice",
            )
        return value, tok

    def compare(self, info: FieldInfo, ftok: _Tok, *, negate: bool) -> Cond:
        optok = self.take()
        op: Op = optok.text  # type: ignore[assignment]  # the token pattern admits only these
        value, _ = self.literal(info)
        if info.type in {"boolean", "choice", "string"} and op not in {"==", "!="}:
            raise ConditionTypeError(
                f"{info.name!r} is a {info.type}; only == and != apply",
                optok.column,
                code="type-mismatch",
            )
        at = ftok.column
        if info.type == "boolean":
            truth = (value is True) == (op == "==")
            return (
                Test(info.key, "==", True, column=at)
                if truth != negate
                else Missing(info.key, column=at)
            )
        if not negate:
            return Test(info.key, op, value, column=at)
        inverted = Test(info.key, _INVERSE[op], value, column=at)
        return inverted if info.always_present else Any_((Missing(info.key, column=at), inverted))

    def membership(self, info: FieldInfo, ftok: _Tok, *, negate: bool) -> Cond:
        inverted = False
        if self.at("kw", "not"):
            self.take()
            inverted = True
        self.take()  # 'in'
        if info.type not in {"choice", "string", "number"}:
            raise ConditionTypeError(
                f"{info.name!r} is a {info.type}; 'in [...]' needs a number, choice or text",
                ftok.column,
                code="type-mismatch",
            )
        self.expect("punct", "[", "'[' to start a list")
        values = [self.literal(info)[0]]
        while self.at("punct", ","):
            self.take()
            values.append(self.literal(info)[0])
        self.expect("punct", "]", "']' to end the list")
        unique = tuple(dict.fromkeys(values))
        at = ftok.column
        if inverted == negate:
            return _simplify(Any_(tuple(Test(info.key, "==", v, column=at) for v in unique)))
        outside = _simplify(All(tuple(Test(info.key, "!=", v, column=at) for v in unique)))
        return outside if info.always_present else Any_((Missing(info.key, column=at), outside))

    def answered(self, info: FieldInfo, ftok: _Tok, *, negate: bool) -> Cond:
        self.take()  # 'is'
        inverted = False
        if self.at("kw", "not"):
            self.take()
            inverted = True
        self.expect("kw", "answered", "'answered' after 'is' / 'is not'")
        if info.type == "boolean" or info.always_present:
            raise ConditionTypeError(
                f"{info.name!r} always has a value (an unanswered yes/no question counts as "
                "false); 'is answered' applies to number and choice questions",
                ftok.column,
                code="type-mismatch",
            )
        at = ftok.column
        return Missing(info.key, column=at) if inverted != negate else Present(info.key, column=at)


def _simplify(cond: All | Any_) -> Cond:
    """Flatten nested same-kind groups and fold constants."""
    kind = type(cond)
    items: list[Cond] = []
    for item in cond.items:
        if isinstance(item, kind):
            items.extend(item.items)
        elif isinstance(item, Const):
            if item.value == (kind is Any_):
                return Const(item.value)
        else:
            items.append(item)
    if not items:
        return Const(kind is All)
    if len(items) == 1:
        return items[0]
    return kind(tuple(items))


def _suggest(
    word: str, choices: Iterator[str] | list[str] | tuple[str, ...] | frozenset[str]
) -> str | None:
    return did_you_mean(word, list(choices))


def compile_condition(text: str, fields: Mapping[str, FieldInfo], concerns: frozenset[str]) -> Cond:
    """Parse and type-check *text*; raise ConditionSyntaxError / ConditionTypeError."""
    cond = _Parser(text, fields, concerns).parse()
    if comparisons(cond) > MAX_COMPARISONS:
        raise ConditionTypeError(
            f"more than {MAX_COMPARISONS} comparisons in one condition; split the rule",
            1,
            code="condition-too-complex",
        )
    if dnf(cond) is None:
        raise ConditionTypeError(
            f"this condition expands to more than {MAX_TERMS} alternatives "
            "(and-ed groups of 'or'); split it into several rules",
            1,
            code="condition-too-complex",
        )
    return cond
