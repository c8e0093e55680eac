"""The SDC ``$next-question`` operation: :func:`next_question`.

A QuestionnaireResponse comes in (bare, or as the ``in`` parameter of a Parameters
resource); the same response goes out with the questionnaire so far ``contained`` in it
(``questionnaire: "#first-contact-step"``) and grown by the next items, as the SDC
adaptive-questionnaire contract says. The next items are what
:meth:`Engine.next_questions` returns: only the questions whose answer can still change
the decision, red flags first. When none is left the response's ``status`` is
``completed``; otherwise ``in-progress``.

The first step (no concern chosen yet, or no age known from the response or the Patient)
hands out the client group and the concern choice. A question item present in the response
without an answer is one the client chose to leave unanswered: it is not asked again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..engine import Engine
from ..errors import ContactError, ContactProblem
from ._codes import DEFAULT_BASE_URL
from ._questionnaire import (
    ADAPTIVE,
    CONCERNS_ITEM,
    SDC_ADAPTIVE_PROFILE,
    canonical_url,
    client_items,
    concerns_item,
    question_item,
)
from ._response import contact_from_response, contact_identifier, read_answers

__all__ = ["STEP_ID", "next_question", "response_of"]

#: The id of the Questionnaire contained in each step's response.
STEP_ID = "first-contact-step"
_PENDING_ID = "next-question"


def response_of(request: Mapping[str, Any]) -> Mapping[str, Any]:
    """The QuestionnaireResponse of a ``$next-question`` request: the request itself, or
    the resource of its ``in`` parameter (a Parameters resource)."""
    if request.get("resourceType") == "Parameters":
        for parameter in request.get("parameter") or []:
            if isinstance(parameter, Mapping) and parameter.get("name") == "in":
                resource = parameter.get("resource")
                if isinstance(resource, Mapping):
                    return resource
        raise ContactError(
            [
                ContactProblem(
                    "Parameters.parameter",
                    "needs the parameter 'in' holding the QuestionnaireResponse",
                    "missing",
                )
            ],
            title="invalid $next-question request",
        )
    return request


def next_question(
    engine: Engine,
    request: Mapping[str, Any],
    *,
    patient: Mapping[str, Any] | None = None,
    channel: str = "digital",
    base_url: str = DEFAULT_BASE_URL,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One step of the adaptive form (see the module docstring): *request* is a
    QuestionnaireResponse (or Parameters with ``in``), *patient* an optional Patient
    giving the client's facts, *channel* the door the client came by (rules may read it). Raises :class:`ContactError` for answers that are not
    valid (:func:`operation_outcome` makes it an OperationOutcome)."""
    response = response_of(request)
    answers = read_answers(response)
    if answers.problems and answers.problems[0].code == "fhir-resource":
        raise ContactError(answers.problems, title="invalid $next-question request")
    form = engine.ruleset.questionnaire
    has_age = bool({"client.age", "client.birth_date"} & answers.values.keys()) or (
        patient is not None and "birthDate" in patient
    )
    out: dict[str, Any] = {k: v for k, v in response.items() if k != "contained"}
    out["questionnaire"] = "#" + STEP_ID
    items = [client_items(base_url), concerns_item(engine.ruleset, base_url)]
    if not answers.values.get(CONCERNS_ITEM) or not has_age:
        out["status"] = "in-progress"
        out["contained"] = [_step(engine, items, base_url)]
        return out
    contact = contact_from_response(
        {**response, "questionnaire": canonical_url(base_url) + "-adaptive"},
        engine.ruleset,
        patient=patient,
        channel=channel,
        contact_id=_contact_id(response, base_url),
        received_at=response.get("authored") or (now or datetime.now(UTC)).isoformat(),
        base_url=base_url,
    )
    declined = [link for link in answers.unanswered if link in form.questions]
    step = engine.next_questions(contact, declined=declined)
    present = set(answers.values) | set(answers.unanswered)
    asked = [q for q in form.questions.values() if q.id in present]
    items.extend(question_item(q, base_url) for q in asked)
    items.extend(question_item(n.question, base_url) for n in step.questions)
    out["status"] = "completed" if step.done else "in-progress"
    out["contained"] = [_step(engine, items, base_url)]
    return out


def _contact_id(response: Mapping[str, Any], base_url: str) -> str:
    """The contact's id as the response gives it (checked by contact_from_response), or a
    placeholder while the form is being filled in without one."""
    found = contact_identifier(response, base_url)
    if not isinstance(found, str):
        found = response.get("id")
    return found if isinstance(found, str) else _PENDING_ID


def _step(engine: Engine, items: list[dict[str, Any]], base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "id": STEP_ID,
        "meta": {"profile": [SDC_ADAPTIVE_PROFILE]},
        "extension": [{"url": ADAPTIVE, "valueBoolean": True}],
        "language": "fi",
        "derivedFrom": [f"{canonical_url(base_url)}-adaptive|{engine.digest}"],
        "version": engine.digest,
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }
