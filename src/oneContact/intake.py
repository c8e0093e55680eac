"""The first-contact record: one validated value for whatever door the client used.

`FirstContact` is the public contract (field names are stable). It is validated in two
steps: the shape here with pydantic, then the codes and answers against the
questionnaire of a rules directory (:meth:`Questionnaire.check_contact` in ``ruleset``).
Both steps report every problem at once as one :class:`ContactError`.

Free text and anything that looks like a Finnish personal identity code never appear in
an error message, a ``repr`` or any output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal, Protocol

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ._contact_json import JsonPath, read_contact_json
from .clocks import age_on, local_date
from .errors import (
    FIRST_SUPPORTED_YEAR,
    LAST_SUPPORTED_YEAR,
    ArgumentError,
    ContactError,
    ContactProblem,
    contact_messages,
    did_you_mean,
    require_supported_time,
    suggestion_text,
)
from .identity_code import contains_identity_code as looks_like_identity_code
from .identity_code import contains_identity_code_shape, shown_key

__all__ = [
    "CHANNELS",
    "MAX_AGE",
    "MAX_CONTACT_ANSWERS",
    "MAX_CONTACT_CONCERNS",
    "Client",
    "FirstContact",
    "contact_json_schema",
    "load_contact_json",
    "looks_like_identity_code",
    "parse_contact",
]

CHANNELS = ("phone", "digital", "chat", "walk_in", "omaolo", "referral")

Channel = Literal["phone", "digital", "chat", "walk_in", "omaolo", "referral"]
AnswerValue = StrictBool | StrictInt | StrictFloat | StrictStr


def _no_identity_code(value: str) -> str:
    """*value*, an id, unless it holds a Finnish personal identity code (exact check)."""
    if looks_like_identity_code(value):
        raise PydanticCustomError(
            "identity-code",
            "looks like a Finnish personal identity code; pass a pseudonymous id instead",
        )
    return value


def _no_identity_code_in_text(value: str) -> str:
    """*value*, a text, unless it holds an identity code or a mistyped one."""
    if contains_identity_code_shape(value):
        raise PydanticCustomError(
            "identity-code", "looks like a Finnish personal identity code; never write one here"
        )
    return value


def _check_answers(value: Mapping[str, Any]) -> None:
    """Refuse an identity code among the keys (ids) and text values of *value*; the
    offending key is named (``key`` in the error's context) only when it is shown."""
    for key, item in value.items():
        if looks_like_identity_code(key):
            raise PydanticCustomError(
                "identity-code",
                "a key looks like a Finnish personal identity code; answers are keyed "
                "by the questionnaire's question ids",
                {"key": shown_key(key)},
            )
        if isinstance(item, str) and contains_identity_code_shape(item):
            raise PydanticCustomError(
                "identity-code",
                "looks like a Finnish personal identity code; never write one here",
                {"key": shown_key(key)},
            )


#: The oldest age a contact may give (and the oldest a birth date may make the client on
#: the day the contact was received).
MAX_AGE = 130

#: The most concerns (and named professionals) one contact may list, and the most
#: answers: more than any questionnaire holds (``ruleset.MAX_CONCERNS``,
#: ``ruleset.MAX_QUESTIONS``), few enough that checking each stays instant.
MAX_CONTACT_CONCERNS = 100
MAX_CONTACT_ANSWERS = 500

_SUPPORTED_YEARS = (
    f"must fall in the years {FIRST_SUPPORTED_YEAR}-{LAST_SUPPORTED_YEAR} (UTC), the years "
    "the working-day calendar supports"
)

_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Client(BaseModel):
    """Who the client is, as far as the assessment needs it. No names, no identity codes."""

    model_config = _STRICT

    age: Annotated[int, Field(ge=0, le=MAX_AGE)] | None = None
    birth_date: date | None = Field(default=None, repr=False)
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] = "fi"
    highest_care_allowance: bool = False
    special_support_child: bool = False
    can_use_digital_services: bool = True
    named_professionals: dict[
        Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)],
        Annotated[str, Field(min_length=1, max_length=64)],
    ] = Field(default_factory=dict, repr=False, max_length=MAX_CONTACT_CONCERNS)

    @field_validator("birth_date", mode="before")
    @classmethod
    def _date_from_text(cls, value: Any) -> Any:
        # strict mode refuses the ISO text that JSON carries; accept exactly YYYY-MM-DD.
        if isinstance(value, str):
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise PydanticCustomError("date-format", "must be a date written YYYY-MM-DD")
            try:
                return date.fromisoformat(value)
            except ValueError:  # 2025-02-30: the form is right, the day does not exist
                raise PydanticCustomError(
                    "date-format", "is no date of the calendar; write a real date YYYY-MM-DD"
                ) from None
        return value

    @field_validator("named_professionals")
    @classmethod
    def _professional_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for role, professional in value.items():
            _no_identity_code(role)
            _no_identity_code(professional)
        return value

    @model_validator(mode="after")
    def _age_or_birth_date(self) -> Client:
        if (self.age is None) == (self.birth_date is None):
            raise PydanticCustomError(
                "age-or-birth-date", "give exactly one of 'age' and 'birth_date'"
            )
        return self

    def age_on(self, day: date) -> int:
        """Whole years on *day*: from ``birth_date`` when given, else the ``age`` given."""
        if self.birth_date is None:
            assert self.age is not None  # guaranteed by the model validator
            return self.age
        return age_on(self.birth_date, day)


