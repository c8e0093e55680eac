"""Rule files: each ``*.yaml`` of a rules directory besides the questionnaire and the
catalogue, read into compiled :class:`~oneContact.ruleset.model.Rule` values.

Each rule's ``when`` is compiled by the condition language
(:mod:`oneContact.ruleset.condition`) against the questionnaire's fields; its needs,
services, clocks and the persons its clocks follow are checked against the catalogue, the
policies and the questionnaire. Every problem is noted, located to file, line and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from .. import _yaml
from .._problems import ProblemCollector
from .._text import Label, Untranslated, read_text
from ..errors import RuleError, did_you_mean
from ._reading import display_name, id_list
from .catalogue import Catalogue
from .condition import Cond, ConditionSyntaxError, ConditionTypeError, FieldInfo, compile_condition
from .model import URGENCY_LEVELS, Person, Rule
from .questionnaire import Questionnaire

__all__ = ["MAX_RULES", "read_rules"]

MAX_RULES = 5_000
#: The files of a rules directory that are not rule files.
_RESERVED_FILES = frozenset({"questionnaire.yaml", "catalogue.yaml"})
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


_RULE_KEYS = ("id", "description", "when", "urgency", "needs", "services", "clocks", "priority")


def read_rules(
    root: Path,
    questionnaire: Questionnaire,
    catalogue: Catalogue,
    clock_ids: frozenset[str] | None,
    c: ProblemCollector,
) -> list[Rule]:
    """Every rule of the rule files of *root* (each ``*.yaml`` besides the questionnaire
    and the catalogue), in file and list order; problems are noted in *c* and a broken
    rule is left out. *clock_ids* None: the policies could not be read, so clock ids are
    not checked."""
    fields = questionnaire.fields()
    concern_codes = frozenset(questionnaire.concerns)
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    files = sorted(p for p in root.glob("*.yaml") if p.name not in _RESERVED_FILES)
    if not files:
        c.add("no-rules", "no rule files (*.yaml besides questionnaire and catalogue)", root)
    for path in files:
        display = display_name(path, root)
        try:
            doc = _yaml.load_yaml(path)
        except RuleError as exc:
            c.problems.extend(exc.problems)
            continue
        if doc is None:
            continue
        if not isinstance(doc, Mapping) or "rules" not in doc:
            c.add("not-a-rule-file", "a rule file holds a list under 'rules:'", path)
            continue
        c.unknown_keys(doc, ("rules",), path, "a rule file")
        for item, where in id_list(doc, "rules", path, c, "a rule file"):
            # Duplicates are found even when the first rule of that id is broken itself.
            rule_id = item.get("id") if isinstance(item, Mapping) else None
            if isinstance(rule_id, str) and rule_id in seen:
                c.add(
                    "duplicate-rule-id",
                    f"rule id {rule_id!r} is already used at {seen[rule_id]}",
                    path,
                    where,
                    rule_id=rule_id,
                )
                continue
            if isinstance(rule_id, str):
                seen[rule_id] = f"{display}:{where[0]}"
            rule = _load_rule(
                item,
                where,
                path,
                display,
                fields,
                concern_codes,
                catalogue,
                _Clocks(clock_ids, questionnaire.persons),
                c,
            )
            if rule is not None:
                rules.append(rule)
    if len(rules) > MAX_RULES:
        c.add("too-many-rules", f"more than {MAX_RULES} rules in one directory", root)
    return rules


def _names(
    item: Mapping[str, Any],
    key: str,
    known: Mapping[str, Any] | frozenset[str] | None,
    what: str,
    path: Path,
    rule_id: str,
    c: ProblemCollector,
    *,
    code: str,
) -> tuple[str, ...]:
    raw = item.get(key, [])
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.add(
            "not-a-list",
            f"'{key}' must be a list, e.g. [a, b]",
            path,
            _yaml.value_position(item, key),
            rule_id=rule_id,
        )
        return ()
    out: list[str] = []
    for i, name in enumerate(raw):
        where = _yaml.item_position(raw, i)
        if not isinstance(name, str) or (known is not None and name not in known):
            c.add(
                code,
                f"unknown {what} {name!r}",
                path,
                where,
                rule_id=rule_id,
                suggestion=did_you_mean(str(name), known or ()),
            )
        elif name not in out:
            out.append(name)
    return tuple(out)


def _load_rule(
    item: Any,
    where: tuple[int | None, int | None],
    path: Path,
    display: str,
    fields: Mapping[str, FieldInfo],
    concerns: frozenset[str],
    catalogue: Catalogue,
    known: _Clocks,
    c: ProblemCollector,
) -> Rule | None:
    if not isinstance(item, Mapping):
        c.add("not-a-mapping", "each rule is a mapping with id, when and outcomes", path, where)
        return None
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        c.add(
            "bad-rule-id",
            "a rule needs an id of a-z, 0-9, '_', '.' and '-', e.g. acute.chest-pain",
            path,
            where,
        )
        return None
    c.unknown_keys(item, _RULE_KEYS, path, f"rule {rule_id!r}", rule_id=rule_id)
    before = len(c.problems)
    when = item.get("when")
    condition: Cond | None = None
    if isinstance(when, bool):
        when = "true" if when else "false"
    if not isinstance(when, str):
        c.add(
            "missing-when", "a rule needs a condition under 'when:'", path, where, rule_id=rule_id
        )
    else:
        try:
            condition = compile_condition(when, fields, concerns)
        except ConditionSyntaxError as exc:
            line, col = _yaml.value_position(item, "when")
            if col is not None and line is not None and _plain_scalar(item, "when"):
                # ruamel points at the opening quote of a quoted scalar
                quoted = getattr(item.get("when"), "style", None) in ("'", '"')
                col = col + exc.column - 1 + (1 if quoted else 0)
            c.add(
                exc.code if isinstance(exc, ConditionTypeError) else "condition-syntax",
                f"in 'when: {when}': {exc.message}",
                path,
                (line, col),
                rule_id=rule_id,
                suggestion=exc.suggestion,
            )
    urgency = item.get("urgency")
    if urgency is not None and urgency not in URGENCY_LEVELS:
        c.add(
            "unknown-urgency",
            f"urgency {urgency!r}; use one of {', '.join(URGENCY_LEVELS)}",
            path,
            _yaml.value_position(item, "urgency"),
            rule_id=rule_id,
            suggestion=did_you_mean(str(urgency), URGENCY_LEVELS),
        )
    needs = _names(item, "needs", catalogue.needs, "need", path, rule_id, c, code="unknown-need")
    services = _names(
        item, "services", catalogue.services, "service", path, rule_id, c, code="unknown-service"
    )
    clocks, clock_for = _clock_entries(item, known, path, rule_id, c)
    priority = item.get("priority", 100)
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 10_000:
        c.add(
            "bad-priority",
            "priority must be a whole number 0-10000 (lower comes first)",
            path,
            _yaml.value_position(item, "priority"),
            rule_id=rule_id,
        )
        priority = 100
    if not any(item.get(k) for k in ("urgency", "needs", "services", "clocks")):
        c.add(
            "no-outcome",
            "a rule must declare at least one of urgency, needs, services, clocks",
            path,
            where,
            rule_id=rule_id,
        )
    description: Label | None = None
    if item.get("description") is not None:
        description = read_text(item["description"])
        if description is None:
            c.add(
                "bad-description",
                "a rule's description is text, or the same text in each language: "
                "{fi: ..., sv: ..., en: ...}",
                path,
                _yaml.value_position(item, "description"),
                rule_id=rule_id,
            )
        elif not description.complete:
            at = _yaml.value_position(item, "description")
            c.untranslated.append(
                Untranslated(
                    path, at[0], at[1], f"the description of rule {rule_id!r}", description
                )
            )
    if len(c.problems) > before or condition is None:
        return None
    return Rule(
        id=rule_id,
        file=display,
        line=where[0] or 0,
        when=str(when),
        condition=condition,
        urgency=urgency,
        needs=needs,
        services=services,
        clocks=clocks,
        priority=priority,
        description=description,
        clock_for=MappingProxyType(clock_for),
        when_at=_yaml.value_position(item, "when"),
        priority_written="priority" in item,
    )


@attrs.frozen
class _Clocks:
    """What a rule's ``clocks:`` entries may name: the clocks of the policies (None when
    the policies could not be read, so clock ids cannot be checked) and the persons."""

    ids: frozenset[str] | None
    persons: Mapping[str, Person]


_CLOCK_ENTRY_KEYS = ("clock", "for")


def _clock_entries(
    item: Mapping[str, Any], known: _Clocks, path: Path, rule_id: str, c: ProblemCollector
) -> tuple[tuple[str, ...], dict[str, str]]:
    """The clock ids of a rule's ``clocks:`` list, in order, and the person each one
    written ``{clock: id, for: person}`` follows. An entry is a clock id (the client's
    own right) or such a mapping; a clock may be named once per rule."""
    raw = item.get("clocks", [])
    if raw is None:
        return (), {}
    if not isinstance(raw, list):
        c.add(
            "not-a-list",
            "'clocks' must be a list, e.g. [care, {clock: therapy_guarantee, for: child}]",
            path,
            _yaml.value_position(item, "clocks"),
            rule_id=rule_id,
        )
        return (), {}
    clocks: dict[str, int] = {}  # clock id -> its entry's index
    clock_for: dict[str, str] = {}
    for i, entry in enumerate(raw):
        where = _yaml.item_position(raw, i)
        person: str | None = None
        if isinstance(entry, Mapping):
            c.unknown_keys(
                entry, _CLOCK_ENTRY_KEYS, path, f"a clock entry of rule {rule_id!r}",
                rule_id=rule_id,
            )  # fmt: skip
            name = entry.get("clock")
            if name is None:
                c.add(
                    "missing-key",
                    "a clock entry written as a mapping needs 'clock', e.g. "
                    "{clock: therapy_guarantee, for: child}",
                    path,
                    where,
                    rule_id=rule_id,
                )
                continue
            person = entry.get("for")
            if person is not None and (not isinstance(person, str) or person not in known.persons):
                declared = ", ".join(known.persons) or "none"
                c.add(
                    "unknown-person",
                    f"clock {name!r} is for unknown person {person!r}; the persons of "
                    f"questionnaire.yaml are: {declared} (add the person under 'persons:', "
                    "or leave 'for' out for the client's own right)",
                    path,
                    _yaml.value_position(entry, "for"),
                    rule_id=rule_id,
                    suggestion=did_you_mean(str(person), known.persons),
                )
                person = None
            where = _yaml.value_position(entry, "clock")
        else:
            name = entry
        if not isinstance(name, str) or (known.ids is not None and name not in known.ids):
            c.add(
                "unknown-clock",
                f"unknown clock {name!r}",
                path,
                where,
                rule_id=rule_id,
                suggestion=did_you_mean(str(name), known.ids or ()),
            )
            continue
        if name in clocks:
            c.add(
                "duplicate-clock",
                f"clock {name!r} is named twice in this rule (entries {clocks[name] + 1} and "
                f"{i + 1}); one rule starts a clock once, for one person: remove one entry",
                path,
                where,
                rule_id=rule_id,
            )
            continue
        clocks[name] = i
        if person is not None:
            clock_for[name] = person
    return tuple(clocks), clock_for


def _plain_scalar(item: Any, key: str) -> bool:
    """True when the value is written inline, so a column inside it maps to the file."""
    value = item.get(key)
    style = getattr(value, "style", None)
    return isinstance(value, str) and style in (None, "'", '"') and "\n" not in value
