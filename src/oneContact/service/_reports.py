"""The access report over HTTP: ``GET /reports/access`` (HTML, JSON or CSV) and the team's
page ``GET /team/report`` (a form and the report in the frame): :func:`add_report_routes`.

The report is the ledger's (:meth:`Ledger.report`), aggregate by design, built in the
thread pool. Units and municipalities are the directory's: a municipality a contact gave
that the directory does not list counts as ``other`` (so no text a client typed ever
reaches a report), and the HTML names units and municipalities by the directory's names
(codes stay in JSON and CSV). Rows by unit or municipality of fewer than five contacts
are suppressed (docs/reference/reports.md, small cells).

Parameters (all optional): ``since`` and ``until`` (a date, Europe/Helsinki midnight, or
an RFC 3339 timestamp; ``until`` exclusive; by default the last full calendar month, and
one given alone makes a month with it), ``by`` (comma-separated dimensions), ``format``
(``json``, ``html``, ``csv``), ``table`` (CSV: ``groups``, ``breaches``, ``overrides``),
``lang`` (fi, sv, en). A bad one is a 422 naming the field and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

import attrs
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .._text import LANGUAGES
from ..clocks import HELSINKI, Calendar
from ..errors import ArgumentError, did_you_mean, require_supported_time
from ..report import DIMENSIONS, Report
from ._errors import language_of, refusal
from ._pages import FRAME_TEXTS, Texts, page
from ._parts import Parts

__all__ = ["FORMATS", "MAX_DAYS", "PAGE_DIMENSIONS", "ReportQuery", "add_report_routes"]

#: What ``GET /reports/access`` answers in.
FORMATS = ("json", "html", "csv")
#: The longest period one request reports on (a year, leap day included).
MAX_DAYS = 366
#: The breakdowns the team's page offers.
PAGE_DIMENSIONS = ("service", "age_group", "unit", "municipality")
_TABLES = ("groups", "breaches", "overrides")
_DEFAULT_BY = ("service", "age_group")
_CALENDAR = Calendar.finnish()


@attrs.frozen
class ReportQuery:
    """A request for the access report, checked."""

    since: datetime
    until: datetime
    by: tuple[str, ...]
    format: str
    table: str
    language: str

    def file_name(self) -> str:
        """The CSV's download name: the period's local days and the table."""
        first = self.since.astimezone(HELSINKI).date()
        last = self.until.astimezone(HELSINKI)
        end = last.date() if last.time() != time(0) else date.fromordinal(last.toordinal() - 1)
        return f"access-report-{first.isoformat()}-{end.isoformat()}-{self.table}.csv"


def _instant(text: str, field: str) -> datetime:
    """A date (its local midnight) or an RFC 3339 timestamp with an offset."""
    fix = "is a date (2025-03-01) or an RFC 3339 timestamp with an offset"
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ArgumentError("bad-date", field, fix) from None
        return require_supported_time(datetime.combine(day, time(0), HELSINKI), field)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentError("bad-date", field, fix) from None
    if value.tzinfo is None:
        raise ArgumentError("bad-date", field, f"{fix}: give the offset, e.g. +02:00")
    return require_supported_time(value, field)


def _month_start(day: date) -> datetime:
    return datetime(day.year, day.month, 1, tzinfo=HELSINKI)


def _period(
    since_text: str | None, until_text: str | None, today: date
) -> tuple[datetime, datetime]:
    since = None if since_text is None else _instant(since_text, "since")
    until = None if until_text is None else _instant(until_text, "until")
    if since is None and until is None:
        this_month = today.replace(day=1)
        since = _month_start(_CALENDAR.add_months(this_month, -1))
        until = _month_start(this_month)
    elif until is None:
        assert since is not None
        local = since.astimezone(HELSINKI)
        until = datetime.combine(_CALENDAR.add_months(local.date(), 1), local.timetz())
    elif since is None:
        local = until.astimezone(HELSINKI)
        since = datetime.combine(_CALENDAR.add_months(local.date(), -1), local.timetz())
    if since >= until:
        raise ArgumentError(
            "bad-period", "until", "must be after since (a period is [since, until))"
        )
    if (until - since).days > MAX_DAYS:
        raise ArgumentError(
            "bad-period", "until", f"is at most {MAX_DAYS} days after since: ask for a year at most"
        )
    return since, until


def _choice(query: Mapping[str, str], field: str, choices: tuple[str, ...], default: str) -> str:
    value = query.get(field)
    if value is None or value == "":
        return default
    if value not in choices:
        raise ArgumentError(
            "bad-argument",
            field,
            f"is one of {', '.join(choices)}",
            suggestion=did_you_mean(value, choices),
        )
    return value


def read_query(
    query: Mapping[str, str], today: date | None = None, language: str = "fi"
) -> ReportQuery:
    """The report *query* asks for, checked; an :class:`ArgumentError` naming the field
    and the fix when a parameter is wrong (a dimension given twice is refused when the
    report is built). *language* is the page's without ``lang``."""
    if today is None:
        today = _today()
    since, until = _period(query.get("since") or None, query.get("until") or None, today)
    by_text = query.get("by")
    by = (
        _DEFAULT_BY
        if by_text is None
        else tuple(p.strip() for p in by_text.split(",") if p.strip())
    )
    for item in by:
        if item not in DIMENSIONS:
            raise ArgumentError(
                "bad-argument",
                "by",
                f"is a comma-separated list of {', '.join(DIMENSIONS)}",
                suggestion=did_you_mean(item, DIMENSIONS),
            )
    form = _choice(query, "format", FORMATS, "json")
    table = _choice(query, "table", _TABLES, "groups")
    if "table" in query and form != "csv":
        raise ArgumentError(
            "bad-argument", "table", "is for format=csv (the others hold every table)"
        )
    chosen = _choice(query, "lang", LANGUAGES, language)
    return ReportQuery(since, until, by, form, table, chosen)