class FirstContact(BaseModel):
    """One first contact: the public record every door of the centre produces."""

    model_config = _STRICT

    contact_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
    received_at: AwareDatetime
    channel: Channel
    municipality: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    client: Client
    concerns: Annotated[
        list[Annotated[str, Field(max_length=64)]],
        Field(min_length=1, max_length=MAX_CONTACT_CONCERNS),
    ]
    answers: dict[Annotated[str, Field(max_length=64)], AnswerValue] = Field(
        default_factory=dict, max_length=MAX_CONTACT_ANSWERS
    )
    free_text: Annotated[str, Field(max_length=10_000)] | None = Field(default=None, repr=False)

    @field_validator("received_at", mode="before")
    @classmethod
    def _timestamp_from_text(cls, value: Any) -> Any:
        # strict mode refuses text; JSON has only text, so parse RFC 3339 here.
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                raise PydanticCustomError(
                    "timestamp-format",
                    "must be an RFC 3339 timestamp with an offset, e.g. 2025-02-03T10:00:00+02:00",
                ) from None
            return parsed
        return value

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise PydanticCustomError(
                "timezone-missing", "needs a UTC offset, e.g. 2025-02-03T10:00:00+02:00"
            )
        try:
            # The years the working-day calendar and the ledger support (errors.py).
            return require_supported_time(value, "received_at")
        except ArgumentError as exc:
            raise PydanticCustomError(exc.code, _SUPPORTED_YEARS) from None

    @model_validator(mode="after")
    def _born_before_contact(self) -> FirstContact:
        born = self.client.birth_date
        if born is not None:
            day = local_date(self.received_at)
            if born > day or age_on(born, day) > MAX_AGE:
                raise PydanticCustomError(
                    "date-out-of-range",
                    f"must fall on or before the day the contact was received and at most "
                    f"{MAX_AGE} years before it",
                )
        return self

    @field_validator("contact_id")
    @classmethod
    def _pseudonymous(cls, value: str) -> str:
        return _no_identity_code(value)

    @field_validator("municipality")
    @classmethod
    def _no_identity_code_in_municipality(cls, value: str | None) -> str | None:
        return None if value is None else _no_identity_code_in_text(value)

    @field_validator("answers")
    @classmethod
    def _no_identity_code_in_answers(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_answers(value)
        return value

    @field_validator("concerns")
    @classmethod
    def _unique_concerns(cls, value: list[str]) -> list[str]:
        for code in value:
            _no_identity_code(code)
        if len(set(value)) != len(value):
            raise PydanticCustomError("duplicate-concern", "lists a concern more than once")
        return value

    def __repr__(self) -> str:
        # Never show answers or free text in logs; the id and the shape are enough.
        return (
            f"<FirstContact {self.contact_id!r} {self.channel} "
            f"concerns={self.concerns!r} answers={len(self.answers)}>"
        )

    __str__ = __repr__


_validate_python = FirstContact.__pydantic_validator__.validate_python
_CLIENT_FIELDS = tuple(Client.model_fields)
_CONTACT_FIELDS = tuple(FirstContact.model_fields)


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif parts:
            parts.append(f".{item}")
        else:
            parts.append(item)
    return "".join(parts) or "<contact>"


# pydantic's union and constraint errors, reworded for people filling in a form.
_MESSAGES = {
    "missing": "is required",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "string_type": "must be text",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "datetime_type": "must be an RFC 3339 timestamp with an offset",
    "timezone_aware": "needs a UTC offset, e.g. 2025-02-03T10:00:00+02:00",
    "literal_error": "must be one of " + ", ".join(CHANNELS),
    "too_short": "must not be empty",
    "too_long": "has too many entries",
}


def _problem_from_pydantic(error: Mapping[str, Any]) -> ContactProblem:
    loc = tuple(error["loc"])
    kind = str(error["type"])
    if kind == "date-out-of-range":  # the contact's check of the client's birth date
        loc = ("client", "birth_date")
    # Union members add their type name to loc (e.g. "int", "function-after[...]"); an
    # unknown key is no union member, and may itself be called "[" or "int".
    if kind != "extra_forbidden":
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in _TYPE_TAGS)))
    typed = loc
    # A key is echoed in the field path only when it cannot be an identity code or text.
    loc = tuple(shown_key(p) if isinstance(p, str) else p for p in loc)
    key = error.get("ctx", {}).get("key") if kind == "identity-code" else None
    if isinstance(key, str):
        loc = (*loc, key)  # the answer whose key or value holds the code
    field = _field_path(loc)
    if kind == "extra_forbidden":
        parent, name = typed[:-1], str(typed[-1])  # the name typed, for the suggestion
        known = _CLIENT_FIELDS if parent == ("client",) else _CONTACT_FIELDS if not parent else ()
        hint = did_you_mean(name, known)
        return ContactProblem(
            field,
            f"unknown field; remove it{suggestion_text(hint)}",
            "unknown-field",
            suggestion=hint,
        )
    if kind in _MESSAGES:
        message = _MESSAGES[kind]
    elif kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
    elif "-" in kind:
        message = str(error["msg"])  # our own PydanticCustomError: code and words are ours
    else:
        # pydantic's own wording names limits, never the offending value.
        text = str(error["msg"]).rstrip(".")
        message = text[:1].lower() + text[1:]
    if field == "channel" and kind == "literal_error":
        message = "must be one of " + ", ".join(CHANNELS)
    code = kind.replace("_", "-")
    # A limit of the record (age 0-130) is the form's, not the client's: say it.
    bound = _BOUNDS.get(kind)
    limit = error.get("ctx", {}).get(bound[0]) if bound else None
    if bound and isinstance(limit, int | float) and not isinstance(limit, bool):
        return ContactProblem(
            field, message, code, messages=contact_messages(bound[1], limit=limit)
        )
    return ContactProblem(field, message, code)


