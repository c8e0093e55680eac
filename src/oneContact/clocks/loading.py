"""Loading a policies directory: the statutory clocks of ``rules/policies/*.yaml`` and the
regional targets of ``regions/*.yaml`` beneath it (docs/reference/policies.md).

:func:`read_policy_directory` reads every file, reports every problem at once (a
:class:`~oneContact.errors.RuleError` of ``policy-*`` problems at file:line:column) and
gives the checked values as :class:`PolicyFiles`; :class:`oneContact.clocks.Policies` is
made from them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from .._files import FileRefused, FileSet, digest_of, reading_once
from .._problems import ProblemCollector
from .._text import Untranslated, read_text
from .._yaml import Located, file_problem, item_position, value_position
from ..errors import RuleError, RuleProblem, did_you_mean
from ..identity_code import shown_name
from ._policy import ClockPolicy, Region, Target
from ._reading import Reader
from .model import FEEDBACK_EVENTS, STANDARD_EVENTS

__all__ = [
    "REGIONS_DIRECTORY",
    "PolicyFiles",
    "PolicyLoader",
    "files_digest",
    "read_policy_directory",
    "unknown_region",
]

REGIONS_DIRECTORY = "regions"
"""The subdirectory of a policies directory that holds the regional target files."""

_FILE_KEYS = ("clocks", "events")
_CLOCK_KEYS = (
    "id",
    "description",
    "starts_on",
    "stops_on",
    "roll_to_weekday",
    "declined_ends_clock",
    "treatment",
    "versions",
)
_REGION_KEYS = ("name", "description", "targets", "language_rights")
_LANGUAGE_CODE = re.compile(r"[a-z]{2}\Z")
_TARGET_KEYS = ("clock", "description", "roll_to_weekday", "versions")
_REGION_ID = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


@attrs.frozen
class PolicyFiles:
    """What a policies directory holds, checked."""

    clocks: Mapping[str, ClockPolicy]
    events: frozenset[str]  # the standard events and those the files declare
    source: str  # the directory
    regions: Mapping[str, Region]
    files_digest: str  # of every file read: see :func:`files_digest`
    untranslated: tuple[Untranslated, ...]


def read_policy_directory(path: Path | str, *, region: str | None = None) -> PolicyFiles:
    """Read every ``*.yaml`` in *path* (sorted by name), and every regional target file
    ``regions/*.yaml`` beneath it.

    Raises RuleError listing every problem found, each with its file:line; a *region*
    (when given) without a file is one of them (``policy-unknown-region``).
    """
    path = Path(path)
    if not path.is_dir():
        raise RuleError(
            [
                RuleProblem(
                    "policy-no-directory",
                    "policy directory not found; pass the rules/policies directory",
                    path=path,
                )
            ]
        )
    with reading_once() as read:
        return _read_policy_directory(path, region, read)


def _read_policy_directory(path: Path, region: str | None, read: FileSet) -> PolicyFiles:
    loader = PolicyLoader(ProblemCollector())
    regions_dir = path / REGIONS_DIRECTORY
    for stray in sorted([*path.glob("*.yml"), *regions_dir.glob("*.yml")]):
        loader.c.add(
            "policy-bad-file",
            "policy files end in .yaml; this file would be ignored, rename it",
            stray,
            (None, None),
        )
    for file in sorted(path.glob("*.yaml")):
        loader.read_file(file)
    # Statutory files first: a target may only name a clock they define.
    for file in sorted(regions_dir.glob("*.yaml")):
        loader.read_region(file)
    events = loader.check_events()
    if region is not None and region not in loader.region_files:
        loader.c.problems.append(unknown_region(str(region), loader.region_files, regions_dir))
    loader.c.problems.sort(key=_problem_order)
    loader.c.raise_if_any()
    return PolicyFiles(
        MappingProxyType(dict(loader.clocks)),
        events,
        str(path),
        MappingProxyType(dict(loader.regions)),
        # Of the bytes parsed: each file was read once.
        read.digest(path),
        tuple(loader.c.untranslated),
    )


def files_digest(root: Path, files: Iterable[Path], prefix: str = "") -> str:
    """SHA-256 of *prefix*, then each file's name relative to *root* and its contents, in
    name order: what a ruleset's and a policies' digest are made of. Each file is read
    as the loaders read it (a regular file of at most 4 MiB, or the bytes the current
    load already read); a file that cannot be read raises RuleError."""
    contents: dict[Path, bytes] = {}
    with reading_once() as read:
        for file in files:
            try:
                contents[file] = read.read(file)
            except FileRefused as exc:
                raise file_problem(file, exc) from None
    return digest_of(root, contents, prefix)


def unknown_region(region: str, files: Mapping[str, Path], regions_dir: Path) -> RuleProblem:
    """The problem of selecting *region* when *files* (region id -> file) has no such id."""
    known = ", ".join(sorted(files)) or f"none: there are no files in {regions_dir}"
    return RuleProblem(
        "policy-unknown-region",
        f"no region {shown_name(region)}: a region is the name of a file {regions_dir}/<region>.yaml "
        f"without .yaml; regions here: {known}",
        path=regions_dir,
        suggestion=did_you_mean(region, files),
    )


def _problem_order(problem: RuleProblem) -> tuple[str, int, int]:
    return (str(problem.path), problem.line or 0, problem.column or 0)


class PolicyLoader(Reader):
    """Reads policy and region files, collecting every problem rather than stopping at
    the first."""

    def __init__(self, c: ProblemCollector) -> None:
        super().__init__(c)
        self.clocks: dict[str, ClockPolicy] = {}
        self.seen: dict[str, str] = {}  # clock id -> where first defined, valid or not
        self.declared: set[str] = set()
        self.references: list[tuple[str, str, Path, Located]] = []  # event, clock, where
        self.regions: dict[str, Region] = {}
        self.region_files: dict[str, Path] = {}  # every region file found, valid or not

    # -- files and clocks

    def read_file(self, path: Path) -> None:
        data = self.read_mapping(
            path, "a policy file is a mapping with 'clocks:' (and optionally 'events:')"
        )
        if data is None:
            return
        self.c.unknown_keys(data, _FILE_KEYS, path, "a policy file", code="policy-unknown-key")
        events = data.get("events", [])
        if not isinstance(events, list):
            self.c.add(
                "policy-bad-value",
                "'events' is a list of extra event names",
                path,
                value_position(data, "events"),
            )
        else:
            for index, name in enumerate(events):
                if self.identifier(name, path, item_position(events, index), "an event name"):
                    self.declared.add(name)
        clocks = self.required(data, "clocks", path, "a policy file", _FILE_KEYS)
        if clocks is None:
            return
        if not isinstance(clocks, list):
            self.c.add(
                "policy-bad-value",
                "'clocks' is a list of clocks, each starting with '- id:'",
                path,
                value_position(data, "clocks"),
            )
            return
        for index, item in enumerate(clocks):
            self.read_clock(item, path, item_position(clocks, index))

    def event(self, value: object, clock: str, path: Path, where: Located) -> str | None:
        if not self.identifier(value, path, where, "an event name"):
            return None
        assert isinstance(value, str)  # identifier() checked it
        self.references.append((value, clock, path, where))
        return value

    def read_clock(self, item: object, path: Path, where: Located) -> None:
        if not isinstance(item, Mapping):
            self.c.add(
                "policy-bad-value",
                "each clock is a mapping starting with '- id:'",
                path,
                where,
            )
            return
        self.c.unknown_keys(item, _CLOCK_KEYS, path, "a clock", code="policy-unknown-key")
        ok = True
        clock_id = self.required(item, "id", path, "a clock", _CLOCK_KEYS)
        if clock_id is None or not self.identifier(
            clock_id, path, value_position(item, "id"), "a clock id"
        ):
            ok = False
            clock_id = "?"
        name = str(clock_id)
        what = f"clock {name!r}"
        description = (
            read_text(item["description"]) if self.text(item, "description", path, what) else None
        )
        starts_on = None
        if (raw_start := self.required(item, "starts_on", path, what, _CLOCK_KEYS)) is not None:
            starts_on = self.event(raw_start, name, path, value_position(item, "starts_on"))
        stops_on: list[str] = []
        raw_stops = self.required(item, "stops_on", path, what, _CLOCK_KEYS)
        if raw_stops is not None:
            if not isinstance(raw_stops, list) or not raw_stops:
                self.c.add(
                    "policy-bad-value",
                    f"{what}: 'stops_on' is a non-empty list of event names, e.g. [need_assessed]",
                    path,
                    value_position(item, "stops_on"),
                )
                ok = False
            else:
                for index, raw in enumerate(raw_stops):
                    where_stop = item_position(raw_stops, index)
                    stop = self.event(raw, name, path, where_stop)
                    if stop is None:
                        ok = False
                    elif stop == starts_on:
                        self.c.add(
                            "policy-bad-value",
                            f"{what}: {stop!r} both starts and stops the clock",
                            path,
                            where_stop,
                        )
                        ok = False
                    else:
                        stops_on.append(stop)
        roll = self.flag(item, "roll_to_weekday", path, default=True)
        declined = self.flag(item, "declined_ends_clock", path, default=False)
        treatment = self.flag(item, "treatment", path, default=False)
        versions = self.read_versions(item, path, what, roll, _CLOCK_KEYS)
        if starts_on is None or raw_stops is None or versions is None:
            ok = False
        if clock_id != "?":
            first = self.seen.setdefault(name, f"{path}:{where[0]}")
            if first != f"{path}:{where[0]}":
                self.c.add(
                    "policy-duplicate-clock",
                    f"{what} is already defined at {first}; give one of them another id",
                    path,
                    value_position(item, "id"),
                )
                return
        if not ok or starts_on is None or versions is None:
            return
        self.clocks[name] = ClockPolicy(
            name,
            starts_on,
            tuple(stops_on),
            versions,
            path,
            where[0],
            declined_ends_clock=declined,
            treatment=treatment,
            description=description,
        )

    # -- regional targets

    def read_region(self, path: Path) -> None:
        """A region file: targets overlaying statutory clocks already read."""
        region_id = path.stem
        self.region_files[region_id] = path
        if not _REGION_ID.match(region_id):
            self.c.add(
                "policy-bad-file",
                "a region file is named after its region: lower case letters, digits and "
                f"'-', like etela-pohjanmaa.yaml; got {path.name!r}",
                path,
                (None, None),
            )
            return
        data = self.read_mapping(
            path, "a region file is a mapping with 'targets:' (and optionally 'name:')"
        )
        if data is None:
            return
        self.c.unknown_keys(data, _REGION_KEYS, path, "a region file", code="policy-unknown-key")
        ok = True
        for key in ("name", "description"):
            if self.text(data, key, path, f"region {region_id!r}") is False:
                ok = False
        rights = self.read_language_rights(data, path, region_id)
        if rights is None:
            ok = False
        targets: dict[str, Target] = {}
        # A region may only declare its language policy: then 'targets' may be left out.
        if "targets" in data or "language_rights" not in data:
            raw = self.required(data, "targets", path, "a region file", _REGION_KEYS)
            if raw is None:
                return
            if not isinstance(raw, list) or not raw:
                self.c.add(
                    "policy-bad-value",
                    "'targets' is a non-empty list of targets, each starting with '- clock:'",
                    path,
                    value_position(data, "targets"),
                )
                return
            first_line: dict[str, int | None] = {}
            for index, item in enumerate(raw):
                target = self.read_target(
                    item, path, item_position(raw, index), region_id, first_line
                )
                if target is None:
                    ok = False
                else:
                    targets[target.clock] = target
        if ok:
            name = data.get("name")
            self.regions[region_id] = Region(
                region_id,
                name.strip() if isinstance(name, str) else region_id,
                path,
                MappingProxyType(targets),
                rights or frozenset(),
            )

    def read_language_rights(
        self, data: Mapping[str, Any], path: Path, region_id: str
    ) -> frozenset[str] | None:
        """``language_rights``: the languages a client has a right to be served in (a
        list of two-letter codes, possibly empty); empty when absent, None when wrong."""
        if "language_rights" not in data:
            return frozenset()
        value = data["language_rights"]
        if not isinstance(value, list) or not all(
            isinstance(code, str) and _LANGUAGE_CODE.match(code) for code in value
        ):
            self.c.add(
                "policy-bad-value",
                f"region {region_id!r}: 'language_rights' is a list of two-letter language "
                "codes, e.g. [fi, sv] in a bilingual wellbeing services county, or []",
                path,
                value_position(data, "language_rights"),
            )
            return None
        return frozenset(value)

    def read_target(
        self,
        item: object,
        path: Path,
        where: Located,
        region_id: str,
        first_line: dict[str, int | None],
    ) -> Target | None:
        if not isinstance(item, Mapping):
            self.c.add(
                "policy-bad-value",
                "each target is a mapping starting with '- clock:'",
                path,
                where,
            )
            return None
        self.c.unknown_keys(
            item, _TARGET_KEYS, path, "a regional target", code="policy-unknown-key"
        )
        ok = True
        clock = self.required(item, "clock", path, "a regional target", _TARGET_KEYS)
        clock_where = value_position(item, "clock")
        if clock is None or not self.identifier(clock, path, clock_where, "a clock id"):
            ok = False
            clock = "?"
        elif clock not in self.seen:
            self.c.add(
                "policy-unknown-clock",
                f"region {region_id!r}: no statutory clock {clock!r}; a target overlays a "
                "clock defined in the policy files beside regions/",
                path,
                clock_where,
                suggestion=did_you_mean(str(clock), self.seen),
            )
            ok = False
        name = str(clock)
        what = f"region {region_id!r}, target for clock {name!r}"
        if name != "?":
            if name in first_line:
                self.c.add(
                    "policy-duplicate-target",
                    f"{what} is already given at line {first_line[name]}; a clock has one "
                    "target per region, its changes over time as versions",
                    path,
                    clock_where,
                )
                ok = False
            else:
                first_line[name] = where[0]
        self.text(item, "description", path, what)
        roll = self.flag(item, "roll_to_weekday", path, default=True)
        versions = self.read_versions(item, path, what, roll, _TARGET_KEYS)
        if not ok or versions is None:
            return None
        return Target(name, versions, path, where[0])

    # -- whole directory

    def check_events(self) -> frozenset[str]:
        known = frozenset(STANDARD_EVENTS) | self.declared
        for name, clock, path, where in self.references:
            if name in FEEDBACK_EVENTS:
                self.c.add(
                    "policy-reserved-event",
                    f"clock {clock!r}: {name!r} is a professional's feedback on the rules' "
                    "suggestions, which never starts or stops a clock; use another event",
                    path,
                    where,
                )
            elif name not in known:
                self.c.add(
                    "policy-unknown-event",
                    f"clock {clock!r}: unknown event {name!r}; use a standard event or "
                    "declare it under 'events:'",
                    path,
                    where,
                    suggestion=did_you_mean(name, known),
                )
        return known
