"""Mutated valid contacts give only ContactError: never TypeError, RecursionError,
OverflowError, ValueError or anything else, as a dict, as JSON text and as bytes.

The seeds are the bundled example contacts (examples/) and every fixture case's contact
(fixtures/); each is mutated a few times (keys dropped and inserted, values replaced by
values of other types, nesting thousands deep, huge numbers, NaN, odd and unicode
strings, keys given twice, a byte order mark, a torn document) and given to
:func:`parse_contact` and :meth:`Engine.assess` (with events and *now*, some of them out
of the years supported). The default run takes a few seconds; ``-m slow`` runs more.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneContact import ContactError, Engine, parse_contact
from oneContact.engine import Backend
from oneContact.fixtures import load_fixture_file

from .conftest import BUNDLED_RULES, REPO

pytestmark = pytest.mark.filterwarnings("ignore")


# --------------------------------------------------------------------------- seeds


def _seeds() -> list[dict[str, Any]]:
    seeds = [json.loads((REPO / "examples" / "contact.json").read_text(encoding="utf-8"))]
    lines = (REPO / "examples" / "contacts.jsonl").read_text(encoding="utf-8").splitlines()
    seeds += [json.loads(line) for line in lines if line.strip()]
    for path in sorted((REPO / "fixtures").rglob("*.yaml")):
        seeds += [dict(case.contact) for case in load_fixture_file(path)]
    return seeds


SEEDS = _seeds()


@functools.cache
def _engine(backend: Backend) -> Engine:
    return Engine.from_directory(BUNDLED_RULES, backend=backend)


# --------------------------------------------------------------------------- values
# A mutated contact is a tree of plain values and three markers that stand for what a
# Python literal cannot carry through json.dumps: nesting thousands deep, an integer of
# thousands of digits (JSON text: Python refuses to read it), an object with a key twice.


class Deep:
    """Arrays (or objects) nested *depth* deep."""

    def __init__(self, depth: int, kind: str) -> None:
        self.depth, self.kind = depth, kind


class Huge:
    """An integer of *digits* digits."""

    def __init__(self, digits: int, sign: str) -> None:
        self.digits, self.sign = digits, sign


class Twice:
    """An object that gives one key twice."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


def to_python(value: Any) -> Any:
    """The tree as a Python value (a dict keeps the last of a key given twice)."""
    if isinstance(value, Deep):
        inner: Any = [] if value.kind == "[" else {}
        for _ in range(value.depth - 1):
            inner = [inner] if value.kind == "[" else {"k": inner}
        return inner
    if isinstance(value, Huge):
        return int(value.sign + "9" * min(value.digits, 4000))  # int() of more is refused
    if isinstance(value, Twice):
        return {k: to_python(v) for k, v in value.pairs}
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_python(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """The tree as JSON text, with what json.dumps cannot write (NaN is written as NaN)."""
    if isinstance(value, Deep):
        close = "]" if value.kind == "[" else "}"
        opening = "[" if value.kind == "[" else '{"k":'
        return (
            opening * (value.depth - 1)
            + ("[]" if value.kind == "[" else "{}")
            + close * (value.depth - 1)
        )
    if isinstance(value, Huge):
        return value.sign + "9" * value.digits
    if isinstance(value, Twice):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json(v)}" for k, v in value.pairs) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return json.dumps(value)


KEYS = st.sampled_from(
    [
        "contact_id",
        "received_at",
        "channel",
        "municipality",
        "client",
        "concerns",
        "answers",
        "free_text",
        "age",
        "birth_date",
        "language",
        "named_professionals",
        "chest_pain",
        "lives_alone",
        "recent_fall",
        "x",
        "",
        "010203a123b",  # shaped like an identity code, lower case
        "131052-308T",
        "äö",
        "\u0000",
        "__class__",
    ]
) | st.text(max_size=12)

ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\ud800",  # a lone surrogate
        "\u0000",
        "\ufeff",
        "1" * 5000,
        "x" * 70,
        "131052-308T",
        "2025-02-30",
        "1900-01-01",
        "9999-12-31",
        "0001-01-01",
        "2025-03-04T10:00:00",
        "2025-03-04T10:00:00+02:00",
        "9999-12-31T23:59:59+00:00",
        "9999-12-31T23:00:00-05:00",
        "0001-01-01T00:00:00+14:00",
        "1969-12-31T23:59:59+00:00",
        "2100-01-01T00:00:00+00:00",
        "NaN",
        "phone",
        "fi",
        "acute_symptom",
        "e\u0301",
        "\U0001f600",
    ]
) | st.text(max_size=30)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 130, 131, 10**9, 10**9 + 1, 2**63, -(2**63) - 1, 10**100]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, 2.5, float("nan"), float("inf")]),
    ODD_TEXT,
)

ODD_VALUES = st.one_of(
    SCALARS,
    st.builds(Deep, st.sampled_from([2, 3, 31, 32, 33, 1000, 5000]), st.sampled_from("[{")),
    st.builds(
        Huge, st.sampled_from([20, 100, 101, 1000, 4300, 4301, 10_000]), st.sampled_from(["", "-"])
    ),
    st.lists(SCALARS, max_size=3),
    st.dictionaries(KEYS, SCALARS, max_size=3),
    st.lists(st.lists(SCALARS, max_size=2), max_size=2),
)


