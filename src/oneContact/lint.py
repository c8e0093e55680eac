"""Lint a rules directory: problems the loader accepts but a rule author wants to know.

The loader (:mod:`oneContact.ruleset`) refuses what cannot run. The lint finds what runs
but is probably wrong: a condition that can never be true, a rule another rule makes
redundant, two rules whose order alone decides which services are routed first, entries
of the questionnaire and catalogue nothing uses, rules no fixture exercises, fixtures
naming rules or services that do not exist, and red flags that some contact can answer
yes and still end at ``non_urgent`` or ``self_care``.

Every question about conditions is decided exactly over the values a contact can hold
(:mod:`oneContact.ruleset.sat`), not by sampling. Each finding has a stable ``code``; they are
listed in ``docs/reference/errors.md`` ("Lint findings").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ._files import FileRefused, read_rule_file
from .errors import ContactError, FixtureProblem, location
from .fixtures import load_fixture_file, unknown_names
from .ruleset import URGENT_OR_MORE, Rule, RuleSet, load_ruleset, urgency_rank
from .ruleset.condition import Any_, Cond, Const, Missing, Present, Test, dnf
from .ruleset.sat import Domain, Unknown, domains, key_satisfiable, negate, solve
from .ruleset.trace import atom_text, atoms

if TYPE_CHECKING:
    from .engine import Assessment, Engine

__all__ = ["LINT_CODES", "LintFinding", "lint_rules", "lint_ruleset"]

#: Every code a finding can carry, with its one-line meaning.
LINT_CODES: Mapping[str, str] = {
    "contradiction": "a rule's condition can never be true",
    "redundant-rule": "another rule matches every contact this one matches and adds all it adds",
    "order-conflict": "two rules without a priority tie for the first route; file order decides",
    "unused-question": "no rule tests a question of the questionnaire",
    "unused-concern": "no rule tests a concern of the questionnaire",
    "unused-service": "no rule names a service of the catalogue (and it is not the fallback)",
    "unused-need": "no rule names a need of the catalogue",
    "red-flag-below-urgent": "a red flag answered yes can end at non_urgent or self_care",
    "no-treatment-clock": "a rule routes a non-urgent contact to care under the care guarantee "
    "while no fired rule starts a treatment clock",
    "unexercised-rule": "no fixture case fires the rule",
    "fixture-unknown-rule": "a fixture case names a rule that does not exist",
    "fixture-unknown-service": "a fixture case names a service that is not in the catalogue",
    "fixture-invalid": "a fixture file cannot be read",
}

_BELOW_URGENT = ("non_urgent", "self_care")
_EXAMPLE_TIME = "2025-03-04T10:00:00+02:00"


@attrs.frozen
class LintFinding:
    """One lint finding, located to file and line, with a stable code and a fix."""

    code: str
    file: str
    line: int | None
    column: int | None
    rule: str | None
    message: str
    fix: str

    def location(self) -> str:
        """``file:line:column`` as far as it is known."""
        return location(self.file, self.line, self.column)

    def __str__(self) -> str:
        rule = f" [rule {self.rule}]" if self.rule else ""
        return f"{self.location()}: {self.code}{rule}: {self.message}\n    fix: {self.fix}"

    def to_json(self) -> dict[str, Any]:
        """The finding as a JSON object (``onecontact lint --format json``)."""
        return {
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "message": self.message,
            "fix": self.fix,
        }


# ---------------------------------------------------------------- where things are written


@attrs.frozen
class _Places:
    """Lines and columns of what the lint points at."""

    root: Path
    entries: Mapping[tuple[str, str], tuple[int | None, int | None]]
    """(section, id) → where the entry starts in questionnaire.yaml / catalogue.yaml."""

    def file(self, name: str) -> str:
        return str(self.root / name)


_SECTION = re.compile(r"^([a-z_]+):")
_ENTRY = re.compile(r"^(\s*-\s+)id:\s*['\"]?([a-z0-9_]+)['\"]?\s*(#.*)?$")


def _places(ruleset: RuleSet) -> _Places:
    """Where each concern, question, need and service is written.

    The loader already read these files; rather than parse them again, their lines are
    scanned for ``- id: x`` under each top-level section. An entry written another way
    (in flow style) has no position, and its finding names the file only.
    """
    entries: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    for name in ("questionnaire.yaml", "catalogue.yaml"):
        section = ""
        try:
            text = read_rule_file(ruleset.path / name).decode("utf-8")
        except (FileRefused, UnicodeDecodeError):
            continue  # replaced since it was loaded: its findings name the file only
        for number, line in enumerate(text.splitlines(), 1):
            top = _SECTION.match(line)
            if top:
                section = top.group(1)
                continue
            entry = _ENTRY.match(line)
            if entry:
                entries.setdefault((section, entry.group(2)), (number, len(entry.group(1)) + 1))
    return _Places(ruleset.path, entries)


# ---------------------------------------------------------------- the checks


class _Lint:
    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.rules = ruleset.rules
        self.questionnaire = ruleset.questionnaire
        self.space: Mapping[str, Domain] = domains(ruleset.questionnaire)
        self.concerns = tuple(ruleset.questionnaire.concerns)
        self.places = _places(ruleset)
        self.findings: list[LintFinding] = []
        self._engine: Engine | None = None
        self._untreated_found: set[str] = set()

    # -- helpers
    def satisfy(self, conditions: Sequence[Cond]) -> _Example | Unknown | None:
        """An example contact meeting every condition, None if none can, or Unknown."""
        try:
            solved = solve(conditions, self.space, self.concerns)
        except Unknown as exc:
            return exc
        return None if solved is None else _Example(*solved)

    def add_rule_finding(self, code: str, rule: Rule, message: str, fix: str) -> None:
        line, column = rule.when_at
        self.findings.append(
            LintFinding(
                code, self.places.file(rule.file), line or rule.line, column, rule.id, message, fix
            )
        )

    def where(self, rule: Rule) -> str:
        return f"{rule.file}:{rule.line}"

    def describe(self, example: _Example) -> str:
        """The example contact in words: its concerns and the answers that matter.

        Only what the search had to choose is shown, and of that only what the contact
        says (a yes, a number, a choice): everything unsaid is left out, as a contact
        leaves it out.
        """
        fact = example.fact
        concerns = [k[3:] for k in fact if k.startswith("c__")]
        parts = [f"a contact with concerns [{', '.join(concerns)}]"]
        for key in sorted(example.keys):
            if key.startswith("c__") or key not in fact:
                continue
            name = key[3:] if key.startswith("q__") else key
            domain = self.space.get(key)
            value = "yes" if domain is not None and domain.kind == "flag" else repr(fact[key])
            parts.append(f"{name}: {value}")
        return ", ".join(parts)

    # -- contradiction
    def contradictions(self) -> set[str]:
        impossible: set[str] = set()
        for rule in self.rules:
            found = self.satisfy([rule.condition])
            if found is None:
                impossible.add(rule.id)
                self.add_rule_finding(
                    "contradiction",
                    rule,
                    f"the condition of {rule.id!r} can never be true: {self.why_impossible(rule)}",
                    "correct the comparisons that exclude each other, or delete the rule",
                )
        return impossible

    def why_impossible(self, rule: Rule) -> str:
        cond = rule.condition
        if isinstance(cond, Const):
            return "it is 'false'"
        terms = dnf(cond) or ()
        if len(terms) != 1:
            return f"none of its {len(terms)} alternatives can hold for any contact"
        by_key: dict[str, list[Any]] = {}
        for atom in terms[0]:
            by_key.setdefault(atom.key, []).append(atom)
        clashes = [
            " and ".join(atom_text(a, self.questionnaire) for a in group)
            for key, group in by_key.items()
            if key in self.space and not key_satisfiable(self.space[key], group)
        ]
        if clashes:
            return "; ".join(f"{c} cannot all hold" for c in clashes) + " for any contact"
        return "it excludes every concern, and a contact names at least one"

    # -- redundant
    def redundant(self, impossible: set[str]) -> None:
        live = [r for r in self.rules if r.id not in impossible]
        covered: dict[str, Rule] = {}
        for a in live:
            for b in live:
                if a is b or not _adds_nothing_beyond(a, b):
                    continue
                if self.satisfy([a.condition, negate(b.condition)]) is not None:
                    continue
                # Two equivalent rules with the same outcome: only the later is redundant.
                earlier = (a.file, a.line) < (b.file, b.line)
                if (
                    earlier
                    and _same_outcome(a, b)
                    and self.satisfy([b.condition, negate(a.condition)]) is None
                ):
                    continue
                covered[a.id] = b
                break
        for a in live:
            if a.id not in covered:
                continue
            b = covered[a.id]
            self.add_rule_finding(
                "redundant-rule",
                a,
                f"every contact {a.id!r} matches is also matched by {b.id!r} "
                f"({self.where(b)}), which adds everything {a.id!r} adds",
                f"delete {a.id!r}, or give it the outcome it was meant to have",
            )

    # -- conflict
    def conflicts(self, impossible: set[str]) -> None:
        live = [r for r in self.rules if r.id not in impossible and r.services]
        unranked = [r for r in live if not r.priority_written]
        for i, a in enumerate(unranked):
            for b in unranked[i + 1 :]:
                if _rank(a) != _rank(b) or a.services[0] == b.services[0]:
                    continue
                # Both fire and no rule ranked ahead of them asks for a service: then
                # file name and line alone decide which service is asked for first.
                ahead = [negate(c.condition) for c in live if _rank(c) < _rank(a)]
                found = self.satisfy([a.condition, b.condition, *ahead])
                if not isinstance(found, _Example):
                    continue
                first, second = sorted((a, b), key=lambda r: (r.file, r.line))
                self.add_rule_finding(
                    "order-conflict",
                    second,
                    f"{first.id!r} ({self.where(first)}) and {second.id!r} can both decide the "
                    f"first route of a contact (e.g. {self.describe(found)}): same urgency "
                    f"({a.urgency or 'none'}), same priority ({a.priority}), so only file name "
                    f"and line put {first.services[0]!r} before {second.services[0]!r}",
                    "give the rule whose service should come first a lower priority "
                    f"(e.g. priority: {max(a.priority - 1, 0)}), or write the same priority "
                    "on both to say that either may come first",
                )

    # -- unused
    def unused(self) -> None:
        keys = {atom.key for rule in self.rules for atom in atoms(rule.condition)}
        services = {s for rule in self.rules for s in rule.services}
        services.add(self.ruleset.catalogue.fallback_service)
        needs = {n for rule in self.rules for n in rule.needs}
        checks = (
            ("question", "questions", "questionnaire.yaml", self.questionnaire.questions, "q__"),
            ("concern", "concerns", "questionnaire.yaml", self.questionnaire.concerns, "c__"),
        )
        for what, key, file, entries, prefix in checks:
            for ident in entries:
                if f"{prefix}{ident}" not in keys:
                    self.entry_finding(f"unused-{what}", key, file, ident, what)
        for ident, service in self.ruleset.catalogue.services.items():
            # remedies (purchased service, voucher) are offered when a care guarantee
            # cannot be met, by a professional; no first-contact rule names them
            if ident not in services and service.kind != "remedy":
                self.entry_finding("unused-service", "services", "catalogue.yaml", ident, "service")
        for ident in self.ruleset.catalogue.needs:
            if ident not in needs:
                self.entry_finding("unused-need", "needs", "catalogue.yaml", ident, "need")

    def entry_finding(self, code: str, key: str, file: str, ident: str, what: str) -> None:
        line, column = self.places.entries.get((key, ident), (None, None))
        verb = "tests" if what in ("question", "concern") else "names"
        self.findings.append(
            LintFinding(
                code,
                self.places.file(file),
                line,
                column,
                None,
                f"no rule {verb} the {what} {ident!r}",
                f"write a rule that uses {ident!r}, or remove it from {file}",
            )
        )

    # -- red flags
    def red_flags(self) -> None:
        high = [r for r in self.rules if r.urgency in URGENT_OR_MORE]
        low = [r for r in self.rules if r.urgency in _BELOW_URGENT]
        ends_low: list[Cond] = []
        if self.ruleset.catalogue.default_urgency not in _BELOW_URGENT:
            # below urgent only when some rule sets it
            ends_low.append(Any_(tuple(r.condition for r in low)) if low else Const(False))
        blockers = [negate(r.condition) for r in high]
        for qid in self.questionnaire.red_flags:
            flag = Test(f"q__{qid}", "==", True)
            found = self.satisfy([flag, *blockers, *ends_low])
            if not isinstance(found, _Example):
                continue
            urgency = self.confirm(found.fact)
            if urgency not in _BELOW_URGENT:
                continue  # pragma: no cover - the search and the engine disagree
            line, column = self.places.entries.get(("questions", qid), (None, None))
            self.findings.append(
                LintFinding(
                    "red-flag-below-urgent",
                    self.places.file("questionnaire.yaml"),
                    line,
                    column,
                    None,
                    f"red flag {qid!r} answered yes can end at {urgency}: e.g. "
                    f"{self.describe(found)} fires no rule that sets urgent or emergency",
                    f"add a rule 'when: {qid}' with urgency urgent or emergency, or widen the "
                    "rule that should catch it",
                )
            )

    # -- treatment clocks
    def treatment_clocks(self) -> None:
        """Rules that route to care under the care guarantee and can end non-urgent while
        no fired rule starts a treatment clock (the engine then starts the catalogue's
        default, which is right only by chance: a follow-up needs planned_care).

        Decided exactly for contacts about one concern at a time: a rule author writes
        each topic's clocks for its own contacts, and over every mix of concerns the
        question grows past what can be decided in seconds. Contacts about several
        concerns are held by the engine's default and the ``one-treatment-clock``
        property."""
        services = self.ruleset.catalogue.services
        treatment = self.ruleset.policies.treatment_clocks
        clocks_of = {r.id: r.clocks for r in self.rules}
        for concern in self.concerns:
            only: list[Cond] = [
                Present(f"c__{concern}"),
                *(Missing(f"c__{other}") for other in self.concerns if other != concern),
            ]
            # The rules that can fire on a contact about this concern alone.
            here = [
                r for r in self.rules if isinstance(self.satisfy([r.condition, *only]), _Example)
            ]
            blockers = [negate(r.condition) for r in here if r.urgency in URGENT_OR_MORE]
            non_urgent = [r.condition for r in here if r.urgency == "non_urgent"]
            self_care = [r.condition for r in here if r.urgency == "self_care"]
            # non_urgent: no urgent rule fires (blockers), and a non_urgent rule fires or,
            # with non_urgent the default, no self_care rule fires either.
            ends: list[Cond] = []
            if self.ruleset.catalogue.default_urgency != "non_urgent":
                ends.append(Any_(tuple(non_urgent)) if non_urgent else Const(False))
            elif self_care:
                ends.append(Any_((*non_urgent, negate(Any_(tuple(self_care))))))
            untreated = [negate(r.condition) for r in here if set(r.clocks) & treatment]
            for rule in here:
                care = [s for s in rule.services if services[s].care_guarantee]
                if not care or rule.id in self._untreated_found:
                    continue
                found = self.satisfy([rule.condition, *only, *blockers, *ends, *untreated])
                if not isinstance(found, _Example):
                    continue
                assessment = self.assess(found.fact)
                started = {c.clock for c in assessment.clocks}
                declared = {c for f in assessment.fired for c in clocks_of[f.rule]}
                if assessment.urgency != "non_urgent" or declared & treatment:
                    continue  # pragma: no cover - the search and the engine disagree
                self._untreated_found.add(rule.id)
                default = sorted(started & treatment)
                self.add_rule_finding(
                    "no-treatment-clock",
                    rule,
                    f"{rule.id!r} routes to {care[0]!r} (care under the care guarantee), and "
                    f"e.g. {self.describe(found)} ends non_urgent with no fired rule starting "
                    "a treatment clock"
                    + (
                        f": only the catalogue's default {default[0]!r} is started"
                        if default
                        else ""
                    ),
                    "add the treatment clock this care needs (care, planned_care, oral_care, "
                    f"therapy_guarantee, ...) to {rule.id!r} or to a rule that fires with it; "
                    "or mark the service 'care_guarantee: false' in catalogue.yaml if it is "
                    "outside the care guarantee",
                )

    def assess(self, fact: Mapping[str, Any]) -> Assessment:
        """The engine's assessment of a contact built from the witness *fact*."""
        from .engine import Engine  # noqa: PLC0415 -- the engine imports this package's parts

        if self._engine is None:
            self._engine = Engine(self.ruleset, backend="python")
        return self._engine.assess(contact_from_fact(fact))

    def confirm(self, fact: Mapping[str, Any]) -> str:
        """The urgency the engine gives a contact built from the witness *fact*."""
        return self.assess(fact).urgency


