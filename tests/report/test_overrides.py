"""The overrides tally (oneContact.report.overrides.build_overrides) on hand-made
contacts: which answer counts, how a whole-assessment answer spreads, the rates and their
denominators, the store's grouped unanswered suggestions, and the renderings."""

from __future__ import annotations

import csv
import io

from oneContact.report.overrides import (
    UNSPECIFIED,
    ContactSuggestions,
    FeedbackItem,
    Overrides,
    build_overrides,
)


def contact(
    cid: str, urgency: str, *feedback: FeedbackItem, rules: tuple[str, ...] = ("r.a",)
) -> ContactSuggestions:
    return ContactSuggestions(
        cid,
        urgency,
        (
            (f"{cid}-u", "urgency", urgency, rules),
            (f"{cid}-r1", "route", "nurse", ("r.b",)),
            (f"{cid}-r2", "route", "gp", ()),
        ),
        feedback,
    )


def fb(at: int, seq: int, outcome: str, sid: str | None, reason: str | None = None) -> FeedbackItem:
    return FeedbackItem(at, seq, outcome, reason, sid)


def build(*contacts: ContactSuggestions, **kw: object) -> Overrides:
    options: dict[str, object] = {"since": None, "until": None, "as_of": None, "top": 10}
    options.update(kw)
    options.setdefault("received", len(contacts))
    return build_overrides(contacts, **options)  # type: ignore[arg-type]


def test_the_latest_answer_counts_ties_by_recording_order() -> None:
    o = build(
        contact(
            "c1",
            "urgent",
            fb(10, 2, "overridden", "c1-u", "client_choice"),
            fb(10, 1, "accepted", "c1-u"),  # same instant, recorded first: superseded
            fb(5, 3, "accepted", "c1-r1"),
            fb(20, 4, "overridden", "c1-r1", None),
        )
    )
    assert (0, 2, 1) == (o.total.accepted, o.total.overridden, o.total.unanswered)
    assert {"client_choice": 1, UNSPECIFIED: 1} == dict(o.total.reasons)
    assert (1, 1) == (o.by_rule["r.a"].overridden, o.by_rule["r.b"].overridden)
    assert (1, 0, 0) == (o.defaults.suggested, o.defaults.answered, o.defaults.overridden)


def test_a_whole_assessment_answer_covers_every_suggestion_unless_one_is_later() -> None:
    o = build(
        contact(
            "c1",
            "non_urgent",
            fb(10, 1, "overridden", None),
            fb(30, 2, "accepted", "c1-r1"),  # later than the whole-assessment override
            fb(5, 3, "accepted", "c1-u"),  # earlier: the override wins
        )
    )
    assert (1, 2) == (o.total.accepted, o.total.overridden)
    assert {UNSPECIFIED: 2} == dict(o.total.reasons)
    assert 1 == o.whole_assessment
    (c,) = o.disagreed
    assert ("c1", 2, 3, ("r.a",)) == (c.contact_id, c.overridden, c.suggested, c.rules)


def test_rates_show_their_denominator_and_never_divide_by_zero() -> None:
    o = build(
        contact("c1", "urgent", fb(1, 1, "overridden", "c1-u", "rule_seems_wrong")),
        contact("c2", "urgent", fb(1, 2, "accepted", "c2-u")),
        contact("c3", "urgent", fb(1, 3, "accepted", "c3-u")),
        contact("c4", "self_care"),
    )
    assert o.by_urgency["urgent"].override_rate == 1 / 3
    assert o.by_urgency["self_care"].override_rate is None
    assert ["urgent", "self_care"] == list(o.by_urgency)
    assert o.by_rule["r.b"].override_rate is None
    text = o.to_text()
    assert "33.3 % (1/3)" in text
    assert "- (0/0)" in text
    rows = list(csv.DictReader(io.StringIO(o.to_csv())))
    (urgent,) = [r for r in rows if (r["dimension"], r["key"]) == ("urgency", "urgent")]
    assert ("0.3333", "3") == (urgent["override_rate"], urgent["answered"])
    (self_care,) = [r for r in rows if (r["dimension"], r["key"]) == ("urgency", "self_care")]
    assert "" == self_care["override_rate"]


def test_grouped_unanswered_suggestions_add_to_suggested_only() -> None:
    answered = contact("c1", "urgent", fb(1, 1, "overridden", "c1-u"))
    o = build(
        answered,
        received=5,
        with_suggestions=4,
        unanswered=[("urgent", "urgency", ("r.a",), 3), ("urgent", "route", (), 2)],
    )
    assert (5, 1) == (o.contacts, o.without_suggestions)
    assert (3 + 3 + 2, 1, 1) == (o.total.suggested, o.total.answered, o.total.overridden)
    assert (4, 1) == (o.by_rule["r.a"].suggested, o.by_rule["r.a"].overridden)
    assert 3 == o.defaults.suggested
    assert (4, 4) == (o.by_kind["urgency"].suggested, o.by_kind["route"].suggested)


def test_the_top_contacts_are_the_most_overridden_and_bounded() -> None:
    many = [
        contact(f"c{n:03d}", "urgent", *(fb(1, k, "overridden", f"c{n:03d}-{s}") for k, s in
                enumerate(("u", "r1", "r2")[: 1 + n % 3])))
        for n in range(200)
    ]  # fmt: skip
    o = build(*many, top=5)
    assert 5 == len(o.disagreed)
    assert all(c.overridden == 3 for c in o.disagreed)
    assert [c.contact_id for c in o.disagreed] == sorted(c.contact_id for c in o.disagreed)
    assert 0 == len(build(*many, top=0).disagreed)


def test_the_text_speaks_finnish_and_swedish() -> None:
    o = build(contact("c1", "urgent", fb(1, 1, "overridden", "c1-u", "already_in_care")))
    fi, sv = o.to_text("fi"), o.to_text("sv")
    assert "Asiakas on jo hoidossa tai palvelussa [already_in_care]: 1" in fi
    assert "kiireellinen" in fi
    assert "Klienten har redan vård eller service [already_in_care]: 1" in sv
    assert "brådskande" in sv
    assert o.to_text("de") == fi


def test_the_text_says_the_period_when_there_is_one() -> None:
    from datetime import datetime

    from oneContact.clocks import HELSINKI

    since = datetime(2025, 3, 1, tzinfo=HELSINKI)
    o = build(contact("c1", "urgent"), since=since)
    assert f"contacts received from {since.isoformat()}, before -; feedback up to -" in o.to_text()
    assert "received from" not in build(contact("c1", "urgent")).to_text()
