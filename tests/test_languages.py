"""Text a person reads in Finnish, Swedish and English (Kielilaki 423/2003: a Swedish-
speaking client has a right to service in Swedish): the engine's messages, clock limits
and legal bases, the text output of assess and explain, choice labels, the HTML report,
and the refusal of untranslated rule texts by ``onecontact check``."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest

from oneContact import Engine, Ledger, ruleset
from oneContact._messages import MESSAGES, limit_label, placeholders, reading_language
from oneContact._text import LANGUAGES
from oneContact.cli import main
from oneContact.clocks import ClockSubject
from oneContact.errors import RuleError

from .conftest import BUNDLED_RULES, CATALOGUE, QUESTIONNAIRE, write_rules

# --------------------------------------------------------------------------- messages


def test_every_message_has_every_language_and_the_same_placeholders() -> None:
    """One table holds the engine's words; none lacks fi, sv or en, and a placeholder
    filled in one language is filled in all three."""
    for key, message in MESSAGES.items():
        assert message.complete, f"message {key!r} lacks {message.missing}"
        names = {lang: placeholders(getattr(message, lang)) for lang in LANGUAGES}
        assert names["fi"] == names["sv"] == names["en"], (key, names)


@pytest.mark.parametrize(
    ("kind", "amount", "fi", "sv", "en"),
    [
        ("weekdays", 7, "7 arkipäivää", "7 vardagar", "7 weekdays"),
        ("weekdays", 1, "1 arkipäivä", "1 vardag", "1 weekday"),
        ("days", 14, "14 päivää", "14 dagar", "14 days"),
        ("days", 1, "1 päivä", "1 dag", "1 day"),
        ("weeks", 2, "2 viikkoa", "2 veckor", "2 weeks"),
        ("months", 3, "3 kuukautta", "3 månader", "3 months"),
        ("months", 1, "1 kuukausi", "1 månad", "1 month"),
        ("same_day", 0, "samana päivänä", "samma dag", "same day"),
    ],
)
def test_clock_limits_have_the_plural_of_each_language(
    kind: str, amount: int, fi: str, sv: str, en: str
) -> None:
    found = limit_label(kind, amount)
    assert found is not None
    assert (fi, sv, en) == (found.fi, found.sv, found.en)


def test_office_hours_are_written_as_each_language_writes_them() -> None:
    found = limit_label("same_day", 0, (time(8), time(16)))
    assert found is not None
    assert "samana päivänä (virka-aikana 8.00–16.00)" == found.fi
    assert "samma dag (under tjänstetid 8.00–16.00)" == found.sv
    assert "same day (office hours 08:00-16:00)" == found.en  # the JSON's limit, unchanged
    assert limit_label("none") is None


@pytest.mark.parametrize(
    ("client", "shown"), [("fi", "fi"), ("sv", "sv"), ("en", "en"), ("ru", "fi"), (None, "fi")]
)
def test_a_client_language_not_fi_sv_en_is_served_in_finnish(
    client: str | None, shown: str
) -> None:
    assert shown == reading_language(client)


# --------------------------------------------------------------------------- a translated directory

_T = "{fi: %s, sv: %s, en: %s}"

TRANSLATED_POLICIES = """\
clocks:
  - id: need_assessment
    description: {fi: Hoidon tarpeen arviointi, sv: Bedömning av vårdbehovet, en: Assessment of the need for care}
    starts_on: contact_received
    stops_on: [need_assessed]
    versions:
      - basis:
          fi: "Terveydenhuoltolaki 1326/2010 § 51: hoidon tarve arvioidaan 3 arkipäivässä"
          sv: "Hälso- och sjukvårdslagen 1326/2010 § 51: vårdbehovet bedöms inom 3 vardagar"
          en: "Terveydenhuoltolaki 1326/2010 § 51: the need for care is assessed within 3 weekdays"
        limit: {weekdays: 3}
  - id: care
    description: {fi: Hoitoon pääsy, sv: Tillgång till vård, en: Access to care}
    starts_on: need_assessed
    stops_on: [care_started]
    versions:
      - basis:
          fi: "Terveydenhuoltolaki 1326/2010 § 51"
          sv: "Hälso- och sjukvårdslagen 1326/2010 § 51"
          en: "Terveydenhuoltolaki 1326/2010 § 51"
        variants:
          - when: {age_below: 23}
            limit: {days: 14}
            note: {fi: alle 23-vuotias, sv: under 23 år, en: under 23}
          - otherwise: true
            limit: {months: 3}
  - id: social_need_assessment
    description: {fi: Palvelutarpeen arviointi, sv: Bedömning av servicebehovet, en: Service-need assessment}
    starts_on: contact_received
    stops_on: [need_assessed]
    versions:
      - basis:
          fi: "Sosiaalihuoltolaki 1301/2014 § 36"
          sv: "Socialvårdslagen 1301/2014 § 36"
          en: "Sosiaalihuoltolaki 1301/2014 § 36"
        variants:
          - when: {age_at_least: 75}
            limit: {weekdays: 7}
          - otherwise: true
            limit:
              none: {fi: ilman aiheetonta viivytystä, sv: utan obefogat dröjsmål, en: without undue delay}
