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
is *open* on some open questions. A decision depends on the rules that hold only through
what each contributes and where in hit-policy order (its *signature*: the first place
each need, service, clock and the urgency comes from), so the search reasons about
those. For each open question, in turn and stopping at the first that settles it:

1. it is answered alone, the other open questions left open; then each term of each rule
   that reads it is made to hold but for it. Two decisions that differ are its witness.
2. A question whose rules contribute only what rules that surely hold contribute, with
   no other part of the same kind able to come in between, cannot matter (*shadowed*).
3. Otherwise the answers of the questions that share open rules with it (a *group*) are
   worked out as a diagram: the values of each question fall into finitely many classes
   no condition tells apart (the choices named, the intervals between the numbers
   compared with, unanswered; for the age of a person a clock follows, also the ages the
   clock policies compare with), and ways of answering that leave the same rules to
   decide are merged. The pairs of the group's states its answers switch between are
   kept unless shadowed; the rest are tried against every state of the other groups,
   the least eventful first, until two decisions differ or none can.

Two bounds keep a call short: :data:`MAX_COMBINATIONS` steps of one group's diagram and
:data:`MAX_DECISIONS` decisions to settle one question. A question the search cannot
settle within them is asked anyway, without a witness: ``exact`` is then False and
``note`` names the questions and the bound (never fewer questions than the exact answer).
Whether a question can change the urgency, and to what at most, is worked out exactly for
the asking order (each level the other groups can reach is tried, since the catalogue's
default urgency can hide a change); past the bounds the order takes the most urgent rule
that reads each question, and ``note`` says so.

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

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from .._text import Label
from ..assessment import Assessment
from ..errors import ContactProblem, did_you_mean, suggestion_text
from ..identity_code import is_shown, shown_key
from ..ruleset import Question, Urgency

__all__ = [
    "MAX_COMBINATIONS",
    "MAX_DECISIONS",
    "Change",
    "NextQuestion",
    "NextQuestions",
    "Witness",
    "declined_problems",
]

#: Steps (diagram nodes and pairs of nodes) worked out for one group of questions that
#: share rules, beyond which the group's questions are asked without proof.
MAX_COMBINATIONS = 5_000
#: Decisions worked out to prove one question cannot matter, beyond which it is asked.
MAX_DECISIONS = 200

Change = Literal["urgency", "needs", "routes", "clocks"]
"""A part of the decision (:meth:`Assessment.decision`) an answer can change."""
CHANGES: tuple[Change, ...] = ("urgency", "needs", "routes", "clocks")


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
    ``urgency`` whenever it can change the urgency; empty for a question asked without
    proof (``witness`` None)."""
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


def declined_problems(
    declined: Iterable[str], questions: Mapping[str, Question], field: str = "declined."
) -> list[ContactProblem]:
    """A problem (code ``unknown-question``, with the nearest id) for each id of
    *declined* the questionnaire does not have: a typo would otherwise ask the question
    again without a word. *field* prefixes the id in the problem's field."""
    problems: list[ContactProblem] = []
    for qid in dict.fromkeys(declined):
        if qid not in questions:
            hint = did_you_mean(qid, questions) if is_shown(qid) else None
            problems.append(
                ContactProblem(
                    f"{field}{shown_key(qid)}",
                    "unknown question" + suggestion_text(hint),
                    "unknown-question",
                    suggestion=hint,
                )
            )
    return problems
