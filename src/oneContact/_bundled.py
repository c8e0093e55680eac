"""Where the bundled rules directory is: inside the wheel, or beside the source tree."""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_example_directory", "bundled_rules_directory"]


def bundled_rules_directory() -> Path:
    """The rules directory shipped with oneContact.

    A wheel carries it as ``oneContact/_bundled_rules``; an editable install or a source
    checkout uses ``rules/`` at the top of the repository.
    """
    here = Path(__file__).resolve().parent
    packaged = here / "_bundled_rules"
    if (packaged / "questionnaire.yaml").is_file():
        return packaged
    return here.parents[1] / "rules"


def bundled_example_directory() -> Path:
    """The example directory of units, members and slots for the bundled rules (what
    ``onecontact serve`` routes with when given no rules and no directory).

    A wheel carries it as ``oneContact/_bundled_examples/directory.yaml``; a source
    checkout uses ``examples/directory.yaml``.
    """
    here = Path(__file__).resolve().parent
    packaged = here / "_bundled_examples" / "directory.yaml"
    if packaged.is_file():
        return packaged
    return here.parents[1] / "examples" / "directory.yaml"