@attrs.frozen
class _Example:
    """A flat fact the search found, and the keys it had to choose."""

    fact: Mapping[str, Any]
    keys: frozenset[str]


def contact_from_fact(fact: Mapping[str, Any]) -> dict[str, Any]:
    """A valid first-contact dict whose flat fact is *fact* (a witness of ``_sat``)."""
    client = {
        "age": fact.get("age", 40),
        "language": fact.get("language", "fi"),
        "highest_care_allowance": "highest_care_allowance" in fact,
        "special_support_child": "special_support_child" in fact,
        "can_use_digital_services": "can_use_digital_services" in fact,
    }
    contact: dict[str, Any] = {
        "contact_id": "lint-example",
        "received_at": _EXAMPLE_TIME,
        "channel": fact.get("channel", "phone"),
        "client": client,
        "concerns": [k[3:] for k in fact if k.startswith("c__")],
        "answers": {k[3:]: v for k, v in fact.items() if k.startswith("q__")},
    }
    if "municipality" in fact:
        contact["municipality"] = fact["municipality"]
    return contact


def _adds_nothing_beyond(a: Rule, b: Rule) -> bool:
    """When *b* fires too, *a* changes nothing of the decision but the list of fired rules."""
    return (
        (a.urgency is None or a.urgency == b.urgency)
        and set(a.needs) <= set(b.needs)
        and set(a.services) <= set(b.services)
        and _clock_starts(a) <= _clock_starts(b)
    )


