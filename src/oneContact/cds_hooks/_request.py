"""Reading a CDS Hooks 2.0 hook request: the fields the specification requires, the
hook's context, and the prefetched QuestionnaireResponse and Patient.

Everything wrong is named at once (:class:`Problems`); nothing of the request is
repeated in a message. The Patient is cut down to the elements a first contact needs
before anything else reads it (data minimisation: a record system's Patient carries the
personal identity code in ``identifier``, and names and addresses oneContact never
needs).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from ..errors import did_you_mean
from ..identity_code import contains_identity_code
from ._error import Problems

__all__ = [
    "HOOK_CONTEXT",
    "PATIENT_ELEMENTS",
    "PREFETCH_PATIENT",
    "PREFETCH_RESPONSE",
    "HookRequest",
    "is_uuid",
    "read_request",
]

#: The context fields of each hook the service answers, as the hook's page of the
#: CDS Hooks specification defines them: ``(field, required)``.
HOOK_CONTEXT: Mapping[str, tuple[tuple[str, bool], ...]] = {
    "encounter-start": (("userId", True), ("patientId", True), ("encounterId", True)),
    "patient-view": (("userId", True), ("patientId", True), ("encounterId", False)),
}
#: The resource types ``context.userId`` may name, per hook.
_USER_TYPES: Mapping[str, tuple[str, ...]] = {
    "encounter-start": ("Practitioner", "PractitionerRole"),
    "patient-view": ("Practitioner", "PractitionerRole", "Patient", "RelatedPerson"),
}

#: The prefetch key of the client's first-contact form (a QuestionnaireResponse, or a
#: searchset Bundle of them).
PREFETCH_RESPONSE = "questionnaireResponse"
#: The prefetch key of the Patient.
PREFETCH_PATIENT = "patient"

#: The Patient elements the service reads, and of each the parts it reads: the birth
#: date, the languages (``communication``: ``language``, ``preferred``) and the home
#: municipality (``address``: ``use``, ``city``). Every other element (``identifier``
#: with the identity code, ``name``, ``telecom``, street addresses) is dropped on arrival.
PATIENT_ELEMENTS: Mapping[str, tuple[str, ...]] = {
    "resourceType": (),
    "id": (),
    "birthDate": (),
    "communication": ("language", "preferred"),
    "address": ("use", "city"),
}

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# The statuses of a response a client finished; an in-progress or withdrawn form is no
# first contact yet.
_FINISHED = ("completed", "amended")
# QuestionnaireResponse.status (required binding, questionnaire-answers-status).
_STATUSES = ("in-progress", "completed", "amended", "entered-in-error", "stopped")


def is_uuid(value: object) -> bool:
    """Whether *value* is a UUID written as text (any case, with hyphens)."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@attrs.frozen
class HookRequest:
    """What the service reads of one hook call."""

    hook: str
    hook_instance: str
    patient_id: str
    encounter_id: str | None
    response: Mapping[str, Any] | None
    """The client's latest finished first-contact form; None when the client has none."""
    patient: Mapping[str, Any] | None
    """The Patient, cut down to :data:`PATIENT_ELEMENTS`; None when not prefetched."""


def read_request(request: object, hooks: Collection[str]) -> HookRequest:
    """The hook call *request* (the parsed JSON body), checked against CDS Hooks 2.0 and
    the hook's context; raises :class:`CdsHooksError` naming every problem."""
    p = Problems()
    if not isinstance(request, Mapping):
        p.add("<request>", "must be a JSON object (the CDS Hooks request)", "dict-type")
        p.raise_if_any()
        raise AssertionError("unreachable")  # pragma: no cover
    hook = _hook(request, hooks, p)
    instance = request.get("hookInstance")
    if instance is None:
        p.add("hookInstance", "is required: a UUID for this hook call", "missing")
    elif not is_uuid(instance):
        p.add(
            "hookInstance",
            "must be a UUID, e.g. d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "not-a-uuid",
        )
    _fhir_server(request, p)
    context = _context(request.get("context"), hook, p)
    patient_id = context.get("patientId")
    response, patient = _prefetch(request.get("prefetch"), patient_id, p)
    p.raise_if_any()
    return HookRequest(
        str(hook),
        str(instance),
        str(patient_id),
        context.get("encounterId"),
        response,
        patient,
    )


