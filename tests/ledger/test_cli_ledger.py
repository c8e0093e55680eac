"""`onecontact ledger record | clocks | due | report`, end to end on SQLite and (when a
server is reachable) PostgreSQL: JSON on stdout, exit 2 with a message for bad input.

Rules: the small test rules of conftest.py (acute symptom -> nurse, clocks
need_assessment and care) with the bundled policies. Two contacts:

- k-1, 20 years, received Tue 2025-01-07 09:00, need assessed 10:00, care started Fri
  10.1 10:00: need_assessment due 7.1 (same day), met; care (under 23: 14 days) due Tue
  21.1, met after 3 days.
- k-2, 40 years, received Wed 8.1 09:00, need assessed 11:00, no care: care (23 or over:
  3 months) due Tue 8.4.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from oneContact.cli import main

from ..conftest import fresh_ledger_url

Make = Callable[..., dict[str, Any]]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh ledger URL on each backend (PostgreSQL: its own schema)."""
    yield from fresh_ledger_url(request.param, tmp_path, "cli_test")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def filled(
    capsys: pytest.CaptureFixture[str],
    db: str,
    rules_dir: Path,
    tmp_path: Path,
    make_contact: Make,
) -> tuple[str, list[str]]:
    """The ledger at *db* with k-1 and k-2 recorded through the command; returns the URL
    and the options every ledger command takes."""
    common = ["--db", db, "--rules", str(rules_dir), "--backend", "python"]
    for contact_id, age, received in (
        ("k-1", 20, "2025-01-07T09:00:00+02:00"),
        ("k-2", 40, "2025-01-08T09:00:00+02:00"),
    ):
        path = tmp_path / f"{contact_id}.json"
        contact = make_contact(contact_id=contact_id, received_at=received, client={"age": age})
        path.write_text(json.dumps(contact), encoding="utf-8")
        code, out, err = run(capsys, "ledger", "record", *common, "--contact", str(path))
        assert (0, "") == (code, err)
        recorded = json.loads(out)
        assert (contact_id, True) == (recorded["contact_id"], recorded["recorded"])
        assert ["need_assessment", "care"] == [c["clock"] for c in recorded["clocks"]]
        # The same contact again: stored once.
        code, out, _ = run(capsys, "ledger", "record", *common, "--contact", str(path))
        assert (0, False) == (code, json.loads(out)["recorded"])
    for contact_id, event, at in (
        ("k-1", "need_assessed", "2025-01-07T10:00:00+02:00"),
        ("k-1", "care_started", "2025-01-10T10:00:00+02:00"),
        ("k-2", "need_assessed", "2025-01-08T11:00:00+02:00"),
    ):
        code, out, err = run(
            capsys,
            "ledger",
            "record",
            *common,
            "--event",
            f"{event}={at}",
            "--contact-id",
            contact_id,
            "--event-id",
            f"{contact_id}.{event}",
        )
        assert (0, "") == (code, err)
        assert {
            "contact_id": contact_id,
            "event": event,
            "at": at,
            "event_id": f"{contact_id}.{event}",
            "recorded": True,
        } == json.loads(out)
    return db, common


def test_clocks_prints_json(capsys: pytest.CaptureFixture[str], filled: Any) -> None:
    _, common = filled
    code, out, err = run(
        capsys, "ledger", "clocks", "k-1", *common, "--now", "2025-02-01T12:00:00+02:00"
    )
    assert (0, "") == (code, err)
    clocks = {c["clock"]: c for c in json.loads(out)}
    assert ("met", "2025-01-07", 0) == (
        clocks["need_assessment"]["status"],
        clocks["need_assessment"]["due_date"],
        clocks["need_assessment"]["days_used"],
    )
    # Care: 7.1 + 14 days = 21.1; started 10.1: 3 days used of 14.
    assert ("met", "2025-01-21", 3, 14) == (
        clocks["care"]["status"],
        clocks["care"]["due_date"],
        clocks["care"]["days_used"],
        clocks["care"]["days_allowed"],
    )


def test_due_lists_the_worklist(capsys: pytest.CaptureFixture[str], filled: Any) -> None:
    _, common = filled
    # Mon 7.4: k-2's care is due Tue 8.4, the next weekday: listed, open.
    code, out, _ = run(
        capsys, "ledger", "due", *common, "--now", "2025-04-07T12:00:00+03:00", "--within", "1"
    )
    assert 0 == code
    assert [("k-2", "care", "open", "2025-04-08")] == [
        (c["contact_id"], c["clock"], c["status"], c["due_date"]) for c in json.loads(out)
    ]
    # Within 0 weekdays of Mon 7.4: only what is due that day: nothing.
    code, out, _ = run(
        capsys, "ledger", "due", *common, "--now", "2025-04-07T12:00:00+03:00", "--within", "0"
    )
    assert (0, []) == (code, json.loads(out))
    # Wed 9.4: past due by one day.
    code, out, _ = run(capsys, "ledger", "due", *common, "--now", "2025-04-09T12:00:00+03:00")
    assert [("k-2", "breached", 1)] == [
        (c["contact_id"], c["status"], c["days_over"]) for c in json.loads(out)
    ]


