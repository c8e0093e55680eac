"""Property tests that any rules directory must pass, over generated first contacts.

Needs the ``test`` extra (hypothesis). Each :class:`Property` draws contacts from
:func:`~oneContact.testing.strategies.first_contacts` for the engine's own questionnaire
and checks one promise of oneContact:

* ``never-raises`` — assessing a valid contact never raises;
* ``at-least-one-route`` — every contact gets at least one route ("one contact is enough");
* ``red-flag-at-least-urgent`` — a red flag answered yes never ends below ``urgent``;
* ``red-flag-never-lowers`` — answering one more red flag yes never lowers the urgency;
* ``no-clock-before-contact`` — no clock starts or is due before the contact was received;
* ``same-input-same-output`` — the same contact and the same digest give the same output,
  assessed twice and by a second engine built from the same rules;
* ``one-treatment-clock`` — an assessment starts at most one treatment clock for each
  person, none in an emergency, and one when a non-urgent contact is routed to care under
  the care guarantee (Terveydenhuoltolaki 1326/2010 § 51: every such wait is counted);
* ``infant-never-self-care`` — a client under one year old never ends at ``self_care``;
* ``next-questions-sound`` — a question of the form ``Engine.next_questions`` does not
  return cannot change the decision, answered otherwise in a random completion of the
  form; when it says ``done``, no completion changes it;
* ``next-questions-witnessed`` — each question it returns has a witness: two answers to
  it, the other open questions answered as the witness says, decide differently;
* ``next-questions-follow`` — a client who answers only what it asks, one question at a
  time, until it says ``done``, ends with the decision of all their answers.

``check_property(engine, prop)`` raises :class:`PropertyFailed` with the smallest
contact hypothesis found; ``check_properties(engine)`` runs them all. The pytest plugin
runs them as test items with ``--onecontact-properties`` (see ``plugin.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st

from ..clocks import local_date
from ..errors import ArgumentError
from ..ruleset import URGENT_OR_MORE, Questionnaire, urgency_rank
from .strategies import first_contacts, form_contacts

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = [
    "DEFAULT_EXAMPLES",
    "MIN_EXAMPLES_EACH",
    "PROPERTIES",
    "Property",
    "PropertyFailed",
    "check_properties",
    "check_property",
]

#: Examples per property when none is given: enough to find a planted mistake, few
#: enough to keep the default test run short.
DEFAULT_EXAMPLES = 60

#: Examples each strategy of a property gets at least (a red-flag property has one per flag).
MIN_EXAMPLES_EACH = 5


class PropertyFailed(AssertionError):
    """A property did not hold; the message names it and shows the smallest contact found."""

    def __init__(self, name: str, message: str, contact: Mapping[str, Any]) -> None:
        shown = json.dumps(contact, ensure_ascii=False, indent=2, sort_keys=True)
        super().__init__(f"property {name!r} does not hold: {message}\ncontact:\n{shown}")
        self.name = name
        self.reason = message
        self.contact = dict(contact)


@attrs.frozen
class _Check:
    """What a property sees: the engine, and a twin built independently from the same files."""

    engine: Engine
    twin: Engine


@attrs.frozen
class Property:
    """One promise every rules directory keeps, and how to look for a counterexample."""

    name: str
    description: str
    draw: Callable[[Questionnaire], list[st.SearchStrategy[dict[str, Any]]]]
    """Strategies drawing ``{"contact": ..., "flag": red-flag question id or None}``; the
    examples are shared out between them (at least :data:`MIN_EXAMPLES_EACH` each)."""
    check: Callable[[_Check, dict[str, Any]], str | None]
    """Returns why the property fails for what was drawn, or None when it holds."""


def _red_flags_yes(contact: Mapping[str, Any], questionnaire: Questionnaire) -> list[str]:
    questions = questionnaire.questions
    return [
        qid
        for qid, value in contact["answers"].items()
        if value is True and qid in questions and questions[qid].red_flag
    ]


def _never_raises(c: _Check, drawn: dict[str, Any]) -> str | None:
    contact = drawn["contact"]
    try:
        c.engine.assess(contact)
    except Exception as exc:  # any exception is the failure this property reports
        return f"assess raised {type(exc).__name__}: {exc}"
    return None


def _at_least_one_route(c: _Check, drawn: dict[str, Any]) -> str | None:
    contact = drawn["contact"]
    routes = c.engine.assess(contact).routes
    return None if routes else "the contact got no route at all"


def _red_flag_at_least_urgent(c: _Check, drawn: dict[str, Any]) -> str | None:
    contact = drawn["contact"]
    flags = _red_flags_yes(contact, c.engine.ruleset.questionnaire)
    if not flags:
        return None
    urgency = c.engine.assess(contact).urgency
    if urgency not in URGENT_OR_MORE:
        return f"red flag(s) {', '.join(flags)} answered yes, but the urgency is {urgency}"
    return None


def _with_red_flag(
    questionnaire: Questionnaire, *, answered: bool
) -> list[st.SearchStrategy[dict[str, Any]]]:
    """For each red flag, contacts with it answered yes (*answered*) or left unanswered.

    One strategy per flag, so every flag gets its share of the examples (a single
    ``sampled_from`` would spend most of them on the first flag)."""
    base = first_contacts(questionnaire)
    flags = sorted(questionnaire.red_flags)
    if not flags:
        return [base.map(lambda contact: {"contact": contact, "flag": None})]

    def place(flag: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def placed(contact: dict[str, Any]) -> dict[str, Any]:
            answers = {k: v for k, v in contact["answers"].items() if k != flag}
            if answered:
                answers[flag] = True
            return {"contact": {**contact, "answers": answers}, "flag": flag}

        return placed

    return [base.map(place(flag)) for flag in flags]


def _red_flag_answered(questionnaire: Questionnaire) -> list[st.SearchStrategy[dict[str, Any]]]:
    return _with_red_flag(questionnaire, answered=True)


def _red_flag_unanswered(
    questionnaire: Questionnaire,
) -> list[st.SearchStrategy[dict[str, Any]]]:
    return _with_red_flag(questionnaire, answered=False)


def _red_flag_never_lowers(c: _Check, drawn: dict[str, Any]) -> str | None:
    flag = drawn["flag"]
    if flag is None or drawn["contact"]["answers"].get(flag) is True:
        return None  # no red flag to add (a simplification may not add one either)
    before = c.engine.assess(drawn["contact"]).urgency
    flagged = {**drawn["contact"], "answers": {**drawn["contact"]["answers"], flag: True}}
    after = c.engine.assess(flagged).urgency
    if urgency_rank(after) > urgency_rank(before):
        return f"answering red flag {flag} yes lowers the urgency from {before} to {after}"
    return None


def _no_clock_before_contact(c: _Check, drawn: dict[str, Any]) -> str | None:
    contact = drawn["contact"]
    assessment = c.engine.assess(contact)
    received = assessment.received_at
    day = local_date(received)
    for clock in assessment.clocks:
        dues: list[tuple[str, date | None]] = [
            ("due_date", clock.due_date),
            ("target_due_date", clock.target_due_date),
        ]
        for what, due in dues:
            if due is not None and due < day:
                return (
                    f"clock {clock.clock} has {what} {due.isoformat()}, before the contact "
                    f"was received on {day.isoformat()}"
                )
        if clock.starts_at is not None and clock.starts_at < received:
            return (
                f"clock {clock.clock} starts at {clock.starts_at.isoformat()}, before the "
                f"contact was received at {received.isoformat()}"
            )
    return None


def _same_input_same_output(c: _Check, drawn: dict[str, Any]) -> str | None:
    contact = drawn["contact"]
    if c.twin.digest != c.engine.digest:
        return (
            f"the same rules files gave two digests ({c.engine.digest[:12]}, "
            f"{c.twin.digest[:12]}): the digest does not name what the engine was built from"
        )
    first = c.engine.assess(contact).to_json()
    again = c.engine.assess(contact).to_json()
    if first != again:
        return "assessing the same contact twice gave different outputs: " + _differing(
            first, again
        )
    other = c.twin.assess(contact).to_json()
    if first != other:
        return (
            f"a second engine ({c.twin.backend}) built from the same rules gave a different "
            "output: " + _differing(first, other)
        )
    return None


def _differing(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    keys = [k for k in a if a.get(k) != b.get(k)]
    return ", ".join(f"{k}: {json.dumps(a.get(k))} vs {json.dumps(b.get(k))}" for k in keys)


def _one_treatment_clock(c: _Check, drawn: dict[str, Any]) -> str | None:
    assessment = c.engine.assess(drawn["contact"])
    ruleset = c.engine.ruleset
    started = [k for k in assessment.clocks if k.clock in ruleset.policies.treatment_clocks]
    treatment = [k.clock for k in started]
    if assessment.urgency == "emergency" and treatment:
        return f"an emergency also starts the non-urgent treatment clock(s) {', '.join(treatment)}"
    persons = [k.person for k in started]
    if len(set(persons)) < len(persons):
        return f"more than one treatment clock for one person: {', '.join(treatment)}"
    services = ruleset.catalogue.services
    # Care under the guarantee with a treatment clock to start (a catalogue without
    # defaults.treatment_clock names none: nothing the engine could start).
    care = [
        r.service
        for r in assessment.routes
        if services[r.service].care_guarantee and services[r.service].treatment_clock
    ]
    if assessment.urgency == "non_urgent" and care and not treatment:
        return (
            f"a non-urgent contact is routed to {care[0]} (care under the care guarantee) but "
            "no treatment clock is started"
        )
    return None


def _infants(questionnaire: Questionnaire) -> list[st.SearchStrategy[dict[str, Any]]]:
    def infant(contact: dict[str, Any]) -> dict[str, Any]:
        client = {k: v for k, v in contact["client"].items() if k != "birth_date"}
        return {"contact": {**contact, "client": {**client, "age": 0}}, "flag": None}

    return [first_contacts(questionnaire).map(infant)]


def _infant_never_self_care(c: _Check, drawn: dict[str, Any]) -> str | None:
    urgency = c.engine.assess(drawn["contact"]).urgency
    return "a client under one year old is sent to self-care" if urgency == "self_care" else None


def _forms(questionnaire: Questionnaire) -> list[st.SearchStrategy[dict[str, Any]]]:
    return [form_contacts(questionnaire)]


def _so_far(engine: Engine, drawn: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The drawn contact with only the answers given "so far" (``kept``, and those outside
    its form), and the open questions of its form in questionnaire order."""
    contact = drawn["contact"]
    form = [q.id for q in engine.ruleset.questionnaire.form(contact["concerns"])]
    kept = set(drawn.get("kept", ())) | (set(contact["answers"]) - set(form))
    partial = {**contact, "answers": {k: v for k, v in contact["answers"].items() if k in kept}}
    return partial, [q for q in form if q not in partial["answers"]]


