"""The overrides report: how often professionals accepted or overrode what the rules
suggested, per rule, per urgency level and per kind of suggestion, and the contacts where
they most often disagreed — the first signal a rule author gets that a rule is wrong.

The need assessment is a professional's; the rules only propose
(:mod:`oneContact.suggestions`). The ledger stores each contact's suggestions with the
contact and each professional's answer as a ``suggestion_accepted`` /
``suggestion_overridden`` event (``Ledger.record_feedback``); :func:`build_overrides`
counts them from any source of :class:`ContactSuggestions` (the report never imports the
ledger).

How it counts (docs/reference/reports.md, "Overrides"):

- Each suggestion counts once, by its *latest* feedback (by instant, then by order of
  recording): a professional who accepted and later overrode it overrode it. A
  suggestion with no feedback is ``unanswered``.
- A feedback event that names no suggestion (``Ledger.record(contact_id,
  "suggestion_overridden", ...)``) answers the contact's *whole assessment*: it counts as
  feedback on every suggestion of the contact, with reason :data:`UNSPECIFIED`, and so on
  every rule behind them. A feedback that names one suggestion answers that one only.
- An override without a reason counts under :data:`UNSPECIFIED`.
- A suggestion counts for each rule in its ``rules`` (an urgency set by two rules counts
  for both); one that no rule made (the catalogue's default urgency, a fallback route)
  counts in :attr:`Overrides.defaults`.
- ``override_rate`` is overridden / answered (accepted + overridden), shown with that
  denominator; None when nothing was answered.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

import attrs

from .._messages import reading_language, urgency_name
from .._messages import text as _msg
from ..suggestions import OVERRIDE_REASONS

__all__ = [
    "OVERRIDE_DIMENSIONS",
    "UNSPECIFIED",
    "ContactSuggestions",
    "DisagreedContact",
    "FeedbackItem",
    "OverrideCounts",
    "Overrides",
    "answered_rules",
    "build_overrides",
    "rate_text",
    "reason_name",
    "text_lines",
]

UNSPECIFIED = "unspecified"
"""The reason an override without one counts under (and every whole-assessment one)."""

OVERRIDE_DIMENSIONS = ("rule", "urgency", "kind")
"""The groupings of :meth:`Overrides.to_csv`, in order (``default`` is the rule-less row)."""

_URGENCY_ORDER = ("emergency", "urgent", "non_urgent", "self_care")
_KINDS = ("urgency", "route")


class FeedbackItem(NamedTuple):
    """One professional's answer as stored: to one suggestion, or (``suggestion_id``
    None) to the contact's whole assessment."""

    at_us: int
    seq: int
    """The order of recording, for two answers at the same instant."""
    outcome: str
    """``accepted`` or ``overridden``."""
    reason: str | None
    suggestion_id: str | None


class ContactSuggestions(NamedTuple):
    """One contact's stored suggestions and the feedback on them."""

    contact_id: str
    urgency: str
    suggestions: tuple[tuple[str, str, str, tuple[str, ...]], ...]
    """(suggestion id, kind, value, rule ids), in the order the assessment made them."""
    feedback: tuple[FeedbackItem, ...]


@attrs.frozen
class OverrideCounts:
    """What happened to a group of suggestions."""

    suggested: int = 0
    accepted: int = 0
    overridden: int = 0
    reasons: Mapping[str, int] = attrs.field(factory=lambda: MappingProxyType({}))
    """Overrides by reason code (:data:`~oneContact.suggestions.OVERRIDE_REASONS` and
    :data:`UNSPECIFIED`), most frequent first."""

    @property
    def answered(self) -> int:
        """Suggestions a professional accepted or overrode: the rate's denominator."""
        return self.accepted + self.overridden

    @property
    def unanswered(self) -> int:
        return self.suggested - self.answered

    @property
    def override_rate(self) -> float | None:
        """overridden / answered; None when none was answered."""
        return self.overridden / self.answered if self.answered else None

    def to_json(self) -> dict[str, Any]:
        return {
            "suggested": self.suggested,
            "answered": self.answered,
            "accepted": self.accepted,
            "overridden": self.overridden,
            "unanswered": self.unanswered,
            "override_rate": self.override_rate,
            "reasons": dict(self.reasons),
        }


@attrs.frozen
class DisagreedContact:
    """A contact where professionals overrode suggestions, by pseudonymous id only."""

    contact_id: str
    urgency: str
    suggested: int
    overridden: int
    rules: tuple[str, ...]
    """The rules behind its overridden suggestions, sorted."""
    reasons: Mapping[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "urgency": self.urgency,
            "suggested": self.suggested,
            "overridden": self.overridden,
            "rules": list(self.rules),
            "reasons": dict(self.reasons),
        }