"""

TRANSLATED_REGION = """\
name: {fi: Testimaa, sv: Testland, en: Test region}
description: {fi: Alueen tavoitteet, sv: Regionens mål, en: The region's targets}
targets:
  - clock: care
    description: {fi: Tavoite, sv: Mål, en: Target}
    versions:
      - basis: {fi: Aluehallituksen päätös, sv: Regionstyrelsens beslut, en: Decision of the regional board}
        limit: {days: 30}
"""

LABELLED_QUESTIONNAIRE = QUESTIONNAIRE.replace(
    "    choices: [hours, days, weeks]\n",
    "    choices:\n"
    "      - {id: hours, label: {fi: tunteja, sv: timmar, en: hours}}\n"
    "      - {id: days, label: {fi: päiviä, sv: dagar, en: days}}\n"
    "      - {id: weeks, label: {fi: viikkoja, sv: veckor, en: weeks}}\n",
)

DESCRIBED_RULES = """\
rules:
  - id: acute.chest-pain
    description: {fi: Rintakipu on hätätilanne, sv: Bröstsmärta är en nödsituation, en: Chest pain is an emergency}
    when: chest_pain
    urgency: emergency
    services: [emergency_112]
    priority: 1
  - id: acute.any
    description: {fi: Äkillisen oireen hoidon tarve arvioidaan, sv: Vårdbehovet vid ett akut symtom bedöms, en: The need for care of an acute symptom is assessed}
    when: "'acute_symptom' in concerns"
    needs: [acute_care]
    services: [nurse]
    clocks: [need_assessment, care]
  - id: home.older
    description: {fi: Iäkkään palvelutarve arvioidaan, sv: En äldre persons servicebehov bedöms, en: An older person's service need is assessed}
    when: age >= 75 and 'home_care' in concerns
    urgency: non_urgent
    needs: [home_care_services]
    services: [service_coordinator]
    clocks: [social_need_assessment]
"""


def translated_rules(root: Path) -> Path:
    """A small rules directory in which every text a person reads is in fi, sv and en."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in {
        "questionnaire": LABELLED_QUESTIONNAIRE,
        # its policies have no treatment clock for the catalogue's default to name
        "catalogue": CATALOGUE.replace("  treatment_clock: care\n", ""),
        "rules": DESCRIBED_RULES,
    }.items():
        (root / f"{name}.yaml").write_text(content, encoding="utf-8")
    (root / "policies" / "regions").mkdir(parents=True)
    (root / "policies" / "health.yaml").write_text(TRANSLATED_POLICIES, encoding="utf-8")
    (root / "policies" / "regions" / "testimaa.yaml").write_text(
        TRANSLATED_REGION, encoding="utf-8"
    )
    return root


@pytest.fixture
def all_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The refusal switched on, as the lead will when the bundled rules are translated."""
    monkeypatch.setattr(ruleset, "REQUIRE_ALL_LANGUAGES", True)


def _contact(**over: Any) -> dict[str, Any]:
    contact: dict[str, Any] = {
        "contact_id": "fx-lang-1",
        "received_at": "2025-03-04T10:00:00+02:00",
        "channel": "phone",
        "client": {"age": 80, "language": "sv"},
        "concerns": ["acute_symptom", "home_care"],
        "answers": {"symptom_duration": "days"},
    }
    contact.update(over)
    return contact


def _write(tmp_path: Path, contact: dict[str, Any], name: str = "c.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(contact), encoding="utf-8")
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------- check refuses


@pytest.mark.usefixtures("all_languages")
def test_check_accepts_a_directory_in_three_languages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = translated_rules(tmp_path / "rules")
    code, out, err = _run(capsys, "check", str(rules), "--backend", "python")
    assert (0, "") == (code, err)
    assert "OK" in out


_EDITS = [
    # (file, old, new, the text named, the line of the text)
    (
        "rules.yaml",
        "{fi: Rintakipu on hätätilanne, sv: Bröstsmärta är en nödsituation, en: Chest pain is an emergency}",
        "Chest pain is an emergency",
        "the description of rule 'acute.chest-pain'",
        3,
    ),
    (
        "policies/health.yaml",
        '          sv: "Hälso- och sjukvårdslagen 1326/2010 § 51: vårdbehovet bedöms inom 3 vardagar"\n',
        "",
        "the basis of clock 'need_assessment'",
        8,
    ),
    (
        "policies/health.yaml",
        "note: {fi: alle 23-vuotias, sv: under 23 år, en: under 23}",
        "note: {fi: alle 23-vuotias, en: under 23}",
        "a variant's note of clock 'care'",
        24,
    ),
    (
        "policies/health.yaml",
        "none: {fi: ilman aiheetonta viivytystä, sv: utan obefogat dröjsmål, en: without undue delay}",
        "none: without undue delay",
        "the reason for no limit of clock 'social_need_assessment'",
        41,
    ),
    (
        "policies/health.yaml",
        "description: {fi: Hoitoon pääsy, sv: Tillgång till vård, en: Access to care}",
        "description: {sv: Tillgång till vård, en: Access to care}",
        "the description of clock 'care'",
        13,
    ),
    (
        "policies/regions/testimaa.yaml",
        "name: {fi: Testimaa, sv: Testland, en: Test region}",
        "name: Test region",
        "the name of region 'testimaa'",
        1,
    ),
    (
        "questionnaire.yaml",
        "      - {id: days, label: {fi: päiviä, sv: dagar, en: days}}\n",
        "      - days\n",
        "choice 'days' of question 'symptom_duration'",
        None,
    ),
]


@pytest.mark.usefixtures("all_languages")
@pytest.mark.parametrize(("file", "old", "new", "what", "line"), _EDITS)
def test_check_refuses_a_text_lacking_a_language(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    file: str,
    old: str,
    new: str,
    what: str,
    line: int | None,
) -> None:
    """Each kind of text a person reads, lacking a language: exit 1, one problem naming
    the text, its file and line, the languages it lacks and the fix."""
    rules = translated_rules(tmp_path / "rules")
    path = rules / file
    content = path.read_text(encoding="utf-8")
    assert old in content
    path.write_text(content.replace(old, new, 1), encoding="utf-8")
    code, _, err = _run(capsys, "check", str(rules), "--backend", "python")
    assert 1 == code
    problems = [p for p in err.splitlines() if "text-language-missing" in p]
    assert 1 == len(problems), err
    assert what in problems[0]
    assert problems[0].startswith(str(path))
    if line is not None:
        assert re.match(rf"{re.escape(str(path))}:{line}:\d+: ", problems[0]), problems[0]
    assert " lacks " in problems[0]
    assert "fi, sv and en" in problems[0]


def test_the_refusal_waits_for_the_switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The switch is on; turned off (a region translating its copy for a tool run), an
    untranslated text loads."""
    rules = translated_rules(tmp_path / "rules")
    path = rules / "rules.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(_EDITS[0][1], _EDITS[0][2]), encoding="utf-8"
    )
    assert ruleset.REQUIRE_ALL_LANGUAGES is True
    monkeypatch.setattr(ruleset, "REQUIRE_ALL_LANGUAGES", False)
    loaded = ruleset.load_ruleset(rules)
    assert loaded.rules[0].description is not None
    assert ("fi", "sv") == loaded.rules[0].description.missing


