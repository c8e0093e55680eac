"""The one place that touches durable_rules (its C module ``durable_rules_engine``).

What was measured about the engine and why it is held this way is in
``docs/explanation/durable-rules.md``. In short:

* only the low-level API: ``create_ruleset`` once, then per assessment ``assert_fact`` →
  ``start_action_for_state`` → ``complete_and_start_action`` until no rule is left →
  ``delete_state`` in ``finally``; no ``engine.Host`` (timer threads, swallowed errors);
* every rule is guarded by the marker field ``__intake == 1`` (a rule of only ``$nex``
  conditions would otherwise match the engine's own state fact and loop forever), and
  every C ruleset has one catch-all rule on that marker (without it, ``delete_state`` of a
  contact that matched nothing segfaults);
* the engine expands ``$or`` itself and returns one match per satisfied branch; more than
  about 64 pending matches for one fact fail with error 303. So each rule is compiled to
  its disjunctive normal form here, each term becomes one C rule, and terms are packed
  into C rulesets of at most ``TERMS_PER_RULESET`` terms: at most that many plus the
  catch-all can ever be pending, and no parent ever has the >= 513 children that makes
  ``create_ruleset`` hang;
* facts are flat and bounded (the loader caps the questionnaire size, error 302 is ~255
  fields); rulesets are deleted when the program is dropped.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import weakref
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

import attrs

from .condition import Atom, Cond, Missing, Present, Test, dnf

__all__ = [
    "TERMS_PER_RULESET",
    "DurableProgram",
    "DurableUnavailable",
    "Part",
    "encode_fact",
    "import_engine",
]

TERMS_PER_RULESET = 48
_GUARD = "__intake"
_CATCH_ALL = "__all"
_names = itertools.count()


class DurableUnavailable(ImportError):
    """durable_rules cannot be imported here (e.g. Python >= 3.13)."""


def import_engine() -> Any:
    """The C module, or DurableUnavailable with the reason."""
    try:
        import durable_rules_engine  # noqa: PLC0415 -- optional, imported on demand
    except ImportError as exc:  # pragma: no cover - depends on the interpreter
        raise DurableUnavailable(str(exc)) from exc
    return durable_rules_engine


def _atom(atom: Atom) -> dict[str, Any]:
    if isinstance(atom, Present):
        return {"$ex": {atom.key: 1}}
    if isinstance(atom, Missing):
        return {"$nex": {atom.key: 1}}
    assert isinstance(atom, Test)
    if atom.op == "==":
        return {atom.key: atom.value}
    op = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}[atom.op]
    return {op: {atom.key: atom.value}}


def _number(value: float) -> str:
    # The C engine's JSON reader knows no exponents ("1e-06" fails with error 204), and
    # Python writes floats below 1e-4 or from 1e16 that way: write them out in full.
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text or "E" in text else text


def encode_fact(fact: Mapping[str, Any]) -> str:
    """JSON text of a flat fact that the C engine reads exactly as Python does.

    Everything but floats goes through one ``json.dumps``; floats are appended written
    out in full (see ``_number``). The fact always has other keys (age, language, ...).
    """
    floats = [(k, v) for k, v in fact.items() if type(v) is float]
    if not floats:
        return json.dumps(fact, ensure_ascii=False)
    rest = json.dumps({k: v for k, v in fact.items() if type(v) is not float}, ensure_ascii=False)
    tail = ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_number(v)}" for k, v in floats)
    return f"{rest[:-1]},{tail}}}" if rest != "{}" else f"{{{tail}}}"


def _rule(term: Sequence[Atom]) -> dict[str, Any]:
    return {"all": [{"m": {"$and": [{_GUARD: 1}, *(_atom(a) for a in term)]}}]}


def _required_concern(term: Sequence[Atom]) -> str | None:
    """The concern key a term cannot hold without (``c__X`` present), if any."""
    for atom in term:
        if isinstance(atom, Test) and atom.key.startswith("c__") and atom.value is True:
            return atom.key
    return None


@attrs.frozen
class Part:
    """One C ruleset: its definition, its rule names, and when a contact must meet it.

    ``concerns`` is None for a part that every contact meets; otherwise every term in it
    requires one of these concern keys, so a contact with none of them cannot fire any.
    """

    definition: dict[str, Any]
    names: dict[str, int]
    concerns: frozenset[str] | None


def build_rulesets(conditions: Sequence[Cond]) -> list[Part]:
    """The C rulesets for *conditions*.

    Terms are grouped by the concern they require, so that a contact is asserted only
    into the rulesets it could match (a session costs per rule in its ruleset); each
    ruleset holds at most ``TERMS_PER_RULESET`` terms (error 303 and the create hang).
    """
    groups: dict[str, list[tuple[int, tuple[Atom, ...]]]] = {}
    unguarded: list[tuple[int, tuple[Atom, ...]]] = []
    for index, cond in enumerate(conditions):
        expanded = dnf(cond)
        if expanded is None:  # the loader refuses such rules; keep the adapter safe anyway
            raise ValueError(f"rule {index} has too many alternatives for the C engine")
        for term in expanded:
            concern = _required_concern(term)
            if concern is None:
                unguarded.append((index, term))
            else:
                groups.setdefault(concern, []).append((index, term))
    bins: list[tuple[frozenset[str] | None, list[tuple[int, tuple[Atom, ...]]]]] = []
    for start in range(0, len(unguarded), TERMS_PER_RULESET):
        bins.append((None, unguarded[start : start + TERMS_PER_RULESET]))
    current: list[tuple[int, tuple[Atom, ...]]] = []
    keys: set[str] = set()
    for key in sorted(groups):
        for item in groups[key]:
            if len(current) == TERMS_PER_RULESET:
                bins.append((frozenset(keys), current))
                current, keys = [], set()
            current.append(item)
            keys.add(key)
    if current:
        bins.append((frozenset(keys), current))
    out: list[Part] = []
    for concerns, chunk in bins or [(None, [])]:
        definition: dict[str, Any] = {_CATCH_ALL: {"all": [{"m": {_GUARD: 1}}]}}
        names: dict[str, int] = {}
        for n, (index, term) in enumerate(chunk):
            name = f"r{index}_{n}"
            definition[name] = _rule(term)
            names[name] = index
        out.append(Part(definition, names, concerns))
    return out


def _delete_rulesets(engine: Any, handles: list[int]) -> None:
    for handle in handles:
        # Best effort while the program is collected: never raise from a finaliser.
        with contextlib.suppress(Exception):
            engine.delete_ruleset(handle)


class DurableProgram:
    """A compiled rule set living in the durable_rules C engine.

    Safe to share between threads: calls into the C engine are serialised by a lock (the
    engine holds the GIL throughout, so nothing is lost by it), and every session is
    deleted in ``finally``.
    """

    def __init__(self, conditions: Sequence[Cond]) -> None:
        self._engine = import_engine()
        self._lock = threading.Lock()
        self._sid = itertools.count()
        self._parts: list[tuple[int, dict[str, int], frozenset[str] | None]] = []
        handles: list[int] = []
        self._finalizer = weakref.finalize(self, _delete_rulesets, self._engine, handles)
        prefix = f"onecontact_{next(_names)}"
        for n, part in enumerate(build_rulesets(conditions)):
            # Literals are bounded by the condition parser (at most 4 decimals, within
            # ±1e9), so json.dumps never writes an exponent here.
            handle = self._engine.create_ruleset(
                f"{prefix}_{n}", json.dumps(part.definition, ensure_ascii=False)
            )
            handles.append(handle)
            self._parts.append((handle, part.names, part.concerns))

    @property
    def backend(self) -> Literal["durable"]:
        """The evaluator: the durable_rules C engine."""
        return "durable"

    def close(self) -> None:
        """Delete the C rulesets now instead of when the program is collected."""
        self._finalizer()

    def fired(self, fact: Mapping[str, Any]) -> list[int]:
        """Indices of the rules whose condition holds for *fact*, ascending."""
        engine = self._engine
        hits: set[int] = set()
        with self._lock:
            sid = str(next(self._sid))
            message = dict(fact)
            message[_GUARD] = 1
            message["sid"] = sid
            message["id"] = "contact"
            payload = encode_fact(message)
            for handle, names, concerns in self._parts:
                if concerns is not None and concerns.isdisjoint(fact):
                    continue  # every term here requires a concern this contact lacks
                asserted = False
                try:
                    state = engine.assert_fact(handle, payload)[1]
                    asserted = True
                    result = engine.start_action_for_state(handle, state)
                    text = result[1] if result else None
                    while text:
                        # The engine writes each action as {"<rule name>": {...the fact}}
                        # (serializeResult in state.c): read the name, not the whole text.
                        index = names.get(text[2 : text.index('"', 2)])
                        if index is not None:
                            hits.add(index)
                        text = engine.complete_and_start_action(handle, state)
                finally:
                    if asserted:
                        engine.delete_state(handle, sid)
                    else:
                        # assert_fact failed: a session may or may not exist (error 309 if
                        # not); never let the clean-up hide the original error.
                        with contextlib.suppress(Exception):
                            engine.delete_state(handle, sid)
        return sorted(hits)
