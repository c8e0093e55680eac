"""The directory: loading, load-time errors naming file:line, and the slot lookups."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from oneContact import Directory, RuleError
from oneContact.clocks import HELSINKI

from ..conftest import BUNDLED_RULES, REPO

EXAMPLE = REPO / "examples" / "directory.yaml"

HEAD = """\
slots_from: 2026-03-02
slots_until: 2026-03-06
municipalities:
  - {id: alpha, neighbours: [beta]}
  - {id: beta}
units:
  - {id: alpha-hs, kind: health_station, municipality: alpha, languages: [fi, sv]}
  - {id: beta-social, kind: social_services, municipality: beta}
members:
"""


def write(tmp_path: Path, members: str, head: str = HEAD, name: str = "d.yaml") -> Path:
    path = tmp_path / name
    path.write_text(head + textwrap.indent(textwrap.dedent(members), "  "), encoding="utf-8")
    return path


def problems(path: Path) -> list[tuple[str, int | None, str | None]]:
    with pytest.raises(RuleError) as info:
        Directory.from_file(path, rules=BUNDLED_RULES)
    return [(p.code, p.line, p.suggestion) for p in info.value.problems]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=HELSINKI)


def test_the_example_directory_loads_with_enough_people() -> None:
    """The shipped example: 3+ municipalities, 40+ members, two weeks of slots."""
    d = Directory.from_file(EXAMPLE)
    members = list(d.all_members())
    assert len(members) >= 40
    municipalities = {u.municipality for u in d.units().values() if u.municipality}
    assert len(municipalities) >= 3
    assert {"fi", "sv"} <= {lang for m in members for lang in m.languages}
    days = {s.date() for m in members for s in d.free_slots(m.id)}
    assert min(days).isoformat() == "2026-03-02"
    assert max(days).isoformat() == "2026-03-13"
    assert {"gp", "nurse", "social_worker", "service_coordinator", "family_work"} <= {
        m.role for m in members
    }


def test_a_working_pattern_makes_slots_on_its_days_only(tmp_path: Path) -> None:
    """Mon and Wed 09:00-10:30 in 30-minute slots, less one booked time."""
    path = write(
        tmp_path,
        """\
        - id: n-1
          role: nurse
          unit: alpha-hs
          works: [{days: [mon, wed], from: "09:00", to: "10:30"}]
          booked: ["2026-03-02T09:30"]
          slots: [{at: "2026-03-06T14:00", minutes: 45}]
        """,
    )
    d = Directory.from_file(path, rules=BUNDLED_RULES)
    expected = [
        at("2026-03-02T09:00"),
        at("2026-03-02T10:00"),
        at("2026-03-04T09:00"),
        at("2026-03-04T09:30"),
        at("2026-03-04T10:00"),
        at("2026-03-06T14:00"),
    ]
    assert expected == list(d.free_slots("n-1"))
    member = d.member("n-1")
    assert member is not None
    assert frozenset({"fi", "sv"}) == member.languages  # the unit's languages by default


def test_first_free_slot_respects_after_and_until(tmp_path: Path) -> None:
    """At or after *after*, strictly before *until*; None when nothing is left."""
    path = write(
        tmp_path,
        """\
        - {id: n-1, role: nurse, unit: alpha-hs, works: [{days: [mon], from: "09:00", to: "10:00"}]}
        """,
    )
    d = Directory.from_file(path, rules=BUNDLED_RULES)
    assert at("2026-03-02T09:30") == d.first_free_slot("n-1", at("2026-03-02T09:30"), None)
    assert at("2026-03-02T09:30") == d.first_free_slot("n-1", at("2026-03-02T09:01"), None)
    assert d.first_free_slot("n-1", at("2026-03-02T09:01"), at("2026-03-02T09:30")) is None
    assert d.first_free_slot("n-1", at("2026-03-02T09:31"), None) is None
    assert d.first_free_slot("nobody", at("2026-03-02T08:00"), None) is None


def test_public_holidays_are_days_off_for_a_pattern(tmp_path: Path) -> None:
    """Good Friday 3.4.2026 and Easter Monday 6.4.2026 make no slots."""
    head = HEAD.replace("2026-03-02", "2026-04-01").replace("2026-03-06", "2026-04-07")
    path = write(
        tmp_path,
        """\
        - {id: n-1, role: nurse, unit: alpha-hs, works: [{days: [mon, tue, wed, thu, fri], from: "09:00", to: "09:30"}]}
        """,
        head=head,
    )
    days = [
        s.date().isoformat()
        for s in Directory.from_file(path, rules=BUNDLED_RULES).free_slots("n-1")
    ]
    assert ["2026-04-01", "2026-04-02", "2026-04-07"] == days


def test_an_unknown_role_is_refused_at_its_line_with_a_suggestion(tmp_path: Path) -> None:
    """A typo in a role names the file, the line and the closest catalogue role."""
    path = write(tmp_path, "- {id: n-1, role: nurce, unit: alpha-hs}\n")
    assert [("unknown-role", 10, "nurse")] == problems(path)


def test_a_digital_channel_is_not_a_role(tmp_path: Path) -> None:
    """Only team_member and family_centre services are roles members hold."""
    path = write(tmp_path, "- {id: n-1, role: digital_chat, unit: alpha-hs}\n")
    assert ["unknown-role"] == [c for c, _, _ in problems(path)]


def test_an_unknown_unit_and_a_member_without_unit_are_refused(tmp_path: Path) -> None:
    """Both problems in one run, each at its own line."""
    path = write(
        tmp_path,
        """\
        - {id: n-1, role: nurse, unit: alpha-h}
        - {id: n-2, role: nurse}
        """,
    )
    assert [("unknown-unit", 10, "alpha-hs"), ("member-without-unit", 11, None)] == problems(path)


def test_overlapping_slots_are_refused(tmp_path: Path) -> None:
    """Two patterns that cover the same hour: a member is in one place at a time."""
    path = write(
        tmp_path,
        """\
        - id: n-1
          role: nurse
          unit: alpha-hs
          works:
            - {days: [mon], from: "09:00", to: "11:00"}
            - {days: [mon], from: "10:30", to: "12:00"}
        """,
    )
    found = problems(path)
    assert {("overlapping-slots", 15, None)} == set(found)


def test_a_single_slot_inside_a_longer_one_overlaps(tmp_path: Path) -> None:
    """A 60-minute slot at 09:00 and one at 09:30."""
    path = write(
        tmp_path,
        """\
        - id: n-1
          role: nurse
          unit: alpha-hs
          slots: [{at: "2026-03-02T09:00", minutes: 60}, "2026-03-02T09:30"]
        """,
    )
    assert ["overlapping-slots"] == [c for c, _, _ in problems(path)]


def test_a_booked_time_must_be_a_slot(tmp_path: Path) -> None:
    """Booking 09:15 out of 30-minute slots from 09:00 is a mistake, not a no-op."""
    path = write(
        tmp_path,
        """\
        - id: n-1
          role: nurse
          unit: alpha-hs
          works: [{days: [mon], from: "09:00", to: "10:00"}]
          booked: ["2026-03-02T09:15"]
        """,
    )
    assert ["unknown-slot"] == [c for c, _, _ in problems(path)]


def test_unknown_keys_municipalities_and_kinds_are_named(tmp_path: Path) -> None:
    """Typos in the top level, a unit kind and a municipality get did-you-mean hints."""
    head = HEAD.replace("members:", "memebers: []\nmembers:").replace(
        "kind: social_services, municipality: beta", "kind: social_service, municipality: betta"
    )
    path = write(tmp_path, "- {id: n-1, role: nurse, unit: alpha-hs}\n", head=head)
    found = problems(path)
    assert ("unknown-key", 9, "members") in found
    assert ("bad-unit-kind", 8, "social_services") in found
    assert ("unknown-municipality", 8, "beta") in found


def test_patterns_need_the_days_they_cover(tmp_path: Path) -> None:
    """Without slots_from/slots_until a pattern cannot make slots: say so."""
    head = "\n".join(HEAD.splitlines()[2:]) + "\n"
    path = write(
        tmp_path,
        '- {id: n-1, role: nurse, unit: alpha-hs, works: [{days: [mon], from: "09:00", to: "10:00"}]}\n',
        head=head,
    )
    assert ["missing-key"] == [c for c, _, _ in problems(path)]


def test_bad_times_are_refused(tmp_path: Path) -> None:
    """A pattern's times are HH:MM and 'to' comes after 'from'; slots carry a date."""
    path = write(
        tmp_path,
        """\
        - id: n-1
          role: nurse
          unit: alpha-hs
          works: [{days: [mon], from: "11:00", to: "10:00"}]
          slots: ["09:00"]
        """,
    )
    assert ["directory-bad-time", "directory-bad-time"] == [c for c, _, _ in problems(path)]


