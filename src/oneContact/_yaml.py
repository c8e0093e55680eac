"""Reading YAML with line numbers, so every rule error can name file:line:column."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import ScalarNode

from ._files import MAX_DATA_FILE_BYTES, FileRefused, read_regular_file, read_rule_file
from .errors import RuleError, RuleProblem

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "Located",
    "file_problem",
    "item_position",
    "key_position",
    "load_yaml",
    "position",
    "read_data_file",
    "value_position",
]

Located = tuple[int | None, int | None]

#: The deepest a YAML file may nest mappings and sequences: 64 levels. The bundled files
#: nest at most 6; the limit keeps every reader far from Python's recursion limit.
MAX_DEPTH = 64
#: The most nodes aliases (``*name``) may add to a YAML file when expanded: 100,000. An
#: anchor reused to share a condition or a list costs its size each time; a "billion
#: laughs" file (aliases of aliases) is refused as soon as it passes this.
MAX_ALIAS_NODES = 100_000

#: Characters refused anywhere in a YAML file: C0 controls but tab, line feed and
#: carriage return; DEL and the C1 controls (NEL, U+0085, would break lines where editors
#: do not); the line and paragraph separators (the same); the bidirectional overrides
#: and isolates, which make text show in another order than it is read (a condition
#: that reads one way and works another, CVE-2021-42574); a byte order mark but at the
#: very start.
_REFUSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)


class _Refused(MarkedYAMLError):
    """A limit of this module, raised at the place in the file that passes it."""

    def __init__(self, code: str, message: str, mark: Any) -> None:
        super().__init__(None, None, message, mark)
        self.code = code


class _LimitedComposer(Composer):
    """ruamel's composer, counting as it goes: nesting depth, and the size of each node
    with its aliases expanded, so a file past :data:`MAX_DEPTH` or
    :data:`MAX_ALIAS_NODES` is refused while it is composed (in time linear in the
    file), before anything walks the expanded tree."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader=loader)
        # YAML lets a later anchor of the same name replace the first; ruamel's warning
        # would be an exception where warnings are errors, not a RuleError.
        self.warn_double_anchors = False
        self._sizes: dict[int, int] = {}  # id(anchored node) -> its size, aliases expanded
        self._open: list[int] = [0]  # the size so far of each node being composed
        self._literal = 0  # nodes written out (not through an alias)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            if size is None:
                raise _Refused(
                    "yaml-recursive-alias",
                    f"alias *{event.anchor} is used inside the node it names, which makes a "
                    "structure without end; write the value out instead",
                    event.start_mark,
                )
            self._open[-1] += size
            self._check_aliases(event)
            return node
        if len(self._open) > MAX_DEPTH:
            raise _Refused(
                "yaml-too-deep",
                f"nested more than {MAX_DEPTH} levels deep; flatten the structure",
                event.start_mark,
            )
        self._open.append(1)
        self._literal += 1
        node = super().compose_node(parent, index)
        size = self._open.pop()
        if isinstance(node, ScalarNode) and isinstance(node.value, str):
            # ruamel marks the folds of a folded (>) scalar with BEL; a BEL written in
            # the file was refused with the text, and a block scalar has no escapes.
            value = node.value.replace("\a", "") if node.style == ">" else node.value
            found = _REFUSED.search(value)
            if found is not None:  # written as an escape, e.g. "\\u202e"
                raise _Refused(
                    "control-character", _refused_character(found.group()), event.start_mark
                )
        if event.anchor is not None:  # only an anchored node can be named by an alias
            self._sizes[id(node)] = size
        self._open[-1] += size
        self._check_aliases(event)
        return node

    def _check_aliases(self, event: Any) -> None:
        if self._open[-1] - self._literal > MAX_ALIAS_NODES:
            raise _Refused(
                "yaml-alias-expansion",
                f"aliases (*name) expand this file by more than {MAX_ALIAS_NODES:,} "
                "nodes; write the values out or share less",
                event.start_mark,
            )


def file_problem(path: Path, refused: FileRefused) -> RuleError:
    """The RuleError of a file that cannot be read at all."""
    return RuleError([RuleProblem(refused.code, f"{path.name} {refused.reason}", path=path)])


def _character_problem(path: Path, text: str) -> RuleProblem | None:
    found = _REFUSED.search(text, 1 if text.startswith("\ufeff") else 0)
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    message = _refused_character(found.group())
    return RuleProblem("control-character", message, path=path, line=line, column=column)


def _refused_character(char: str) -> str:
    name = unicodedata.name(char, "a control character")
    return (
        f"U+{ord(char):04X} ({name}) is not allowed in a YAML file, nor written as an "
        "escape: it is invisible or changes how the text shows; remove it"
    )


def read_data_file(path: Path) -> bytes:
    """The bytes of a directory or fixture file: a regular file of at most 64 MiB
    (:data:`oneContact._files.MAX_DATA_FILE_BYTES`); a RuleError when it is not one."""
    try:
        return read_regular_file(path, MAX_DATA_FILE_BYTES)
    except FileRefused as exc:
        raise file_problem(path, exc) from None


def load_yaml(path: Path, data: bytes | None = None) -> Any:
    """Parse *path* (or *data*, its bytes, already read); a file that cannot be read or
    parsed becomes a RuleError at its line: ``yaml-syntax`` for a syntax error, and the
    codes of docs/reference/rule-file-limits.md for a limit passed.

    The file is read through :func:`oneContact._files.read_rule_file`: a regular file of
    at most 4 MiB, read once per load. Duplicate keys are refused: in a rule file they
    almost always hide a mistake.
    """
    if data is None:
        try:
            data = read_rule_file(path)
        except FileRefused as exc:
            raise file_problem(path, exc) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(
            [RuleProblem("file-encoding", f"file is not UTF-8 text ({exc.reason})", path=path)]
        ) from None
    bad = _character_problem(path, text)
    if bad is not None:
        raise RuleError([bad])
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.Composer = _LimitedComposer
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        what = exc.problem or exc.context or "invalid YAML"
        code = exc.code if isinstance(exc, _Refused) else "yaml-syntax"
        fix = "" if isinstance(exc, _Refused) else "; fix the YAML syntax here"
        raise RuleError(
            [RuleProblem(code, f"{what}{fix}", path=path, line=line, column=column)]
        ) from None
    except (YAMLError, ValueError, OverflowError) as exc:
        # A value ruamel cannot make (an integer of more digits than Python converts,
        # a malformed timestamp or base64 text): no position is known.
        raise RuleError(
            [
                RuleProblem(
                    "yaml-value",
                    f"a value cannot be read ({type(exc).__name__}); fix or quote it",
                    path=path,
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
