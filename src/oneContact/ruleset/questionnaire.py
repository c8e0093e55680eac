"""The questionnaire: what a first contact may say, and the check of every answer.

:class:`Questionnaire` holds the concerns, the questions (:class:`Question`, with the check
of one answer) and the persons a contact can be about; it checks a contact's concern
codes and answers (:meth:`Questionnaire.check_codes`) and gives their JSON Schema.
:func:`read_questionnaire` reads ``questionnaire.yaml`` of a rules directory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import islice
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import attrs

from .. import _yaml
from .._messages import text
from .._problems import ProblemCollector
from .._text import Label, Untranslated
from ..errors import ContactProblem, contact_messages, did_you_mean, suggestion_text
from ..identity_code import shown_key
from ..intake import MAX_CONTACT_ANSWERS, MAX_CONTACT_CONCERNS, FirstContact
from ._reading import entries, read_label
from .condition import MAX_NUMBER, FieldInfo
from .model import BUILTIN_FIELDS, Person

__all__ = [
    "MAX_CONCERNS",
    "MAX_QUESTIONS",
    "Concern",
    "Question",
    "QuestionType",
    "Questionnaire",
    "read_questionnaire",
]

MAX_QUESTIONS = 180
MAX_CONCERNS = 40
QuestionType = Literal["boolean", "number", "choice"]


@attrs.frozen
class Concern:
    """A concern code the client can choose at first contact."""

    id: str
    label: Label


@attrs.frozen
class Question:
    """A question of the first-contact form."""

    id: str
    type: QuestionType
    label: Label
    red_flag: bool = False
    choices: tuple[str, ...] = ()
    choice_labels: Mapping[str, Label] = attrs.field(factory=lambda: MappingProxyType({}), eq=False)
    """Choice id -> its label, for the choices written with one."""
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    concerns: tuple[str, ...] = ()

    def answer_text(self, value: object, language: str) -> str:
        """An answer as a person reads it in *language*: a choice's label (with its id),
        yes or no, a number; "unanswered" for None."""
        if value is None:
            return text("unanswered", language)
        if isinstance(value, bool):
            return text("yes" if value else "no", language)
        if isinstance(value, float):
            return f"{value:g}"
        found = self.choice_labels.get(str(value)) if self.type == "choice" else None
        return f"{value} ({found.get(language)})" if found is not None else str(value)

    def problem(self, value: object) -> str | None:
        """Why *value* is not a valid answer, or None. Never repeats the value."""
        found = self.problem_messages(value)
        return None if found is None else found[0]

    def problem_messages(self, value: object) -> tuple[str, Label] | None:
        """Why *value* is not a valid answer, for the form's developer (English) and for
        the client (fi/sv/en), or None. Neither repeats the value: the bounds named are
        the question's."""
        if self.type == "boolean":
            return None if isinstance(value, bool) else _why("must be true or false", "boolean")
        if self.type == "number":
            if isinstance(value, bool) or not isinstance(value, _NUMBERS):
                return _why("must be a number", "number")
            if not -MAX_NUMBER <= value <= MAX_NUMBER:
                return (
                    f"must be between -{MAX_NUMBER:,} and {MAX_NUMBER:,}",
                    contact_messages("range:between", low=-MAX_NUMBER, high=MAX_NUMBER),
                )
            if self.integer and not (isinstance(value, int) or float(value).is_integer()):
                return _why("must be a whole number", "whole")
            if self.minimum is not None and value < self.minimum:
                return (
                    f"must be at least {self.minimum:g}",
                    contact_messages("range:at-least", limit=self.minimum),
                )
            if self.maximum is not None and value > self.maximum:
                return (
                    f"must be at most {self.maximum:g}",
                    contact_messages("range:at-most", limit=self.maximum),
                )
            return None
        if not isinstance(value, str) or value not in self.choices:
            return _why("must be one of " + ", ".join(self.choices), "choice")
        return None


_NUMBERS = (int, float)  # a tuple: ``int | float`` in isinstance builds a union each call


def _why(message: str, kind: str) -> tuple[str, Label]:
    return message, contact_messages(f"answer:{kind}")