def test_a_json_directory_loads_and_its_errors_name_lines(tmp_path: Path) -> None:
    """JSON is read fast; a problem is reported with the line from a second, YAML read."""
    data = {
        "municipalities": [{"id": "alpha"}],
        "units": [{"id": "u", "kind": "health_station", "municipality": "alpha"}],
        "members": [{"id": "n-1", "role": "nurse", "unit": "u", "slots": ["2026-03-02T09:00"]}],
    }
    good = tmp_path / "good.json"
    good.write_text(json.dumps(data), encoding="utf-8")
    assert [at("2026-03-02T09:00")] == list(
        Directory.from_file(good, rules=BUNDLED_RULES).free_slots("n-1")
    )
    data["members"][0]["role"] = "nurze"  # type: ignore[index]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, indent=1), encoding="utf-8")
    found = problems(bad)
    assert [("unknown-role", 17, "nurse")] == found  # line 17: "role": "nurze"


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    """Broken YAML is a yaml-syntax problem at its line, like a rule file."""
    path = tmp_path / "d.yaml"
    path.write_text("units:\n  - {id: u, kind: [\n", encoding="utf-8")
    assert ["yaml-syntax"] == [c for c, _, _ in problems(path)]


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """Not a traceback: missing-file, naming the path."""
    assert ["missing-file"] == [c for c, _, _ in problems(tmp_path / "nope.yaml")]