def _hook(request: Mapping[str, Any], hooks: Collection[str], p: Problems) -> str | None:
    hook = request.get("hook")
    if hook is None:
        p.add("hook", f"is required: one of {', '.join(sorted(hooks))}", "missing")
        return None
    if not isinstance(hook, str):
        p.add("hook", "must be a string", "string-type")
        return None
    if hook not in hooks:
        p.add(
            "hook",
            f"is not a hook this service answers; it answers {', '.join(sorted(hooks))}",
            "unknown-hook",
            suggestion=did_you_mean(hook, hooks),
        )
        return None
    return hook


def _fhir_server(request: Mapping[str, Any], p: Problems) -> None:
    server = request.get("fhirServer")
    if server is None:
        if "fhirAuthorization" in request:
            p.add("fhirServer", "is required when fhirAuthorization is given", "missing")
        return
    if not isinstance(server, str) or not re.match(r"https?://[^\s/]", server):
        p.add(
            "fhirServer", "must be the base URL of a FHIR server, e.g. https://ehr/fhir", "bad-url"
        )


def _context(context: object, hook: str | None, p: Problems) -> dict[str, str]:
    """The context fields of *hook* that are valid, by name."""
    if context is None:
        p.add("context", "is required: the hook's context (userId, patientId, ...)", "missing")
        return {}
    if not isinstance(context, Mapping):
        p.add("context", "must be a JSON object", "dict-type")
        return {}
    if hook is None:
        return {}
    valid: dict[str, str] = {}
    for name, required in HOOK_CONTEXT[hook]:
        field = f"context.{name}"
        value = context.get(name)
        if value is None:
            if required:
                p.add(field, f"is required by the {hook} hook", "missing")
            continue
        if not isinstance(value, str):
            p.add(field, "must be a string", "string-type")
            continue
        if name == "userId":
            kind, _, rest = value.partition("/")
            if kind not in _USER_TYPES[hook] or not _FHIR_ID.fullmatch(rest):
                p.add(
                    field,
                    f"must be [ResourceType]/[id] with a type of "
                    f"{', '.join(_USER_TYPES[hook])}, e.g. Practitioner/abc",
                    "bad-reference",
                )
            continue  # the user is checked, never used
        if contains_identity_code(value):
            p.add(
                field,
                "looks like a Finnish personal identity code; the record system must send "
                "the FHIR resource id, a pseudonymous key",
                "identity-code",
            )
        elif not _FHIR_ID.fullmatch(value):
            p.add(field, "must be a FHIR id: 1-64 of A-Z a-z 0-9 - .", "bad-id")
        else:
            valid[name] = value
    return valid


