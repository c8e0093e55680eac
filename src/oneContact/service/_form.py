"""The client's contact form (``GET /``) and its result page, as OmaKS.fi would show them:
:func:`add_form_pages`.

The form asks the client's facts, the concerns, then only the questions that can still
change the decision (:meth:`Engine.next_questions`), red flags first; an answered question
stays on the form, an unanswered one that no longer matters leaves it. Without
JavaScript two buttons post it: "update" shows the questions that matter now (answers
kept), "send" assesses and records it. With ``static/form.js`` a change posts the form to
``POST /form/questions``, which answers the question section alone, and the script swaps
it in and announces the change.

What is never shown back: a value that is not valid (it may hold an identity code); the
form asks no free text and no identity code. The contact id is made once per form (a
hidden field) and the contact's receipt is the time it was first sent, read back from the
ledger on a second send, so a reload or a second click records nothing twice.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import attrs
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .._messages import number_text
from .._text import LANGUAGES, Label
from ..engine import Engine
from ..errors import (
    ContactError,
    ContactProblem,
    LedgerError,
    LedgerUnavailableError,
    contact_messages,
)
from ..fhir._questionnaire import CLIENT_ITEMS
from ..identity_code import contains_identity_code_shape
from ..intake import MAX_AGE
from ..ruleset import Question, Questionnaire
from ._errors import RETRY_AFTER_S, language_of
from ._form_texts import FORM_TEXTS, MUST_ANSWER, MUST_CHOOSE_CONCERN, MUST_GIVE_AGE
from ._pages import page
from ._parts import Parts, Served
from ._result import result_view

__all__ = [
    "FLAGS",
    "MAX_FORM_BYTES",
    "MAX_MUNICIPALITY",
    "SKIP",
    "Filled",
    "Step",
    "add_form_pages",
    "read_form",
    "step",
]

_LOG = logging.getLogger("oneContact.service")

#: The largest form body read (a full form is a few kilobytes).
MAX_FORM_BYTES = 64 * 1024
#: The value of the "I don't know" choice: the question is declined (not asked again).
SKIP = "__skip"
#: The client's flags the care-guarantee policies and the routes read, and their defaults.
FLAGS: Mapping[str, bool] = {
    "can_use_digital_services": True,
    "highest_care_allowance": False,
    "special_support_child": False,
}
#: The longest municipality a contact may give (``FirstContact.municipality``).
MAX_MUNICIPALITY = 100
_OWN_ID = re.compile(r"web-[0-9a-f]{32}")
_CLIENT_LABEL = {key.rsplit(".", 1)[-1]: label for key, (_, label) in CLIENT_ITEMS.items()}


def _new_contact_id() -> str:
    return f"web-{uuid.uuid4().hex}"


@attrs.frozen
class Filled:
    """What the client has filled in so far, each value checked (a value that is not
    valid is left out and its problem kept, so it is never shown back)."""

    contact_id: str
    age: int | None = None
    language: str = "fi"
    municipality: str | None = None
    flags: Mapping[str, bool] = attrs.field(factory=lambda: dict(FLAGS))
    concerns: tuple[str, ...] = ()
    answers: Mapping[str, Any] = attrs.field(factory=dict)
    declined: tuple[str, ...] = ()
    shown: frozenset[str] = frozenset()
    """The questions the page showed before this post (to say what changed)."""
    problems: tuple[ContactProblem, ...] = ()

    def contact(self, received_at: datetime) -> dict[str, Any]:
        """The first contact as the engine reads it (the age must be known)."""
        client: dict[str, Any] = {"age": self.age, "language": self.language, **self.flags}
        data: dict[str, Any] = {
            "contact_id": self.contact_id,
            "received_at": received_at.isoformat(),
            "channel": "digital",
            "client": client,
            "concerns": list(self.concerns),
            "answers": dict(self.answers),
        }
        if self.municipality is not None:
            data["municipality"] = self.municipality
        return data

    def without(self, fields: set[str]) -> Filled:
        """This with the values of *fields* (problem fields) left out."""
        answers = {k: v for k, v in self.answers.items() if f"answers.{k}" not in fields}
        return attrs.evolve(
            self,
            age=None if "client.age" in fields else self.age,
            municipality=None if "municipality" in fields else self.municipality,
            answers=answers,
        )


def _problem(field: str, code: str, messages: Label | None = None) -> ContactProblem:
    """A problem the form finds itself, with the library's message of *code* unless
    *messages* says otherwise."""
    english = {
        "missing": "is required",
        "answer:whole": "must be a whole number",
        "answer:number": "must be a number",
        "answer:choice": "must be one of the choices",
        "answer:boolean": "must be yes or no",
        "range:between": "is out of range",
    }.get(code, "is not valid")
    if messages is None:
        return ContactProblem(field, english, code)
    return ContactProblem(field, english, code, messages=messages)


def _number(text: str, integer: bool) -> float | int | None:
    """*text* as a number (a decimal comma allowed), or None when it is not one."""
    text = text.strip().replace(",", ".").replace("\u2212", "-")
    if not re.fullmatch(r"-?\d{1,9}(\.\d{1,6})?", text):
        return None
    if integer:
        return int(text) if "." not in text else None
    value = float(text)
    return int(value) if value.is_integer() else value


def _answer(question: Question, raw: str) -> tuple[Any, ContactProblem | None]:
    """The answer of *raw* (a form value) to *question*: the value, SKIP, or None
    (unanswered), and a problem when it is not valid."""
    field = f"answers.{question.id}"
    if raw == "":
        return None, None
    if raw == SKIP:
        return SKIP, None
    if question.type == "boolean":
        if raw in ("yes", "no"):
            return raw == "yes", None
        return None, _problem(field, "answer:boolean")
    if question.type == "choice":
        if raw in question.choices:
            return raw, None
        return None, _problem(field, "answer:choice")
    value = _number(raw, question.integer)
    if value is None:
        return None, _problem(field, "answer:whole" if question.integer else "answer:number")
    return value, None  # its bounds are the engine's to check


def read_form(
    pairs: list[tuple[str, str]],
    engine: Engine,
    municipalities: Mapping[str, str] | None,
    language: str,
) -> Filled:
    """The form's fields (*pairs*, as posted) read into a :class:`Filled`."""
    fields: dict[str, str] = {}
    chosen: set[str] = set()
    for key, value in pairs:
        if key == "concern":
            chosen.add(value)
        else:
            fields.setdefault(key, value)
    form = engine.ruleset.questionnaire
    problems: list[ContactProblem] = []
    contact_id = fields.get("contact_id", "")
    if not _OWN_ID.fullmatch(contact_id):
        contact_id = _new_contact_id()
    age_text = fields.get("age", "").strip()
    age = None
    if age_text:
        if not age_text.isdigit():
            problems.append(_problem("client.age", "answer:whole"))
        elif not 0 <= int(age_text) <= MAX_AGE:
            bounds = contact_messages("range:between", low=0, high=MAX_AGE)
            problems.append(_problem("client.age", "range:between", bounds))
        else:
            age = int(age_text)
    client_language = fields.get("language", language)
    if client_language not in LANGUAGES:
        problems.append(_problem("client.language", "answer:choice"))
        client_language = language
    municipality = fields.get("municipality", "").strip() or None
    if municipality is not None and municipalities is not None:
        if municipality not in municipalities:
            problems.append(_problem("municipality", "answer:choice"))
            municipality = None
    elif municipality is not None and (
        len(municipality) > MAX_MUNICIPALITY or contains_identity_code_shape(municipality)
    ):
        # Checked here, not only by the engine: it is shown back even before the age
        # is known (and the engine is asked anything).
        code = "identity-code" if contains_identity_code_shape(municipality) else "string-too-long"
        problems.append(_problem("municipality", code))
        municipality = None
    flags = {flag: fields.get(flag) == "yes" for flag in FLAGS}
    if "flags_shown" not in fields:  # not posted from the form: the defaults
        flags = dict(FLAGS)
    if chosen - set(form.concerns):
        problems.append(_problem("concerns", "unknown-concern"))
    concerns = tuple(c for c in form.concerns if c in chosen)
    answers: dict[str, Any] = {}
    declined: list[str] = []
    for question in form.form(concerns) if concerns else ():
        raw = fields.get(f"q.{question.id}", "")
        if question.type == "number" and raw.strip() == "" and fields.get(f"skip.{question.id}"):
            raw = SKIP  # a number question's own "I don't know" box
        value, problem = _answer(question, raw)
        if problem is not None:
            problems.append(problem)
        elif value == SKIP:
            declined.append(question.id)
        elif value is not None:
            answers[question.id] = value
    shown = frozenset(q for q in fields.get("shown", "").split(",") if q in form.questions)
    return Filled(
        contact_id=contact_id,
        age=age,
        language=client_language,
        municipality=municipality,
        flags=flags,
        concerns=concerns,
        answers=answers,
        declined=tuple(declined),
        shown=shown,
        problems=tuple(problems),
    )


