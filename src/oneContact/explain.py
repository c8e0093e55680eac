"""Explaining one decision as a rule author reads it, and asking why it was not another.

``explain(engine, contact)`` evaluates every rule in file order, matched or not, with each
comparison and the value it saw, and names the rule behind the urgency, each route and
each clock. ``why_not(engine, contact, level)`` searches the questionnaire's answers for
the fewest changes that would give *level*.

The search is exact up to its bound: it tries every set of 1, then 2, ... up to
``max_changes`` (default 3) changed answers, and stops at the first size that reaches
the level, so every set it reports is a smallest one. Only questions some rule tests can
change a decision, and of a question's values only one per *outcome class* is tried:
yes/no, each choice, "unanswered", and for numbers each literal the rules compare that
question with and one value in every gap between them (within the question's bounds).
Any other value gives every comparison the same outcome as one of those, so nothing is
missed. Concerns, age, channel and the other client fields stay as the contact gives them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from ._memo import BoundedMemo
from ._messages import kind_name, reading_language, status_name, text, urgency_name
from ._render import clock_lines, person_note
from .assessment import Assessment
from .errors import ArgumentError, did_you_mean
from .identity_code import NOT_SHOWN, shown_name
from .intake import FirstContact
from .ruleset import (
    URGENCY_LEVELS,
    Question,
    Questionnaire,
    Rule,
    RuleSet,
    Urgency,
    urgency_rank,
)
from .ruleset.condition import MAX_DECIMALS, MAX_NUMBER, Atom, Test
from .ruleset.python_evaluator import PythonProgram, compile_python
from .ruleset.trace import AtomTrace, RuleTrace, atom_holds, atoms, trace_rule

__all__ = [
    "MAX_WHY_NOT_CHANGES",
    "AnswerChange",
    "Assessor",
    "Explanation",
    "WhyNot",
    "WhyNotPath",
    "explain",
    "why_not",
]

#: The largest ``max_changes`` a why-not search accepts (cost grows with its power).
MAX_WHY_NOT_CHANGES = 5
DEFAULT_URGENCY_REASON = "default:urgency"
"""The cause named when no fired rule sets an urgency: the catalogue's default."""

_Contact = FirstContact | Mapping[str, Any] | str | bytes


class Assessor(Protocol):
    """What the rule authors' tools need of an engine; :class:`~oneContact.engine.Engine`
    is one. ``explain``, ``why_not`` and :mod:`oneContact.diff` take an engine through this
    protocol, so they never import the engine (the engine imports them)."""

    @property
    def ruleset(self) -> RuleSet:
        """The checked rules directory the engine assesses with."""

    @property
    def digest(self) -> str:
        """Identifies the rule files read: same contact and digest, same assessment."""

    def validate(self, contact: _Contact) -> FirstContact:
        """*contact* validated against the rules' questionnaire; a ContactError if not."""

    def facts(self, contact: FirstContact) -> Mapping[str, Any]:
        """The flat facts the rules' conditions see for a validated *contact*."""

    def assess(
        self,
        contact: _Contact,
        *,
        events: Mapping[str, datetime] | None = None,
        now: datetime | None = None,
    ) -> Assessment:
        """The assessment of *contact*: urgency, needs, routes, clocks, fired rules."""


def _value_text(value: Any) -> str:
    if value is None:
        return "unanswered"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _where(rule: Rule | None) -> str:
    return f"{rule.id} ({rule.file}:{rule.line})" if rule is not None else ""


# ---------------------------------------------------------------- explain


