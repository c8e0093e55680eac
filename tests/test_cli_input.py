"""The command's options and contact files at their extremes: a clear message and exit 2,
never a traceback, never a wait, never what was typed echoed back at length.

Options: ``--now``, ``--event``, ``--since``/``--until`` (years 0001 to 9999, NaN, a
10,000-digit number), ``--within``, ``--limit``, ``--max-changes`` (huge, negative, NaN).
Files: a directory, a FIFO, ``/dev/zero``, a missing file, bytes that are not UTF-8,
standard input of endless bytes. See docs/reference/contact-input.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oneContact.cli import MAX_WITHIN_WEEKDAYS, main

from .conftest import BUNDLED_RULES, REPO

CONTACT = str(REPO / "examples" / "contact.json")
HUGE = "9" * 10_000
EXE = str(Path(sys.executable).with_name("onecontact"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's refusals exit from inside
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert 2 == code, err
    assert "" == out
    assert "Traceback" not in err
    assert HUGE[:200] not in err  # what was typed is not echoed at length
    return err


@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:00:00-05:00",
        "1969-12-31T23:59:59+00:00",
        "2100-01-01T00:00:00+00:00",
    ],
)
def test_a_time_option_outside_the_years_supported_says_which_years(
    capsys: pytest.CaptureFixture[str], when: str
) -> None:
    """--now and --event out of 1970-2099: exit 2 naming the option and the years, code
    timestamp-out-of-range (the hint was "must be an RFC 3339 timestamp": wrong)."""
    assess = ("assess", CONTACT, "--backend", "python")
    err = _refused(capsys, *assess, "--now", when, "--format", "text")
    assert "--now: must fall in the years 1970-2099" in err
    err = _refused(capsys, *assess, "--event", f"need_assessed={when}")
    problem = json.loads(err)["problems"][0]
    assert ("--event need_assessed", "timestamp-out-of-range") == (
        problem["field"],
        problem["code"],
    )
    assert "1970" in problem["messages"]["fi"]
    err = _refused(capsys, "clocks", CONTACT, "--backend", "python", "--now", when)
    assert "--now: must fall in the years 1970-2099" in err


@pytest.mark.parametrize("text", ["nan", "-1", HUGE, "10**5000"])
def test_a_time_option_that_is_no_time_is_refused(
    capsys: pytest.CaptureFixture[str], text: str
) -> None:
    err = _refused(capsys, "assess", CONTACT, "--backend", "python", "--now", text)
    assert "timestamp" in err


@pytest.mark.parametrize("option", ["--since", "--until"])
@pytest.mark.parametrize(
    "when", ["0001-01-01", "9999-12-31", "1969-12-31", "9999-12-31T00:00:00+00:00"]
)
def test_report_periods_outside_the_years_supported_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, when: str
) -> None:
    """--since 0001-01-01 was accepted (a date is read as its midnight, unchecked)."""
    dates = {"--since": "2025-01-01", "--until": "2025-02-01", option: when}
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    argv = ["ledger", "report", "--db", db, "--rules", str(BUNDLED_RULES)]
    err = _refused(capsys, *argv, "--since", dates["--since"], "--until", dates["--until"])
    assert f"{option}: must fall in the years 1970-2099" in err


@pytest.mark.parametrize(
    ("within", "says"),
    [
        (str(MAX_WITHIN_WEEKDAYS + 1), f"must be {MAX_WITHIN_WEEKDAYS} or less"),
        ("1000000", f"must be {MAX_WITHIN_WEEKDAYS} or less"),
        (HUGE, f"must be {MAX_WITHIN_WEEKDAYS} or less"),
        ("-1", "must be 0 or more"),
        ("nan", "must be a whole number"),
        ("1e3", "must be a whole number"),
        ("", "must be a whole number"),
    ],
)
def test_within_at_its_extremes_is_refused_without_echo(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, within: str, says: str
) -> None:
    """--within 1000000 ran the calendar past 2100 into a traceback; 10,000 digits were
    echoed back whole as "not a whole number" (they are one)."""
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    argv = ["ledger", "due", "--db", db, "--rules", str(BUNDLED_RULES), "--within", within]
    err = _refused(capsys, *argv)
    assert f"--within: {says}" in err


def test_within_at_the_end_of_the_calendar_works(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The largest --within from the last moment supported stays inside the calendar."""
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    code, out, err = run(
        capsys,
        *("ledger", "due", "--db", db, "--rules", str(BUNDLED_RULES)),
        *("--now", "2099-12-31T23:59:59+00:00", "--within", str(MAX_WITHIN_WEEKDAYS)),
    )
    assert (0, "[]") == (code, out.strip()), err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("explain", CONTACT, "--why-not", "emergency", "--limit", HUGE), "--limit: must be"),
        (("explain", CONTACT, "--why-not", "emergency", "--limit", "0"), "--limit: must be 1"),
        (("explain", CONTACT, "--why-not", "emergency", "--max-changes", HUGE), "--max-changes"),
        (("diff", CONTACT, "--old", "r", "--new", "r", "--limit", "-5"), "--limit: must be 1"),
    ],
)
def test_count_options_at_their_extremes_are_refused_without_echo(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], says: str
) -> None:
    assert says in _refused(capsys, *argv)


