"""Project promises: the README's commands are what CI runs; the public API is deliberate."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

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


def _supported_pythons() -> list[str]:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    found = re.findall(r'^SUPPORTED_PYTHONS="([0-9. ]+)"$', ci, flags=re.M)
    assert 1 == len(found), "SUPPORTED_PYTHONS is set once in .ci/run"
    return found[0].split()


def test_the_supported_pythons_are_one_list() -> None:
    """.ci/run tests the versions pyproject's classifiers name, from requires-python's
    minimum (which mypy and ruff target), and the README names each of them."""
    versions = _supported_pythons()
    assert ["3.11", "3.12", "3.13"] == versions
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    classifiers = project["project"]["classifiers"]
    prefix = "Programming Language :: Python :: 3."
    named = sorted(
        (
            c.removeprefix("Programming Language :: Python :: ")
            for c in classifiers
            if c.startswith(prefix)
        ),
        key=lambda v: tuple(map(int, v.split("."))),
    )
    assert versions == named
    oldest = versions[0]
    assert f">={oldest}" == project["project"]["requires-python"]
    assert oldest == project["tool"]["mypy"]["python_version"]
    assert "py" + oldest.replace(".", "") == project["tool"]["ruff"]["target-version"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    line = re.search(r"^Works on Python (.+)$", readme, flags=re.M)
    assert line is not None, "the README says which Python versions work"
    assert versions == re.findall(r"3\.\d+", line.group(1))[: len(versions)]


def test_ci_runs_the_readme_test_command_on_every_supported_python() -> None:
    """After the main run, .ci/run runs the README's test command again in a fresh virtual
    environment of each other supported Python it finds, and fails when one fails or when
    a version $ONECONTACT_REQUIRE_PYTHONS requires (by default all of them) is missing."""
    readme_test = _readme_commands()[1]
    install_and_test = readme_test.split(" && ", 2)[2]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    main, _, each = ci.partition("# README-TEST-COMMAND-EACH-PYTHON\n")
    assert each, ".ci/run has the step that runs the tests on each supported Python"
    assert install_and_test in main.partition("# README-TEST-COMMAND\n")[2]
    assert install_and_test in each
    assert 'REQUIRE_PYTHONS="${ONECONTACT_REQUIRE_PYTHONS-$SUPPORTED_PYTHONS}"' in main
    assert "for version in $SUPPORTED_PYTHONS; do" in each
    assert '.ci/find-python "$version"' in each
    assert '-m venv "$2"' in each
    assert "exit 1" in each.partition("# The slow suite")[0]
    assert os.access(REPO / ".ci" / "find-python", os.X_OK)


def _find_python(
    tmp_path: Path, version: str, path_pythons: dict[str, str], pyenv: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """.ci/find-python *version* on a PATH of only *path_pythons* (name: script text) and
    bash's tools, and a pyenv root of *pyenv* (version directory: script text, or "" for
    this interpreter)."""
    bin_dir, tools, root = tmp_path / "bin", tmp_path / "tools", tmp_path / "pyenv"
    for folder in (bin_dir, tools, root / "versions"):
        folder.mkdir(parents=True)
    for tool in ("bash", "grep", "sort"):
        found = shutil.which(tool)
        assert found is not None
        (tools / tool).symlink_to(found)
    for name, script in path_pythons.items():
        (bin_dir / name).write_text(script, encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    for name, script in pyenv.items():
        python = root / "versions" / name / "bin" / "python"
        python.parent.mkdir(parents=True)
        if script:
            python.write_text(script, encoding="utf-8")
            python.chmod(0o755)
        else:
            python.symlink_to(sys.executable)
    env = {"PATH": f"{bin_dir}:{tools}", "PYENV_ROOT": str(root), "HOME": str(tmp_path)}
    return subprocess.run(
        [str(tools / "bash"), str(REPO / ".ci" / "find-python"), version],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


THIS = f"{sys.version_info.major}.{sys.version_info.minor}"
# What pyenv's shim prints for a version that is installed but not selected.
SHIM = '#!/bin/sh\necho "pyenv: $(basename "$0"): command not found" >&2\nexit 127\n'


def test_find_python_skips_a_failing_shim_and_takes_the_newest_pyenv_patch(
    tmp_path: Path,
) -> None:
    """A pyenv shim that fails is no interpreter; of 3.N.2, 3.N.10, 3.N-dev and a
    free-threaded 3.N.10t, the release with the highest patch number is taken."""
    result = _find_python(
        tmp_path,
        THIS,
        {f"python{THIS}": SHIM},
        {f"{THIS}.2": "", f"{THIS}.10": "", f"{THIS}-dev": "", f"{THIS}.10t": ""},
    )
    assert 0 == result.returncode, result.stderr
    assert f"{tmp_path}/pyenv/versions/{THIS}.10/bin/python" == result.stdout.strip()


def test_find_python_prefers_a_working_interpreter_on_path(tmp_path: Path) -> None:
    exe = f'#!/bin/sh\nexec "{sys.executable}" "$@"\n'
    result = _find_python(tmp_path, THIS, {f"python{THIS}": exe}, {f"{THIS}.2": ""})
    assert 0 == result.returncode, result.stderr
    assert f"{tmp_path}/bin/python{THIS}" == result.stdout.strip()


def test_find_python_says_where_it_looked_when_no_interpreter_is_that_version(
    tmp_path: Path,
) -> None:
    """An interpreter named python3.99 (or in a 3.99.1 folder) that is really another
    version does not count; the answer is exit 1 and where it looked."""
    exe = f'#!/bin/sh\nexec "{sys.executable}" "$@"\n'
    result = _find_python(tmp_path, "3.99", {"python3.99": exe}, {"3.99.1": ""})
    assert 1 == result.returncode
    assert "" == result.stdout
    assert (
        f"Python 3.99 not found (looked for python3.99 on PATH and in {tmp_path}/pyenv/versions)"
        == result.stderr.strip()
    )


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
