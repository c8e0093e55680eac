"""How the service answers what went wrong: every refusal as JSON with its code and field
(in the request's language), never a traceback and never a value the client sent.

- :class:`ContactError` (a contact, an event, a FHIR resource that is not valid): 422
  with the problems as :meth:`ContactError.to_json` gives them, plus ``detail``: each
  problem's message for the client in the request's language; a CDS Hooks refusal keeps
  its own status (400 or 412).
- :class:`ArgumentError` and :class:`LedgerArgumentError` (an option or a ledger
  argument): 422 ``{error, code, field, message}``; a contact the ledger does not hold
  (``unknown-contact``): 404.
- :class:`LedgerUnavailableError` (the store is busy, locked or unreachable): 503 with
  ``Retry-After``; :class:`LedgerStoreError`: 500 ``ledger-store``.
- anything else: 500 ``internal-error``, logged by type only.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from .._text import LANGUAGES
from ..errors import (
    ArgumentError,
    ContactError,
    LedgerError,
    LedgerStoreError,
    LedgerUnavailableError,
)

__all__ = ["RETRY_AFTER_S", "language_of", "refusal"]

#: Seconds a client waits before trying again when the ledger cannot be used now.
RETRY_AFTER_S = 5

_LOG = logging.getLogger("oneContact.service")
# Refusals that say the thing asked about is not there: 404, not 422.
_NOT_FOUND = frozenset({"unknown-contact"})


def language_of(request: Request, default: str = "fi") -> str:
    """The language to answer in: ``?lang=``, else the first of fi, sv, en that
    ``Accept-Language`` names (in its order), else *default*."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return default


def _contact_body(error: ContactError, language: str) -> dict[str, object]:
    body = error.to_json()
    body["detail"] = [
        {"field": p.field, "code": p.code, "message": p.message_in(language)}
        for p in error.problems
    ]
    return body


def refusal(error: Exception, language: str) -> JSONResponse:
    """The response for *error* (see the module's docstring)."""
    if isinstance(error, ContactError):
        status = getattr(error, "status", 422)
        return JSONResponse(_contact_body(error, language), status_code=status)
    if isinstance(error, LedgerUnavailableError):
        return JSONResponse(
            {"error": "ledger unavailable", "code": error.code, "field": error.field},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if isinstance(error, LedgerStoreError):
        _LOG.error("ledger store error %s on %s", error.code, error.field)
        return JSONResponse({"error": "ledger store error", "code": error.code}, status_code=500)
    if isinstance(error, ArgumentError | LedgerError):
        return JSONResponse(
            {"error": "invalid request", "code": error.code, "field": error.field,
             "message": str(error)},
            status_code=404 if error.code in _NOT_FOUND else 422,
        )  # fmt: skip
    _LOG.error("internal error: %s", type(error).__name__)
    return JSONResponse({"error": "internal error", "code": "internal-error"}, status_code=500)
