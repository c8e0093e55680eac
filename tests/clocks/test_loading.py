"""Tests of reading policy files (oneContact.clocks.loading): every problem at once,
at file:line, with its code; and the examples of docs/reference/policies.md."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from oneContact.clocks import (
    Policies,
)

from .conftest import (
    REPO,
    after_assessment,
    hki,
    problems_of,
    write,
)

# ----------------------------------------------------------------------------- loading errors


def test_unknown_key_names_file_line_and_suggestion(tmp_path: Path) -> None:
    """A misspelt key is policy-unknown-key at its file:line:column with did-you-mean."""
    path = write(
        tmp_path,
        "health.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_assessed
            stop_on: [care_started]
            versions:
              - basis: test
                limit: {days: 14}
        """,
    )
    error = problems_of(tmp_path)
    assert [p.code for p in error.problems] == ["policy-unknown-key"]  # no "missing" echo
    assert (error.path, error.line, error.column) == (path, 4, 5)
    assert error.suggestion == "stops_on"
    assert f"{path}:4:5: policy-unknown-key" in str(error)
    assert "did you mean 'stops_on'?" in str(error)


def test_overlapping_versions(tmp_path: Path) -> None:
    """Two versions in force on the same day are policy-overlap at the later one's line."""
    path = write(
        tmp_path,
        "health.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started]
            versions:
              - valid_until: 2024-12-31
                basis: old
                limit: {days: 14}
              - valid_from: 2024-12-31
                basis: new
                limit: {months: 3}
        """,
    )
    error = problems_of(tmp_path)
    assert (error.code, error.path, error.line) == ("policy-overlap", path, 9)
    assert "line 6" in str(error)


def test_open_ended_versions_overlap(tmp_path: Path) -> None:
    """Two versions without any dates overlap everywhere."""
    write(
        tmp_path,
        "a.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started]
            versions:
              - {basis: a, limit: {days: 14}}
              - {basis: b, limit: {days: 7}}
        """,
    )
    assert problems_of(tmp_path).code == "policy-overlap"


@pytest.mark.parametrize(
    ("limit", "line", "suggestion"),
    [
        ("{wekdays: 3}", 7, "weekdays"),
        ("{days: 0}", 7, None),
        ("{days: true}", 7, None),
        ('{none: ""}', 7, None),
        ('{same_day: {office_hours: {start: 8, end: "16:00"}}}', 7, None),
        ('{same_day: {office_hours: {start: "16:00", end: "08:00"}}}', 7, None),
        ("{days: 14, months: 3}", 7, None),
        ("sameday", 7, "same_day"),
    ],
)
def test_bad_limit(tmp_path: Path, limit: str, line: int, suggestion: str | None) -> None:
    """Every malformed limit is policy-bad-limit on its line."""
    path = write(
        tmp_path,
        "a.yaml",
        f"""\
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started]
            versions:
              - basis: test
                limit: {limit}
        """,
    )
    error = problems_of(tmp_path)
    assert (error.code, error.path, error.line, error.suggestion) == (
        "policy-bad-limit",
        path,
        line,
        suggestion,
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """One RuleError lists every problem of every file, sorted by file and line."""
    write(
        tmp_path,
        "a.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_asessed
            stops_on: [care_started]
            versions:
              - valid_from: 2025-02-01
                valid_until: 2025-01-01
                basis: test
                limit: {days: 14}
              - basis: test
                variants:
                  - when: {age_belw: 23}
                    limit: {days: 14}
        """,
    )
    write(
        tmp_path,
        "b.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started]
            versions:
              - basis: test
                limit: {days: 14}
        """,
    )
    error = problems_of(tmp_path)
    found = [(p.path.name if p.path else None, p.line, p.code) for p in error.problems]
    assert found == [
        ("a.yaml", 3, "policy-unknown-event"),
        ("a.yaml", 7, "policy-bad-dates"),
        ("a.yaml", 11, "policy-no-otherwise"),
        ("a.yaml", 12, "policy-bad-condition"),
        ("b.yaml", 2, "policy-duplicate-clock"),  # even though a.yaml's 'care' is broken
    ]
    assert error.problems[0].suggestion == "need_assessed"
    assert error.problems[3].suggestion == "age_below"


@pytest.mark.parametrize("event", ["suggestion_accepted", "suggestion_overridden"])
def test_feedback_events_start_and_stop_no_clock(tmp_path: Path, event: str) -> None:
    """A professional's feedback on the rules' suggestions never moves a clock: a policy
    that starts or stops on it is policy-reserved-event, even when it declares it."""
    write(
        tmp_path,
        "a.yaml",
        f"""\
        events: [{event}]
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started, {event}]
            versions:
              - basis: test
                limit: {{days: 14}}
        """,
    )
    error = problems_of(tmp_path)
    assert [(p.code, p.line) for p in error.problems] == [("policy-reserved-event", 5)]
    assert event in str(error)


def test_the_reserved_events_are_the_suggestions_feedback_events() -> None:
    from oneContact.clocks.model import FEEDBACK_EVENTS
    from oneContact.suggestions import SUGGESTION_EVENTS

    assert set(FEEDBACK_EVENTS) == set(SUGGESTION_EVENTS.values())
    bundled = Policies.from_directory(REPO / "rules" / "policies")
    for clock in bundled.clock_ids:
        assert not {bundled.starts_on(clock), *bundled.stops_on(clock)} & set(FEEDBACK_EVENTS)


def test_duplicate_clock_across_files(tmp_path: Path) -> None:
    """The same clock id in two files is policy-duplicate-clock naming the first."""
    text = """\
    clocks:
      - id: care
        starts_on: need_assessed
        stops_on: [care_started]
        versions:
          - basis: test
            limit: {days: 14}
    """
    first = write(tmp_path, "a.yaml", text)
    second = write(tmp_path, "b.yaml", text)
    error = problems_of(tmp_path)
    assert (error.code, error.path, error.line) == ("policy-duplicate-clock", second, 2)
    assert f"{first}:2" in str(error)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("clocks: {care: 1}\n", "policy-bad-value"),
        ("- just a list\n", "policy-bad-file"),
        ("clocks:\n", "policy-bad-value"),
        ("clocks: [\n", "yaml-syntax"),
        ("clockz: []\n", "policy-unknown-key"),
        (
            "clocks:\n  - id: Care\n    starts_on: need_assessed\n    stops_on: [care_started]\n"
            "    versions: [{basis: x, limit: {days: 1}}]\n",
            "policy-bad-id",
        ),
        (
            "clocks:\n  - id: care\n    starts_on: need_assessed\n    stops_on: [care_started]\n"
            "    versions: [{basis: x}]\n",
            "policy-bad-version",
        ),
        (
            "clocks:\n  - id: care\n    starts_on: need_assessed\n    stops_on: [care_started]\n"
            "    versions:\n      - basis: x\n        variants:\n"
            "          - {otherwise: true, limit: {days: 1}}\n"
            "          - {when: special_support_child, limit: {days: 2}}\n",
            "policy-bad-variant",
        ),
        (
            "clocks:\n  - id: care\n    starts_on: need_assessed\n    stops_on: [need_assessed]\n"
            "    versions: [{basis: x, limit: {days: 1}}]\n",
            "policy-bad-value",
        ),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, code: str) -> None:
    """Each malformed file is refused with its own stable code and the file's path."""
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    error = problems_of(tmp_path)
    assert (code, path) == (error.code, error.path)