@attrs.frozen
class Explanation:
    """One decision: every rule traced in file order, and the cause of each outcome."""

    assessment: Assessment
    rules: tuple[RuleTrace, ...]
    """Every rule of the rules directory in file order, matched or not."""
    urgency_reason: str
    """The rule id that set the urgency, or ``default:urgency`` (the catalogue's default)."""
    clock_reasons: Mapping[str, str]
    """Clock id → the rule that started it (the first in hit-policy order naming it)."""
    ruleset: RuleSet | None = attrs.field(default=None, eq=False, repr=False)
    """The rules explained: their descriptions, the questions' choice labels and the
    policies' texts, for :meth:`to_text` in a language."""

    @property
    def language(self) -> str:
        """The language :meth:`to_text` uses by default: the client's when it is fi, sv
        or en, else Finnish."""
        return reading_language(self.assessment.language)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: the decision with its causes, then every rule and comparison."""
        a = self.assessment
        return {
            "contact_id": a.contact_id,
            "ruleset_digest": a.ruleset_digest,
            "urgency": {"level": a.urgency, "rule": self.urgency_reason},
            "routes": [{"kind": r.kind, "service": r.service, "rule": r.reason} for r in a.routes],
            "clocks": [
                {
                    "clock": c.clock,
                    "for": c.person,
                    "due_date": None if c.due_date is None else c.due_date.isoformat(),
                    "status": c.status,
                    "rule": self.clock_reasons.get(c.clock),
                }
                for c in a.clocks
            ],
            "rules": [
                {
                    "rule": t.rule,
                    "file": t.file,
                    "line": t.line,
                    "matched": t.matched,
                    "conditions": [
                        {
                            "condition": atom.text,
                            "column": atom.column,
                            "actual": atom.actual,
                            "outcome": atom.outcome,
                        }
                        for atom in t.atoms
                    ],
                }
                for t in self.rules
            ],
        }

    def to_text(self, *, matched_only: bool = False, language: str | None = None) -> str:
        """The decision with its causes, then the rules file by file ("[x]" = matched),
        each with its description, in *language* (default: :attr:`language`). Ids,
        conditions and files stay as written."""
        lang = reading_language(language or self.assessment.language)
        a = self.assessment
        ruleset = self.ruleset
        rules = {} if ruleset is None else {r.id: r for r in ruleset.rules}
        questions = {} if ruleset is None else ruleset.questionnaire.questions
        lines = [
            text("contact", lang, id=a.contact_id),
            f"{text('rules_digest', lang)}: {a.ruleset_digest}",
            f"{text('urgency', lang)}: {urgency_name(a.urgency, lang)}  <- {self.urgency_reason}",
            f"{text('routes', lang)}:",
            *(
                f"  {i}. {r.service} ({kind_name(r.kind, lang)})  <- {r.reason}"
                for i, r in enumerate(a.routes, 1)
            ),
            f"{text('clocks', lang)}:" if a.clocks else text("clocks_none", lang),
        ]
        for c in a.clocks:
            cause = f"  <- {self.clock_reasons.get(c.clock, '?')}"
            if ruleset is None:
                lines.append(
                    f"  - {c.clock}{person_note(c, None, lang)}: {_due(c.due_date, lang)} "
                    f"({status_name(c.status, lang)}){cause}"
                )
            else:
                first, *rest = clock_lines(c, ruleset, lang)
                lines += [first + cause, *rest]
        lines.append(text("explain_rules", lang))
        current = None
        for t in self.rules:
            if matched_only and not t.matched:
                continue
            if t.file != current:
                current = t.file
                lines.append(f"  {t.file}")
            lines.append(
                f"    [{'x' if t.matched else ' '}] {t.rule}  {text('explain_line', lang)} {t.line}"
            )
            rule = rules.get(t.rule)
            if rule is not None and rule.description is not None:
                lines.append(f"          {rule.description.get(lang)}")
            for atom in t.atoms:
                outcome = "true " if atom.outcome else "false"
                seen = _seen(atom, questions, lang)
                lines.append(
                    f"          {outcome}  {atom.text}  ({text('explain_saw', lang)} {seen})"
                )
        return "\n".join(lines)


def _seen(atom: AtomTrace, questions: Mapping[str, Question], language: str) -> str:
    """The value a comparison saw, in words: a choice with its label, yes or no."""
    question = questions.get(atom.key[3:]) if atom.key.startswith("q__") else None
    if question is not None:
        return question.answer_text(atom.actual, language)
    if atom.actual is None:
        return text("unanswered", language)
    if isinstance(atom.actual, bool):
        return text("yes" if atom.actual else "no", language)
    if atom.actual == NOT_SHOWN:  # text the client typed (docs/reference/personal-data.md)
        return text("not_shown", language)
    return _value_text(atom.actual)


def _due(day: Any, language: str = "en") -> str:
    if day is None:
        return text("no_due_date", language)
    return text("due", language, date=day.isoformat())


def explain(
    engine: Assessor,
    contact: _Contact,
    *,
    events: Mapping[str, datetime] | None = None,
    now: datetime | None = None,
) -> Explanation:
    """Assess *contact* and explain the decision rule by rule.

    Raises :class:`~oneContact.errors.ContactError` for an invalid contact, like
    :meth:`Engine.assess`. The explanation holds no free text of the contact.
    """
    valid = engine.validate(contact)
    assessment = engine.assess(valid, events=events, now=now)
    questionnaire = engine.ruleset.questionnaire
    fact = engine.facts(valid)
    traces = tuple(trace_rule(rule, fact, questionnaire) for rule in engine.ruleset.rules)
    by_id = {rule.id: rule for rule in engine.ruleset.rules}
    urgency_reason = next(
        (f.rule for f in assessment.fired if f.urgency is not None), DEFAULT_URGENCY_REASON
    )
    clock_reasons: dict[str, str] = {}
    for fired in assessment.fired:
        for clock in by_id[fired.rule].clocks:
            clock_reasons.setdefault(clock, fired.rule)
    return Explanation(assessment, traces, urgency_reason, clock_reasons, engine.ruleset)


# ---------------------------------------------------------------- why not


@attrs.frozen
class AnswerChange:
    """One answer changed: ``None`` stands for "not answered"."""

    question: str
    before: bool | int | float | str | None
    after: bool | int | float | str | None

    def to_json(self) -> dict[str, Any]:
        """``{question, before, after}``; ``null`` means not answered."""
        return {"question": self.question, "before": self.before, "after": self.after}

    def __str__(self) -> str:
        return f"answers.{self.question}: {_value_text(self.before)} -> {_value_text(self.after)}"

    def text(self, question: Question | None, language: str) -> str:
        """The change in *language*, a choice shown with its label."""
        if question is None:
            return str(self)
        before = question.answer_text(self.before, language)
        after = question.answer_text(self.after, language)
        return f"answers.{self.question}: {before} -> {after}"


@attrs.frozen
class WhyNotPath:
    """One smallest set of answer changes that gives the level asked for."""

    changes: tuple[AnswerChange, ...]
    rule: str
    """The rule that would then set the urgency (or ``default:urgency``)."""

    def to_json(self) -> dict[str, Any]:
        """``{changes: [...], rule}``."""
        return {"changes": [c.to_json() for c in self.changes], "rule": self.rule}


@attrs.frozen
class WhyNot:
    """The answer to "why is it not *level*?"."""

    level: Urgency
    current: Urgency
    max_changes: int
    possible: bool
    """False when it is proven that no answers can reach *level* (see ``reason``): no rule
    sets it and it is not the default, or a rule that tests no answer keeps it away."""
    size: int | None
    """The fewest changes that reach *level* (0 when it already is), None when none did."""
    paths: tuple[WhyNotPath, ...]
    """Smallest sets, up to ``limit`` of them: those through questions the contact answered
    or that are asked under its concerns first, then in questionnaire order."""
    total: int
    """How many smallest sets there are (``paths`` may hold fewer)."""
    tried: int
    """Candidate answer sets evaluated."""
    reason: str | None = None
    """Why no answers can reach *level*, when ``possible`` is False."""
    questionnaire: Questionnaire | None = attrs.field(default=None, eq=False, repr=False)
    """The questions changed (their choice labels), for :meth:`to_text` in a language."""
    client_language: str = attrs.field(default="fi", eq=False, repr=False)
    """The client's language: :meth:`to_text`'s default (fi, sv or en, else Finnish)."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready; ``size`` is null when nothing within ``max_changes`` reaches the level."""
        return {
            "level": self.level,
            "current": self.current,
            "max_changes": self.max_changes,
            "possible": self.possible,
            "reason": self.reason,
            "size": self.size,
            "total": self.total,
            "tried": self.tried,
            "paths": [p.to_json() for p in self.paths],
        }

    def to_text(self, *, language: str | None = None) -> str:
        """A short answer and the smallest change sets, one per line, in *language*
        (default: the client's language, see :attr:`client_language`); a choice answer
        is shown with its label."""
        lang = reading_language(language or self.client_language)
        level, current = urgency_name(self.level, lang), urgency_name(self.current, lang)
        head = text("why_not_head", lang, level=level, current=current)
        if self.size == 0:
            return f"{head}\n  {text('why_not_already', lang, level=level)}"
        if not self.possible:
            said = text("why_not_impossible", lang, level=level, reason=self.reason)
            return f"{head}\n  {said}"
        if self.size is None:
            said = text("why_not_none", lang, max=self.max_changes, level=level, tried=self.tried)
            return f"{head}\n  {said}"
        changes = text(
            "why_not_changes.1" if self.size == 1 else "why_not_changes", lang, size=self.size
        )
        ways = text("why_not_ways.1" if self.total == 1 else "why_not_ways", lang, total=self.total)
        shown = len(self.paths) < self.total
        lines = [
            f"{head}\n  {changes}; {ways}"
            + (text("why_not_shown", lang, shown=len(self.paths)) if shown else "")
            + ":"
        ]
        questions = {} if self.questionnaire is None else self.questionnaire.questions
        for path in self.paths:
            changes = "; ".join(c.text(questions.get(c.question), lang) for c in path.changes)
            lines.append(f"  - {changes}  => {path.rule}")
        return "\n".join(lines)


