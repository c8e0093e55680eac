"""Fixture files: cases of a contact and what must come out of its assessment.

The format is documented in ``docs/reference/fixtures.md``. This module reads fixture
files (keeping line numbers), reports every mistake in one :class:`FixtureProblem`
(through the one problem collector, with the loaders' codes) and checks one case against
an engine. The library's lint (``--fixtures``) and the pytest plugin
(:mod:`oneContact.testing.plugin`, which re-exports this module as
``oneContact.testing.fixtures``) both use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from . import _yaml
from ._problems import ProblemCollector
from .errors import (
    ArgumentError,
    ContactError,
    FixtureProblem,
    RuleError,
    did_you_mean,
    parse_timestamp,
    suggestion_text,
)
from .identity_code import shown_key, shown_name

if TYPE_CHECKING:
    from .assessment import Assessment
    from .explain import Assessor
    from .ruleset import RuleSet

__all__ = ["FixtureCase", "FixtureProblem", "check_case", "load_fixture_file", "unknown_names"]

_CASE_KEYS = ("name", "description", "contact", "events", "now", "expect")
_EXPECT_KEYS = (
    "urgency",
    "needs",
    "needs_include",
    "needs_exclude",
    "routes_include",
    "routes_exclude",
    "fired_include",
    "fired_exclude",
    "clocks",
    "clocks_absent",
    "contact_error",
)


@attrs.frozen
class FixtureCase:
    """One case of a fixture file."""

    name: str
    path: Path
    line: int
    contact: Mapping[str, Any]
    events: Mapping[str, str]
    now: str | None
    expect: Mapping[str, Any]
    directory: Path | None = None
    """The directory file the file's cases route with (top-level ``directory:``), if any."""
    region: str | None = None
    """The region (``policies/regions/<region>.yaml``) the file's cases are assessed in
    (top-level ``region:``); None: the run's ``onecontact_region``."""