def test_missing_directory_and_stray_yml(tmp_path: Path) -> None:
    """A missing directory, and a .yml file that would be silently ignored, are errors."""
    assert problems_of(tmp_path / "nope").code == "policy-no-directory"
    (tmp_path / "regional.yml").write_text("clocks: []\n", encoding="utf-8")
    error = problems_of(tmp_path)
    assert (error.code, error.path) == ("policy-bad-file", tmp_path / "regional.yml")


# ----------------------------------------------------------------------------- the docs

DOCS = REPO / "docs" / "reference" / "policies.md"


def test_the_reference_examples_load(tmp_path: Path) -> None:
    """Every complete example file in docs/reference/policies.md is a valid policy file."""
    blocks = DOCS.read_text(encoding="utf-8").split("```yaml\n")[1:]
    files = [b.split("```", 1)[0] for b in blocks if b.startswith("# file: ")]
    assert len(files) == 4
    for text in files:
        relative = Path(text.splitlines()[0].removeprefix("# file: "))
        # rules/policies/<name> or rules/policies/regions/<name>
        target = tmp_path / relative.relative_to("rules/policies")
        target.parent.mkdir(exist_ok=True)
        target.write_text(text, encoding="utf-8")
    policies = Policies.from_directory(tmp_path)
    assert policies.clock_ids == {"care", "regional_booking"}
    assert "booking_made" in policies.events
    assert policies.regions == {"example-region", "pohjanmaa"}
    assert {"fi", "sv"} == policies.with_region("pohjanmaa").language_rights
    assert frozenset() == policies.with_region("example-region").language_rights
    # The documented example behaves as the bundled law: 2.1.2025, age 40 -> 2.4.2025.
    assert date(2025, 4, 2) == after_assessment(policies, "care", hki(2025, 1, 2)).due_date
    # The documented region: Thu 2.1.2025 + 7 days = Thu 9.1.2025.
    regional = policies.with_region("example-region")
    assert date(2025, 1, 9) == after_assessment(regional, "care", hki(2025, 1, 2)).target_due_date


# ============================================================================= issue 3
# More almanac for the cases below (days that are not weekdays):
# 2022: Epiphany Thu 6.1.
# 2023: Midsummer Eve Fri 23.6 / Day Sat 24.6.
# 2024: Christmas Eve Tue 24.12, Christmas Wed 25.12, St Stephen's Thu 26.12.
# 2025: Midsummer Eve Fri 20.6 / Day Sat 21.6; Christmas Eve Wed 24.12, 25.12, 26.12.
# 2026: New Year Thu 1.1.
# A "weeks" limit ends on the same weekday N weeks later (Act 150/1930), then rolls.
