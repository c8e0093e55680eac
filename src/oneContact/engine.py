"""The engine: one immutable object that assesses first contacts with a rules directory.

``Engine.from_directory("rules")`` loads and checks the directory (or refuses it whole),
compiles the rules for the chosen evaluator and is then read-only: share one engine
between threads. ``engine.assess(contact)`` validates the contact, evaluates every rule,
applies the hit policy, routes the client and starts the care-guarantee clocks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ._contact_json import JsonPath, read_contact_json
from ._decide import Outcome, clock_subject, combine, followed, one_treatment_clock
from .assessment import Assessment, Backend, FiredRule
from .clocks import ClockSubject, local_day_of, micros
from .errors import (
    ArgumentError,
    ContactError,
    ContactProblem,
    did_you_mean,
    require_supported_time,
    suggestion_text,
)
from .identity_code import shown_key
from .intake import FirstContact, parse_contact
from .routing import DirectorySource, Router, RouteRequest, RoutingStage
from .ruleset import (
    DEFAULT_BACKEND,
    Question,
    Questionnaire,
    Rule,
    RuleSet,
    Urgency,
    load_ruleset,
    urgency_rank,
)
from .ruleset import compile as compile_rules

if TYPE_CHECKING:
    from .explain import Explanation, WhyNot
    from .next_questions import NextQuestions
    from .next_questions._planner import Planner

__all__ = ["Assessment", "Backend", "Engine", "FiredRule", "flatten", "one_treatment_clock"]

log = logging.getLogger("oneContact")

_NO_PERSONS: Mapping[str, ClockSubject] = MappingProxyType({})


def flatten(contact: FirstContact, questionnaire: Questionnaire) -> dict[str, Any]:
    """The flat fact the evaluators read (see ``_condition`` for its conventions).

    Booleans and concerns are present only when true; an unanswered question is absent.
    ``age`` is taken on the local date the contact was received. *contact* must be valid
    against *questionnaire* (:meth:`Engine.validate`); an unknown question raises KeyError.
    """
    return _Reader(questionnaire).fact(contact)


class _Reader:
    """Checks a shape-valid contact against one questionnaire and flattens it, in one
    pass over its concerns and answers: what the engine reads of every contact.

    Built once per questionnaire. Whether an answer is valid is asked of the question
    itself (:meth:`Question.problem_messages`); the answers every question of a kind accepts
    (``True``/``False``, the choices) are asked once, here, not for every contact.
    """

    __slots__ = ("_answers", "_concerns", "_flags", "_questions")

    def __init__(self, questionnaire: Questionnaire) -> None:
        # Concern code -> its fact key.
        self._concerns = {code: f"c__{code}" for code in questionnaire.concerns}
        self._questions = questionnaire.questions
        # Question id -> fact key, for the boolean questions that take True and False
        # (most answers: they have a loop of their own).
        self._flags: dict[str, str] = {}
        # Question id -> (fact key, boolean?, the answers known valid, the question), for
        # the other questions. Only exact strs are looked up in the valid answers.
        self._answers: dict[str, tuple[str, bool, frozenset[str], Question]] = {}
        for qid, question in questionnaire.questions.items():
            boolean = question.type == "boolean"
            if boolean and question.problem(True) is None and question.problem(False) is None:
                self._flags[qid] = f"q__{qid}"
                continue
            valid = frozenset(c for c in question.choices if question.problem(c) is None)
            self._answers[qid] = (f"q__{qid}", boolean, valid, question)

    def fact(self, contact: FirstContact) -> dict[str, Any]:
        """The flat fact of *contact*, valid against the questionnaire (an unknown
        question raises KeyError)."""
        fact = self._fact(contact, check=False)
        assert fact is not None  # only a check gives up
        return fact

    def checked_fact(self, contact: FirstContact) -> dict[str, Any] | None:
        """The flat fact of *contact*; None when it has an unknown concern or question or
        an answer its question does not accept (``check_codes`` then says which and why)."""
        return self._fact(contact, check=True)

    def _fact(self, contact: FirstContact, *, check: bool) -> dict[str, Any] | None:
        client = contact.client
        fact: dict[str, Any] = {
            # The day is only needed to count the years from a birth date.
            "age": client.age
            if client.birth_date is None
            # local_day_of(micros(t)) is local_date(t) by a table, not a time-zone lookup.
            else client.age_on(local_day_of(micros(contact.received_at))),
            "language": client.language,
            "channel": contact.channel,
        }
        if contact.municipality is not None:
            fact["municipality"] = contact.municipality
        if client.highest_care_allowance:
            fact["highest_care_allowance"] = True
        if client.special_support_child:
            fact["special_support_child"] = True
        if client.can_use_digital_services:
            fact["can_use_digital_services"] = True
        concerns = self._concerns
        for code in contact.concerns:
            key = concerns.get(code)
            if key is None:
                if check:
                    return None
                key = f"c__{code}"
            fact[key] = True
        flags = self._flags
        answers = self._answers
        for qid, value in contact.answers.items():
            flag = flags.get(qid)
            if flag is not None:
                if value is True:
                    fact[flag] = True
                elif (
                    value is not False
                    and check
                    and self._questions[qid].problem_messages(value) is not None
                ):
                    return None
                continue
            found = answers.get(qid)
            if found is None:
                if check:
                    return None
                raise KeyError(qid)
            key, boolean, valid, question = found
            if (
                check
                and not (value.__class__ is str and value in valid)
                and question.problem_messages(value) is not None
            ):
                return None
            if boolean:
                if value is True:
                    fact[key] = True
            else:
                fact[key] = value
        return fact


#: Codes of a contact's JSON refused as a whole (docs/reference/contact-input.md).
_UNREAD = frozenset(
    {"json-invalid", "json-too-large", "json-too-deep", "json-duplicate-key", "number-too-large"}
)


def _no_field(_path: JsonPath) -> tuple[str, bool]:
    return "", True  # the engine rereads a refused contact for its codes only


def _time_problems(when: object, field: str) -> list[ContactProblem]:
    """The problem of an event's time or *now*: no UTC offset, or outside the years
    supported (:func:`~oneContact.errors.require_supported_time`)."""
    try:
        require_supported_time(when, field)
    except ArgumentError as exc:
        if exc.code == "timestamp-out-of-range":
            return [ContactProblem(field, str(exc).partition(": ")[2], exc.code)]
        return [ContactProblem(field, "needs a timestamp with a UTC offset", "timezone")]
    return []


def _title(extra: Sequence[ContactProblem]) -> str:
    return "invalid input" if extra else "invalid first contact"


def _sort_key(rule: Rule) -> tuple[int, int, str, int]:
    return (urgency_rank(rule.urgency), rule.priority, rule.file, rule.line)


class Engine:
    """Assesses first contacts with one checked rules directory. Immutable, thread-safe.

    Build it with :meth:`from_directory`. ``digest`` identifies the rule files it was built
    from: the same contact and the same digest always give the same assessment.
    """

    __slots__ = (
        "_asking_planner",
        "_backend",
        "_outcomes",
        "_positions",
        "_program",
        "_reader",
        "_router",
        "_ruleset",
    )

    def __init__(
        self,
        ruleset: RuleSet,
        *,
        backend: Backend = DEFAULT_BACKEND,
        router: Router | None = None,
        directory: DirectorySource | None = None,
    ) -> None:
        self._ruleset = ruleset
        self._router = RoutingStage.choose(
            ruleset.catalogue, ruleset.policies, router=router, directory=directory
        )
        # The evaluator, in file order: rules of one file test the same concern one after
        # the other, which the Python evaluator runs a sixth faster than hit-policy order.
        # (durable_rules falls back to Python where it cannot be imported.)
        self._program = compile_rules(ruleset, backend)
        self._backend: Backend = self._program.backend
        # The place of each rule (by index) in hit-policy order, so that ordering the
        # fired rules is sorting small ints; and what each rule contributes, by place
        # (it never changes: built once, not per assessment).
        order = sorted(range(len(ruleset.rules)), key=lambda i: _sort_key(ruleset.rules[i]))
        positions = [0] * len(order)
        for position, index in enumerate(order):
            positions[index] = position
        self._positions = positions
        self._outcomes = tuple(Outcome.of(ruleset.rules[index]) for index in order)
        self._reader = _Reader(ruleset.questionnaire)
        self._asking_planner: Planner | None = None

    @property
    def ruleset(self) -> RuleSet:
        """The checked rules directory this engine was built from."""
        return self._ruleset

    @property
    def digest(self) -> str:
        """SHA-256 of the rule files read: same contact + same digest = same assessment."""
        return self._ruleset.digest

    @property
    def backend(self) -> Backend:
        """The evaluator in use: ``"durable"`` or ``"python"``."""
        return self._backend

    def __repr__(self) -> str:
        return (
            f"<Engine {str(self.ruleset.path)!r} rules={len(self.ruleset.rules)} "
            f"backend={self.backend} digest={self.digest[:12]}>"
        )

    @classmethod
    def from_directory(
        cls,
        path: str | Path,
        *,
        backend: Backend = DEFAULT_BACKEND,
        router: Router | None = None,
        region: str | None = None,
        directory: DirectorySource | None = None,
    ) -> Engine:
        """Load, check and compile a rules directory; raise RuleError if anything is wrong.

        ``backend="durable"`` evaluates the rules in the durable_rules engine;
        ``backend="python"`` in generated Python (faster; the oracle in tests). The default,
        :data:`~oneContact.ruleset.DEFAULT_BACKEND`, is ``"durable"`` on Python 3.11 and
        3.12 and ``"python"`` from 3.13, where durable_rules does not import. Where
        ``"durable"`` is asked for and cannot be imported, the Python evaluator is used and
        a warning says so once. *region* selects a regional target file
        (``policies/regions/<region>.yaml``): clocks then also carry its target due date.
        *directory* (a :class:`~oneContact.routing.Directory` or any
        :class:`~oneContact.routing.DirectorySource`) routes to team members, units and
        slots; a loaded directory's roles are checked against this catalogue.
        """
        return cls(
            load_ruleset(path, region=region), backend=backend, router=router, directory=directory
        )

    # ------------------------------------------------------------ validation

    def validate(self, contact: FirstContact | Mapping[str, Any] | str | bytes) -> FirstContact:
        """The contact, validated in shape and against this engine's questionnaire.

        Raises :class:`ContactError` naming every offending field: shape problems and, as
        far as they can be read, unknown codes and answers, so that one round trip suffices.
        """
        return self._read(contact, ())[0]

    def _read(
        self,
        contact: FirstContact | Mapping[str, Any] | str | bytes,
        extra: Sequence[ContactProblem],
    ) -> tuple[FirstContact, dict[str, Any]]:
        """The contact validated in shape and against the questionnaire, and its flat
        fact: one pass over its concerns and answers in the common case (see _Reader).
        *extra* are problems found elsewhere (the events): reported with the contact's."""
        questionnaire = self._ruleset.questionnaire
        try:
            parsed = parse_contact(contact)
        except ContactError as exc:
            problems = list(exc.problems)
            raw: object = contact
            if any(p.code in _UNREAD for p in problems):
                raw = None  # the JSON itself was refused: it is not read again
            elif isinstance(raw, str | bytes):
                try:
                    raw = read_contact_json(raw, _no_field)
                except ContactError:
                    raw = None  # not JSON oneContact reads: the problems say why
            if isinstance(raw, Mapping):
                flagged = set(exc.fields)
                problems.extend(
                    p
                    for p in questionnaire.check_codes(raw.get("concerns"), raw.get("answers"))
                    if p.field not in flagged
                )
            raise ContactError([*problems, *extra], title=_title(extra)) from None
        fact = self._reader.checked_fact(parsed)
        if fact is None or extra:
            # Something is wrong: the questionnaire says what, in its words.
            problems = [*questionnaire.check_codes(parsed.concerns, parsed.answers), *extra]
            if problems:
                raise ContactError(problems, title=_title(extra))
            fact = self._reader.fact(parsed)
        return parsed, fact

    def _event_problems(
        self, events: Mapping[str, datetime] | None, now: datetime | None
    ) -> list[ContactProblem]:
        """Unknown event names and naive timestamps are bad input: say which and why."""
        if not events and now is None:
            return []  # the common case
        problems: list[ContactProblem] = []
        known = self.ruleset.policies.events
        for name, when in (events or {}).items():
            if name not in known:
                hint = did_you_mean(name, known)
                problems.append(
                    ContactProblem(
                        f"events.{shown_key(name)}",
                        "unknown event"
                        + (
                            suggestion_text(hint)
                            if hint
                            else f"; known: {', '.join(sorted(known))}"
                        ),
                        "unknown-event",
                        suggestion=hint,
                    )
                )
            else:
                problems.extend(_time_problems(when, f"events.{shown_key(name)}"))
        if now is not None:
            problems.extend(_time_problems(now, "now"))
        return problems

    # ------------------------------------------------------------ assessment

    def fired_rules(
        self, contact: FirstContact | Mapping[str, Any] | str | bytes
    ) -> tuple[Rule, ...]:
        """The rules whose condition holds for *contact*, in hit-policy order."""
        return self._fired(contact)

    def _fired(self, contact: FirstContact | Mapping[str, Any] | str | bytes) -> tuple[Rule, ...]:
        return tuple(o.rule for o in self._fired_outcomes(self._read(contact, ())[1]))

    def _fired_outcomes(self, fact: Mapping[str, Any]) -> list[Outcome]:
        """What the rules that hold for *fact* contribute, in hit-policy order."""
        outcomes = self._outcomes
        positions = self._positions
        return [outcomes[p] for p in sorted([positions[i] for i in self._program.fired(fact)])]

    def assess(
        self,
        contact: FirstContact | Mapping[str, Any] | str | bytes,
        *,
        events: Mapping[str, datetime] | None = None,
        now: datetime | None = None,
    ) -> Assessment:
        """Assess one first contact.

        *contact* is a :class:`FirstContact`, a dict or JSON text. *events* (event name →
        aware timestamp, e.g. ``{"need_assessed": ...}``) start and stop the clocks that
        wait for them; *now* decides whether an open clock is already breached.
        Raises :class:`ContactError` for an invalid contact; nothing else for valid input.
        """
        valid, fact = self._read(contact, self._event_problems(events, now))
        fired = self._fired_outcomes(fact)
        catalogue = self._ruleset.catalogue
        policies = self._ruleset.policies
        urgency, needs, services, clock_ids = combine(fired, catalogue, policies.treatment_clocks)
        # Clocks come before routing: a router books against their due dates.
        subject = clock_subject(valid)
        person_subjects, others = followed(
            clock_ids, self._ruleset.questionnaire.persons, valid.answers
        )
        clocks = policies.compute(
            tuple(clock_ids),
            subject=subject,
            received_at=valid.received_at,
            events=events,
            now=now,
            others=others,
        )
        request = RouteRequest(
            valid,
            urgency,
            tuple(services.values()),
            catalogue,
            clocks,
            language_rights=policies.language_rights,
        )
        routes, warnings_ = self._router.route(
            request, subject=subject, others=others, events=events
        )
        return Assessment(  # by position (the order of its fields): a third cheaper
            valid.contact_id,
            valid.received_at,
            urgency,
            tuple(needs),
            routes,
            clocks,
            tuple([o.fired for o in fired]),
            self._ruleset.digest,
            self._backend,
            subject,
            MappingProxyType(person_subjects) if person_subjects else _NO_PERSONS,
            warnings_,
            valid.client.language,
            valid.municipality,
        )

    def to_text(self, assessment: Assessment, *, language: str | None = None) -> str:
        """*assessment* as a person reads it: urgency, needs, routes, clocks (limit, due
        date, status and legal basis) and the rules that fired, with the catalogue's
        names and the rules' descriptions, in *language* (fi, sv or en). The default is
        the client's language when it is one of the three, else Finnish."""
        from ._render import assessment_text  # noqa: PLC0415 - only text output needs it

        return assessment_text(assessment, self._ruleset, language)

    # ------------------------------------------------------------ explanation
    # Engine.facts is what oneContact.explain.Assessor needs beyond validate/assess: explain
    # and the coverage plugin read the flat facts through it instead of importing flatten.

    def facts(self, contact: FirstContact) -> dict[str, Any]:
        """The flat facts this engine's rules see for a validated *contact* (see
        :func:`flatten`): what :mod:`oneContact.explain` traces and searches."""
        return self._reader.fact(contact)

    def explain(
        self,
        contact: FirstContact | Mapping[str, Any] | str | bytes,
        *,
        events: Mapping[str, datetime] | None = None,
        now: datetime | None = None,
    ) -> Explanation:
        """Every rule in file order with what each comparison saw, and the cause of the
        urgency, each route and each clock (see :mod:`oneContact.explain`)."""
        from .explain import explain  # noqa: PLC0415 -- explain builds on this module

        return explain(self, contact, events=events, now=now)

    def next_questions(
        self,
        partial: FirstContact | Mapping[str, Any] | str | bytes,
        *,
        declined: Iterable[str] = (),
    ) -> NextQuestions:
        """The unanswered questions of *partial* whose answer can still change the
        decision, in a safe asking order (red flags first), whether the form can stop
        (``done``) and the assessment as it stands (``outcome``). *declined*: questions
        the client chose to leave unanswered (an id the questionnaire does not have
        raises ContactError, code ``unknown-question``). See
        :mod:`oneContact.next_questions`."""
        if isinstance(declined, str | bytes):
            raise ArgumentError(
                "bad-argument",
                "declined",
                "must be a list of question ids, not one text: write declined=[...]",
            )
        return self._asking().step(partial, frozenset(declined))

    def _read_one(
        self, contact: FirstContact | Mapping[str, Any] | str | bytes
    ) -> tuple[FirstContact, dict[str, Any]]:
        return self._read(contact, ())

    def _asking(self) -> Planner:
        """What this engine prepares once for :meth:`next_questions` (built on first use;
        two threads racing build two equal planners, and one is kept)."""
        planner = self._asking_planner
        if planner is None:
            from .next_questions._planner import Planner  # noqa: PLC0415

            planner = self._asking_planner = Planner(
                self._ruleset, self._outcomes, self._read_one, self.assess
            )
        return planner

    def why_not(
        self,
        contact: FirstContact | Mapping[str, Any] | str | bytes,
        level: Urgency,
        *,
        max_changes: int = 3,
        limit: int = 10,
    ) -> WhyNot:
        """The fewest answer changes that would make *contact* end at *level*, exact up to
        *max_changes* changed answers (see :func:`oneContact.explain.why_not`)."""
        from .explain import why_not  # noqa: PLC0415

        return why_not(self, contact, level, max_changes=max_changes, limit=limit)
