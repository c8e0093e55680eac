"""A first contact out, as a QuestionnaireResponse to :func:`questionnaire`:
:func:`response_from_contact`, the inverse of :func:`contact_from_response`.

For a host that keeps its contacts as FHIR, or hands a contact taken by phone to a record
system that reads forms as QuestionnaireResponses. The items mirror the Questionnaire's
groups. The free text and the named professionals have no item: they are left out (the
free text never leaves oneContact; ``named_professionals`` is routing data, not a form's).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from ..errors import ContactError
from ..intake import FirstContact, parse_contact
from ..ruleset import Question, RuleSet
from ._codes import DEFAULT_BASE_URL, coding, system
from ._questionnaire import (
    CONCERNS_ITEM,
    LANGUAGE_SYSTEM,
    canonical_url,
    group_link,
    group_order,
)

__all__ = ["response_from_contact"]

ResponseStatus = Literal["in-progress", "completed"]
# A FHIR id: a contact id with '_' or ':' (allowed in oneContact's ids) is not one, and
# travels only as the identifier.
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def _answer(question: Question, value: object, base_url: str) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if question.type == "number":
        assert isinstance(value, int | float)
        if question.integer:
            return {"valueInteger": int(value)}
        return {"valueDecimal": value}
    return {
        "valueCoding": coding(
            base_url, f"choice-{question.id}", str(value), question.choice_labels.get(str(value))
        )
    }


def response_from_contact(
    contact: FirstContact | Mapping[str, Any],
    ruleset: RuleSet,
    *,
    base_url: str = DEFAULT_BASE_URL,
    status: ResponseStatus = "completed",
) -> dict[str, Any]:
    """*contact* (checked against *ruleset*'s questionnaire: a :class:`ContactError`
    otherwise) as a QuestionnaireResponse to the questionnaire of *ruleset*; reading it
    back with :func:`contact_from_response` gives the contact again, without its free
    text and named professionals."""
    parsed = parse_contact(contact)
    problems = ruleset.questionnaire.check_contact(parsed)
    if problems:
        raise ContactError(problems)
    client = parsed.client
    facts: list[dict[str, Any]] = []
    if client.age is not None:
        facts.append({"linkId": "client.age", "answer": [{"valueInteger": client.age}]})
    if client.birth_date is not None:
        facts.append(
            {
                "linkId": "client.birth_date",
                "answer": [{"valueDate": client.birth_date.isoformat()}],
            }
        )
    facts.append(
        {
            "linkId": "client.language",
            "answer": [{"valueCoding": {"system": LANGUAGE_SYSTEM, "code": client.language}}],
        }
    )
    if parsed.municipality is not None:
        facts.append({"linkId": "municipality", "answer": [{"valueString": parsed.municipality}]})
    for flag in ("highest_care_allowance", "special_support_child", "can_use_digital_services"):
        facts.append(
            {"linkId": f"client.{flag}", "answer": [{"valueBoolean": getattr(client, flag)}]}
        )
    concerns = ruleset.questionnaire.concerns
    items: list[dict[str, Any]] = [
        {"linkId": "client", "item": facts},
        {
            "linkId": CONCERNS_ITEM,
            "answer": [
                {"valueCoding": coding(base_url, "concern", code, concerns[code].label)}
                for code in parsed.concerns
            ],
        },
    ]
    questions = ruleset.questionnaire.questions
    grouped: dict[str, list[dict[str, Any]]] = {}
    for qid, question in questions.items():  # questionnaire order, as in the form
        if qid in parsed.answers:
            item = {"linkId": qid, "answer": [_answer(question, parsed.answers[qid], base_url)]}
            grouped.setdefault(group_link(question), []).append(item)
    items.extend(
        {"linkId": link, "item": grouped[link]} for link in group_order(ruleset) if link in grouped
    )
    out: dict[str, Any] = {"resourceType": "QuestionnaireResponse"}
    if _FHIR_ID.fullmatch(parsed.contact_id):
        out["id"] = parsed.contact_id
    return {
        **out,
        "identifier": {"system": system(base_url, "id-contact"), "value": parsed.contact_id},
        "questionnaire": f"{canonical_url(base_url)}|{ruleset.digest}",
        "status": status,
        "authored": parsed.received_at.isoformat(),
        "item": items,
    }