@attrs.frozen
class Overrides:
    """The overrides report of the contacts received in ``[since, until)`` (all, where a
    bound is None), with the feedback recorded up to ``as_of`` (all, when None). Made by
    ``Ledger.overrides`` and a section of ``Ledger.report``."""

    since: datetime | None
    until: datetime | None
    as_of: datetime | None
    contacts: int
    """Contacts received in the period."""
    without_suggestions: int
    """Of them, those with no stored suggestions: recorded before the ledger kept them
    (``Ledger.migrate`` adds the tables; recording the same assessment again adds them)
    or on a ledger not yet migrated. They count nowhere else in this report."""
    total: OverrideCounts
    by_rule: Mapping[str, OverrideCounts]
    """Per rule id, most overridden first (then by rate, then by id)."""
    by_urgency: Mapping[str, OverrideCounts]
    """Per urgency level of the contact (its urgency suggestion's value), most urgent first."""
    by_kind: Mapping[str, OverrideCounts]
    """``urgency`` and ``route``."""
    defaults: OverrideCounts
    """Suggestions no rule made (a default urgency, a fallback route)."""
    disagreed: tuple[DisagreedContact, ...]
    """The contacts with the most overridden suggestions (at most ``top``), most first."""
    whole_assessment: int
    """Feedback events that named no suggestion (each answered a whole assessment)."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every figure (rates as fractions, with their denominator
        ``answered`` beside them)."""
        return {
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "contacts": self.contacts,
            "contacts_without_suggestions": self.without_suggestions,
            "whole_assessment_feedback": self.whole_assessment,
            "total": self.total.to_json(),
            "by_rule": {k: v.to_json() for k, v in self.by_rule.items()},
            "by_urgency": {k: v.to_json() for k, v in self.by_urgency.items()},
            "by_kind": {k: v.to_json() for k, v in self.by_kind.items()},
            "defaults": self.defaults.to_json(),
            "disagreed": [c.to_json() for c in self.disagreed],
        }

    def rows(self) -> list[tuple[str, str, OverrideCounts]]:
        """(dimension, key, counts) of every group, in :data:`OVERRIDE_DIMENSIONS` order,
        then ``default``, then ``all``."""
        out = [("rule", k, v) for k, v in self.by_rule.items()]
        out += [("urgency", k, v) for k, v in self.by_urgency.items()]
        out += [("kind", k, v) for k, v in self.by_kind.items()]
        out.append(("default", "", self.defaults))
        out.append(("all", "", self.total))
        return out

    def to_csv(self) -> str:
        """CSV with a header row: a row per group (``dimension,key,...``; the rate a
        fraction, empty without a denominator; the reasons as ``code=n`` separated by
        spaces)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ("dimension", "key", "suggested", "answered", "accepted", "overridden",
             "unanswered", "override_rate", "reasons")
        )  # fmt: skip
        for dimension, key, c in self.rows():
            rate = "" if c.override_rate is None else f"{c.override_rate:.4f}"
            reasons = " ".join(f"{k}={n}" for k, n in c.reasons.items())
            writer.writerow(
                (dimension, key, c.suggested, c.answered, c.accepted, c.overridden,
                 c.unanswered, rate, reasons)
            )  # fmt: skip
        return out.getvalue()

    def to_text(self, language: str = "en") -> str:
        """A plain-text view for a rule author in *language* (fi, sv or en)."""
        return "\n".join(text_lines(self, reading_language(language))) + "\n"


def reason_name(code: str, language: str) -> str:
    """A reason code's label in *language*: :data:`UNSPECIFIED` has a message of its own;
    an unknown code is shown as it is."""
    if code == UNSPECIFIED:
        return _msg("overrides.unspecified", language)
    found = OVERRIDE_REASONS.get(code)
    return code if found is None else found.get(reading_language(language))


def rate_text(counts: OverrideCounts) -> str:
    """``25.0 % (1/4)``: the rate with its numerator and denominator; ``- (0/0)``."""
    rate = counts.override_rate
    shown = "-" if rate is None else f"{100 * rate:.1f} %"
    return f"{shown} ({counts.overridden}/{counts.answered})"


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in body)]


def _counts_table(
    head: str, groups: Iterable[tuple[str, OverrideCounts]], language: str
) -> list[str]:
    header = [head, *(_msg(f"overrides.col.{c}", language) for c in _COLUMNS)]
    body = [
        [key, str(c.suggested), str(c.accepted), str(c.overridden), str(c.unanswered),
         rate_text(c)]
        for key, c in groups
    ]  # fmt: skip
    return _table(header, body) if body else [_msg("overrides.none", language)]


_COLUMNS = ("suggested", "accepted", "overridden", "unanswered", "rate")


def answered_rules(overrides: Overrides) -> tuple[list[tuple[str, OverrideCounts]], int]:
    """The rules with an answered suggestion (what the text and the page list), and how
    many others there are (JSON and CSV list every rule)."""
    answered = [(k, c) for k, c in overrides.by_rule.items() if c.answered]
    return answered, len(overrides.by_rule) - len(answered)


def text_lines(overrides: Overrides, language: str) -> list[str]:
    """The lines of :meth:`Overrides.to_text` (also the section of the access report's
    text)."""
    o, lang = overrides, language
    answered, quiet = answered_rules(o)
    lines = [_msg("overrides.title", lang)]
    if (o.since, o.until, o.as_of) != (None, None, None):
        lines.append(
            _msg(
                "overrides.period",
                lang,
                since="-" if o.since is None else o.since.isoformat(),
                until="-" if o.until is None else o.until.isoformat(),
                as_of="-" if o.as_of is None else o.as_of.isoformat(),
            )
        )
    lines += [
        _msg("overrides.contacts", lang, contacts=o.contacts, without=o.without_suggestions),
        _msg("overrides.total", lang, rate=rate_text(o.total), suggested=o.total.suggested),
        "",
        _msg("overrides.h_rule", lang),
        *_counts_table(
            _msg("overrides.col.rule", lang),
            [
                *answered,
                *([(_msg("overrides.default", lang), o.defaults)] if o.defaults.suggested else []),
            ],
            lang,
        ),
        *([_msg("overrides.quiet_rules", lang, count=quiet)] if quiet else []),
        "",
        _msg("overrides.h_urgency", lang),
        *_counts_table(
            _msg("overrides.col.urgency", lang),
            [(urgency_name(k, lang), v) for k, v in o.by_urgency.items()],
            lang,
        ),
        "",
        _msg("overrides.h_kind", lang),
        *_counts_table(
            _msg("overrides.col.kind", lang),
            [(_msg(f"overrides.kind.{k}", lang), v) for k, v in o.by_kind.items()],
            lang,
        ),
        "",
        _msg("overrides.h_reasons", lang),
    ]
    if o.total.reasons:
        lines += [f"  {reason_name(k, lang)} [{k}]: {n}" for k, n in o.total.reasons.items()]
    else:
        lines.append(_msg("overrides.none", lang))
    lines += ["", _msg("overrides.h_contacts", lang, count=len(o.disagreed))]
    if o.disagreed:
        lines += _table(
            [_msg(f"overrides.col.{c}", lang) for c in
             ("contact", "urgency", "overridden", "suggested", "rules")],
            [
                [c.contact_id, urgency_name(c.urgency, lang), str(c.overridden),
                 str(c.suggested), " ".join(c.rules) or "-"]
                for c in o.disagreed
            ],
        )  # fmt: skip
    else:
        lines.append(_msg("overrides.none", lang))
    lines += ["", _msg("overrides.note", lang)]
    return lines


# --------------------------------------------------------------------------- building


class _Tally:
    __slots__ = ("accepted", "overridden", "reasons", "suggested")

    def __init__(self) -> None:
        self.suggested = 0
        self.accepted = 0
        self.overridden = 0
        self.reasons: dict[str, int] = {}

    def add(self, outcome: str | None, reason: str | None) -> None:
        self.suggested += 1
        if outcome is None:
            return
        if outcome == "accepted":
            self.accepted += 1
        else:
            self.overridden += 1
            key = reason or UNSPECIFIED
            self.reasons[key] = self.reasons.get(key, 0) + 1

    def counts(self) -> OverrideCounts:
        reasons = sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        return OverrideCounts(
            self.suggested, self.accepted, self.overridden, MappingProxyType(dict(reasons))
        )


def _latest(
    feedback: Iterable[FeedbackItem],
) -> tuple[dict[str | None, FeedbackItem], int]:
    """The latest answer to each suggestion id (None: the whole assessment), and how many
    answers named no suggestion."""
    latest: dict[str | None, FeedbackItem] = {}
    whole = 0
    for item in feedback:
        whole += item.suggestion_id is None
        found = latest.get(item.suggestion_id)
        if found is None or (item.at_us, item.seq) > (found.at_us, found.seq):
            latest[item.suggestion_id] = item
    return latest, whole


def _ranked(tallies: Mapping[str, _Tally]) -> dict[str, OverrideCounts]:
    counts = {k: t.counts() for k, t in tallies.items()}
    order = sorted(
        counts, key=lambda k: (-counts[k].overridden, -(counts[k].override_rate or 0.0), k)
    )
    return {k: counts[k] for k in order}


def build_overrides(
    contacts: Iterable[ContactSuggestions],
    *,
    since: datetime | None,
    until: datetime | None,
    as_of: datetime | None,
    received: int,
    top: int,
    unanswered: Iterable[tuple[str, str, tuple[str, ...], int]] = (),
    with_suggestions: int | None = None,
) -> Overrides:
    """The :class:`Overrides` of *contacts* (contacts with stored suggestions; the
    period's *received* contacts in all), with at most *top* disagreed contacts. One
    pass; only the tallies and the *top* contacts are kept.

    A store may count the suggestions of the contacts nobody answered itself and give
    them as *unanswered* ((urgency, kind, rule ids, how many) each) instead of in
    *contacts*; then *with_suggestions* is how many contacts had suggestions in all."""
    total, defaults = _Tally(), _Tally()
    rules: dict[str, _Tally] = {}
    urgencies: dict[str, _Tally] = {}
    kinds: dict[str, _Tally] = {k: _Tally() for k in _KINDS}
    disagreed: list[DisagreedContact] = []
    seen = whole_total = 0
    for contact_id, urgency, suggestions, feedback in contacts:
        seen += 1
        latest: dict[str | None, FeedbackItem] = {}
        if feedback:
            latest, whole = _latest(feedback)
            whole_total += whole
        everything = latest.get(None)
        level_tally = urgencies.get(urgency)
        if level_tally is None:
            level_tally = urgencies[urgency] = _Tally()
        overridden: list[tuple[tuple[str, ...], str]] = []
        for sid, kind, _, rule_ids in suggestions:
            answer = latest.get(sid)
            if everything is not None and (
                answer is None or (everything.at_us, everything.seq) > (answer.at_us, answer.seq)
            ):
                answer = everything._replace(reason=UNSPECIFIED)
            outcome = reason = None
            if answer is not None:
                outcome, reason = answer.outcome, answer.reason
            kind_tally = kinds.get(kind)
            if kind_tally is None:
                kind_tally = kinds[kind] = _Tally()
            total.add(outcome, reason)
            kind_tally.add(outcome, reason)
            level_tally.add(outcome, reason)
            for rule in rule_ids:
                rule_tally = rules.get(rule)
                if rule_tally is None:
                    rule_tally = rules[rule] = _Tally()
                rule_tally.add(outcome, reason)
            if not rule_ids:
                defaults.add(outcome, reason)
            if outcome == "overridden":
                overridden.append((rule_ids, reason or UNSPECIFIED))
        if overridden:
            reasons = Counter(r for _, r in overridden)
            disagreed.append(
                DisagreedContact(
                    contact_id,
                    urgency,
                    len(suggestions),
                    len(overridden),
                    tuple(sorted({rule for ids, _ in overridden for rule in ids})),
                    MappingProxyType(dict(sorted(reasons.items()))),
                )
            )
            if len(disagreed) > 4 * top + 64:  # keep memory bounded: trim now and then
                disagreed = _top(disagreed, top)
    for urgency, kind, rule_ids, count in unanswered:
        for tally in (
            total,
            kinds.setdefault(kind, _Tally()),
            urgencies.setdefault(urgency, _Tally()),
            *(rules.setdefault(rule, _Tally()) for rule in rule_ids),
            *(() if rule_ids else (defaults,)),
        ):
            tally.suggested += count
    if with_suggestions is None:
        with_suggestions = seen
    order = {level: i for i, level in enumerate(_URGENCY_ORDER)}
    by_urgency = {
        k: urgencies[k].counts() for k in sorted(urgencies, key=lambda k: (order.get(k, 99), k))
    }
    return Overrides(
        since=since,
        until=until,
        as_of=as_of,
        contacts=received,
        without_suggestions=max(0, received - with_suggestions),
        total=total.counts(),
        by_rule=MappingProxyType(_ranked(rules)),
        by_urgency=MappingProxyType(by_urgency),
        by_kind=MappingProxyType({k: t.counts() for k, t in kinds.items()}),
        defaults=defaults.counts(),
        disagreed=tuple(_top(disagreed, top)),
        whole_assessment=whole_total,
    )


def _top(found: list[DisagreedContact], top: int) -> list[DisagreedContact]:
    """The *top* contacts with the most overridden suggestions (then the highest share
    overridden, then by id)."""
    return sorted(found, key=lambda c: (-c.overridden, -c.overridden / c.suggested, c.contact_id))[
        :top
    ]
