"""Ask only what matters: the questions that can still change the decision, computed
exactly from the rules.

``engine.next_questions(partial)`` takes a first contact with its concerns and the
answers so far and returns a :class:`NextQuestions`: the unanswered questions whose answer
can still change the decision, in a safe asking order, whether the form can stop
(``done``) and the assessment as it stands (``outcome``).

What is decided, and how
------------------------

The *decision* of an assessment is what :meth:`Assessment.decision` holds: the urgency,
the needs, the routes (without the rule id each names as its reason) and the clocks. The
rules that fired are its explanation, not part of it: a question whose only effect is one
more fired rule that changes nothing decided is not asked.

The *form* of a contact is the questions of its concerns (a question without concerns
belongs to every form). A question of the form not yet answered, and not declined, is
*open*. An open question **matters** when two answers to it (leaving it unanswered is one
answer) give two different decisions for at least one way of answering the other open
questions. :func:`next_questions` returns exactly the open questions that matter:

* **sound** — a question not returned cannot change the decision, whatever the open
  questions are answered; when none is returned (``done``), the decision as it stands is
  the decision of every way of answering the rest;
* **minimal** — each returned question carries a :class:`Witness`: answers to the other
  open questions and two answers to it that give two different decisions.

The search is exact, not sampled. Every rule's condition is read in disjunctive normal
form and evaluated as far as the answers given decide it: a rule holds, cannot hold, or
is *open* on some open questions. The values of each open question fall into finitely many
classes that no condition tells apart (the choices a condition names, the intervals
between the numbers it compares with, unanswered; for the age of a person a clock follows,
also the ages the clock policies compare with), so a class's one representative stands for
all its values. Open questions that share an open rule form a *group*; groups are
independent of each other, so each group's combinations of classes are enumerated alone
(at most :data:`MAX_COMBINATIONS`), and a question of one group is tried against the
states the other groups can be in, the least eventful first, until two decisions differ
(at most :data:`MAX_DECISIONS` decisions worked out in one call). Beyond either bound the
search gives up honestly: ``exact`` is False, ``note`` says why, and every open question
some open rule or clock reads is returned (never fewer than the exact answer).

The asking order
----------------

1. red-flag questions that can change the urgency, most urgent first;
2. the other questions that can change the urgency, most urgent first;
3. the questions that change needs, services, routes or clocks only;

and within each, the questionnaire's order.

Routes are decided by the engine's router from the urgency, the services and the clocks;
a custom router (``Engine(router=...)``) that reads answers itself is outside what this
module can see.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ._text import Label
from .assessment import Assessment
from .clocks import Clock, ClockSubject
from .routing import CatalogueRouter, RouteRequest
from .ruleset import NO_URGENCY_RANK, URGENCY_LEVELS, Person, Question, Urgency, urgency_rank
from .ruleset.condition import MAX_TERMS, Atom, Missing, Present, Test, dnf
from .ruleset.sat import Domain, domains, key_satisfiable, number_in

if TYPE_CHECKING:
    from .engine import Engine, _Outcome
    from .intake import FirstContact

__all__ = [
    "MAX_COMBINATIONS",
    "MAX_DECISIONS",
    "Change",
    "NextQuestion",
    "NextQuestions",
    "Witness",
    "next_questions",
]

#: Combinations of answer classes enumerated for one group of questions that share rules.
MAX_COMBINATIONS = 4_096
#: Decisions worked out in one call while looking for witnesses.
MAX_DECISIONS = 20_000

Change = Literal["urgency", "needs", "routes", "clocks"]
_CHANGES: tuple[Change, ...] = ("urgency", "needs", "routes", "clocks")


class _AbsentType:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unanswered>"


_ABSENT: Any = _AbsentType()


# ---------------------------------------------------------------- public values


@attrs.frozen
class Witness:
    """Why a question matters: with the other open questions answered as in ``answers``
    (a question not named there left unanswered), answering the question ``answer`` or
    ``other_answer`` (None: left unanswered) gives two decisions that differ in
    ``changes``."""

    answers: Mapping[str, Any]
    answer: Any
    other_answer: Any
    changes: tuple[Change, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "answers": dict(self.answers),
            "answer": self.answer,
            "other_answer": self.other_answer,
            "changes": list(self.changes),
        }


@attrs.frozen
class NextQuestion:
    """One question to ask next, with why it matters."""

    question: Question
    rules: tuple[str, ...]
    """The rules its answer switches in the witness (they hold for one of its two
    answers and not for the other), by id in file order."""
    changes: tuple[Change, ...]
    """What its answer can change: always what the witness shows changing, and
    ``urgency`` whenever it can change the urgency."""
    urgency_up_to: Urgency | None
    """The most urgent level an answer to it can lead to, when it can change the
    urgency; else None."""
    witness: Witness | None
    """Answers that show it matters; None only when the search gave up (``exact`` False)."""

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def type(self) -> str:
        return self.question.type

    @property
    def choices(self) -> tuple[str, ...]:
        return self.question.choices

    @property
    def label(self) -> Label:
        return self.question.label

    @property
    def red_flag(self) -> bool:
        return self.question.red_flag

    def to_json(self) -> dict[str, Any]:
        """The question as ``onecontact next-questions --format json`` gives it."""
        q = self.question
        data: dict[str, Any] = {
            "id": q.id,
            "type": q.type,
            "label": _label_json(q.label),
            "red_flag": q.red_flag,
        }
        if q.type == "choice":
            data["choices"] = [
                {"id": c, "label": _label_json(q.choice_labels[c])}
                if c in q.choice_labels
                else {"id": c}
                for c in q.choices
            ]
        if q.type == "number":
            data.update(minimum=q.minimum, maximum=q.maximum, integer=q.integer)
        data["why"] = {
            "rules": list(self.rules),
            "changes": list(self.changes),
            "urgency_up_to": self.urgency_up_to,
            "witness": None if self.witness is None else self.witness.to_json(),
        }
        return data


@attrs.frozen
class NextQuestions:
    """One step of an adaptive form: what to ask next, and the decision so far."""

    questions: tuple[NextQuestion, ...]
    """The open questions whose answer can still change the decision, in asking order."""
    outcome: Assessment
    """The assessment of the contact as it stands, if the client stops now."""
    exact: bool = True
    """False when the search exceeded its bounds and returned every open question the
    rules read instead (``note`` says which bound)."""
    note: str | None = None

    @property
    def done(self) -> bool:
        """True when no open question can change the decision: the form can stop."""
        return not self.questions

    def to_json(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "exact": self.exact,
            "note": self.note,
            "questions": [q.to_json() for q in self.questions],
            "outcome": self.outcome.to_json(),
        }


def _label_json(label: Label) -> dict[str, str]:
    return {"fi": label.fi, "sv": label.sv, "en": label.en}


def next_questions(
    engine: Engine,
    partial: FirstContact | Mapping[str, Any] | str | bytes,
    *,
    declined: Iterable[str] = (),
) -> NextQuestions:
    """The questions to ask next of *partial* (see the module docstring).

    *declined* names questions the client was asked and chose to leave unanswered: they
    are not asked again. Raises ``ContactError`` for an invalid contact, like
    :meth:`Engine.assess`.
    """
    return engine._asking().step(partial, frozenset(declined))


# ---------------------------------------------------------------- the planner


def _holds(atom: Atom, value: Any) -> bool:
    """Whether *atom* holds when its key has *value* (``_ABSENT``: not in the fact)."""
    if isinstance(atom, Missing):
        return value is _ABSENT
    if isinstance(atom, Present):
        return value is not _ABSENT
    if value is _ABSENT:
        return False
    op, other = atom.op, atom.value
    if op == "==":
        return bool(value == other)
    if op == "!=":
        return bool(value != other)
    if op == "<":
        return bool(value < other)
    if op == "<=":
        return bool(value <= other)
    if op == ">":
        return bool(value > other)
    return bool(value >= other)


@attrs.frozen
class _Var:
    """One open question in the search: its fact key and the representatives of its
    answer classes (``_ABSENT`` last: unanswered)."""

    qid: str
    key: str
    cells: tuple[Any, ...]
    person: bool


@attrs.define
class _Group:
    """Open questions that share open rules, and the states they can put those rules in."""

    vars: list[_Var]
    rules: list[int]  # hit-order positions of its open rules
    # state id -> (fired positions, person answers) and one combination giving it
    states: list[tuple[frozenset[int], tuple[Any, ...]]] = attrs.field(factory=list)
    examples: list[tuple[Any, ...]] = attrs.field(factory=list)
    # var index -> {(state a, state b): (combination a, combination b)}
    flips: list[dict[tuple[int, int], tuple[tuple[Any, ...], tuple[Any, ...]]]] = attrs.field(
        factory=list
    )


class _GiveUp(Exception):
    """A bound of the search was exceeded; the message says which."""


class Planner:
    """What an engine prepares once to find next questions: the rules' conditions in
    disjunctive normal form, in hit-policy order. Read-only after construction."""

    def __init__(self, engine: Engine, outcomes: Sequence[_Outcome]) -> None:
        ruleset = engine.ruleset
        self._engine = engine
        self._ruleset = ruleset
        self._outcomes = tuple(outcomes)
        questionnaire = ruleset.questionnaire
        self._questions = questionnaire.questions
        self._order = {qid: i for i, qid in enumerate(questionnaire.questions)}
        self._space: Mapping[str, Domain] = domains(questionnaire)
        terms: list[tuple[tuple[Atom, ...], ...]] = []
        for outcome in self._outcomes:
            found = dnf(outcome.rule.condition, limit=MAX_TERMS)
            assert found is not None  # a checked condition expands to at most MAX_TERMS
            terms.append(found)
        self._terms = tuple(terms)
        self._ranks = tuple(urgency_rank(o.urgency) for o in self._outcomes)
        self._default_rank = urgency_rank(ruleset.catalogue.default_urgency)
        self._parts = tuple(contributions(o, p) for p, o in enumerate(self._outcomes))
        self._persons: Mapping[str, Person] = questionnaire.persons
        person_keys: dict[str, str] = {}
        for person in self._persons.values():
            for qid in (person.age, person.highest_care_allowance, person.special_support_child):
                if qid is not None:
                    person_keys[f"q__{qid}"] = person.id
        self._person_keys = MappingProxyType(person_keys)
        self._person_ages = tuple(
            sorted({*ruleset.policies.ages_compared(), 0, 151})  # _person_subject: 0-150
        )
        self._router = CatalogueRouter()

    # -------------------------------------------------------------- one step

    def step(
        self, partial: FirstContact | Mapping[str, Any] | str | bytes, declined: frozenset[str]
    ) -> NextQuestions:
        engine = self._engine
        contact, fact = engine._read(partial, ())
        outcome = engine.assess(contact)
        open_keys = {
            f"q__{q.id}": q.id
            for q in self._ruleset.questionnaire.form(contact.concerns)
            if q.id not in contact.answers and q.id not in declined
        }
        search = _Search(self, contact, fact, open_keys)
        try:
            found = search.run()
        except _GiveUp as exc:
            return NextQuestions(tuple(self._fallback(search)), outcome, exact=False, note=str(exc))
        ordered = sorted(found, key=self._asking_key)
        return NextQuestions(tuple(ordered), outcome)

    def _asking_key(self, q: NextQuestion) -> tuple[int, int, int]:
        can_raise = q.urgency_up_to is not None
        group = (0 if q.red_flag else 1) if can_raise else 2
        return (group, urgency_rank(q.urgency_up_to), self._order[q.id])

    def _fallback(self, search: _Search) -> Iterator[NextQuestion]:
        for qid in sorted(search.candidates(), key=self._order.__getitem__):
            yield NextQuestion(self._questions[qid], search.rules_reading(qid), (), None, None)

    # -------------------------------------------------------------- decisions

    def decision(
        self, contact: FirstContact, fired: frozenset[int], persons: Mapping[str, Any]
    ) -> tuple[Any, ...]:
        """The decision of *contact* when exactly the rules at *fired* hold and the
        persons' questions are answered as in *persons* (question id -> answer)."""
        from .engine import _person_subject, combine  # noqa: PLC0415 -- engine imports this module lazily

        ruleset = self._ruleset
        catalogue = ruleset.catalogue
        policies = ruleset.policies
        outcomes = self._outcomes
        urgency, needs, services, clock_ids = combine(
            [outcomes[p] for p in sorted(fired)], catalogue, policies.treatment_clocks
        )
        others: dict[str, tuple[str, ClockSubject]] = {}
        for clock_id, person in clock_ids.items():
            if person is not None:
                others[clock_id] = (person, _person_subject(self._persons[person], persons))
        client = contact.client
        clocks: tuple[Clock, ...] = policies.compute(
            tuple(clock_ids),
            subject=ClockSubject(
                client.age,
                client.birth_date,
                client.highest_care_allowance,
                client.special_support_child,
            ),
            received_at=contact.received_at,
            others=others,
        )
        routes = self._router.route(
            RouteRequest(contact, urgency, tuple(services.values()), catalogue)
        )
        return (urgency, tuple(needs), tuple((r.kind, r.service) for r in routes), clocks)


