"""The questionnaire out, as an SDC Questionnaire (FHIR R4): :func:`questionnaire`.

Items, in order:

- ``client``: a group with the facts of the client the record needs when no Patient
  resource gives them (``client.age`` or ``client.birth_date``, ``client.language``,
  ``municipality``, and the three flags the care-guarantee policies read);
- ``concerns``: a repeating choice of the concern codes (required);
- ``red-flags``: every red-flag question, first, each enabled when one of the concerns
  it is asked under is chosen (a red flag naming no concern: always);
- a group per concern (``concern.<id>``), enabled when that concern is chosen, with the
  other questions asked only under it;
- ``more``: the other questions asked under several concerns (or none), each with its
  own ``enableWhen`` (``enableBehavior: any``).

Each question's ``linkId`` is its id, as the contact's ``answers`` key it.

Texts are Finnish (``language: fi``) with Swedish and English in the standard translation
extension; red flags carry the code ``red-flag``; number bounds the ``minValue`` and
``maxValue`` extensions; ``version`` is the ruleset digest and ``url`` a stable canonical.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .._text import LANGUAGES, Label
from ..intake import MAX_AGE
from ..ruleset import Question, RuleSet
from ._codes import BASE_LANGUAGE, DEFAULT_BASE_URL, coding, system, translated

__all__ = [
    "ADAPTIVE",
    "CLIENT_ITEMS",
    "CONCERNS_ITEM",
    "QUESTIONNAIRE_ID",
    "canonical_url",
    "group_link",
    "group_order",
    "question_item",
    "questionnaire",
]

QUESTIONNAIRE_ID = "first-contact"
CONCERNS_ITEM = "concerns"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ADAPTIVE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-questionnaireAdaptive"
SDC_PROFILE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"
SDC_ADAPTIVE_PROFILE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-adapt"

_TITLE = Label(
    "Ensimmäinen yhteydenotto sosiaali- ja terveyskeskukseen",
    "Första kontakten med social- och hälsocentralen",
    "First contact with the social and health centre",
)
_CLIENT = Label("Asiakas", "Klienten", "The client")
_CONCERNS = Label("Mitä asiasi koskee?", "Vad gäller ditt ärende?", "What is your matter about?")
_RED_FLAGS = Label(
    "Kiireellisen avun tarpeen merkit",
    "Tecken på behov av brådskande hjälp",
    "Signs of a need for urgent help",
)
_MORE = Label("Lisäkysymyksiä", "Fler frågor", "More questions")
_LANGUAGES = MappingProxyType(
    {
        "fi": Label("suomi", "finska", "Finnish"),
        "sv": Label("ruotsi", "svenska", "Swedish"),
        "en": Label("englanti", "engelska", "English"),
    }
)

#: The client group's items: linkId -> (FHIR item type, text). ``client.age`` and
#: ``client.language`` may instead come from a Patient resource (birthDate,
#: communication); ``municipality`` from its address.
CLIENT_ITEMS: Mapping[str, tuple[str, Label]] = MappingProxyType(
    {
        "client.age": ("integer", Label("Ikä vuosina", "Ålder i år", "Age in years")),
        "client.birth_date": ("date", Label("Syntymäaika", "Födelsedatum", "Date of birth")),
        "client.language": (
            "choice",
            Label("Asiointikieli", "Språk för ärendet", "Language of service"),
        ),
        "municipality": ("string", Label("Kotikunta", "Hemkommun", "Municipality of residence")),
        "client.highest_care_allowance": (
            "boolean",
            Label(
                "Saatko ylintä hoitotukea?",
                "Får du det högsta vårdbidraget?",
                "Do you receive the highest care allowance?",
            ),
        ),
        "client.special_support_child": (
            "boolean",
            Label(
                "Onko kyse erityistä tukea tarvitsevasta lapsesta?",
                "Gäller det ett barn i behov av särskilt stöd?",
                "Is this about a child who needs special support?",
            ),
        ),
        "client.can_use_digital_services": (
            "boolean",
            Label(
                "Pystytkö käyttämään digitaalisia palveluja?",
                "Kan du använda digitala tjänster?",
                "Can you use digital services?",
            ),
        ),
    }
)


def canonical_url(base_url: str = DEFAULT_BASE_URL) -> str:
    """The Questionnaire's canonical URL (its ``version`` is the ruleset digest)."""
    return f"{base_url}/Questionnaire/{QUESTIONNAIRE_ID}"


def _text(label: Label) -> dict[str, Any]:
    out: dict[str, Any] = {"text": label.get(BASE_LANGUAGE)}
    if extra := translated(label):
        out["_text"] = extra
    return out


def _number(value: float, integer: bool) -> dict[str, Any]:
    return {"valueInteger": int(value)} if integer else {"valueDecimal": value}


