"""The onecontact command: exit codes, JSON contract, readable errors and no tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oneContact.cli import main

from .conftest import REPO

Make = Callable[..., dict[str, Any]]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, contact: dict[str, Any]) -> str:
    path = tmp_path / "contact.json"
    path.write_text(json.dumps(contact), encoding="utf-8")
    return str(path)


def test_assess_prints_the_json_contract(
    capsys: pytest.CaptureFixture[str], rules_dir: Path, tmp_path: Path, make_contact: Make
) -> None:
    """JSON on stdout with the contract's keys; exit 0."""
    code, out, _ = run(
        capsys,
        "assess",
        write(tmp_path, make_contact(answers={"chest_pain": True})),
        "--rules",
        str(rules_dir),
    )
    assert 0 == code
    data = json.loads(out)
    assert "emergency" == data["urgency"]
    assert {"kind": "emergency", "service": "emergency_112", "reason": "acute.chest-pain"} == data[
        "routes"
    ][0]


def test_assess_text_format_is_for_people(
    capsys: pytest.CaptureFixture[str], rules_dir: Path, tmp_path: Path, make_contact: Make
) -> None:
    """--format text names services in the chosen language and lists why."""
    code, out, _ = run(
        capsys,
        "assess",
        write(tmp_path, make_contact()),
        "--rules",
        str(rules_dir),
        "--format",
        "text",
        "--language",
        "sv",
    )
    assert 0 == code
    assert "sjukskötare" in out
    assert "acute.any  acute.yaml:" in out


def test_invalid_contact_exits_2_naming_fields_without_traceback(
    capsys: pytest.CaptureFixture[str], rules_dir: Path, tmp_path: Path, make_contact: Make
) -> None:
    """Bad data: exit 2, each field named on stderr, no traceback, free text not echoed.

    With ``--format json`` (the default) stderr holds the error as JSON: each problem's
    field, code, developer message and the client's messages in fi/sv/en."""
    contact = make_contact(
        channel="fax", free_text="salainen kertomus", answers={"chest_pian": True}
    )
    path = write(tmp_path, contact)
    code, out, err = run(capsys, "assess", path, "--rules", str(rules_dir))
    assert 2 == code
    assert "" == out
    assert "Traceback" not in err
    assert "salainen" not in err
    data = json.loads(err)
    assert "invalid first contact" == data["error"]
    by_field = {p["field"]: p for p in data["problems"]}
    assert {"channel", "answers.chest_pian"} == set(by_field)
    channel = by_field["channel"]
    assert "literal-error" == channel["code"]
    assert channel["message"].startswith("must be one of phone")
    assert "Välj ett av alternativen." == channel["messages"]["sv"]
    code, out, err = run(capsys, "assess", path, "--rules", str(rules_dir), "--format", "text")
    assert 2 == code
    assert "" == out
    assert "channel:" in err
    assert "Traceback" not in err
    assert "salainen" not in err


def test_unreadable_and_non_json_input_exit_2(
    capsys: pytest.CaptureFixture[str], rules_dir: Path, tmp_path: Path
) -> None:
    """A missing file or broken JSON is bad input, not a crash."""
    assert 2 == run(capsys, "assess", str(tmp_path / "none.json"), "--rules", str(rules_dir))[0]
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = run(capsys, "assess", str(broken), "--rules", str(rules_dir))
    assert 2 == code
    assert "not valid JSON" in err


_GUARDED_MAIN = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from oneContact.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_a_contact_file_that_is_no_regular_file_exits_2_at_once(
    rules_dir: Path, tmp_path: Path, kind: str
) -> None:
    """A FIFO is not waited on, /dev/zero not read without end (a child process with
    1 GiB of memory and 60 s, so a regression fails instead of hanging the run)."""
    path = tmp_path / "contact.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", _GUARDED_MAIN, "assess", str(path), "--rules", str(rules_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-500:]
    assert "not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_passes_on_bundled_rules(capsys: pytest.CaptureFixture[str]) -> None:
    """onecontact check rules/ exits 0 on the bundled rules."""
    code, out, _ = run(capsys, "check", str(REPO / "rules"))
    assert 0 == code
    assert "OK:" in out


