"""`onecontact ledger record --suggestion ...` and `onecontact ledger overrides`, end to
end on SQLite and (when a server is reachable) PostgreSQL, with the bundled rules and the
bundled example contacts; texts in Finnish, Swedish and English."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oneContact.cli import main
from oneContact.engine import Engine
from oneContact.suggestions import OVERRIDE_REASONS, Suggestion, suggestions_of

from ..conftest import fresh_ledger_url

REPO = Path(__file__).resolve().parents[2]
CONTACTS = [
    json.loads(line)
    for line in (REPO / "examples" / "contacts.jsonl").read_text().splitlines()
    if line.strip()
][:6]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_ledger_url(request.param, tmp_path, "cli_overrides")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's usage errors
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def recorded(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> tuple[list[str], dict[str, list[Suggestion]]]:
    """The example contacts recorded through the command; the common options and each
    contact's suggestions (worked out here with the engine)."""
    common = ["--db", db, "--rules", str(REPO / "rules"), "--backend", "python"]
    engine = Engine.from_directory(REPO / "rules", backend="python")
    suggestions = {}
    for contact in CONTACTS:
        path = tmp_path / f"{contact['contact_id']}.json"
        path.write_text(json.dumps(contact), encoding="utf-8")
        code, out, err = run(capsys, "ledger", "record", *common, "--contact", str(path))
        assert (0, "", True) == (code, err, json.loads(out)["recorded"])
        suggestions[contact["contact_id"]] = list(suggestions_of(engine.assess(contact)))
    return common, suggestions


def feedback(
    capsys: pytest.CaptureFixture[str],
    common: list[str],
    suggestion: Suggestion,
    event: str,
    at: str,
    event_id: str,
    *reason: str,
) -> tuple[int, str, str]:
    extra = ["--reason", *reason] if reason else []
    return run(
        capsys,
        "ledger",
        "record",
        *common,
        "--suggestion",
        suggestion.id,
        "--event",
        f"{event}={at}",
        "--event-id",
        event_id,
        *extra,
    )


def at_of(contact_id: str, minutes: int = 30) -> str:
    received = next(c["received_at"] for c in CONTACTS if c["contact_id"] == contact_id)
    hh, mm = int(received[11:13]), int(received[14:16]) + minutes
    return f"{received[:11]}{hh + mm // 60:02d}:{mm % 60:02d}{received[16:]}"