def test_from_data_builds_the_same_directory_as_the_file(tmp_path: Path) -> None:
    """A host can hand the mapping in directly."""
    path = write(
        tmp_path,
        '- {id: n-1, role: nurse, unit: alpha-hs, works: [{days: [tue], from: "09:00", to: "10:00"}]}\n',
    )
    from_file = Directory.from_file(path, rules=BUNDLED_RULES)
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    from_data = Directory.from_data(data, rules=BUNDLED_RULES)
    assert from_file.free_slots("n-1") == from_data.free_slots("n-1")
    assert from_data.path is None


def test_a_slot_provider_replaces_the_files_slots(tmp_path: Path) -> None:
    """The host's booking system answers; the file's patterns are not consulted."""
    path = write(
        tmp_path,
        '- {id: n-1, role: nurse, unit: alpha-hs, works: [{days: [mon], from: "09:00", to: "10:00"}]}\n',
    )
    asked: list[tuple[str, datetime, datetime | None]] = []

    def provider(member: str, after: datetime, until: datetime | None) -> datetime | None:
        asked.append((member, after, until))
        return after + timedelta(days=3)

    d = Directory.from_file(path, rules=BUNDLED_RULES, slot_provider=provider)
    start = at("2026-03-02T08:00")
    assert at("2026-03-05T08:00") == d.first_free_slot("n-1", start, None)
    assert [("n-1", start, None)] == asked


def test_neighbours_are_symmetric(tmp_path: Path) -> None:
    """alpha lists beta as a neighbour: beta's neighbours include alpha."""
    d = Directory.from_file(write(tmp_path, ""), rules=BUNDLED_RULES)
    assert {"beta"} == set(d.neighbours("alpha"))
    assert {"alpha"} == set(d.neighbours("beta"))
    assert set() == set(d.neighbours("nowhere"))


def test_a_directory_file_that_is_no_regular_file_is_a_clear_error(tmp_path: Path) -> None:
    """A folder, a dangling link or a link to /dev/zero given as the directory file: a
    RuleError naming it, before a byte is read."""
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    dangling = tmp_path / "dangling.yaml"
    dangling.symlink_to(tmp_path / "nothing.yaml")
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    assert ["not-a-file"] == [c for c, _, _ in problems(folder)]
    assert ["broken-symlink"] == [c for c, _, _ in problems(dangling)]
    assert ["not-a-file"] == [c for c, _, _ in problems(zero)]


def test_deeply_nested_json_is_a_rule_error_not_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('{"units": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    assert [("yaml-too-deep", 1, None)] == problems(path)


def test_an_alias_bomb_in_a_directory_file_is_refused(tmp_path: Path) -> None:
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
    )
    path = tmp_path / "d.yaml"
    path.write_text(HEAD.replace("members:\n", "") + bomb, encoding="utf-8")
    assert ["yaml-alias-expansion"] == [c for c, _, _ in problems(path)]