def _number_candidates(question: Question, literals: Sequence[float]) -> Iterator[float]:
    """Each literal within the question's bounds, and one valid value in every gap
    below, between and above them: one value per outcome class of the comparisons."""
    low = question.minimum if question.minimum is not None else -MAX_NUMBER
    high = question.maximum if question.maximum is not None else MAX_NUMBER
    points = sorted({float(v) for v in literals if low <= v <= high})

    def valid(x: float) -> bool:
        return low <= x <= high and (not question.integer or float(x).is_integer())

    def inside(a: float, b: float) -> float | None:
        """A valid value strictly between a and b (either may be infinite), or None."""
        if question.integer:
            if a == -math.inf:
                x = float(math.ceil(b) - 1) if b != math.inf else 0.0
                x = max(x, float(math.ceil(low)))
            else:
                x = float(max(math.floor(a) + 1, math.ceil(low)))
        elif a == -math.inf:
            x = max(low, b - 1) if b != math.inf else min(max(0.0, low), high)
        elif b == math.inf:
            x = min(high, a + 1)
        else:
            x = round(a + (b - a) / 2, MAX_DECIMALS)
            if not a < x < b:
                x = a + (b - a) / 2
        return x if a < x < b and valid(x) else None

    for p in points:
        if valid(p):
            yield p
    for a, b in itertools.pairwise([-math.inf, *points, math.inf]):
        x = inside(a, b)
        if x is not None:
            yield x


