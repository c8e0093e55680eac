"""One compile() for both evaluators, the one urgency order, and the package's switch."""

from __future__ import annotations

from pathlib import Path

import pytest

import oneContact.ruleset as ruleset_package
from oneContact.ruleset import (
    NO_URGENCY_RANK,
    URGENCY_LEVELS,
    URGENCY_RANK,
    compile,
    load_ruleset,
    loading,
    urgency_rank,
)

from ..conftest import write_rules


@pytest.mark.durable
def test_compile_gives_a_program_per_backend_that_fire_alike(tmp_path: Path) -> None:
    """Both backends compile the same rules to programs that fire the same indices."""
    rules = load_ruleset(write_rules(tmp_path / "rules"))
    python = compile(rules, "python")
    durable = compile(rules, "durable")
    assert "python" == python.backend
    assert "durable" == durable.backend
    fact = {"age": 80, "language": "fi", "channel": "phone", "c__home_care": True}
    assert python.fired(fact) == durable.fired(fact)
    assert python.fired(fact)


def test_compile_refuses_an_unknown_backend(tmp_path: Path) -> None:
    rules = load_ruleset(write_rules(tmp_path / "rules"))
    with pytest.raises(ValueError, match="backend must be 'durable' or 'python', not 'lua'"):
        compile(rules, "lua")  # type: ignore[arg-type]


def test_the_urgency_order_is_the_order_of_the_levels() -> None:
    """Most urgent first; no urgency after every level."""
    assert [0, 1, 2, 3] == [urgency_rank(level) for level in URGENCY_LEVELS]
    assert len(URGENCY_LEVELS) == urgency_rank(None) == NO_URGENCY_RANK
    assert {*URGENCY_LEVELS, None} == set(URGENCY_RANK)


def test_the_language_switch_set_on_the_package_is_the_one_loading_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert loading.REQUIRE_ALL_LANGUAGES is ruleset_package.REQUIRE_ALL_LANGUAGES
    monkeypatch.setattr(ruleset_package, "REQUIRE_ALL_LANGUAGES", False)
    assert loading.REQUIRE_ALL_LANGUAGES is False
    monkeypatch.undo()
    assert loading.REQUIRE_ALL_LANGUAGES is True