@pytest.mark.usefixtures("all_languages")
def test_the_message_says_how_to_fix_it(tmp_path: Path) -> None:
    rules = translated_rules(tmp_path / "rules")
    path = rules / "policies" / "health.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(_EDITS[2][1], _EDITS[2][2]), encoding="utf-8"
    )
    with pytest.raises(RuleError) as info:
        ruleset.load_ruleset(rules)
    assert "text-language-missing" == info.value.code
    assert "lacks sv" in str(info.value.problems[0])
    assert "add sv: ..." in str(info.value.problems[0])


def test_a_bad_choice_is_refused(tmp_path: Path) -> None:
    rules = translated_rules(tmp_path / "rules")
    path = rules / "questionnaire.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "{id: days, label: {fi: päiviä, sv: dagar, en: days}}",
            "{id: days, label: {fi: päiviä, en: days}}",
        ),
        encoding="utf-8",
    )
    with pytest.raises(RuleError) as info:
        ruleset.load_ruleset(rules)
    assert "label-missing" == info.value.code
    assert "choice 'days' of question 'symptom_duration'" in str(info.value.problems[0])


# --------------------------------------------------------------------------- assess, explain


def test_a_swedish_client_reads_swedish_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = translated_rules(tmp_path / "rules")
    contact = _write(tmp_path, _contact())
    code, out, _ = _run(
        capsys, "assess", contact, "--rules", str(rules), "--backend", "python", "--format", "text"
    )
    assert 0 == code
    assert "kontakt fx-lang-1" in out
    assert "brådskandegrad: icke-brådskande" in out
    assert ". nurse (yrkesperson): sjukskötare  [regel acute.any]" in out
    # Contact Tue 2025-03-04; 7 weekdays: Wed 5 .. Thu 13 March (no holidays).
    assert "- social_need_assessment: senast 2025-03-13 · öppen · 7 vardagar" in out
    assert "Bedömning av servicebehovet" in out
    assert "rättslig grund: Socialvårdslagen 1301/2014 § 36" in out
    # The care clock waits for the need assessment.
    assert "inte påbörjad (börjar vid händelsen need_assessed)" in out
    assert "En äldre persons servicebehov bedöms" in out  # the rule's description