def _report(parts: Parts, asked: ReportQuery) -> Report:
    served = parts.served  # the catalogue and the places of one directory in force
    return parts.ledger.report(
        since=asked.since,
        until=asked.until,
        by=asked.by,
        catalogue=served.engine.ruleset.catalogue,
        municipalities=served.places.municipality_ids,
        names=served.places.names,
        overrides=asked.format != "csv" or asked.table == "overrides",
    )


def _rendered(parts: Parts, asked: ReportQuery) -> Response:
    report = _report(parts, asked)
    if asked.format == "html":
        return Response(
            report.to_html(asked.language),
            media_type="text/html; charset=utf-8",
            headers={"Content-Language": asked.language},
        )
    if asked.format == "csv":
        return Response(
            report.to_csv(table=asked.table),  # type: ignore[arg-type]
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{asked.file_name()}"'},
        )
    return JSONResponse(report.to_json())


# --------------------------------------------------------------------------- the page

_TEXTS: Texts = {
    "title": {
        "fi": "Hoitoonpääsyraportti",
        "sv": "Rapport om tillgång till vård",
        "en": "Access report",
    },
    "intro": {
        "fi": "Raportti näyttää, miten hoitotakuun määräajat ovat toteutuneet valitulla "
        "ajanjaksolla. Luvut ovat yhteenvetoja, eikä niistä voi tunnistaa ketään.",
        "sv": "Rapporten visar hur vårdgarantins tidsfrister har uppfyllts under den valda "
        "perioden. Siffrorna är sammanställningar och ingen kan kännas igen i dem.",
        "en": "The report shows how the care-guarantee time limits were met in the period "
        "you choose. The figures are totals: nobody can be recognised in them.",
    },
    "choose": {"fi": "Valitse raportti", "sv": "Välj rapport", "en": "Choose the report"},
    "since": {"fi": "Ensimmäinen päivä", "sv": "Första dagen", "en": "First day"},
    "last": {"fi": "Viimeinen päivä", "sv": "Sista dagen", "en": "Last day"},
    "by": {"fi": "Jaottelu", "sv": "Indelning", "en": "Breakdown"},
    "by.service": {"fi": "Palvelu", "sv": "Tjänst", "en": "Service"},
    "by.age_group": {"fi": "Ikäryhmä", "sv": "Åldersgrupp", "en": "Age group"},
    "by.unit": {"fi": "Yksikkö", "sv": "Enhet", "en": "Unit"},
    "by.municipality": {"fi": "Kunta", "sv": "Kommun", "en": "Municipality"},
    "by.hint": {
        "fi": "Yksikkö- ja kuntakohtaisia lukuja ei näytetä, jos ryhmässä on alle viisi yhteydenottoa.",
        "sv": "Siffror per enhet och kommun visas inte om gruppen har färre än fem kontakter.",
        "en": "Figures by unit and municipality are not shown for a group of fewer than five contacts.",
    },
    "show": {"fi": "Näytä raportti", "sv": "Visa rapporten", "en": "Show the report"},
    "report.head": {"fi": "Raportti", "sv": "Rapport", "en": "Report"},
    "frame": {
        "fi": "Hoitoonpääsyraportti ajalta",
        "sv": "Rapport om tillgång till vård för perioden",
        "en": "Access report for",
    },
    "open": {
        "fi": "Avaa raportti omalle sivulleen",
        "sv": "Öppna rapporten på en egen sida",
        "en": "Open the report on a page of its own",
    },
    "downloads": {"fi": "Lataa tiedostona", "sv": "Ladda ner som fil", "en": "Download"},
    "json": {
        "fi": "Koko raportti (JSON)",
        "sv": "Hela rapporten (JSON)",
        "en": "The whole report (JSON)",
    },
    "csv.groups": {
        "fi": "Luvut taulukkona (CSV)",
        "sv": "Siffrorna som tabell (CSV)",
        "en": "The figures as a table (CSV)",
    },
    "csv.breaches": {
        "fi": "Ylitykset taulukkona (CSV)",
        "sv": "Överskridandena som tabell (CSV)",
        "en": "The breaches as a table (CSV)",
    },
    "errors": {"fi": "Korjaa valinnat:", "sv": "Rätta valen:", "en": "Please correct:"},
    "err.since": {
        "fi": "Anna ensimmäinen päivä muodossa vvvv-kk-pp, esimerkiksi 2025-03-01.",
        "sv": "Ange första dagen som åååå-mm-dd, till exempel 2025-03-01.",
        "en": "Give the first day as yyyy-mm-dd, for example 2025-03-01.",
    },
    "err.last": {
        "fi": "Anna viimeinen päivä muodossa vvvv-kk-pp. Se on sama kuin ensimmäinen päivä tai "
        "sen jälkeen, enintään vuoden päässä siitä.",
        "sv": "Ange sista dagen som åååå-mm-dd. Den är samma dag som den första eller senare, "
        "högst ett år efter den.",
        "en": "Give the last day as yyyy-mm-dd: the first day or later, at most a year after it.",
    },
    "err.by": {
        "fi": "Valitse jaottelu luettelosta.",
        "sv": "Välj indelning i listan.",
        "en": "Choose the breakdown from the list.",
    },
}