@attrs.frozen
class Step:
    """What the question section shows for a :class:`Filled`."""

    filled: Filled
    questions: tuple[Question, ...]
    """Shown, in order: red flags first, then the rest, each in the questionnaire's order."""
    notice: str | None
    """A text key: why no questions show, or that none are needed."""
    urgency: str | None
    """The urgency if the client stopped now (None while the age is not known)."""
    can_raise: frozenset[str] | None = None
    """The open questions whose answer can still change the urgency (None: any may)."""


def _ordered(questions: list[Question], engine: Engine) -> tuple[Question, ...]:
    order = {qid: i for i, qid in enumerate(engine.ruleset.questionnaire.questions)}
    return tuple(sorted(questions, key=lambda q: (not q.red_flag, order[q.id])))


def step(engine: Engine, filled: Filled, now: datetime) -> Step:
    """The questions that matter for *filled* (blocking: run it in the thread pool).
    A problem the engine finds is added to ``filled.problems`` and its value left out."""
    form = engine.ruleset.questionnaire
    if not filled.concerns:
        return Step(filled, (), "choose_concern_first", None)
    if filled.age is None:
        # Which questions matter depends on the age: until it is known, every question
        # of the concerns (never fewer than the exact answer).
        return Step(
            filled, _ordered(list(form.form(filled.concerns)), engine), "give_age_first", None
        )
    for _ in range(3):
        try:
            found = engine.next_questions(filled.contact(now), declined=filled.declined)
        except ContactError as error:
            fields = {p.field for p in error.problems}
            seen = {(p.field, p.code) for p in filled.problems}
            more = [p for p in error.problems if (p.field, p.code) not in seen]
            filled = attrs.evolve(filled.without(fields), problems=(*filled.problems, *more))
            if filled.age is None:
                return step(engine, filled, now)
            continue
        kept = set(filled.answers) | set(filled.declined) | {q.id for q in found.questions}
        shown = [q for q in form.form(filled.concerns) if q.id in kept]
        notice = "no_more_questions" if found.done else None
        can_raise = frozenset(
            q.id for q in found.questions if q.witness is None or "urgency" in q.changes
        )
        return Step(filled, _ordered(shown, engine), notice, found.outcome.urgency, can_raise)
    return Step(filled, _ordered(list(form.form(filled.concerns)), engine), None, None)


