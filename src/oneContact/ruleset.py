"""Reading a rules directory into one checked, immutable :class:`RuleSet`.

The directory holds the questionnaire, the service catalogue, the assessment rules and
the care-guarantee policies (see ``docs/reference/rule-files.md``). Everything is checked
before anything is used: every problem in every file is collected and raised together as
one :class:`~oneContact.errors.RuleError`, so a directory is either loaded whole or not at
all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import attrs

from . import _yaml
from ._condition import (
    MAX_NUMBER,
    Cond,
    ConditionSyntaxError,
    ConditionTypeError,
    FieldInfo,
    compile_condition,
)
from ._messages import text
from ._problems import ProblemCollector
from ._text import LANGUAGES, Label, Untranslated, read_text
from .clocks import Policies, files_digest
from .errors import ContactProblem, RuleError, RuleProblem, contact_messages, did_you_mean
from .intake import CHANNELS, FirstContact

__all__ = [
    "LANGUAGES",
    "SERVICE_KINDS",
    "URGENCY_LEVELS",
    "Catalogue",
    "Person",
    "Question",
    "Questionnaire",
    "Rule",
    "RuleSet",
    "Service",
    "Urgency",
    "load_catalogue",
    "load_ruleset",
]

Urgency = Literal["emergency", "urgent", "non_urgent", "self_care"]
#: Most urgent first.
URGENCY_LEVELS: tuple[Urgency, ...] = ("emergency", "urgent", "non_urgent", "self_care")
SERVICE_KINDS = ("emergency", "team_member", "digital_channel", "family_centre", "remedy")
MAX_QUESTIONS = 180
REQUIRE_ALL_LANGUAGES = True
"""Whether loading refuses (``text-language-missing``) a rules directory in which a text a
person reads lacks Finnish, Swedish or English: rule descriptions, choice labels, policy
clock descriptions, bases, notes, reasons for no limit, region names and descriptions.
On: a Swedish-speaking client has a right to service in Swedish (Kielilaki 423/2003), so
no text reaches a client in a language they did not choose. A region translating a copy
of the rules step by step can turn it off for a tool run, never for a service."""
MAX_CONCERNS = 40
MAX_RULES = 5_000

_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_RESERVED_FILES = frozenset({"questionnaire.yaml", "catalogue.yaml"})
QuestionType = Literal["boolean", "number", "choice"]

BUILTIN_FIELDS: Mapping[str, FieldInfo] = {
    "age": FieldInfo("age", "number", "age", always_present=True),
    "language": FieldInfo("language", "string", "language", always_present=True),
    "channel": FieldInfo("channel", "choice", "channel", always_present=True, choices=CHANNELS),
    "municipality": FieldInfo("municipality", "string", "municipality"),
    "highest_care_allowance": FieldInfo(
        "highest_care_allowance", "boolean", "highest_care_allowance"
    ),
    "special_support_child": FieldInfo("special_support_child", "boolean", "special_support_child"),
    "can_use_digital_services": FieldInfo(
        "can_use_digital_services", "boolean", "can_use_digital_services"
    ),
    "concerns": FieldInfo("concerns", "concerns", "concerns"),
}


# ---------------------------------------------------------------- values


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
            if isinstance(value, bool) or not isinstance(value, int | float):
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


def _why(message: str, kind: str) -> tuple[str, Label]:
    return message, contact_messages(f"answer:{kind}")


@attrs.frozen
class Person:
    """Someone a contact can be about besides the client (``persons:`` in the
    questionnaire), e.g. the person an informal carer cares for, or a parent's child.

    A clock a rule starts ``for`` this person follows their right: the care-guarantee
    policies read this person's age and flags, taken from the answers to the questions
    named here (ids, never answers: a Person holds no personal data).
    """

    id: str
    label: Label
    age: str
    """The number question that holds the person's age in years."""
    highest_care_allowance: str | None = None
    """The boolean question: does the person receive the highest care allowance."""
    special_support_child: str | None = None
    """The boolean question: is the person a child who needs special support."""


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
        for i, code in enumerate(concerns if isinstance(concerns, list) else []):
            if not isinstance(code, str):
                continue
            if code not in self.concerns:
                hint = did_you_mean(code, self.concerns)
                problems.append(
                    ContactProblem(
                        f"concerns[{i}]",
                        "unknown concern code"
                        + (f" (did you mean {hint!r}?)" if hint else "; see `onecontact schema`"),
                        "unknown-concern",
                    )
                )
        for qid, value in answers.items() if isinstance(answers, Mapping) else ():
            if not isinstance(qid, str):
                continue
            question = self.questions.get(qid)
            # Only well-formed ids are echoed: a key could hold anything, even an identity code.
            field = f"answers.{qid}" if _ID.match(qid) else "answers.<unknown key>"
            if question is None:
                hint = did_you_mean(qid, self.questions)
                problems.append(
                    ContactProblem(
                        field,
                        "unknown question"
                        + (f" (did you mean {hint!r}?)" if hint else "; see `onecontact schema`"),
                        "unknown-question",
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
        if not all(code in known for code in concerns):
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


@attrs.frozen
class Service:
    """A destination in the service catalogue."""

    id: str
    kind: str
    name: Label
    care_guarantee: bool = False
    """Whether a non-urgent route here is care under the care guarantee: true by default
    for team members and family-centre services, unless the catalogue says
    ``care_guarantee: false`` (social services with clocks of their own, groups, ...)."""
    treatment_clock: str | None = None
    """The treatment clock a non-urgent route here starts when no fired rule starts one
    (the service's ``treatment_clock``, else the catalogue's default)."""


@attrs.frozen
class Catalogue:
    """Needs and services a rule may name, and the defaults of the hit policy."""

    needs: Mapping[str, Label]
    services: Mapping[str, Service]
    default_urgency: Urgency
    fallback_service: str
    default_treatment_clock: str | None = None
    """``defaults.treatment_clock``: the treatment clock of a care-guarantee service that
    names none of its own."""


@attrs.frozen(repr=False)
class Rule:
    """One compiled assessment rule."""

    id: str
    file: str
    line: int
    when: str
    condition: Cond
    urgency: Urgency | None
    needs: tuple[str, ...]
    services: tuple[str, ...]
    clocks: tuple[str, ...]
    priority: int
    description: Label | None = None
    """What the rule does, for the people who read a decision (fi/sv/en)."""
    clock_for: Mapping[str, str] = attrs.field(default=MappingProxyType({}), hash=False)
    """Clock id -> the id of the person (``persons:`` in the questionnaire) whose right the
    clock follows, for the clocks written ``{clock: ..., for: ...}``; a clock not named
    here follows the client's own right."""
    when_at: tuple[int | None, int | None] = attrs.field(default=(None, None), eq=False)
    """Line and column of the ``when`` value in the file, as far as known (for the lint)."""
    priority_written: bool = attrs.field(default=False, eq=False)
    """Whether the rule file writes a ``priority`` (else the default 100 applies)."""

    def __repr__(self) -> str:
        return f"<Rule {self.id!r} {self.file}:{self.line}>"


@attrs.frozen(repr=False)
class RuleSet:
    """A whole rules directory, checked and compiled to the intermediate form."""

    path: Path
    digest: str
    questionnaire: Questionnaire
    catalogue: Catalogue
    policies: Policies
    rules: tuple[Rule, ...]

    def __repr__(self) -> str:
        return f"<RuleSet {str(self.path)!r} rules={len(self.rules)} digest={self.digest[:12]}>"

    @classmethod
    def from_directory(cls, path: str | Path) -> RuleSet:
        """Load and check every file of *path*; raise RuleError listing every problem."""
        return load_ruleset(path)


# ---------------------------------------------------------------- loading


def _display(path: Path, root: Path) -> str:
    # Relative to the rules directory, not to where it lies: a copy of the same files
    # under another name has the same digest and must explain decisions the same way.
    return path.relative_to(root).as_posix()


def _digest(root: Path, files: Iterable[Path], region: str | None = None) -> str:
    return files_digest(root, files, "" if region is None else f"region={region}\0")


def _label(
    node: Any, path: Path, where: tuple[int | None, int | None], c: ProblemCollector, what: str
) -> Label:
    if not isinstance(node, Mapping):
        c.add("label-missing", f"{what} needs a label {{fi: ..., sv: ..., en: ...}}", path, where)
        return Label("", "", "")
    missing = [lang for lang in LANGUAGES if not isinstance(node.get(lang), str) or not node[lang]]
    if missing:
        c.add(
            "label-missing",
            f"{what} lacks its name in {', '.join(missing)}; every name is given in fi, sv and en",
            path,
            _yaml.position(node),
        )
    c.unknown_keys(node, LANGUAGES, path, f"the label of {what}")
    return Label(*(str(node.get(lang, "")) for lang in LANGUAGES))


def _id_list(
    node: Mapping[str, Any], key: str, path: Path, c: ProblemCollector, what: str
) -> list[tuple[Any, tuple[int | None, int | None]]]:
    """Items of a list under *key* with their positions; reports a non-list."""
    value = node.get(key)
    if value is None:
        c.add("missing-key", f"{what} needs a list '{key}'", path, _yaml.position(node))
        return []
    if not isinstance(value, list):
        c.add("not-a-list", f"'{key}' must be a list", path, _yaml.value_position(node, key))
        return []
    return [(item, _yaml.item_position(value, i)) for i, item in enumerate(value)]


def _entries(
    doc: Mapping[str, Any],
    key: str,
    kind: str,
    allowed: Sequence[str],
    path: Path,
    c: ProblemCollector,
) -> Iterator[tuple[str, Mapping[str, Any], tuple[int | None, int | None]]]:
    """(id, item, position) of each well-formed entry of the list *key*.

    Reports entries without a proper id, unknown keys and ids defined twice (the later
    definition is skipped).
    """
    seen: set[str] = set()
    for item, where in _id_list(doc, key, path, c, path.name):
        if not isinstance(item, Mapping) or not _ID.match(str(item.get("id", ""))):
            c.add("bad-id", f"a {kind} needs an id of a-z, 0-9 and _", path, where)
            continue
        ident = str(item["id"])
        c.unknown_keys(item, allowed, path, f"{kind} {ident!r}")
        if ident in seen:
            c.add("duplicate-id", f"{kind} {ident!r} is defined twice", path, where)
            continue
        seen.add(ident)
        yield ident, item, where


def _load_questionnaire(root: Path, c: ProblemCollector) -> Questionnaire:
    path = root / "questionnaire.yaml"
    if not path.is_file():
        c.add("missing-file", "every rules directory needs questionnaire.yaml", path)
        return Questionnaire({}, {})
    doc = _yaml.load_yaml(path)
    if not isinstance(doc, Mapping):
        c.add("not-a-mapping", "questionnaire.yaml must hold 'concerns' and 'questions'", path)
        return Questionnaire({}, {})
    c.unknown_keys(doc, ("concerns", "questions", "persons"), path, "questionnaire.yaml")
    concerns: dict[str, Concern] = {}
    for cid, item, where in _entries(doc, "concerns", "concern", ("id", "label"), path, c):
        concerns[cid] = Concern(cid, _label(item.get("label"), path, where, c, f"concern {cid!r}"))
    questions: dict[str, Question] = {}
    allowed = ("id", "type", "label", "red_flag", "choices", "min", "max", "integer", "concerns")
    for qid, item, where in _entries(doc, "questions", "question", allowed, path, c):
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
            _label(item.get("label"), path, where, c, f"question {qid!r}"),
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
    for pid, item, where in _entries(doc, "persons", "person", _PERSON_KEYS, path, c):
        if pid == _CLIENT:
            c.add(
                "reserved-id",
                f"person id {pid!r} is reserved: a clock written without 'for' follows the "
                "client's own right; choose another id, e.g. 'cared_for' or 'child'",
                path,
                where,
            )
            continue
        label = _label(item.get("label"), path, where, c, f"person {pid!r}")
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
            labels[ident] = _label(
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


def load_catalogue(root: Path | str) -> Catalogue:
    """Only the service catalogue (``catalogue.yaml``) of the rules directory *root*, for
    readers that need the services' kinds and names but not the rules (reports). Raises
    RuleError with every problem of that file."""
    c = ProblemCollector()
    catalogue = _load_catalogue(Path(root), c)
    if c.problems:
        raise RuleError(c.problems)
    return catalogue


def _load_catalogue(root: Path, c: ProblemCollector) -> Catalogue:
    path = root / "catalogue.yaml"
    empty = Catalogue({}, {}, "non_urgent", "")
    if not path.is_file():
        c.add("missing-file", "every rules directory needs catalogue.yaml", path)
        return empty
    doc = _yaml.load_yaml(path)
    if not isinstance(doc, Mapping):
        c.add("not-a-mapping", "catalogue.yaml must hold 'defaults', 'needs' and 'services'", path)
        return empty
    c.unknown_keys(doc, ("defaults", "needs", "services"), path, "catalogue.yaml")
    needs: dict[str, Label] = {}
    for nid, item, where in _entries(doc, "needs", "need", ("id", "label"), path, c):
        needs[nid] = _label(item.get("label"), path, where, c, f"need {nid!r}")
    services: dict[str, Service] = {}
    service_keys = ("id", "kind", "name", "care_guarantee", "treatment_clock")
    for sid, item, where in _entries(doc, "services", "service", service_keys, path, c):
        kind = str(item.get("kind"))
        if kind not in SERVICE_KINDS:
            c.add(
                "bad-service-kind",
                f"service {sid!r} has kind {kind!r}; use one of {', '.join(SERVICE_KINDS)}",
                path,
                where,
                suggestion=did_you_mean(kind, SERVICE_KINDS),
            )
        care = kind in _CARE_KINDS
        if "care_guarantee" in item:
            if not isinstance(item["care_guarantee"], bool):
                c.add(
                    "bad-care-guarantee",
                    f"service {sid!r}: care_guarantee is true or false",
                    path,
                    _yaml.value_position(item, "care_guarantee"),
                )
            elif item["care_guarantee"] and kind not in _CARE_KINDS:
                c.add(
                    "bad-care-guarantee",
                    f"service {sid!r}: only a team member or a family-centre service can be "
                    "care under the care guarantee; remove care_guarantee",
                    path,
                    _yaml.value_position(item, "care_guarantee"),
                )
            else:
                care = bool(item["care_guarantee"])
        own_clock = item.get("treatment_clock")
        if own_clock is not None and not care:
            c.add(
                "bad-care-guarantee",
                f"service {sid!r}: a treatment_clock is for care under the care guarantee; "
                "remove it (or care_guarantee: false)",
                path,
                _yaml.value_position(item, "treatment_clock"),
            )
            own_clock = None
        services[sid] = Service(
            sid,
            kind,
            _label(item.get("name"), path, where, c, f"service {sid!r}"),
            care_guarantee=care,
            treatment_clock=None if own_clock is None else str(own_clock),
        )
    defaults = doc.get("defaults") or {}
    default_urgency: Urgency = "non_urgent"
    fallback = ""
    default_clock: str | None = None
    if not isinstance(defaults, Mapping):
        c.add("not-a-mapping", "'defaults' must map urgency and fallback_service", path)
    else:
        c.unknown_keys(
            defaults, ("urgency", "fallback_service", "treatment_clock"), path, "defaults"
        )
        if defaults.get("treatment_clock") is not None:
            default_clock = str(defaults["treatment_clock"])
        urgency = defaults.get("urgency", "non_urgent")
        if urgency not in URGENCY_LEVELS:
            c.add(
                "unknown-urgency",
                f"default urgency {urgency!r}; use one of {', '.join(URGENCY_LEVELS)}",
                path,
                _yaml.value_position(defaults, "urgency"),
                suggestion=did_you_mean(str(urgency), URGENCY_LEVELS),
            )
        else:
            default_urgency = urgency
        fallback = str(defaults.get("fallback_service", ""))
        if fallback not in services:
            c.add(
                "unknown-service",
                f"fallback_service {fallback!r} is not in the catalogue",
                path,
                _yaml.key_position(defaults, "fallback_service"),
                suggestion=did_you_mean(fallback, services),
            )
        elif services[fallback].kind not in ("team_member", "family_centre"):
            c.add(
                "bad-fallback",
                "fallback_service must be a team member or family-centre service that any "
                "client can reach",
                path,
                _yaml.key_position(defaults, "fallback_service"),
            )
    services = {
        sid: attrs.evolve(service, treatment_clock=service.treatment_clock or default_clock)
        if service.care_guarantee
        else service
        for sid, service in services.items()
    }
    return Catalogue(
        MappingProxyType(needs),
        MappingProxyType(services),
        default_urgency,
        fallback,
        default_clock,
    )


#: The kinds of service whose non-urgent routes are care under the care guarantee unless
#: the catalogue says ``care_guarantee: false``.
_CARE_KINDS = ("team_member", "family_centre")


def _check_treatment_clocks(
    root: Path, catalogue: Catalogue, policies: Policies, c: ProblemCollector
) -> None:
    """Every treatment clock the catalogue names is a clock marked ``treatment: true``."""
    path = root / "catalogue.yaml"
    named = {service.treatment_clock for service in catalogue.services.values()}
    named.add(catalogue.default_treatment_clock)
    for clock in sorted(n for n in named if n is not None):
        if clock in policies.treatment_clocks:
            continue
        known = clock in policies.clock_ids
        c.add(
            "bad-treatment-clock",
            f"treatment clock {clock!r} "
            + (
                "is not marked 'treatment: true' in its policy file"
                if known
                else "is not a clock of rules/policies"
            ),
            path,
            suggestion=None if known else did_you_mean(clock, policies.treatment_clocks),
        )


_RULE_KEYS = ("id", "description", "when", "urgency", "needs", "services", "clocks", "priority")


def _load_rules(
    root: Path,
    questionnaire: Questionnaire,
    catalogue: Catalogue,
    clock_ids: frozenset[str] | None,
    c: ProblemCollector,
) -> list[Rule]:
    fields = questionnaire.fields()
    concern_codes = frozenset(questionnaire.concerns)
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    files = sorted(p for p in root.glob("*.yaml") if p.name not in _RESERVED_FILES)
    if not files:
        c.add("no-rules", "no rule files (*.yaml besides questionnaire and catalogue)", root)
    for path in files:
        display = _display(path, root)
        try:
            doc = _yaml.load_yaml(path)
        except RuleError as exc:
            c.problems.extend(exc.problems)
            continue
        if doc is None:
            continue
        if not isinstance(doc, Mapping) or "rules" not in doc:
            c.add("not-a-rule-file", "a rule file holds a list under 'rules:'", path)
            continue
        c.unknown_keys(doc, ("rules",), path, "a rule file")
        for item, where in _id_list(doc, "rules", path, c, "a rule file"):
            # Duplicates are found even when the first rule of that id is broken itself.
            rule_id = item.get("id") if isinstance(item, Mapping) else None
            if isinstance(rule_id, str) and rule_id in seen:
                c.add(
                    "duplicate-rule-id",
                    f"rule id {rule_id!r} is already used at {seen[rule_id]}",
                    path,
                    where,
                    rule_id=rule_id,
                )
                continue
            if isinstance(rule_id, str):
                seen[rule_id] = f"{display}:{where[0]}"
            rule = _load_rule(
                item,
                where,
                path,
                display,
                fields,
                concern_codes,
                catalogue,
                _Clocks(clock_ids, questionnaire.persons),
                c,
            )
            if rule is not None:
                rules.append(rule)
    if len(rules) > MAX_RULES:
        c.add("too-many-rules", f"more than {MAX_RULES} rules in one directory", root)
    return rules


def _names(
    item: Mapping[str, Any],
    key: str,
    known: Mapping[str, Any] | frozenset[str] | None,
    what: str,
    path: Path,
    rule_id: str,
    c: ProblemCollector,
    *,
    code: str,
) -> tuple[str, ...]:
    raw = item.get(key, [])
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.add(
            "not-a-list",
            f"'{key}' must be a list, e.g. [a, b]",
            path,
            _yaml.value_position(item, key),
            rule_id=rule_id,
        )
        return ()
    out: list[str] = []
    for i, name in enumerate(raw):
        where = _yaml.item_position(raw, i)
        if not isinstance(name, str) or (known is not None and name not in known):
            c.add(
                code,
                f"unknown {what} {name!r}",
                path,
                where,
                rule_id=rule_id,
                suggestion=did_you_mean(str(name), known or ()),
            )
        elif name not in out:
            out.append(name)
    return tuple(out)


def _load_rule(
    item: Any,
    where: tuple[int | None, int | None],
    path: Path,
    display: str,
    fields: Mapping[str, FieldInfo],
    concerns: frozenset[str],
    catalogue: Catalogue,
    known: _Clocks,
    c: ProblemCollector,
) -> Rule | None:
    if not isinstance(item, Mapping):
        c.add("not-a-mapping", "each rule is a mapping with id, when and outcomes", path, where)
        return None
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        c.add(
            "bad-rule-id",
            "a rule needs an id of a-z, 0-9, '_', '.' and '-', e.g. acute.chest-pain",
            path,
            where,
        )
        return None
    c.unknown_keys(item, _RULE_KEYS, path, f"rule {rule_id!r}", rule_id=rule_id)
    before = len(c.problems)
    when = item.get("when")
    condition: Cond | None = None
    if isinstance(when, bool):
        when = "true" if when else "false"
    if not isinstance(when, str):
        c.add(
            "missing-when", "a rule needs a condition under 'when:'", path, where, rule_id=rule_id
        )
    else:
        try:
            condition = compile_condition(when, fields, concerns)
        except ConditionSyntaxError as exc:
            line, col = _yaml.value_position(item, "when")
            if col is not None and line is not None and _plain_scalar(item, "when"):
                # ruamel points at the opening quote of a quoted scalar
                quoted = getattr(item.get("when"), "style", None) in ("'", '"')
                col = col + exc.column - 1 + (1 if quoted else 0)
            c.add(
                exc.code if isinstance(exc, ConditionTypeError) else "condition-syntax",
                f"in 'when: {when}': {exc.message}",
                path,
                (line, col),
                rule_id=rule_id,
                suggestion=exc.suggestion,
            )
    urgency = item.get("urgency")
    if urgency is not None and urgency not in URGENCY_LEVELS:
        c.add(
            "unknown-urgency",
            f"urgency {urgency!r}; use one of {', '.join(URGENCY_LEVELS)}",
            path,
            _yaml.value_position(item, "urgency"),
            rule_id=rule_id,
            suggestion=did_you_mean(str(urgency), URGENCY_LEVELS),
        )
    needs = _names(item, "needs", catalogue.needs, "need", path, rule_id, c, code="unknown-need")
    services = _names(
        item, "services", catalogue.services, "service", path, rule_id, c, code="unknown-service"
    )
    clocks, clock_for = _clock_entries(item, known, path, rule_id, c)
    priority = item.get("priority", 100)
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 10_000:
        c.add(
            "bad-priority",
            "priority must be a whole number 0-10000 (lower comes first)",
            path,
            _yaml.value_position(item, "priority"),
            rule_id=rule_id,
        )
        priority = 100
    if not any(item.get(k) for k in ("urgency", "needs", "services", "clocks")):
        c.add(
            "no-outcome",
            "a rule must declare at least one of urgency, needs, services, clocks",
            path,
            where,
            rule_id=rule_id,
        )
    description: Label | None = None
    if item.get("description") is not None:
        description = read_text(item["description"])
        if description is None:
            c.add(
                "bad-description",
                "a rule's description is text, or the same text in each language: "
                "{fi: ..., sv: ..., en: ...}",
                path,
                _yaml.value_position(item, "description"),
                rule_id=rule_id,
            )
        elif not description.complete:
            at = _yaml.value_position(item, "description")
            c.untranslated.append(
                Untranslated(
                    path, at[0], at[1], f"the description of rule {rule_id!r}", description
                )
            )
    if len(c.problems) > before or condition is None:
        return None
    return Rule(
        id=rule_id,
        file=display,
        line=where[0] or 0,
        when=str(when),
        condition=condition,
        urgency=urgency,
        needs=needs,
        services=services,
        clocks=clocks,
        priority=priority,
        description=description,
        clock_for=MappingProxyType(clock_for),
        when_at=_yaml.value_position(item, "when"),
        priority_written="priority" in item,
    )


@attrs.frozen
class _Clocks:
    """What a rule's ``clocks:`` entries may name: the clocks of the policies (None when
    the policies could not be read, so clock ids cannot be checked) and the persons."""

    ids: frozenset[str] | None
    persons: Mapping[str, Person]


_CLOCK_ENTRY_KEYS = ("clock", "for")


def _clock_entries(
    item: Mapping[str, Any], known: _Clocks, path: Path, rule_id: str, c: ProblemCollector
) -> tuple[tuple[str, ...], dict[str, str]]:
    """The clock ids of a rule's ``clocks:`` list, in order, and the person each one
    written ``{clock: id, for: person}`` follows. An entry is a clock id (the client's
    own right) or such a mapping; a clock may be named once per rule."""
    raw = item.get("clocks", [])
    if raw is None:
        return (), {}
    if not isinstance(raw, list):
        c.add(
            "not-a-list",
            "'clocks' must be a list, e.g. [care, {clock: therapy_guarantee, for: child}]",
            path,
            _yaml.value_position(item, "clocks"),
            rule_id=rule_id,
        )
        return (), {}
    clocks: dict[str, int] = {}  # clock id -> its entry's index
    clock_for: dict[str, str] = {}
    for i, entry in enumerate(raw):
        where = _yaml.item_position(raw, i)
        person: str | None = None
        if isinstance(entry, Mapping):
            c.unknown_keys(
                entry, _CLOCK_ENTRY_KEYS, path, f"a clock entry of rule {rule_id!r}",
                rule_id=rule_id,
            )  # fmt: skip
            name = entry.get("clock")
            if name is None:
                c.add(
                    "missing-key",
                    "a clock entry written as a mapping needs 'clock', e.g. "
                    "{clock: therapy_guarantee, for: child}",
                    path,
                    where,
                    rule_id=rule_id,
                )
                continue
            person = entry.get("for")
            if person is not None and (not isinstance(person, str) or person not in known.persons):
                declared = ", ".join(known.persons) or "none"
                c.add(
                    "unknown-person",
                    f"clock {name!r} is for unknown person {person!r}; the persons of "
                    f"questionnaire.yaml are: {declared} (add the person under 'persons:', "
                    "or leave 'for' out for the client's own right)",
                    path,
                    _yaml.value_position(entry, "for"),
                    rule_id=rule_id,
                    suggestion=did_you_mean(str(person), known.persons),
                )
                person = None
            where = _yaml.value_position(entry, "clock")
        else:
            name = entry
        if not isinstance(name, str) or (known.ids is not None and name not in known.ids):
            c.add(
                "unknown-clock",
                f"unknown clock {name!r}",
                path,
                where,
                rule_id=rule_id,
                suggestion=did_you_mean(str(name), known.ids or ()),
            )
            continue
        if name in clocks:
            c.add(
                "duplicate-clock",
                f"clock {name!r} is named twice in this rule (entries {clocks[name] + 1} and "
                f"{i + 1}); one rule starts a clock once, for one person: remove one entry",
                path,
                where,
                rule_id=rule_id,
            )
            continue
        clocks[name] = i
        if person is not None:
            clock_for[name] = person
    return tuple(clocks), clock_for


def _plain_scalar(item: Any, key: str) -> bool:
    """True when the value is written inline, so a column inside it maps to the file."""
    value = item.get(key)
    style = getattr(value, "style", None)
    return isinstance(value, str) and style in (None, "'", '"') and "\n" not in value


def _untranslated_message(u: Untranslated) -> str:
    missing = u.label.missing
    if not u.label.en and not u.label.fi and not u.label.sv:
        fix = "write it as {id: ..., label: {fi: ..., sv: ..., en: ...}}"
    elif u.label.en and not (u.label.fi or u.label.sv):
        fix = "write it as {fi: ..., sv: ..., en: <this text>}"
    else:
        fix = "add " + ", ".join(f"{lang}: ..." for lang in missing)
    return (
        f"{u.what} lacks {', '.join(missing)}; a text a person reads is given in fi, sv "
        f"and en (Kielilaki 423/2003): {fix}"
    )


def load_ruleset(path: str | Path, *, region: str | None = None) -> RuleSet:
    """Load and check a whole rules directory; raise RuleError listing every problem.

    *region* selects a regional target file ``policies/regions/<region>.yaml`` (e.g.
    ``"etela-pohjanmaa"``): clocks then also carry the region's target due date. The
    default selects none. Every region file is checked either way.
    """
    root = Path(path)
    if not root.is_dir():
        raise RuleError(
            [
                RuleProblem(
                    "missing-directory",
                    "not a rules directory; give the folder that holds questionnaire.yaml",
                    root,
                )
            ]
        )
    c = ProblemCollector()
    policy_dirs = (root / "policies", root / "policies" / "regions")
    for stray in sorted([*root.glob("*.yml"), *(p for d in policy_dirs for p in d.glob("*.yml"))]):
        c.add(
            "wrong-extension",
            f"{stray.name} would be ignored: rule files end in .yaml; rename it",
            stray,
        )
    # Exactly the files that are read, so the digest says what the engine was built from.
    files = [
        *(p for p in root.glob("*.yaml") if p.is_file()),
        *(p for d in policy_dirs for p in d.glob("*.yaml") if p.is_file()),
    ]
    problems_from_files: list[RuleProblem] = []
    questionnaire = catalogue = None
    try:
        questionnaire = _load_questionnaire(root, c)
        catalogue = _load_catalogue(root, c)
    except RuleError as exc:
        problems_from_files.extend(exc.problems)
    policies: Policies | None = None
    try:
        policies = Policies.from_directory(root / "policies", region=region)
    except RuleError as exc:
        problems_from_files.extend(exc.problems)
    rules: list[Rule] = []
    if questionnaire is not None and catalogue is not None:
        try:
            # Without policies, clock names cannot be checked: say nothing rather than
            # report every clock of every rule as unknown.
            clock_ids = policies.clock_ids if policies is not None else None
            rules = _load_rules(root, questionnaire, catalogue, clock_ids, c)
            if policies is not None:
                _check_treatment_clocks(root, catalogue, policies, c)
        except RuleError as exc:
            problems_from_files.extend(exc.problems)
    if REQUIRE_ALL_LANGUAGES:
        untranslated = [*c.untranslated, *(policies.untranslated if policies else ())]
        for u in untranslated:
            c.add("text-language-missing", _untranslated_message(u), u.path, (u.line, u.column))
    problems = problems_from_files + c.problems
    if problems:
        raise RuleError(problems)
    assert questionnaire is not None
    assert catalogue is not None
    assert policies is not None
    return RuleSet(
        path=root,
        # The selected region changes due dates, so it is part of what the digest names.
        digest=_digest(root, files, region),
        questionnaire=questionnaire,
        catalogue=catalogue,
        policies=policies,
        rules=tuple(rules),
    )
