"""Project promises: the README's commands are what CI runs; the public API is deliberate."""

from __future__ import annotations

import re

import oneContact

from .conftest import REPO
from .test_public_api import ruff_order


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.S)


def test_readme_has_exactly_two_commands() -> None:
    """A newcomer pastes two commands: run the example, run the tests."""
    commands = _readme_commands()
    assert 2 == len(commands)
    assert "onecontact assess examples/" in commands[0]
    assert commands[1].rstrip().endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs the README's test command word for word (after its own venv set-up)."""
    readme_test = _readme_commands()[1]
    install_and_test = readme_test.split(" && ", 2)[2]  # drop venv creation and activation
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci


def test_all_lists_exactly_the_public_names() -> None:
    """__all__ is sorted and names every public object of the package, nothing else."""
    public = {
        name
        for name in vars(oneContact)
        if not name.startswith("_")
        and not isinstance(getattr(oneContact, name), type(oneContact))
        and name not in {"annotations", "version", "PackageNotFoundError"}
    }
    assert sorted(oneContact.__all__, key=ruff_order) == oneContact.__all__
    assert public | {"__version__"} == set(oneContact.__all__)


def test_version_comes_from_the_installed_metadata() -> None:
    """__version__ is read from the package metadata, not typed in."""
    from importlib.metadata import version

    assert version("onecontact") == oneContact.__version__
