"""Professionals' feedback in the ledger (``Ledger.record_feedback``) and the overrides
report (``Ledger.overrides``), on SQLite and (when a server is reachable) PostgreSQL.

The contacts are the bundled examples (examples/contacts.jsonl) assessed with the
bundled rules; the expected figures are counted in the test from the suggestions and the
feedback it recorded, independently of the report's own tally.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from oneContact.engine import Assessment, Engine
from oneContact.errors import LedgerArgumentError, LedgerError, LedgerStoreError
from oneContact.ledger import Ledger
from oneContact.ledger._schema import PG_SCHEMA, SQLITE_SCHEMA
from oneContact.ledger._writing import contact_row
from oneContact.report.overrides import UNSPECIFIED
from oneContact.suggestions import OVERRIDE_REASONS, Feedback, Suggestion, suggestions_of

from ..conftest import fresh_ledger_url
from ..conftest import raw_sql as raw

REPO = Path(__file__).resolve().parents[2]
CONTACTS = [
    json.loads(line)
    for line in (REPO / "examples" / "contacts.jsonl").read_text().splitlines()
    if line.strip()
]
NEW_TABLES = ("ledger_suggestions", "ledger_feedback")
NEW_PARTS = (*NEW_TABLES, "ledger_events_feedback")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_directory(REPO / "rules", backend="python")


@pytest.fixture(scope="module")
def assessments(engine: Engine) -> list[Assessment]:
    return [engine.assess(contact) for contact in CONTACTS]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_ledger_url(request.param, tmp_path, "feedback_test")


@pytest.fixture
def ledger(url: str, engine: Engine, assessments: list[Assessment]) -> Iterator[Ledger]:
    with Ledger.open(url, policies=engine.ruleset.policies) as opened:
        for assessment in assessments:
            assert opened.record_assessment(assessment)
        yield opened


def everything(url: str) -> list[list[tuple[Any, ...]]]:
    """Every stored row of the data tables: what "changes nothing" is checked against."""
    return [
        raw(url, f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608 - fixed names
        for table in ("ledger_contacts", "ledger_events", *NEW_TABLES)
    ]


def later(assessment: Assessment, minutes: int) -> datetime:
    return assessment.received_at + timedelta(minutes=minutes)


# --------------------------------------------------------------------------- storing


def test_recording_an_assessment_stores_its_suggestions(
    ledger: Ledger, url: str, assessments: list[Assessment]
) -> None:
    expected = sorted(
        (s.id, s.contact_id, s.kind, s.value, " ".join(s.rules))
        for a in assessments
        for s in suggestions_of(a)
    )
    assert expected == sorted(raw(url, "SELECT * FROM ledger_suggestions"))
    # Some suggestion of the examples was made by no rule, and some by several.
    assert len({row[0] for row in expected}) == len(expected)
    # Recording the same assessment again stores nothing more.
    before = everything(url)
    assert not ledger.record_assessment(assessments[0])
    assert before == everything(url)


def test_feedback_is_an_event_on_the_contact_linked_to_its_suggestion(
    ledger: Ledger, url: str, assessments: list[Assessment]
) -> None:
    a = assessments[0]
    urgency = suggestions_of(a)[0]
    fb = Feedback(urgency.id, "overridden", later(a, 5), "fb-1", "rule_seems_wrong")
    assert ledger.record_feedback(fb)
    events = ledger.events(a.contact_id)
    assert ("suggestion_overridden", later(a, 5), "fb-1") == (
        events[-1].event,
        events[-1].at,
        events[-1].event_id,
    )
    assert [("fb-1", urgency.id, "rule_seems_wrong")] == raw(url, "SELECT * FROM ledger_feedback")
    # Idempotent on the event id.
    before = everything(url)
    assert not ledger.record_feedback(fb)
    assert before == everything(url)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": "client_choice"}, "event_id"),
        ({"outcome": "accepted", "reason": None}, "event_id"),
        ({"at": 6}, "event_id"),
        ({"suggestion": 1}, "event_id"),
    ],
)
def test_the_same_event_id_with_other_content_is_refused(
    ledger: Ledger, url: str, assessments: list[Assessment], change: dict[str, Any], field: str
) -> None:
    a = assessments[0]
    suggestions = suggestions_of(a)
    ledger.record_feedback(
        Feedback(suggestions[0].id, "overridden", later(a, 5), "fb-1", "rule_seems_wrong")
    )
    before = everything(url)
    other = Feedback(
        suggestions[change.get("suggestion", 0)].id,
        change.get("outcome", "overridden"),
        later(a, change.get("at", 5)),
        "fb-1",
        change.get("reason", "rule_seems_wrong"),
    )
    with pytest.raises(LedgerError) as info:
        ledger.record_feedback(other)
    assert ("event-id-conflict", field) == (info.value.code, info.value.field)
    assert before == everything(url)


def test_an_event_id_of_a_whole_assessment_override_is_not_feedback_on_one_suggestion(
    ledger: Ledger, url: str, assessments: list[Assessment]
) -> None:
    a = assessments[1]
    ledger.record(a.contact_id, "suggestion_overridden", at=later(a, 5), event_id="fb-9")
    before = everything(url)
    with pytest.raises(LedgerError, match="whole assessment") as info:
        ledger.record_feedback(Feedback(suggestions_of(a)[0].id, "overridden", later(a, 5), "fb-9"))
    assert "event-id-conflict" == info.value.code
    assert before == everything(url)


# --------------------------------------------------------------------------- refusals


def test_refusals_name_the_field_and_change_nothing(
    ledger: Ledger, url: str, assessments: list[Assessment]
) -> None:
    a = assessments[0]
    sid = suggestions_of(a)[0].id
    before = everything(url)

    def refused(fb: object) -> LedgerError:
        with pytest.raises(LedgerError) as info:
            ledger.record_feedback(fb)  # type: ignore[arg-type]
        assert before == everything(url)
        return info.value

    unknown = refused(Feedback("0" * 8 + "-dead-beef", "overridden", later(a, 1), "x-1"))
    assert ("unknown-suggestion", "suggestion_id") == (unknown.code, unknown.field)
    assert isinstance(unknown, LedgerArgumentError)
    assert "record_assessment" in str(unknown)

    typo = refused(Feedback(sid, "overridden", later(a, 1), "x-2", "rule_seem_wrong"))
    assert ("unknown-override-reason", "reason", "rule_seems_wrong") == (
        typo.code,
        typo.field,
        typo.suggestion,
    )
    # A reason that reads as text is never repeated: it may be a professional's comment.
    comment = "Potilas kertoi puhelimessa, ettei kipua enää ole"
    text = refused(Feedback(sid, "overridden", later(a, 1), "x-3", comment))
    assert "unknown-override-reason" == text.code
    assert "Potilas" not in str(text)
    assert "clinical_judgement" in str(text)

    accepted = refused(Feedback(sid, "accepted", later(a, 1), "x-4", "client_choice"))
    assert ("bad-argument", "reason") == (accepted.code, accepted.field)
    early = refused(Feedback(sid, "accepted", later(a, -1), "x-5"))
    assert ("before-contact", "at") == (early.code, early.field)
    naive = refused(Feedback(sid, "accepted", datetime(2025, 3, 5, 12), "x-6"))
    assert "at" == naive.field
    code = refused(Feedback("010199-123Y", "accepted", later(a, 1), "x-7"))
    assert ("identity-code", "suggestion_id") == (code.code, code.field)
    assert "010199" not in str(code)
    assert "bad-feedback" == refused("accepted").code


def test_a_batch_is_recorded_whole_or_not_at_all(
    ledger: Ledger, url: str, assessments: list[Assessment]
) -> None:
    a = assessments[2]
    s = suggestions_of(a)
    good = [Feedback(x.id, "accepted", later(a, 3), f"b-{i}") for i, x in enumerate(s)]
    bad = Feedback(s[0].id, "overridden", later(a, 4), "b-bad", "no_such_reason")
    before = everything(url)
    with pytest.raises(LedgerError) as info:
        ledger.record_feedback_many([*good, bad])
    assert f"feedback[{len(good)}].reason" == info.value.field
    assert before == everything(url)
    missing = Feedback("f" * 8 + "-0000", "accepted", later(a, 4), "b-missing")
    with pytest.raises(LedgerError) as info:
        ledger.record_feedback_many([*good, missing])
    assert ("unknown-suggestion", f"feedback[{len(good)}].suggestion_id") == (
        info.value.code,
        info.value.field,
    )
    assert before == everything(url)
    assert len(good) == ledger.record_feedback_many([*good, good[0]])
    assert 0 == ledger.record_feedback_many(good)


# --------------------------------------------------------------------------- events


def test_feedback_events_start_and_stop_no_clock(
    ledger: Ledger, assessments: list[Assessment]
) -> None:
    """The two feedback events are recordable (by record() too) and no clock reads them."""
    assert not {"suggestion_accepted", "suggestion_overridden"} & ledger.policies.events
    for a in assessments:
        now = later(a, 60 * 24 * 30)
        before = [c.to_json() for c in ledger.clocks(a.contact_id, now=now)]
        ledger.record(
            a.contact_id, "suggestion_overridden", at=later(a, 1), event_id=f"{a.contact_id}.o"
        )
        for s in suggestions_of(a):
            ledger.record_feedback(Feedback(s.id, "accepted", later(a, 2), f"{s.id}.a"))
        assert before == [c.to_json() for c in ledger.clocks(a.contact_id, now=now)]


# --------------------------------------------------------------------------- the report


def _expected(
    assessments: list[Assessment],
    answers: dict[str, list[tuple[datetime, int, str, str | None]]],
    whole: dict[str, list[tuple[datetime, int, str]]],
) -> dict[str, Any]:
    """The report's figures counted here, the plain way: for each suggestion, every
    answer (its own, and its contact's whole-assessment ones) sorted, the last kept."""
    by_rule: dict[str, Counter[str]] = defaultdict(Counter)
    by_urgency: dict[str, Counter[str]] = defaultdict(Counter)
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: Counter[str] = Counter()
    per_contact: dict[str, int] = {}
    for a in assessments:
        overridden_here = 0
        for s in suggestions_of(a):
            candidates = list(answers.get(s.id, []))
            candidates += [
                (at, n, outcome, UNSPECIFIED) for at, n, outcome in whole.get(a.contact_id, [])
            ]
            final = sorted(candidates)[-1] if candidates else None
            outcome = "unanswered" if final is None else final[2]
            groups = [by_kind[s.kind], by_urgency[a.urgency]]
            groups += [by_rule[r] for r in s.rules] or [by_rule[""]]
            for g in groups:
                g["suggested"] += 1
                g[outcome] += 1
            if outcome == "overridden":
                assert final is not None
                reasons[final[3] or UNSPECIFIED] += 1
                overridden_here += 1
        if overridden_here:
            per_contact[a.contact_id] = overridden_here
    return {
        "by_rule": by_rule,
        "by_urgency": by_urgency,
        "by_kind": by_kind,
        "reasons": reasons,
        "per_contact": per_contact,
    }


def _figures(counts: dict[str, Any]) -> Counter[str]:
    return Counter(
        {k: counts[k] for k in ("suggested", "accepted", "overridden", "unanswered") if counts[k]}
    )


def test_the_overrides_report_counts_what_was_recorded(
    ledger: Ledger, assessments: list[Assessment]
) -> None:
    rng = random.Random(14)
    reasons = [*OVERRIDE_REASONS, None]
    answers: dict[str, list[tuple[datetime, int, str, str | None]]] = defaultdict(list)
    whole: dict[str, list[tuple[datetime, int, str]]] = defaultdict(list)
    n = 0
    for a in assessments:
        for s in suggestions_of(a):
            for _ in range(rng.choice([0, 1, 1, 2])):
                n += 1
                outcome = rng.choice(["accepted", "overridden"])
                reason = rng.choice(reasons) if outcome == "overridden" else None
                at = later(a, rng.randrange(1, 120))
                ledger.record_feedback(Feedback(s.id, outcome, at, f"f-{n}", reason))
                answers[s.id].append((at, n, outcome, reason))
        if rng.random() < 0.3:
            n += 1
            outcome = rng.choice(["accepted", "overridden"])
            at = later(a, rng.randrange(1, 120))
            ledger.record(a.contact_id, f"suggestion_{outcome}", at=at, event_id=f"w-{n}")
            whole[a.contact_id].append((at, n, outcome))
    assert whole, "the seed gives some whole-assessment feedback"
    expected = _expected(assessments, answers, whole)
    found = ledger.overrides(top=5).to_json()

    assert len(assessments) == found["contacts"]
    assert 0 == found["contacts_without_suggestions"]
    assert sum(len(v) for v in whole.values()) == found["whole_assessment_feedback"]
    for name in ("by_kind", "by_urgency"):
        assert dict(expected[name]) == {
            k: _figures(v) for k, v in found[name].items() if v["suggested"]
        }
    rules = {k: _figures(v) for k, v in found["by_rule"].items()}
    default = expected["by_rule"].pop("", Counter())
    assert dict(expected["by_rule"]) == rules
    assert default == _figures(found["defaults"])
    assert dict(expected["reasons"]) == found["total"]["reasons"]
    total = found["total"]
    assert total["answered"] == total["accepted"] + total["overridden"]
    assert total["override_rate"] == pytest.approx(total["overridden"] / total["answered"])
    for counts in found["by_rule"].values():
        if counts["answered"] == 0:
            assert counts["override_rate"] is None
    # Most overridden rule first.
    overridden = [v["overridden"] for v in found["by_rule"].values()]
    assert overridden == sorted(overridden, reverse=True)
    # The top contacts: the most overridden suggestions first.
    top = sorted(expected["per_contact"].items(), key=lambda kv: -kv[1])
    shown = [(c["contact_id"], c["overridden"]) for c in found["disagreed"]]
    assert len(shown) == min(5, len(top))
    assert [n for _, n in shown] == [n for _, n in top[: len(shown)]]
    for contact_id, count in shown:
        assert expected["per_contact"][contact_id] == count


def test_the_latest_answer_counts_and_a_whole_assessment_override_reaches_every_rule(
    ledger: Ledger, assessments: list[Assessment]
) -> None:
    a = next(a for a in assessments if len({r for s in suggestions_of(a) for r in s.rules}) > 1)
    s = suggestions_of(a)
    ledger.record_feedback(Feedback(s[0].id, "overridden", later(a, 1), "l-1", "client_choice"))
    ledger.record_feedback(Feedback(s[0].id, "accepted", later(a, 2), "l-2"))
    o = ledger.overrides()
    assert (1, 0) == (o.total.accepted, o.total.overridden)
    ledger.record(a.contact_id, "suggestion_overridden", at=later(a, 3), event_id="l-3")
    o = ledger.overrides()
    assert (0, len(s)) == (o.total.accepted, o.total.overridden)
    assert {UNSPECIFIED: len(s)} == dict(o.total.reasons)
    rules = {r for x in s for r in x.rules}
    assert rules == {r for r, c in o.by_rule.items() if c.overridden}
    (contact,) = o.disagreed
    assert (a.contact_id, a.urgency, tuple(sorted(rules))) == (
        contact.contact_id,
        contact.urgency,
        contact.rules,
    )


def test_the_period_and_now_choose_what_counts(
    ledger: Ledger, assessments: list[Assessment]
) -> None:
    for a in assessments:
        s: Suggestion = suggestions_of(a)[0]
        ledger.record_feedback(Feedback(s.id, "overridden", later(a, 60), f"{a.contact_id}.p"))
    since, until = assessments[3].received_at, assessments[8].received_at
    inside = [a for a in assessments if since <= a.received_at < until]
    o = ledger.overrides(since=since, until=until)
    assert (len(inside), len(inside)) == (o.contacts, o.total.overridden)
    assert sum(len(suggestions_of(a)) for a in inside) == o.total.suggested
    o = ledger.overrides(
        since=since, until=until, now=inside[-1].received_at + timedelta(minutes=30)
    )
    assert len(inside) - 1 == o.total.overridden
    assert 0 == ledger.overrides(top=0).disagreed.__len__()
    with pytest.raises(LedgerArgumentError) as info:
        ledger.overrides(since=until, until=since)
    assert ("bad-period", "until") == (info.value.code, info.value.field)
    with pytest.raises(LedgerArgumentError) as info:
        ledger.overrides(top=-1)
    assert "top" == info.value.field


def test_the_access_report_has_the_overrides_section(
    ledger: Ledger, assessments: list[Assessment]
) -> None:
    a = assessments[0]
    s = suggestions_of(a)[0]
    ledger.record_feedback(Feedback(s.id, "overridden", later(a, 5), "r-1", "already_in_care"))
    report = ledger.report(
        since=assessments[0].received_at, until=assessments[-1].received_at + timedelta(days=1)
    )
    assert report.overrides is not None
    assert 1 == report.overrides.total.overridden
    assert "Professionals' overrides" in report.to_text()
    page = report.to_html(language="fi")
    assert "Ammattilaisten ohitukset" in page
    assert 'data-reason="already_in_care"' in page
    assert "Asiakas on jo hoidossa" in page
    sv = report.to_html(language="sv")
    assert "Yrkespersonernas avvikelser" in sv
    csv_text = report.to_csv(table="overrides")
    assert csv_text.splitlines()[0].startswith("dimension,key,suggested")
    assert "rule" in {line.split(",")[0] for line in csv_text.splitlines()[1:]}
    assert 1 == report.to_json()["overrides"]["total"]["overridden"]


# --------------------------------------------------------------------------- migration


def _old_schema(backend: str) -> list[str]:
    """The schema of a ledger made before suggestions were kept: today's, less the new
    tables and what guards and indexes them."""
    schema = SQLITE_SCHEMA if backend == "sqlite" else PG_SCHEMA
    return [s for s in schema if not any(t in s for t in NEW_PARTS)]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A ledger made with the schema before this change, with its versions recorded."""
    for url in fresh_ledger_url(request.param, tmp_path, "feedback_old", migrated=False):
        for statement in _old_schema(request.param):
            raw(url, statement)
        raw(url, "INSERT INTO ledger_meta (key, value) VALUES ('schema_version', '1')")
        raw(url, "INSERT INTO ledger_meta (key, value) VALUES ('projection_format', '3')")
        yield url


def test_a_ledger_made_before_suggestions_is_migrated_and_its_contacts_counted_apart(
    old_url: str, engine: Engine, assessments: list[Assessment]
) -> None:
    # The old version's writes: a contact row and its receipt, no suggestions.
    old, new = assessments[:4], assessments[4:]
    clock_ids = engine.ruleset.policies.clock_ids
    for a in old:
        contact_id, row = contact_row(a, None, clock_ids)
        raw(
            old_url,
            f"INSERT INTO ledger_contacts VALUES ({', '.join('?' * 11)})",  # noqa: S608
            (contact_id, *row),
        )
        raw(
            old_url,
            "INSERT INTO ledger_events (event_id, contact_id, event, at_us) VALUES (?, ?, ?, ?)",
            (f"contact_received/{contact_id}", contact_id, "contact_received", row[0]),
        )
    with pytest.raises(LedgerStoreError) as info:
        Ledger.open(old_url, policies=engine.ruleset.policies)
    assert "needs-migrate" == info.value.code
    assert "table ledger_suggestions, ledger_feedback" in str(info.value)
    if old_url.startswith("sqlite:///"):
        # Read where it is only read: the contacts count as having no suggestions.
        with Ledger.open(old_url + "?mode=ro", policies=engine.ruleset.policies) as reader:
            o = reader.overrides()
            assert (len(old), len(old), 0) == (o.contacts, o.without_suggestions, o.total.suggested)
            assert reader.clocks(old[0].contact_id, now=later(old[0], 10))
    assert "ledger_suggestions" in Ledger.migrate(old_url)
    assert "nothing was changed" in Ledger.migrate(old_url)
    with Ledger.open(old_url, policies=engine.ruleset.policies) as ledger:
        for a in new:
            assert ledger.record_assessment(a)
        o = ledger.overrides()
        assert (len(assessments), len(old)) == (o.contacts, o.without_suggestions)
        assert sum(len(suggestions_of(a)) for a in new) == o.total.suggested
        # The same assessment recorded again gives an old contact its suggestions.
        assert not ledger.record_assessment(old[0])
        assert len(old) - 1 == ledger.overrides().without_suggestions
        s = suggestions_of(old[0])[0]
        assert ledger.record_feedback(Feedback(s.id, "overridden", later(old[0], 1), "m-1"))
        assert 1 == ledger.overrides().total.overridden
    # The new tables are append-only too.
    for statement in ("DELETE FROM ledger_suggestions", "UPDATE ledger_feedback SET reason = 'x'"):
        with pytest.raises(Exception, match="append-only"):
            raw(old_url, statement)


@pytest.mark.parametrize(
    "text", ["010199-123Y", "soitti 010199-123Y", "010199+123Y", "rule_seems_wrong 010199-123Y"]
)
def test_an_identity_code_in_feedback_is_refused_and_never_repeated(
    ledger: Ledger, url: str, assessments: list[Assessment], text: str
) -> None:
    a = assessments[0]
    sid = suggestions_of(a)[0].id
    before = everything(url)
    for fb in (
        Feedback(sid, "overridden", later(a, 1), "pd-1", text),
        Feedback(text, "overridden", later(a, 1), "pd-2"),
        Feedback(sid, "overridden", later(a, 1), text),
    ):
        with pytest.raises(LedgerError) as info:
            ledger.record_feedback(fb)
        error: BaseException | None = info.value
        while error is not None:
            assert "123Y" not in str(error)
            error = error.__cause__ or error.__context__
    assert before == everything(url)


def test_the_access_report_leaves_the_section_out_when_asked(
    ledger: Ledger, assessments: list[Assessment]
) -> None:
    since, until = assessments[0].received_at, assessments[-1].received_at + timedelta(days=1)
    with_section = ledger.report(since=since, until=until)
    without = ledger.report(since=since, until=until, overrides=False)
    assert without.overrides is None
    assert with_section.overrides is not None
    assert "overrides" not in without.to_json()
    assert "Professionals' overrides" not in without.to_text()
    found = with_section.to_json()
    found.pop("overrides")
    assert without.to_json() == found
    with pytest.raises(LedgerError) as info:
        without.to_csv(table="overrides")
    assert "table" == info.value.field


def test_an_event_id_of_another_event_is_not_reused_for_feedback(
    ledger: Ledger, url: str, assessments: list[Assessment]
) -> None:
    a = assessments[2]
    ledger.record(a.contact_id, "need_assessed", at=later(a, 5), event_id="na-1")
    before = everything(url)
    with pytest.raises(LedgerError, match="names no suggestion") as info:
        ledger.record_feedback(Feedback(suggestions_of(a)[0].id, "accepted", later(a, 5), "na-1"))
    assert ("event-id-conflict", "event_id") == (info.value.code, info.value.field)
    assert before == everything(url)


def test_threads_recording_the_same_feedback_store_it_once(
    ledger: Ledger, url: str, assessments: list[Assessment]
) -> None:
    """Eight threads send the same CDS Hooks feedback requests at once (a retrying
    client): every answer is stored once, and each is reported new exactly once."""
    import threading

    a = assessments[5]
    batch = [
        Feedback(s.id, "overridden", later(a, 3), f"t-{i}", "clinical_judgement")
        for i, s in enumerate(suggestions_of(a))
    ]
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def send() -> None:
        try:
            start.wait()
            counts.append(ledger.record_feedback_many(batch))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [] == errors
    assert len(batch) == sum(counts)
    stored = raw(url, "SELECT event_id FROM ledger_feedback ORDER BY event_id")
    assert sorted((fb.event_id,) for fb in batch) == stored
    assert len(batch) == ledger.overrides().total.overridden


def test_a_contacts_suggestions_are_read_back_as_recorded(
    ledger: Ledger, assessments: list[Assessment]
) -> None:
    for assessment in assessments:
        made = suggestions_of(assessment)
        expected = (made[0], *sorted(made[1:], key=lambda s: s.value))
        assert ledger.suggestions(assessment.contact_id) == expected
    assert ledger.suggestions("no-such-contact") == ()
    with pytest.raises(LedgerArgumentError):
        ledger.suggestions("131052-308T")


def test_answers_are_each_suggestions_latest_as_the_report_counts_them(
    ledger: Ledger, assessments: list[Assessment]
) -> None:
    assessment = next(a for a in assessments if len(suggestions_of(a)) >= 3)
    cid = assessment.contact_id
    first, second, third = suggestions_of(assessment)[:3]
    assert ledger.answers(cid) == {}
    accepted = Feedback(first.id, "accepted", later(assessment, 10), "a-1")
    overridden = Feedback(first.id, "overridden", later(assessment, 20), "a-2", "client_choice")
    # recorded after the others, but answered earlier: never the latest
    earlier = Feedback(first.id, "accepted", later(assessment, 5), "a-3")
    other = Feedback(second.id, "accepted", later(assessment, 15), "a-4")
    assert ledger.record_feedback_many([accepted, overridden, other]) == 3
    assert ledger.record_feedback(earlier)
    # an answer to the whole assessment names no suggestion
    ledger.record(cid, "suggestion_overridden", at=later(assessment, 30), event_id="a-5")
    assert ledger.answers(cid) == {first.id: overridden, second.id: other}
    assert third.id not in ledger.answers(cid)
    assert ledger.answers("no-such-contact") == {}
