"""Reading a first contact's JSON text within limits: a clear :class:`ContactError` for
every document oneContact will not read, never ``RecursionError`` or ``ValueError``.

The limits (docs/reference/contact-input.md):

- at most :data:`MAX_CONTACT_SIZE` bytes (of text: characters); code ``json-too-large``;
- UTF-8 only (a byte order mark is skipped); code ``json-invalid``;
- at most :data:`MAX_JSON_DEPTH` arrays and objects inside each other (a contact needs
  3); code ``json-too-deep``: checked before parsing, so no depth can exhaust the stack;
- no key twice in one object; code ``json-duplicate-key``;
- numbers: an integer longer than Python reads (4,300 digits) is refused as one of more
  than :data:`MAX_NUMBER_DIGITS` digits, code ``number-too-large``; ``NaN`` and
  ``Infinity`` are not JSON, code ``json-invalid``. A float beyond the range (``1e400``)
  is read as infinity, which the validation of the contact refuses at its field.

A problem names the field by the path of keys the caller may show (``field_of``): a key
that is no known field name is never echoed.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from itertools import accumulate
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

#: The largest contact document read: 256 KiB (bytes of UTF-8; for text, characters). A
#: contact at every limit of the form (10,000 characters of free text written as \u
#: escapes, 500 answers, 100 concerns) is under 200 KB; most are under 2 KB.
MAX_CONTACT_SIZE = 262_144
#: Arrays and objects inside each other: a contact needs 3 (``client`` →
#: ``named_professionals``); the margin is for forms that send more than they should.
MAX_JSON_DEPTH = 32
#: Digits of a JSON integer said to be too many when one has more than Python reads at
#: all (4,300): every number a contact holds is below 10**9 (questions' bounds) or 130
#: (age), and a longer one, read, is refused by the bounds of its field.
MAX_NUMBER_DIGITS = 100
_PYTHON_DIGITS = 4300  # Python's default limit of digits in int(text)

JsonPath = tuple[str | int, ...]
#: Names the field at a path of keys and indices: ``(field, whole)``, where *whole* is
#: False when the path was cut at a key that may not be shown.
FieldOf = Callable[[JsonPath], tuple[str, bool]]

_BOM = "\ufeff"
# A string (a key when followed by ':'), a bracket, a comma, or a lone quote: a string
# never closed, where the scan stops and json says what is wrong.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?|[\[\]{},]|"', re.DOTALL)
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class _JsonRefusal:
    """A value read but refused (a huge number, NaN), kept in its place to find its path."""

    __slots__ = ("code", "fix", "what")

    def __init__(self, code: str, what: str, fix: str) -> None:
        self.code = code
        self.what = what
        self.fix = fix


_TOO_LARGE = _JsonRefusal(
    "number-too-large",
    f"a number too large to read (more than {MAX_NUMBER_DIGITS} digits)",
    "give a number the form allows",
)
_NOT_JSON = _JsonRefusal(
    "json-invalid", "NaN or Infinity, which JSON does not allow", "give a number"
)


class _Duplicated(dict[str, Any]):
    """An object that gave a key more than once (the keys are kept for the message)."""

    duplicates: list[str]


class _Reading:
    """The hooks of one JSON decoding: they mark what they refuse, and note that they did
    (so that a document without any is not walked again)."""

    def __init__(self, *, numbers: bool = False) -> None:
        self.refused = False
        # Numbers are read by json's own C code unless told: a Python call for each would
        # double the time of a long document. An integer Python refuses to read (over
        # 4,300 digits) raises ValueError; the reading is then repeated with *numbers*,
        # which marks each integer too long. A float beyond the range (1e400) is read as
        # infinity, which the contact's validation refuses where it stands.
        self.decoder = json.JSONDecoder(
            object_pairs_hook=self.pairs,
            parse_int=self.integer if numbers else None,
            parse_constant=self.constant,
        )

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) == len(pairs):
            return out
        seen: set[str] = set()
        twice = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
        marked = _Duplicated(out)
        marked.duplicates = list(dict.fromkeys(twice))
        self.refused = True
        return marked

    def integer(self, text: str) -> int | _JsonRefusal:
        if len(text) - (text[0] == "-") <= MAX_NUMBER_DIGITS:
            return int(text)
        self.refused = True
        return _TOO_LARGE

    def constant(self, _text: str) -> _JsonRefusal:
        self.refused = True
        return _NOT_JSON


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
        text = _utf8(data)
        if text is None:
            raise ContactError(
                [ContactProblem("<json>", "not UTF-8 text; send JSON as UTF-8", "json-invalid")]
            )
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
    # A host that lifted Python's limit of digits (0: none) gets the hook from the start.
    limit = sys.get_int_max_str_digits()
    reading, value, where = _decoded(text, numbers=not 0 < limit <= _PYTHON_DIGITS)
    if where is not None:
        raise ContactError([ContactProblem("<json>", f"not valid JSON {where}", "json-invalid")])
    if reading.refused:
        raise ContactError(_refusals(value, field_of))
    return value


# The errors of json and of decoding keep the whole document (``doc``, ``object``): a
# ContactError is raised after the ``except`` block, so that its ``__context__`` does not
# carry what a person wrote.


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _decoded(text: str, *, numbers: bool) -> tuple[_Reading, Any, str | None]:
    """The reading of *text* and its value, or where *text* stops being JSON."""
    reading = _Reading(numbers=numbers)
    try:
        return reading, reading.decoder.decode(text), None
    except json.JSONDecodeError as exc:
        return reading, None, f"at line {exc.lineno} column {exc.colno}"
    except ValueError:  # an integer of more digits than Python reads: find where
        pass
    return _decoded(text, numbers=True)


def _too_deep(text: str) -> JsonPath | None:
    """The path of keys and indices to the first array or object nested deeper than
    :data:`MAX_JSON_DEPTH`, or None; without recursion, before json recurses."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return None  # the common case: too few brackets to nest that deep
    # The depth of the brackets outside strings, in C loops; a string never closed leaves
    # its brackets in, which at worst sends the text to the exact scan below.
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if max(accumulate(map(_STEP.__getitem__, brackets)), default=0) <= MAX_JSON_DEPTH:
        return None
    return _deep_path(text)


