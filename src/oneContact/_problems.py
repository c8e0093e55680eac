"""One problem collector for every loader: rules, policies, directory and fixtures.

A loader reads a whole file set and reports every mistake at once, each located to
file, line and column, with one code for one kind of mistake wherever it is made
(``unknown-key``, ``missing-file``, ...). Texts that lack a language are noted beside
the problems, so ``onecontact check`` can refuse them while the engine still loads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import _yaml
from ._text import Label, Untranslated
from .errors import RuleError, RuleProblem, did_you_mean

__all__ = ["ProblemCollector"]


class ProblemCollector:
    """Gathers problems so that one run reports all of them."""

    def __init__(self) -> None:
        self.problems: list[RuleProblem] = []
        self.untranslated: list[Untranslated] = []  # texts lacking fi, sv or en

    def add(
        self,
        code: str,
        message: str,
        path: Path | None,
        where: _yaml.Located = (None, None),
        *,
        rule_id: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        """Note one problem at *path*, line and column *where*."""
        self.problems.append(
            RuleProblem(code, message, path, where[0], where[1], rule_id, suggestion)
        )

    def unknown_keys(
        self,
        node: Mapping[str, Any],
        allowed: Sequence[str],
        path: Path | None,
        what: str,
        *,
        code: str = "unknown-key",
        rule_id: str | None = None,
    ) -> None:
        """One problem per key of *node* not in *allowed*, with the nearest allowed key."""
        for key in node:
            if key not in allowed:
                self.add(
                    code,
                    f"unknown key {str(key)!r} in {what}; allowed: {', '.join(allowed)}",
                    path,
                    _yaml.key_position(node, key),
                    rule_id=rule_id,
                    suggestion=did_you_mean(str(key), allowed),
                )

    def translated(self, found: Label, path: Path, where: _yaml.Located, what: str) -> Label:
        """Note *found* when it lacks a language (``onecontact check`` may refuse it)."""
        if not found.complete:
            self.untranslated.append(Untranslated(path, where[0], where[1], what, found))
        return found

    def raise_if_any(self) -> None:
        """Raise one :class:`RuleError` holding every problem noted, if there is one."""
        if self.problems:
            raise RuleError(self.problems)