def _anchor(field: str) -> str:
    """The id of the input a problem of *field* is shown beside."""
    if field == "client.age":
        return "f-age"
    if field == "client.language":
        return "f-language"
    if field == "municipality":
        return "f-municipality"
    if field.startswith("concerns"):
        return "f-concerns"
    if field.startswith("answers."):
        return f"q-{field.removeprefix('answers.')}"
    if field.startswith("client."):
        return "f-situation"
    return "contact-form"


def _field_name(field: str, form: Questionnaire, lang: str) -> str:
    """``"<what the field is called>: "`` for the error summary (empty when unknown)."""
    if field.startswith("answers.") and field.removeprefix("answers.") in form.questions:
        return form.questions[field.removeprefix("answers.")].label.get(lang) + ": "
    if field.startswith("concerns"):
        return FORM_TEXTS["concerns"][lang] + " "
    key = field.removeprefix("client.")
    return _CLIENT_LABEL[key].get(lang) + ": " if key in _CLIENT_LABEL else ""


def _hint(question: Question, lang: str, words: Mapping[str, str]) -> str:
    low, high = question.minimum, question.maximum
    if low is not None and high is not None:
        return words["number_range"].format(
            low=number_text(low, lang), high=number_text(high, lang)
        )
    if low is not None:
        return words["number_at_least"].format(low=number_text(low, lang))
    if high is not None:
        return words["number_at_most"].format(high=number_text(high, lang))
    return ""