# ---------------------------------------------------------------- the search


class _Search:
    """The search of one step."""

    def __init__(
        self,
        planner: Planner,
        contact: FirstContact,
        fact: Mapping[str, Any],
        open_keys: Mapping[str, str],
    ) -> None:
        self.p = planner
        self.contact = contact
        self.fact = fact
        self.open_keys = open_keys
        self.definite: set[int] = set()
        self.open_rules: dict[int, list[tuple[Atom, ...]]] = {}
        self.person_vars: set[str] = set()
        self.decisions: dict[tuple[frozenset[int], tuple[Any, ...]], tuple[Any, ...]] = {}
        self.groups: list[_Group] = []
        self.fixed_persons: dict[str, Any] = {}
        self.person_order: list[str] = []  # question ids of the person questions in the search
        self._residuals()

    # -------------------------------------------------------------- rules as far as known

    def _residuals(self) -> None:
        fact = self.fact
        open_keys = self.open_keys
        space = self.p._space
        for position, terms in enumerate(self.p._terms):
            residual: list[tuple[Atom, ...]] = []
            for term in terms:
                rest: list[Atom] = []
                for atom in term:
                    if atom.key in open_keys:
                        rest.append(atom)
                    elif not _holds(atom, fact.get(atom.key, _ABSENT)):
                        break
                else:
                    if not rest:
                        self.definite.add(position)
                        residual = []
                        break
                    if _consistent(rest, space):
                        residual.append(tuple(rest))
            if residual and position not in self.definite:
                self.open_rules[position] = residual
        # The person questions the decision can read: of a person some rule that holds
        # or may hold starts a clock for.
        outcomes = self.p._outcomes
        followed = {
            person
            for position in (*self.definite, *self.open_rules)
            for _, person in outcomes[position].clocks
            if person is not None
        }
        answers = self.contact.answers
        for key, person in self.p._person_keys.items():
            qid = key[3:]
            if person not in followed:
                continue
            self.person_order.append(qid)
            if key in open_keys:
                self.person_vars.add(key)
            elif qid in answers:
                self.fixed_persons[qid] = answers[qid]

    def candidates(self) -> set[str]:
        """Every open question an open rule reads or a followed person's clock reads."""
        keys = {a.key for terms in self.open_rules.values() for t in terms for a in t}
        return {self.open_keys[k] for k in keys | self.person_vars if k in self.open_keys}

    def rules_reading(self, qid: str) -> tuple[str, ...]:
        key = f"q__{qid}"
        outcomes = self.p._outcomes
        found = [
            outcomes[p].rule
            for p, terms in self.open_rules.items()
            if any(a.key == key for t in terms for a in t)
        ]
        return tuple(r.id for r in sorted(found, key=lambda r: (r.file, r.line)))

    # -------------------------------------------------------------- groups

    def _build_groups(self) -> None:
        parent: dict[str, str] = {}

        def find(k: str) -> str:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        keys_of: dict[int, set[str]] = {}
        for position, terms in self.open_rules.items():
            keys = {a.key for t in terms for a in t}
            keys_of[position] = keys
            for k in keys:
                parent.setdefault(k, k)
            first, *rest = sorted(keys)
            for k in rest:
                parent[find(k)] = find(first)
        for k in self.person_vars:
            parent.setdefault(k, k)
        members: dict[str, list[str]] = {}
        for k in parent:
            members.setdefault(find(k), []).append(k)
        rules_of: dict[str, list[int]] = {}
        for position, keys in keys_of.items():
            rules_of.setdefault(find(next(iter(keys))), []).append(position)
        order = self.p._order
        for root, group_keys in members.items():
            group_keys.sort(key=lambda k: order[self.open_keys[k]])
            self.groups.append(
                _Group(
                    [self._var(k) for k in group_keys],
                    sorted(rules_of.get(root, [])),
                )
            )

    def _var(self, key: str) -> _Var:
        atoms = [
            a
            for position, terms in self.open_rules.items()
            for t in terms
            for a in t
            if a.key == key
        ]
        person = key in self.person_vars
        domain = self.p._space[key]
        return _Var(
            self.open_keys[key],
            key,
            _cells(domain, atoms, self.p._person_ages if person else ()),
            person,
        )

    def _enumerate(self, group: _Group, levels: set[int]) -> None:
        """The states *group* can be in and, for its questions at *levels*, the pairs of
        states one answer apart (with the answers that show it)."""
        outside = sorted(
            {*self.definite, *(p for p in self.open_rules if p not in set(group.rules))}
        )
        diagram = _Diagram(group, self.open_rules, self.p._parts, outside)
        diagram.build()
        group.states = list(diagram.leaves)
        group.examples = list(diagram.leaf_examples)
        group.flips = diagram.flips(levels)

    # -------------------------------------------------------------- decisions

    def _decide(self, fired: frozenset[int], persons: tuple[Any, ...]) -> tuple[Any, ...]:
        key = (fired, persons)
        found = self.decisions.get(key)
        if found is None:
            if len(self.decisions) >= MAX_DECISIONS:
                raise _GiveUp(
                    f"more than {MAX_DECISIONS:,} decisions would be worked out to find "
                    "the questions that matter"
                )
            answers = dict(self.fixed_persons)
            answers.update(
                (q, v) for q, v in zip(self.person_order, persons, strict=True) if v is not _ABSENT
            )
            found = self.decisions[key] = self.p.decision(self.contact, fired, answers)
        return found

    def _urgency_rank(self, fired: Iterable[int]) -> int:
        """The rank of the urgency decided when the rules at *fired* hold."""
        ranks = self.p._ranks
        rank = min((ranks[p] for p in fired), default=NO_URGENCY_RANK)
        return rank if rank != NO_URGENCY_RANK else self.p._default_rank

    # -------------------------------------------------------------- run

    def run(self) -> list[NextQuestion]:
        self._build_groups()
        found: dict[str, tuple[Witness, tuple[str, ...]]] = {}
        # 1. The common case, cheaply: the question answered alone, the others left open.
        alone = self._decide_values({})
        for group in self.groups:
            for var in group.vars:
                for cell in var.cells[:-1]:
                    decision, fired = self._decide_values({var.key: cell})
                    if decision != alone[0]:
                        found[var.qid] = (
                            Witness(
                                MappingProxyType({}),
                                _shown(self.p, var.qid, cell),
                                _shown(self.p, var.qid, _ABSENT),
                                _differences(decision, alone[0]),
                            ),
                            self._rule_ids(fired ^ alone[1]),
                        )
                        break
        # 2. Still cheaply: each rule that reads the question made to hold but for it.
        for group in self.groups:
            for var in group.vars:
                if var.qid not in found:
                    shown = self._directed(group, var)
                    if shown is not None:
                        found[var.qid] = shown
        # 3. Exactly, for the rest: a question whose rules can only repeat what rules that
        # hold already decide first cannot matter; else every state of the other groups,
        # least eventful first.
        rest = [
            (g, i)
            for g in self.groups
            for i, v in enumerate(g.vars)
            if v.qid not in found and not self._shadowed(v)
        ]
        if rest:
            for group in self.groups:
                self._enumerate(group, {i for g, i in rest if g is group})
            for g_index, group in enumerate(self.groups):
                levels = [i for g, i in rest if g is group]
                if not levels:
                    continue
                # A group with one state is as good as fixed.
                others = [
                    g for i, g in enumerate(self.groups) if i != g_index and len(g.states) > 1
                ]
                fixed = set(self.definite)
                fixed_person: dict[str, Any] = {}
                for i, g in enumerate(self.groups):
                    if i != g_index and len(g.states) == 1:
                        fired, pvals = g.states[0]
                        fixed |= fired
                        fixed_person.update(zip(_person_ids(g), pvals, strict=True))
                for v_index in levels:
                    shown = self._try(group, v_index, others, fixed, fixed_person)
                    if shown is not None:
                        found[group.vars[v_index].qid] = shown
        # 4. Which of them can change the urgency, and to what at most.
        up_to = self._urgency_reach({v.key for g in self.groups for v in g.vars if v.qid in found})
        asked: list[NextQuestion] = []
        for qid, (witness, rules) in found.items():
            rank = up_to.get(f"q__{qid}")
            changes = witness.changes
            if rank is not None and "urgency" not in changes:
                changes = ("urgency", *changes)
            asked.append(
                NextQuestion(
                    self.p._questions[qid],
                    rules,
                    changes,
                    None if rank is None else URGENCY_LEVELS[rank],
                    witness,
                )
            )
        return asked

    def _decide_values(self, values: Mapping[str, Any]) -> tuple[tuple[Any, ...], frozenset[int]]:
        """The decision, and the open rules that hold, when the open questions are
        answered as in *values* (fact key -> answer) and the others left unanswered."""
        fired = frozenset(
            p
            for p, terms in self.open_rules.items()
            if any(all(_holds(a, values.get(a.key, _ABSENT)) for a in t) for t in terms)
        )
        persons = tuple(values.get(f"q__{q}", _ABSENT) for q in self.person_order)
        return self._decide(fired | self.definite, persons), fired

    def _directed(self, group: _Group, var: _Var) -> tuple[Witness, tuple[str, ...]] | None:
        """A witness found by making each term of each rule that reads *var* hold but
        for *var* (the term's other questions answered to fit it, the rest left open) and
        trying every answer to *var*."""
        cells = {v.key: v.cells for v in group.vars}
        for position in group.rules:
            for term in self.open_rules[position]:
                if not any(a.key == var.key for a in term):
                    continue
                values: dict[str, Any] = {}
                for atom in term:
                    if atom.key == var.key or atom.key in values:
                        continue
                    on_key = [a for a in term if a.key == atom.key]
                    fitting = next(
                        (c for c in cells[atom.key] if all(_holds(a, c) for a in on_key)), None
                    )
                    if fitting is None:
                        break
                    values[atom.key] = fitting
                else:
                    tried: list[tuple[Any, tuple[Any, ...], frozenset[int]]] = []
                    for cell in var.cells:
                        decision, fired = self._decide_values({**values, var.key: cell})
                        for other, seen, seen_fired in tried:
                            if seen != decision:
                                answers: dict[str, Any] = {}
                                for key, value in values.items():
                                    _put(answers, self.p, self.open_keys[key], value)
                                return (
                                    Witness(
                                        MappingProxyType(self._in_order(answers)),
                                        _shown(self.p, var.qid, other),
                                        _shown(self.p, var.qid, cell),
                                        _differences(seen, decision),
                                    ),
                                    self._rule_ids(fired ^ seen_fired),
                                )
                        tried.append((cell, decision, fired))
        return None

    def _in_order(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        order = self.p._order
        return dict(sorted(answers.items(), key=lambda kv: order[kv[0]]))

    def _shadowed(self, var: _Var) -> bool:
        """Whether every rule that reads *var* contributes only what rules that surely
        hold contribute earlier in hit-policy order: then whether those rules hold changes
        nothing decided, whatever else holds (see :data:`Signature`)."""
        if var.person:
            return False  # its answer also decides whose right a clock follows
        parts = self.p._parts
        first: dict[tuple[str, str], int] = {}
        for position in sorted(self.definite):
            for part, at, _ in parts[position]:
                first.setdefault(part, at)
        return all(
            all(part in first and first[part] < at for part, at, _ in parts[position])
            for position, terms in self.open_rules.items()
            if any(a.key == var.key for t in terms for a in t)
        )

    def _rule_ids(self, positions: Iterable[int]) -> tuple[str, ...]:
        outcomes = self.p._outcomes
        rules = sorted((outcomes[p].rule for p in positions), key=lambda r: (r.file, r.line))
        return tuple(r.id for r in rules)

    def _urgency_reach(self, keys: set[str]) -> dict[str, int]:
        """For each question of *keys* that can change the urgency, the rank of the most
        urgent level it can lead to. Exact: the urgency is the most urgent level of the
        rules that hold, so the least urgent state of every other group shows any change."""
        ranks = self.p._ranks
        default = self.p._default_rank
        diagrams: list[_UrgencyDiagram] = []
        calm: list[int] = []
        for group in self.groups:
            diagram = _UrgencyDiagram(group, self.open_rules, ranks)
            diagram.build()
            diagrams.append(diagram)
            calm.append(max(k[0] for k in diagram.leaf_keys))
        definite = min((ranks[p] for p in self.definite), default=NO_URGENCY_RANK)
        reach: dict[str, int] = {}
        for g_index, (group, diagram) in enumerate(zip(self.groups, diagrams, strict=True)):
            levels = {i for i, v in enumerate(group.vars) if v.key in keys}
            if not levels:
                continue
            context = min(
                [definite, *(c for i, c in enumerate(calm) if i != g_index)],
            )
            flips = diagram.flips(levels)
            for i in levels:
                for a, b in flips[i]:
                    ra = min(diagram.leaf_keys[a][0], context)
                    rb = min(diagram.leaf_keys[b][0], context)
                    fa = ra if ra != NO_URGENCY_RANK else default
                    fb = rb if rb != NO_URGENCY_RANK else default
                    if fa != fb:
                        key = group.vars[i].key
                        reach[key] = min(reach.get(key, NO_URGENCY_RANK), fa, fb)
        return reach

    def _try(
        self,
        group: _Group,
        v_index: int,
        others: list[_Group],
        fixed: set[int],
        fixed_person: Mapping[str, Any],
    ) -> tuple[Witness, tuple[str, ...]] | None:
        """A witness that the question at *v_index* of *group* matters, or None when no
        answers to the other open questions make two of its answers decide apart."""
        flips = group.flips[v_index]
        if not flips:
            return None
        ranks = self.p._ranks
        orders = [_by_events(g, ranks) for g in others]
        for choice in itertools.product(*orders):
            fired_ctx = set(fixed)
            person_ctx = dict(fixed_person)
            for g, s in zip(others, choice, strict=True):
                fired_ctx |= g.states[s][0]
                person_ctx.update(zip(_person_ids(g), g.states[s][1], strict=True))
            for (a, b), (combo_a, combo_b) in flips.items():
                da = self._whole(group, a, fired_ctx, person_ctx)
                db = self._whole(group, b, fired_ctx, person_ctx)
                if da != db:
                    switched = self._fired_in(group, combo_a) ^ self._fired_in(group, combo_b)
                    witness = self._witness(
                        group, v_index, combo_a, combo_b, others, choice, _differences(da, db)
                    )
                    return witness, self._rule_ids(switched)
        return None

    def _fired_in(self, group: _Group, combo: tuple[Any, ...]) -> set[int]:
        """The group's rules that hold when its questions are answered *combo*."""
        values = {v.key: x for v, x in zip(group.vars, combo, strict=True)}
        return {
            p
            for p in group.rules
            if any(all(_holds(a, values[a.key]) for a in t) for t in self.open_rules[p])
        }

    def _whole(
        self, group: _Group, state: int, fired_ctx: set[int], person_ctx: Mapping[str, Any]
    ) -> tuple[Any, ...]:
        fired, pvals = group.states[state]
        persons = dict(person_ctx)
        persons.update(zip(_person_ids(group), pvals, strict=True))
        return self._decide(
            frozenset(fired_ctx | fired),
            tuple(persons.get(q, _ABSENT) for q in self.person_order),
        )

    def _witness(
        self,
        group: _Group,
        v_index: int,
        combo_a: tuple[Any, ...],
        combo_b: tuple[Any, ...],
        others: list[_Group],
        choice: tuple[int, ...],
        changes: tuple[Change, ...],
    ) -> Witness:
        answers: dict[str, Any] = {}
        for g, s in zip(others, choice, strict=True):
            for var, value in zip(g.vars, g.examples[s], strict=True):
                _put(answers, self.p, var.qid, value)
        for j, (var, value) in enumerate(zip(group.vars, combo_a, strict=True)):
            if j != v_index:
                _put(answers, self.p, var.qid, value)
        qid = group.vars[v_index].qid
        return Witness(
            MappingProxyType(self._in_order(answers)),
            _shown(self.p, qid, combo_a[v_index]),
            _shown(self.p, qid, combo_b[v_index]),
            changes,
        )


Residual = bool | frozenset[tuple[Atom, ...]]
"""What is left of one rule's condition: False (cannot hold, or held and was folded into
the node's signature) or its open terms."""
Signature = tuple[tuple[tuple[str, str], int, Any], ...]
"""What the rules that hold contribute to a decision, each part at the first place in
hit-policy order that contributes it: ``((kind, id), position, extra)`` sorted by part,
where kind is ``u`` (the urgency; extra: the level), ``n`` (a need), ``s`` (a service)
or ``c`` (a clock; extra: the person whose right it follows). ``combine`` reads nothing
else of the rules that hold, so two sets of rules with one signature decide alike."""
_Node = tuple[tuple[Residual, ...], Signature, tuple[Any, ...]]
"""The group's rules as far as the answers so far decide them, the signature of those
that hold, and the answers so far to the person questions among them."""


def contributions(outcome: _Outcome, position: int) -> Signature:
    """The parts one rule at *position* contributes (see :data:`Signature`)."""
    parts: list[tuple[tuple[str, str], int, Any]] = []
    if outcome.urgency is not None:
        parts.append((("u", ""), position, outcome.urgency))
    parts.extend((("n", need), position, None) for need in outcome.needs)
    parts.extend((("s", wanted.service), position, None) for wanted in outcome.services)
    parts.extend((("c", clock), position, person) for clock, person in outcome.clocks)
    return tuple(sorted(dict.fromkeys(parts), key=lambda part: part[0]))


def _merge(signature: Signature, added: Signature) -> Signature:
    first = {part: (position, extra) for part, position, extra in signature}
    for part, position, extra in added:
        held = first.get(part)
        if held is None or position < held[0]:
            first[part] = (position, extra)
    return tuple(sorted((part, pe[0], pe[1]) for part, pe in first.items()))


class _Diagram:
    """A group's questions answered one after the other, as a diagram whose nodes are
    what is left of the group's rules (``_Node``): two ways of answering that leave the
    same node are the same from there on, so each node is worked out once. Its leaves,
    told apart by what they can decide next to any other rules (:meth:`_canonical`),
    are the states the group can be in."""

    def __init__(
        self,
        group: _Group,
        open_rules: Mapping[int, list[tuple[Atom, ...]]],
        parts: Sequence[Signature],
        outside: Sequence[int],
        positions: Sequence[int] | None = None,
    ) -> None:
        self.group = group
        self.vars = group.vars
        self.positions = list(group.rules if positions is None else positions)
        self.parts = parts
        self.outside = outside
        self.open_rules = open_rules
        self.root: _Node = (
            tuple(frozenset(open_rules[p]) for p in self.positions),
            self._start(),
            (),
        )
        # level -> node -> one answer of the questions before that level leading there
        self.levels: list[dict[_Node, tuple[Any, ...]]] = []
        self.children: dict[tuple[_Node, int, int], _Node] = {}
        self.leaf_id: dict[Any, int] = {}
        self.node_leaf: dict[_Node, int] = {}
        self.leaves: list[tuple[frozenset[int], tuple[Any, ...]]] = []
        self.leaf_examples: list[tuple[Any, ...]] = []
        self.leaf_keys: list[tuple[Any, ...]] = []
        self.steps = 0

    def _count(self) -> None:
        self.steps += 1
        if self.steps > MAX_COMBINATIONS:
            names = ", ".join(v.qid for v in self.vars)
            raise _GiveUp(
                f"the questions {names} share rules in more than {MAX_COMBINATIONS:,} "
                "combinations of answers the search tells apart"
            )

    def child(self, node: _Node, level: int, cell: int) -> _Node:
        found = self.children.get((node, level, cell))
        if found is not None:
            return found
        self._count()
        var = self.vars[level]
        value = var.cells[cell]
        key = var.key
        rules: list[Residual] = []
        signature = node[1]
        for position, residual in zip(self.positions, node[0], strict=True):
            if residual is False or self._spent(signature, position):
                rules.append(False)
                continue
            assert not isinstance(residual, bool)
            terms: set[tuple[Atom, ...]] = set()
            fired = False
            for term in residual:
                rest: list[Atom] = []
                for atom in term:
                    if atom.key != key:
                        rest.append(atom)
                    elif not _holds(atom, value):
                        break
                else:
                    if not rest:
                        fired = True
                        break
                    terms.add(tuple(rest))
            if fired:
                signature = self._fold(signature, position)
                rules.append(False)
            else:
                rules.append(frozenset(terms) if terms else False)
        made: _Node = (tuple(rules), signature, (*node[2], value) if var.person else node[2])
        self.children[(node, level, cell)] = made
        return made

    def build(self) -> None:
        current: dict[_Node, tuple[Any, ...]] = {self.root: ()}
        for level, var in enumerate(self.vars):
            self.levels.append(current)
            following: dict[_Node, tuple[Any, ...]] = {}
            for node, path in current.items():
                for cell, value in enumerate(var.cells):
                    following.setdefault(self.child(node, level, cell), (*path, value))
            current = following
        self.levels.append(current)
        for node, path in current.items():
            self._leaf(node, path)

    def _start(self) -> Any:
        return ()

    def _fold(self, signature: Any, position: int) -> Any:
        """The signature with the rule at *position* holding too."""
        return _merge(signature, self.parts[position])

    def _spent(self, signature: Any, position: int) -> bool:
        """Whether the rule at *position* can no longer change the signature."""
        return False

    def _canonical(self, node: _Node) -> tuple[Any, ...]:
        """What a leaf can decide next to any rules outside the group: its signature with
        each position replaced by its order among the group's parts and its place among
        the outside positions (the only places other rules can contribute at)."""
        ordered = sorted(node[1], key=lambda part: part[1])
        return (
            tuple(
                (part, bisect.bisect_left(self.outside, position), extra)
                for part, position, extra in ordered
            ),
            node[2],
        )

    def _leaf(self, node: _Node, path: tuple[Any, ...]) -> int:
        found = self.node_leaf.get(node)
        if found is not None:
            return found
        canonical = self._canonical(node)
        found = self.leaf_id.get(canonical)
        if found is None:
            found = self.leaf_id[canonical] = len(self.leaves)
            # One set of rules with this signature: the rules the first way found holds.
            values = dict(zip((v.key for v in self.vars), path, strict=True))
            fired = frozenset(
                p
                for p in self.positions
                if any(all(_holds(a, values[a.key]) for a in t) for t in self.open_rules[p])
            )
            self.leaves.append((fired, node[2]))
            self.leaf_examples.append(path)
            self.leaf_keys.append(canonical)
        self.node_leaf[node] = found
        return found

    def flips(
        self, levels: set[int]
    ) -> list[dict[tuple[int, int], tuple[tuple[Any, ...], tuple[Any, ...]]]]:
        """For each question at *levels* (the others: empty), the pairs of leaves two of
        its answers reach after the same answers to every other question of the group,
        each with those two ways."""
        out: list[dict[tuple[int, int], tuple[tuple[Any, ...], tuple[Any, ...]]]] = []
        walks: dict[tuple[_Node, _Node, int], dict[tuple[int, int], tuple[Any, ...]]] = {}
        for level, var in enumerate(self.vars):
            pairs: dict[tuple[int, int], tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
            if level not in levels:
                out.append(pairs)
                continue
            for node, prefix in self.levels[level].items():
                kids = [self.child(node, level, c) for c in range(len(var.cells))]
                for c1, c2 in itertools.combinations(range(len(kids)), 2):
                    walked = self._walk(kids[c1], kids[c2], level + 1, walks)
                    for pair, suffix in walked.items():
                        pairs.setdefault(
                            pair,
                            (
                                (*prefix, var.cells[c1], *suffix),
                                (*prefix, var.cells[c2], *suffix),
                            ),
                        )
            out.append(pairs)
        return out

    def _walk(
        self,
        one: _Node,
        two: _Node,
        level: int,
        memo: dict[tuple[_Node, _Node, int], dict[tuple[int, int], tuple[Any, ...]]],
    ) -> dict[tuple[int, int], tuple[Any, ...]]:
        """The pairs of different leaves *one* and *two* reach with the same answers to
        the questions from *level* on, each with those answers."""
        if one == two:
            return {}
        key = (one, two, level)
        found = memo.get(key)
        if found is not None:
            return found
        self._count()
        if level == len(self.vars):
            a = self._leaf(one, ())
            b = self._leaf(two, ())
            found = {} if a == b else {(a, b): ()}
        else:
            found = {}
            var = self.vars[level]
            for cell, value in enumerate(var.cells):
                walked = self._walk(
                    self.child(one, level, cell), self.child(two, level, cell), level + 1, memo
                )
                for pair, suffix in walked.items():
                    found.setdefault(pair, (value, *suffix))
        memo[key] = found
        return found


class _UrgencyDiagram(_Diagram):
    """The same diagram over the rules that set an urgency, keeping only the most urgent
    rank among those that hold: its leaves are the urgencies the group can lead to."""

    def __init__(
        self,
        group: _Group,
        open_rules: Mapping[int, list[tuple[Atom, ...]]],
        ranks: Sequence[int],
    ) -> None:
        self.ranks = ranks
        positions = [p for p in group.rules if ranks[p] < NO_URGENCY_RANK]
        super().__init__(group, open_rules, (), (), positions)
        # The urgency reads no person's age: the answers are not kept in the nodes.
        self.vars = [attrs.evolve(v, person=False) for v in group.vars]

    def _start(self) -> Any:
        return NO_URGENCY_RANK

    def _fold(self, signature: Any, position: int) -> Any:
        return min(signature, self.ranks[position])

    def _spent(self, signature: Any, position: int) -> bool:
        return bool(self.ranks[position] >= signature)

    def _canonical(self, node: _Node) -> tuple[Any, ...]:
        return (node[1],)


def _person_ids(group: _Group) -> list[str]:
    return [v.qid for v in group.vars if v.person]


def _differences(one: tuple[Any, ...], two: tuple[Any, ...]) -> tuple[Change, ...]:
    return tuple(c for c, x, y in zip(_CHANGES, one, two, strict=True) if x != y)


def _by_events(group: _Group, ranks: Sequence[int]) -> list[int]:
    """The states of *group*, those with the fewest and least urgent rules first."""

    def events(state: int) -> tuple[int, int]:
        fired = group.states[state][0]
        return (len(fired), -min((ranks[p] for p in fired), default=NO_URGENCY_RANK))

    return sorted(range(len(group.states)), key=events)


def _shown(planner: Planner, qid: str, value: Any) -> Any:
    """An answer of a witness as a contact holds it: None for unanswered, False for a
    yes/no question left unanswered (the same to the rules)."""
    if value is _ABSENT:
        return False if planner._questions[qid].type == "boolean" else None
    return value


def _put(answers: dict[str, Any], planner: Planner, qid: str, value: Any) -> None:
    shown = _shown(planner, qid, value)
    if shown is not None:
        answers[qid] = shown


def _consistent(atoms: Sequence[Atom], space: Mapping[str, Domain]) -> bool:
    by_key: dict[str, list[Atom]] = {}
    for atom in atoms:
        by_key.setdefault(atom.key, []).append(atom)
    return all(key_satisfiable(space[k], a) for k, a in by_key.items())


def _cells(domain: Domain, atoms: Sequence[Atom], ages: Sequence[int]) -> tuple[Any, ...]:
    """One representative answer of each class of answers no atom tells apart, and
    ``_ABSENT`` (unanswered) last."""
    if domain.kind == "flag":
        return (True, _ABSENT)
    if domain.kind == "choice":
        seen: dict[tuple[bool, ...], str] = {}
        for choice in domain.choices:
            seen.setdefault(tuple(_holds(a, choice) for a in atoms), choice)
        return (*seen.values(), _ABSENT)
    cuts = sorted({float(a.value) for a in atoms if isinstance(a, Test)} | {float(a) for a in ages})
    cuts = [c for c in cuts if domain.minimum <= c <= domain.maximum]
    values: list[Any] = []
    low, low_open = float(domain.minimum), False
    for cut in cuts:
        between = number_in(domain, low, low_open, cut, True)
        if between is not None:
            values.append(between)
        at = number_in(domain, cut, False, cut, False)
        if at is not None:
            values.append(at)
        low, low_open = cut, True
    last = number_in(domain, low, low_open, float(domain.maximum), False)
    if last is not None:
        values.append(last)
    return (*dict.fromkeys(values), _ABSENT)
