"""FHIR R4 (4.0.1) in and out: the questionnaire as an SDC Questionnaire, a
QuestionnaireResponse as a first contact, and the decision as a Bundle.

The mapping tables are in docs/reference/fhir.md.
"""

from ._bundle import BundleType, bundle, service_request
from ._codes import DEFAULT_BASE_URL, PRIORITY

__all__ = ["DEFAULT_BASE_URL", "PRIORITY", "BundleType", "bundle", "service_request"]
