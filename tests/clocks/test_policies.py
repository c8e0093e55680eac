"""Tests of the Policies API (oneContact.clocks.policies) and of regional targets."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import attrs
import pytest

from oneContact.clocks import (
    STANDARD_EVENTS,
    ClockSubject,
    Policies,
)
from oneContact.errors import ArgumentError, RuleError

from .conftest import (
    ADULT,
    DECLINE_ASSESSED,
    DECLINE_DUE,
    EP,
    POLICIES_DIR,
    after_assessment,
    hki,
    one,
    problems_of,
    write,
)

# ----------------------------------------------------------------------------- the API


def test_clock_ids_events_and_starts_on(policies: Policies) -> None:
    """The bundled policies define every statutory clock of domain.md on the standard
    events, including care_offered and offer_declined."""
    assert policies.clock_ids == {
        # Terveydenhuoltolaki § 51 (primary health care)
        "contact",
        "need_assessment",
        "care",
        "planned_care",
        "doctor_visit",
        "oral_care",
        "therapy_guarantee",
        # § 52-53 (specialised care; psychiatry for under-23s)
        "specialised_referral",
        "specialised_assessment",
        "specialised_treatment",
        "psychiatry_referral",
        "psychiatry_assessment",
        "psychiatry_treatment",
        # Sosiaalihuoltolaki § 36, Vanhuspalvelulaki § 18
        "social_urgent_assessment",
        "social_need_assessment",
        "social_assessment_completion",
        "older_people_services",
        # Sosiaalihuoltolaki § 25 a, § 45(3) (1108/2024): under-23s, one month
        "youth_mental_health_support",
        # Vammaispalvelulaki 380/1987 § 3 a; Sosiaalihuoltolaki § 36(2)(3) (677/2023)
        "disability_need_assessment",
        # Lastensuojelulaki § 26
        "child_welfare_urgent_assessment",
        "child_welfare_decision",
        "child_welfare_assessment",
    }
    # health.yaml declares the two events of the nurse-then-doctor clock (§ 51 a(2)).
    assert policies.events == set(STANDARD_EVENTS) | {"doctor_needed", "doctor_seen"}
    assert (policies.starts_on("doctor_visit"), policies.stops_on("doctor_visit")) == (
        "doctor_needed",
        ("doctor_seen",),
    )
    assert {"care_offered", "offer_declined"} <= policies.events
    assert policies.starts_on("care") == "need_assessed"
    assert policies.starts_on("need_assessment") == "contact_received"


def test_compute_keeps_the_order_asked(policies: Policies) -> None:
    """Clocks come back in the order of the ids given."""
    ids = ["care", "need_assessment", "child_welfare_decision"]
    clocks = policies.compute(ids, subject=ADULT, received_at=hki(2025, 2, 11, 10))
    assert ids == [c.clock for c in clocks]


def test_unknown_clock_id_is_a_programming_error(policies: Policies) -> None:
    """An unknown clock id raises ValueError naming it and the closest id."""
    with pytest.raises(ValueError, match=r"unknown clock 'need_asessment'.*'need_assessment'"):
        policies.compute(["need_asessment"], subject=ADULT, received_at=hki(2025, 2, 11))
    with pytest.raises(ValueError, match="unknown clock"):
        policies.starts_on("nope")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"received_at": datetime(2025, 2, 11, 10)},  # naive on purpose
        {"received_at": hki(2025, 2, 11), "now": datetime(2025, 2, 11, 10)},
        {"received_at": hki(2025, 2, 11), "events": {"need_assessed": datetime(2025, 2, 11)}},
    ],
)
def test_naive_datetimes_are_refused(policies: Policies, kwargs: dict[str, object]) -> None:
    """Every datetime handed to compute must carry a time zone."""
    with pytest.raises(ValueError, match="naive"):
        policies.compute(["need_assessment"], subject=ADULT, **kwargs)  # type: ignore[arg-type]


def test_unknown_event_name_is_refused(policies: Policies) -> None:
    """A misspelt event would never stop a clock, so it raises with a suggestion."""
    with pytest.raises(ValueError, match="did you mean 'need_assessed'"):
        policies.compute(
            ["care"],
            subject=ADULT,
            received_at=hki(2025, 2, 11),
            events={"need_asessed": hki(2025, 2, 11)},
        )


def test_clock_subject_ages() -> None:
    """A negative age is refused; ages come from the birth date on the day asked."""
    with pytest.raises(ValueError, match="age"):
        ClockSubject(age=-1)
    with pytest.raises(ValueError, match="age"):
        ClockSubject(age=True)  # a bool is not an age
    # Not yet born on the day (a maternity-clinic contact): 0, as the intake counts it.
    assert ClockSubject(birth_date=date(2025, 3, 1)).age_on(date(2025, 2, 1)) == 0
    # Born 29.2.2008: still 16 on 28.2.2025; 17 on 1.3.2025 (no 29.2 in 2025).
    leapling = ClockSubject(birth_date=date(2008, 2, 29))
    assert leapling.age_on(date(2025, 2, 28)) == 16
    assert leapling.age_on(date(2025, 3, 1)) == 17
    # The birth date wins over an age given as well.
    assert ClockSubject(age=50, birth_date=date(2000, 6, 1)).age_on(date(2025, 6, 1)) == 25


def test_declared_events_can_start_clocks(tmp_path: Path) -> None:
    """A region may declare its own events under 'events:'."""
    write(
        tmp_path,
        "regional.yaml",
        """\
        events: [booking_made]
        clocks:
          - id: booking
            starts_on: contact_received
            stops_on: [booking_made]
            versions:
              - basis: "Regional target: non-urgent care within 7 days"
                limit: {days: 7}
        """,
    )
    policies = Policies.from_directory(tmp_path)
    assert "booking_made" in policies.events
    # Tue 11.2.2025 + 7 = Tue 18.2; booked on the 14th: met.
    (clock,) = policies.compute(
        ["booking"],
        subject=ADULT,
        received_at=hki(2025, 2, 11),
        events={"booking_made": hki(2025, 2, 14)},
    )
    assert (date(2025, 2, 18), "met") == (clock.due_date, clock.status)


def test_gap_between_versions_gives_no_due_date(tmp_path: Path) -> None:
    """A start day no version covers gets no due date and a basis that says so."""
    write(
        tmp_path,
        "gap.yaml",
        """\
        clocks:
          - id: gap
            starts_on: contact_received
            stops_on: [need_assessed]
            versions:
              - valid_from: 2025-01-01
                basis: test
                limit: {weekdays: 3}
        """,
    )
    (clock,) = Policies.from_directory(tmp_path).compute(
        ["gap"], subject=ADULT, received_at=hki(2024, 12, 31)
    )
    assert (clock.due_date, clock.status) == (None, "open")
    assert "no version" in clock.basis


# ----------------------------------------------------------------------------- regions


@pytest.mark.parametrize(
    ("clock_id", "started", "subject", "due", "target"),
    [
        # Need assessed Thu 2.1.2025, age 40: the law says 3 months (Wed 2.4.2025); the
        # region's target is 7 days (Thu 9.1.2025).
        ("care", hki(2025, 1, 2), ADULT, date(2025, 4, 2), date(2025, 1, 9)),
        # Age 19: the law's 14 days (Thu 16.1.2025); the target is still Thu 9.1.2025.
        ("care", hki(2025, 1, 2), ClockSubject(age=19), date(2025, 1, 16), date(2025, 1, 9)),
        # Mon 30.12.2024 (2024 law: 14 days -> Mon 13.1.2025); + 7 days = Mon 6.1.2025
        # Epiphany -> Tue 7.1.2025.
        ("care", hki(2024, 12, 30), ADULT, date(2025, 1, 13), date(2025, 1, 7)),
        # Thu 15.12.2022: the old law's 3 months (Wed 15.3.2023); no target before the
        # wellbeing services county began on 2023-01-01.
        ("care", hki(2022, 12, 15), ADULT, date(2023, 3, 15), None),
        # Service-need assessment, contact Mon 16.6.2025, age 40: no statutory day at all,
        # a target of + 7 days = Mon 23.6.2025 (Midsummer was Fri 20 / Sat 21).
        ("social_need_assessment", hki(2025, 6, 16, 10), ADULT, None, date(2025, 6, 23)),
        # Age 75: the law's 7th weekday is Thu 26.6.2025 (see above); the target Mon 23.6.
        (
            "social_need_assessment",
            hki(2025, 6, 16, 10),
            ClockSubject(age=75),
            date(2025, 6, 26),
            date(2025, 6, 23),
        ),
        # Oral care is not covered by the target: Mon 10.3.2025 + 6 months = Wed 10.9.2025.
        ("oral_care", hki(2025, 3, 10), ADULT, date(2025, 9, 10), None),
    ],
)
def test_a_regional_target_sits_beside_the_statutory_due_date(
    policies: Policies,
    regional: Policies,
    clock_id: str,
    started: datetime,
    subject: ClockSubject,
    due: date | None,
    target: date | None,
) -> None:
    """Etelä-Pohjanmaa: non-urgent care and services within 7 days, never replacing the law."""
    events = {"need_assessed": started}
    (with_region,) = regional.compute(
        [clock_id], subject=subject, received_at=started, events=events
    )
    (without,) = policies.compute([clock_id], subject=subject, received_at=started, events=events)
    assert (due, target) == (with_region.due_date, with_region.target_due_date)
    assert (due, None, None) == (without.due_date, without.target_due_date, without.target_basis)
    if target is None:
        assert with_region.target_basis is None
    else:
        assert with_region.target_basis is not None
        assert "Etelä-Pohjanmaa regional target" in with_region.target_basis
    # Everything but the target is the law's, region or not.
    assert attrs.evolve(with_region, target_due_date=None, target_basis=None) == without


def test_a_region_is_selected_explicitly(policies: Policies, regional: Policies) -> None:
    """The bundled default selects no region; a caller names one, or switches later."""
    assert (policies.region, regional.region) == (None, EP)
    assert policies.regions == regional.regions == {EP}
    assert policies.with_region(EP).region == EP
    assert regional.with_region(None).region is None
    assert repr(regional).endswith(", region etela-pohjanmaa>")
    with pytest.raises(RuleError) as info:
        policies.with_region("etelapohjanmaa")
    assert (info.value.code, info.value.suggestion) == ("policy-unknown-region", EP)


def test_the_digest_names_the_files_and_the_region(
    policies: Policies, regional: Policies, tmp_path: Path
) -> None:
    """The same files anywhere give the same digest; one changed byte, another region or
    none give another."""
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, copy)
    assert Policies.from_directory(copy).digest == policies.digest
    assert len({policies.digest, regional.digest}) == 2
    assert regional.with_region(None).digest == policies.digest
    assert policies.with_region(EP).digest == regional.digest
    first = sorted(copy.glob("*.yaml"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert Policies.from_directory(copy).digest != policies.digest


def test_an_unknown_region_is_refused_with_a_suggestion() -> None:
    """A misspelt region would silently drop the targets: RuleError, did-you-mean."""
    with pytest.raises(RuleError) as info:
        Policies.from_directory(POLICIES_DIR, region="etelapohjanmaa")
    error = info.value
    assert (error.code, error.suggestion) == ("policy-unknown-region", EP)
    assert error.path == POLICIES_DIR / "regions"
    assert "etela-pohjanmaa" in str(error)


def test_a_target_never_allows_more_time_than_the_law(tmp_path: Path) -> None:
    """A target later than the statutory date is capped at it, and says so."""
    write(
        tmp_path,
        "care.yaml",
        """\
        clocks:
          - id: care
            starts_on: need_assessed
            stops_on: [care_started]
            versions:
              - basis: law
                limit: {days: 14}
        """,
    )
    (tmp_path / "regions").mkdir()
    write(
        tmp_path / "regions",
        "lax.yaml",
        """\
        targets:
          - clock: care
            versions:
              - basis: lax target
                limit: {days: 30}
        """,
    )
    policies = Policies.from_directory(tmp_path, region="lax")
    # Tue 3.9.2024 + 14 = Tue 17.9.2024; + 30 would be Thu 3.10.2024.
    clock = after_assessment(policies, "care", DECLINE_ASSESSED)
    assert (clock.due_date, clock.target_due_date) == (DECLINE_DUE, DECLINE_DUE)
    assert clock.target_basis is not None
    assert "statutory due date is earlier" in clock.target_basis


@pytest.fixture
def policies_copy(tmp_path: Path) -> Path:
    """A copy of the bundled policies, to break."""
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, copy)
    return copy


@pytest.mark.parametrize("region", [None, EP])
def test_a_broken_region_file_is_refused_even_when_not_selected(
    policies_copy: Path, region: str | None
) -> None:
    """Every region file is checked on every load, so `onecontact check` catches it."""
    path = write(
        policies_copy / "regions",
        "broken.yaml",
        """\
        name: Broken
        targets:
          - clock: cares
            versions:
              - basis: test
                limit: {days: 7}
          - clock: care
            versions:
              - basis: test
                limit: {dayz: 7}
        """,
    )
    with pytest.raises(RuleError) as info:
        Policies.from_directory(policies_copy, region=region)
    error = info.value
    found = [(p.path, p.line, p.column, p.code, p.suggestion) for p in error.problems]
    assert found == [
        (path, 3, 12, "policy-unknown-clock", "care"),
        (path, 10, 17, "policy-bad-limit", "days"),
    ]
    assert f"{path}:3:12: policy-unknown-clock" in str(error)


@pytest.mark.parametrize(
    ("name", "text", "code", "line"),
    [
        # The same clock twice in one region: the second is refused.
        (
            "twice.yaml",
            "targets:\n  - clock: care\n    versions: [{basis: a, limit: {days: 7}}]\n"
            "  - clock: care\n    versions: [{basis: b, limit: {days: 5}}]\n",
            "policy-duplicate-target",
            4,
        ),
        # A region file does not define clocks.
        ("clocks.yaml", "clocks: []\n", "policy-unknown-key", 1),
        ("empty.yaml", "targets: []\n", "policy-bad-value", 1),
        # Overlapping target versions.
        (
            "overlap.yaml",
            "targets:\n  - clock: care\n    versions:\n"
            "      - {valid_until: 2025-01-31, basis: a, limit: {days: 7}}\n"
            "      - {valid_from: 2025-01-01, basis: b, limit: {days: 5}}\n",
            "policy-overlap",
            5,
        ),
        # A region is named by its file: lower case, digits and '-'.
        ("Etela_Pohjanmaa.yaml", "targets: []\n", "policy-bad-file", None),
        # A .yml file would be ignored.
        ("stray.yml", "targets: []\n", "policy-bad-file", None),
    ],
)
def test_malformed_region_files(
    policies_copy: Path, name: str, text: str, code: str, line: int | None
) -> None:
    """Each mistake in a region file has its own code, at its file and line."""
    path = policies_copy / "regions" / name
    path.write_text(text, encoding="utf-8")
    error = problems_of(policies_copy)
    assert (error.code, error.path, error.line) == (code, path, line)


def test_unknown_names_are_argument_errors_with_a_suggestion(policies: Policies) -> None:
    """An unknown clock or event is the same ArgumentError everywhere: a code, the field,
    and the nearest name as data."""
    with pytest.raises(ArgumentError) as info:
        policies.starts_on("need_asessment")
    assert ("unknown-clock", "need_assessment") == (info.value.code, info.value.suggestion)
    with pytest.raises(ArgumentError) as info:
        one(policies, "care", hki(2025, 2, 11), events={"need_asessed": hki(2025, 2, 12)})
    error = info.value
    assert ("unknown-event", "events.need_asessed") == (error.code, error.field)
    assert "need_assessed" == error.suggestion
