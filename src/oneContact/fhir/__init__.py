"""FHIR R4 (4.0.1) in and out: the questionnaire as an SDC Questionnaire
(:func:`questionnaire`), the SDC ``$next-question`` operation (:func:`next_question`),
a QuestionnaireResponse as a first contact (:func:`contact_from_response`, refusals as
an OperationOutcome: :func:`operation_outcome`) and a contact as a response
(:func:`response_from_contact`), and the decision as a Bundle (:func:`bundle`,
:func:`service_request`).

Every canonical URL, code system and naming system lives under one base URL
(:data:`DEFAULT_BASE_URL`, or a region's own ``base_url``). The mapping tables are in
docs/reference/fhir.md.
"""

from ._bundle import BundleType, bundle, service_request
from ._codes import DEFAULT_BASE_URL, PRIORITY, QUALITATIVE_RISK
from ._export import response_from_contact
from ._next import next_question
from ._questionnaire import QUESTIONNAIRE_ID, canonical_url, questionnaire
from ._response import contact_from_response, operation_outcome, subject_reference

__all__ = [
    "DEFAULT_BASE_URL",
    "PRIORITY",
    "QUALITATIVE_RISK",
    "QUESTIONNAIRE_ID",
    "BundleType",
    "bundle",
    "canonical_url",
    "contact_from_response",
    "next_question",
    "operation_outcome",
    "questionnaire",
    "response_from_contact",
    "service_request",
    "subject_reference",
]
