"""Rule coverage of fixture cases: which rules fired, which comparisons were seen both ways.

The pytest plugin records every fixture case it runs (``--onecontact-coverage``): for each
rule how many cases fired it (as the engine decided), and for each comparison of its
condition (each atom of the compiled condition, see :mod:`oneContact.ruleset.trace`) whether
some case saw it true and some case saw it false.

The coverage percentage counts *outcomes*: each rule has one (it fired at least once) and
each comparison two (seen true, seen false). A rule whose comparisons were all seen both
ways and that fired scores all its outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..ruleset.condition import Atom
from ..ruleset.trace import atom_holds, atoms, trace_rule

if TYPE_CHECKING:
    from ..engine import Engine
    from ..ruleset import RuleSet

__all__ = ["AtomCoverage", "Coverage", "RuleCoverage"]


@attrs.define
class AtomCoverage:
    """One comparison of a rule and the outcomes the fixture cases saw."""

    text: str
    column: int | None
    seen_true: bool = False
    seen_false: bool = False


@attrs.define
class RuleCoverage:
    """One rule: where it is, how often it fired, and its comparisons."""

    rule: str
    file: str
    line: int
    atoms: list[AtomCoverage]
    fired: int = 0

    @property
    def outcomes(self) -> int:
        """How many outcomes this rule has: 1 for firing, 2 per comparison."""
        return 1 + 2 * len(self.atoms)

    @property
    def covered(self) -> int:
        """How many of them the fixture cases saw."""
        return int(self.fired > 0) + sum(a.seen_true + a.seen_false for a in self.atoms)


class Coverage:
    """Coverage of one rules directory, filled one contact at a time."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.cases = 0
        self.rules: dict[str, RuleCoverage] = {}
        # Each rule's atoms, evaluated per contact as _trace evaluates them.
        self._atoms: list[tuple[list[AtomCoverage], tuple[Atom, ...]]] = []
        for rule in ruleset.rules:
            trace = trace_rule(rule, {}, ruleset.questionnaire)
            self.rules[rule.id] = RuleCoverage(
                rule.id,
                rule.file,
                rule.line,
                [AtomCoverage(a.text, a.column) for a in trace.atoms],
            )
            self._atoms.append((self.rules[rule.id].atoms, tuple(atoms(rule.condition))))

    def record(self, engine: Engine, contact: Mapping[str, Any]) -> None:
        """Run *contact* through *engine* and note what fired and what each comparison saw.

        An invalid contact (a case that expects a contact error) fires nothing and is not
        counted.
        """
        from ..errors import ContactError  # noqa: PLC0415 -- imported when coverage is on

        try:
            valid = engine.validate(contact)
        except ContactError:
            return
        self.cases += 1
        for rule in engine.fired_rules(valid):
            self.rules[rule.id].fired += 1
        fact = engine.facts(valid)
        for seen_list, rule_atoms in self._atoms:
            for seen, atom in zip(seen_list, rule_atoms, strict=True):
                if atom_holds(atom, fact):
                    seen.seen_true = True
                else:
                    seen.seen_false = True

    @property
    def percent(self) -> float:
        """Outcomes seen, as a percentage of all outcomes (100 for a directory of none)."""
        total = sum(r.outcomes for r in self.rules.values())
        covered = sum(r.covered for r in self.rules.values())
        return 100.0 * covered / total if total else 100.0

    def never_fired(self) -> list[RuleCoverage]:
        """Rules no case fired, in file order."""
        return [r for r in self.rules.values() if r.fired == 0]

    def lines(self, *, verbose: bool = False) -> list[str]:
        """The report: one line per rule, the comparisons not seen both ways, a summary.

        With *verbose*, every comparison is listed with what was seen.
        """
        out: list[str] = []
        width = max((len(r.rule) for r in self.rules.values()), default=10)
        where_width = max((len(f"{r.file}:{r.line}") for r in self.rules.values()), default=10)
        for r in sorted(self.rules.values(), key=lambda r: (r.file, r.line)):
            both = sum(a.seen_true and a.seen_false for a in r.atoms)
            out.append(
                f"{r.rule:<{width}}  {f'{r.file}:{r.line}':<{where_width}}  "
                f"fired {r.fired:>3}  conditions seen true and false {both}/{len(r.atoms)}"
            )
            for a in r.atoms:
                if a.seen_true and a.seen_false and not verbose:
                    continue
                missing = [w for w, s in (("true", a.seen_true), ("false", a.seen_false)) if not s]
                where = f" (column {a.column})" if a.column else ""
                note = f": never {' or '.join(missing)}" if missing else ": seen true and false"
                out.append(f"    {a.text}{where}{note}")
        rules = len(self.rules)
        fired = rules - len(self.never_fired())
        atoms = [a for r in self.rules.values() for a in r.atoms]
        outcomes = sum(a.seen_true + a.seen_false for a in atoms)
        out.append("")
        out.append(
            f"{self.cases} fixture contacts; rules fired {fired}/{rules}; "
            f"condition outcomes seen {outcomes}/{2 * len(atoms)}; "
            f"coverage {self.percent:.1f}%"
        )
        never = self.never_fired()
        if never:
            out.append("rules never fired:")
            out.extend(f"  - {r.rule}  {r.file}:{r.line}" for r in never)
        return out