@attrs.frozen
class Questionnaire:
    """Concerns and questions of the first contact: what a contact may say."""

    concerns: Mapping[str, Concern]
    questions: Mapping[str, Question]
    persons: Mapping[str, Person] = attrs.field(default=MappingProxyType({}), hash=False)
    """Whom a contact can be about besides the client, by id (see :class:`Person`)."""

    @property
    def red_flags(self) -> tuple[str, ...]:
        """Ids of the red-flag questions."""
        return tuple(q.id for q in self.questions.values() if q.red_flag)

    def form(self, concerns: Iterable[str]) -> tuple[Question, ...]:
        """The questions a form asks a client with *concerns*, in questionnaire order: those
        whose ``concerns`` name one of them, and those that name no concern (asked under
        every concern)."""
        chosen = set(concerns)
        return tuple(
            q for q in self.questions.values() if not q.concerns or chosen.intersection(q.concerns)
        )

    def fields(self) -> dict[str, FieldInfo]:
        """Every field a condition may name: the built-in ones and the questions."""
        out = dict(BUILTIN_FIELDS)
        for q in self.questions.values():
            out[q.id] = FieldInfo(q.id, q.type, f"q__{q.id}", choices=q.choices)
        return out

    def check_contact(self, contact: FirstContact) -> list[ContactProblem]:
        """Problems of *contact* against this questionnaire (codes, answer ids and types)."""
        return self.check_codes(contact.concerns, contact.answers)

    def check_codes(self, concerns: object, answers: object) -> list[ContactProblem]:
        """Problems of concern codes and answers, even from a contact of the wrong shape."""
        if self._all_valid(concerns, answers):
            return []  # the common case: no messages, hints or field names to build
        problems: list[ContactProblem] = []
        # As many as a contact may hold: a longer list is refused as too long, not
        # checked item by item (each unknown code costs a search for the nearest).
        listed = concerns[:MAX_CONTACT_CONCERNS] if isinstance(concerns, list) else []
        for i, code in enumerate(listed):
            if not isinstance(code, str):
                continue
            if code not in self.concerns:
                hint = did_you_mean(code, self.concerns)
                problems.append(
                    ContactProblem(
                        f"concerns[{i}]",
                        "unknown concern code"
                        + (suggestion_text(hint) if hint else "; see `onecontact schema`"),
                        "unknown-concern",
                        suggestion=hint,
                    )
                )
        given = answers.items() if isinstance(answers, Mapping) else ()
        for qid, value in islice(given, MAX_CONTACT_ANSWERS):
            if not isinstance(qid, str):
                continue
            question = self.questions.get(qid)
            # A key could hold anything, even an identity code: echoed only when it cannot.
            field = f"answers.{shown_key(qid)}"
            if question is None:
                hint = did_you_mean(qid, self.questions)
                problems.append(
                    ContactProblem(
                        field,
                        "unknown question"
                        + (suggestion_text(hint) if hint else "; see `onecontact schema`"),
                        "unknown-question",
                        suggestion=hint,
                    )
                )
                continue
            why = question.problem_messages(value)
            if why is not None:
                problems.append(ContactProblem(field, why[0], "answer-type", messages=why[1]))
        return problems

    def _all_valid(self, concerns: object, answers: object) -> bool:
        if not isinstance(concerns, list) or not isinstance(answers, Mapping):
            return False
        known, questions = self.concerns, self.questions
        # A code of the wrong type (a list: unhashable) is the shape check's to report.
        if not all(isinstance(code, str) and code in known for code in concerns):
            return False
        for qid, value in answers.items():
            question = questions.get(qid)
            if question is None or question.problem(value) is not None:
                return False
        return True

    def json_schema_parts(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """JSON Schema of ``concerns`` items and of ``answers`` for this questionnaire."""
        concerns: dict[str, Any] = {"enum": list(self.concerns)}
        props: dict[str, Any] = {}
        for q in self.questions.values():
            prop: dict[str, Any]
            if q.type == "boolean":
                prop = {"type": "boolean"}
            elif q.type == "number":
                prop = {"type": "integer" if q.integer else "number"}
                cast = int if q.integer else float
                prop["minimum"] = cast(q.minimum if q.minimum is not None else -MAX_NUMBER)
                prop["maximum"] = cast(q.maximum if q.maximum is not None else MAX_NUMBER)
            else:
                prop = {"type": "string", "enum": list(q.choices)}
            prop["title"] = q.label.en
            prop["description"] = f"fi: {q.label.fi} / sv: {q.label.sv}"
            if q.red_flag:
                prop["x-red-flag"] = True
            props[q.id] = prop
        answers = {"type": "object", "properties": props, "additionalProperties": False}
        return concerns, answers


# ---------------------------------------------------------------- questionnaire.yaml


def read_questionnaire(root: Path, c: ProblemCollector) -> Questionnaire:
    """``questionnaire.yaml`` of the rules directory *root*, its problems noted in *c*."""
    path = root / "questionnaire.yaml"
    if not path.exists() and not path.is_symlink():
        c.add("missing-file", "every rules directory needs questionnaire.yaml", path)
        return Questionnaire({}, {})
    doc = _yaml.load_yaml(path)
    if not isinstance(doc, Mapping):
        c.add("not-a-mapping", "questionnaire.yaml must hold 'concerns' and 'questions'", path)
        return Questionnaire({}, {})
    c.unknown_keys(doc, ("concerns", "questions", "persons"), path, "questionnaire.yaml")
    concerns: dict[str, Concern] = {}
    for cid, item, where in entries(doc, "concerns", "concern", ("id", "label"), path, c):
        concerns[cid] = Concern(
            cid, read_label(item.get("label"), path, where, c, f"concern {cid!r}")
        )
    questions: dict[str, Question] = {}
    allowed = ("id", "type", "label", "red_flag", "choices", "min", "max", "integer", "concerns")
    for qid, item, where in entries(doc, "questions", "question", allowed, path, c):
        if qid in BUILTIN_FIELDS or qid == "answers":
            c.add(
                "reserved-id",
                f"question id {qid!r} is a built-in field name; choose another id",
                path,
                where,
            )
        qtype = item.get("type")
        if qtype not in ("boolean", "number", "choice"):
            c.add(
                "bad-question-type",
                f"question {qid!r} has type {qtype!r}; use boolean, number or choice",
                path,
                _yaml.value_position(item, "type") if "type" in item else where,
                suggestion=did_you_mean(str(qtype), ("boolean", "number", "choice")),
            )
            continue
        choices: tuple[str, ...] = ()
        choice_labels: dict[str, Label] = {}
        if qtype == "choice":
            choices, choice_labels = _choices(item.get("choices"), qid, path, where, c)
        bounds: list[float | None] = []
        for key in ("min", "max"):
            bound = item.get(key)
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, int | float)
            ):
                c.add("bad-bound", f"'{key}' of {qid!r} must be a number", path, where)
                bound = None
            bounds.append(float(bound) if bound is not None else None)
        for flag in ("red_flag", "integer"):
            if flag in item and not isinstance(item[flag], bool):
                c.add("not-a-boolean", f"'{flag}' of {qid!r} must be true or false", path, where)
        if item.get("red_flag") and qtype != "boolean":
            c.add("bad-red-flag", f"red-flag question {qid!r} must be a boolean", path, where)
        asked = item.get("concerns") or []
        questions[qid] = Question(
            qid,
            qtype,
            read_label(item.get("label"), path, where, c, f"question {qid!r}"),
            red_flag=bool(item.get("red_flag", False)),
            choices=choices,
            choice_labels=MappingProxyType(choice_labels),
            minimum=bounds[0],
            maximum=bounds[1],
            integer=bool(item.get("integer", False)),
            concerns=tuple(str(x) for x in asked) if isinstance(asked, list) else (),
        )
        for code in questions[qid].concerns:
            if concerns and code not in concerns:
                c.add(
                    "unknown-concern",
                    f"question {qid!r} names unknown concern {code!r}",
                    path,
                    where,
                    suggestion=did_you_mean(code, concerns),
                )
    if len(questions) > MAX_QUESTIONS or len(concerns) > MAX_CONCERNS:
        c.add(
            "questionnaire-too-large",
            f"at most {MAX_QUESTIONS} questions and {MAX_CONCERNS} concerns "
            "(the rule engine holds about 255 fields a contact)",
            path,
        )
    persons = _load_persons(doc, questions, path, c) if doc.get("persons") is not None else {}
    return Questionnaire(
        MappingProxyType(concerns), MappingProxyType(questions), MappingProxyType(persons)
    )