# pydantic's bound errors: the bound's key in ``ctx`` and the client's wording of it.
_BOUNDS = {
    "greater_than_equal": ("ge", "range:at-least"),
    "less_than_equal": ("le", "range:at-most"),
}


_TYPE_TAGS = frozenset({"bool", "int", "float", "str", "date", "datetime", "constrained-str"})


def parse_contact(data: FirstContact | Mapping[str, Any] | str | bytes) -> FirstContact:
    """Validate the shape of a first contact given as a model, a dict or JSON text.

    Raises :class:`ContactError` naming every offending field. Codes and answers are
    checked against a questionnaire separately (the engine does both). JSON text (``str``
    or UTF-8 ``bytes``, a byte order mark allowed) is read within limits of size, depth
    and numbers, and a key given twice is refused (docs/reference/contact-input.md).
    """
    if data.__class__ is dict:  # the usual case first: a dict as JSON gives it
        return _validated(data)
    if isinstance(data, FirstContact):
        return data
    if isinstance(data, str | bytes):
        data = load_contact_json(data)
    if not isinstance(data, Mapping):
        raise ContactError([ContactProblem("<contact>", "must be a JSON object", "contact-type")])
    return _validated(data if data.__class__ is dict else dict(data))


def load_contact_json(data: str | bytes) -> Any:
    """The value of a first contact's JSON text (``str`` or UTF-8 ``bytes``, a byte order
    mark allowed), read within the limits of docs/reference/contact-input.md (size, depth,
    numbers, no key twice); else a :class:`ContactError` naming the field. Not validated:
    :func:`parse_contact` does that."""
    return read_contact_json(data, _json_field)


