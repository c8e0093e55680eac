"""What the rule, questionnaire and catalogue files share when they are read: ids, the
names in three languages, lists of entries with ids, and file names as decisions show them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import _yaml
from .._problems import ProblemCollector
from .._text import LANGUAGES, Label

__all__ = ["ID", "display_name", "entries", "id_list", "read_label"]

#: An id of a concern, question, choice, person, need or service.
ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def display_name(path: Path, root: Path) -> str:
    """*path* as decisions and problems name it: relative to the rules directory *root*."""
    # Relative to the rules directory, not to where it lies: a copy of the same files
    # under another name has the same digest and must explain decisions the same way.
    return path.relative_to(root).as_posix()


def read_label(
    node: Any, path: Path, where: tuple[int | None, int | None], c: ProblemCollector, what: str
) -> Label:
    """The name ``{fi: ..., sv: ..., en: ...}`` of *what* at *node*; a missing language
    or an unknown key is a problem."""
    if not isinstance(node, Mapping):
        c.add("label-missing", f"{what} needs a label {{fi: ..., sv: ..., en: ...}}", path, where)
        return Label("", "", "")
    missing = [lang for lang in LANGUAGES if not isinstance(node.get(lang), str) or not node[lang]]
    if missing:
        c.add(
            "label-missing",
            f"{what} lacks its name in {', '.join(missing)}; every name is given in fi, sv and en",
            path,
            _yaml.position(node),
        )
    c.unknown_keys(node, LANGUAGES, path, f"the label of {what}")
    return Label(*(str(node.get(lang, "")) for lang in LANGUAGES))


def id_list(
    node: Mapping[str, Any], key: str, path: Path, c: ProblemCollector, what: str
) -> list[tuple[Any, tuple[int | None, int | None]]]:
    """Items of a list under *key* with their positions; reports a non-list."""
    value = node.get(key)
    if value is None:
        c.add("missing-key", f"{what} needs a list '{key}'", path, _yaml.position(node))
        return []
    if not isinstance(value, list):
        c.add("not-a-list", f"'{key}' must be a list", path, _yaml.value_position(node, key))
        return []
    return [(item, _yaml.item_position(value, i)) for i, item in enumerate(value)]


def entries(
    doc: Mapping[str, Any],
    key: str,
    kind: str,
    allowed: Sequence[str],
    path: Path,
    c: ProblemCollector,
) -> Iterator[tuple[str, Mapping[str, Any], tuple[int | None, int | None]]]:
    """(id, item, position) of each well-formed entry of the list *key*.

    Reports entries without a proper id, unknown keys and ids defined twice (the later
    definition is skipped).
    """
    seen: set[str] = set()
    for item, where in id_list(doc, key, path, c, path.name):
        if not isinstance(item, Mapping) or not ID.match(str(item.get("id", ""))):
            c.add("bad-id", f"a {kind} needs an id of a-z, 0-9 and _", path, where)
            continue
        ident = str(item["id"])
        c.unknown_keys(item, allowed, path, f"{kind} {ident!r}")
        if ident in seen:
            c.add("duplicate-id", f"{kind} {ident!r} is defined twice", path, where)
            continue
        seen.add(ident)
        yield ident, item, where