def question_item(question: Question, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    """The Questionnaire item of one *question* (linkId = the question's id)."""
    item: dict[str, Any] = {"linkId": question.id, **_text(question.label)}
    if question.red_flag:
        item["code"] = [
            {
                "system": system(base_url, "question-flag"),
                "code": "red-flag",
                "display": "red flag",
            }
        ]
    if question.type == "boolean":
        item["type"] = "boolean"
    elif question.type == "number":
        item["type"] = "integer" if question.integer else "decimal"
        bounds = [
            {"url": url, **_number(bound, question.integer)}
            for url, bound in ((MIN_VALUE, question.minimum), (MAX_VALUE, question.maximum))
            if bound is not None
        ]
        if bounds:
            item["extension"] = bounds
    else:
        item["type"] = "choice"
        item["answerOption"] = [
            {
                "valueCoding": coding(
                    base_url, f"choice-{question.id}", choice, question.choice_labels.get(choice)
                )
            }
            for choice in question.choices
        ]
    return item


def client_items(base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    """The ``client`` group."""
    items = []
    for link, (kind, label) in CLIENT_ITEMS.items():
        item: dict[str, Any] = {"linkId": link, **_text(label), "type": kind}
        if link == "client.age":
            item["extension"] = [
                {"url": MIN_VALUE, "valueInteger": 0},
                {"url": MAX_VALUE, "valueInteger": MAX_AGE},
            ]
        elif link == "client.language":
            item["answerOption"] = [
                {
                    "valueCoding": {
                        "system": LANGUAGE_SYSTEM,
                        "code": lang,
                        "display": _LANGUAGES[lang].get(BASE_LANGUAGE),
                        "_display": translated(_LANGUAGES[lang]),
                    },
                    **({"initialSelected": True} if lang == BASE_LANGUAGE else {}),
                }
                for lang in LANGUAGES
            ]
        elif link == "municipality":
            item["maxLength"] = 100
        items.append(item)
    return {"linkId": "client", **_text(_CLIENT), "type": "group", "item": items}


def concerns_item(ruleset: RuleSet, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    """The ``concerns`` item: a required, repeating choice of the concern codes."""
    return {
        "linkId": CONCERNS_ITEM,
        **_text(_CONCERNS),
        "type": "choice",
        "required": True,
        "repeats": True,
        "answerOption": [
            {"valueCoding": coding(base_url, "concern", concern.id, concern.label)}
            for concern in ruleset.questionnaire.concerns.values()
        ],
    }


def _enable_when(concerns: tuple[str, ...], base_url: str) -> dict[str, Any]:
    """``enableWhen`` (and ``enableBehavior``) of an item asked under *concerns*."""
    out: dict[str, Any] = {
        "enableWhen": [
            {
                "question": CONCERNS_ITEM,
                "operator": "=",
                "answerCoding": {"system": system(base_url, "concern"), "code": code},
            }
            for code in concerns
        ]
    }
    if len(concerns) > 1:
        out["enableBehavior"] = "any"
    return out


def _group(link: str, label: Label, items: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {"linkId": link, **_text(label), "type": "group", **more, "item": items}


def group_link(question: Question) -> str:
    """The linkId of the group *question* sits in: ``red-flags`` for a red flag,
    ``concern.<id>`` for a question asked under one concern only, else ``more``."""
    if question.red_flag:
        return "red-flags"
    if len(question.concerns) == 1:
        return f"concern.{question.concerns[0]}"
    return "more"


def group_order(ruleset: RuleSet) -> list[str]:
    """Every group linkId the questionnaire of *ruleset* can hold, in the order of the
    form: the red flags, the concerns' groups in concern order, then ``more``."""
    return ["red-flags", *(f"concern.{c}" for c in ruleset.questionnaire.concerns), "more"]


def _groups(ruleset: RuleSet, base_url: str) -> list[dict[str, Any]]:
    """The question groups (see the module docstring)."""
    form = ruleset.questionnaire
    items: dict[str, list[dict[str, Any]]] = {}
    for question in form.questions.values():
        item = question_item(question, base_url)
        link = group_link(question)
        if question.concerns and not link.startswith("concern."):
            item.update(_enable_when(question.concerns, base_url))
        items.setdefault(link, []).append(item)
    groups = []
    for link in group_order(ruleset):
        if link not in items:
            continue
        if link == "red-flags":
            groups.append(_group(link, _RED_FLAGS, items[link]))
        elif link == "more":
            groups.append(_group(link, _MORE, items[link]))
        else:
            cid = link.removeprefix("concern.")
            label = form.concerns[cid].label
            groups.append(_group(link, label, items[link], **_enable_when((cid,), base_url)))
    return groups


def questionnaire(
    ruleset: RuleSet, *, base_url: str = DEFAULT_BASE_URL, adaptive: bool = False
) -> dict[str, Any]:
    """The questionnaire of *ruleset* as a FHIR R4 SDC Questionnaire.

    *adaptive*: the SDC adaptive form of it, with no items (the SDC ``$next-question``
    operation, :func:`next_question`, hands out the items one step at a time) and the
    ``questionnaireAdaptive`` extension.
    """
    out: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID + ("-adaptive" if adaptive else ""),
        "meta": {"profile": [SDC_ADAPTIVE_PROFILE if adaptive else SDC_PROFILE]},
        "language": BASE_LANGUAGE,
        "url": canonical_url(base_url) + ("-adaptive" if adaptive else ""),
        "identifier": [{"system": system(base_url, "id-ruleset"), "value": ruleset.digest}],
        "version": ruleset.digest,
        "name": "OneContactFirstContact" + ("Adaptive" if adaptive else ""),
        **_title(),
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "oneContact",
    }
    if adaptive:
        out["extension"] = [{"url": ADAPTIVE, "valueBoolean": True}]
        return out
    out["item"] = [
        client_items(base_url),
        concerns_item(ruleset, base_url),
        *_groups(ruleset, base_url),
    ]
    return out


def _title() -> dict[str, Any]:
    out: dict[str, Any] = {"title": _TITLE.get(BASE_LANGUAGE)}
    if extra := translated(_TITLE):
        out["_title"] = extra
    return out