_PERSON_KEYS = ("id", "label", "age", "highest_care_allowance", "special_support_child")
#: The id a clock entry's ``for`` would need for the client: the client is the default
#: (a plain clock id), so no person may take this name.
_CLIENT = "client"


def _load_persons(
    doc: Mapping[str, Any], questions: Mapping[str, Question], path: Path, c: ProblemCollector
) -> dict[str, Person]:
    """The ``persons:`` of the questionnaire: each names the questions its age and flags
    are read from, which must be a number question and boolean questions."""
    persons: dict[str, Person] = {}
    for pid, item, where in entries(doc, "persons", "person", _PERSON_KEYS, path, c):
        if pid == _CLIENT:
            c.add(
                "reserved-id",
                f"person id {pid!r} is reserved: a clock written without 'for' follows the "
                "client's own right; choose another id, e.g. 'cared_for' or 'child'",
                path,
                where,
            )
            continue
        label = read_label(item.get("label"), path, where, c, f"person {pid!r}")
        named: dict[str, str | None] = {}
        for key, qtype in (
            ("age", "number"),
            ("highest_care_allowance", "boolean"),
            ("special_support_child", "boolean"),
        ):
            qid = item.get(key)
            named[key] = None
            if qid is None:
                if key == "age":
                    c.add(
                        "missing-key",
                        f"person {pid!r} needs 'age': the id of the number question that "
                        "holds their age, e.g. age: child_age",
                        path,
                        where,
                    )
                continue
            at = _yaml.value_position(item, key)
            question = questions.get(qid) if isinstance(qid, str) else None
            if question is None:
                c.add(
                    "unknown-question",
                    f"'{key}' of person {pid!r} names unknown question {qid!r}; name a "
                    f"{qtype} question of this questionnaire",
                    path,
                    at,
                    suggestion=did_you_mean(str(qid), questions),
                )
            elif question.type != qtype:
                c.add(
                    "person-question-type",
                    f"'{key}' of person {pid!r} names {question.type} question {qid!r}; it "
                    f"must name a {qtype} question",
                    path,
                    at,
                    suggestion=did_you_mean(
                        str(qid), [q.id for q in questions.values() if q.type == qtype]
                    ),
                )
            else:
                named[key] = question.id
        # Kept even when broken (the directory is refused anyway): a rule's 'for' naming
        # this person is then not reported as unknown too.
        persons[pid] = Person(
            pid,
            label,
            named["age"] or "",
            highest_care_allowance=named["highest_care_allowance"],
            special_support_child=named["special_support_child"],
        )
    return persons


