"""The search's parts: answer classes, groups of questions, and the diagram of a group's
answers (see the package docstring for what is decided and why it is exact)."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .. import next_questions as bounds
from .._decide import Outcome
from ..ruleset import NO_URGENCY_RANK
from ..ruleset.condition import Atom, Missing, Present, Test
from ..ruleset.sat import Domain, key_satisfiable, number_in

__all__ = [
    "ABSENT",
    "SCALE",
    "Diagram",
    "GiveUp",
    "Group",
    "Signature",
    "UrgencyDiagram",
    "Var",
    "by_events",
    "cells_of",
    "consistent",
    "contributions",
    "holds",
    "person_ids",
]


class _AbsentType:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unanswered>"


ABSENT: Any = _AbsentType()
"""The value of a question left unanswered (not in the flat fact)."""


def holds(atom: Atom, value: Any) -> bool:
    """Whether *atom* holds when its key has *value* (``ABSENT``: not in the fact)."""
    if isinstance(atom, Missing):
        return value is ABSENT
    if isinstance(atom, Present):
        return value is not ABSENT
    if value is ABSENT:
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
class Var:
    """One open question in the search: its fact key and the representatives of its
    answer classes (``ABSENT`` last: unanswered)."""

    qid: str
    key: str
    cells: tuple[Any, ...]
    person: bool


@attrs.define
class Group:
    """Open questions that share open rules, and the states they can put those rules in."""

    vars: list[Var]
    rules: list[int]  # hit-order positions of its open rules
    # state id -> (fired positions, person answers) and one combination giving it
    states: list[tuple[frozenset[int], tuple[Any, ...]]] = attrs.field(factory=list)
    examples: list[tuple[Any, ...]] = attrs.field(factory=list)
    # var index -> {(state a, state b): (combination a, combination b)}
    flips: list[dict[tuple[int, int], tuple[tuple[Any, ...], tuple[Any, ...]]]] = attrs.field(
        factory=list
    )
    given_up: str | None = None
    """Why its diagram could not be worked out within the bounds (then nothing above is
    set), once tried."""


class GiveUp(Exception):
    """A bound of the search was exceeded; the message says which."""


Residual = bool | frozenset[tuple[Atom, ...]]
"""What is left of one rule's condition: False (cannot hold, or held and was folded into
the node's signature) or its open terms."""
Signature = tuple[tuple[tuple[str, str], int, Any], ...]
"""What the rules that hold contribute to a decision, each part at the first place in
hit-policy order that contributes it: ``((kind, id), position, extra)`` sorted by part,
where kind is ``u`` (the urgency; extra: the level), ``n`` (a need), ``s`` (a service)
or ``c`` (a clock; extra: the person whose right it follows). ``combine`` reads nothing
else of the rules that hold, so two sets of rules with one signature decide alike."""
_Node = tuple[tuple[Residual, ...], Any, tuple[Any, ...]]
"""The group's rules as far as the answers so far decide them, the signature of those
that hold, and the answers so far to the person questions among them."""


#: Places of one rule's parts: a part's place is its rule's position times this, plus its
#: index in the rule's list (a rule's needs keep their order among themselves).
SCALE = 1024


def contributions(outcome: Outcome, position: int) -> Signature:
    """The parts one rule at *position* contributes (see :data:`Signature`), each at its
    place: ``position * SCALE`` plus its index in the rule's list of its kind."""
    at = position * SCALE
    parts: list[tuple[tuple[str, str], int, Any]] = []
    if outcome.urgency is not None:
        parts.append((("u", ""), at, outcome.urgency))
    parts.extend((("n", need), at + i, None) for i, need in enumerate(outcome.needs))
    parts.extend((("s", wanted.service), at + i, None) for i, wanted in enumerate(outcome.services))
    parts.extend((("c", clock), at + i, person) for i, (clock, person) in enumerate(outcome.clocks))
    return tuple(sorted(parts, key=lambda part: part[0]))


Held = frozenset[tuple[tuple[str, str], tuple[int, Any]]]
"""A node's signature: each part and (its first place, its extra), in no order."""


def _merge(held: Held, added: Signature) -> Held:
    """*held* with the parts of one more rule that holds."""
    first = dict(held)
    changed = False
    for part, position, extra in added:
        found = first.get(part)
        if found is None or position < found[0]:
            first[part] = (position, extra)
            changed = True
    return frozenset(first.items()) if changed else held


class Diagram:
    """A group's questions answered one after the other, as a diagram whose nodes are
    what is left of the group's rules (``_Node``): two ways of answering that leave the
    same node are the same from there on, so each node is worked out once. Its leaves,
    told apart by what they can decide next to any other rules (:meth:`_canonical`),
    are the states the group can be in."""

    def __init__(
        self,
        group: Group,
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
        # The questions each rule reads: a rule that does not read a question is left as
        # it is when that question is answered.
        self.reads = [frozenset(a.key for t in open_rules[p] for a in t) for p in self.positions]
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
        if self.steps > bounds.MAX_COMBINATIONS:
            names = ", ".join(v.qid for v in self.vars)
            raise GiveUp(
                f"the questions {names} share rules in more than {bounds.MAX_COMBINATIONS:,} "
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
        for position, residual, reads in zip(self.positions, node[0], self.reads, strict=True):
            if residual is False or self._spent(signature, position):
                rules.append(False)
                continue
            if key not in reads:
                rules.append(residual)
                continue
            assert not isinstance(residual, bool)
            terms: set[tuple[Atom, ...]] = set()
            fired = False
            for term in residual:
                rest: list[Atom] = []
                for atom in term:
                    if atom.key != key:
                        rest.append(atom)
                    elif not holds(atom, value):
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
        return frozenset()

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
        ordered = sorted(
            ((part, position, extra) for part, (position, extra) in node[1]),
            key=lambda part: (part[1], part[0]),
        )
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
                if any(all(holds(a, values[a.key]) for a in t) for t in self.open_rules[p])
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


class UrgencyDiagram(Diagram):
    """The same diagram over the rules that set an urgency, keeping only the most urgent
    rank among those that hold: its leaves are the urgencies the group can lead to."""

    def __init__(
        self,
        group: Group,
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


def person_ids(group: Group) -> list[str]:
    return [v.qid for v in group.vars if v.person]


def by_events(group: Group, ranks: Sequence[int]) -> list[int]:
    """The states of *group*, those with the fewest and least urgent rules first."""

    def events(state: int) -> tuple[int, int]:
        fired = group.states[state][0]
        return (len(fired), -min((ranks[p] for p in fired), default=NO_URGENCY_RANK))

    return sorted(range(len(group.states)), key=events)


def consistent(atoms: Sequence[Atom], space: Mapping[str, Domain]) -> bool:
    by_key: dict[str, list[Atom]] = {}
    for atom in atoms:
        by_key.setdefault(atom.key, []).append(atom)
    return all(key_satisfiable(space[k], a) for k, a in by_key.items())


def cells_of(domain: Domain, atoms: Sequence[Atom], ages: Sequence[int]) -> tuple[Any, ...]:
    """One representative answer of each class of answers no atom tells apart, and
    ``ABSENT`` (unanswered) last."""
    if domain.kind == "flag":
        return (True, ABSENT)
    if domain.kind == "choice":
        seen: dict[tuple[bool, ...], str] = {}
        for choice in domain.choices:
            seen.setdefault(tuple(holds(a, choice) for a in atoms), choice)
        return (*seen.values(), ABSENT)
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
    return (*dict.fromkeys(values), ABSENT)
