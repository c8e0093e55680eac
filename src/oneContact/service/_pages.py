"""What every page of the service shares: the templates (Jinja2, autoescaped, strict),
the stylesheet under ``/static``, the language of a page and the words of its frame.

A page is rendered with :func:`page`: its template extends ``base.html`` (the frame:
``<html lang>``, a skip link, the header with the language switch, ``<main>``), and its
words come from a table of ``key -> {fi, sv, en}`` that the page module keeps beside its
routes (:data:`Texts`); templates write ``t("key")``. The language is ``?lang=``, else the
first of fi, sv, en in ``Accept-Language``, else Finnish; links keep it with
``url_in(language)``. No page needs JavaScript; a script only makes one quicker to use.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jinja2
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from .._text import LANGUAGES
from ._errors import language_of
from ._parts import Parts

__all__ = ["FRAME_TEXTS", "Texts", "add_page_basics", "page", "texts_in"]

Texts = Mapping[str, Mapping[str, str]]
"""A page's words: each key in fi, sv and en."""

_HERE = Path(__file__).parent
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

#: The words of the frame every page shares.
FRAME_TEXTS: Texts = {
    "service": {"fi": "oneContact", "sv": "oneContact", "en": "oneContact"},
    "skip": {
        "fi": "Siirry sisältöön",
        "sv": "Hoppa till innehållet",
        "en": "Skip to content",
    },
    "language": {"fi": "Kieli", "sv": "Språk", "en": "Language"},
    "nav": {"fi": "Sivut", "sv": "Sidor", "en": "Pages"},
    "form": {"fi": "Yhteydenotto", "sv": "Kontakt", "en": "Contact form"},
    "worklist": {"fi": "Työlista", "sv": "Arbetslista", "en": "Worklist"},
    "report": {"fi": "Raportti", "sv": "Rapport", "en": "Report"},
    "emergency": {
        "fi": "Hätätilanteessa soita 112.",
        "sv": "Ring 112 i nödsituationer.",
        "en": "In an emergency, call 112.",
    },
}
_LANGUAGE_NAMES = {"fi": "suomi", "sv": "svenska", "en": "English"}


def texts_in(texts: Texts, language: str) -> dict[str, str]:
    """*texts* in *language*: each key's words."""
    return {key: words[language] for key, words in texts.items()}


def page(
    request: Request,
    template: str,
    texts: Texts,
    *,
    status: int = 200,
    links: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """*template* rendered in the request's language with *texts* (and the frame's
    words) as ``t(key)``; *context* is passed to the template as it is. The language
    links go to the request's path with only ``lang`` (never what was typed into its
    query, which could be an identity code), or to *links* when given (an address made of
    checked values, for a page whose query should survive a change of language)."""
    language = language_of(request)
    words = texts_in(FRAME_TEXTS, language) | texts_in(texts, language)

    def url_in(other: str) -> str:
        if links is not None:
            split = urlsplit(links)
            query = [(k, v) for k, v in parse_qsl(split.query) if k != "lang"]
            return f"{split.path}?{urlencode([*query, ('lang', other)])}"
        return f"{request.url.path}?{urlencode([('lang', other)])}"

    html = _TEMPLATES.get_template(template).render(
        t=words.__getitem__,
        lang=language,
        languages=[(code, _LANGUAGE_NAMES[code]) for code in LANGUAGES],
        url_in=url_in,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={"Content-Language": language})


def add_page_basics(app: FastAPI, parts: Parts) -> None:
    """The stylesheet (``/static``) every page links."""
    del parts  # the frame needs nothing of the engine or the ledger
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
