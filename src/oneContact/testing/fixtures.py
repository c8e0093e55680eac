"""Fixture cases: a contact and what must come out of its assessment.

The format is documented in ``docs/reference/fixtures.md``. This module reads fixture
files (keeping line numbers) and checks one case against an engine; the pytest plugin
and the command line both use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .. import _yaml
from ..errors import ContactError, RuleError, did_you_mean

if TYPE_CHECKING:
    from ..engine import Assessment, Engine
    from ..ruleset import RuleSet

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


class FixtureProblem(Exception):
    """A fixture file is malformed; the message names file:line and the fix."""


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
    """Every case of a fixture file; raise FixtureProblem naming file:line when malformed."""
    try:
        doc = _yaml.load_yaml(path)
    except RuleError as exc:
        raise FixtureProblem(str(exc)) from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("cases"), list):
        raise FixtureProblem(f"{path}:1: a fixture file holds a list under 'cases:'")
    top = ("base_contact", "cases", "description", "directory", "region")
    for key in doc:
        if key not in top:
            line, _ = _yaml.key_position(doc, key)
            hint = did_you_mean(str(key), top)
            raise FixtureProblem(
                f"{path}:{line}: unknown key {key!r}"
                + (f" (did you mean {hint!r}?)" if hint else "")
            )
    base = _plain(doc.get("base_contact") or {})
    directory = None
    if doc.get("directory") is not None:
        line, _ = _yaml.value_position(doc, "directory")
        directory = (path.parent / str(doc["directory"])).resolve()
        if not directory.is_file():
            raise FixtureProblem(
                f"{path}:{line}: directory file {doc['directory']!r} not found; give its "
                "path relative to this fixture file"
            )
    region = doc.get("region")
    if region is not None and not (isinstance(region, str) and _REGION.match(region)):
        line, _ = _yaml.value_position(doc, "region")
        raise FixtureProblem(
            f"{path}:{line}: 'region' is a region file's name without .yaml, e.g. etela-pohjanmaa"
        )
    cases: list[FixtureCase] = []
    names: set[str] = set()
    for index, node in enumerate(doc["cases"]):
        line = _yaml.item_position(doc["cases"], index)[0] or 1
        if not isinstance(node, Mapping):
            raise FixtureProblem(
                f"{path}:{line}: each case is a mapping with name, contact, expect"
            )
        for key in node:
            if key not in _CASE_KEYS:
                hint = did_you_mean(str(key), _CASE_KEYS)
                raise FixtureProblem(
                    f"{path}:{_yaml.key_position(node, key)[0]}: unknown key {key!r} in a case"
                    + (f" (did you mean {hint!r}?)" if hint else "")
                )
        expect = node.get("expect")
        if not isinstance(expect, Mapping):
            raise FixtureProblem(f"{path}:{line}: the case needs 'expect:' with what must come out")
        for key in expect:
            if key not in _EXPECT_KEYS:
                hint = did_you_mean(str(key), _EXPECT_KEYS)
                raise FixtureProblem(
                    f"{path}:{_yaml.key_position(expect, key)[0]}: unknown expectation {key!r}"
                    + (f" (did you mean {hint!r}?)" if hint else "")
                )
        name = str(node.get("name") or f"case {index + 1}")
        if name in names:
            raise FixtureProblem(f"{path}:{line}: case name {name!r} is used twice in this file")
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
    return cases


_REGION = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


def _timestamp(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise FixtureProblem(f"{what}: {text!r} is not an RFC 3339 timestamp") from None
    if value.tzinfo is None:
        raise FixtureProblem(f"{what}: {text!r} needs a UTC offset")
    return value


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


def check_case(engine: Engine, case: FixtureCase) -> list[str]:
    """What did not hold for *case*, as readable lines; empty when the case passes."""
    expect = case.expect
    try:
        events = {k: _timestamp(v, f"events.{k}") for k, v in case.events.items()}
        now = _timestamp(case.now, "now") if case.now else None
    except FixtureProblem as exc:
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
        f"{key} names {kind} {name!r}, which "
        + ("is not in the catalogue" if kind == "service" else "does not exist")
        + (f" (did you mean {hint!r}?)" if hint else "")
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