def test_the_language_option_overrides_the_client(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = translated_rules(tmp_path / "rules")
    contact = _write(tmp_path, _contact())
    code, out, _ = _run(
        capsys,
        "assess",
        contact,
        "--rules",
        str(rules),
        "--backend",
        "python",
        "--format",
        "text",
        "--language",
        "en",
        "--event",
        "need_assessed=2025-03-05T09:00:00+02:00",
    )
    assert 0 == code
    assert "urgency: non-urgent" in out
    # Need assessed Wed 2025-03-05, client 80: 3 months -> Thu 2025-06-05.
    assert "- care: due 2025-06-05 · open · 3 months" in out
    assert "legal basis: Terveydenhuoltolaki 1326/2010 § 51" in out
    assert "- social_need_assessment: due 2025-03-13 · met · 7 weekdays" in out


def test_a_finnish_client_and_an_unknown_language_read_finnish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = translated_rules(tmp_path / "rules")
    for language in ("fi", "ru"):
        contact = _write(tmp_path, _contact(client={"age": 20, "language": language}))
        code, out, _ = _run(
            capsys,
            "assess",
            contact,
            "--rules",
            str(rules),
            "--backend",
            "python",
            "--format",
            "text",
            "--event",
            "need_assessed=2025-03-04T12:00:00+02:00",
        )
        assert 0 == code
        assert "kiireellisyys: kiireetön" in out
        # Need assessed Tue 2025-03-04, client 20: 14 days -> Tue 2025-03-18.
        assert "- care: määräpäivä 2025-03-18 · avoin · 14 päivää" in out
        assert "oikeusperusta: Terveydenhuoltolaki 1326/2010 § 51; alle 23-vuotias" in out
        # Need assessed on the contact day: 3 weekdays is Fri 2025-03-07; met that day.
        assert (
            "- need_assessment: määräpäivä 2025-03-07 · toteutui määräajassa · 3 arkipäivää" in out
        )


def test_the_json_contract_stays_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--format json keeps its English basis and limit strings, whatever the client's
    language."""
    rules = translated_rules(tmp_path / "rules")
    contact = _write(tmp_path, _contact())
    code, out, _ = _run(capsys, "assess", contact, "--rules", str(rules), "--backend", "python")
    assert 0 == code
    clocks = {c["clock"]: c for c in json.loads(out)["clocks"]}
    assert "7 weekdays" == clocks["social_need_assessment"]["limit"]
    assert "Sosiaalihuoltolaki 1301/2014 § 36" == clocks["social_need_assessment"]["basis"]


def test_explain_shows_descriptions_and_choice_labels_in_the_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = translated_rules(tmp_path / "rules")
    contact = _write(tmp_path, _contact())
    code, out, _ = _run(capsys, "explain", contact, "--rules", str(rules), "--backend", "python")
    assert 0 == code
    assert "Vårdbehovet vid ett akut symtom bedöms" in out
    assert "brådskandegrad: icke-brådskande  <- home.older" in out
    engine = Engine.from_directory(rules, backend="python")
    explanation = engine.explain(_contact(answers={"symptom_duration": "days"}))
    question = engine.ruleset.questionnaire.questions["symptom_duration"]
    assert "days (dagar)" == question.answer_text("days", "sv")
    assert "days (päiviä)" == question.answer_text("days", "fi")
    assert "The need for care of an acute symptom is assessed" in explanation.to_text(language="en")


def test_why_not_shows_choice_labels(tmp_path: Path) -> None:
    rules = translated_rules(tmp_path / "rules")
    (rules / "rules.yaml").write_text(
        DESCRIBED_RULES
        + textwrap.indent(
            textwrap.dedent(
                """\
                - id: acute.lasting
                  when: symptom_duration == 'weeks'
                  urgency: urgent
                  services: [nurse]
                """
            ),
            "  ",
        ),
        encoding="utf-8",
    )
    engine = Engine.from_directory(rules, backend="python")
    answer = engine.why_not(_contact(), "urgent")
    said = answer.to_text()
    assert "varför inte brådskande? (nu icke-brådskande)" in said
    assert "answers.symptom_duration: days (dagar) -> weeks (veckor)  => acute.lasting" in said


def test_the_bundled_rules_answer_in_swedish_and_finnish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bundled-rules contact: the engine's own words and the catalogue's names are in
    the client's language (the rule texts follow as the rule files are translated)."""
    contact = json.loads((BUNDLED_RULES.parent / "examples" / "contact.json").read_text("utf-8"))
    contact["contact_id"] = "fx-bundled-sv"
    del contact["free_text"]
    contact["client"]["language"] = "sv"
    path = _write(tmp_path, contact)
    args = (
        "assess",
        path,
        "--rules",
        str(BUNDLED_RULES),
        "--backend",
        "python",
        "--format",
        "text",
    )
    code, out, _ = _run(capsys, *args)
    assert 0 == code
    assert "brådskandegrad: icke-brådskande" in out
    assert "servicehandledare" in out
    # Received Thu 2025-04-17 15:40; 7 weekdays counting Fri 18 (Good Friday) and Mon 21
    # (Easter Monday) out: 22, 23, 24, 25, 28, 29, 30 April.
    assert "- social_need_assessment: senast 2025-04-30 · öppen · 7 vardagar" in out
    code, out, _ = _run(capsys, *args, "--language", "fi")
    assert "kiireellisyys: kiireetön" in out
    assert "palveluohjaaja" in out
    assert "- social_need_assessment: määräpäivä 2025-04-30 · avoin · 7 arkipäivää" in out


# --------------------------------------------------------------------------- the HTML report


def _report_html(tmp_path: Path, capsys: pytest.CaptureFixture[str], language: str) -> str:
    rules = tmp_path / "rules"
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    if not (tmp_path / "ledger.db").exists():
        translated_rules(rules)
        contact = _write(tmp_path, _contact(client={"age": 30, "language": "sv"}))
        code, _, err = _run(
            capsys, "ledger", "record", "--db", db, "--rules", str(rules), "--contact", contact
        )
        assert 0 == code, err
        for name, at, event_id in (
            ("need_assessed", "2025-03-04T12:00:00+02:00", "e1"),
            ("care_started", "2025-07-10T09:00:00+03:00", "e2"),
        ):
            code, _, err = _run(
                capsys, "ledger", "record", "--db", db, "--rules", str(rules),
                "--event", f"{name}={at}", "--contact-id", "fx-lang-1", "--event-id", event_id,
            )  # fmt: skip
            assert 0 == code, err
    out = tmp_path / f"report-{language}.html"
    code, _, err = _run(
        capsys, "ledger", "report", "--db", db, "--rules", str(rules),
        "--since", "2025-03-01", "--until", "2025-08-01", "--now", "2025-08-01T00:00:00+03:00",
        "--format", "html", "--language", language, "--output", str(out),
    )  # fmt: skip
    assert 0 == code, err
    return out.read_text(encoding="utf-8")


def test_the_html_report_is_in_the_language_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = _report_html(tmp_path, capsys, "sv")
    assert '<html lang="sv">' in page
    assert "<h1>Tillgång till vård: 2025-03-01–2025-07-31</h1>" in page
    assert "Hur länge klienterna väntade på vård, per tjänst" in page
    assert "sjukskötare" in page  # the service's name, not its code
    assert ">nurse<" not in page
    assert "<th>överskridna</th>" in page or 'title="' in page
    finnish = _report_html(tmp_path, capsys, "fi")
    assert '<html lang="fi">' in finnish
    assert "Ylitykset:" in finnish
    assert "sairaanhoitaja" in finnish
    english = _report_html(tmp_path, capsys, "en")
    assert '<html lang="en">' in english
    assert "Access to care: 2025-03-01 to 2025-07-31" in english


def test_the_html_report_of_a_ledger_without_a_catalogue_names_bundled_services(
    tmp_path: Path,
) -> None:
    """Report.to_html(language) without a catalogue reads the bundled one's names."""
    rules = write_rules(tmp_path / "rules")
    shutil.rmtree(rules / "policies")
    shutil.copytree(BUNDLED_RULES / "policies", rules / "policies")
    engine = Engine.from_directory(rules, backend="python")
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}", policies=engine.ruleset.policies) as ledger:
        ledger.record_assessment(engine.assess(_contact(answers={})))
        report = ledger.report(
            since=datetime(2025, 3, 1, tzinfo=UTC), until=datetime(2025, 4, 1, tzinfo=UTC)
        )
    page = report.to_html("sv")
    assert '<html lang="sv">' in page
    assert '<td class="k">servicehandledare</td>' in page  # the bundled catalogue's name


