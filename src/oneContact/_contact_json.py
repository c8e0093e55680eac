"""Reading a first contact's JSON text within limits: a clear :class:`ContactError` for
every document oneContact will not read, never ``RecursionError`` or ``ValueError``.

The limits (docs/reference/contact-input.md):

- at most :data:`MAX_CONTACT_SIZE` bytes (of text: characters); code ``json-too-large``;
- UTF-8 only (a byte order mark is skipped); code ``json-invalid``;
- at most :data:`MAX_JSON_DEPTH` arrays and objects inside each other (a contact needs
  3); code ``json-too-deep``: checked before parsing, so no depth can exhaust the stack;
- no key twice in one object; code ``json-duplicate-key``;
- numbers: at most :data:`MAX_NUMBER_DIGITS` digits in an integer and no float beyond
  the float range (``1e400``); code ``number-too-large``; ``NaN`` and ``Infinity`` are
  not JSON; code ``json-invalid``.

A problem names the field by the path of keys the caller may show (``field_of``): a key
that is no known field name is never echoed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from .errors import ContactError, ContactProblem

__all__ = [
    "MAX_CONTACT_SIZE",
    "MAX_JSON_DEPTH",
    "MAX_NUMBER_DIGITS",
    "FieldOf",
    "JsonPath",
    "read_contact_json",
]

#: The largest contact document read: 1 MiB (bytes of UTF-8; for text, characters). A
#: contact with every field filled (free text of 10,000 characters) is under 100 KB.
MAX_CONTACT_SIZE = 1_048_576
#: Arrays and objects inside each other: a contact needs 3 (``client`` →
#: ``named_professionals``); the margin is for forms that send more than they should.
MAX_JSON_DEPTH = 32
#: Digits of a JSON integer: every number a contact holds is below 10**9 (questions'
#: bounds) or 130 (age); Python refuses to read more than 4,300 digits at all.
MAX_NUMBER_DIGITS = 100

JsonPath = tuple[str | int, ...]
#: Names the field at a path of keys and indices: ``(field, whole)``, where *whole* is
#: False when the path was cut at a key that may not be shown.
FieldOf = Callable[[JsonPath], tuple[str, bool]]

_BOM = "\ufeff"
# A string (a key when followed by ':'), a bracket, a comma, or a lone quote: a string
# never closed, where the scan stops and json says what is wrong.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?|[\[\]{},]|"', re.DOTALL)


class _Refused:
    """A value read but refused (a huge number, NaN), kept in its place to find its path."""

    __slots__ = ("code", "fix", "what")

    def __init__(self, code: str, what: str, fix: str) -> None:
        self.code = code
        self.what = what
        self.fix = fix


_TOO_LARGE = _Refused(
    "number-too-large",
    f"a number too large to read (more than {MAX_NUMBER_DIGITS} digits, or beyond the range "
    "of a float)",
    "give a number the form allows",
)
_NOT_JSON = _Refused("json-invalid", "NaN or Infinity, which JSON does not allow", "give a number")


class _Duplicated(dict[str, Any]):
    """An object that gave a key more than once (the keys are kept for the message)."""

    duplicates: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    twice = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
    marked = _Duplicated(out)
    marked.duplicates = list(dict.fromkeys(twice))
    return marked


def _integer(text: str) -> int | _Refused:
    digits = len(text) - (text[0] == "-")
    return _TOO_LARGE if digits > MAX_NUMBER_DIGITS else int(text)


def _float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else _TOO_LARGE


def _constant(_text: str) -> _Refused:
    return _NOT_JSON


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_int=_integer, parse_float=_float, parse_constant=_constant
)


def _problem(field_of: FieldOf, path: JsonPath, code: str, what: str, fix: str) -> ContactProblem:
    """The problem of *what* found at *path*: ``is what; fix`` when the whole path may be
    shown, else ``holds, in a part not shown, what; fix`` at the part that may."""
    field, whole = field_of(path)
    message = f"is {what}; {fix}" if whole else f"holds, in a part not shown, {what}; {fix}"
    return ContactProblem(field, message, code)


def read_contact_json(data: str | bytes, field_of: FieldOf) -> Any:
    """The value of the JSON document *data* (UTF-8 bytes or text, a BOM skipped), read
    within the limits above; a :class:`ContactError` naming the field (by *field_of*)
    for a document outside them."""
    if len(data) > MAX_CONTACT_SIZE:
        unit = "bytes" if isinstance(data, bytes) else "characters"
        raise ContactError(
            [
                ContactProblem(
                    "<json>",
                    f"is larger than {MAX_CONTACT_SIZE:,} {unit}; a first contact is far "
                    "smaller: send one contact, without attachments",
                    "json-too-large",
                )
            ]
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ContactError(
                [ContactProblem("<json>", "not UTF-8 text; send JSON as UTF-8", "json-invalid")]
            ) from None
    else:
        text = data
    if text.startswith(_BOM):
        text = text[1:]
    deep = _too_deep(text)
    if deep is not None:
        raise ContactError(
            [
                _problem(
                    field_of,
                    deep,
                    "json-too-deep",
                    f"an array or object nested more than {MAX_JSON_DEPTH} deep",
                    "a contact needs 3 levels",
                )
            ]
        )
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        where = f"at line {exc.lineno} column {exc.colno}"
        raise ContactError(
            [ContactProblem("<json>", f"not valid JSON {where}", "json-invalid")]
        ) from None
    problems = _refusals(value, field_of)
    if problems:
        raise ContactError(problems)
    return value


def _too_deep(text: str) -> JsonPath | None:
    """The path of keys and indices to the first array or object nested deeper than
    :data:`MAX_JSON_DEPTH`, or None; without recursion, before json recurses."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return None  # the common case: too few brackets to nest that deep
    path: list[str | int] = []  # per open container: its current key or index
    kinds: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == '"':
            if len(token) == 1:
                return None  # a string never closed: json reports where
            if match.group(1) is not None and kinds and kinds[-1] == "{":
                key = token[: token.rindex('"') + 1]
                try:
                    path[-1] = json.loads(key)
                except ValueError:
                    return None  # a bad escape: json reports where
        elif first in "[{":
            if len(kinds) >= MAX_JSON_DEPTH:
                return tuple(path)
            kinds.append(first)
            path.append(0 if first == "[" else "")
        elif first in "]}":
            if not kinds:
                return None  # unbalanced: json reports where
            kinds.pop()
            path.pop()
        elif kinds and kinds[-1] == "[":  # a comma between array items
            index = path[-1]
            path[-1] = index + 1 if isinstance(index, int) else 0
    return None


def _refusals(value: Any, field_of: FieldOf) -> list[ContactProblem]:
    """Problems of the values read but refused and of keys given twice, by path."""
    problems: list[ContactProblem] = []
    stack: list[tuple[Any, JsonPath]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, _Refused):
            problems.append(_problem(field_of, path, item.code, item.what, item.fix))
        elif isinstance(item, dict):
            if isinstance(item, _Duplicated):
                for key in item.duplicates:
                    field, whole = field_of((*path, key))
                    problems.append(
                        ContactProblem(
                            field,
                            "is given more than once; give each field once"
                            if whole
                            else "gives a key (not shown) more than once; give each key once",
                            "json-duplicate-key",
                        )
                    )
            stack.extend((v, (*path, k)) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(item))))
    return problems