# --------------------------------------------------------------------------- files


def test_contact_files_that_cannot_be_read_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A directory, a missing file, Latin-1 bytes, a file over 256 KiB: exit 2 naming the
    file and why; a file with a UTF-8 byte order mark is read."""
    (tmp_path / "dir.json").mkdir()
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"free_text": "äiti"}'.encode("latin-1"))
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 300_000 + b"{}")
    for path, says in (
        (tmp_path / "dir.json", "it is a directory, not a regular file"),
        (tmp_path / "missing.json", "it does not exist"),
        (latin, "not UTF-8"),
        (big, "it is larger than 256 KiB"),
    ):
        err = _refused(capsys, "assess", str(path), "--backend", "python", "--format", "text")
        assert f"cannot read {path}: {says}" in err
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + Path(CONTACT).read_bytes())
    code, out, err = run(capsys, "assess", str(bom), "--backend", "python")
    assert 0 == code, err
    assert "omaks-2025-000123" == json.loads(out)["contact_id"]


def _onecontact(*argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command, stopped after 60 s: a FIFO or /dev/zero used to hang it."""
    return subprocess.run(
        [EXE, *argv],
        input=stdin.decode("latin-1") if stdin is not None else None,
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=60,
    )


def test_a_fifo_or_a_device_is_refused_at_once(tmp_path: Path) -> None:
    """A FIFO no one writes to (the command waited forever) and /dev/zero (it read until
    memory ran out): exit 2 at once, for assess, ledger record, diff and next-questions."""
    fifo = tmp_path / "contact.json"
    os.mkfifo(fifo)
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    for argv in (
        ("assess", str(fifo), "--backend", "python"),
        ("clocks", "/dev/zero", "--backend", "python"),
        ("ledger", "record", "--db", db, "--backend", "python", "--contact", str(fifo)),
        ("diff", "/dev/zero", "--old", "rules", "--new", "rules", "--backend", "python"),
        ("next-questions", str(fifo), "--backend", "python"),
    ):
        result = _onecontact(*argv)
        assert 2 == result.returncode, result.stderr
        assert "not a regular file" in result.stderr
        assert "Traceback" not in result.stderr


def test_endless_standard_input_is_read_only_so_far() -> None:
    """``assess -`` reads at most one byte more than a contact may have: 2 MB of zero
    bytes give json-too-large, exit 2."""
    result = _onecontact("assess", "-", "--backend", "python", stdin=b"\0" * 2_000_000)
    assert 2 == result.returncode, result.stderr
    assert "json-too-large" in result.stderr
    assert "Traceback" not in result.stderr