def _clock_starts(rule: Rule) -> set[tuple[str, str | None]]:
    """Each clock the rule starts with the person whose right it follows (None: the
    client's): a clock for another person is another outcome."""
    return {(c, rule.clock_for.get(c)) for c in rule.clocks}


def _same_outcome(a: Rule, b: Rule) -> bool:
    return _adds_nothing_beyond(a, b) and _adds_nothing_beyond(b, a)


def _rank(rule: Rule) -> tuple[int, int]:
    """A rule's place in the hit-policy order, before file name and line break ties."""
    return urgency_rank(rule.urgency), rule.priority


# ---------------------------------------------------------------- fixtures


def _fixture_findings(ruleset: RuleSet, fixtures: Path, places: _Places) -> list[LintFinding]:
    from .engine import Engine  # noqa: PLC0415

    engine = Engine(ruleset, backend="python")
    findings: list[LintFinding] = []
    fired: set[str] = set()
    for path in sorted(fixtures.rglob("*.yaml")):
        try:
            cases = load_fixture_file(path)
        except FixtureProblem as error:
            findings.extend(
                LintFinding(
                    "fixture-invalid",
                    str(path),
                    problem.line,
                    None,
                    None,
                    FixtureProblem.what(problem),
                    "fix the fixture file (format: docs/reference/fixtures.md)",
                )
                for problem in error.problems
            )
            continue
        for case in cases:
            for key, kind, name, hint in unknown_names(ruleset, case.expect):
                findings.append(
                    LintFinding(
                        f"fixture-unknown-{kind}",
                        str(path),
                        case.line,
                        None,
                        None,
                        f"case {case.name!r}: {key} names {kind} {name!r}, which does not exist",
                        f"use {hint!r}" if hint else f"name an existing {kind}",
                    )
                )
            try:
                fired.update(rule.id for rule in engine.fired_rules(case.contact))
            except ContactError:
                continue  # a case about an invalid contact fires nothing
    for rule in ruleset.rules:
        if rule.id not in fired:
            line, column = rule.when_at
            findings.append(
                LintFinding(
                    "unexercised-rule",
                    places.file(rule.file),
                    line or rule.line,
                    column,
                    rule.id,
                    f"no fixture case under {fixtures} fires {rule.id!r}",
                    "add a case whose contact matches the rule, and one that just misses it",
                )
            )
    return findings


