"""The reference service's web application: :func:`create_app`.

Every blocking library call (assessing, the ledger) runs in the server's thread pool,
never on the event loop; the ledger's own bounded pool gives the database connections.
Each handler reads its JSON body within the first contact's limits (size, depth, numbers,
no key twice) and answers a refusal as :mod:`._errors` says; the FHIR and CDS Hooks
endpoints answer theirs as a FHIR OperationOutcome.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import cds_hooks
from ..errors import ArgumentError, ContactError, ContactProblem, parse_timestamp
from ..fhir import (
    bundle,
    contact_from_response,
    next_question,
    operation_outcome,
    questionnaire,
    subject_reference,
)
from ..intake import contact_json_schema, load_contact_json
from ._errors import language_of, refusal
from ._form import add_form_pages
from ._metrics import install_metrics
from ._pages import add_page_basics
from ._parts import DEFAULT_DB, Parts, ServiceConfig
from ._reload import Rules
from ._reports import add_report_routes
from ._team import add_team_pages
from ._worklist import MAX_PER_PAGE, read_query, worklist_page
from .decisions import install_decision_log

__all__ = [
    "CONFIG_VARIABLE",
    "DEFAULT_DB",
    "MAX_PER_PAGE",
    "ServiceConfig",
    "app_from_environment",
    "config_json",
    "create_app",
]

#: The environment variable ``onecontact serve`` hands each worker its configuration in
#: (JSON: the fields of :class:`ServiceConfig`).
CONFIG_VARIABLE = "ONECONTACT_SERVICE_CONFIG"


def app_from_environment() -> FastAPI:
    """The application of the configuration in :data:`CONFIG_VARIABLE`: what each worker
    process of ``onecontact serve --workers N`` builds (uvicorn's factory)."""
    raw: dict[str, Any] = json.loads(os.environ[CONFIG_VARIABLE])
    fields: dict[str, Any] = {
        name: Path(value) if name in _PATHS and value is not None else value
        for name, value in raw.items()
    }
    return create_app(ServiceConfig(**fields))


# The fields of ServiceConfig that are paths (JSON carries them as strings).
_PATHS = frozenset({"rules", "directory", "state"})


def config_json(config: ServiceConfig) -> str:
    """*config* as :func:`app_from_environment` reads it: every field, by name."""
    return json.dumps(
        {
            name: str(value) if isinstance(value, Path) else value
            for name, value in attrs.asdict(config).items()
        }
    )


def _now(text: str | None, field: str) -> datetime:
    if text is None:
        return datetime.now(UTC)
    return parse_timestamp(text, field)


def _object(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ContactError(
            [ContactProblem(what, "must be a JSON object", "contact-type")], title="invalid request"
        )
    return value


def create_app(config: ServiceConfig) -> FastAPI:
    """The service of *config* as an ASGI application (FastAPI): the JSON API, FHIR and
    CDS Hooks, health and readiness. Loading the rules or opening the ledger fails here,
    before the application serves anything."""
    if config.explain_url is not None:
        cds_hooks.check_explain_url(config.explain_url)  # refused before anything starts
    rules = Rules(config)  # the rules directory, else the last published snapshot
    parts = Parts(config, rules.start())
    ledger, base_url = parts.ledger, config.base_url
    engine = parts.engine  # the engine at start: titles and the OpenAPI document only
    app = FastAPI(
        title="oneContact",
        summary="First-contact assessment, routing and care-guarantee clocks",
        version=engine.digest[:12],
    )
    app.state.parts = parts
    contact_body = {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": contact_json_schema(engine.ruleset.questionnaire)}
            },
        }
    }

    async def answer(
        request: Request,
        work: Callable[[Any], Any],
        *,
        status: Callable[[Any], int] = lambda _: 200,
        fhir: bool = False,
    ) -> Response:
        """Run *work* on the request's JSON body (None for a GET) in the thread pool; its
        value as JSON, or its refusal (an OperationOutcome for *fhir*)."""
        language = language_of(request)
        try:
            data = None
            if request.method == "POST":
                data = load_contact_json(await request.body())
            value = await run_in_threadpool(work, data)
        except ContactError as error:
            if fhir:
                code = getattr(error, "status", 422)
                outcome = operation_outcome(error, language=language, base_url=base_url)
                return JSONResponse(outcome, status_code=code)
            return refusal(error, language)
        except Exception as error:
            return refusal(error, language)
        return JSONResponse(value, status_code=status(value))

    @app.get("/healthz", summary="The process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="The rules are loaded and the ledger can be read")
    async def readyz(request: Request) -> Response:
        def ready(_: None) -> dict[str, object]:
            ledger.events("readyz")  # a read of the store: unreachable raises
            return {
                "status": "ready",
                "ruleset_digest": parts.engine.digest,
                "ledger": "reachable",
                "worker": os.getpid(),
            }

        return await answer(request, ready)

    @app.post(
        "/assess", summary="Assess a first contact (nothing recorded)", openapi_extra=contact_body
    )
    async def assess(request: Request) -> Response:
        return await answer(request, lambda data: parts.assess(data).to_json())

    @app.post(
        "/contacts",
        summary="Assess and record a first contact (idempotent by contact id)",
        openapi_extra=contact_body,
        responses={201: {"description": "recorded"}, 200: {"description": "already recorded"}},
    )
    async def contacts(request: Request) -> Response:

        def record(data: Any) -> dict[str, Any]:
            assessment = parts.assess(data)
            recorded = ledger.record_assessment(assessment)
            return {"recorded": recorded, "assessment": assessment.to_json()}

        return await answer(request, record, status=lambda v: 201 if v["recorded"] else 200)

    @app.post("/contacts/{contact_id}/events", summary="Record an event of a contact")
    async def events(contact_id: str, request: Request) -> Response:

        def record(data: Any) -> dict[str, Any]:
            event = _object(data, "<body>")
            at = parse_timestamp(str(event.get("at", "")), "at")
            name, event_id = event.get("event"), event.get("event_id")
            if not isinstance(name, str) or not isinstance(event_id, str):
                raise ArgumentError("bad-argument", "event", "give 'event' and 'event_id' as text")
            recorded = ledger.record(contact_id, name, at=at, event_id=event_id)
            return {"recorded": recorded, "contact_id": contact_id, "event": name}

        return await answer(request, record, status=lambda v: 201 if v["recorded"] else 200)

    @app.get("/contacts/{contact_id}/clocks", summary="A contact's clocks as of now")
    async def clocks(contact_id: str, request: Request) -> Response:
        now_text = request.query_params.get("now")
        return await answer(
            request,
            lambda _: [c.to_json() for c in ledger.clocks(contact_id, now=_now(now_text, "now"))],
        )

    @app.get(
        "/worklist",
        summary="Clocks due and past due, breached first, filtered by unit, service, municipality, urgency, clock and status, paged",
    )
    async def worklist(request: Request) -> Response:
        query = request.query_params

        def page(_: None) -> dict[str, Any]:
            return worklist_page(ledger, read_query(query, parts.engine, parts.places)).to_json()

        return await answer(request, page)

    # ------------------------------------------------------------------ FHIR R4

    @app.get("/fhir/Questionnaire", summary="The questionnaire as an SDC Questionnaire")
    async def fhir_questionnaire(request: Request) -> Response:
        adaptive = request.query_params.get("adaptive") == "true"
        return await answer(
            request,
            lambda _: questionnaire(parts.engine.ruleset, base_url=base_url, adaptive=adaptive),
            fhir=True,
        )

    @app.post("/fhir/Questionnaire/$next-question", summary="SDC $next-question")
    async def fhir_next(request: Request) -> Response:
        return await answer(
            request,
            lambda data: next_question(parts.engine, _object(data, "<body>"), base_url=base_url),
            fhir=True,
        )

    @app.post("/fhir/$assess", summary="A QuestionnaireResponse or a contact in, a Bundle out")
    async def fhir_assess(request: Request) -> Response:

        def assessed(data: Any) -> dict[str, Any]:
            engine = parts.engine  # one engine for the whole request, even across a reload
            found = _object(data, "<body>")
            subject = None
            if found.get("resourceType") == "QuestionnaireResponse":
                contact: Any = contact_from_response(found, engine.ruleset, base_url=base_url)
                subject = subject_reference(found)
            else:
                contact = engine.validate(found)
            return bundle(
                parts.assess(contact, engine), engine.ruleset, subject=subject, base_url=base_url
            )

        return await answer(request, assessed, fhir=True)

    # ------------------------------------------------------------------ CDS Hooks

    @app.get("/cds-services", summary="CDS Hooks discovery")
    async def cds_discovery() -> dict[str, Any]:
        return cds_hooks.discovery(base_url=base_url)

    @app.post("/cds-services/{service_id}", summary="CDS Hooks: the first-contact service")
    async def cds_service(service_id: str, request: Request) -> Response:

        def hook(data: Any) -> dict[str, Any]:
            engine = parts.engine  # one engine for the whole request, even across a reload
            return cds_hooks.service(
                engine,
                _object(data, "<body>"),
                ledger=ledger,
                now=datetime.now(UTC),
                explain_url=config.explain_url,
                base_url=base_url,
                assess=lambda contact, now: parts.assess(contact, engine, now=now),
            )

        return await answer(request, hook, fhir=True)

    @app.post("/cds-services/{service_id}/feedback", summary="CDS Hooks feedback")
    async def cds_feedback(service_id: str, request: Request) -> Response:
        return await answer(
            request,
            lambda data: {
                "recorded": cds_hooks.feedback(ledger, _object(data, "<body>"), base_url=base_url)
            },
            fhir=True,
        )

    add_page_basics(app, parts)
    add_report_routes(app, parts)
    add_form_pages(app, parts)
    add_team_pages(app, parts)
    rules.on_swap.append(install_metrics(app, parts).serving)
    install_decision_log(parts)
    rules.install(app, parts)
    return app
