"""Reading a rules directory into one checked, immutable :class:`RuleSet`.

The directory holds the questionnaire, the service catalogue, the assessment rules and
the care-guarantee policies (see ``docs/reference/rule-files.md``). Everything is checked
before anything is used: every problem in every file is collected and raised together as
one :class:`~oneContact.errors.RuleError`, so a directory is either loaded whole or not at
all. The digest of a :class:`RuleSet` names exactly the files read (and the region).

Each file is read by the module named after it: :mod:`.questionnaire`,
:mod:`.catalogue`, :mod:`.rule_files`; the policies by :mod:`oneContact.clocks`.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from .._files import MAX_RULE_FILES, reading_once
from .._problems import ProblemCollector
from .._text import Untranslated
from ..clocks import Policies
from ..errors import RuleError, RuleProblem
from .catalogue import Catalogue, check_treatment_clocks, read_catalogue
from .model import Rule
from .questionnaire import Questionnaire, read_questionnaire
from .rule_files import read_rules

__all__ = ["REQUIRE_ALL_LANGUAGES", "RuleSet", "load_ruleset"]

REQUIRE_ALL_LANGUAGES = True
"""Whether loading refuses (``text-language-missing``) a rules directory in which a text a
person reads lacks Finnish, Swedish or English: rule descriptions, choice labels, policy
clock descriptions, bases, notes, reasons for no limit, region names and descriptions.
On: a Swedish-speaking client has a right to service in Swedish (Kielilaki 423/2003), so
no text reaches a client in a language they did not choose. A region translating a copy
of the rules step by step can turn it off for a tool run, never for a service.

Set it here or on the package (``oneContact.ruleset.REQUIRE_ALL_LANGUAGES``): the package
attribute reads and writes this one."""


@attrs.frozen(repr=False)
class RuleSet:
    """A whole rules directory, checked and compiled to the intermediate form."""

    path: Path
    digest: str
    questionnaire: Questionnaire
    catalogue: Catalogue
    policies: Policies
    rules: tuple[Rule, ...]

    def __repr__(self) -> str:
        return f"<RuleSet {str(self.path)!r} rules={len(self.rules)} digest={self.digest[:12]}>"

    @classmethod
    def from_directory(cls, path: str | Path) -> RuleSet:
        """Load and check every file of *path*; raise RuleError listing every problem."""
        return load_ruleset(path)


def _untranslated_message(u: Untranslated) -> str:
    missing = u.label.missing
    if not u.label.en and not u.label.fi and not u.label.sv:
        fix = "write it as {id: ..., label: {fi: ..., sv: ..., en: ...}}"
    elif u.label.en and not (u.label.fi or u.label.sv):
        fix = "write it as {fi: ..., sv: ..., en: <this text>}"
    else:
        fix = "add " + ", ".join(f"{lang}: ..." for lang in missing)
    return (
        f"{u.what} lacks {', '.join(missing)}; a text a person reads is given in fi, sv "
        f"and en (Kielilaki 423/2003): {fix}"
    )


def load_ruleset(path: str | Path, *, region: str | None = None) -> RuleSet:
    """Load and check a whole rules directory; raise RuleError listing every problem.

    *region* selects a regional target file ``policies/regions/<region>.yaml`` (e.g.
    ``"etela-pohjanmaa"``): clocks then also carry the region's target due date. The
    default selects none. Every region file is checked either way.

    Each file is read once (docs/reference/rule-file-limits.md): the rules are parsed
    from the bytes the digest is made of, so the digest names exactly the files loaded
    even while a deployment replaces them.
    """
    root = Path(path)
    with reading_once() as files:
        ruleset = _load(root, region)
        # Exactly the bytes read, so the digest says what the engine was built from; the
        # selected region changes due dates, so it is part of what the digest names.
        digest = files.digest(root, "" if region is None else f"region={region}\0")
    return attrs.evolve(ruleset, digest=digest)


def _load(root: Path, region: str | None) -> RuleSet:
    if not root.is_dir():
        raise RuleError(
            [
                RuleProblem(
                    "missing-directory",
                    "not a rules directory; give the folder that holds questionnaire.yaml",
                    root,
                )
            ]
        )
    c = ProblemCollector()
    policy_dirs = (root / "policies", root / "policies" / "regions")
    for stray in sorted([*root.glob("*.yml"), *(p for d in policy_dirs for p in d.glob("*.yml"))]):
        c.add(
            "wrong-extension",
            f"{stray.name} would be ignored: rule files end in .yaml; rename it",
            stray,
        )
    count = len([*root.glob("*.yaml"), *(p for d in policy_dirs for p in d.glob("*.yaml"))])
    if count > MAX_RULE_FILES:
        raise RuleError(
            [
                RuleProblem(
                    "too-many-files",
                    f"{count} .yaml files; a rules directory (with policies/ and regions/) "
                    f"holds at most {MAX_RULE_FILES}: remove files that are not rules",
                    root,
                )
            ]
        )
    problems_from_files: list[RuleProblem] = []
    questionnaire = catalogue = None
    try:
        questionnaire = read_questionnaire(root, c)
        catalogue = read_catalogue(root, c)
    except RuleError as exc:
        problems_from_files.extend(exc.problems)
    policies: Policies | None = None
    try:
        policies = Policies.from_directory(root / "policies", region=region)
    except RuleError as exc:
        problems_from_files.extend(exc.problems)
    rules: list[Rule] = []
    if questionnaire is not None and catalogue is not None:
        try:
            # Without policies, clock names cannot be checked: say nothing rather than
            # report every clock of every rule as unknown.
            clock_ids = policies.clock_ids if policies is not None else None
            rules = read_rules(root, questionnaire, catalogue, clock_ids, c)
            if policies is not None:
                check_treatment_clocks(root, catalogue, policies, c)
        except RuleError as exc:
            problems_from_files.extend(exc.problems)
    if REQUIRE_ALL_LANGUAGES:
        untranslated = [*c.untranslated, *(policies.untranslated if policies else ())]
        for u in untranslated:
            c.add("text-language-missing", _untranslated_message(u), u.path, (u.line, u.column))
    problems = problems_from_files + c.problems
    if problems:
        raise RuleError(problems)
    assert questionnaire is not None
    assert catalogue is not None
    assert policies is not None
    return RuleSet(
        path=root,
        digest="",  # made by load_ruleset from the bytes read
        questionnaire=questionnaire,
        catalogue=catalogue,
        policies=policies,
        rules=tuple(rules),
    )