def _plain(node: Any) -> Any:
    """ruamel's commented containers to plain dicts and lists."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_fixture_file(path: Path) -> list[FixtureCase]:
    """Every case of a fixture file; raise :class:`FixtureProblem` naming every mistake at
    its file:line when the file is malformed."""
    problems = ProblemCollector()
    try:
        doc = _yaml.load_yaml(path, _yaml.read_data_file(path))
    except RuleError as exc:
        raise FixtureProblem(exc.problems) from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("cases"), list):
        problems.add("not-a-list", "a fixture file holds a list under 'cases:'", path, (1, None))
        raise FixtureProblem(problems.problems)
    top = ("base_contact", "cases", "description", "directory", "region")
    for key in doc:
        if key not in top:
            _unknown(problems, path, doc, key, f"unknown key {shown_name(key)}", top)
    base = _plain(doc.get("base_contact") or {})
    directory = None
    if doc.get("directory") is not None:
        line, _ = _yaml.value_position(doc, "directory")
        directory = (path.parent / str(doc["directory"])).resolve()
        if not directory.is_file():
            problems.add(
                "missing-file",
                f"directory file {doc['directory']!r} not found; give its "
                "path relative to this fixture file",
                path,
                (line, None),
            )
    region = doc.get("region")
    if region is not None and not (isinstance(region, str) and _REGION.match(region)):
        line, _ = _yaml.value_position(doc, "region")
        problems.add(
            "fixture-bad-region",
            "'region' is a region file's name without .yaml, e.g. etela-pohjanmaa",
            path,
            (line, None),
        )
    cases: list[FixtureCase] = []
    names: set[str] = set()
    for index, node in enumerate(doc["cases"]):
        line = _yaml.item_position(doc["cases"], index)[0] or 1
        if not isinstance(node, Mapping):
            problems.add(
                "not-a-mapping",
                "each case is a mapping with name, contact, expect",
                path,
                (line, None),
            )
            continue
        for key in node:
            if key not in _CASE_KEYS:
                _unknown(
                    problems,
                    path,
                    node,
                    key,
                    f"unknown key {shown_name(key)} in a case",
                    _CASE_KEYS,
                )
        expect = node.get("expect")
        if not isinstance(expect, Mapping):
            problems.add(
                "missing-key",
                "the case needs 'expect:' with what must come out",
                path,
                (line, None),
            )
            continue
        for key in expect:
            if key not in _EXPECT_KEYS:
                _unknown(
                    problems,
                    path,
                    expect,
                    key,
                    f"unknown expectation {shown_name(key)}",
                    _EXPECT_KEYS,
                )
        name = str(node.get("name") or f"case {index + 1}")
        if name in names:
            problems.add(
                "duplicate-id", f"case name {name!r} is used twice in this file", path, (line, None)
            )
        names.add(name)
        contact = _merge(base, _plain(node.get("contact") or {}))
        cases.append(
            FixtureCase(
                name=name,
                path=path,
                line=line,
                contact=contact,
                events={str(k): str(v) for k, v in (_plain(node.get("events")) or {}).items()},
                now=str(node["now"]) if node.get("now") is not None else None,
                expect=_plain(expect),
                directory=directory,
                region=region,
            )
        )
    _raise_if_any(problems)
    return cases


def _unknown(
    problems: ProblemCollector,
    path: Path,
    node: Mapping[str, Any],
    key: Any,
    message: str,
    allowed: tuple[str, ...],
) -> None:
    """An unknown key at its line, with the nearest allowed key as the suggestion."""
    line, _ = _yaml.key_position(node, key)
    problems.add(
        "unknown-key", message, path, (line, None), suggestion=did_you_mean(str(key), allowed)
    )


def _raise_if_any(problems: ProblemCollector) -> None:
    if problems.problems:
        raise FixtureProblem(problems.problems)


_REGION = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


def _timestamp(text: str, what: str) -> datetime:
    """A case's ``now`` or event time; the message names the key, and the value when it
    cannot be an identity code or free text."""
    try:
        return parse_timestamp(text, what)
    except ArgumentError as exc:
        said = (
            "needs a UTC offset"
            if exc.code == "naive-timestamp"
            else "is not an RFC 3339 timestamp"
        )
        raise _CaseProblem(f"{what}: {shown_name(text)} {said}") from None


class _CaseProblem(Exception):
    """A value of one case cannot be used: reported as that case's failure."""


def _route_field_matches(data: Mapping[str, Any], key: str, want: Any) -> bool:
    if key == "explanation":
        # Some step of the ranking contains the text, e.g. "continuity: kept".
        return any(str(want) in step for step in data.get("explanation") or ())
    actual = data.get(key)
    return bool(actual == want or str(actual) == str(want))


def _route_matches(want: Any, assessment: Assessment) -> bool:
    for route in assessment.routes:
        if isinstance(want, str) and route.service == want:
            return True
        if isinstance(want, Mapping):
            # Compare with the JSON form: slots and dates as the text a fixture writes.
            data = {**attrs.asdict(route, recurse=False), **route.to_json()}
            if all(_route_field_matches(data, str(k), v) for k, v in want.items()):
                return True
    return False


def _summary(assessment: Assessment) -> str:
    fired = ", ".join(f"{f.rule} ({f.file}:{f.line})" for f in assessment.fired) or "none"
    routes = ", ".join(_route_text(r) for r in assessment.routes) or "none"
    clocks = (
        ", ".join(f"{c.clock} due {c.due_date or '-'} {c.status}" for c in assessment.clocks)
        or "none"
    )
    return (
        f"  actual urgency: {assessment.urgency}\n"
        f"  actual needs:   {', '.join(assessment.needs) or 'none'}\n"
        f"  actual routes:  {routes}\n"
        f"  actual clocks:  {clocks}\n"
        f"  fired rules:    {fired}"
    )


def _route_text(route: Any) -> str:
    text = f"{route.kind}:{route.service}"
    if route.member is not None:
        text += f"[{route.member} {route.slot.isoformat() if route.slot else '-'}]"
    if route.guarantee_at_risk:
        text += "[at risk]"
    return text