def _tidy(question: Question, value: float) -> int | float:
    return int(value) if question.integer or value.is_integer() else value


def _options(
    question: Question, atoms_of_key: Sequence[Atom], fact: Mapping[str, Any]
) -> list[tuple[Any, Any]]:
    """(answer, its value in the fact) for each outcome class but the current one: one
    value per distinct outcome of the comparisons the rules make on this question."""
    key = f"q__{question.id}"
    candidates: list[Any]
    if question.type == "boolean":
        candidates = [True, False]
    elif question.type == "choice":
        candidates = [*question.choices, None]
    else:
        literals = [
            float(a.value)
            for a in atoms_of_key
            if isinstance(a, Test) and not isinstance(a.value, bool | str)
        ]
        candidates = [_tidy(question, x) for x in _number_candidates(question, literals)]
        candidates.append(None)

    def signature(value: Any) -> tuple[bool, ...]:
        probe = {} if value is None or value is False else {key: value}
        return tuple(atom_holds(a, probe) for a in atoms_of_key)

    current = signature(fact.get(key))
    seen = {current}
    out: list[tuple[Any, Any]] = []
    for value in candidates:
        sig = signature(value)
        if sig not in seen:
            seen.add(sig)
            out.append((value, value))
    return out


def why_not(
    engine: Assessor,
    contact: _Contact,
    level: Urgency,
    *,
    max_changes: int = 3,
    limit: int = 10,
) -> WhyNot:
    """The fewest answer changes that would make *contact* end at urgency *level*.

    Exact up to *max_changes* changed answers (1 to :data:`MAX_WHY_NOT_CHANGES`): see the
    module docstring for how the answer space is searched. Every path it returns is
    checked with :meth:`Engine.assess`. Raises :class:`~oneContact.errors.ArgumentError`
    (a ``ValueError``, code ``bad-argument``) for an unknown level or a bound out of range,
    and :class:`~oneContact.errors.ContactError` for an invalid contact.
    """
    if level not in URGENCY_LEVELS:
        raise ArgumentError(
            "bad-argument",
            "level",
            f"the level must be one of {', '.join(URGENCY_LEVELS)}, not {shown_name(level)}",
            suggestion=did_you_mean(str(level), URGENCY_LEVELS),
        )
    if not 1 <= max_changes <= MAX_WHY_NOT_CHANGES:
        raise ArgumentError(
            "bad-argument",
            "max_changes",
            f"max_changes must be 1 to {MAX_WHY_NOT_CHANGES}, not {max_changes!r}",
        )
    valid = engine.validate(contact)
    ruleset = engine.ruleset
    questionnaire = ruleset.questionnaire
    current = engine.assess(valid).urgency

    def answer(
        size: int | None,
        paths: Sequence[WhyNotPath],
        total: int,
        tried: int,
        reason: str | None = None,
    ) -> WhyNot:
        return WhyNot(
            level,
            current,
            max_changes,
            reason is None,
            size,
            tuple(paths),
            total,
            tried,
            reason,
            questionnaire=questionnaire,
            client_language=valid.client.language,
        )

    if current == level:
        return answer(0, [], 1, 0)
    if ruleset.catalogue.default_urgency != level and not any(
        r.urgency == level for r in ruleset.rules
    ):
        return answer(
            None, [], 0, 0, f"no rule sets urgency {level} and it is not the catalogue's default"
        )

    fact = engine.facts(valid)
    by_key: dict[str, list[Atom]] = {}
    for rule in ruleset.rules:
        for atom in atoms(rule.condition):
            same_key = by_key.setdefault(atom.key, [])
            if atom not in same_key:
                same_key.append(atom)
    variables: list[tuple[Question, list[tuple[Any, Any]]]] = []
    for question in questionnaire.questions.values():
        key = f"q__{question.id}"
        if key in by_key:
            options = _options(question, by_key[key], fact)
            if options:
                variables.append((question, options))

    program = _program(ruleset.rules)
    ranks = [urgency_rank(r.urgency) if r.urgency is not None else None for r in ruleset.rules]
    default_rank = urgency_rank(ruleset.catalogue.default_urgency)
    target = urgency_rank(level)

    def reaches(probe: dict[str, Any]) -> bool:
        fired = [ranks[i] for i in program.fired(probe)]
        given = [r for r in fired if r is not None]
        return (min(given) if given else default_rank) == target

    must_touch, blocked = _must_touch(
        ruleset.rules, program.fired(fact), variables, level, default_rank
    )
    if blocked is not None:
        return answer(None, [], 0, 0, blocked)
    tried = 0
    for size in range(1, max_changes + 1):
        found: list[tuple[tuple[Question, Any], ...]] = []
        for chosen_at in itertools.combinations(range(len(variables)), size):
            if not all(touched.intersection(chosen_at) for touched in must_touch):
                continue  # cannot reach the level: see _must_touch
            chosen = [variables[i] for i in chosen_at]
            for values in itertools.product(*(options for _, options in chosen)):
                tried += 1
                probe = dict(fact)
                for (question, _), (_, fact_value) in zip(chosen, values, strict=True):
                    key = f"q__{question.id}"
                    if fact_value is None or fact_value is False:
                        probe.pop(key, None)
                    else:
                        probe[key] = fact_value
                if reaches(probe):
                    found.append(tuple((q, v[0]) for (q, _), v in zip(chosen, values, strict=True)))
        if found:
            found.sort(key=lambda changes: _remoteness(valid, changes))
            paths = [_checked_path(engine, valid, changes, level) for changes in found[:limit]]
            return answer(size, paths, len(found), tried)
    return answer(None, [], 0, tried)