def _json_field(path: JsonPath) -> tuple[str, bool]:
    """The field at *path* of a JSON document, as far as its keys may be shown: known
    field names and indices; the path stops before any other key (a key could hold
    anything a person typed)."""
    shown: list[str | int] = []
    known: tuple[str, ...] = _CONTACT_FIELDS
    for part in path:
        if isinstance(part, int) and not (shown and isinstance(shown[-1], int)):
            shown.append(part)  # an item of a list; an item of an item is not shown
            known = ()
        elif part in known:
            shown.append(part)
            known = _CLIENT_FIELDS if shown == ["client"] else ()
        else:
            return _field_path(tuple(shown)), False
    return _field_path(tuple(shown)), True


def _validated(data: dict[str, Any]) -> FirstContact:
    try:
        # FirstContact.model_validate(data), without its keyword handling on every call.
        return _validate_python(data)  # type: ignore[no-any-return]
    except ValidationError as exc:
        problems = _dedupe(_problem_from_pydantic(e) for e in exc.errors(include_input=False))
    # Raised outside the handler: the error's __context__ is then not pydantic's
    # ValidationError, which holds every input value.
    raise ContactError(problems)


def _dedupe(problems: Any) -> list[ContactProblem]:
    """One problem per field: an answer of a wrong type fails each union member once."""
    seen: dict[str, ContactProblem] = {}
    for problem in problems:
        if problem.field in seen and problem.field.startswith("answers."):
            seen[problem.field] = ContactProblem(
                problem.field, "must be true, false, a number or text", "answer-type"
            )
        else:
            seen.setdefault(problem.field, problem)
    return list(seen.values())


class _SchemaSource(Protocol):
    def json_schema_parts(self) -> tuple[dict[str, Any], dict[str, Any]]: ...


def contact_json_schema(questionnaire: _SchemaSource | None = None) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the first-contact record, for form builders.

    With a questionnaire, ``concerns`` lists its codes and ``answers`` its questions with
    their types, bounds and choices.
    """
    schema = FirstContact.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "oneContact first contact"
    props = schema["properties"]
    props["received_at"] = {
        "type": "string",
        "format": "date-time",
        "description": "RFC 3339 timestamp with a UTC offset; naive timestamps are refused",
    }
    client = schema["$defs"]["Client"]
    client["properties"]["birth_date"] = {
        "anyOf": [{"type": "string", "format": "date"}, {"type": "null"}],
        "default": None,
    }
    client["description"] = "Give exactly one of age and birth_date."
    if questionnaire is not None:
        concerns, answers = questionnaire.json_schema_parts()
        props["concerns"]["items"] = {"type": "string", **concerns}
        props["concerns"]["uniqueItems"] = True
        props["answers"] = answers
    return schema