def test_report_formats(capsys: pytest.CaptureFixture[str], filled: Any, tmp_path: Path) -> None:
    """January: k-1's two clocks met, k-2's need assessment met and care open (due 8.4)."""
    _, common = filled
    period = ["--since", "2025-01-01", "--until", "2025-02-01"]
    code, out, err = run(capsys, "ledger", "report", *common, *period, "--format", "json")
    assert (0, "") == (code, err)
    data = json.loads(out)
    assert "2025-01-31T23:59:59.999999+02:00" == data["as_of"]  # the end of the period
    assert (4, 3, 1, 1, 1) == tuple(
        data["total"][k] for k in ("clocks", "met", "open", "care_started", "still_waiting")
    )
    assert [("nurse", "0-22", 2, 3.0), ("nurse", "23+", 2, None)] == [
        (r["service"], r["age_group"], r["clocks"], r["waiting_days_median"]) for r in data["rows"]
    ]

    code, out, _ = run(
        capsys, "ledger", "report", *common, *period, "--format", "csv", "--by", "clock"
    )
    rows = list(csv.reader(io.StringIO(out)))
    assert 0 == code
    assert ["clock", "clocks", "met"] == rows[0][:3]
    assert [["care", "2", "1"], ["need_assessment", "2", "2"], ["all", "4", "3"]] == [
        r[:3] for r in rows[1:]
    ]

    page = tmp_path / "out" / "report.html"
    page.parent.mkdir()
    code, out, err = run(
        capsys, "ledger", "report", *common, *period, "--format", "html", "--output", str(page)
    )
    assert (0, "", "") == (code, out, err)
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert 'data-chart="waiting-distribution"' in html

    code, out, _ = run(capsys, "ledger", "report", *common, *period)  # text by default
    assert 0 == code
    assert "clocks started 2025-01-01 to 2025-01-31" in out
    assert "breaches: 0 (0 still open)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--since", "2025-01-01", "--until", "2025-02-01", "--by", "servise"],
         "did you mean 'service'"),
        (["report", "--since", "1.1.2025", "--until", "2025-02-01"], "--since"),
        (["report", "--since", "2025-02-01", "--until", "2025-01-01"], "is not after since"),
        (["report", "--since", "2025-01-01", "--until", "2025-02-01", "--table", "breaches"],
         "--table breaches is for --format csv"),
        (["clocks", "k-9", "--now", "2025-02-01T12:00:00+02:00"], "no contact 'k-9'"),
        (["clocks", "k-1", "--now", "2025-02-01T12:00:00"], "needs a UTC offset"),
        (["record", "--event", "need_asessed=2025-01-07T10:00:00+02:00", "--contact-id",
          "k-1", "--event-id", "x"], "did you mean 'need_assessed'"),
        (["record", "--event", "need_assessed=2025-01-07T08:00:00+02:00", "--contact-id",
          "k-1", "--event-id", "x"], "before contact 'k-1' was received"),
        (["record", "--contact-id", "k-1"], "record takes --contact FILE"),
        (["record", "--contact", "k.json", "--contact-id", "k-1"], "not both"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_a_message(
    capsys: pytest.CaptureFixture[str], filled: Any, argv: list[str], message: str
) -> None:
    _, common = filled
    command, *rest = argv
    code, out, err = run(capsys, "ledger", command, *common, *rest)
    assert (2, "") == (code, out)
    assert message in err
    assert "Traceback" not in err


def test_an_unusable_database_exits_2(capsys: pytest.CaptureFixture[str], rules_dir: Path) -> None:
    """A wrong scheme, or a server that is not there: a message, never a traceback."""
    for db, message in (
        ("mysql://localhost/x", "unknown ledger scheme"),
        ("postgresql://nobody@127.0.0.1:1/none", "could not be used"),
    ):
        code, out, err = run(
            capsys, "ledger", "due", "--db", db, "--rules", str(rules_dir), "--now",
            "2025-01-01T12:00:00+02:00",
        )  # fmt: skip
        assert (2, "") == (code, out)
        assert message in err


def test_missing_db_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ledger", "report", "--since", "2025-01-01", "--until", "2025-02-01"])
    assert 2 == info.value.code
    assert "--db" in capsys.readouterr().err


def test_the_console_script_never_shows_a_traceback(tmp_path: Path, rules_dir: Path) -> None:
    """The installed command, as a shell runs it."""
    script = Path(sys.executable).with_name("onecontact")
    result = subprocess.run(
        [
            str(script),
            "ledger",
            "report",
            "--db",
            f"sqlite:///{tmp_path / 'l.db'}",
            "--rules",
            str(rules_dir),
            "--since",
            "2025-01-01",
            "--until",
            "2025-02-01",
            "--by",
            "region",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert 2 == result.returncode
    assert "unknown dimension 'region'" in result.stderr
    assert "Traceback" not in result.stderr