def _must_touch(
    rules: Sequence[Rule],
    fired_now: Sequence[int],
    variables: Sequence[tuple[Question, Any]],
    level: Urgency,
    default_rank: int,
) -> tuple[list[set[int]], str | None]:
    """Groups of variables a change set must each touch to possibly reach *level*, and why
    no answers can reach it when some group is empty.

    A rule's outcome can only change when an answer it tests changes, so: every rule
    that fires now with a more urgent level must stop firing (touch one of its
    questions); and unless *level* is the default, some rule setting *level* must fire,
    so when none fires now one of their questions must change. Skipping the other sets
    loses nothing: none of them can reach the level.
    """
    index = {f"q__{q.id}": i for i, (q, _) in enumerate(variables)}

    def touched(rule: Rule) -> set[int]:
        return {index[a.key] for a in atoms(rule.condition) if a.key in index}

    target = urgency_rank(level)
    groups: list[set[int]] = []
    for i in fired_now:
        rule = rules[i]
        if rule.urgency is not None and urgency_rank(rule.urgency) < target:
            group = touched(rule)
            if not group:
                return groups, (
                    f"rule {rule.id} ({rule.file}:{rule.line}) sets {rule.urgency} and no "
                    "answer can stop it matching"
                )
            groups.append(group)
    setting = [i for i, rule in enumerate(rules) if rule.urgency == level]
    if target != default_rank and not any(i in fired_now for i in setting):
        group = set().union(*(touched(rules[i]) for i in setting))
        if not group:
            return groups, f"no answer can make a rule that sets {level} match"
        groups.append(group)
    return groups, None


