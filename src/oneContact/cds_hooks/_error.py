"""The one error a CDS Hooks call is refused with, and how its problems are noted."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ContactError, ContactProblem

__all__ = ["BAD_REQUEST", "PRECONDITION_FAILED", "CdsHooksError", "Problems"]

#: The HTTP status of a request the service cannot use as it is.
BAD_REQUEST = 400
#: The HTTP status of a request without the prefetched data the service needs: CDS Hooks
#: 2.0 names 412 for it ("unable to retrieve the necessary FHIR data").
PRECONDITION_FAILED = 412


class CdsHooksError(ContactError):
    """A CDS Hooks request (a hook call or a feedback POST) the service cannot use.

    A :class:`~oneContact.ContactError`, so ``problems`` names every offending field
    (``context.patientId``, ``prefetch.questionnaireResponse``, ``feedback[2].card``, or
    the ``linkId`` of a questionnaire item the lead's reader names), and
    ``oneContact.fhir.operation_outcome(error)`` turns it into the FHIR OperationOutcome
    a host answers with. ``status`` is the HTTP status the host answers: 400 for a
    request it cannot read, 412 (Precondition Failed) when the prefetched data the
    service needs is missing or the CDS Client could not fetch it. No message repeats a
    value of the request: a value may be personal data or an access token.
    """

    def __init__(
        self,
        problems: Sequence[ContactProblem],
        *,
        status: int = BAD_REQUEST,
        title: str = "invalid CDS Hooks request",
    ) -> None:
        self.status = status
        super().__init__(problems, title=title)


class Problems:
    """Gathers the problems of one request, so that one answer names all of them."""

    def __init__(self) -> None:
        self.found: list[ContactProblem] = []
        self.status = BAD_REQUEST

    def add(self, field: str, message: str, code: str, *, suggestion: str | None = None) -> None:
        """Note one problem of *field*."""
        self.found.append(ContactProblem(field, message, code, suggestion=suggestion))

    def precondition(self, field: str, message: str, code: str) -> None:
        """Note that prefetched data the service needs is not there (HTTP 412, unless the
        request is also malformed: then 400 says what to fix first)."""
        self.add(field, message, code)
        self.status = PRECONDITION_FAILED

    def raise_if_any(self, title: str = "invalid CDS Hooks request") -> None:
        """Raise one :class:`CdsHooksError` holding every problem noted, if there is one."""
        if self.found:
            malformed = any(p.code not in _PRECONDITION_CODES for p in self.found)
            status = BAD_REQUEST if malformed else self.status
            raise CdsHooksError(self.found, status=status, title=title)


_PRECONDITION_CODES = frozenset({"prefetch-missing", "prefetch-failed"})
