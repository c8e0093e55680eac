"""Reading YAML with line numbers, so every rule error can name file:line:column."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from .errors import RuleError, RuleProblem

__all__ = ["Located", "item_position", "key_position", "load_yaml", "position", "value_position"]

Located = tuple[int | None, int | None]


def load_yaml(path: Path) -> Any:
    """Parse *path*; a syntax error becomes a RuleError (code ``yaml-syntax``) at its line.

    Duplicate keys are refused: in a rule file they almost always hide a mistake.
    """
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(
            [RuleProblem("file-encoding", f"file is not UTF-8 text ({exc.reason})", path=path)]
        ) from None
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        what = exc.problem or exc.context or "invalid YAML"
        raise RuleError(
            [
                RuleProblem(
                    "yaml-syntax",
                    f"{what}; fix the YAML syntax here",
                    path=path,
                    line=line,
                    column=column,
                )
            ]
        ) from None


def position(node: Any) -> Located:
    """1-based (line, column) where a mapping or sequence node starts, if known."""
    if isinstance(node, CommentedMap | CommentedSeq):
        return node.lc.line + 1, node.lc.col + 1
    return None, None


def key_position(mapping: Mapping[str, Any], key: str) -> Located:
    """1-based (line, column) of *key* inside *mapping*, or of the mapping itself."""
    if isinstance(mapping, CommentedMap):
        try:
            line, col = mapping.lc.key(key)
        except (KeyError, TypeError):
            return position(mapping)
        return line + 1, col + 1
    return None, None


def value_position(mapping: Mapping[str, Any], key: str) -> Located:
    """1-based (line, column) of the value stored under *key*."""
    if isinstance(mapping, CommentedMap):
        try:
            line, col = mapping.lc.value(key)
        except (KeyError, TypeError):
            return key_position(mapping, key)
        return line + 1, col + 1
    return None, None


def item_position(seq: Any, index: int) -> Located:
    """1-based (line, column) of item *index* of a YAML sequence."""
    if isinstance(seq, CommentedSeq):
        try:
            line, col = seq.lc.item(index)
        except (KeyError, TypeError, IndexError):
            return position(seq)
        return line + 1, col + 1
    return None, None