_PROGRAMS: BoundedMemo[int, tuple[tuple[Rule, ...], PythonProgram]] = BoundedMemo(8)


def _program(rules: tuple[Rule, ...]) -> PythonProgram:
    """The generated-Python evaluator of *rules*, compiled once per rules tuple (about
    10 ms for the bundled rules, most of a why-not answer's time otherwise)."""
    # Keyed by identity; the rules are kept beside their program, so an id reused by a
    # new tuple is told apart.
    entry = _PROGRAMS.get(id(rules))
    if entry is not None and entry[0] is rules:
        return entry[1]
    program = compile_python([rule.condition for rule in rules])
    _PROGRAMS.put(id(rules), (rules, program))
    return program


def _remoteness(contact: FirstContact, changes: Sequence[tuple[Question, Any]]) -> tuple[int, int]:
    """Sort key: paths through questions the contact answered, or that are asked under
    its concerns, come first (stable, so questionnaire order breaks ties)."""
    concerns = set(contact.concerns)
    unanswered = sum(q.id not in contact.answers for q, _ in changes)
    elsewhere = sum(bool(q.concerns) and not concerns & set(q.concerns) for q, _ in changes)
    return unanswered + elsewhere, unanswered


def _checked_path(
    engine: Assessor,
    contact: FirstContact,
    changes: Sequence[tuple[Question, Any]],
    level: Urgency,
) -> WhyNotPath:
    """The path as answer changes, proven with the engine itself."""
    answers = dict(contact.answers)
    out: list[AnswerChange] = []
    for question, value in changes:
        out.append(AnswerChange(question.id, answers.get(question.id), value))
        if value is None:
            answers.pop(question.id, None)
        else:
            answers[question.id] = value
    changed = contact.model_copy(update={"answers": answers})
    assessment = engine.assess(changed)
    if assessment.urgency != level:  # pragma: no cover - the evaluators disagree: a bug
        raise AssertionError(
            f"why-not path {[str(c) for c in out]} gives {assessment.urgency}, not {level}"
        )
    rule = next((f.rule for f in assessment.fired if f.urgency is not None), None)
    return WhyNotPath(tuple(out), rule or DEFAULT_URGENCY_REASON)