def test_feedback_recorded_by_the_command_is_counted(
    capsys: pytest.CaptureFixture[str], recorded: Any, tmp_path: Path
) -> None:
    common, suggestions = recorded
    codes = list(OVERRIDE_REASONS)
    expected_reasons: Counter[str] = Counter()
    overridden_by_rule: Counter[str] = Counter()
    accepted = overridden = 0
    for i, (contact_id, found) in enumerate(suggestions.items()):
        for j, s in enumerate(found[:3]):
            if (i + j) % 3 == 0:
                reason = codes[(i + j) % len(codes)]
                code, out, err = feedback(
                    capsys, common, s, "suggestion_overridden", at_of(contact_id), f"o-{i}-{j}",
                    reason,
                )  # fmt: skip
                overridden += 1
                expected_reasons[reason] += 1
                overridden_by_rule.update(s.rules)
            else:
                code, out, err = feedback(
                    capsys, common, s, "suggestion_accepted", at_of(contact_id), f"a-{i}-{j}"
                )
                accepted += 1
            assert (0, "", True) == (code, err, json.loads(out)["recorded"])
    # The same feedback again: stored once.
    code, out, _ = feedback(
        capsys, common, suggestions[CONTACTS[0]["contact_id"]][0], "suggestion_overridden",
        at_of(CONTACTS[0]["contact_id"]), "o-0-0", codes[0],
    )  # fmt: skip
    assert (0, False) == (code, json.loads(out)["recorded"])

    code, out, err = run(capsys, "ledger", "overrides", *common, "--format", "json", "--top", "2")
    assert (0, "") == (code, err)
    found = json.loads(out)
    total = found["total"]
    assert (accepted, overridden) == (total["accepted"], total["overridden"])
    assert sum(len(v) for v in suggestions.values()) == total["suggested"]
    assert dict(expected_reasons) == total["reasons"]
    assert dict(overridden_by_rule) == {
        r: c["overridden"] for r, c in found["by_rule"].items() if c["overridden"]
    }
    assert len(found["disagreed"]) == 2

    code, out, _ = run(capsys, "ledger", "overrides", *common, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    (everything,) = [r for r in rows if r["dimension"] == "all"]
    assert (str(accepted), str(overridden)) == (everything["accepted"], everything["overridden"])

    texts = {}
    for language in ("fi", "sv", "en"):
        code, out, err = run(capsys, "ledger", "overrides", *common, "--language", language)
        assert (0, "") == (code, err)
        texts[language] = out
    assert "Säännöittäin" in texts["fi"]
    assert "Per regel" in texts["sv"]
    assert "By rule" in texts["en"]
    first_reason = expected_reasons.most_common(1)[0][0]
    for language in ("fi", "sv", "en"):
        assert OVERRIDE_REASONS[first_reason].get(language) in texts[language]
    # The rate is shown with its denominator.
    assert f"({overridden}/{accepted + overridden})" in texts["sv"]

    out_file = tmp_path / "overrides.txt"
    code, out, _ = run(
        capsys, "ledger", "overrides", *common, "--language", "sv", "--output", str(out_file)
    )
    assert (0, "") == (code, out)
    assert out_file.read_text(encoding="utf-8") == texts["sv"]

    # The access report carries the same section, in the page's language.
    code, out, _ = run(
        capsys, "ledger", "report", *common, "--since", "2025-03-01", "--until", "2025-04-01",
        "--format", "html", "--language", "sv",
    )  # fmt: skip
    assert 0 == code
    assert "Yrkespersonernas avvikelser" in out
    code, out, _ = run(
        capsys, "ledger", "report", *common, "--since", "2025-03-01", "--until", "2025-04-01",
        "--format", "html", "--language", "sv", "--no-overrides",
    )  # fmt: skip
    assert 0 == code
    assert "Yrkespersonernas avvikelser" not in out
    assert "<table" in out  # the rest of the report is there
    code, out, err = run(
        capsys, "ledger", "report", *common, "--since", "2025-03-01", "--until", "2025-04-01",
        "--format", "csv", "--table", "overrides", "--no-overrides",
    )  # fmt: skip
    assert (2, "") == (code, out)
    assert "--no-overrides" in err


def test_refused_feedback_exits_2_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], recorded: Any
) -> None:
    common, suggestions = recorded
    contact_id = CONTACTS[0]["contact_id"]
    s = suggestions[contact_id][0]
    before = run(capsys, "ledger", "overrides", *common, "--format", "json")[1]
    comment = "asiakas sanoi puhelimessa jotain muuta"
    cases = [
        (("suggestion_overridden", at_of(contact_id), "x-1", comment), "reason"),
        (("suggestion_overridden", at_of(contact_id), "x-2", "client_choise"), "client_choice"),
        (("suggestion_accepted", at_of(contact_id), "x-3", "client_choice"), "no reason"),
        (("need_assessed", at_of(contact_id), "x-4"), "suggestion_accepted=TIMESTAMP"),
        (("suggestion_accepted", at_of(contact_id, -60), "x-5"), "before contact"),
    ]
    for (event, at, event_id, *reason), said in cases:
        code, out, err = feedback(capsys, common, s, event, at, event_id, *reason)
        assert (2, "") == (code, out), err
        assert said in err
        assert comment not in err
        assert "Traceback" not in err
    unknown = Suggestion("0" * 8 + "-0000", contact_id, "route", "x", ())
    code, _, err = feedback(
        capsys, common, unknown, "suggestion_accepted", at_of(contact_id), "x-6"
    )
    assert 2 == code
    assert "no suggestion" in err
    for argv in (
        ["--reason", "client_choice", "--event", "suggestion_overridden=2025-03-04T10:00:00+02:00",
         "--event-id", "x-7", "--contact-id", contact_id],
        ["--suggestion", s.id, "--contact-id", contact_id, "--event-id", "x-8",
         "--event", "suggestion_accepted=2025-03-04T10:00:00+02:00"],
        ["--suggestion", s.id, "--event-id", "x-9"],
    ):  # fmt: skip
        code, out, err = run(capsys, "ledger", "record", *common, *argv)
        assert (2, "") == (code, out)
        assert "--suggestion" in err
    assert before == run(capsys, "ledger", "overrides", *common, "--format", "json")[1]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--top", "-1"], "--top"),
        (["--top", "10001"], "--top"),
        (["--since", "2025-04-01", "--until", "2025-03-01"], "until"),
        (["--since", "tomorrow"], "--since"),
        (["--format", "html"], "--format"),
    ],
)
def test_bad_overrides_options_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], said: str
) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    code, out, err = run(capsys, "ledger", "overrides", "--db", db, *argv)
    assert (2, "") == (code, out)
    assert said in err
    assert "Traceback" not in err