def _question_view(
    question: Question, filled: Filled, lang: str, words: Mapping[str, str], error: str | None
) -> dict[str, Any]:
    value: Any = filled.answers.get(question.id)
    if question.id in filled.declined:
        shown_value = SKIP
    elif value is None:
        shown_value = ""
    elif question.type == "boolean":
        shown_value = "yes" if value else "no"
    else:
        shown_value = str(value)
    options: list[tuple[str, str]] = []
    if question.type == "boolean":
        options = [("yes", words["yes"]), ("no", words["no"]), (SKIP, words["dont_know"])]
    elif question.type == "choice":
        options = [
            (c, question.choice_labels[c].get(lang) if c in question.choice_labels else c)
            for c in question.choices
        ]
        options.append((SKIP, words["dont_know"]))
    step_value = "1" if question.integer else "any"
    return {
        "id": question.id,
        "type": question.type,
        "label": question.label.get(lang),
        "red_flag": question.red_flag,
        "options": options,
        "value": shown_value,
        "hint": _hint(question, lang, words) if question.type == "number" else "",
        "min": "" if question.minimum is None else f"{question.minimum:g}",
        "max": "" if question.maximum is None else f"{question.maximum:g}",
        "step": step_value,
        "error": error,
    }


def _words(lang: str) -> dict[str, str]:
    return {key: words[lang] for key, words in FORM_TEXTS.items()}


def _context(
    engine: Engine,
    found: Step,
    lang: str,
    municipalities: Mapping[str, str] | None,
    *,
    with_errors: bool,
) -> dict[str, Any]:
    """What form.html and form_questions.html are rendered with."""
    filled = found.filled
    words = _words(lang)
    problems = filled.problems if with_errors else ()
    errors: list[tuple[str, str]] = []
    by_anchor: dict[str, str] = {}
    form = engine.ruleset.questionnaire
    for problem in problems:
        anchor = _anchor(problem.field)
        message = problem.message_in(lang)
        if anchor not in by_anchor:
            by_anchor[anchor] = message
            errors.append((anchor, f"{_field_name(problem.field, form, lang)}{message}"))
    questions = [
        _question_view(q, filled, lang, words, by_anchor.get(f"q-{q.id}")) for q in found.questions
    ]
    now_shown = {q.id for q in found.questions}
    announce = ""
    if filled.shown or now_shown:
        announce = words["updated"].format(
            shown=len(now_shown),
            added=len(now_shown - filled.shown),
            removed=len(filled.shown - now_shown),
        )
    return {
        "contact_id": filled.contact_id,
        "age": "" if filled.age is None else str(filled.age),
        "client_language": filled.language,
        "client_languages": [(code, words[f"lang.{code}"]) for code in LANGUAGES],
        "municipality": filled.municipality or "",
        "municipalities": None if municipalities is None else sorted(municipalities.items()),
        "flags": [(flag, words[f"flag.{flag}"], filled.flags[flag]) for flag in FLAGS],
        "concern_options": [(c.id, c.label.get(lang)) for c in form.concerns.values()],
        "concerns": set(filled.concerns),
        "client_labels": {k: v.get(lang) for k, v in _CLIENT_LABEL.items()},
        "questions": questions,
        "skip": SKIP,
        "shown": ",".join(q.id for q in found.questions),
        "notice": found.notice,
        "emergency_now": found.urgency == "emergency",
        "announce": announce,
        "errors": errors,
        "field_errors": by_anchor,
    }