# ---------------------------------------------------------------- entry points


def lint_ruleset(
    ruleset: RuleSet, *, fixtures: str | Path | None = None
) -> tuple[LintFinding, ...]:
    """Lint a loaded rules directory; with *fixtures*, also check the fixture cases there."""
    lint = _Lint(ruleset)
    impossible = lint.contradictions()
    lint.redundant(impossible)
    lint.conflicts(impossible)
    lint.unused()
    lint.red_flags()
    lint.treatment_clocks()
    findings = lint.findings
    if fixtures is not None:
        findings.extend(_fixture_findings(ruleset, Path(fixtures), lint.places))
    return tuple(sorted(findings, key=lambda f: (f.file, f.line or 0, f.column or 0, f.code)))


def lint_rules(
    directory: str | Path, *, fixtures: str | Path | None = None
) -> tuple[LintFinding, ...]:
    """Load and lint a rules directory; raise RuleError when the loader refuses it.

    *fixtures* is a folder whose ``*.yaml`` files (recursively) are fixture cases: then
    rules no case fires and cases naming unknown rules or services are findings too.
    """
    if fixtures is not None and not Path(fixtures).is_dir():
        raise NotADirectoryError(f"{fixtures} is not a directory of fixture files")
    return lint_ruleset(load_ruleset(directory), fixtures=fixtures)
