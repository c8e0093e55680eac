"""A FHIR R4 QuestionnaireResponse in, a :class:`FirstContact` out:
:func:`contact_from_response`; and a refusal as a FHIR OperationOutcome:
:func:`operation_outcome`.

The response answers the items of :func:`questionnaire` (linkIds: ``concerns``,
``client.*``, ``municipality`` and the question ids; groups are walked through). Client
facts it does not give come from a Patient resource passed beside it: ``birthDate``, the
preferred ``communication`` language, the home address's ``city`` as the municipality.
An identity code in any identifier (of the response, its subject or the Patient) refuses
the whole response, as everywhere in oneContact; names and other free text of the Patient
are never read.

Every problem names the item's linkId (``item[chest_pain]``) or the element
(``QuestionnaireResponse.authored``, ``Patient.birthDate``); all are reported at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..errors import (
    ContactError,
    ContactProblem,
    contact_messages,
    did_you_mean,
    suggestion_text,
)
from ..identity_code import shown_key
from ..intake import FirstContact, looks_like_identity_code, parse_contact
from ..ruleset import RuleSet
from ._codes import DEFAULT_BASE_URL, system
from ._questionnaire import CLIENT_ITEMS, CONCERNS_ITEM, LANGUAGE_SYSTEM, canonical_url

__all__ = [
    "Answers",
    "contact_from_response",
    "contact_identifier",
    "operation_outcome",
    "read_answers",
    "subject_reference",
]

_VALUE_KEYS = (
    "valueBoolean",
    "valueInteger",
    "valueDecimal",
    "valueCoding",
    "valueString",
    "valueDate",
    "valueDateTime",
)
_MAX_ITEMS = 2_000  # more items than any questionnaire holds; a longer response is refused
_MAX_DEPTH = 20


def _item_field(link: object) -> str:
    return f"item[{shown_key(link)}]"


class Answers:
    """The answers read from a QuestionnaireResponse's items: linkId -> its values (the
    ``value[x]`` of each answer, a Coding read as its code), the linkIds present without
    an answer (``unanswered``), and the problems found."""

    def __init__(self) -> None:
        self.values: dict[str, list[object]] = {}
        self.unanswered: list[str] = []
        self.problems: list[ContactProblem] = []
        self.systems: dict[str, str] = {}  # linkId -> a Coding's system, when given

    def walk(self, items: object, depth: int = 0, count: list[int] | None = None) -> None:
        count = count if count is not None else [0]
        if items is None:
            return
        if not isinstance(items, list) or depth > _MAX_DEPTH:
            self.problems.append(
                ContactProblem(
                    "QuestionnaireResponse.item", "must be a list of items", "wrong-form"
                )
            )
            return
        for item in items:
            count[0] += 1
            if count[0] > _MAX_ITEMS:
                self.problems.append(
                    ContactProblem(
                        "QuestionnaireResponse.item",
                        f"holds more than {_MAX_ITEMS:,} items",
                        "too-long",
                    )
                )
                return
            if not isinstance(item, Mapping) or not isinstance(item.get("linkId"), str):
                self.problems.append(
                    ContactProblem(
                        "QuestionnaireResponse.item",
                        "every item needs a linkId (a string)",
                        "missing",
                    )
                )
                continue
            self._item(item, depth, count)

    def _item(self, item: Mapping[str, Any], depth: int, count: list[int]) -> None:
        link: str = item["linkId"]
        answers = item.get("answer")
        if answers is not None and not isinstance(answers, list):
            self.problems.append(
                ContactProblem(_item_field(link), "'answer' must be a list", "wrong-form")
            )
            answers = None
        if link in self.values or link in self.unanswered:
            self.problems.append(
                ContactProblem(
                    _item_field(link),
                    "the item is given twice; give each linkId once, with all its answers",
                    "json-duplicate-key",
                )
            )
            return
        if answers:
            found: list[object] = []
            for answer in answers:
                value = self._value(link, answer)
                if value is not _NO_VALUE:
                    found.append(value)
                if isinstance(answer, Mapping) and answer.get("item") is not None:
                    self.walk(answer.get("item"), depth + 1, count)
            self.values[link] = found
        elif item.get("item") is None:
            self.unanswered.append(link)
        self.walk(item.get("item"), depth + 1, count)

    def _value(self, link: str, answer: object) -> object:
        given = [k for k in _VALUE_KEYS if isinstance(answer, Mapping) and k in answer]
        if len(given) != 1:
            self.problems.append(
                ContactProblem(
                    _item_field(link),
                    "each answer needs exactly one value[x] (valueBoolean, valueInteger, "
                    "valueDecimal, valueCoding or valueString)",
                    "answer-value",
                )
            )
            return _NO_VALUE
        assert isinstance(answer, Mapping)
        value = answer[given[0]]
        if given[0] == "valueCoding":
            if not isinstance(value, Mapping) or not isinstance(value.get("code"), str):
                self.problems.append(
                    ContactProblem(
                        _item_field(link), "a valueCoding needs its code", "answer-value"
                    )
                )
                return _NO_VALUE
            if isinstance(value.get("system"), str):
                self.systems[link] = value["system"]
            return value["code"]
        return value


_NO_VALUE = object()


def read_answers(response: object) -> Answers:
    """The answers of *response* (see :class:`Answers`); a value that is not a
    QuestionnaireResponse gives a ``fhir-resource`` problem."""
    answers = Answers()
    if not isinstance(response, Mapping) or response.get("resourceType") != "QuestionnaireResponse":
        answers.problems.append(
            ContactProblem(
                "resourceType",
                "must be a FHIR QuestionnaireResponse (resourceType 'QuestionnaireResponse')",
                "fhir-resource",
            )
        )
        return answers
    answers.walk(response.get("item"))
    return answers


def _identity_problems(resource: Mapping[str, Any], name: str) -> Iterator[ContactProblem]:
    """An identity code in any identifier of *resource* (or of its subject)."""
    places: list[tuple[str, object]] = [(f"{name}.id", resource.get("id"))]
    identifiers = resource.get("identifier")
    if isinstance(identifiers, Mapping):
        identifiers = [identifiers]
    if isinstance(identifiers, list):
        places.extend(
            (f"{name}.identifier[{i}]", ident.get("value"))
            for i, ident in enumerate(identifiers)
            if isinstance(ident, Mapping)
        )
    subject = resource.get("subject")
    if isinstance(subject, Mapping):
        places.append((f"{name}.subject.reference", subject.get("reference")))
        ident = subject.get("identifier")
        if isinstance(ident, Mapping):
            places.append((f"{name}.subject.identifier", ident.get("value")))
    for field, value in places:
        if isinstance(value, str) and looks_like_identity_code(value):
            yield ContactProblem(
                field,
                "looks like a Finnish personal identity code; pass a pseudonymous id instead",
                "identity-code",
            )


def _patient_facts(patient: Mapping[str, Any], problems: list[ContactProblem]) -> dict[str, Any]:
    """What the record takes from a Patient: birth date, language, municipality."""
    if patient.get("resourceType") != "Patient":
        problems.append(
            ContactProblem(
                "Patient.resourceType",
                "must be a FHIR Patient (resourceType 'Patient')",
                "fhir-resource",
            )
        )
        return {}
    problems.extend(_identity_problems(patient, "Patient"))
    facts: dict[str, Any] = {}
    if "birthDate" in patient:
        facts["client.birth_date"] = patient["birthDate"]
    communication = patient.get("communication")
    if isinstance(communication, list) and communication:
        chosen = next(
            (c for c in communication if isinstance(c, Mapping) and c.get("preferred") is True),
            communication[0],
        )
        codes = (
            chosen.get("language", {}).get("coding", [])
            if isinstance(chosen, Mapping) and isinstance(chosen.get("language"), Mapping)
            else []
        )
        code = next((c.get("code") for c in codes if isinstance(c, Mapping)), None)
        if isinstance(code, str):
            facts["client.language"] = code.split("-")[0].lower()  # fi-FI -> fi
    addresses = patient.get("address")
    if isinstance(addresses, list):
        home = [a for a in addresses if isinstance(a, Mapping) and a.get("use") in (None, "home")]
        city = home[0].get("city") if home else None
        if isinstance(city, str):
            facts["municipality"] = city
    return facts


# Where each field of the contact came from, for its problems: the first-contact field
# (as a pydantic problem names it) -> the response's item or the Patient's element.
_FROM_ITEM = {
    "client.age": "item[client.age]",
    "client": "item[client.age]",
    "client.language": "item[client.language]",
    "municipality": "item[municipality]",
    "client.highest_care_allowance": "item[client.highest_care_allowance]",
    "client.special_support_child": "item[client.special_support_child]",
    "client.can_use_digital_services": "item[client.can_use_digital_services]",
    "client.birth_date": "item[client.birth_date]",
    "contact_id": "QuestionnaireResponse.id",
    "received_at": "QuestionnaireResponse.authored",
}


def _located(
    problem: ContactProblem, from_patient: set[str], renamed: Mapping[str, str]
) -> ContactProblem:
    """*problem* of the first-contact record, named by where the response holds it."""
    field = problem.field
    if problem.code == "age-or-birth-date" and "client.birth_date" not in renamed:
        return ContactProblem(  # neither given (both: the response's own answers)
            "item[client.age]",
            "the client's age is needed: answer client.age or client.birth_date, or pass "
            "a Patient with its birthDate",
            "missing",
        )
    if field in renamed:
        where = renamed[field]
    elif field in from_patient:
        where = {
            "client.birth_date": "Patient.birthDate",
            "client.language": "Patient.communication",
            "municipality": "Patient.address.city",
        }.get(field, _FROM_ITEM.get(field, field))
    elif field in _FROM_ITEM:
        where = _FROM_ITEM[field]
    elif field == "concerns" or field.startswith("concerns["):
        where = f"item[{CONCERNS_ITEM}]"
    elif field.startswith("answers."):
        where = f"item[{field.removeprefix('answers.')}]"
    else:
        where = field
    return ContactProblem(
        where,
        problem.message,
        problem.code,
        messages=problem.messages,
        suggestion=problem.suggestion,
    )


def contact_identifier(response: Mapping[str, Any], base_url: str) -> object:
    """The value of the response's identifier in oneContact's contact naming system."""
    identifier = response.get("identifier")
    if isinstance(identifier, Mapping) and identifier.get("system") == system(
        base_url, "id-contact"
    ):
        return identifier.get("value")
    return None


def _known_questionnaire(reference: object, base_url: str) -> bool:
    if reference is None:
        return True
    if not isinstance(reference, str):
        return False
    canonical = reference.split("|")[0]
    return reference.startswith("#") or canonical in (
        canonical_url(base_url),
        canonical_url(base_url) + "-adaptive",
    )


def contact_from_response(
    response: Mapping[str, Any],
    ruleset: RuleSet,
    *,
    patient: Mapping[str, Any] | None = None,
    contact_id: str | None = None,
    received_at: datetime | str | None = None,
    channel: str = "digital",
    base_url: str = DEFAULT_BASE_URL,
) -> FirstContact:
    """The first contact a QuestionnaireResponse to :func:`questionnaire` holds.

    ``contact_id`` is *contact_id*, else the response's ``identifier`` in oneContact's
    ``contact`` naming system, else its ``id`` (a pseudonymous id: an identity code is
    refused);
    ``received_at`` is *received_at*, else the response's ``authored``; ``channel`` is
    *channel* (a FHIR form is a digital door by default). The client's age is the
    ``client.age`` answer, else the *patient*'s ``birthDate``; the language and
    municipality come from the response, else from the *patient*. Answers are checked
    against *ruleset*'s questionnaire.

    Raises :class:`ContactError` naming each problem's linkId or element (turn it into an
    OperationOutcome with :func:`operation_outcome`); nothing of the client's is echoed.
    """
    answers = read_answers(response)
    problems = list(answers.problems)
    if problems and problems[0].code == "fhir-resource":
        raise ContactError(problems, title="invalid QuestionnaireResponse")
    problems.extend(_identity_problems(response, "QuestionnaireResponse"))
    if not _known_questionnaire(response.get("questionnaire"), base_url):
        problems.append(
            ContactProblem(
                "QuestionnaireResponse.questionnaire",
                f"answers another questionnaire; answer {canonical_url(base_url)} "
                "(`onecontact fhir questionnaire`)",
                "unknown-questionnaire",
            )
        )
    form = ruleset.questionnaire
    renamed: dict[str, str] = {}
    client: dict[str, Any] = {}
    contact: dict[str, Any] = {"channel": channel, "client": client, "answers": {}}
    for link, values in answers.values.items():
        if link == CONCERNS_ITEM:
            contact["concerns"] = values
            used = answers.systems.get(link)
            if used is not None and used != system(base_url, "concern"):
                problems.append(
                    ContactProblem(
                        f"item[{CONCERNS_ITEM}]",
                        f"the concern codes must be of the system {system(base_url, 'concern')}",
                        "unknown-concern",
                    )
                )
            continue
        if len(values) > 1:
            problems.append(
                ContactProblem(
                    _item_field(link), "takes one answer; give only one", "too-many-answers"
                )
            )
            continue
        if not values:
            continue
        value = values[0]
        if link in CLIENT_ITEMS:
            if (
                link == "client.language"
                and answers.systems.get(link, LANGUAGE_SYSTEM) != LANGUAGE_SYSTEM
            ):
                problems.append(
                    ContactProblem(
                        _item_field(link),
                        f"the language must be a code of {LANGUAGE_SYSTEM} (fi, sv or en)",
                        "answer-type",
                        messages=contact_messages("answer:choice"),
                    )
                )
                continue
            if link == "municipality":
                contact["municipality"] = value
            else:
                client[link.removeprefix("client.")] = value
        elif link in form.questions:
            contact["answers"][link] = value
        elif looks_like_identity_code(link):
            problems.append(
                ContactProblem(
                    "QuestionnaireResponse.item",
                    "a linkId looks like a Finnish personal identity code; an item's linkId "
                    "is a question id of the Questionnaire",
                    "identity-code",
                )
            )
        else:
            hint = did_you_mean(link, [*form.questions, *CLIENT_ITEMS, CONCERNS_ITEM])
            problems.append(
                ContactProblem(
                    _item_field(link),
                    "unknown item"
                    + (suggestion_text(hint) if hint else "; see `onecontact fhir questionnaire`"),
                    "unknown-question",
                    suggestion=hint,
                )
            )
    if "age" in client and "birth_date" in client:
        renamed["client.birth_date"] = "item[client.birth_date]"
    from_patient: set[str] = set()
    if patient is not None:
        for key, value in _patient_facts(patient, problems).items():
            name = key.removeprefix("client.")
            target = contact if key == "municipality" else client
            if name == "birth_date" and ("age" in client or "birth_date" in client):
                continue  # the response's own answer wins
            if name not in target:
                target[name] = value
                from_patient.add(key)
    if contact_id is not None:
        contact["contact_id"] = contact_id
        renamed["contact_id"] = "contact_id"
    elif isinstance(ident := contact_identifier(response, base_url), str):
        contact["contact_id"] = ident
        renamed["contact_id"] = "QuestionnaireResponse.identifier.value"
    elif isinstance(response.get("id"), str):
        contact["contact_id"] = response["id"]
    if received_at is not None:
        contact["received_at"] = received_at
        renamed["received_at"] = "received_at"
    elif "authored" in response:
        contact["received_at"] = response["authored"]
    if any(p.code == "identity-code" for p in problems):
        # Nothing else is read once an identity code is found: the value is not checked
        # further (nor kept in any exception's context).
        raise ContactError(
            [p for p in problems if p.code == "identity-code"],
            title="invalid QuestionnaireResponse",
        )
    try:
        parsed = parse_contact(contact)
    except ContactError as error:
        problems.extend(_located(p, from_patient, renamed) for p in error.problems)
        flagged = {p.field for p in error.problems}
        problems.extend(
            _located(p, from_patient, renamed)
            for p in form.check_codes(contact.get("concerns"), contact["answers"])
            if p.field not in flagged
        )
        raise ContactError(_unique(problems), title="invalid QuestionnaireResponse") from None
    problems.extend(_located(p, from_patient, renamed) for p in form.check_contact(parsed))
    if problems:
        raise ContactError(_unique(problems), title="invalid QuestionnaireResponse")
    return parsed


def subject_reference(
    response: Mapping[str, Any], patient: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """The client as the record system knows them, for the Bundle's ``subject``: the
    response's ``subject`` reference, else ``Patient/<id>`` of *patient*; None when
    neither is given (the Bundle then refers to the contact's pseudonym). Call it after
    :func:`contact_from_response` accepted the pair: that refuses an identity code in
    either."""
    subject = response.get("subject")
    if isinstance(subject, Mapping) and isinstance(subject.get("reference"), str):
        return {"reference": subject["reference"]}
    if patient is not None and isinstance(patient.get("id"), str):
        return {"reference": f"Patient/{patient['id']}"}
    return None


def _unique(problems: Sequence[ContactProblem]) -> list[ContactProblem]:
    seen: dict[tuple[str, str], ContactProblem] = {}
    for problem in problems:
        seen.setdefault((problem.field, problem.code), problem)
    return list(seen.values())


# ContactProblem code -> the OperationOutcome issue type (IssueType, a required binding).
_ISSUE_TYPE = {
    "identity-code": "security",
    "unknown-concern": "code-invalid",
    "unknown-question": "code-invalid",
    "unknown-questionnaire": "not-supported",
    "missing": "required",
    "age-or-birth-date": "required",
    "too-long": "too-long",
    "string-too-long": "too-long",
    "json-duplicate-key": "duplicate",
    "duplicate-concern": "duplicate",
    "fhir-resource": "structure",
    "wrong-form": "structure",
    "answer-value": "structure",
    # a value out of its bounds or not in its format
    "less-than-equal": "value",
    "greater-than-equal": "value",
    "number-too-large": "value",
    "date-format": "value",
    "timestamp-format": "value",
    "datetime-type": "value",
    "date-out-of-range": "value",
    "timestamp-out-of-range": "value",
    "timezone-aware": "value",
    "string-pattern-mismatch": "value",
}


def _expression(field: str) -> list[str]:
    """The FHIRPath of *field* in the response (none for an argument of the call)."""
    if field in ("contact_id", "received_at") or field.startswith(("-", "<")):
        return []  # an argument or option of the call, or the input as a whole
    return [_path(field)]


def _path(field: str) -> str:
    if field.startswith("item[") and field.endswith("]"):
        link = field[5:-1]
        if link == "<not shown>":
            return "QuestionnaireResponse.item"
        return f"QuestionnaireResponse.repeat(item).where(linkId = '{link}')"
    if field.startswith(("QuestionnaireResponse", "Patient")):
        return field.split("[", maxsplit=1)[0]
    return f"QuestionnaireResponse.{field}"


def operation_outcome(
    error: ContactError, *, language: str = "en", base_url: str = DEFAULT_BASE_URL
) -> dict[str, Any]:
    """*error* as a FHIR R4 OperationOutcome: an ``error`` issue per problem, its
    ``details`` the problem's code (in oneContact's ``problem`` code system) and the
    message a form shows the client in *language*, ``diagnostics`` the English message
    for the form's developer, ``expression`` the FHIRPath of the item
    (``QuestionnaireResponse.repeat(item).where(linkId = 'x')``)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": _ISSUE_TYPE.get(
                    problem.code, "value" if "answer" in problem.code else "invalid"
                ),
                "details": {
                    "coding": [{"system": system(base_url, "problem"), "code": problem.code}],
                    "text": problem.message_in(language),
                },
                "diagnostics": f"{problem.field}: {problem.message}",
                **({"expression": where} if (where := _expression(problem.field)) else {}),
            }
            for problem in error.problems
        ],
    }
