"""What an engine prepares once to find next questions, and one step (see the package
docstring)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .._decide import Outcome, clock_subject, combine, followed
from ..assessment import Assessment
from ..clocks import Clock
from ..errors import ContactError
from ..routing import CatalogueRouter, RouteRequest
from ..ruleset import Person, RuleSet, urgency_rank
from ..ruleset.condition import MAX_TERMS, Atom, dnf
from ..ruleset.sat import Domain, domains
from . import NextQuestion, NextQuestions, declined_problems
from ._diagram import contributions
from ._search import Search

if TYPE_CHECKING:
    from ..intake import FirstContact

__all__ = ["Planner"]


class Planner:
    """What an engine prepares once to find next questions: the rules' conditions in
    disjunctive normal form, in hit-policy order. Read-only after construction."""

    def __init__(
        self,
        ruleset: RuleSet,
        outcomes: Sequence[Outcome],
        read: Callable[[Any], tuple[FirstContact, Mapping[str, Any]]],
        assess: Callable[[FirstContact], Assessment],
    ) -> None:
        """*outcomes*: what each rule contributes, in hit-policy order; *read*: the
        engine's check of a contact (the contact and its flat fact, or ContactError);
        *assess*: the engine's assessment."""
        self._read = read
        self._assess = assess
        self.ruleset = ruleset
        self.outcomes = tuple(outcomes)
        questionnaire = ruleset.questionnaire
        self.questions = questionnaire.questions
        self.order = {qid: i for i, qid in enumerate(questionnaire.questions)}
        self.space: Mapping[str, Domain] = domains(questionnaire)
        terms: list[tuple[tuple[Atom, ...], ...]] = []
        for outcome in self.outcomes:
            found = dnf(outcome.rule.condition, limit=MAX_TERMS)
            assert found is not None  # a checked condition expands to at most MAX_TERMS
            terms.append(found)
        self.terms = tuple(terms)
        self.ranks = tuple(urgency_rank(o.urgency) for o in self.outcomes)
        self.default_rank = urgency_rank(ruleset.catalogue.default_urgency)
        self.parts = tuple(contributions(o, p) for p, o in enumerate(self.outcomes))
        self.persons: Mapping[str, Person] = questionnaire.persons
        person_keys: dict[str, str] = {}
        for person in self.persons.values():
            for qid in (person.age, person.highest_care_allowance, person.special_support_child):
                if qid is not None:
                    person_keys[f"q__{qid}"] = person.id
        self.person_keys = MappingProxyType(person_keys)
        self.person_ages = tuple(
            sorted({*ruleset.policies.ages_compared(), 0, 151})  # person_subject: 0-150
        )
        self.router = CatalogueRouter()

    # -------------------------------------------------------------- one step

    def step(
        self, partial: FirstContact | Mapping[str, Any] | str | bytes, declined: frozenset[str]
    ) -> NextQuestions:
        unknown = declined_problems(declined, self.questions, "declined.")
        if unknown:
            raise ContactError(unknown, title="invalid input")
        contact, fact = self._read(partial)
        outcome = self._assess(contact)
        open_keys = {
            f"q__{q.id}": q.id
            for q in self.ruleset.questionnaire.form(contact.concerns)
            if q.id not in contact.answers and q.id not in declined
        }
        search = Search(self, contact, fact, open_keys)
        found, unproven = search.run()
        ordered = sorted(found, key=self._asking_key)
        if not unproven:
            return NextQuestions(tuple(ordered), outcome)
        return NextQuestions(tuple(ordered), outcome, exact=False, note=unproven)

    def _asking_key(self, q: NextQuestion) -> tuple[int, int, int]:
        can_raise = q.urgency_up_to is not None
        group = (0 if q.red_flag else 1) if can_raise else 2
        return (group, urgency_rank(q.urgency_up_to), self.order[q.id])

    # -------------------------------------------------------------- decisions

    def decision(
        self,
        contact: FirstContact,
        fired: frozenset[int],
        persons: Mapping[str, Any],
        memo: dict[Any, Any],
    ) -> tuple[Any, ...]:
        """The decision of *contact* when exactly the rules at *fired* hold and the
        persons' questions are answered as in *persons* (question id -> answer).

        *memo* keeps, for one contact, the clocks of each set of clocks started and the
        routes of each urgency and services asked for: many sets of rules share them."""
        ruleset = self.ruleset
        catalogue = ruleset.catalogue
        policies = ruleset.policies
        outcomes = self.outcomes
        urgency, needs, services, clock_ids = combine(
            [outcomes[p] for p in sorted(fired)], catalogue, policies.treatment_clocks
        )
        _, others = followed(clock_ids, self.persons, persons)
        clocks_key = ("clocks", tuple(clock_ids), tuple(others.items()))
        clocks: tuple[Clock, ...] | None = memo.get(clocks_key)
        if clocks is None:
            clocks = memo[clocks_key] = policies.compute(
                tuple(clock_ids),
                subject=clock_subject(contact),
                received_at=contact.received_at,
                others=others,
            )
        wanted = tuple(services.values())
        routes_key = ("routes", urgency, wanted)
        routes: tuple[tuple[str, str], ...] | None = memo.get(routes_key)
        if routes is None:
            routed = self.router.route(RouteRequest(contact, urgency, wanted, catalogue))
            routes = memo[routes_key] = tuple((r.kind, r.service) for r in routed)
        return (urgency, tuple(needs), routes, clocks)


# ---------------------------------------------------------------- the search
