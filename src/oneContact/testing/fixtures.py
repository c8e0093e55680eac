"""Fixture cases, as the pytest plugin imports them: the reader lives in the library.

Kept for compatibility: ``oneContact.testing.fixtures`` re-exports
:mod:`oneContact.fixtures` (the library's lint reads fixture files too, and the library
never imports its own pytest plugin package).
"""

from ..fixtures import FixtureCase, FixtureProblem, check_case, load_fixture_file, unknown_names

__all__ = ["FixtureCase", "FixtureProblem", "check_case", "load_fixture_file", "unknown_names"]