def _choices(
    raw: object, qid: str, path: Path, where: tuple[int | None, int | None], c: ProblemCollector
) -> tuple[tuple[str, ...], dict[str, Label]]:
    """A choice question's choices: plain ids, or ``{id: ..., label: {fi, sv, en}}``."""
    if not isinstance(raw, list) or not raw:
        c.add("bad-choices", f"choice question {qid!r} needs a list of choices", path, where)
        return (), {}
    ids: list[str] = []
    labels: dict[str, Label] = {}
    for index, entry in enumerate(raw):
        at = _yaml.item_position(raw, index)
        if isinstance(entry, str):
            ident = entry
            # A plain id is shown as it is: a text a person reads, without a translation.
            c.untranslated.append(
                Untranslated(
                    path, at[0], at[1], f"choice {ident!r} of question {qid!r}", Label("", "", "")
                )
            )
        elif isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            ident = entry["id"]
            c.unknown_keys(entry, ("id", "label"), path, f"a choice of {qid!r}")
            labels[ident] = read_label(
                entry.get("label"), path, at, c, f"choice {ident!r} of question {qid!r}"
            )
        else:
            c.add(
                "bad-choices",
                f"a choice of question {qid!r} is an id, or {{id: ..., label: {{fi: ..., "
                "sv: ..., en: ...}}",
                path,
                at,
            )
            continue
        if ident in ids:
            c.add("bad-choices", f"choice {ident!r} of {qid!r} is given twice", path, at)
            continue
        ids.append(ident)
    return tuple(ids), labels