def _with(contact: dict[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """*contact* with *answers* added; an answer None leaves its question unanswered."""
    merged = {**contact["answers"], **answers}
    return {**contact, "answers": {k: v for k, v in merged.items() if v is not None}}


def _changed(one: Mapping[str, Any], two: Mapping[str, Any]) -> str:
    return ", ".join(k for k in one if one[k] != two.get(k))


def _next_questions_sound(c: _Check, drawn: dict[str, Any]) -> str | None:
    partial, open_ = _so_far(c.engine, drawn)
    step = c.engine.next_questions(partial)
    asked = {q.id for q in step.questions}
    answers = drawn["contact"]["answers"]
    completion = _with(partial, {q: answers.get(q) for q in open_})
    decided = c.engine.assess(completion).decision()
    if step.done and step.outcome.decision() != decided:
        return (
            "next_questions said done, but answering the open questions as in the full "
            f"contact changes the {_changed(decided, step.outcome.decision())}"
        )
    for qid in open_:
        if qid in asked or qid not in drawn["alternatives"]:
            continue
        other = _with(completion, {qid: drawn["alternatives"][qid]})
        if other["answers"] == completion["answers"]:
            continue
        switched = c.engine.assess(other).decision()
        if switched != decided:
            return (
                f"{qid} was not asked, but answering it {answers.get(qid)!r} or "
                f"{drawn['alternatives'][qid]!r} changes the {_changed(decided, switched)}"
            )
    return None


def _next_questions_witnessed(c: _Check, drawn: dict[str, Any]) -> str | None:
    partial, open_ = _so_far(c.engine, drawn)
    step = c.engine.next_questions(partial)
    for q in step.questions:
        if q.id not in open_:
            return f"{q.id} was asked, but it is not an open question of the form"
        witness = q.witness
        if witness is None:
            if step.exact:
                return f"{q.id} was asked without a witness in an exact step"
            continue
        strays = set(witness.answers) - set(open_)
        if q.id in witness.answers or strays:
            return f"the witness of {q.id} answers questions that are not open: {sorted(strays)}"
        base = _with(partial, witness.answers)
        one = c.engine.assess(_with(base, {q.id: witness.answer})).decision()
        two = c.engine.assess(_with(base, {q.id: witness.other_answer})).decision()
        if one == two:
            return (
                f"{q.id} was asked, but its witness ({witness.answer!r} or "
                f"{witness.other_answer!r}) gives one decision"
            )
        if tuple(k for k in one if one[k] != two[k]) != witness.changes:
            return (
                f"the witness of {q.id} says it changes {witness.changes}, not {_changed(one, two)}"
            )
    return None


def _next_questions_follow(c: _Check, drawn: dict[str, Any]) -> str | None:
    contact = drawn["contact"]
    partial, open_ = _so_far(c.engine, {**drawn, "kept": ()})
    declined: set[str] = set()
    for _ in range(len(open_) + 1):
        step = c.engine.next_questions(partial, declined=declined)
        if step.done:
            break
        qid = step.questions[0].id
        if qid in declined or qid in partial["answers"]:
            return f"{qid} was asked again after it was answered or declined"
        if qid in contact["answers"]:
            partial = _with(partial, {qid: contact["answers"][qid]})
        else:
            declined.add(qid)
    else:
        return f"next_questions never said done in {len(open_) + 1} steps"
    final = c.engine.assess(partial).decision()
    full = c.engine.assess(contact).decision()
    if final != full:
        return (
            "a client answering only what next_questions asked ended with another "
            f"decision than all their answers give: the {_changed(full, final)} differ"
        )
    return None


def _contacts(questionnaire: Questionnaire) -> list[st.SearchStrategy[dict[str, Any]]]:
    return [first_contacts(questionnaire).map(lambda c: {"contact": c, "flag": None})]


PROPERTIES: tuple[Property, ...] = (
    Property("never-raises", "assessing a valid contact never raises", _contacts, _never_raises),
    Property(
        "at-least-one-route",
        "every contact gets at least one route",
        _contacts,
        _at_least_one_route,
    ),
    Property(
        "red-flag-at-least-urgent",
        "a red flag answered yes never ends below urgent",
        _red_flag_answered,
        _red_flag_at_least_urgent,
    ),
    Property(
        "red-flag-never-lowers",
        "answering one more red flag yes never lowers the urgency",
        _red_flag_unanswered,
        _red_flag_never_lowers,
    ),
    Property(
        "no-clock-before-contact",
        "no clock starts or is due before the contact was received",
        _contacts,
        _no_clock_before_contact,
    ),
    Property(
        "same-input-same-output",
        "the same contact and digest give the same output, again and from a second engine",
        _contacts,
        _same_input_same_output,
    ),
    Property(
        "one-treatment-clock",
        "one treatment clock a person, none in an emergency, one for non-urgent care",
        _contacts,
        _one_treatment_clock,
    ),
    Property(
        "infant-never-self-care",
        "a client under one year old never ends at self_care",
        _infants,
        _infant_never_self_care,
    ),
    Property(
        "next-questions-sound",
        "a question next_questions does not ask cannot change the decision",
        _forms,
        _next_questions_sound,
    ),
    Property(
        "next-questions-witnessed",
        "each question next_questions asks changes the decision in its witness",
        _forms,
        _next_questions_witnessed,
    ),
    Property(
        "next-questions-follow",
        "answering only what next_questions asks ends with the decision of all answers",
        _forms,
        _next_questions_follow,
    ),
)


def check_property(
    engine: Engine,
    prop: Property,
    *,
    examples: int = DEFAULT_EXAMPLES,
    twin: Engine | None = None,
    derandomize: bool = True,
) -> None:
    """Look for a contact that breaks *prop*; raise :class:`PropertyFailed` with a
    simplest one (answers, extra concerns and client details removed while it still fails).

    *twin* is a second engine built independently from the same rules directory (for
    ``same-input-same-output``); by default one is built from ``engine.ruleset`` with the
    Python evaluator. ``derandomize`` (the default) makes a run repeatable: the same
    rules give the same examples. Hypothesis keeps no example database here. Raises
    :class:`~oneContact.errors.ArgumentError` (code ``bad-argument``) for *examples* < 1.
    """
    from ..engine import Engine  # noqa: PLC0415 -- the engine imports nothing of testing

    if examples < 1:
        raise ArgumentError("bad-argument", "examples", f"must be at least 1, not {examples}")
    check = _Check(engine, twin if twin is not None else Engine(engine.ruleset, backend="python"))

    strategies = prop.draw(engine.ruleset.questionnaire)
    each = max(MIN_EXAMPLES_EACH, -(-examples // len(strategies)))
    for strategy in strategies:
        _search(prop, check, strategy, each, derandomize=derandomize)


def _search(
    prop: Property,
    check: _Check,
    strategy: st.SearchStrategy[dict[str, Any]],
    examples: int,
    *,
    derandomize: bool,
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        # Hypothesis' generic shrinking of a whole contact takes tens of seconds;
        # _simplest() below shrinks the way a contact can shrink, in a few dozen checks.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=False,
        verbosity=Verbosity.quiet,
    )
    @given(strategy)
    def run(drawn: dict[str, Any]) -> None:
        if prop.check(check, drawn) is not None:
            raise _Found(drawn)

    try:
        run()
    except _Found as found:
        drawn = _simplest(prop, check, found.drawn)
        why = prop.check(check, drawn)
        assert why is not None  # _simplest keeps only what still fails
        raise PropertyFailed(prop.name, why, drawn["contact"]) from None


class _Found(Exception):
    def __init__(self, drawn: dict[str, Any]) -> None:
        super().__init__("counterexample found")
        self.drawn = drawn


def _smaller(drawn: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Each one-step simplification of a drawn contact, most useful first."""
    contact = drawn["contact"]

    def with_contact(**changes: Any) -> dict[str, Any]:
        return {**drawn, "contact": {**contact, **changes}}

    answers = contact["answers"]
    for qid in sorted(answers):
        yield with_contact(answers={k: v for k, v in answers.items() if k != qid})
    concerns = contact["concerns"]
    if len(concerns) > 1:
        for code in concerns:
            yield with_contact(concerns=[code])
    if "municipality" in contact:
        yield {**drawn, "contact": {k: v for k, v in contact.items() if k != "municipality"}}
    client = contact["client"]
    for key in ("highest_care_allowance", "special_support_child", "can_use_digital_services"):
        if key in client:
            yield with_contact(client={k: v for k, v in client.items() if k != key})
    if client.get("language", "fi") != "fi":
        yield with_contact(client={**client, "language": "fi"})
    if contact["contact_id"] != "prop-1":
        yield with_contact(contact_id="prop-1")


def _simplest(prop: Property, check: _Check, drawn: dict[str, Any]) -> dict[str, Any]:
    """The drawn contact with every answer, concern and detail removed that can be
    removed while the property still fails (greedy, at most a few hundred checks)."""
    budget = 400
    improved = True
    while improved and budget > 0:
        improved = False
        for candidate in _smaller(drawn):
            budget -= 1
            try:
                fails = prop.check(check, candidate) is not None
            except Exception:  # a simplification the engine refuses is not simpler
                fails = False
            if fails:
                drawn, improved = candidate, True
                break
            if budget <= 0:
                break
    return drawn


def check_properties(
    engine: Engine,
    *,
    examples: int = DEFAULT_EXAMPLES,
    twin: Engine | None = None,
    derandomize: bool = True,
) -> dict[str, PropertyFailed | None]:
    """Run every property; property name → its failure, or None when it held."""
    out: dict[str, PropertyFailed | None] = {}
    for prop in PROPERTIES:
        try:
            check_property(engine, prop, examples=examples, twin=twin, derandomize=derandomize)
        except PropertyFailed as failure:
            out[prop.name] = failure
        else:
            out[prop.name] = None
    return out
