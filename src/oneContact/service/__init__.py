"""The reference service: the library behind HTTP, as a region can deploy it.

``create_app(ServiceConfig(rules=...))`` is an ASGI application (FastAPI) with the JSON
API (``POST /assess``, ``POST /contacts``, ``POST /contacts/{id}/events``,
``GET /contacts/{id}/clocks``, ``GET /worklist``), FHIR R4 (``GET /fhir/Questionnaire``,
``POST /fhir/Questionnaire/$next-question``, ``POST /fhir/$assess``), CDS Hooks
(``/cds-services``), ``/healthz``, ``/readyz``, ``/metrics`` (Prometheus) and
``POST /admin/reload``, ``GET /reports/access``; OpenAPI at ``/openapi.json``. Pages in
fi/sv/en: the client's contact form (``/``), the team's worklist (``/team/worklist``), a
contact's decision (``/team/contacts/{id}``) and the access report (``/team/report``).
Each assessment is logged as one JSON line to the logger :data:`DECISION_LOGGER`.
``onecontact serve`` runs it with uvicorn. Needs the ``service`` extra:
``pip install 'onecontact[service]'``.
"""

from ._app import (
    CONFIG_VARIABLE,
    DEFAULT_DB,
    MAX_PER_PAGE,
    ServiceConfig,
    app_from_environment,
    config_json,
    create_app,
)
from ._errors import RETRY_AFTER_S, language_of
from ._reload import ADMIN_TOKEN_VARIABLE
from .decisions import DECISION_LOGGER, PSEUDONYM_KEY_VARIABLE, pseudonym

__all__ = [
    "ADMIN_TOKEN_VARIABLE",
    "CONFIG_VARIABLE",
    "DECISION_LOGGER",
    "DEFAULT_DB",
    "MAX_PER_PAGE",
    "PSEUDONYM_KEY_VARIABLE",
    "RETRY_AFTER_S",
    "ServiceConfig",
    "app_from_environment",
    "config_json",
    "create_app",
    "language_of",
    "pseudonym",
]