def _page_query(query: QueryParams) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values as the page shows them (``since``, ``last`` — the last day,
    included —, ``by``), the period's ``until``, and the problems by field."""
    values: dict[str, Any] = {"since": query.get("since", ""), "last": query.get("last", "")}
    shown = {k: v if _is_day(v) else "" for k, v in values.items()}  # never what was typed
    chosen = tuple(query.getlist("by"))
    # A form sent with no box ticked asks for the total only; a first visit for the default.
    values["by"] = chosen if chosen or "since" in query else _DEFAULT_BY
    problems: dict[str, str] = {}
    if any(d not in PAGE_DIMENSIONS for d in values["by"]):
        problems["by"] = "err.by"
    until_text = None
    if values["last"]:
        try:
            last = date.fromisoformat(values["last"])
            until_text = date.fromordinal(last.toordinal() + 1).isoformat()
        except (ValueError, OverflowError):
            problems["last"] = "err.last"
    if "last" not in problems:
        try:
            since, until = _period(values["since"] or None, until_text, _today())
        except ArgumentError as error:
            field = "since" if error.field == "since" else "last"
            problems[field] = f"err.{field}"
        else:
            values["since"] = since.astimezone(HELSINKI).date().isoformat()
            values["last"] = date.fromordinal(
                until.astimezone(HELSINKI).toordinal() - 1
            ).isoformat()
            values["until"] = until.astimezone(HELSINKI).date().isoformat()
            return values, problems
    return {**values, **shown}, problems


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _today() -> date:
    return datetime.now(HELSINKI).date()


# The page's words never take a key of the frame's (they would replace its words).
assert not set(_TEXTS) & set(FRAME_TEXTS)


def add_report_routes(app: FastAPI, parts: Parts) -> None:
    """``GET /reports/access`` and the page ``GET /team/report``."""

    @app.get(
        "/reports/access",
        summary="The access report (THL-style measures) as JSON, HTML or CSV",
        responses={200: {"content": {"text/html": {}, "text/csv": {}}}},
    )
    async def access_report(request: Request) -> Response:
        language = language_of(request)
        try:
            asked = read_query(request.query_params, language=language)
            return await run_in_threadpool(_rendered, parts, asked)
        except Exception as error:
            return refusal(error, language)

    @app.get("/team/report", include_in_schema=False)
    async def report_page(request: Request) -> Response:
        language = language_of(request)
        values, problems = _page_query(request.query_params)
        links: dict[str, str] = {}
        here = None  # the language links keep the period only when it was read right
        if not problems:
            base = {
                "since": values["since"],
                "until": values["until"],
                "by": ",".join(values["by"]),
            }
            links = {
                "html": "/reports/access?"
                + urlencode({**base, "format": "html", "lang": language}),
                "json": "/reports/access?" + urlencode({**base, "format": "json"}),
                "csv.groups": "/reports/access?"
                + urlencode({**base, "format": "csv", "table": "groups"}),
                "csv.breaches": "/reports/access?"
                + urlencode({**base, "format": "csv", "table": "breaches"}),
            }
            checked = [("since", values["since"]), ("last", values["last"])]
            here = "/team/report?" + urlencode([*checked, *(("by", d) for d in values["by"])])
        return page(
            request,
            "report.html",
            _TEXTS,
            status=422 if problems else 200,
            values=values,
            problems=problems,
            dimensions=PAGE_DIMENSIONS,
            downloads=links,
            links=here,
        )