def _prefetch(
    prefetch: object, patient_id: str | None, p: Problems
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    """The chosen QuestionnaireResponse and the minimised Patient."""
    if prefetch is not None and not isinstance(prefetch, Mapping):
        p.add("prefetch", "must be a JSON object of the prefetched resources", "dict-type")
        return None, None
    prefetched: Mapping[str, Any] = prefetch or {}
    field = f"prefetch.{PREFETCH_RESPONSE}"
    response: Mapping[str, Any] | None = None
    if PREFETCH_RESPONSE not in prefetched:
        # The service reads no FHIR server of its own: CDS Hooks answers this with 412.
        p.precondition(
            field,
            "is required: the service reads the client's first-contact form only from the "
            "prefetch its discovery document asks for",
            "prefetch-missing",
        )
    else:
        response = _response(prefetched[PREFETCH_RESPONSE], field, p)
    patient = _patient(prefetched.get(PREFETCH_PATIENT), patient_id, p)
    if response is not None and patient_id is not None:
        subject = response.get("subject")
        reference = subject.get("reference") if isinstance(subject, Mapping) else None
        if isinstance(reference, str) and not _names_patient(reference, patient_id):
            p.add(
                f"{field}.subject",
                "is another patient than context.patientId; the service never assesses "
                "one patient's form in another's record",
                "patient-mismatch",
            )
    return response, patient


def _names_patient(reference: str, patient_id: str) -> bool:
    """Whether *reference* (relative or absolute, perhaps of a version) is
    ``Patient/<patient_id>``."""
    reference = reference.split("/_history/", 1)[0]
    return reference == f"Patient/{patient_id}" or reference.endswith(f"/Patient/{patient_id}")


def _fetched(value: object, field: str, p: Problems) -> str | None:
    """The resourceType of a prefetched *value* ("" when it has none), or None when there
    is nothing to read: no data for the template, or an OperationOutcome saying the CDS
    Client could not fetch it (a precondition problem)."""
    if value is None:
        return None
    kind = value.get("resourceType") if isinstance(value, Mapping) else None
    if kind == "OperationOutcome":
        p.precondition(
            field, "the CDS Client could not fetch it (an OperationOutcome)", "prefetch-failed"
        )
        return None
    return kind if isinstance(kind, str) else ""


def _response(value: object, field: str, p: Problems) -> Mapping[str, Any] | None:
    kind = _fetched(value, field, p)
    if kind is None:  # no data for the template (no form, no cards), or not fetched
        return None
    if kind == "QuestionnaireResponse":
        assert isinstance(value, Mapping)
        if value.get("status") not in _STATUSES:
            p.add(f"{field}.status", f"must be one of {', '.join(_STATUSES)}", "unknown-status")
            return None
        return value if value.get("status") in _FINISHED else None
    if kind == "Bundle":
        assert isinstance(value, Mapping)
        return _latest(value, field, p)
    p.add(field, "must be a QuestionnaireResponse or a searchset Bundle of them", "wrong-resource")
    return None


def _latest(bundle: Mapping[str, Any], field: str, p: Problems) -> Mapping[str, Any] | None:
    """The finished response of *bundle* authored last (the prefetch asks for one, sorted
    by ``-authored``; a client may ignore ``_count``)."""
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        p.add(f"{field}.entry", "must be a list", "list-type")
        return None
    found: list[tuple[datetime, int, Mapping[str, Any]]] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if (
            not isinstance(resource, Mapping)
            or resource.get("resourceType") != "QuestionnaireResponse"
        ):
            continue  # e.g. an OperationOutcome the search added as a warning
        if resource.get("status") not in _FINISHED:
            continue
        found.append((_authored(resource), -index, resource))
    if not found:
        return None
    return max(found, key=lambda item: (item[0], item[1]))[2]


def _authored(resource: Mapping[str, Any]) -> datetime:
    """When the response was authored, for ordering only (the reader checks it)."""
    value = resource.get("authored")
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        return _EARLIEST
    return when


_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)  # before any authored time, in every zone


def _patient(value: object, patient_id: str | None, p: Problems) -> Mapping[str, Any] | None:
    field = f"prefetch.{PREFETCH_PATIENT}"
    kind = _fetched(value, field, p)
    if kind is None:
        return None
    if kind != "Patient":
        p.add(field, "must be a Patient resource", "wrong-resource")
        return None
    assert isinstance(value, Mapping)
    if patient_id is not None and value.get("id") not in (None, patient_id):
        p.add(
            f"{field}.id",
            "is another patient than context.patientId; the service never reads one "
            "patient's data in another's record",
            "patient-mismatch",
        )
        return None
    return _minimised(value)


def _minimised(patient: Mapping[str, Any]) -> dict[str, Any]:
    """*patient* with only :data:`PATIENT_ELEMENTS` (and of a list element, only its
    listed parts)."""
    kept: dict[str, Any] = {}
    for key, parts in PATIENT_ELEMENTS.items():
        if key not in patient:
            continue
        value = patient[key]
        if parts and isinstance(value, list):
            value = [
                {k: v for k, v in item.items() if k in parts} if isinstance(item, Mapping) else item
                for item in value
            ]
        kept[key] = value
    return kept