def check_case(engine: Assessor, case: FixtureCase) -> list[str]:
    """What did not hold for *case*, as readable lines; empty when the case passes."""
    expect = case.expect
    try:
        events = {k: _timestamp(v, f"events.{shown_key(k)}") for k, v in case.events.items()}
        now = _timestamp(case.now, "now") if case.now else None
    except _CaseProblem as exc:
        return [str(exc)]
    try:
        assessment = engine.assess(case.contact, events=events, now=now)
    except ContactError as exc:
        wanted = expect.get("contact_error")
        if wanted is not None:
            missing = [f for f in _as_list(wanted) if f not in exc.fields]
            return [f"expected an error on field {f!r}; got {list(exc.fields)}" for f in missing]
        return [f"the contact is invalid:\n{exc}"]
    if "contact_error" in expect:
        return [f"expected a contact error on {expect['contact_error']!r}, but it was accepted"]
    failures = [
        f"{key} names {kind} {shown_name(name)}, which "
        + ("is not in the catalogue" if kind == "service" else "does not exist")
        + suggestion_text(hint)
        for key, kind, name, hint in unknown_names(engine.ruleset, expect)
    ]
    if failures:
        return failures
    if "urgency" in expect and expect["urgency"] != assessment.urgency:
        failures.append(f"urgency: expected {expect['urgency']}, got {assessment.urgency}")
    if "needs" in expect and sorted(_as_list(expect["needs"])) != sorted(assessment.needs):
        failures.append(f"needs: expected exactly {sorted(_as_list(expect['needs']))}")
    for need in _as_list(expect.get("needs_include")):
        if need not in assessment.needs:
            failures.append(f"needs_include: {need!r} is missing")
    for need in _as_list(expect.get("needs_exclude")):
        if need in assessment.needs:
            failures.append(f"needs_exclude: {need!r} is present")
    for want in _as_list(expect.get("routes_include")):
        if not _route_matches(want, assessment):
            failures.append(f"routes_include: no route {want!r}")
    for want in _as_list(expect.get("routes_exclude")):
        if _route_matches(want, assessment):
            failures.append(f"routes_exclude: route {want!r} is present")
    fired = [f.rule for f in assessment.fired]
    for rule in _as_list(expect.get("fired_include")):
        if rule not in fired:
            failures.append(f"fired_include: rule {rule!r} did not fire")
    for rule in _as_list(expect.get("fired_exclude")):
        if rule in fired:
            failures.append(f"fired_exclude: rule {rule!r} fired")
    clocks = {c.clock: c.to_json() for c in assessment.clocks}
    for clock, fields in (expect.get("clocks") or {}).items():
        if clock not in clocks:
            failures.append(f"clocks: {clock!r} was not started")
            continue
        for field, value in (fields or {}).items():
            actual = clocks[clock].get(field)
            if str(actual) != str(value) and actual != value:
                failures.append(f"clocks.{clock}.{field}: expected {value}, got {actual}")
    for clock in _as_list(expect.get("clocks_absent")):
        if clock in clocks:
            failures.append(f"clocks_absent: {clock!r} was started")
    if failures:
        failures.append(_summary(assessment))
    return failures


def unknown_names(
    ruleset: RuleSet, expect: Mapping[str, Any]
) -> list[tuple[str, str, str, str | None]]:
    """Rules and services *expect* names that *ruleset* lacks.

    Each is ``(expectation key, "rule" or "service", the name, the closest known name)``.
    """
    known_rules = {r.id for r in ruleset.rules}
    known_services = set(ruleset.catalogue.services)
    out: list[tuple[str, str, str, str | None]] = []
    for key in ("fired_include", "fired_exclude"):
        for rule in _as_list(expect.get(key)):
            if rule not in known_rules:
                out.append((key, "rule", str(rule), did_you_mean(str(rule), known_rules)))
    for key in ("routes_include", "routes_exclude"):
        for want in _as_list(expect.get(key)):
            service = want.get("service") if isinstance(want, Mapping) else want
            if service is not None and service not in known_services:
                out.append(
                    (key, "service", str(service), did_you_mean(str(service), known_services))
                )
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