def test_check_fails_clearly_on_a_broken_copy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A broken copy of the bundled rules: exit 1, file:line:col: code [rule id]: message."""
    copy = tmp_path / "rules"
    shutil.copytree(REPO / "rules", copy)
    path = next(p for p in sorted(copy.glob("*.yaml")) if "when:" in p.read_text())
    text = path.read_text()
    path.write_text(text.replace("urgency: emergency", "urgency: emergancy", 1), encoding="utf-8")
    code, _, err = run(capsys, "check", str(copy))
    assert 1 == code
    assert f"rules/{path.name}:" in err
    assert "unknown-urgency [rule " in err
    assert "(did you mean 'emergency'?)" in err
    assert "nothing was loaded" in err


def test_schema_lists_the_questionnaire(
    capsys: pytest.CaptureFixture[str], rules_dir: Path
) -> None:
    """The JSON Schema carries the concern codes and typed answers for form builders."""
    code, out, _ = run(capsys, "schema", "--rules", str(rules_dir))
    assert 0 == code
    schema = json.loads(out)
    assert ["acute_symptom", "home_care", "mental_health"] == schema["properties"]["concerns"][
        "items"
    ]["enum"]
    assert {"type": "integer", "minimum": 0, "maximum": 10}.items() <= schema["properties"][
        "answers"
    ]["properties"]["pain_score"].items()
    assert schema["additionalProperties"] is False


def test_clocks_with_events(
    capsys: pytest.CaptureFixture[str], rules_dir: Path, tmp_path: Path, make_contact: Make
) -> None:
    """onecontact clocks: the care clock starts at need_assessed and is due by the law of that day."""
    contact = make_contact(received_at="2025-02-03T09:00:00+02:00")
    code, out, _ = run(
        capsys,
        "clocks",
        write(tmp_path, contact),
        "--rules",
        str(rules_dir),
        "--event",
        "need_assessed=2025-02-03T10:00:00+02:00",
        "--now",
        "2025-02-10T12:00:00+02:00",
    )
    assert 0 == code
    clocks = {c["clock"]: c for c in json.loads(out)}
    # From 2025-01-01 a client of 23 or more gets care within 3 months of the need
    # assessment: 3.2.2025 + 3 months = Sat 3.5.2025 → next weekday Mon 5.5.2025.
    assert "2025-05-05" == clocks["care"]["due_date"]
    assert "open" == clocks["care"]["status"]
    # The need assessment was done on the contact day: met.
    assert "met" == clocks["need_assessment"]["status"]


def test_bad_event_option_exits_2(
    capsys: pytest.CaptureFixture[str], rules_dir: Path, tmp_path: Path, make_contact: Make
) -> None:
    """A naive timestamp in --event is refused with the fix."""
    code, _, err = run(
        capsys,
        "clocks",
        write(tmp_path, make_contact()),
        "--rules",
        str(rules_dir),
        "--event",
        "need_assessed=2025-02-03T10:00",
    )
    assert 2 == code
    assert "needs a UTC offset" in err


def test_console_script_runs_the_bundled_example() -> None:
    """The installed command assesses the bundled example contact (the README's first command)."""
    exe = Path(sys.executable).with_name("onecontact")
    result = subprocess.run(
        [str(exe), "assess", str(REPO / "examples" / "contact.json"), "--format", "text"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert 0 == result.returncode, result.stderr
    assert "kiireellisyys: kiireetön" in result.stdout  # the example client speaks Finnish
    assert "kaatui" not in result.stdout


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    """`onecontact explain c.json | head`: the reader has gone before the command writes
    (it closes the pipe at once, while the command is still loading the rules); the
    command stops quietly with the shell's SIGPIPE status instead of a traceback."""
    exe = Path(sys.executable).with_name("onecontact")
    with subprocess.Popen(
        [str(exe), "explain", str(REPO / "examples" / "contact.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.close()
        errors = proc.stderr.read().decode()
        code = proc.wait(timeout=60)
    assert "Traceback" not in errors
    assert 141 == code
