"""Errors raised by oneContact.

Every error derives from :class:`OneContactError`. User-facing errors also inherit the
fitting builtin (``ValueError``), so a host that already catches ``ValueError`` keeps
working. The parts of a message are attributes too, so a host service can show them in
its own user interface.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

__all__ = [
    "ContactError",
    "ContactProblem",
    "OneContactError",
    "RuleError",
    "RuleProblem",
    "did_you_mean",
    "location",
    "read_text_file",
]


def location(file: str, line: int | None, column: int | None) -> str:
    """``file:line:column`` as far as it is known: how every problem names its place."""
    if line is None:
        return file
    return f"{file}:{line}" if column is None else f"{file}:{line}:{column}"


def read_text_file(path: str | Path, *, title: str) -> str:
    """The UTF-8 text of a file a user named; a :class:`ContactError` titled *title*
    that says why when it cannot be read, so a bad file changes nothing."""
    name = str(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ContactError(
            [ContactProblem("<file>", f"cannot read {name}: {exc.strerror}", "file")],
            title=title,
        ) from None
    except UnicodeDecodeError:
        raise ContactError(
            [ContactProblem("<file>", f"{name} is not UTF-8 text", "file")], title=title
        ) from None


class OneContactError(Exception):
    """Root of every error oneContact raises on purpose."""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Return the closest of *choices* to *word*, or None when nothing is close."""
    matches = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return matches[0] if matches else None


@attrs.frozen
class ContactProblem:
    """One thing wrong with a first-contact record.

    ``field`` is a dotted path such as ``client.age`` or ``answers.chest_pain``.
    ``message`` never repeats the offending value when it could hold personal data.
    """

    field: str
    message: str
    code: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ContactError(OneContactError, ValueError):
    """A first-contact record is invalid; ``problems`` names every offending field."""

    def __init__(
        self, problems: Sequence[ContactProblem], *, title: str = "invalid first contact"
    ) -> None:
        self.problems: tuple[ContactProblem, ...] = tuple(problems)
        self.fields: tuple[str, ...] = tuple(p.field for p in self.problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{title}: {count} {noun}\n{lines}")


@attrs.frozen
class RuleProblem:
    """One thing wrong in a rules directory, located to file, line and column."""

    code: str
    message: str
    path: Path | None = None
    line: int | None = None
    column: int | None = None
    rule_id: str | None = None
    suggestion: str | None = None

    def location(self) -> str:
        """``path:line:column`` as far as it is known."""
        return location(
            str(self.path) if self.path is not None else "<rules>", self.line, self.column
        )

    def __str__(self) -> str:
        rule = f" [rule {self.rule_id}]" if self.rule_id else ""
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        return f"{self.location()}: {self.code}{rule}: {self.message}{hint}"


class RuleError(OneContactError, ValueError):
    """A rules directory cannot be used; nothing was loaded.

    ``problems`` lists every problem found; the first one's parts are also exposed as
    ``code``, ``path``, ``line``, ``column``, ``rule_id`` and ``suggestion``.
    """

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        if not problems:
            raise ValueError("RuleError needs at least one problem")
        self.problems: tuple[RuleProblem, ...] = tuple(problems)
        first = self.problems[0]
        self.code = first.code
        self.path = first.path
        self.line = first.line
        self.column = first.column
        self.rule_id = first.rule_id
        self.suggestion = first.suggestion
        super().__init__("\n".join(str(p) for p in self.problems))
