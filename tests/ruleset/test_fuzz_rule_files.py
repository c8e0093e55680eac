"""Mutated rule files give a RuleError or load; never another exception.

A file of the bundled rules is mutated, at the YAML level (a key dropped, renamed or
added, a value of another type, deep nesting, an alias to another node or to itself, a
list item doubled) or at the byte level (truncated, a byte flipped, a snippet inserted:
control characters, a bidi override, invalid UTF-8, a 5,000-digit integer, YAML tags and
anchors), then read.

The default run reads the mutated file the way the loader does, against the bundled
questionnaire, catalogue and policies (tens of milliseconds an example); a run under the ``slow``
marker loads a whole copy of the bundled rules each time, as ``onecontact check`` does.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from oneContact._problems import ProblemCollector
from oneContact.clocks import Policies
from oneContact.errors import RuleError
from oneContact.ruleset import load_ruleset
from oneContact.ruleset.catalogue import check_treatment_clocks, read_catalogue
from oneContact.ruleset.questionnaire import read_questionnaire
from oneContact.ruleset.rule_files import read_rules

from ..conftest import BUNDLED_RULES

FILES = sorted(
    p.relative_to(BUNDLED_RULES).as_posix()
    for p in [*BUNDLED_RULES.glob("*.yaml"), *BUNDLED_RULES.glob("policies/**/*.yaml")]
)
RULE_FILES = [
    f for f in FILES if "/" not in f and f not in ("questionnaire.yaml", "catalogue.yaml")
]
BUNDLED = load_ruleset(BUNDLED_RULES)
_TEXT = {name: (BUNDLED_RULES / name).read_bytes() for name in FILES}
_DATA = {name: YAML(typ="safe", pure=True).load(text) for name, text in _TEXT.items()}

# ------------------------------------------------------------------------ mutations

_ODD_STRINGS = ["", "~", "null", "yes", "<<", "1e400", ".nan", "0x1F", "- a", "*x", "&a", "{", "é"]
odd_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**30), 10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.sampled_from(_ODD_STRINGS),
        st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31)),
        st.just("x" * 20_000),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def _containers(node: Any) -> Iterator[tuple[Any, ...]]:
    """Paths to every mapping and list of *node*, each node once (a node an earlier
    mutation shared or made to hold itself is not entered again), at most 30 deep."""
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[Any, ...]]] = [(node, ())]
    while stack:
        node, path = stack.pop()
        if not isinstance(node, dict | list) or id(node) in seen or len(path) > 30:
            continue
        seen.add(id(node))
        yield path
        items = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((child, (*path, key)) for key, child in items)


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


@st.composite
def structure_mutation(draw: st.DrawFn, data: Any) -> Any:
    """*data* (a copy) with one node changed."""
    data = copy.deepcopy(data)
    paths = list(_containers(data))
    if not paths:
        return draw(odd_values)
    path = draw(st.sampled_from(paths))
    node = _at(data, path)
    keys = list(node) if isinstance(node, dict) else list(range(len(node)))
    op = draw(
        st.sampled_from(
            ["drop", "odd", "add", "rename", "nest", "alias", "self-alias", "double", "whole"]
        )
    )
    if op == "whole":
        return draw(odd_values)
    if not keys or op == "add":
        if isinstance(node, dict):
            node[draw(st.text(max_size=10))] = draw(odd_values)
        else:
            node.append(draw(odd_values))
        return data
    key = draw(st.sampled_from(keys))
    if op == "drop":
        del node[key]
    elif op == "odd":
        node[key] = draw(odd_values)
    elif op == "rename" and isinstance(node, dict):
        node[str(key) + draw(st.sampled_from(["s", "_", "X", "\u00e4"]))] = node.pop(key)
    elif op == "nest":
        node[key] = _nested(draw(st.integers(10, 200)))
    elif op == "alias":
        other = _at(data, draw(st.sampled_from(paths)))
        if other is not node:
            node[key] = other  # dumped as an anchor and an alias
    elif op == "self-alias":
        node[key] = node  # a node that holds itself: a recursive alias
    elif op == "double":
        if isinstance(node, list):
            node.append(copy.deepcopy(node[key]))
        else:
            node[key] = [node[key], node[key]]
    return data


_SNIPPETS = [
    b"\x00",
    b"\x07",
    b"\x1b[31m",
    b"\xc2\x85",  # NEL
    b"\xe2\x80\xae",  # RIGHT-TO-LEFT OVERRIDE
    b"\xef\xbb\xbf",  # a BOM, mid-file
    b"\xff\xfe",
    b"\t",
    b"9" * 5000,
    b"*undefined",
    b"&a ",
    b"<<: *a\n",
    b"!!binary ",
    b"!!python/object/apply:os.system ",
    b"!!timestamp 2025-13-45 ",
    b"!!float ",
    b"? ",
    b"[" * 500,
    b"{a: " * 100,
    b"\n  - id: acute.chest-pain\n",
    b"%YAML 1.1\n---\n",
    b"---\n",
    b"...\n",
    b"'",
    b'"\\u202e"',
]


@st.composite
def byte_mutation(draw: st.DrawFn, text: bytes) -> bytes:
    at = draw(st.integers(0, len(text)))
    op = draw(st.sampled_from(["truncate", "flip", "insert"]))
    if op == "truncate":
        return text[:at]
    if op == "flip" and at < len(text):
        flipped = text[at] ^ draw(st.integers(1, 255))
        return text[:at] + bytes([flipped]) + text[at + 1 :]
    return text[:at] + draw(st.sampled_from(_SNIPPETS)) + text[at:]


def _dump(data: Any) -> bytes:
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    return out.getvalue().encode()


@st.composite
def mutated_file(draw: st.DrawFn) -> tuple[str, bytes]:
    """(name relative to rules/, mutated bytes) of one bundled file."""
    name = draw(st.sampled_from(FILES))
    if draw(st.booleans()):
        return name, draw(byte_mutation(_TEXT[name]))
    data = _DATA[name]
    for _ in range(draw(st.integers(1, 3))):
        data = draw(structure_mutation(data))
    try:
        return name, _dump(data)
    except (RecursionError, ValueError):  # the dumper's own limits, not the loader's
        return name, _TEXT[name]


# ------------------------------------------------------------------------ reading


def _read_alone(root: Path, name: str, text: bytes) -> None:
    """Read the mutated file *name* (written under *root*) as the loader does, with the
    bundled files it is checked against."""
    c = ProblemCollector()
    if name.startswith("policies/"):
        # A statutory file alone; a region file with the statutory files it names.
        policies = root / "policies"
        if name.startswith("policies/regions/"):
            shutil.copytree(BUNDLED_RULES / "policies", policies)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text)
        Policies.from_directory(policies)
        return
    (root / name).write_bytes(text)
    if name == "questionnaire.yaml":
        questionnaire = read_questionnaire(root, c)
        read_rules(root, questionnaire, BUNDLED.catalogue, BUNDLED.policies.clock_ids, c)
    elif name == "catalogue.yaml":
        catalogue = read_catalogue(root, c)
        check_treatment_clocks(root, catalogue, BUNDLED.policies, c)
        read_rules(root, BUNDLED.questionnaire, catalogue, BUNDLED.policies.clock_ids, c)
    else:
        read_rules(root, BUNDLED.questionnaire, BUNDLED.catalogue, BUNDLED.policies.clock_ids, c)
    c.raise_if_any()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(mutated=mutated_file(), rule_file=st.sampled_from(RULE_FILES))
def test_a_mutated_file_read_alone_gives_only_rule_errors(
    workdir: Path, mutated: tuple[str, bytes], rule_file: str
) -> None:
    """A mutated questionnaire or catalogue is read with one bundled rule file; a mutated
    rule file alone; a mutated policy or region file with the bundled policies."""
    name, text = mutated
    root = workdir / "alone"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    if name in ("questionnaire.yaml", "catalogue.yaml"):
        shutil.copy(BUNDLED_RULES / rule_file, root / rule_file)
    with contextlib.suppress(RuleError):
        _read_alone(root, name, text)


@pytest.fixture(scope="module")
def rules_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(shutil.copytree(BUNDLED_RULES, tmp_path_factory.mktemp("fuzz") / "rules"))


def _load_whole(root: Path, name: str, text: bytes) -> None:
    (root / name).write_bytes(text)
    try:
        load_ruleset(root, region="etela-pohjanmaa")
    except RuleError:
        pass
    finally:
        (root / name).write_bytes(_TEXT[name])


@settings(max_examples=3, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(mutated=mutated_file())
def test_a_mutated_file_in_a_whole_rules_directory_gives_only_rule_errors(
    rules_copy: Path, mutated: tuple[str, bytes]
) -> None:
    """The whole directory is loaded, as `onecontact check` does."""
    _load_whole(rules_copy, *mutated)


@pytest.mark.slow
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(mutated=mutated_file())
def test_many_mutated_files_in_a_whole_rules_directory_give_only_rule_errors(
    rules_copy: Path, mutated: tuple[str, bytes]
) -> None:
    _load_whole(rules_copy, *mutated)


@pytest.mark.slow
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(mutated=mutated_file(), rule_file=st.sampled_from(RULE_FILES))
def test_many_mutated_files_read_alone_give_only_rule_errors(
    workdir: Path, mutated: tuple[str, bytes], rule_file: str
) -> None:
    test_a_mutated_file_read_alone_gives_only_rule_errors.hypothesis.inner_test(  # type: ignore[attr-defined]
        workdir, mutated, rule_file
    )