# --------------------------------------------------------------------------- mutations


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside dicts and lists (the root's children and deeper)."""
    out: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((*prefix, key))
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.append((*prefix, index))
            out += _paths(item, (*prefix, index))
    return out


def _parent(tree: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        tree = tree[part]
    return tree


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A seed contact with one to four mutations."""
    tree: Any = json.loads(json.dumps(draw(st.sampled_from(SEEDS))))  # a deep copy
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(tree)
        action = draw(st.sampled_from(["drop", "insert", "replace", "wrap", "twice", "root"]))
        if action == "root":
            tree = draw(ODD_VALUES | st.just([tree]))
            continue
        if not paths or not isinstance(tree, dict | list):
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(tree, path)
        key = path[-1]
        if action == "drop":
            del parent[key]
        elif action == "insert":
            target = parent[key] if isinstance(parent[key], dict) else parent
            if isinstance(target, dict):
                target[draw(KEYS)] = draw(ODD_VALUES)
            else:
                target.insert(draw(st.integers(0, len(target))), draw(ODD_VALUES))
        elif action == "replace":
            parent[key] = draw(ODD_VALUES)
        elif action == "wrap":
            parent[key] = draw(st.sampled_from([[parent[key]], {"x": parent[key]}]))
        elif isinstance(parent, dict) and isinstance(key, str):  # "twice"
            pairs = [*parent.items(), (key, draw(SCALARS))]
            grand = _parent(tree, path[:-1]) if len(path) > 1 else None
            if grand is None:
                tree = Twice(pairs)
                break  # the root is a marker now: no more paths
            grand[path[-2]] = Twice(pairs)
    return tree


AWARE = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))]),
)
INSTANTS = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)
    ),
    AWARE,
    st.datetimes(),  # naive
    st.sampled_from(
        [
            datetime.min.replace(tzinfo=UTC),
            datetime.max.replace(tzinfo=UTC),
            datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=5))),
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        ]
    ),
)
EVENTS = st.dictionaries(
    st.sampled_from(["need_assessed", "care_started", "referral_received", "no_such_event", ""]),
    INSTANTS,
    max_size=2,
)


@st.composite
def forms(draw: st.DrawFn) -> Any:
    """The mutated contact as a host gives it: a dict, JSON text or bytes, perhaps with a
    byte order mark, perhaps torn or with a byte that is not UTF-8."""
    tree = draw(mutated())
    form = draw(st.sampled_from(["dict", "text", "bytes", "bom", "torn", "byte"]))
    if form == "dict":
        return to_python(tree)
    text = to_json(tree)
    if form == "text":
        return text
    if form == "bom":
        return draw(
            st.sampled_from(
                ["\ufeff" + text, b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")]
            )
        )
    data = text.encode("utf-8", "surrogatepass")
    at = draw(st.integers(0, len(data)))
    if form == "torn":
        return data[:at]
    if form == "byte":
        return (
            data[:at]
            + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80"]))
            + data[at:]
        )
    return data


# --------------------------------------------------------------------------- the property


def _only_contact_errors(call: Callable[[], object]) -> None:
    try:
        call()
    except ContactError as exc:
        error = exc
    else:
        return
    assert error.problems, "a ContactError names at least one problem"
    for problem in error.problems:
        assert problem.field, problem
        assert problem.code, problem
        assert problem.message, problem
        assert problem.messages.complete, problem.code
    assert str(error)  # printing it never fails
    json.dumps(error.to_json())


def _check(backend: Backend, contact: Any, events: dict[str, Any], now: Any) -> None:
    _only_contact_errors(lambda: parse_contact(contact))
    engine = _engine(backend)
    _only_contact_errors(lambda: engine.assess(contact))
    _only_contact_errors(lambda: engine.assess(contact, events=events, now=now))


FAST = settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(forms(), EVENTS, INSTANTS)
def test_mutated_contacts_give_only_contact_errors(contact: Any, events: Any, now: Any) -> None:
    """parse_contact and Engine.assess (python evaluator): a result or ContactError."""
    _check("python", contact, events, now)


@pytest.mark.slow
@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow])
@given(forms(), EVENTS, INSTANTS)
def test_many_mutated_contacts_give_only_contact_errors(
    contact: Any, events: Any, now: Any
) -> None:
    """The same, twenty times longer (``-m slow``)."""
    _check("python", contact, events, now)


@pytest.mark.durable
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(forms(), EVENTS, INSTANTS)
def test_mutated_contacts_give_only_contact_errors_in_durable_rules(
    contact: Any, events: Any, now: Any
) -> None:
    """The same through the durable_rules evaluator (where it can be imported)."""
    pytest.importorskip("durable_rules_engine", reason="durable_rules is not installed here")
    _check("durable", contact, events, now)


def test_the_mutations_reach_the_edges() -> None:
    """The markers become what they stand for: JSON nested 5000 deep, a 10,000-digit
    integer, a key given twice; and each one is refused as a ContactError."""
    seed = dict(SEEDS[0])
    for value in (Deep(5000, "["), Deep(5000, "{"), Huge(10_000, "")):
        text = to_json({**seed, "answers": {"lives_alone": value}})
        assert text.count("[") + text.count("{") > 30 or "9" * 10_000 in text
        with pytest.raises(ContactError):
            parse_contact(text)
    twice = to_json(Twice([*seed.items(), ("channel", "phone")]))
    assert twice.count('"channel"') == 2
    with pytest.raises(ContactError):
        parse_contact(twice)
    assert isinstance(to_python(Deep(5000, "[")), list)
    assert len(SEEDS) > 100
