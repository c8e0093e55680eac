"""The search of one step: which open questions can change the decision, with a witness
each (see the package docstring)."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .. import next_questions as bounds
from .._decide import clock_subject, person_subject
from ..clocks import Clock
from ..ruleset import NO_URGENCY_RANK, URGENCY_LEVELS
from ..ruleset.condition import Atom
from . import CHANGES, Change, NextQuestion, Witness
from ._diagram import (
    ABSENT,
    SCALE,
    Diagram,
    GiveUp,
    Group,
    UrgencyDiagram,
    Var,
    by_events,
    cells_of,
    consistent,
    holds,
    person_ids,
)

if TYPE_CHECKING:
    from ..intake import FirstContact
    from ._planner import Planner

__all__ = ["Search"]


class Search:
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
        self.reads: dict[int, frozenset[str]] = {}  # open rule -> the open questions it reads
        self.person_vars: set[str] = set()
        self.decisions: dict[tuple[frozenset[int], tuple[Any, ...]], tuple[Any, ...]] = {}
        self.groups: list[Group] = []
        self.memo: dict[Any, Any] = {}  # clocks and routes already worked out (Planner.decision)
        self.fixed_persons: dict[str, Any] = {}
        self.person_order: list[str] = []  # question ids of the person questions in the search
        self._residuals()

    # -------------------------------------------------------------- rules as far as known

    def _residuals(self) -> None:
        fact = self.fact
        open_keys = self.open_keys
        space = self.p.space
        for position, terms in enumerate(self.p.terms):
            residual: list[tuple[Atom, ...]] = []
            for term in terms:
                rest: list[Atom] = []
                for atom in term:
                    if atom.key in open_keys:
                        rest.append(atom)
                    elif not holds(atom, fact.get(atom.key, ABSENT)):
                        break
                else:
                    if not rest:
                        self.definite.add(position)
                        residual = []
                        break
                    if consistent(rest, space):
                        residual.append(tuple(rest))
            if residual and position not in self.definite:
                self.open_rules[position] = residual
                self.reads[position] = frozenset(a.key for t in residual for a in t)
        # The person questions the decision can read: of a person some rule that holds
        # or may hold starts a clock for.
        outcomes = self.p.outcomes
        clocks_for: dict[str, set[str]] = {}
        for position in (*self.definite, *self.open_rules):
            for clock, person in outcomes[position].clocks:
                if person is not None:
                    clocks_for.setdefault(person, set()).add(clock)
        followed = {p for p, clocks in clocks_for.items() if self._subject_matters(p, clocks)}
        answers = self.contact.answers
        for key, person in self.p.person_keys.items():
            qid = key[3:]
            if person not in followed:
                continue
            self.person_order.append(qid)
            if key in open_keys:
                self.person_vars.add(key)
            elif qid in answers:
                self.fixed_persons[qid] = answers[qid]

    def _subject_matters(self, person_id: str, clocks: set[str]) -> bool:
        """Whether the answers to *person_id*'s questions can change one of *clocks*
        started for them: each clock worked out for every class of those answers (the
        ages the policies compare with, each flag), the answers given kept."""
        person = self.p.persons[person_id]
        answers = self.contact.answers
        fields = [
            q
            for q in (person.age, person.highest_care_allowance, person.special_support_child)
            if q is not None
        ]
        options: list[tuple[Any, ...]] = []
        for qid in fields:
            key = f"q__{qid}"
            if qid in answers:
                options.append((answers[qid],))
            elif key in self.open_keys:
                ages = self.p.person_ages if qid == person.age else ()
                options.append(cells_of(self.p.space[key], (), ages))
            else:
                options.append((ABSENT,))
        policies = self.p.ruleset.policies
        subject = clock_subject(self.contact)
        for clock in sorted(clocks):
            seen: set[Clock] = set()
            for combo in itertools.product(*options):
                given = {q: v for q, v in zip(fields, combo, strict=True) if v is not ABSENT}
                (worked,) = policies.compute(
                    (clock,),
                    subject=subject,
                    received_at=self.contact.received_at,
                    others={clock: (person_id, person_subject(person, given))},
                )
                seen.add(worked)
                if len(seen) > 1:
                    return True
        return False

    def rules_reading(self, qid: str) -> tuple[str, ...]:
        """The ids of the open rules that read *qid*, in file order."""
        key = f"q__{qid}"
        return self._rule_ids(p for p, reads in self.reads.items() if key in reads)

    # -------------------------------------------------------------- groups

    def _build_groups(self) -> None:
        parent: dict[str, str] = {}

        def find(k: str) -> str:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for keys in self.reads.values():
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
        for position, keys in self.reads.items():
            rules_of.setdefault(find(next(iter(keys))), []).append(position)
        order = self.p.order
        for root, group_keys in members.items():
            group_keys.sort(key=lambda k: order[self.open_keys[k]])
            self.groups.append(
                Group(
                    [self._var(k) for k in group_keys],
                    sorted(rules_of.get(root, [])),
                )
            )

    def _var(self, key: str) -> Var:
        atoms = [
            a
            for position, terms in self.open_rules.items()
            for t in terms
            for a in t
            if a.key == key
        ]
        person = key in self.person_vars
        domain = self.p.space[key]
        return Var(
            self.open_keys[key],
            key,
            cells_of(domain, atoms, self.p.person_ages if person else ()),
            person,
        )

    def _enumerate(self, group: Group, levels: set[int]) -> None:
        """The states *group* can be in and, for its questions at *levels*, the pairs of
        states one answer apart (with the answers that show it)."""
        inside = set(group.rules)
        outside = sorted(p * SCALE for p in {*self.definite, *self.open_rules} if p not in inside)
        diagram = Diagram(group, self.open_rules, self.p.parts, outside)
        try:
            diagram.build()
            flips = diagram.flips(levels)
        except GiveUp as exc:
            group.given_up = str(exc)
            raise
        # Set together, only once the whole diagram is worked out.
        group.states = list(diagram.leaves)
        group.examples = list(diagram.leaf_examples)
        group.flips = flips

    # -------------------------------------------------------------- decisions

    def _decide(self, fired: frozenset[int], persons: tuple[Any, ...]) -> tuple[Any, ...]:
        key = (fired, persons)
        found = self.decisions.get(key)
        if found is None:
            answers = dict(self.fixed_persons)
            answers.update(
                (q, v) for q, v in zip(self.person_order, persons, strict=True) if v is not ABSENT
            )
            found = self.decisions[key] = self.p.decision(self.contact, fired, answers, self.memo)
        return found

    # -------------------------------------------------------------- run

    def run(self) -> tuple[list[NextQuestion], str | None]:
        """The open questions that matter, and None, or with the questions the search could
        not settle within its bounds added (never fewer) and a note saying so."""
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
                                _shown(self.p, var.qid, ABSENT),
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
        # hold already decide cannot matter; else every state of the other groups.
        shadows = self._shadows()
        rest = [
            (g, i)
            for g in self.groups
            for i, v in enumerate(g.vars)
            if v.qid not in found and not self._shadowed(v, shadows)
        ]
        unproven: list[str] = []
        reason = ""
        if rest:
            wanted: dict[int, set[int]] = {}
            for g, i in rest:
                wanted.setdefault(id(g), set()).add(i)
            for g, i in rest:
                try:
                    exact = self._exactly(g, i, wanted, shadows)
                except GiveUp as exc:
                    exact, reason = "unproven", str(exc)
                if exact is None:
                    continue
                if isinstance(exact, str):
                    unproven.append(g.vars[i].qid)
                    reason = reason or (
                        f"proving it cannot matter would take more than "
                        f"{bounds.MAX_DECISIONS:,} decisions"
                    )
                else:
                    found[g.vars[i].qid] = exact
        # 4. Which of them can change the urgency, and to what at most.
        asking = set(found) | set(unproven)
        try:
            up_to = self._urgency_reach(
                {v.key for g in self.groups for v in g.vars if v.qid in asking}
            )
        except GiveUp as exc:
            # Over the bounds: each question is taken to lead as far as the most urgent
            # rule that reads it (asked early rather than late), and the step says so.
            up_to = self._urgency_read(asking)
            unproven_order = f"the urgency each can lead to is not proven ({exc})"
        else:
            unproven_order = ""
        asked: list[NextQuestion] = []
        for qid, (witness, rules) in found.items():
            rank = up_to.get(f"q__{qid}")
            changes = witness.changes
            if rank is not None and "urgency" not in changes:
                changes = ("urgency", *changes)
            asked.append(
                NextQuestion(
                    self.p.questions[qid],
                    rules,
                    changes,
                    None if rank is None else URGENCY_LEVELS[rank],
                    witness,
                )
            )
        for qid in unproven:
            rank = up_to.get(f"q__{qid}")
            asked.append(
                NextQuestion(
                    self.p.questions[qid],
                    self.rules_reading(qid),
                    (),  # not worked out
                    None if rank is None else URGENCY_LEVELS[rank],
                    None,
                )
            )
        notes = [unproven_order] if unproven_order else []
        if unproven:
            names = ", ".join(sorted(unproven, key=self.p.order.__getitem__))
            notes.insert(0, f"asked without proof that they matter ({reason}): {names}")
        return asked, "; ".join(notes) or None

    def _exactly(
        self,
        group: Group,
        v_index: int,
        wanted: Mapping[int, set[int]],
        shadows: tuple[
            dict[tuple[str, str], tuple[int, Any]], dict[str, list[tuple[int, str, int]]]
        ],
    ) -> tuple[Witness, tuple[str, ...]] | str | None:
        """The exact search for one question: a witness, None (it cannot matter) or
        ``"unproven"`` (over the bounds; GiveUp from a diagram over its bounds).

        Its group's states first: the pairs of states its answers switch between, less
        those whose difference rules that surely hold shadow (:meth:`_shadowed_pair`);
        only when some pair is left are the other groups' states worked out."""
        self._enumerated(group, wanted[id(group)])
        flips = {
            pair: ways
            for pair, ways in group.flips[v_index].items()
            if not self._shadowed_pair(group, pair, shadows)
        }
        if not flips:
            return None
        g_index = self.groups.index(group)
        for other in self.groups:
            if other is not group:
                self._enumerated(other, wanted.get(id(other), set()))
        # A group with one state is as good as fixed.
        others = [g for i, g in enumerate(self.groups) if i != g_index and len(g.states) > 1]
        fixed = set(self.definite)
        fixed_person: dict[str, Any] = {}
        for i, g in enumerate(self.groups):
            if i != g_index and len(g.states) == 1:
                fired, pvals = g.states[0]
                fixed |= fired
                fixed_person.update(zip(person_ids(g), pvals, strict=True))
        return self._try(group, v_index, flips, others, fixed, fixed_person)

    def _enumerated(self, group: Group, levels: set[int]) -> None:
        """:meth:`_enumerate` once per group; GiveUp again for a group over the bounds."""
        if group.given_up is not None:
            raise GiveUp(group.given_up)
        if not group.states:
            self._enumerate(group, levels)

    def _shadowed_pair(
        self,
        group: Group,
        pair: tuple[int, int],
        shadows: tuple[
            dict[tuple[str, str], tuple[int, Any]], dict[str, list[tuple[int, str, int]]]
        ],
    ) -> bool:
        """Whether two states of *group* decide alike next to any states of the other
        groups: the same person answers, and each part where the two differ (with the
        rules that surely hold) differs only in place, with the same level or person,
        and no other part of its kind that can come in between (see :meth:`_shadowed`)."""
        (fired_a, persons_a), (fired_b, persons_b) = group.states[pair[0]], group.states[pair[1]]
        if persons_a != persons_b:
            return False
        parts = self.p.parts
        first, places = shadows

        def firsts(fired: frozenset[int]) -> dict[tuple[str, str], tuple[int, Any]]:
            out = dict(first)
            for position in fired:
                for part, at, extra in parts[position]:
                    if part not in out or at < out[part][0]:
                        out[part] = (at, extra)
            return out

        one, two = firsts(fired_a), firsts(fired_b)
        for part in one.keys() | two.keys():
            a, b = one.get(part), two.get(part)
            if a == b:
                continue
            if a is None or b is None or a[1] != b[1]:
                return False
            if part[0] == "u":
                continue  # the same level at another place: the same urgency
            low, high = sorted((a[0], b[0]))
            if not self._quiet(part, low, high, places):
                return False
        return True

    def _quiet(
        self,
        part: tuple[str, str],
        low: int,
        high: int,
        places: Mapping[str, list[tuple[int, str, int]]],
    ) -> bool:
        """Whether no other part of *part*'s kind can come strictly between the places
        *low* and *high*, except from a rule that brings *part* before it too."""
        parts = self.p.parts
        kind = places[part[0]]
        start = bisect.bisect_right(kind, (low, "\uffff", 0))
        stop = bisect.bisect_left(kind, (high, "", 0))
        return all(
            other == part[1] or any(p == part and a < place for p, a, _ in parts[rule])
            for place, other, rule in kind[start:stop]
        )

    def _decide_values(self, values: Mapping[str, Any]) -> tuple[tuple[Any, ...], frozenset[int]]:
        """The decision, and the open rules that hold, when the open questions are
        answered as in *values* (fact key -> answer) and the others left unanswered."""
        fired = frozenset(
            p
            for p, terms in self.open_rules.items()
            if any(all(holds(a, values.get(a.key, ABSENT)) for a in t) for t in terms)
        )
        persons = tuple(values.get(f"q__{q}", ABSENT) for q in self.person_order)
        return self._decide(fired | self.definite, persons), fired

    def _directed(self, group: Group, var: Var) -> tuple[Witness, tuple[str, ...]] | None:
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
                        (c for c in cells[atom.key] if all(holds(a, c) for a in on_key)), None
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
        order = self.p.order
        return dict(sorted(answers.items(), key=lambda kv: order[kv[0]]))

    def _shadows(
        self,
    ) -> tuple[dict[tuple[str, str], tuple[int, Any]], dict[str, list[tuple[int, str, int]]]]:
        """Where the rules that surely hold first contribute each part, and every place a
        rule that holds or may hold contributes a part of each kind, with the part's id
        (for :meth:`_shadowed`)."""
        parts = self.p.parts
        first: dict[tuple[str, str], tuple[int, Any]] = {}
        places: dict[str, list[tuple[int, str, int]]] = {}
        for position in sorted(self.definite):
            for part, at, extra in parts[position]:
                if part not in first or at < first[part][0]:
                    first[part] = (at, extra)
        for position in (*self.definite, *self.open_rules):
            for part, at, _ in parts[position]:
                places.setdefault(part[0], []).append((at, part[1], position))
        for at_places in places.values():
            at_places.sort()
        return first, places

    def _shadowed(
        self,
        var: Var,
        shadows: tuple[
            dict[tuple[str, str], tuple[int, Any]], dict[str, list[tuple[int, str, int]]]
        ],
    ) -> bool:
        """Whether every rule that reads *var* contributes only what rules that surely
        hold contribute too, without changing any order: each part is contributed earlier
        already, or later but with nothing of its kind in between (and the same person for
        a clock, the same level for the urgency). Then whether those rules hold changes
        nothing decided, whatever else holds (see :data:`Signature`)."""
        if var.person:
            return False  # its answer also decides whose right a clock follows
        first, places = shadows
        parts = self.p.parts
        for position, reads in self.reads.items():
            if var.key not in reads:
                continue
            for part, at, extra in parts[position]:
                held = first.get(part)
                if held is None:
                    return False
                where, what = held
                if where < at:
                    continue
                if part[0] == "u":
                    if what != extra:
                        return False
                    continue
                if what != extra:
                    return False
                if not self._quiet(part, at, where, places):
                    return False  # another part of its kind may come in between
        return True

    def _rule_ids(self, positions: Iterable[int]) -> tuple[str, ...]:
        outcomes = self.p.outcomes
        rules = sorted((outcomes[p].rule for p in positions), key=lambda r: (r.file, r.line))
        return tuple(r.id for r in rules)

    def _urgency_reach(self, keys: set[str]) -> dict[str, int]:
        """For each question of *keys* that can change the urgency, the rank of the most
        urgent level it can lead to. Exact: the urgency is the most urgent level of the
        rules that hold (the catalogue's default when none sets one), so only the most
        urgent level the other groups and the rules that surely hold reach matters, and
        each level they can reach is tried. Raises GiveUp over the bounds."""
        ranks = self.p.ranks
        default = self.p.default_rank
        diagrams: list[UrgencyDiagram] = []
        reachable: list[set[int]] = []
        for group in self.groups:
            diagram = UrgencyDiagram(group, self.open_rules, ranks)
            diagram.build()
            diagrams.append(diagram)
            reachable.append({k[0] for k in diagram.leaf_keys})
        definite = min((ranks[p] for p in self.definite), default=NO_URGENCY_RANK)
        reach: dict[str, int] = {}
        for g_index, (group, diagram) in enumerate(zip(self.groups, diagrams, strict=True)):
            levels = {i for i, v in enumerate(group.vars) if v.key in keys}
            if not levels:
                continue
            others = [r for i, r in enumerate(reachable) if i != g_index]
            contexts = {min(definite, level) for level in _least_levels(others)}
            flips = diagram.flips(levels)
            for i in levels:
                for a, b in flips[i]:
                    for context in contexts:
                        ra = min(diagram.leaf_keys[a][0], context)
                        rb = min(diagram.leaf_keys[b][0], context)
                        fa = ra if ra != NO_URGENCY_RANK else default
                        fb = rb if rb != NO_URGENCY_RANK else default
                        if fa != fb:
                            key = group.vars[i].key
                            reach[key] = min(reach.get(key, NO_URGENCY_RANK), fa, fb)
        return reach

    def _urgency_read(self, qids: set[str]) -> dict[str, int]:
        """For each question of *qids*, the most urgent level of the open rules that read
        it (an upper bound on what its answer can lead to)."""
        ranks = self.p.ranks
        out: dict[str, int] = {}
        for position, reads in self.reads.items():
            for key in reads:
                qid = self.open_keys[key]
                if qid in qids and ranks[position] < NO_URGENCY_RANK:
                    out[key] = min(out.get(key, NO_URGENCY_RANK), ranks[position])
        return out

    def _try(
        self,
        group: Group,
        v_index: int,
        flips: Mapping[tuple[int, int], tuple[tuple[Any, ...], tuple[Any, ...]]],
        others: list[Group],
        fixed: set[int],
        fixed_person: Mapping[str, Any],
    ) -> tuple[Witness, tuple[str, ...]] | str | None:
        """A witness that the question at *v_index* of *group* matters, None when no
        answers to the other open questions make two of its answers decide apart, or
        ``"unproven"`` when telling would take more than :data:`~oneContact.next_questions.MAX_DECISIONS` decisions."""
        ranks = self.p.ranks
        orders = [by_events(g, ranks) for g in others]
        budget = len(self.decisions) + bounds.MAX_DECISIONS
        for choice in itertools.product(*orders):
            if len(self.decisions) > budget:
                return "unproven"
            fired_ctx = set(fixed)
            person_ctx = dict(fixed_person)
            for g, s in zip(others, choice, strict=True):
                fired_ctx |= g.states[s][0]
                person_ctx.update(zip(person_ids(g), g.states[s][1], strict=True))
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

    def _fired_in(self, group: Group, combo: tuple[Any, ...]) -> set[int]:
        """The group's rules that hold when its questions are answered *combo*."""
        values = {v.key: x for v, x in zip(group.vars, combo, strict=True)}
        return {
            p
            for p in group.rules
            if any(all(holds(a, values[a.key]) for a in t) for t in self.open_rules[p])
        }

    def _whole(
        self, group: Group, state: int, fired_ctx: set[int], person_ctx: Mapping[str, Any]
    ) -> tuple[Any, ...]:
        fired, pvals = group.states[state]
        persons = dict(person_ctx)
        persons.update(zip(person_ids(group), pvals, strict=True))
        return self._decide(
            frozenset(fired_ctx | fired),
            tuple(persons.get(q, ABSENT) for q in self.person_order),
        )

    def _witness(
        self,
        group: Group,
        v_index: int,
        combo_a: tuple[Any, ...],
        combo_b: tuple[Any, ...],
        others: list[Group],
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


def _shown(planner: Planner, qid: str, value: Any) -> Any:
    """An answer of a witness as a contact holds it: None for unanswered, False for a
    yes/no question left unanswered (the same to the rules)."""
    if value is ABSENT:
        return False if planner.questions[qid].type == "boolean" else None
    return value


def _put(answers: dict[str, Any], planner: Planner, qid: str, value: Any) -> None:
    shown = _shown(planner, qid, value)
    if shown is not None:
        answers[qid] = shown


def _differences(one: tuple[Any, ...], two: tuple[Any, ...]) -> tuple[Change, ...]:
    return tuple(c for c, x, y in zip(CHANGES, one, two, strict=True) if x != y)


def _least_levels(groups: Sequence[set[int]]) -> set[int]:
    """Every most urgent rank the groups can reach together, each group in one of its
    states (*groups*: the ranks each can reach; none: the rank of no urgency)."""
    if not groups:
        return {NO_URGENCY_RANK}
    out: set[int] = set()
    for level in set().union(*groups) | {NO_URGENCY_RANK}:
        # *level* is the least when one group is at it and every other can stay at it
        # or less urgent.
        if any(
            level in own
            and all(any(r >= level for r in other) for other in groups if other is not own)
            for own in groups
        ):
            out.add(level)
    return out
