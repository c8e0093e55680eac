"""FHIR R4 (4.0.1) validation for the tests: the structure by fhirclient's models (strict:
unknown elements, wrong types, missing required elements), and what they leave out — the
required value-set bindings of the elements oneContact writes, the extensions on
primitives (``_text``), and the invariants the Questionnaire, QuestionnaireResponse and
Bundle must keep.

The code lists are copied from the FHIR R4 specification (hl7.org/fhir/R4, the value set
named beside each), not from oneContact's code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from fhirclient.models.element import Element
from fhirclient.models.fhirelementfactory import FHIRElementFactory

__all__ = ["FhirInvalid", "validate"]

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")

_REQUEST_PRIORITY = {"routine", "urgent", "asap", "stat"}
_REQUEST_INTENT = {
    "proposal",
    "plan",
    "directive",
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
}
_ISSUE_TYPE = {
    "invalid",
    "structure",
    "required",
    "value",
    "invariant",
    "security",
    "login",
    "unknown",
    "expired",
    "forbidden",
    "suppressed",
    "processing",
    "not-supported",
    "duplicate",
    "multiple-matches",
    "not-found",
    "deleted",
    "too-long",
    "code-invalid",
    "extension",
    "too-costly",
    "business-rule",
    "conflict",
    "transient",
    "lock-error",
    "no-store",
    "exception",
    "timeout",
    "incomplete",
    "throttled",
    "informational",
}

#: (resourceType, path of the element) -> its codes (required bindings, FHIR R4).
REQUIRED: Mapping[tuple[str, str], set[str]] = {
    # publication-status
    ("Questionnaire", "status"): {"draft", "active", "retired", "unknown"},
    # item-type
    ("Questionnaire", "item.type"): {
        "group",
        "display",
        "question",
        "boolean",
        "decimal",
        "integer",
        "date",
        "dateTime",
        "time",
        "string",
        "text",
        "url",
        "choice",
        "open-choice",
        "attachment",
        "reference",
        "quantity",
    },
    # questionnaire-enable-operator, questionnaire-enable-behavior
    ("Questionnaire", "item.enableWhen.operator"): {"exists", "=", "!=", ">", "<", ">=", "<="},
    ("Questionnaire", "item.enableBehavior"): {"all", "any"},
    # resource-types (subjectType)
    ("Questionnaire", "subjectType"): {"Patient", "Person", "RelatedPerson", "Group"},
    # questionnaire-answers-status
    ("QuestionnaireResponse", "status"): {
        "in-progress",
        "completed",
        "amended",
        "entered-in-error",
        "stopped",
    },
    # request-status, request-intent, request-priority
    ("ServiceRequest", "status"): {
        "draft",
        "active",
        "on-hold",
        "revoked",
        "completed",
        "entered-in-error",
        "unknown",
    },
    ("ServiceRequest", "intent"): _REQUEST_INTENT,
    ("ServiceRequest", "priority"): _REQUEST_PRIORITY,
    # task-status, task-intent
    ("Task", "status"): {
        "draft",
        "requested",
        "received",
        "accepted",
        "rejected",
        "ready",
        "cancelled",
        "in-progress",
        "on-hold",
        "failed",
        "completed",
        "entered-in-error",
    },
    ("Task", "intent"): {"unknown", *_REQUEST_INTENT},
    ("Task", "priority"): _REQUEST_PRIORITY,
    # risk-assessment-status (observation-status)
    ("RiskAssessment", "status"): {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    },
    # bundle-type, http-verb
    ("Bundle", "type"): {
        "document",
        "message",
        "transaction",
        "transaction-response",
        "batch",
        "batch-response",
        "history",
        "searchset",
        "collection",
    },
    ("Bundle", "entry.request.method"): {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"},
    # provenance-entity-role
    ("Provenance", "entity.role"): {"derivation", "revision", "quotation", "source", "removal"},
    # issue-severity, issue-type
    ("OperationOutcome", "issue.severity"): {"fatal", "error", "warning", "information"},
    ("OperationOutcome", "issue.code"): _ISSUE_TYPE,
}


class FhirInvalid(AssertionError):
    """A resource is not valid FHIR R4."""


def _values(node: object, path: list[str]) -> Iterator[object]:
    """The values at *path* under *node*, through lists."""
    if isinstance(node, list):
        for item in node:
            yield from _values(item, path)
        return
    if not path:
        yield node
        return
    if isinstance(node, Mapping) and path[0] in node:
        yield from _values(node[path[0]], path[1:])


def _nested_items(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for item in node.get("item") or []:
        yield item
        yield from _nested_items(item)
        for answer in item.get("answer") or []:
            yield from _nested_items(answer)


def _primitive_extensions(node: object) -> Iterator[tuple[str, object]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key.startswith("_"):
                yield key, value
            elif key != "resource":  # a Bundle entry's resource is validated on its own
                yield from _primitive_extensions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _primitive_extensions(item)


def _check_bindings(resource: Mapping[str, Any]) -> None:
    kind = resource["resourceType"]
    for (owner, path), codes in REQUIRED.items():
        if owner != kind:
            continue
        nodes: list[Any] = [resource]
        steps = path.split(".")
        if owner == "Questionnaire" and steps[0] == "item":
            nodes, steps = list(_nested_items(resource)), steps[1:]
        for node in nodes:
            for value in _values(node, steps):
                if value not in codes:
                    raise FhirInvalid(f"{kind}.{path}: {value!r} is not in the required value set")


def _check_questionnaire(resource: Mapping[str, Any]) -> None:
    items = list(_nested_items(resource))
    links = [item["linkId"] for item in items]
    if len(links) != len(set(links)):  # que-2: linkIds unique
        raise FhirInvalid("Questionnaire: a linkId is given twice (que-2)")
    known = set(links)
    for item in items:
        if item["type"] == "group" and not item.get("item"):  # que-1
            raise FhirInvalid(f"Questionnaire group {item['linkId']!r} has no items (que-1)")
        if "answerOption" in item and item["type"] not in ("choice", "open-choice"):  # que-5
            raise FhirInvalid(f"item {item['linkId']!r}: answerOption on a {item['type']}")
        if item.get("enableWhen") and len(item["enableWhen"]) > 1 and "enableBehavior" not in item:
            raise FhirInvalid(
                f"item {item['linkId']!r}: several enableWhen need enableBehavior (que-12)"
            )
        for when in item.get("enableWhen") or []:
            if when["question"] not in known:
                raise FhirInvalid(f"item {item['linkId']!r}: enableWhen names no item")
            if when["operator"] == "exists" and "answerBoolean" not in when:  # que-7
                raise FhirInvalid("enableWhen exists needs answerBoolean (que-7)")


def _check_bundle(resource: Mapping[str, Any]) -> None:
    urls = [entry.get("fullUrl") for entry in resource.get("entry") or []]
    if len(urls) != len(set(urls)):  # bdl-7
        raise FhirInvalid("Bundle: a fullUrl is given twice (bdl-7)")
    for entry in resource.get("entry") or []:
        if resource["type"] == "transaction" and "request" not in entry:  # bdl-3
            raise FhirInvalid("Bundle: a transaction entry needs request (bdl-3)")
        validate(entry["resource"])
    local = set(urls)
    for reference in _values(resource, ["entry", "resource"]):
        for ref in _references(reference):
            if ref.startswith("urn:uuid:") and ref not in local:
                raise FhirInvalid(f"Bundle: {ref} resolves to no entry")


def _references(node: object) -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _check_reference_types(node: object) -> None:
    """Reference.type must name a resource type (an absolute URI or a FHIR type)."""
    if isinstance(node, Mapping):
        if isinstance(node.get("type"), str) and ("reference" in node or "identifier" in node):
            made = FHIRElementFactory.instantiate(node["type"], None)
            if type(made).__name__ != node["type"]:
                raise FhirInvalid(f"Reference.type {node['type']!r} is no FHIR R4 resource type")
        for value in node.values():
            _check_reference_types(value)
    elif isinstance(node, list):
        for item in node:
            _check_reference_types(item)


def validate(resource: Mapping[str, Any]) -> None:
    """Raise :class:`FhirInvalid` unless *resource* is a valid FHIR R4 resource (as far as
    this module checks: see its docstring)."""
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        raise FhirInvalid("no resourceType")
    try:
        model = FHIRElementFactory.instantiate(kind, dict(resource))
    except Exception as error:
        raise FhirInvalid(f"{kind}: {error}") from error
    if type(model).__name__ != kind:
        raise FhirInvalid(f"{kind} is not a FHIR R4 resource type")
    if "id" in resource and not _ID.fullmatch(str(resource["id"])):  # the id datatype
        raise FhirInvalid(f"{kind}.id {resource['id']!r} is not a FHIR id ([A-Za-z0-9-.]{{1,64}})")
    for key, value in _primitive_extensions(resource):
        try:
            Element(value, strict=True)
        except Exception as error:
            raise FhirInvalid(f"{kind} {key}: {error}") from error
    _check_bindings(resource)
    _check_reference_types(resource)
    if kind == "Questionnaire":
        _check_questionnaire(resource)
    for contained in resource.get("contained") or []:
        validate(contained)
    if kind == "Bundle":
        _check_bundle(resource)
