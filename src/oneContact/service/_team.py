"""The team's pages: the worklist (``GET /team/worklist``), a contact's decision page
(``GET /team/contacts/{id}``) and recording from them (``POST
/team/contacts/{id}/events``, ``POST /team/contacts/{id}/feedback``).

A team is a unit of the directory (see :mod:`._worklist`). Every ledger call runs in the
thread pool. A form POST is answered by Post/Redirect/Get: a redirect (303) to the page
it came from with a notice (``recorded`` / ``already``); a refusal re-renders the page
with the error next to its field (422) and records nothing. Each form carries an event id
made when the page was rendered, so a double submit records once. A POST whose
``Origin`` (else ``Referer``) is not this service's host is refused (403): the pages
have no users of their own and must sit behind the region's sign-in.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .._messages import status_name, urgency_name
from .._text import LANGUAGES
from ..clocks import HELSINKI, STANDARD_EVENTS
from ..engine import Engine
from ..errors import ArgumentError, LedgerError, LedgerUnavailableError, parse_timestamp
from ..ruleset.model import URGENCY_LEVELS
from ..suggestions import OVERRIDE_REASONS, SUGGESTION_EVENTS, Feedback, Outcome
from ._errors import RETRY_AFTER_S, language_of
from ._pages import page
from ._parts import Parts
from ._team_texts import EVENT_NAMES, TEAM_TEXTS
from ._worklist import (
    DEFAULT_PER_PAGE,
    STATUSES,
    WorklistQuery,
    read_query,
    worklist_page,
)

__all__ = ["TEAM_EVENTS", "add_team_pages"]

#: The events the contact page offers (besides the stop events of its running clocks).
TEAM_EVENTS = ("need_assessed", "care_started", "offer_declined", "withdrawn")
_FORM_BYTES = 16 * 1024
_EVENT_ID = re.compile(r"team-[0-9a-f]{32}")
_NOTICES = ("recorded", "already")
_LANGS = frozenset(("lang", code) for code in LANGUAGES)


def _new_event_id() -> str:
    return f"team-{uuid.uuid4().hex}"


def _same_origin(request: Request) -> bool:
    """Whether the POST came from a page of this service (its Origin, else its Referer,
    names the host the request was sent to)."""
    host = request.headers.get("host")
    source = request.headers.get("origin") or request.headers.get("referer")
    if not host or not source or source == "null":
        return False
    return urlsplit(source).netloc == host


async def _form(request: Request) -> dict[str, str]:
    """The POST's url-encoded form (each field's first value); bigger than a form gets: empty."""
    body = await request.body()
    if len(body) > _FORM_BYTES:
        return {}
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items()}


def _local_time(text: str) -> datetime:
    """A ``datetime-local`` value in Finnish time (or an ISO time with its offset)."""
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentError("bad-timestamp", "at", "give yyyy-mm-ddThh:mm") from None
    return found.replace(tzinfo=HELSINKI) if found.tzinfo is None else found


def _names(engine: Engine, language: str) -> dict[str, Any]:
    """How the pages name codes in *language*: services, clocks, urgencies, events."""
    ruleset = engine.ruleset
    services = ruleset.catalogue.services
    policies = ruleset.policies

    def service(code: str) -> str:
        found = services.get(code)
        return code if found is None else found.name.get(language)

    def clock(code: str) -> str:
        described = policies.description(code) if code in policies.clock_ids else None
        return code if described is None else described.get(language)

    def event(code: str) -> str:
        found = EVENT_NAMES.get(code)
        return code if found is None else found[language]

    return {
        "service_name": service,
        "clock_name": clock,
        "event_name": event,
        "urgency_name": lambda code: urgency_name(code, language),
        "status_name": lambda code: status_name(code, language),
    }


def _error_text(error: Exception, words: Mapping[str, Mapping[str, str]], language: str) -> str:
    code = getattr(error, "code", "")
    key = {
        "unknown-value": "bad_value",
        "bad-argument": "bad_number",
        "bad-timestamp": "bad_time",
        "naive-timestamp": "bad_time",
        "timestamp-out-of-range": "bad_time",
        "before-contact": "before_contact",
        "event-id-conflict": "conflict",
        "unknown-suggestion": "choose_suggestion",
        "unknown-override-reason": "choose_reason",
    }.get(code, "bad_value")
    shown = words[key][language]
    hint = getattr(error, "suggestion", None)
    if code == "unknown-value" and hint:
        shown += " " + words["did_you_mean"][language].format(x=hint)
    return shown


def add_team_pages(app: FastAPI, parts: Parts) -> None:
    """The team's worklist and contact pages, and the forms that record from them."""
    ledger = parts.ledger

    def unavailable(request: Request) -> Response:
        answer = page(
            request, "team_message.html", TEAM_TEXTS, status=503, links="/team/worklist",
            title_key="unavailable_title", body_key="unavailable",
        )  # fmt: skip
        answer.headers["Retry-After"] = str(RETRY_AFTER_S)
        return answer

    def clean_back(back: str) -> str:
        """*back* as a worklist address made again from its checked values; "" when it is
        not a worklist address of this service or a value in it is not one it knows (so
        no text a client typed is ever repeated, and never another site)."""
        split = urlsplit(back)
        if split.scheme or split.netloc or split.path != "/team/worklist":
            return ""
        params = {k: v[0] for k, v in parse_qs(split.query).items()}
        if params.get("lang", "fi") not in LANGUAGES:
            return ""
        try:
            query = read_query(params, parts.engine, parts.places)
        except (ArgumentError, LedgerError):
            return ""
        return _worklist_address(query, params, page=str(query.page))

    def missing(request: Request) -> Response:
        return page(
            request, "team_message.html", TEAM_TEXTS, status=404, links="/team/worklist",
            title_key="missing_title", body_key="missing",
        )  # fmt: skip

    @app.get("/team/worklist", include_in_schema=False)
    async def worklist(request: Request) -> Response:
        language = language_of(request)
        served = parts.served  # one engine and its places for the whole request
        engine, places = served.engine, served.places
        params = request.query_params
        errors: dict[str, str] = {}
        found = None
        try:
            query = read_query(params, engine, places)
            found = await run_in_threadpool(worklist_page, ledger, query)
        except LedgerUnavailableError:
            return unavailable(request)
        except (ArgumentError, LedgerError) as error:
            errors[getattr(error, "field", "")] = _error_text(error, TEAM_TEXTS, language)
            query = WorklistQuery(now=datetime.now(UTC))
        checked = {} if errors else params

        def link(number: int) -> str:
            return _worklist_address(query, checked, page=str(number))

        here = _worklist_address(query, checked, page=str(query.page))
        contact_query = urlencode(
            {"lang": language, **({"now": params["now"]} if "now" in checked else {})}
        )
        ruleset = engine.ruleset
        options = {
            "unit": list(places.units.items()),
            "service": sorted(
                ((c, s.name.get(language)) for c, s in ruleset.catalogue.services.items()),
                key=lambda pair: pair[1].lower(),
            ),
            "municipality": list(places.municipalities.items()),
            "urgency": [(u, urgency_name(u, language)) for u in URGENCY_LEVELS],
            "clock": sorted(
                (
                    (c, _names(engine, language)["clock_name"](c))
                    for c in ruleset.policies.clock_ids
                ),
                key=lambda pair: pair[1].lower(),
            ),
            "status": [(s, status_name(s, language)) for s in STATUSES],
        }
        return page(
            request, "team_worklist.html", TEAM_TEXTS,
            status=422 if errors else 200,
            links=here,
            found=found, query=query, errors=errors, options=options,
            chosen={name: params.get(name, "") for name in options},
            within=str(query.within) if not errors else "",
            link=link, here=here, contact_query=contact_query,
            notice=params.get("notice") if params.get("notice") in _NOTICES else None,
            new_event_id=_new_event_id, places=places, **_names(engine, language),
        )  # fmt: skip

    async def contact_page(
        request: Request,
        contact_id: str,
        *,
        errors: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> Response:
        language = language_of(request)
        served = parts.served
        engine, places = served.engine, served.places
        now_text = request.query_params.get("now")

        def read() -> dict[str, Any] | None:
            now = datetime.now(UTC) if not now_text else parse_timestamp(now_text, "now")
            summaries = ledger.contact_summaries([contact_id])
            if contact_id not in summaries:
                return None
            return {
                "summary": summaries[contact_id],
                "clocks": ledger.clocks(
                    contact_id, now=max(now, summaries[contact_id].received_at)
                ),
                "events": ledger.events(contact_id),
                "suggestions": ledger.suggestions(contact_id),
                "answers": ledger.answers(contact_id),
            }

        try:
            found = await run_in_threadpool(read)
        except LedgerUnavailableError:
            return unavailable(request)
        except (ArgumentError, LedgerError):
            return missing(request)
        if found is None:
            return missing(request)
        rules = {rule.id: rule for rule in engine.ruleset.rules}
        running = [c for c in found["clocks"] if c.status in STATUSES]
        offered = list(TEAM_EVENTS)
        for clock in running:
            offered += [e for e in clock.clock.stops_on if e not in offered]
        form = form or {}
        back = clean_back(form.get("back") or "")
        notice = request.query_params.get("notice")
        return page(
            request, "team_contact.html", TEAM_TEXTS,
            status=422 if errors else 200,
            links=f"/team/contacts/{contact_id}?" + urlencode({"now": now_text} if now_text else {}),
            contact_id=contact_id, errors=errors or {}, form=form, offered=offered,
            units=list(dict.fromkeys(found["summary"].units)),
            notice=notice if notice in _NOTICES and not errors else None,
            reasons=[(code, label.get(language)) for code, label in OVERRIDE_REASONS.items()],
            reason_name=lambda code: (
                OVERRIDE_REASONS[code].get(language) if code in OVERRIDE_REASONS else ""
            ),
            rule_of=rules.get, places=places, event_id=form.get("event_id") or _new_event_id(),
            new_event_id=_new_event_id,
            feedback_id=form.get("feedback_id") or _new_event_id(),
            back=back,
            local=lambda at: at.astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M"),
            **found, **_names(engine, language),
        )  # fmt: skip

    @app.get("/team/contacts/{contact_id}", include_in_schema=False)
    async def contact(contact_id: str, request: Request) -> Response:
        return await contact_page(request, contact_id)

    def redirect(
        request: Request, contact_id: str, form: Mapping[str, str], recorded: bool
    ) -> Response:
        notice = "recorded" if recorded else "already"
        back = clean_back(form.get("back", ""))
        if back:
            target = back + "&" + urlencode({"notice": notice})
        else:
            target = f"/team/contacts/{contact_id}?" + urlencode(
                {"lang": language_of(request), "notice": notice}
            )
        return RedirectResponse(target, status_code=303)

    async def recording(request: Request, contact_id: str, check: Any, write: Any) -> Response:
        """The POST: refused cross-site (403); *check* the form (field -> error key);
        *write* it in the thread pool; a redirect, or the contact page with errors."""
        language = language_of(request)
        if not _same_origin(request):
            return page(
                request, "team_message.html", TEAM_TEXTS, status=403, links="/team/worklist",
                title_key="refused_title", body_key="refused",
            )  # fmt: skip
        form = await _form(request)
        errors = {f: TEAM_TEXTS[k][language] for f, k in check(form).items()}
        if not errors:
            try:
                recorded = await run_in_threadpool(write, form)
                return redirect(request, contact_id, form, bool(recorded))
            except LedgerUnavailableError:
                return unavailable(request)
            except (ArgumentError, LedgerError) as error:
                if getattr(error, "code", "") == "unknown-contact":
                    return missing(request)
                field = getattr(error, "field", "")
                field = field if field in ("at", "event", "reason", "suggestion") else "form"
                errors = {field: _error_text(error, TEAM_TEXTS, language)}
        return await contact_page(request, contact_id, errors=errors, form=form)

    def recordable() -> frozenset[str]:
        return frozenset(STANDARD_EVENTS) - {"contact_received"} | frozenset(
            parts.engine.ruleset.policies.events
        ) - {"contact_received", "suggestion_accepted", "suggestion_overridden"}

    def once(contact_id: str, event_id: str, event: str, write: Callable[[], bool]) -> bool:
        """*write* unless the form's event id is stored already as the same *event*
        (a form sent twice: its time "now" differs between the two, so the ledger's own
        idempotence, which compares the time too, would call it a conflict)."""

        def stored() -> bool:
            for found in ledger.events(contact_id):
                if found.event_id == event_id:
                    if found.event != event:
                        raise LedgerError("event-id-conflict", "form", "form used already")
                    return True
            return False

        if stored():
            return False
        try:
            return write()
        except LedgerError as error:
            if error.code == "event-id-conflict" and stored():
                return False  # the other of two simultaneous sends
            raise

    def at_of(form: Mapping[str, str]) -> datetime:
        text = form.get("at", "").strip()
        return datetime.now(UTC) if not text else _local_time(text)

    @app.post("/team/contacts/{contact_id}/events", include_in_schema=False)
    async def record_event(contact_id: str, request: Request) -> Response:
        def check(form: Mapping[str, str]) -> dict[str, str]:
            problems = {}
            if form.get("event") not in recordable():
                problems["event"] = "choose_event"
            if not _EVENT_ID.fullmatch(form.get("event_id", "")):
                problems["form"] = "conflict"
            return problems

        def write(form: Mapping[str, str]) -> bool:
            return once(
                contact_id, form["event_id"], form["event"],
                lambda: ledger.record(
                    contact_id, form["event"], at=at_of(form), event_id=form["event_id"]
                ),
            )  # fmt: skip

        return await recording(request, contact_id, check, write)

    @app.post("/team/contacts/{contact_id}/feedback", include_in_schema=False)
    async def record_feedback(contact_id: str, request: Request) -> Response:
        def outcome(form: Mapping[str, str]) -> Outcome | None:
            found = form.get("outcome", "overridden")  # the override form before accepts
            return next((o for o in SUGGESTION_EVENTS if o == found), None)

        def check(form: Mapping[str, str]) -> dict[str, str]:
            problems = {}
            if not form.get("suggestion"):
                problems["suggestion"] = "choose_suggestion"
            answer = outcome(form)
            if answer is None:
                problems["form"] = "conflict"
            elif answer == "overridden" and form.get("reason") not in OVERRIDE_REASONS:
                problems["reason"] = "choose_reason"
            if not _EVENT_ID.fullmatch(form.get("feedback_id", "")):
                problems["form"] = "conflict"
            return problems

        def write(form: Mapping[str, str]) -> bool:
            ours = {s.id for s in ledger.suggestions(contact_id)}
            if form["suggestion"] not in ours:
                raise ArgumentError("unknown-suggestion", "suggestion", "not this contact's")
            answer = outcome(form)
            assert answer is not None  # checked
            reason = form.get("reason") if answer == "overridden" else None
            feedback = Feedback(
                form["suggestion"], answer, at=at_of(form),
                event_id=form["feedback_id"], reason=reason,
            )  # fmt: skip
            return once(
                contact_id, form["feedback_id"], feedback.event,
                lambda: ledger.record_feedback(feedback),
            )  # fmt: skip

        return await recording(request, contact_id, check, write)


def _worklist_address(query: WorklistQuery, params: Mapping[str, str], **more: str) -> str:
    """The worklist address of *query* (its filters, weekdays, page size; ``now`` and
    ``lang`` as *params* gave them, already checked), with *more*."""
    kept = {k: v for k, v in params.items() if k == "now" or (k, v) in _LANGS} | query.filters()
    if query.within != 1:
        kept["within"] = str(query.within)
    if query.per_page != DEFAULT_PER_PAGE:
        kept["per_page"] = str(query.per_page)
    return "/team/worklist?" + urlencode({**kept, **more})
