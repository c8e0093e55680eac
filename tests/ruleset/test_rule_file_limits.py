"""What a rules directory may hold (docs/reference/rule-file-limits.md): regular files
only, of bounded size, nesting, alias expansion and characters; each file read once, so
the digest names exactly the bytes loaded."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from oneContact import _files
from oneContact._yaml import MAX_ALIAS_NODES, MAX_DEPTH, load_yaml
from oneContact.clocks import Policies, files_digest
from oneContact.errors import RuleError
from oneContact.ruleset import load_ruleset

from ..conftest import BUNDLED_RULES, write_rules

# ----------------------------------------------------------------------------- helpers


def _codes(exc: RuleError) -> set[str]:
    return {p.code for p in exc.problems}


def _problem(exc: RuleError, code: str):  # type: ignore[no-untyped-def]
    return next(p for p in exc.problems if p.code == code)


# A child process loads the directory, so that a load that would block (a FIFO) or read
# without end (/dev/zero, an alias bomb walked) fails the test instead of hanging the run
# or taking the machine's memory: 1 GiB of address space and 60 seconds at most.
_CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from oneContact.ruleset import load_ruleset
from oneContact.errors import RuleError
started = time.perf_counter()
try:
    load_ruleset(sys.argv[1])
    out = {"outcome": "loaded"}
except RuleError as exc:
    out = {"outcome": "RuleError", "problems": [
        {"code": p.code, "path": str(p.path), "line": p.line} for p in exc.problems]}
except BaseException as exc:
    out = {"outcome": type(exc).__name__}
out["seconds"] = time.perf_counter() - started
out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def _load_guarded(root: Path) -> dict[str, object]:
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(root)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"loading {root} did not finish in 60 s")
    assert done.stdout, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


# --------------------------------------------------------------- regular files only


def _directory(path: Path) -> None:
    path.mkdir()


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "no-such-file.yaml")


def _loop(path: Path) -> None:
    path.symlink_to(path)


@pytest.mark.parametrize(
    ("make", "code"),
    [(_directory, "not-a-file"), (_dangling, "broken-symlink"), (_loop, "symlink-loop")],
    ids=["directory", "dangling-symlink", "symlink-loop"],
)
@pytest.mark.parametrize("where", [".", "policies", "policies/regions"])
def test_a_yaml_name_that_is_no_regular_file_is_a_rule_error(
    tmp_path: Path,
    make,
    code: str,
    where: str,  # type: ignore[no-untyped-def]
) -> None:
    root = write_rules(tmp_path / "rules")
    (root / "policies" / "regions").mkdir(exist_ok=True)
    path = root / where / "x.yaml"
    make(path)
    with pytest.raises(RuleError) as caught:
        load_ruleset(root)
    problem = _problem(caught.value, code)
    assert problem.path == path
    assert "x.yaml" in problem.message
    assert "remove it" in problem.message  # the fix


@pytest.mark.parametrize("where", [".", "policies"])
def test_a_fifo_named_yaml_is_refused_without_blocking(tmp_path: Path, where: str) -> None:
    root = write_rules(tmp_path / "rules")
    path = root / where / "x.yaml"
    os.mkfifo(path)
    result = _load_guarded(root)
    assert result["outcome"] == "RuleError"
    assert {"code": "not-a-file", "path": str(path), "line": None} in result["problems"]  # type: ignore[operator]


@pytest.mark.parametrize("name", ["x.yaml", "questionnaire.yaml", "policies/x.yaml"])
def test_dev_zero_linked_in_is_refused_before_a_byte_is_read(tmp_path: Path, name: str) -> None:
    root = write_rules(tmp_path / "rules")
    path = root / name
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")
    result = _load_guarded(root)
    assert result["outcome"] == "RuleError"
    assert {"code": "not-a-file", "path": str(path), "line": None} in result["problems"]  # type: ignore[operator]
    assert float(result["peak_mib"]) < 200  # type: ignore[arg-type]


def test_a_symlink_to_a_regular_file_is_followed(tmp_path: Path) -> None:
    """A deployment may link each file to a versioned copy (a Kubernetes ConfigMap is
    mounted so): the link is followed, and the digest is that of the same bytes."""
    plain = write_rules(tmp_path / "plain")
    linked = write_rules(tmp_path / "linked")
    versions = tmp_path / "v1"
    versions.mkdir()
    for name in ("acute.yaml", "catalogue.yaml"):
        (linked / name).rename(versions / name)
        (linked / name).symlink_to(versions / name)
    assert load_ruleset(linked).digest == load_ruleset(plain).digest


def test_an_unreadable_file_is_a_rule_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    root = write_rules(tmp_path / "rules")
    (root / "acute.yaml").chmod(0)
    with pytest.raises(RuleError) as caught:
        load_ruleset(root)
    assert _problem(caught.value, "file-unreadable").path == root / "acute.yaml"


# ----------------------------------------------------------------------------- size


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    """A sparse 5 MiB file of zero bytes: refused by its size, never read or parsed."""
    root = write_rules(tmp_path / "rules")
    big = root / "big.yaml"
    with big.open("wb") as f:
        f.truncate(_files.MAX_RULE_FILE_BYTES + 1)
    started = time.perf_counter()
    with pytest.raises(RuleError) as caught:
        load_ruleset(root)
    assert time.perf_counter() - started < 5
    problem = _problem(caught.value, "file-too-large")
    assert problem.path == big
    assert "4 MiB" in problem.message
    assert "split it" in problem.message


def test_a_file_at_the_size_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a" * 10)
    assert _files.read_regular_file(path, 10) == b"a" * 10
    with pytest.raises(_files.FileRefused, match="file-too-large"):
        _files.read_regular_file(path, 9)


def test_the_files_of_one_load_are_limited_together(tmp_path: Path) -> None:
    for name in "abc":
        (tmp_path / f"{name}.yaml").write_bytes(b"#" * 40)
    files = _files.FileSet(limit=50, total=100)
    files.read(tmp_path / "a.yaml")
    files.read(tmp_path / "b.yaml")
    files.read(tmp_path / "a.yaml")  # read once: not counted again
    with pytest.raises(_files.FileRefused, match="rules-too-large"):
        files.read(tmp_path / "c.yaml")


def test_a_rules_directory_of_too_many_files_is_refused(tmp_path: Path) -> None:
    root = write_rules(tmp_path / "rules")
    for i in range(_files.MAX_RULE_FILES):
        (root / f"extra_{i:04}.yaml").write_text("rules: []\n", encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_ruleset(root)
    assert caught.value.code == "too-many-files"
    assert f"at most {_files.MAX_RULE_FILES}" in caught.value.problems[0].message


# -------------------------------------------------------------------- YAML structure


def _laughs(levels: int) -> str:
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*lol{i - 1}"] * 10)
        lines.append(f"lol{i}: &lol{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_fails_fast_with_bounded_memory(tmp_path: Path) -> None:
    """10**9 nodes once expanded; the rule names them as its needs, so a loader that
    walked them (to name each unknown need) would never end."""
    root = write_rules(tmp_path / "rules")
    bomb = (
        _laughs(8)
        + "rules:\n  - id: laughs\n    when: chest_pain\n    urgency: emergency\n"
        + "    needs: *lol8\n"
    )
    (root / "laughs.yaml").write_text(bomb, encoding="utf-8")
    result = _load_guarded(root)
    assert result["outcome"] == "RuleError"
    assert result["problems"] == [  # type: ignore[comparison-overlap]
        # lol4, 10**5 nodes, is where the expansion passes the limit
        {"code": "yaml-alias-expansion", "path": str(root / "laughs.yaml"), "line": 5}
    ]
    assert float(result["peak_mib"]) < 200  # type: ignore[arg-type]
    started = time.perf_counter()
    with pytest.raises(RuleError, match="more than 100,000 nodes"):
        load_yaml(root / "laughs.yaml")
    assert time.perf_counter() - started < 0.5


def test_aliases_that_add_few_nodes_are_read() -> None:
    text = "base: &b {fi: a, sv: b, en: c}\nother: *b\n" + _laughs(3)  # 11,110 nodes
    doc = load_yaml(Path("x.yaml"), text.encode())
    assert doc["other"] is doc["base"]
    assert MAX_ALIAS_NODES < 10**6  # _laughs(5) passes it
    with pytest.raises(RuleError):
        load_yaml(Path("x.yaml"), _laughs(5).encode())


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    """``&a [*a]`` would make a list that holds itself: every walk of it is endless."""
    with pytest.raises(RuleError) as caught:
        load_yaml(Path("x.yaml"), b"rules: &a [*a]\n")
    assert caught.value.code == "yaml-recursive-alias"
    assert (caught.value.line, caught.value.column) == (1, 12)


@pytest.mark.parametrize(
    "text",
    [
        "rules: " + "[" * 10_000 + "]" * 10_000,
        "rules: " + "{a: " * 10_000 + "}" * 10_000,
        "rules:\n" + "".join(" " * i + "-\n" for i in range(2_000)),
    ],
    ids=["flow-sequences", "flow-mappings", "block-sequences"],
)
def test_deep_nesting_is_a_rule_error_not_a_recursion_error(tmp_path: Path, text: str) -> None:
    root = write_rules(tmp_path / "rules")
    (root / "deep.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_ruleset(root)
    problem = _problem(caught.value, "yaml-too-deep")
    assert problem.path == root / "deep.yaml"
    assert problem.line is not None


def test_nesting_up_to_the_limit_is_read() -> None:
    # the document's mapping is one level; each [ one more
    ok = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert load_yaml(Path("x.yaml"), ok.encode()) is not None
    deep = "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH
    with pytest.raises(RuleError, match="yaml-too-deep"):
        load_yaml(Path("x.yaml"), deep.encode())


@pytest.mark.parametrize(
    "char",
    ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\u2028", "\u202e", "\u2066", "\ufeff"],
)
def test_control_characters_are_refused_at_their_place(tmp_path: Path, char: str) -> None:
    root = write_rules(tmp_path / "rules")
    text = f"rules:\n  - id: a.b\n    when: chest_pain  # x{char}y\n    urgency: emergency\n"
    (root / "ctl.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_ruleset(root)
    problem = _problem(caught.value, "control-character")
    assert (problem.path, problem.line, problem.column) == (root / "ctl.yaml", 3, 26)
    assert f"U+{ord(char):04X}" in problem.message


def test_a_bidi_override_in_a_condition_is_refused() -> None:
    """Trojan source: the condition shows as one thing and is read as another."""
    text = 'rules:\n  - {id: a, when: "age > 1 \u202e&& chest_pain", urgency: emergency}\n'
    with pytest.raises(RuleError) as caught:
        load_yaml(Path("x.yaml"), text.encode())
    assert caught.value.code == "control-character"
    assert "RIGHT-TO-LEFT OVERRIDE" in str(caught.value)


@pytest.mark.parametrize("escape", ["\\u202e", "\\x07", "\\e", "\\N", "\\L"])
def test_a_control_character_written_as_an_escape_is_refused(escape: str) -> None:
    text = f'rules:\n  - {{id: a, description: "ok {escape} ok"}}\n'
    with pytest.raises(RuleError) as caught:
        load_yaml(Path("x.yaml"), text.encode())
    assert caught.value.code == "control-character"
    assert caught.value.line == 2


def test_a_folded_scalar_is_read_whole() -> None:
    """ruamel marks a folded scalar's folds with BEL inside; that is not a character of
    the file."""
    doc = load_yaml(Path("x.yaml"), b"when: >-\n  a\n  and b\n")
    assert doc["when"] == "a and b"


def test_tab_newline_carriage_return_and_a_leading_bom_are_read() -> None:
    text = "\ufeffrules:\r\n  - 'a\tb'\r\n"
    assert load_yaml(Path("x.yaml"), text.encode()) == {"rules": ["a\tb"]}


def test_an_integer_python_cannot_convert_is_a_rule_error() -> None:
    with pytest.raises(RuleError) as caught:
        load_yaml(Path("x.yaml"), b"priority: " + b"9" * 5000 + b"\n")
    assert caught.value.code == "yaml-value"


# ----------------------------------------------------------------- read once, digest


_POLICY = """\
clocks:
  - id: care
    description: {fi: hoito, sv: vård, en: care}
    starts_on: need_assessed
    stops_on: [care_started]
    treatment: true
    versions:
      - basis: {fi: laki, sv: lag, en: law}
        limit: {days: 14}
