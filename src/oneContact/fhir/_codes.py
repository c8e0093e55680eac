"""What every FHIR resource of oneContact shares: the canonical base URL, the code
systems and naming systems under it, the standard extensions and code systems of HL7, the
translation extension, and the maps from oneContact's values to FHIR codes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .._text import LANGUAGES, Label
from ..ruleset import Urgency

__all__ = [
    "BASE_LANGUAGE",
    "DEFAULT_BASE_URL",
    "PRIORITY",
    "QUALITATIVE_RISK",
    "TRANSLATION",
    "coding",
    "entry_uuid",
    "logical_reference",
    "system",
    "translated",
]

#: The base of every canonical URL, code system and naming system oneContact writes,
#: unless a host passes its own ``base_url`` (a region publishing its own Questionnaire).
DEFAULT_BASE_URL = "https://onecontact.fi/fhir"

#: The language of ``text`` and ``display``; Swedish and English travel in the
#: translation extension.
BASE_LANGUAGE = "fi"

#: The standard translation extension (FHIR R4 core).
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"

#: Urgency -> ``ServiceRequest.priority`` (required binding, request-priority). ``asap``
#: (between stat and urgent) has no Finnish level of its own: urgent care
#: (kiireellinen hoito) is ``urgent``; non-urgent care and self-care are ``routine``.
PRIORITY: Mapping[Urgency, str] = MappingProxyType(
    {"emergency": "stat", "urgent": "urgent", "non_urgent": "routine", "self_care": "routine"}
)

#: Urgency -> ``RiskAssessment.prediction.qualitativeRisk`` (risk-probability): how
#: likely harm is if the client waits.
QUALITATIVE_RISK: Mapping[Urgency, str] = MappingProxyType(
    {"emergency": "high", "urgent": "moderate", "non_urgent": "low", "self_care": "negligible"}
)
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"

# uuid5 namespace of the urn:uuid of each Bundle entry (deterministic per contact).
_NAMESPACE = uuid.UUID("0b7b4d55-2f8e-4d8c-b2d0-6a1f3f8a9e10")


def system(base_url: str, kind: str) -> str:
    """The code system (or naming system) *kind* under *base_url*, e.g.
    ``https://onecontact.fi/fhir/CodeSystem/service``."""
    folder = "NamingSystem" if kind.startswith("id-") else "CodeSystem"
    return f"{base_url}/{folder}/{kind.removeprefix('id-')}"


def translated(label: Label) -> dict[str, Any]:
    """The ``_text``/``_display`` companion of a Finnish text: its Swedish and English
    versions in the translation extension (only those that are given)."""
    extensions = [
        {
            "url": TRANSLATION,
            "extension": [
                {"url": "lang", "valueCode": lang},
                {"url": "content", "valueString": getattr(label, lang)},
            ],
        }
        for lang in LANGUAGES
        if lang != BASE_LANGUAGE and getattr(label, lang)
    ]
    return {"extension": extensions} if extensions else {}


def coding(
    base_url: str, kind: str, code: str, label: Label | None = None, language: str | None = None
) -> dict[str, Any]:
    """A Coding of *code* in oneContact's code system *kind*, displayed in *language*
    (Finnish with its translations when *language* is None)."""
    out: dict[str, Any] = {"system": system(base_url, kind), "code": code}
    if label is not None:
        if language is None:
            out["display"] = label.get(BASE_LANGUAGE)
            if extra := translated(label):
                out["_display"] = extra
        else:
            out["display"] = label.get(language)
    return out


def logical_reference(base_url: str, resource: str, kind: str, value: str) -> dict[str, Any]:
    """A Reference by identifier (no server id is known): the *resource* whose
    identifier in naming system *kind* is *value*."""
    return {"type": resource, "identifier": {"system": system(base_url, kind), "value": value}}


def entry_uuid(*parts: str) -> str:
    """A deterministic UUID for a Bundle entry (the same decision gives the same ids)."""
    return str(uuid.uuid5(_NAMESPACE, "\x00".join(parts)))
