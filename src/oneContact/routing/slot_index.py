"""The slot index: the free slots of one role, merged for fast search.

The built-in :class:`~oneContact.routing.Directory` builds one :class:`RoleIndex` per
role when it loads, so that finding the earliest free slot in a ranking class (family
centre or not; same municipality, a neighbouring one or a remote visit, anywhere) is a
few binary searches instead of one question per member. A host's directory (any
``DirectorySource``) is asked member by member instead; a test holds both equal.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence

import attrs

from .model import Member, Unit

__all__ = [
    "EMPTY_INDEX",
    "FAR",
    "NEAR",
    "REMOTE",
    "SAME",
    "Hit",
    "Languages",
    "Merged",
    "RoleIndex",
]

#: Distance classes of the ranking: the client's municipality (or no municipality known),
#: a neighbouring one or a remote visit, anywhere else in the region.
SAME, NEAR, FAR = 0, 1, 2

Merged = tuple[tuple[float, ...], tuple[str, ...]]
"""Slot starts (epoch seconds, sorted) and whose they are."""
Languages = frozenset[str]
Hit = tuple[float, str]
"""(start, member id): equal starts go to the lower id."""
#: The place of digital-centre units (they have no municipality).
REMOTE = ""


@attrs.frozen
class RoleIndex:
    """Free slots of one role, merged for fast search, built when the directory loads.

    Slots are grouped by the members' set of languages (few distinct sets: fi; fi+sv;
    sv; ...), so one index serves clients of every language; by place (a municipality,
    or ``REMOTE`` for digital centres); and by whether the unit is a family centre.
    """

    remote: bool
    counts: Mapping[Languages, int]
    places: Mapping[tuple[Languages, str, bool], Merged]
    merged: Mapping[tuple[Languages, bool], Merged]
    """Every place but the digital centres, by languages and family centre or not."""
    families: frozenset[bool] = frozenset()
    """Which kinds of unit the role's members work in: family centres (True), others."""
    local: frozenset[Languages] = frozenset()
    """The language sets of members outside digital centres (for non-digital clients)."""
    _split: dict[tuple[str, bool], dict[bool, list[Languages]]] = attrs.field(
        factory=dict, eq=False
    )

    def split(self, language: str, digital: bool) -> dict[bool, list[Languages]]:
        """The language sets of the members a client may see (digital-centre members only
        for a *digital* client) that do / do not include *language* (cached; pure)."""
        found = self._split.get((language, digital))
        if found is None:
            found = {True: [], False: []}
            for sig in self.counts if digital else self.local:
                found[language in sig].append(sig)
            self._split[language, digital] = found
        return found

    @classmethod
    def build(
        cls,
        members: Iterable[Member],
        units: Mapping[str, Unit],
        epochs: Mapping[str, Sequence[float]],
    ) -> RoleIndex:
        """The index of *members* (one role), their *units* and free slot starts."""
        rows: dict[tuple[Languages, str, bool], list[Hit]] = {}
        counts: dict[Languages, int] = {}
        remote = False
        for member in members:
            sig = member.languages
            counts[sig] = counts.get(sig, 0) + 1
            unit = units[member.unit]
            remote = remote or unit.kind == "digital_centre"
            place = REMOTE if unit.kind == "digital_centre" else unit.municipality or REMOTE
            family = unit.kind == "family_centre"
            rows.setdefault((sig, place, family), []).extend(
                (start, member.id) for start in epochs[member.id]
            )
        places: dict[tuple[Languages, str, bool], Merged] = {}
        merged_rows: dict[tuple[Languages, bool], list[Hit]] = {}
        for key, hits in rows.items():
            hits.sort()
            places[key] = (tuple(h[0] for h in hits), tuple(h[1] for h in hits))
            if key[1] != REMOTE:
                merged_rows.setdefault((key[0], key[2]), []).extend(hits)
        merged: dict[tuple[Languages, bool], Merged] = {}
        for group, hits in merged_rows.items():
            hits.sort()
            merged[group] = (tuple(h[0] for h in hits), tuple(h[1] for h in hits))
        return cls(
            remote,
            counts,
            places,
            merged,
            frozenset(k[2] for k in rows),
            frozenset(k[0] for k in rows if k[1] != REMOTE),
        )

    def earliest(
        self,
        sigs: Sequence[Languages],
        *,
        after: float,
        end: float,
        here: str | None,
        near: Sequence[str],
        digital: bool,
        minor: bool,
    ) -> tuple[Hit, tuple[int, int]] | None:
        """The earliest slot in ``[after, end)`` of a member whose languages are one of
        *sigs*, in the nearest class that has one, and that class (family rank, distance).

        A *minor* is seen in a family centre first; the client's municipality *here*
        first, then the *near* ones and (for a *digital* client) the digital centre, then
        anywhere. Without a municipality the whole region is one class.
        """
        places, merged = self.places, self.merged
        families: tuple[bool | None, ...] = (True, False) if minor else (None,)
        for rank, family in enumerate(families):
            if family is not None and family not in self.families:
                continue  # nobody of the role works in (or outside) a family centre
            flags = (True, False) if family is None else (family,)
            # A digital centre is not a family centre: it is searched with flag False.
            remote_here = digital and False in flags

            def at(where: Iterable[str], flags: tuple[bool, ...] = flags) -> Hit | None:
                hit: Hit | None = None
                for sig in sigs:
                    for place in where:
                        for flag in flags:
                            hit = _min(hit, _first(places.get((sig, place, flag)), after, end))
                return hit

            def far(flags: tuple[bool, ...] = flags) -> Hit | None:
                hit: Hit | None = None
                for sig in sigs:
                    for flag in flags:
                        hit = _min(hit, _first(merged.get((sig, flag)), after, end))
                return hit

            if here is None:
                # No municipality known: one class, the whole region and the digital centre.
                distance = SAME
                hit = _min(far(), at((REMOTE,), (False,)) if remote_here else None)
            else:
                distance, hit = SAME, at((here,))
                if hit is None:
                    distance = NEAR
                    hit = _min(at(near), at((REMOTE,), (False,)) if remote_here else None)
                if hit is None:
                    # Nearer places have nothing in the window: the first merged slot is far.
                    distance, hit = FAR, far()
            if hit is not None:
                return hit, (rank, distance)
        return None


def _first(merged: Merged | None, after: float, until: float) -> Hit | None:
    if merged is None:
        return None
    starts = merged[0]
    i = bisect.bisect_left(starts, after)
    if i < len(starts) and starts[i] < until:
        return starts[i], merged[1][i]
    return None


def _min(a: Hit | None, b: Hit | None) -> Hit | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a <= b else b


#: The index of a role nobody holds.
EMPTY_INDEX = RoleIndex(False, {}, {}, {})
