"""``onecontact fhir questionnaire|assess|next-question``: FHIR R4 on the command line,
every output validated as FHIR R4 (tests/fhir_r4.py); refusals as an OperationOutcome on
stderr, exit 2, nothing of the client's echoed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oneContact.cli import main

from .conftest import BUNDLED_RULES, REPO
from .fhir_r4 import validate

FAST = ("--rules", str(BUNDLED_RULES), "--backend", "python")
RESPONSE = REPO / "examples" / "questionnaire-response.json"
PATIENT = REPO / "examples" / "patient.json"
CONTACT = REPO / "examples" / "contact.json"
NOW = ("--now", "2025-04-18T10:00:00+03:00")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_questionnaire(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fhir", "questionnaire", "--rules", str(BUNDLED_RULES))
    assert code == 0
    form = json.loads(out)
    validate(form)
    assert form["resourceType"] == "Questionnaire"
    code, out, _ = run(capsys, "fhir", "questionnaire", "--adaptive")
    assert code == 0
    assert "item" not in json.loads(out)


def _resources(out: str) -> list[dict[str, Any]]:
    found = json.loads(out)
    validate(found)
    return [entry["resource"] for entry in found["entry"]]


def test_assess_a_response_with_its_patient_in_swedish(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "fhir", "assess", str(RESPONSE), "--patient", str(PATIENT), *FAST, *NOW
    )
    assert code == 0, err
    resources = _resources(out)
    requests = [r for r in resources if r["resourceType"] == "ServiceRequest"]
    # The Patient's preferred language (sv-FI) and the response's own (sv): Swedish names.
    assert requests[0]["code"]["text"] == "sjukskötare"
    # The record system's own Patient is the subject of every resource.
    assert {json.dumps(r.get("subject", r.get("for"))) for r in resources[:-1]} == {
        json.dumps({"reference": "Patient/omaks-patient-8841"})
    }
    assert resources[-1]["recorded"] == "2025-04-18T10:00:00+03:00"


def test_assess_a_plain_contact_as_a_transaction(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "fhir",
        "assess",
        str(CONTACT),
        *FAST,
        *NOW,
        "--type",
        "transaction",
        "--language",
        "en",
    )
    assert code == 0
    found = json.loads(out)
    validate(found)
    assert found["type"] == "transaction"
    assert "Äiti" not in out  # the contact's free text stays out
    requests = [
        e["resource"] for e in found["entry"] if e["resource"]["resourceType"] == "ServiceRequest"
    ]
    assert requests[0]["code"]["text"] == "nurse"


def test_a_refused_response_is_an_operation_outcome(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    response = json.loads(RESPONSE.read_text("utf-8"))
    response["identifier"] = {"value": "131052-308T"}
    path = tmp_path / "response.json"
    path.write_text(json.dumps(response), encoding="utf-8")
    code, out, err = run(capsys, "fhir", "assess", str(path), *FAST, "--language", "sv")
    assert code == 2
    assert out == ""
    outcome = json.loads(err)
    validate(outcome)
    assert outcome["issue"][0]["code"] == "security"
    assert outcome["issue"][0]["details"]["text"] == "Skriv inte en personbeteckning här."
    assert "131052-308T" not in err


def test_a_response_without_an_age_names_the_item(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "fhir", "assess", str(RESPONSE), *FAST, "--language", "fi")
    assert code == 2
    outcome = json.loads(err)
    validate(outcome)
    assert outcome["issue"][0]["expression"] == [
        "QuestionnaireResponse.repeat(item).where(linkId = 'client.age')"
    ]
    assert outcome["issue"][0]["details"]["text"] == "Tämä tieto on pakollinen."


def test_not_json_is_refused_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "x.json"
    path.write_text("[1, 2", encoding="utf-8")
    code, _, err = run(capsys, "fhir", "assess", str(path), *FAST)
    assert code == 2
    validate(json.loads(err))
    assert "Traceback" not in err


def test_next_question(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    response = json.loads(RESPONSE.read_text("utf-8"))
    response["status"] = "in-progress"
    response["item"] = response["item"][:2]
    path = tmp_path / "step.json"
    path.write_text(json.dumps(response), encoding="utf-8")
    code, out, err = run(
        capsys, "fhir", "next-question", str(path), "--patient", str(PATIENT), *FAST
    )
    assert code == 0, err
    step = json.loads(out)
    validate(step)
    assert step["status"] == "in-progress"
    links = [i["linkId"] for i in step["contained"][0]["item"]]
    assert links[:2] == ["client", "concerns"]
    assert "fall_and_cannot_get_up" in links


def test_the_reference_shows_the_usage_and_refusal_of_today(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """docs/reference/cli.md shows what ``onecontact fhir ... --help`` prints (at 80
    columns), and the OperationOutcome its example refusal prints, word for word."""
    page = (REPO / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    monkeypatch.setenv("COLUMNS", "80")
    for command in ("questionnaire", "assess", "next-question"):
        out = run(capsys, "fhir", command, "--help")[1]
        assert out.partition("\n\n")[0] in page
    documented = (
        '{"resourceType":"QuestionnaireResponse","id":"x-1",'
        '"authored":"2025-04-17T15:40:00+03:00","item":[{"linkId":"concerns",'
        '"answer":[{"valueCoding":{"code":"home_care"}}]},{"linkId":"recnt_fall",'
        '"answer":[{"valueBoolean":true}]}]}'
    )
    assert f"echo '{documented}' | onecontact fhir assess -" in page
    path = tmp_path / "response.json"
    path.write_text(documented, encoding="utf-8")
    code, out, err = run(capsys, "fhir", "assess", str(path), *FAST)
    assert (code, out) == (2, "")
    assert err.strip() in page
    assert "recent_fall" in err
