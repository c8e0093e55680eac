"""The built-in directory: who works where, speaks what, and when they have free time.

Deployment data, not rules: a region keeps its units (health stations, family centres,
social services, the digital centre), their team members and the members' free slots in
a directory file (format: ``docs/reference/directory.md``), or plugs in its own
scheduling system through the :class:`~oneContact.routing.DirectorySource` protocol or a
slot-provider callable. :class:`Directory` is the built-in implementation;
:meth:`Directory.from_file` refuses a file with unknown roles or units, members without
a unit or overlapping slots, naming file:line, before any client is routed with it (the
checks are in :mod:`oneContact.routing.loader`).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from .. import _yaml
from ..clocks import HELSINKI
from ..errors import RuleError, RuleProblem
from ..ruleset import Catalogue
from .loader import DirectoryLoader, catalogue_of, role_ids, unknown_role
from .model import Member, SlotProvider, Unit
from .slot_index import EMPTY_INDEX, RoleIndex

__all__ = ["Directory"]


@attrs.frozen(eq=False, repr=False)
class Directory:
    """The built-in directory: units, members and free slots from a file or a mapping.

    Immutable and safe to share between threads. Free slots come from the file (working
    patterns and single slots), or from *slot_provider* when the host gives one.
    """

    region: str | None
    remedy: str
    _municipalities: Mapping[str, frozenset[str]]
    _units: Mapping[str, Unit]
    _members: Mapping[str, Member]
    _by_role: Mapping[str, tuple[Member, ...]]
    _epochs: Mapping[str, tuple[float, ...]]
    _role_places: tuple[tuple[str, int | None, int | None], ...]
    path: Path | None = None
    _provider: SlotProvider | None = None
    _indexes: Mapping[str, RoleIndex] = attrs.field(factory=dict)
    _names: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)

    # ------------------------------------------------------------ loading

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        rules: str | Path | Catalogue | None = None,
        slot_provider: SlotProvider | None = None,
    ) -> Directory:
        """Load and check a directory file (``.yaml``, ``.yml`` or ``.json``).

        Roles are checked against the catalogue of *rules* (a rules directory or a
        :class:`~oneContact.ruleset.Catalogue`; default: the bundled rules). Raises
        :class:`RuleError` naming file:line for every problem; nothing is loaded then.
        """
        file = Path(path)
        catalogue = catalogue_of(rules)
        if not file.exists() and not file.is_symlink():
            raise RuleError(
                [RuleProblem("missing-file", "directory file not found; check the path", file)]
            )
        data = _yaml.read_data_file(file)  # read once: a regular file of at most 64 MiB
        if file.suffix == ".json":
            # JSON is fast to read but has no positions: on a problem, parse it again
            # with the YAML reader (JSON is YAML) so every problem names its line.
            try:
                doc = json.loads(data.decode("utf-8"))
            except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
                doc = _yaml.load_yaml(file, data)
            try:
                return cls._build(doc, file, catalogue, slot_provider)
            except RuleError:
                pass
        return cls._build(_yaml.load_yaml(file, data), file, catalogue, slot_provider)

    @classmethod
    def from_data(
        cls,
        data: Mapping[str, Any],
        *,
        rules: str | Path | Catalogue | None = None,
        slot_provider: SlotProvider | None = None,
    ) -> Directory:
        """A directory from a mapping in the file format (e.g. built by a host in Python)."""
        return cls._build(data, None, catalogue_of(rules), slot_provider)

    @classmethod
    def _build(
        cls,
        doc: Any,
        path: Path | None,
        catalogue: Catalogue,
        provider: SlotProvider | None,
    ) -> Directory:
        loaded = DirectoryLoader(path, catalogue).read(doc)
        units, slots = loaded.units, loaded.slots
        by_role: dict[str, list[Member]] = {}
        for member in loaded.members.values():
            by_role.setdefault(member.role, []).append(member)
        return cls(
            region=loaded.region,
            remedy=loaded.remedy,
            municipalities=loaded.municipalities,
            units=units,
            members=loaded.members,
            by_role={role: tuple(ms) for role, ms in by_role.items()},
            # Tuples of floats and strings: the garbage collector stops tracking them, so a
            # full collection does not walk 200,000 slots on an assessment's clock.
            epochs={m: tuple(e) for m, e in slots.items()},
            role_places=loaded.role_places,
            path=path,
            provider=provider,
            indexes={role: RoleIndex.build(ms, units, slots) for role, ms in by_role.items()},
            names=loaded.names,
        )

    def check(self, catalogue: Catalogue) -> list[RuleProblem]:
        """Problems of this directory against *catalogue* (roles it does not know)."""
        problems: list[RuleProblem] = []
        roles = role_ids(catalogue)
        for role, line, column in self._role_places:
            if role not in roles:
                problems.append(unknown_role(role, roles, self.path, (line, column)))
        return problems

    # ------------------------------------------------------------ DirectorySource

    def units(self) -> Mapping[str, Unit]:
        """Every unit by id."""
        return self._units

    def members(self, role: str) -> Sequence[Member]:
        """The members who hold *role*."""
        return self._by_role.get(role, ())

    def member(self, member_id: str) -> Member | None:
        """The member with this id, or None."""
        return self._members.get(member_id)

    @property
    def municipality_ids(self) -> frozenset[str]:
        """Every municipality of the directory, by id."""
        return frozenset(self._municipalities)

    @property
    def names(self) -> Mapping[str, Mapping[str, str]]:
        """``unit`` and ``municipality`` -> id -> the ``name`` the file gives it (for
        people: one text, as written; ids without one are left out)."""
        return self._names

    def all_members(self) -> Iterable[Member]:
        """Every member, in file order."""
        return self._members.values()

    def neighbours(self, municipality: str) -> Collection[str]:
        """The municipalities next to *municipality* (the relation is symmetric)."""
        return self._municipalities.get(municipality, frozenset())

    def free_slots(self, member_id: str) -> tuple[datetime, ...]:
        """Every free slot start of a member known to the file, earliest first."""
        return tuple(datetime.fromtimestamp(e, HELSINKI) for e in self._epochs.get(member_id, ()))

    def first_free_slot(
        self, member_id: str, after: datetime, until: datetime | None
    ) -> datetime | None:
        """The member's earliest free slot starting at or after *after* and before *until*."""
        if self._provider is not None:
            return self._provider(member_id, after, until)
        epochs = self._epochs.get(member_id)
        if not epochs:
            return None
        i = bisect.bisect_left(epochs, after.timestamp())
        if i == len(epochs) or (until is not None and epochs[i] >= until.timestamp()):
            return None
        return datetime.fromtimestamp(epochs[i], HELSINKI)

    # ------------------------------------------------------------ for the router

    def role_index(self, role: str) -> RoleIndex | None:
        """The slot index of *role*, built when the directory was loaded, for the
        directory router's fast search; None when the slots come from a slot provider
        (the index does not know them: the router then asks member by member)."""
        if self._provider is not None:
            return None
        return self._indexes.get(role, EMPTY_INDEX)

    def __repr__(self) -> str:
        where = f" {str(self.path)!r}" if self.path is not None else ""
        slots = sum(len(s) for s in self._epochs.values())
        return (
            f"<Directory{where} units={len(self._units)} members={len(self._members)} "
            f"slots={slots}>"
        )
