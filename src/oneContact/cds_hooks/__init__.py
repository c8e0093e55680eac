"""CDS Hooks 2.0: oneContact's decision in a record system, and the professional's answer.

Pure functions a web framework mounts (HL7 CDS Hooks 2.0, https://cds-hooks.hl7.org):

- :func:`discovery` is the body of ``GET {base}/cds-services``: one service,
  :data:`SERVICE_ID`, offered on the hooks of :data:`HOOKS`;
- :func:`service` answers ``POST {base}/cds-services/onecontact-first-contact``: it reads
  the prefetched QuestionnaireResponse (the client's first-contact form) and Patient,
  assesses the contact, records it in the ledger when given one, and returns the cards;
- :func:`feedback` takes ``POST {base}/cds-services/onecontact-first-contact/feedback``
  and records each accepted or overridden suggestion in the ledger.

Why two hooks: ``encounter-start`` is the moment a first contact is handled (the
client checks in, or the phone call or chat begins), so the professional sees the
proposal when they decide what happens in the encounter; ``patient-view`` (mature in
the specification, supported by every CDS Client) covers record systems that lack
``encounter-start`` and a professional who opens the record to handle a form sent
online. Both are offered under one service id, which CDS Hooks allows, so a client that
calls both replaces the older cards. The cards carry the suggestion ids of
:mod:`oneContact.suggestions`; a refused request raises :class:`CdsHooksError`, whose
``status`` is the HTTP status to answer (400, or 412 when the prefetch is missing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from .._messages import reading_language
from .._text import LANGUAGES
from ..errors import (
    ArgumentError,
    ContactError,
    ContactProblem,
    LedgerArgumentError,
    LedgerError,
)
from ..fhir import DEFAULT_BASE_URL, canonical_url, contact_from_response
from ..suggestions import Feedback, Suggestion
from ._cards import (
    INDICATORS,
    SOURCE_LABEL,
    RecordedContact,
    cards_of,
    override_reason_system,
    recorded_cards_of,
    ruleset_system,
)
from ._error import BAD_REQUEST, PRECONDITION_FAILED, CdsHooksError
from ._feedback import MAX_FEEDBACK, feedback_event_id, read_feedback, read_located
from ._request import (
    HOOK_CONTEXT,
    PATIENT_ELEMENTS,
    PREFETCH_PATIENT,
    PREFETCH_RESPONSE,
    read_request,
)

if TYPE_CHECKING:
    from ..assessment import Assessment
    from ..engine import Engine
    from ..intake import FirstContact
    from ..ledger import ContactSummary, LedgerClock

__all__ = [
    "BAD_REQUEST",
    "HOOKS",
    "HOOK_CONTEXT",
    "INDICATORS",
    "MAX_FEEDBACK",
    "PATIENT_ELEMENTS",
    "PRECONDITION_FAILED",
    "PREFETCH_PATIENT",
    "PREFETCH_RESPONSE",
    "SERVICE_ID",
    "SOURCE_LABEL",
    "AssessmentRecorder",
    "CdsHooksError",
    "FeedbackRecorder",
    "cards",
    "check_explain_url",
    "discovery",
    "feedback",
    "feedback_event_id",
    "override_reason_system",
    "read_feedback",
    "ruleset_system",
    "service",
]

#: The id of the service: its endpoint is ``{base}/cds-services/onecontact-first-contact``.
SERVICE_ID = "onecontact-first-contact"
#: The hooks the service is offered on (see the module's docstring for why these two).
HOOKS: tuple[str, ...] = ("encounter-start", "patient-view")


class AssessmentRecorder(Protocol):
    """What :func:`service` needs of a ledger: :meth:`Ledger.record_assessment`,
    :meth:`Ledger.clocks` for the clocks as the team's recorded events leave them, and
    :meth:`Ledger.contact_summaries` and :meth:`Ledger.suggestions` for a contact it
    holds from another assessment."""

    def record_assessment(self, assessment: Assessment) -> bool: ...

    def clocks(self, contact_id: str, *, now: datetime) -> Sequence[LedgerClock]: ...

    def contact_summaries(self, contact_ids: Iterable[str]) -> Mapping[str, ContactSummary]: ...

    def suggestions(self, contact_id: str) -> Sequence[Suggestion]: ...


class FeedbackRecorder(Protocol):
    """What :func:`feedback` needs of a ledger: ``Ledger.record_feedback_many`` (all of
    one POST in one transaction, or none)."""

    def record_feedback_many(self, feedback: Iterable[Feedback]) -> int: ...


def discovery(
    *, hooks: Collection[str] = HOOKS, base_url: str = DEFAULT_BASE_URL
) -> dict[str, Any]:
    """The discovery document (``GET {base}/cds-services``): the first-contact service
    once for each hook of *hooks*, with the prefetch templates of the Patient and of the
    client's latest finished first-contact form (a QuestionnaireResponse of the
    questionnaire ``oneContact.fhir.canonical_url(base_url)``)."""
    chosen = _hooks(hooks)
    response_query = (
        "QuestionnaireResponse?patient={{context.patientId}}"
        f"&questionnaire={quote(canonical_url(base_url), safe=':/')}"
        "&status=completed&_sort=-authored&_count=1"
    )
    return {
        "services": [
            {
                "hook": hook,
                "title": "oneContact first contact",
                "description": (
                    "Proposes the urgency, the services and the care-guarantee clocks of a "
                    "client's first contact from their first-contact form, with the rules "
                    "that made each proposal; the professional decides."
                ),
                "id": SERVICE_ID,
                "prefetch": {
                    PREFETCH_PATIENT: "Patient/{{context.patientId}}",
                    PREFETCH_RESPONSE: response_query,
                },
                "usageRequirements": (
                    "Needs the prefetched QuestionnaireResponse of the oneContact "
                    "questionnaire (without it the service answers 412) and the Patient "
                    "(birth date, language, municipality; identifiers, names and contact "
                    "details are dropped on arrival). Send feedback to "
                    f"cds-services/{SERVICE_ID}/feedback: overrides teach the rules."
                ),
            }
            for hook in chosen
        ]
    }


def _hooks(hooks: Collection[str]) -> tuple[str, ...]:
    if isinstance(hooks, str) or not hooks or any(h not in HOOK_CONTEXT for h in hooks):
        raise ArgumentError(
            "bad-argument", "hooks", f"must be a non-empty list of {', '.join(HOOKS)}"
        )
    return tuple(h for h in HOOKS if h in hooks)


def _language(language: str | None) -> str | None:
    """*language* when it is one of fi, sv and en (None: the client's, chosen later)."""
    if language is not None and language not in LANGUAGES:
        raise ArgumentError("bad-argument", "language", f"must be one of {', '.join(LANGUAGES)}")
    return language


def _reading(language: str | None, assessment: Assessment) -> str:
    return reading_language(assessment.language) if language is None else language


def check_explain_url(template: str) -> str:
    """*template* when it can be the cards' link to the explanation: an absolute http(s)
    URL with one ``{contact_id}`` placeholder (e.g. ``https://host/explain/{contact_id}``);
    else :class:`~oneContact.ArgumentError` (``bad-argument`` on ``explain_url``)."""
    checked = _explain_url(template)
    if checked is None:
        raise ArgumentError("bad-argument", "explain_url", _EXPLAIN_URL)
    return checked


_EXPLAIN_URL = (
    "must be an absolute http(s) URL with one {contact_id} placeholder, e.g. "
    "https://host/explain/{contact_id}"
)


def _explain_url(template: str | None) -> str | None:
    if template is None:
        return None
    if (
        not isinstance(template, str)
        or not template.startswith(("https://", "http://"))
        or template.count("{contact_id}") != 1
        or template.replace("{contact_id}", "").count("{")
    ):
        raise ArgumentError("bad-argument", "explain_url", _EXPLAIN_URL)
    return template


def cards(
    engine: Engine,
    assessment: Assessment,
    *,
    language: str | None = None,
    subject: dict[str, Any] | None = None,
    explain_url: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> list[dict[str, Any]]:
    """The CDS Hooks cards of *assessment* (made by *engine*): a card for the urgency, one
    for each route (its suggestion's action creates the route's ServiceRequest, with
    *subject* as its subject), one information card for each clock. The texts are in
    *language* (fi, sv or en; by default the client's, Finnish for another language).
    *explain_url* (``https://host/explain/{contact_id}``) adds a link to the
    explanation to the urgency and route cards."""
    return cards_of(
        assessment,
        engine.ruleset,
        language=_reading(_language(language), assessment),
        subject=subject,
        explain_url=_explain_url(explain_url),
        base_url=base_url,
    )


def service(
    engine: Engine,
    request: Mapping[str, Any],
    *,
    ledger: AssessmentRecorder | None = None,
    language: str | None = None,
    now: datetime | None = None,
    explain_url: str | None = None,
    hooks: Collection[str] = HOOKS,
    base_url: str = DEFAULT_BASE_URL,
    assess: Callable[[FirstContact, datetime | None], Assessment] | None = None,
) -> dict[str, Any]:
    """The CDS Hooks response (``{"cards": [...]}``) to the hook call *request*.

    The prefetched QuestionnaireResponse becomes a first contact
    (``oneContact.fhir.contact_from_response``, with the Patient beside it), *engine*
    assesses it as of *now*, *ledger* (when given) records the assessment so that
    feedback can name its suggestions, and :func:`cards` answers; with a *ledger* and
    *now*, the clock cards are the ledger's clocks as of *now* (stopped by the events the
    team recorded since), not the form's alone. A client with no
    finished form (the prefetch is null, or holds none) gets ``{"cards": []}``.
    *assess* ``(contact, now)``, when given, assesses instead of ``engine.assess`` (a
    service that logs and counts each assessment); it must assess with *engine*.

    A contact the *ledger* holds from another assessment (the rules changed since it
    was recorded, or its form did) keeps that record: the cards are then the recorded
    suggestions and the ledger's clocks, after an information card saying so and what
    the current rules propose (a route card then has no action: the ledger keeps the
    route's service, not its unit, member and slot).

    Raises :class:`CdsHooksError` (a :class:`~oneContact.ContactError`) naming every
    problem of the request or of the form (by ``linkId``), with ``status`` 400, or 412
    when the form was not prefetched; a ledger that refuses raises its LedgerError.
    """
    explain = _explain_url(explain_url)
    chosen = _language(language)  # the host's arguments first: nothing is recorded then
    read = read_request(request, _hooks(hooks))
    if read.response is None:
        return {"cards": []}
    try:
        contact = contact_from_response(
            read.response, engine.ruleset, patient=read.patient, base_url=base_url
        )
        assessment = engine.assess(contact, now=now) if assess is None else assess(contact, now)
    except CdsHooksError:
        raise
    except ContactError as error:
        raise CdsHooksError(error.problems, title="invalid first-contact form") from None
    clocks = None
    if ledger is not None:
        try:
            ledger.record_assessment(assessment)
        except LedgerError as error:
            if error.code != "contact-conflict":
                raise
            # The ledger holds this contact from another assessment (the rules changed
            # since, or the form did): that record stands, and its proposals are the
            # ones a professional answers.
            return {
                "cards": recorded_cards_of(
                    _recorded(ledger, assessment.contact_id, now),
                    assessment,
                    engine.ruleset,
                    language=_reading(chosen, assessment),
                    explain_url=explain,
                    base_url=base_url,
                )
            }
        if now is not None and now >= assessment.received_at:
            # The clocks as the events recorded since leave them (need_assessed, ...):
            # the form alone would call a clock the team met "breached".
            clocks = [found.clock for found in ledger.clocks(assessment.contact_id, now=now)]
    return {
        "cards": cards_of(
            assessment,
            engine.ruleset,
            language=_reading(chosen, assessment),
            subject={"reference": f"Patient/{read.patient_id}"},
            explain_url=explain,
            base_url=base_url,
            clocks=clocks,
        )
    }


def _recorded(ledger: AssessmentRecorder, contact_id: str, now: datetime | None) -> RecordedContact:
    """What *ledger* holds of the contact: its suggestions and its clocks as of *now*
    (as of its receipt when *now* is None or earlier)."""
    summary = ledger.contact_summaries([contact_id])[contact_id]
    at = summary.received_at if now is None or now < summary.received_at else now
    # In the order the first cards gave them: the urgency, then the routes in route order.
    place = {service: index for index, service in enumerate(dict.fromkeys(summary.services))}
    suggestions = sorted(
        ledger.suggestions(contact_id),
        key=lambda s: (s.kind != "urgency", place.get(s.value, len(place)), s.value),
    )
    return RecordedContact(
        contact_id,
        summary.received_at,
        summary.ruleset_digest,
        tuple(suggestions),
        tuple(found.clock for found in ledger.clocks(contact_id, now=at)),
    )


def feedback(
    ledger: FeedbackRecorder, request: Mapping[str, Any], *, base_url: str = DEFAULT_BASE_URL
) -> int:
    """Record the feedback POST *request* in *ledger*; return how many feedback values
    were new (a retried POST records nothing again and returns 0).

    Each accepted suggestion is a ``suggestion_accepted`` event, each overridden card a
    ``suggestion_overridden`` event with its coded reason; ``userComment`` is never read.
    All of the POST is recorded in one transaction, or nothing. Raises
    :class:`CdsHooksError` (status 400) naming every problem of the request, or the
    entry the ledger refused (a card no recorded assessment made: ``unknown-suggestion``);
    a ledger that cannot be used now raises its ``LedgerUnavailableError`` (answer 503).
    """
    located = read_located(request, override_reason_system(base_url))
    try:
        return ledger.record_feedback_many([value for value, _ in located])
    except LedgerError as error:
        if not isinstance(error, LedgerArgumentError) and error.code not in _REFUSED:
            raise
        refused = error
    raise CdsHooksError(
        [_ledger_problem(refused, [where for _, where in located])],
        title="invalid CDS Hooks feedback",
    )


_POSITION = re.compile(r"feedback\[(\d+)\]\.?(\w*)")

#: What the client is told when the ledger refuses an entry, by the ledger's code (a
#: LedgerError of another code is the ledger's own trouble and is raised as it is).
_REFUSED = {
    "unknown-suggestion": (
        "is no card or suggestion of an assessment this service recorded; send the uuid "
        "of a card (or suggestion) it returned"
    ),
    "event-id-conflict": (
        "is already recorded with another override reason at the same outcomeTimestamp; "
        "send a new outcomeTimestamp for a changed answer"
    ),
    "before-contact": (
        "is before the client's contact was received; send the time of the answer, in UTC"
    ),
}
#: The request's field of a value's part the ledger names (the rest: the value's origin).
_PARTS = {"at": "outcomeTimestamp", "reason": "overrideReason.reason"}


def _ledger_problem(error: LedgerError, fields: Sequence[str]) -> ContactProblem:
    """The ledger's refusal of ``feedback[i]`` (a value) as a problem of the request's
    field that value came from."""
    found = _POSITION.match(error.field)
    field = "feedback"
    if found is not None and int(found.group(1)) < len(fields):
        field = fields[int(found.group(1))]
        if found.group(2) in _PARTS:
            field = f"{field.split('.', 1)[0]}.{_PARTS[found.group(2)]}"
    message = _REFUSED.get(error.code, str(error).partition(": ")[2])
    return ContactProblem(field, message, error.code, suggestion=error.suggestion)
