"""The service's Prometheus metrics, served at ``GET /metrics``.

- ``onecontact_assessments_total{urgency}``: assessments made, by urgency;
- ``onecontact_assessment_seconds``: how long the library took to assess (histogram);
- ``onecontact_http_request_seconds{route, method, status}``: request latency by route
  template (``/contacts/{contact_id}/clocks``, never the path a client sent: contact ids
  are in paths; ``<unmatched>`` for a path no route has);
- ``onecontact_errors_total{code}``: refusals by their code (the library's codes, e.g.
  ``contact-conflict``, a FHIR OperationOutcome's problem codes; ``http-<status>`` when
  the answer names none);
- ``onecontact_ruleset_workers{digest}``: the worker processes serving each ruleset digest
  (1 in a single process; after a reload every worker on the new digest).

No label holds personal data: labels are urgencies, route templates, methods, statuses,
the library's codes and ruleset digests. Under ``onecontact serve`` the numbers cover
every worker: prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, a
directory serve makes empty and hands down); the files of workers that are gone are
marked dead when ``/metrics`` is read. Without it (a host mounting ``create_app``, tests
in one process) each application counts in its own registry.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from time import perf_counter
from typing import Any

from fastapi import FastAPI
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    values,
)
from prometheus_client.exposition import choose_encoder
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..assessment import Assessment
from ._parts import Parts, process_alive

__all__ = ["MULTIPROCESS_VARIABLE", "Metrics", "install_metrics"]

#: The environment variable prometheus_client's multiprocess mode reads its directory from.
MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# An error code as a label: the library's codes only (anything else is counted by status).
_CODE = re.compile(r"[a-z][a-z0-9_.-]{0,47}")
# The most bytes of an error's body read to find its code.
_ERROR_BODY_LIMIT = 64 * 1024
# Latency buckets (seconds): a contact assessed in ~1 ms, a page within ~300 ms.
_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10)
_ASSESS_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)


def _multiprocess_dir() -> Path | None:
    """The multiprocess directory when prometheus_client counts in it (the variable was
    set before it was imported), else None."""
    path = os.environ.get(MULTIPROCESS_VARIABLE)
    if not path or values.ValueClass is values.MutexValue:
        return None
    return Path(path)


class Metrics:
    """The metrics of one application (see the module's docstring): told of each
    assessment (an :data:`~._parts.Observer`), of each answered request, and of the
    ruleset digest the process serves."""

    def __init__(self) -> None:
        self.directory = _multiprocess_dir()
        self.registry = CollectorRegistry()
        self.assessments = Counter(
            "onecontact_assessments",
            "First contacts assessed, by urgency",
            ["urgency"],
            registry=self.registry,
        )
        self.assessment_seconds = Histogram(
            "onecontact_assessment_seconds",
            "Seconds the library took to assess one first contact",
            buckets=_ASSESS_BUCKETS,
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "onecontact_http_request_seconds",
            "Seconds from a request to its answer, by route template, method and status",
            ["route", "method", "status"],
            buckets=_REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "onecontact_errors",
            "Refused or failed requests, by the code of the answer",
            ["code"],
            registry=self.registry,
        )
        self.ruleset = Gauge(
            "onecontact_ruleset_workers",
            "Worker processes serving each ruleset digest",
            ["digest"],
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        self._digest: str | None = None

    def __call__(self, assessment: Assessment, seconds: float) -> None:
        """Count *assessment*, which took *seconds* (an observer of the service)."""
        self.assessments.labels(assessment.urgency).inc()
        self.assessment_seconds.observe(seconds)

    def serving(self, digest: str) -> None:
        """This process now serves the ruleset *digest*."""
        if digest == self._digest:
            return
        if self._digest is not None:
            self.ruleset.labels(self._digest).set(0)
        self.ruleset.labels(digest).set(1)
        self._digest = digest

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.request_seconds.labels(route, method, str(status)).observe(seconds)

    def error(self, codes: Iterable[str]) -> None:
        """Count one refusal under each of its *codes*."""
        for code in codes:
            self.errors.labels(code).inc()

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The metrics in the format *accept* (an ``Accept`` header) asks for (the
        Prometheus text format, or OpenMetrics), and its content type: every worker's
        numbers under ``onecontact serve``, this application's otherwise."""
        encode, content_type = choose_encoder(accept)
        if self.directory is None:
            return encode(self.registry), content_type
        self._forget_the_dead()
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(self.directory))  # type: ignore[no-untyped-call]
        return encode(registry), content_type

    def _forget_the_dead(self) -> None:
        """Mark the workers that are gone dead (their live gauges no longer count)."""
        assert self.directory is not None
        for file in self.directory.glob("gauge_live*_*.db"):
            pid = file.stem.rsplit("_", 1)[-1]
            if pid.isdigit() and not process_alive(int(pid)):
                multiprocess.mark_process_dead(int(pid), str(self.directory))  # type: ignore[no-untyped-call]


def error_codes(status: int, body: bytes) -> list[str]:
    """The codes a refusal's JSON *body* names (its ``code``, its problems' codes, an
    OperationOutcome's issues' codes), each once; ``http-<status>`` when it names none."""
    found: list[str] = []
    try:
        data: Any = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        candidates: list[Any] = [data.get("code")]
        for problem in data.get("problems") or []:
            if isinstance(problem, dict):
                candidates.append(problem.get("code"))
        for issue in data.get("issue") or []:
            details = issue.get("details") if isinstance(issue, dict) else None
            for coding in (details or {}).get("coding") or []:
                if isinstance(coding, dict):
                    candidates.append(coding.get("code"))
        for code in candidates:
            if isinstance(code, str) and _CODE.fullmatch(code) and code not in found:
                found.append(code)
    return found or [f"http-{status}"]


class MetricsMiddleware:
    """Times every HTTP request and counts every refusal (status 400 and over)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500
        body = bytearray()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and status >= 400:
                body.extend(message.get("body", b"")[: _ERROR_BODY_LIMIT - len(body)])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            seconds = perf_counter() - started
            self.metrics.request(template, scope["method"], status, seconds)
            if status >= 400:
                self.metrics.error(error_codes(status, bytes(body)))


def install_metrics(app: FastAPI, parts: Parts) -> Metrics:
    """Count *parts*' assessments and *app*'s requests, and serve ``GET /metrics``."""
    metrics = Metrics()
    parts.observers.append(metrics)
    metrics.serving(parts.engine.digest)
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.get("/metrics", summary="Prometheus metrics (every worker's)", include_in_schema=True)
    def metrics_page(request: Request) -> Response:
        body, content_type = metrics.exposition(request.headers.get("accept", ""))
        return Response(body, headers={"content-type": content_type})

    app.state.metrics = metrics
    return metrics
