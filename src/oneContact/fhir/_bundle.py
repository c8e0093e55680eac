"""The decision out, as FHIR R4: :func:`bundle` and :func:`service_request`.

A Bundle holds, for one assessment:

- a ``RiskAssessment``: the urgency (``prediction.outcome``, ``qualitativeRisk``), the
  needs (``reasonCode``) and the fired rules as its ``basis`` (logical references to the
  rules, by id, with the file and line as display);
- a ``ServiceRequest`` per route (:func:`service_request`);
- a ``Task`` per care-guarantee clock: the due date as ``restriction.period.end``, the
  status from the clock's, the legal basis as text;
- a ``Provenance`` naming the ruleset digest (``entity``, ``policy``) and oneContact's
  version, so that any FHIR consumer can replay the decision.

No resource holds free text or an identity code: the client is referred to by the
contact's pseudonymous id (or the reference a host passes), every text is oneContact's
own (service names, legal bases) in the client's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from .._messages import label, status_name
from .._version import __version__
from ..assessment import Assessment
from ..clocks import Clock
from ..routing import Route
from ..ruleset import RuleSet
from ..suggestions import suggestion_id
from ._codes import (
    DEFAULT_BASE_URL,
    PRIORITY,
    QUALITATIVE_RISK,
    RISK_PROBABILITY,
    coding,
    entry_uuid,
    logical_reference,
    system,
)

__all__ = ["BundleType", "bundle", "service_request"]

BundleType = Literal["collection", "transaction"]

_TASK_STATUS = {"not_started": "requested", "open": "in-progress", "met": "completed"}


def _subject(base_url: str, assessment: Assessment, subject: Mapping[str, Any] | None) -> Any:
    if subject is not None:
        return dict(subject)
    return logical_reference(base_url, "Patient", "id-contact", assessment.contact_id)


def service_request(
    assessment: Assessment,
    route: Route,
    ruleset: RuleSet,
    *,
    language: str | None = None,
    subject: Mapping[str, Any] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    assessment_reference: str | None = None,
) -> dict[str, Any]:
    """The FHIR R4 ``ServiceRequest`` of one *route* of *assessment*.

    Its ``id`` is the route's suggestion id (:func:`oneContact.suggestions.suggestion_id`),
    the id a CDS Hooks card's suggestion carries too. ``status`` is ``active`` and
    ``intent`` ``proposal``: the rules propose, a professional decides. ``priority``
    comes from the urgency (:data:`PRIORITY`), ``code`` is the service in the client's
    language (or *language*), ``performerType`` the role of a team-member service,
    ``performer``/``locationReference``/``occurrenceDateTime`` the member, unit and slot
    a directory router gave, ``occurrencePeriod.end`` the due date without a slot.
    *assessment_reference* (e.g. the RiskAssessment's ``urn:uuid:``) goes to
    ``supportingInfo``: FHIR R4 allows only Condition, Observation, DiagnosticReport
    and DocumentReference in ``reasonReference``; the needs are its ``reasonCode``.
    """
    lang = language or assessment.language
    catalogue = ruleset.catalogue
    service = catalogue.services.get(route.service)
    name = None if service is None else service.name
    code = coding(base_url, "service", route.service, name, lang)
    ident = suggestion_id(
        assessment.contact_id, f"route:{route.service}", assessment.ruleset_digest
    )
    out: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": ident,
        "identifier": [
            {
                "system": system(base_url, "id-suggestion"),
                "value": ident,
            }
        ],
        "status": "active",
        "intent": "proposal",
        "category": [
            {"coding": [{"system": system(base_url, "service-kind"), "code": route.kind}]}
        ],
        "priority": PRIORITY[assessment.urgency],
        "code": {"coding": [code], "text": code.get("display", route.service)},
        "subject": _subject(base_url, assessment, subject),
        "authoredOn": assessment.received_at.isoformat(),
    }
    if route.slot is not None:
        out["occurrenceDateTime"] = route.slot.isoformat()
    elif route.due_date is not None:
        out["occurrencePeriod"] = {"end": route.due_date.isoformat()}
    if route.kind == "team_member":
        out["performerType"] = {"coding": [code], "text": code.get("display", route.service)}
    if route.member is not None:
        out["performer"] = [
            logical_reference(base_url, "PractitionerRole", "id-member", route.member)
        ]
    if route.unit is not None:
        out["locationReference"] = [logical_reference(base_url, "Location", "id-unit", route.unit)]
    reasons = [
        {"coding": [coding(base_url, "need", need, catalogue.needs.get(need), lang)]}
        for need in assessment.needs
    ]
    if reasons:
        out["reasonCode"] = reasons
    if assessment_reference is not None:
        out["supportingInfo"] = [{"reference": assessment_reference, "type": "RiskAssessment"}]
    return out


def _risk_assessment(
    assessment: Assessment, ruleset: RuleSet, lang: str, subject: Any, base_url: str
) -> dict[str, Any]:
    urgency_label = label(f"urgency.{assessment.urgency}")
    out: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "id": entry_uuid(assessment.contact_id, assessment.ruleset_digest, "assessment"),
        "identifier": [{"system": system(base_url, "id-contact"), "value": assessment.contact_id}],
        "status": "final",
        "code": {"coding": [{"system": system(base_url, "assessment"), "code": "first-contact"}]},
        "subject": subject,
        "occurrenceDateTime": assessment.received_at.isoformat(),
        "method": {
            "coding": [{"system": system(base_url, "ruleset"), "code": assessment.ruleset_digest}]
        },
        "prediction": [
            {
                "outcome": {
                    "coding": [coding(base_url, "urgency", assessment.urgency, urgency_label, lang)]
                },
                "qualitativeRisk": {
                    "coding": [
                        {"system": RISK_PROBABILITY, "code": QUALITATIVE_RISK[assessment.urgency]}
                    ]
                },
            }
        ],
    }
    needs = [
        {"coding": [coding(base_url, "need", need, ruleset.catalogue.needs.get(need), lang)]}
        for need in assessment.needs
    ]
    if needs:
        out["reasonCode"] = needs
    if assessment.fired:
        out["basis"] = [
            {
                **logical_reference(base_url, "PlanDefinition", "id-rule", fired.rule),
                "display": f"{fired.file}:{fired.line}",
            }
            for fired in assessment.fired
        ]
    return out


def _task(
    assessment: Assessment,
    clock: Clock,
    lang: str,
    subject: Any,
    focus: str,
    base_url: str,
) -> dict[str, Any]:
    status = str(clock.status)
    key = f"clock:{clock.clock}:{clock.person or ''}"
    out: dict[str, Any] = {
        "resourceType": "Task",
        "id": entry_uuid(assessment.contact_id, assessment.ruleset_digest, key),
        "identifier": [
            {
                "system": system(base_url, "id-clock"),
                "value": f"{assessment.contact_id}/{clock.clock}"
                + (f"/{clock.person}" if clock.person else ""),
            }
        ],
        "status": _TASK_STATUS.get(
            status, "completed" if clock.stopped_at is not None else "in-progress"
        ),
        "businessStatus": {
            "coding": [
                {
                    "system": system(base_url, "clock-status"),
                    "code": status,
                    "display": status_name(status, lang),
                }
            ]
        },
        "intent": "plan",
        "code": {"coding": [{"system": system(base_url, "clock"), "code": clock.clock}]},
        "focus": {"reference": focus, "type": "RiskAssessment"},
        "for": subject,
        "authoredOn": assessment.received_at.isoformat(),
        "reasonCode": {"text": clock.basis_in(lang)},
    }
    limit = clock.limit_in(lang)
    if limit:
        out["description"] = limit
    if clock.starts_at is not None:
        period = {"start": clock.starts_at.isoformat()}
        if clock.stopped_at is not None:
            period["end"] = clock.stopped_at.isoformat()
        out["executionPeriod"] = period
    if clock.due_date is not None:
        out["restriction"] = {"period": {"end": clock.due_date.isoformat()}}
    inputs = []
    if clock.person is not None:
        inputs.append(_input(base_url, "for", {"valueCode": clock.person}))
    if clock.target_due_date is not None:
        inputs.append(
            _input(base_url, "target-due-date", {"valueDate": clock.target_due_date.isoformat()})
        )
    if inputs:
        out["input"] = inputs
    return out


def _input(base_url: str, code: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"type": {"coding": [{"system": system(base_url, "task-input"), "code": code}]}, **value}


def _provenance(
    assessment: Assessment, targets: list[str], recorded: datetime, base_url: str
) -> dict[str, Any]:
    return {
        "resourceType": "Provenance",
        "id": entry_uuid(assessment.contact_id, assessment.ruleset_digest, "provenance"),
        "target": [{"reference": target} for target in targets],
        "recorded": recorded.isoformat(),
        "policy": [f"urn:onecontact:ruleset:sha256:{assessment.ruleset_digest}"],
        "activity": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                    "code": "CREATE",
                }
            ]
        },
        "agent": [
            {
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                            "code": "assembler",
                        }
                    ]
                },
                "who": {
                    **logical_reference(
                        base_url, "Device", "id-software", f"oneContact {__version__}"
                    ),
                    "display": f"oneContact {__version__} ({assessment.backend})",
                },
            }
        ],
        "entity": [
            {
                "role": "source",
                "what": {
                    "identifier": {
                        "system": system(base_url, "id-ruleset"),
                        "value": assessment.ruleset_digest,
                    },
                    "display": "ruleset (SHA-256 of the rules directory)",
                },
            }
        ],
    }


def bundle(
    assessment: Assessment,
    ruleset: RuleSet,
    *,
    language: str | None = None,
    subject: Mapping[str, Any] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    type: BundleType = "collection",
    recorded: datetime | None = None,
) -> dict[str, Any]:
    """The decision of *assessment* as a FHIR R4 Bundle (see the module's docstring).

    *ruleset* gives the names of services and needs; *language* the language of every
    text (by default the client's, ``assessment.language``); *subject* a Reference to the
    client (by default a logical reference by the contact's pseudonymous id). A
    ``transaction`` Bundle can be POSTed to a FHIR server as it is (each entry a
    ``POST``); a ``collection`` is the record of the decision. *recorded* is the
    Provenance's time (by default now). Entry ids are UUIDs derived from the contact and
    the ruleset digest, so the same decision always gives the same Bundle.
    """
    lang = language or assessment.language
    subj = _subject(base_url, assessment, subject)
    risk = _risk_assessment(assessment, ruleset, lang, subj, base_url)
    risk_ref = "urn:uuid:" + risk["id"]
    resources: list[dict[str, Any]] = [risk]
    seen: set[str] = set()
    for route in assessment.routes:
        if route.service in seen:
            continue
        seen.add(route.service)
        resources.append(
            service_request(
                assessment,
                route,
                ruleset,
                language=lang,
                subject=subj,
                base_url=base_url,
                assessment_reference=risk_ref,
            )
        )
    resources.extend(
        _task(assessment, clock, lang, subj, risk_ref, base_url) for clock in assessment.clocks
    )
    when = recorded if recorded is not None else datetime.now(UTC)
    resources.append(
        _provenance(assessment, ["urn:uuid:" + r["id"] for r in resources], when, base_url)
    )
    entries = []
    for resource in resources:
        entry: dict[str, Any] = {"fullUrl": "urn:uuid:" + resource["id"], "resource": resource}
        if type == "transaction":
            entry["request"] = {"method": "POST", "url": resource["resourceType"]}
        entries.append(entry)
    return {
        "resourceType": "Bundle",
        "id": entry_uuid(assessment.contact_id, assessment.ruleset_digest, "bundle"),
        "type": type,
        "timestamp": when.isoformat(),
        "entry": entries,
    }
