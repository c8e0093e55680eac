"""The directory's places as the pages name them: each unit and municipality by id, with
the name the directory file gives it.

They come from the :class:`~oneContact.routing.Directory` the engine was loaded with and
are swapped with it (:class:`~._parts.Served`), so a reload that brings a new directory
changes the form's municipalities, the worklist's filters and the report's names at the
moment it changes the routing, and never before.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ..routing import Directory

__all__ = ["Places"]


@attrs.frozen
class Places:
    """The directory's units and municipalities, each id with its name (as the directory
    file writes it; the id when it gives none); none without a directory."""

    units: Mapping[str, str] = attrs.field(factory=dict)
    municipalities: Mapping[str, str] = attrs.field(factory=dict)
    names: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    """As :attr:`Directory.names` gives them: ``unit`` / ``municipality`` -> id -> the
    name the file gives (ids without one left out), for the access report."""

    @classmethod
    def of(cls, directory: Directory | None) -> Places:
        """The places of *directory* (none without one)."""
        if directory is None:
            return cls()
        names = directory.names
        units = {unit: names.get("unit", {}).get(unit, unit) for unit in directory.units()}
        named = names.get("municipality", {})
        municipalities = {
            municipality: named.get(municipality, municipality)
            for municipality in [*named, *sorted(directory.municipality_ids - set(named))]
        }
        return cls(units, municipalities, names)

    @property
    def municipality_ids(self) -> frozenset[str]:
        """Every municipality of the directory, by id."""
        return frozenset(self.municipalities)