# --------------------------------------------------------------------------- clocks


def test_a_clock_carries_its_texts_in_every_language_also_from_the_ledger(tmp_path: Path) -> None:
    """The ledger keeps the English texts (its projection is unchanged); the clocks it
    gives back are rendered in every language from the policies it was opened with."""
    rules = translated_rules(tmp_path / "rules")
    engine = Engine.from_directory(rules, backend="python", region="testimaa")
    contact = _contact(client={"age": 20, "language": "sv"})
    at = datetime(2025, 3, 4, 12, tzinfo=UTC)
    assessment = engine.assess(contact, events={"need_assessed": at})
    care = next(c for c in assessment.clocks if c.clock == "care")
    assert "Terveydenhuoltolaki 1326/2010 § 51; under 23" == care.basis
    assert "Hälso- och sjukvårdslagen 1326/2010 § 51; under 23 år" == care.basis_in("sv")
    assert "14 dagar" == care.limit_in("sv")
    # The region's 30 days are later than the law's 14: the target is capped to the law.
    assert care.target_basis_text is not None
    assert care.target_basis_text.sv == (
        "Regionstyrelsens beslut; den lagstadgade sista dagen är här tidigare och är också målet"
    )
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}", policies=engine.ruleset.policies) as ledger:
        ledger.record_assessment(assessment)
        ledger.record("fx-lang-1", "need_assessed", at=at, event_id="e1")
        kept = {c.id: c.clock for c in ledger.clocks("fx-lang-1", now=at)}
    assert care == kept["care"]
    assert "Hälso- och sjukvårdslagen 1326/2010 § 51; under 23 år" == kept["care"].basis_in("sv")
    (social,) = engine.ruleset.policies.compute(
        ["social_need_assessment"], subject=ClockSubject(age=40), received_at=at
    )
    assert "Socialvårdslagen 1301/2014 § 36; utan obefogat dröjsmål" == social.basis_in("sv")
    assert social.limit_in("sv") is None


def test_a_clock_not_started_says_so_in_every_language(tmp_path: Path) -> None:
    rules = translated_rules(tmp_path / "rules")
    engine = Engine.from_directory(rules, backend="python")
    care = next(c for c in engine.assess(_contact()).clocks if c.clock == "care")
    assert "not started: starts when 'need_assessed' happens" == care.basis
    assert "inte påbörjad: börjar när need_assessed inträffar" == care.basis_in("sv")
    assert "ei alkanut: alkaa, kun tapahtuu need_assessed" == care.basis_in("fi")
    policies = engine.ruleset.policies
    assert "written by hand" == policies.basis_label("written by hand").get("sv")