async def _pairs(request: Request) -> list[tuple[str, str]] | None:
    """The posted form's fields (urlencoded), or None when the body is too large."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


def add_form_pages(app: FastAPI, parts: Parts) -> None:
    """The contact form: ``GET /`` (and ``GET /form``), ``POST /form`` (update or send)
    and ``POST /form/questions`` (the question section alone, for ``form.js``); the
    municipalities and units by name are the places of the directory in force."""

    def listed(served: Served) -> Mapping[str, str] | None:
        """The municipalities to choose from; None without a directory (then typed)."""
        return None if parts.config.directory is None else served.places.municipalities

    def form_page(request: Request, found: Step, *, status: int = 200, errors: bool) -> Response:
        lang = language_of(request)
        served = parts.served
        context = _context(served.engine, found, lang, listed(served), with_errors=errors)
        return page(request, "form.html", FORM_TEXTS, status=status, **context)

    def message_page(request: Request, key: str, status: int, **headers: str) -> Response:
        response = page(request, "message.html", FORM_TEXTS, status=status, key=key)
        response.headers.update(headers)
        return response

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def form(request: Request) -> Response:
        filled = Filled(contact_id=_new_contact_id(), language=language_of(request))
        return form_page(request, Step(filled, (), "choose_concern_first", None), errors=False)

    @app.get("/form", include_in_schema=False)
    async def form_again(request: Request) -> Response:
        return RedirectResponse(f"/?lang={language_of(request)}", status_code=303)

    @app.post("/form/questions", response_class=HTMLResponse, include_in_schema=False)
    async def questions(request: Request) -> Response:
        lang = language_of(request)
        pairs = await _pairs(request)
        if pairs is None:
            return HTMLResponse("", status_code=413)
        served = parts.served
        engine, municipalities = served.engine, listed(served)
        filled = read_form(pairs, engine, municipalities, lang)
        found = await run_in_threadpool(step, engine, filled, datetime.now(UTC))
        context = _context(engine, found, lang, municipalities, with_errors=True)
        return page(request, "form_questions.html", FORM_TEXTS, **context)

    @app.post("/form", response_class=HTMLResponse, include_in_schema=False)
    async def sent(request: Request) -> Response:
        lang = language_of(request)
        pairs = await _pairs(request)
        if pairs is None:
            return message_page(request, "failed", 413)
        served = parts.served  # one engine for the whole request, even across a reload
        engine = served.engine
        filled = read_form(pairs, engine, listed(served), lang)
        found = await run_in_threadpool(step, engine, filled, datetime.now(UTC))
        if dict(pairs).get("action") != "send":
            return form_page(request, found, errors=True)
        found = _checked_for_sending(found)
        if found.filled.problems:
            return form_page(request, found, status=422, errors=True)
        try:
            assessment, recorded = await run_in_threadpool(_send, parts, engine, found.filled)
        except ContactError as error:
            filled = attrs.evolve(found.filled, problems=tuple(error.problems))
            return form_page(request, attrs.evolve(found, filled=filled), status=422, errors=True)
        except LedgerUnavailableError:
            return message_page(request, "unavailable", 503, **{"Retry-After": str(RETRY_AFTER_S)})
        except LedgerError as error:
            if error.code == "contact-conflict":
                return message_page(request, "conflict", 409)
            _LOG.error("form: ledger error %s", error.code)
            return message_page(request, "failed", 500)
        except Exception as error:
            _LOG.error("form: internal error: %s", type(error).__name__)
            return message_page(request, "failed", 500)
        view = result_view(assessment, engine.ruleset, lang, served.places.units, FORM_TEXTS)
        return page(request, "result.html", FORM_TEXTS, recorded=recorded, **view)


def _checked_for_sending(found: Step) -> Step:
    """*found* with the problems that keep it from being sent: no concern, no age, a
    red flag whose answer can still change the urgency neither answered nor declined
    (once the contact is an emergency, the client is never held back by another)."""
    filled = found.filled
    more: list[ContactProblem] = []
    if not filled.concerns:
        more.append(_problem("concerns", "missing", MUST_CHOOSE_CONCERN))
    if filled.age is None and not any(p.field == "client.age" for p in filled.problems):
        more.append(_problem("client.age", "missing", MUST_GIVE_AGE))
    answered = set(filled.answers) | set(filled.declined)
    flagged = {p.field for p in filled.problems}
    for question in found.questions:
        field = f"answers.{question.id}"
        must = found.can_raise is None or question.id in found.can_raise
        if question.red_flag and must and question.id not in answered and field not in flagged:
            more.append(_problem(field, "missing", MUST_ANSWER))
    if not more:
        return found
    return attrs.evolve(found, filled=attrs.evolve(filled, problems=(*filled.problems, *more)))


def _send(parts: Parts, engine: Engine, filled: Filled) -> tuple[Any, bool]:
    """Assess and record *filled* (blocking). The contact was received when it was first
    sent: a second send of the same form reads that time back from the ledger, assesses
    the same contact again and records nothing."""
    events = parts.ledger.events(filled.contact_id)
    received = next((e.at for e in events if e.event == "contact_received"), None)
    contact = filled.contact(received or datetime.now(UTC))
    assessment = parts.assess(contact, engine)
    recorded = parts.ledger.record_assessment(assessment)
    return assessment, recorded