"""


def _version(label: str) -> str:
    return textwrap.dedent(f"""\
        rules:
          - id: versioned
            when: chest_pain
            urgency: emergency
            description: {{fi: versio {label}, sv: version {label}, en: version {label}}}
        """)


def test_the_digest_names_the_version_loaded_while_a_file_is_replaced(tmp_path: Path) -> None:
    """A deployment replaces a rule file (os.replace) back and forth while the ruleset is
    loaded again and again: every load's digest is that of the version it loaded."""
    root = write_rules(tmp_path / "rules", acute=_version("A"), home=None)
    shutil.rmtree(root / "policies")
    (root / "policies").mkdir()
    (root / "policies" / "care.yaml").write_text(_POLICY, encoding="utf-8")
    texts = {label: _version(label) for label in "AB"}
    digests = {}
    for label, text in texts.items():
        (root / "acute.yaml").write_text(text, encoding="utf-8")
        digests[label] = load_ruleset(root).digest
    assert digests["A"] != digests["B"]

    stop = threading.Event()

    def deploy() -> None:
        staged = {label: tmp_path / f"staged-{label}.yaml" for label in texts}
        while not stop.is_set():
            for label, text in texts.items():
                staged[label].write_text(text, encoding="utf-8")
                os.replace(staged[label], root / "acute.yaml")
                time.sleep(0.0005)

    writer = threading.Thread(target=deploy)
    writer.start()
    seen: dict[str, int] = {"A": 0, "B": 0}
    mismatches = 0
    try:
        for _ in range(40):
            ruleset = load_ruleset(root)
            description = ruleset.rules[0].description
            assert description is not None
            label = description.en.removeprefix("version ")
            seen[label] += 1
            mismatches += ruleset.digest != digests[label]
    finally:
        stop.set()
        writer.join()
    assert mismatches == 0
    assert seen["A"]
    assert seen["B"]


def test_policies_digest_names_the_bytes_parsed(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "care.yaml").write_text(_POLICY, encoding="utf-8")
    loaded = Policies.from_directory(policies)
    assert loaded.digest == Policies.from_directory(policies).digest
    assert files_digest(policies, [policies / "care.yaml"]) == _files.digest_of(
        policies, {policies / "care.yaml": _POLICY.encode()}
    )
    (policies / "care.yaml").write_text(_POLICY.replace("14", "7"), encoding="utf-8")
    assert Policies.from_directory(policies).digest != loaded.digest


def test_the_bundled_digest_is_unchanged_by_reading_once() -> None:
    """The digest is made as before (names and bytes in name order): ledgers and stored
    assessments of the bundled rules keep their digest."""
    files = [
        *BUNDLED_RULES.glob("*.yaml"),
        *(BUNDLED_RULES / "policies").glob("*.yaml"),
        *(BUNDLED_RULES / "policies" / "regions").glob("*.yaml"),
    ]
    contents = {path: path.read_bytes() for path in files}
    assert load_ruleset(BUNDLED_RULES).digest == _files.digest_of(BUNDLED_RULES, contents)