def _deep_path(text: str) -> JsonPath | None:
    """The exact scan of :func:`_too_deep`: token by token, keeping the path."""
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


#: At most this many problems of values refused are listed: the first say what to fix.
_MAX_LISTED = 20


def _refusals(value: Any, field_of: FieldOf) -> list[ContactProblem]:
    """Problems of the values read but refused and of keys given twice, by path (the
    first :data:`_MAX_LISTED`)."""
    if value.__class__ is _JsonRefusal:  # the document is one number refused
        return [_problem(field_of, (), value.code, value.what, value.fix)]
    problems: list[ContactProblem] = []
    # Containers only, as (container, key or index, parent entry): a path is built only
    # for what is refused.
    stack: list[tuple[Any, str | int, Any]] = [(value, "", None)]
    while stack and len(problems) < _MAX_LISTED:
        entry = stack.pop()
        item = entry[0]
        if isinstance(item, _Duplicated):
            path = _path_of(entry)
            for twice in item.duplicates:
                field, whole = field_of((*path, twice))
                problems.append(
                    ContactProblem(
                        field,
                        "is given more than once; give each field once"
                        if whole
                        else "gives a key (not shown) more than once; give each key once",
                        "json-duplicate-key",
                    )
                )
        pairs: Iterable[tuple[str | int, Any]] = (
            item.items() if isinstance(item, dict) else enumerate(item)
        )
        for key, child in pairs:
            if child.__class__ is _JsonRefusal:
                where = _path_of((child, key, entry))
                problems.append(_problem(field_of, where, child.code, child.what, child.fix))
            elif child.__class__ in _CONTAINERS:
                stack.append((child, key, entry))
    return problems[:_MAX_LISTED]


_CONTAINERS = frozenset({list, dict, _Duplicated})


def _path_of(entry: tuple[Any, str | int, Any]) -> JsonPath:
    parts: list[str | int] = []
    while entry[2] is not None:  # the document's own entry has no parent
        parts.append(entry[1])
        entry = entry[2]
    return tuple(reversed(parts))
