"""Reading the parts of a policy file that statutory clocks and regional targets share:
the versions in force over time, their limits, variants and conditions on the client.

:class:`Reader` checks one value at a time and notes every problem in a
:class:`~oneContact._problems.ProblemCollector` rather than stopping at the first;
:class:`oneContact.clocks.loading.PolicyLoader` builds the files and regions on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from .._problems import ProblemCollector
from .._text import Label, read_text
from .._yaml import Located, item_position, key_position, load_yaml, position, value_position
from ..errors import RuleError, did_you_mean
from ._policy import (
    COUNTED,
    FLAGS,
    AgeAtLeast,
    AgeBelow,
    AllOf,
    AnyOf,
    Condition,
    Flag,
    Limit,
    OfficeHours,
    Otherwise,
    Span,
    Variant,
    Version,
)
from .model import LimitKind

__all__ = ["Reader"]
_ID = re.compile(r"[a-z0-9][a-z0-9_]*\Z")
_VERSION_KEYS = ("valid_from", "valid_until", "basis", "limit", "variants", "roll_to_weekday")
_VARIANT_KEYS = ("when", "otherwise", "limit", "note")
_CONDITION_KEYS = ("age_below", "age_at_least", "any_of", "all_of")
_SAME_DAY_KEYS = ("office_hours",)
_HOURS_KEYS = ("start", "end")
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])\Z")
_LANGUAGES = "{fi: ..., sv: ..., en: ...}"
_LIMIT_KINDS = tuple(kind.value for kind in LimitKind)
_LIMIT_FORMS = (
    "{weekdays: N}, {days: N}, {weeks: N}, {months: N}, "
    '{same_day: {office_hours: {start: "08:00", end: "16:00"}}} or {none: "reason"}'
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Reader:
    """Checks the values of policy files, noting every problem in *c*."""

    def __init__(self, c: ProblemCollector) -> None:
        self.c = c

    def required(
        self,
        mapping: Mapping[Any, Any],
        key: str,
        path: Path,
        what: str,
        allowed: Sequence[str],
    ) -> object | None:
        if key not in mapping:
            # A misspelt key was reported as unknown, with this key as the suggestion;
            # saying again that the key is missing would only add noise.
            misspelt = any(
                did_you_mean(str(k), allowed) == key for k in mapping if k not in allowed
            )
            if not misspelt:
                self.c.add("policy-missing-key", f"{what} needs {key!r}", path, position(mapping))
            return None
        value: object = mapping[key]
        if value is None:
            self.c.add(
                "policy-bad-value", f"{what}: {key!r} is empty", path, key_position(mapping, key)
            )
        return value

    # -- values

    def read_mapping(self, path: Path, shape: str) -> Mapping[str, Any] | None:
        """The YAML mapping in *path*, or None after reporting why it is not one."""
        try:
            data = load_yaml(path)
        except RuleError as exc:
            self.c.problems.extend(exc.problems)
            return None
        if not isinstance(data, Mapping):
            self.c.add(
                "policy-bad-file",
                shape,
                path,
                position(data) if data is not None else (1, 1),
            )
            return None
        return data

    def identifier(self, value: object, path: Path, where: Located, what: str) -> bool:
        if isinstance(value, str) and _ID.match(value):
            return True
        self.c.add(
            "policy-bad-id",
            f"{what} must be lower case letters, digits and '_' "
            f"(like 'need_assessed'), got {value!r}",
            path,
            where,
        )
        return False

    def flag(self, mapping: Mapping[Any, Any], key: str, path: Path, *, default: bool) -> bool:
        value = mapping.get(key, default)
        if isinstance(value, bool):
            return value
        self.c.add(
            "policy-bad-value",
            f"{key!r} is true or false, got {value!r}",
            path,
            value_position(mapping, key),
        )
        return default

    def label(
        self, mapping: Mapping[Any, Any], key: str, path: Path, shape: str, what: str
    ) -> Label | None:
        """The text under *key* (a string, or ``{fi, sv, en}`` strings), noted when it
        lacks a language (as *what*); None after reporting *shape* when it is no text."""
        where = value_position(mapping, key)
        found = read_text(mapping[key])
        if found is None:
            self.c.add("policy-bad-value", shape, path, where)
            return None
        return self.c.translated(found, path, where, what)

    def text(self, mapping: Mapping[Any, Any], key: str, path: Path, what: str) -> bool | None:
        """Check an optional text under *key*: None when absent, else whether it is text
        (a string, or ``{fi, sv, en}`` strings)."""
        if mapping.get(key) is None:
            return None
        shape = f"{what}: {key!r} is text, or the same text in each language: " + _LANGUAGES
        return self.label(mapping, key, path, shape, f"the {key} of {what}") is not None

    def read_versions(
        self,
        item: Mapping[Any, Any],
        path: Path,
        what: str,
        roll: bool,
        allowed: Sequence[str],
    ) -> tuple[Version, ...] | None:
        """The 'versions' of a clock or a regional target, sorted by start; None when
        any is wrong (each problem reported)."""
        raw_versions = self.required(item, "versions", path, what, allowed)
        if raw_versions is None:
            return None
        if not isinstance(raw_versions, list) or not raw_versions:
            self.c.add(
                "policy-bad-value",
                f"{what}: 'versions' is a non-empty list, each with 'basis' and "
                "'limit' or 'variants'",
                path,
                value_position(item, "versions"),
            )
            return None
        ok = True
        versions: list[Version] = []
        spans: list[Span] = []
        for index, raw in enumerate(raw_versions):
            span, version = self.read_version(
                raw, path, item_position(raw_versions, index), what, roll
            )
            if span is not None:
                spans.append(span)
            if version is None:
                ok = False
            else:
                versions.append(version)
        self.check_overlaps(spans, path, what)
        if not ok:
            return None
        versions.sort(key=lambda v: v.span.sort_key())
        return tuple(versions)

    def check_overlaps(self, spans: Sequence[Span], path: Path, what: str) -> None:
        latest: Span | None = None  # the span reaching furthest so far
        for version in sorted(spans, key=Span.sort_key):
            if latest is not None and (
                latest.valid_until is None
                or version.valid_from is None
                or version.valid_from <= latest.valid_until
            ):
                self.c.add(
                    "policy-overlap",
                    f"{what}: the version in force {version} overlaps the version "
                    f"at line {latest.line} (in force {latest}); "
                    "end one the day before the other starts",
                    path,
                    (version.line, None),
                )
            if latest is None or (
                latest.valid_until is not None
                and (version.valid_until is None or version.valid_until > latest.valid_until)
            ):
                latest = version

    def read_date(self, mapping: Mapping[Any, Any], key: str, path: Path) -> date | None:
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.c.add(
            "policy-bad-value",
            f"{key!r} is a date like 2025-01-01, got {value!r}",
            path,
            value_position(mapping, key),
        )
        return None

    def read_version(
        self, item: object, path: Path, where: Located, what: str, roll: bool
    ) -> tuple[Span | None, Version | None]:
        """The version's span (when its dates are valid) and the version (when all is)."""
        if not isinstance(item, Mapping):
            self.c.add(
                "policy-bad-value",
                f"{what}: each version is a mapping with 'basis' and 'limit' or 'variants'",
                path,
                where,
            )
            return None, None
        self.c.unknown_keys(
            item, _VERSION_KEYS, path, f"a version of {what}", code="policy-unknown-key"
        )
        ok = True
        valid_from = self.read_date(item, "valid_from", path)
        valid_until = self.read_date(item, "valid_until", path)
        span: Span | None = Span(valid_from, valid_until, where[0])
        if (item.get("valid_from") is not None and valid_from is None) or (
            item.get("valid_until") is not None and valid_until is None
        ):
            ok, span = False, None
        elif valid_from is not None and valid_until is not None and valid_from > valid_until:
            self.c.add(
                "policy-bad-dates",
                f"{what}: valid_from {valid_from} is after valid_until {valid_until}",
                path,
                key_position(item, "valid_until"),
            )
            ok, span = False, None
        basis: Label | None = None
        if self.required(item, "basis", path, f"a version of {what}", _VERSION_KEYS) is not None:
            shape = (
                f"{what}: 'basis' is the legal basis as text, e.g. "
                "'Terveydenhuoltolaki 1326/2010 § 51', or the same in each language: " + _LANGUAGES
            )
            basis = self.label(item, "basis", path, shape, f"the basis of {what}")
            if basis is None:
                ok = False
        roll_here = self.flag(item, "roll_to_weekday", path, default=roll)
        variants: tuple[Variant, ...] | None = None
        if ("limit" in item) == ("variants" in item):
            self.c.add(
                "policy-bad-version",
                f"{what}: a version has either 'limit' or 'variants', not "
                + ("both" if "limit" in item else "neither"),
                path,
                where,
            )
            ok = False
        elif "limit" in item:
            limit = self.read_limit(item, "limit", path, what)
            variants = None if limit is None else (Variant(Otherwise(), limit),)
        else:
            variants = self.read_variants(item, path, what)
        if not ok or span is None or variants is None or basis is None:
            return span, None
        return span, Version(span, basis, variants, roll_here)

    # -- limits and variants

    def read_limit(
        self, mapping: Mapping[Any, Any], key: str, path: Path, what: str
    ) -> Limit | None:
        value = mapping[key]
        where = value_position(mapping, key)
        if not isinstance(value, Mapping) or len(value) != 1:
            suggestion = did_you_mean(value, _LIMIT_KINDS) if isinstance(value, str) else None
            self.c.add(
                "policy-bad-limit",
                f"{what}: a limit is one of {_LIMIT_FORMS}; got {value!r}",
                path,
                where,
                suggestion=suggestion,
            )
            return None
        ((kind, arg),) = value.items()
        where = key_position(value, kind)
        if kind not in _LIMIT_KINDS:
            self.c.add(
                "policy-bad-limit",
                f"{what}: unknown limit {str(kind)!r}; a limit is one of {_LIMIT_FORMS}",
                path,
                where,
                suggestion=did_you_mean(str(kind), _LIMIT_KINDS),
            )
            return None
        arg_where = value_position(value, kind)
        if kind in COUNTED:
            if not _is_int(arg) or arg < 1:
                self.c.add(
                    "policy-bad-limit",
                    f"{what}: {kind} must be a whole number of at least 1, got {arg!r}",
                    path,
                    arg_where,
                )
                return None
            return Limit(LimitKind(kind), amount=arg)
        if kind == "none":
            reason = read_text(arg)
            if reason is None:
                self.c.add(
                    "policy-bad-limit",
                    f"{what}: 'none' needs the reason there is no fixed limit, e.g. "
                    '{none: "without delay; no fixed day in law"} (or the reason in each '
                    "language: {fi: ..., sv: ..., en: ...})",
                    path,
                    arg_where,
                )
                return None
            self.c.translated(reason, path, arg_where, f"the reason for no limit of {what}")
            return Limit(LimitKind.NONE, reason=reason)
        return self.read_same_day(arg, path, arg_where, what)

    def read_same_day(self, arg: object, path: Path, where: Located, what: str) -> Limit | None:
        if arg is None:
            return Limit(LimitKind.SAME_DAY)
        if not isinstance(arg, Mapping):
            self.c.add(
                "policy-bad-limit",
                f"{what}: same_day takes {{}} or {{office_hours: {{start: ..., end: ...}}}}",
                path,
                where,
            )
            return None
        self.c.unknown_keys(
            arg, _SAME_DAY_KEYS, path, f"{what}: same_day", code="policy-unknown-key"
        )
        hours = arg.get("office_hours")
        if hours is None:
            return Limit(LimitKind.SAME_DAY)
        hours_where = value_position(arg, "office_hours")
        if not isinstance(hours, Mapping) or set(hours) != set(_HOURS_KEYS):
            self.c.unknown_keys(
                hours if isinstance(hours, Mapping) else {},
                _HOURS_KEYS,
                path,
                what,
                code="policy-unknown-key",
            )
            self.c.add(
                "policy-bad-limit",
                f'{what}: office_hours is {{start: "08:00", end: "16:00"}}',
                path,
                hours_where,
            )
            return None
        times: list[time] = []
        for key in _HOURS_KEYS:
            raw = hours[key]
            match = _HHMM.match(raw) if isinstance(raw, str) else None
            if match is None:
                self.c.add(
                    "policy-bad-limit",
                    f'{what}: office_hours {key} is a quoted 24-hour time like "08:00", '
                    f"got {raw!r}",
                    path,
                    value_position(hours, key),
                )
                return None
            times.append(time(int(match[1]), int(match[2])))
        start, end = times
        if start >= end:
            self.c.add(
                "policy-bad-limit",
                f"{what}: office hours end ({end:%H:%M}) must be after their start ({start:%H:%M})",
                path,
                hours_where,
            )
            return None
        return Limit(LimitKind.SAME_DAY, office_hours=OfficeHours(start, end))

    def read_variants(
        self, mapping: Mapping[Any, Any], path: Path, what: str
    ) -> tuple[Variant, ...] | None:
        raw = mapping["variants"]
        if not isinstance(raw, list) or not raw:
            self.c.add(
                "policy-bad-value",
                f"{what}: 'variants' is a non-empty list ending with an 'otherwise: true' entry",
                path,
                value_position(mapping, "variants"),
            )
            return None
        variants: list[Variant] = []
        ok = True
        otherwise_at: int | None = None
        for index, item in enumerate(raw):
            where = item_position(raw, index)
            if not isinstance(item, Mapping):
                self.c.add(
                    "policy-bad-variant",
                    f"{what}: each variant is a mapping with 'when' (or 'otherwise: true') "
                    "and 'limit'",
                    path,
                    where,
                )
                ok = False
                continue
            self.c.unknown_keys(
                item, _VARIANT_KEYS, path, f"a variant of {what}", code="policy-unknown-key"
            )
            condition: Condition | None = None
            if ("when" in item) == ("otherwise" in item):
                self.c.add(
                    "policy-bad-variant",
                    f"{what}: a variant has either 'when' or 'otherwise: true', not "
                    + ("both" if "when" in item else "neither"),
                    path,
                    where,
                )
            elif "otherwise" in item:
                if item["otherwise"] is not True:
                    self.c.add(
                        "policy-bad-variant",
                        f"{what}: write 'otherwise: true'",
                        path,
                        value_position(item, "otherwise"),
                    )
                else:
                    condition = Otherwise()
                    if otherwise_at is None:
                        otherwise_at = index
            else:
                condition = self.read_condition(
                    item["when"], path, value_position(item, "when"), what
                )
            limit = self.required(item, "limit", path, f"a variant of {what}", _VARIANT_KEYS)
            if limit is not None:
                limit = self.read_limit(item, "limit", path, what)
            note: Label | None = None
            if item.get("note") is not None:
                shape = f"{what}: a variant's 'note' is text, or the same text in each language: "
                note = self.label(
                    item, "note", path, shape + _LANGUAGES, f"a variant's note of {what}"
                )
                if note is None:
                    ok = False
            if condition is None or not isinstance(limit, Limit):
                ok = False
                continue
            variants.append(Variant(condition, limit, note))
        if otherwise_at is None:
            self.c.add(
                "policy-no-otherwise",
                f"{what}: variants must end with an 'otherwise: true' entry, so that every "
                "client (also one whose age is unknown) gets a limit or a reason for none",
                path,
                key_position(mapping, "variants"),
            )
            return None
        if otherwise_at != len(raw) - 1:
            self.c.add(
                "policy-bad-variant",
                f"{what}: variants after 'otherwise' can never apply; make 'otherwise' last",
                path,
                item_position(raw, otherwise_at + 1),
            )
            return None
        return tuple(variants) if ok else None

    def read_condition(
        self, node: object, path: Path, where: Located, what: str
    ) -> Condition | None:
        choices = (*FLAGS, *_CONDITION_KEYS)
        if isinstance(node, str):
            if node in FLAGS:
                return Flag(node)
            self.c.add(
                "policy-bad-condition",
                f"{what}: unknown condition {node!r}; use {', '.join(FLAGS)}, "
                "{age_below: N}, {age_at_least: N}, {any_of: [...]} or {all_of: [...]}",
                path,
                where,
                suggestion=did_you_mean(node, choices),
            )
            return None
        if not isinstance(node, Mapping) or len(node) != 1:
            self.c.add(
                "policy-bad-condition",
                f"{what}: a condition is a flag name or a one-key mapping such as "
                f"{{age_at_least: 75}}; got {node!r}",
                path,
                where,
            )
            return None
        ((key, arg),) = node.items()
        arg_where = value_position(node, key)
        if key in ("age_below", "age_at_least"):
            if not _is_int(arg) or not 0 <= arg <= 150:
                self.c.add(
                    "policy-bad-condition",
                    f"{what}: {key} takes a whole number of years, got {arg!r}",
                    path,
                    arg_where,
                )
                return None
            return AgeBelow(arg) if key == "age_below" else AgeAtLeast(arg)
        if key in ("any_of", "all_of"):
            if not isinstance(arg, list) or not arg:
                self.c.add(
                    "policy-bad-condition",
                    f"{what}: {key} takes a non-empty list of conditions",
                    path,
                    arg_where,
                )
                return None
            parts = [
                self.read_condition(sub, path, item_position(arg, index), what)
                for index, sub in enumerate(arg)
            ]
            kept = tuple(p for p in parts if p is not None)
            if len(kept) != len(parts):
                return None
            return AnyOf(kept) if key == "any_of" else AllOf(kept)
        self.c.add(
            "policy-bad-condition",
            f"{what}: unknown condition {str(key)!r}",
            path,
            key_position(node, key),
            suggestion=did_you_mean(str(key), choices),
        )
        return None
