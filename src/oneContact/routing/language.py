"""The words of a language right that is not met, in Finnish, Swedish and English.

Where the region makes the client's language a right (``language_rights``; Kielilaki
423/2003 §§ 10, 23; sote-järjestämislaki 612/2021 § 5) and no member who speaks it can
take the client, the route says so in the client's language (``Route.language_notice``
holds all three). See ``docs/explanation/routing.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._text import LANGUAGES, Label

__all__ = ["right_unmet_notice"]

# A right to service in the client's language not met: the route's language step, in the
# client's language (Kielilaki 423/2003 §§ 10, 23; sote-järjestämislaki 612/2021 § 5).
_RIGHT_UNMET = Label(
    "kieli: asiakkaalla on oikeus palveluun {lang}, mutta yksikään {lang} palveleva "
    "ammattilainen ({role}) ei ole vapaana ajoissa; aika tarjotaan {offered}. Kielellinen "
    "oikeus ei toteudu.",
    "språk: klienten har rätt till service {lang}, men ingen {role} som ger service {lang} "
    "är ledig i tid; tiden erbjuds {offered}. Den språkliga rättigheten uppfylls inte.",
    "language: the client has a right to service {lang}, but no {role} who serves {lang} "
    "is free in time; the time is offered {offered}. The language right is not met.",
)
_RIGHT_UNMET_NOBODY = Label(
    "kieli: asiakkaalla on oikeus palveluun {lang}, mutta {lang} palvelevaa ammattilaista "
    "({role}) ei ole; aika tarjotaan {offered}. Kielellinen oikeus ei toteudu.",
    "språk: klienten har rätt till service {lang}, men det finns ingen {role} som ger "
    "service {lang}; tiden erbjuds {offered}. Den språkliga rättigheten uppfylls inte.",
    "language: the client has a right to service {lang}, but no {role} serves {lang}; "
    "the time is offered {offered}. The language right is not met.",
)
# "in Swedish" in each language; a code without a name here is written as it is.
_IN_LANGUAGE = {
    "fi": {"fi": "suomeksi", "sv": "ruotsiksi", "en": "englanniksi", "se": "saameksi"},
    "sv": {"fi": "på finska", "sv": "på svenska", "en": "på engelska", "se": "på samiska"},
    "en": {"fi": "in Finnish", "sv": "in Swedish", "en": "in English", "se": "in Sámi"},
}
_OR = {"fi": "tai", "sv": "eller", "en": "or"}


_IN_CODE = {"fi": "kielellä {}", "sv": "på {}", "en": "in {}"}


def _in_language(code: str, language: str) -> str:
    found = _IN_LANGUAGE.get(language, _IN_LANGUAGE["en"]).get(code)
    return found or _IN_CODE.get(language, "in {}").format(code)


def _in_languages(codes: Sequence[str], language: str) -> str:
    words = [_in_language(code, language) for code in codes]
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {_OR.get(language, 'or')} {words[-1]}"


def right_unmet_notice(
    language: str, role: Label, offered: Sequence[str], *, nobody: bool
) -> Label:
    """Why the client's right to service in *language* is not met, in fi/sv/en: no
    member of *role* who speaks it is free in time (or, *nobody*, none speaks it), and
    the time is offered in the *offered* languages."""
    texts = []
    for lang in LANGUAGES:
        template = getattr(_RIGHT_UNMET_NOBODY if nobody else _RIGHT_UNMET, lang)
        texts.append(
            template.format(
                role=role.get(lang),
                lang=_in_language(language, lang),
                offered=_in_languages(offered, lang),
            )
        )
    return Label(*texts)
