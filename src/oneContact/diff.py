"""The impact of a rule change: the same contacts through two rules directories.

``diff_rules(old, new, contacts)`` assesses every contact with both engines and counts
the decisions whose urgency, routes or clocks differ, with a table of old → new urgency
and the changed contacts (ids and line numbers only, never free text). Routes compare by
destination (service and kind, in order), not by the rule that chose them, so renaming a
rule is not an impact; clocks compare by id and due dates.

``replay(engine, contact, stored)`` re-assesses a stored assessment (the JSON of
``Assessment.to_json()``, which records ``ruleset_digest``) with the rules that made it,
and says what differs.

Both take engines through :class:`oneContact.explain.Assessor` (what the tools need of an
engine), so this module never imports :mod:`oneContact.engine`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from .assessment import Assessment
from .errors import ContactError, ContactProblem, ReplayError, read_text_file
from .explain import Assessor
from .intake import load_contact_json
from .ruleset import URGENCY_LEVELS, Urgency, urgency_rank

__all__ = [
    "ChangedDecision",
    "Decision",
    "ReplayError",
    "RulesDiff",
    "diff_rules",
    "read_contacts",
    "replay",
]

ASPECTS = ("urgency", "routes", "clocks")


@attrs.frozen
class Decision:
    """What of an assessment a rule change can alter, in comparable form."""

    urgency: Urgency
    routes: tuple[str, ...]
    """``service (kind)`` of each route, in order."""
    clocks: tuple[str, ...]
    """``clock due YYYY-MM-DD`` (``clock (no due date yet)`` for one waiting for its start
    event), ``clock for child due ...`` for a clock that follows another person's right,
    with ``target YYYY-MM-DD`` when a region sets a target."""

    @classmethod
    def of(cls, assessment: Assessment) -> Decision:
        """The comparable part of *assessment*."""
        return cls(
            urgency=assessment.urgency,
            routes=tuple(f"{r.service} ({r.kind})" for r in assessment.routes),
            clocks=tuple(
                c.clock
                + (f" for {c.person}" if c.person is not None else "")
                + (f" due {c.due_date.isoformat()}" if c.due_date else " (no due date yet)")
                + (f" target {c.target_due_date.isoformat()}" if c.target_due_date else "")
                for c in assessment.clocks
            ),
        )

    def to_json(self) -> dict[str, Any]:
        """``{urgency, routes, clocks}``."""
        return {"urgency": self.urgency, "routes": list(self.routes), "clocks": list(self.clocks)}


@attrs.frozen
class ChangedDecision:
    """One contact whose decision differs; ``None`` = the rules refused the contact."""

    line: int
    contact_id: str
    old: Decision | None
    new: Decision | None
    changed: tuple[str, ...]
    """Which of ``urgency``, ``routes``, ``clocks`` differ (``refused`` when one side
    refused the contact)."""
    refused: tuple[str, ...] = ()
    """Fields the refusing rules named (never their values)."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready; ``old``/``new`` are null for a side that refused the contact."""
        return {
            "line": self.line,
            "contact_id": self.contact_id,
            "changed": list(self.changed),
            "old": None if self.old is None else self.old.to_json(),
            "new": None if self.new is None else self.new.to_json(),
            "refused_fields": list(self.refused),
        }

    def summary(self) -> str:
        """One line: what changed, old -> new."""
        if self.old is None or self.new is None:
            side = "old" if self.old is None else "new"
            return f"refused by the {side} rules ({', '.join(self.refused)})"
        parts: list[str] = []
        if "urgency" in self.changed:
            parts.append(f"urgency {self.old.urgency} -> {self.new.urgency}")
        for aspect in ("routes", "clocks"):
            if aspect in self.changed:
                before, after = getattr(self.old, aspect), getattr(self.new, aspect)
                gone = [x for x in before if x not in after]
                added = [x for x in after if x not in before]
                bits = [*(f"+{x}" for x in added), *(f"-{x}" for x in gone)]
                parts.append(f"{aspect} " + (", ".join(bits) if bits else "reordered"))
        return "; ".join(parts)


@attrs.frozen
class RulesDiff:
    """How two rules directories decide the same contacts."""

    old_digest: str
    new_digest: str
    contacts: int
    urgency_table: Mapping[tuple[Urgency | None, Urgency | None], int]
    """(old, new) urgency → number of contacts, every contact counted (None = refused)."""
    changes: tuple[ChangedDecision, ...]
    """Every changed contact, in file order."""

    @property
    def changed(self) -> int:
        """Contacts whose decision differs in any way."""
        return len(self.changes)

    def count(self, aspect: str) -> int:
        """Contacts whose *aspect* (urgency, routes, clocks or refused) differs."""
        return sum(aspect in c.changed for c in self.changes)

    def to_json(self, *, limit: int | None = None) -> dict[str, Any]:
        """Counts, the urgency table and the first *limit* changed contacts."""
        shown = self.changes if limit is None else self.changes[:limit]
        return {
            "old_digest": self.old_digest,
            "new_digest": self.new_digest,
            "contacts": self.contacts,
            "changed": self.changed,
            "changed_urgency": self.count("urgency"),
            "changed_routes": self.count("routes"),
            "changed_clocks": self.count("clocks"),
            "refused": self.count("refused"),
            "urgency_table": [
                {"old": old, "new": new, "contacts": n}
                for (old, new), n in sorted(self.urgency_table.items(), key=_table_order)
            ],
            "changes": [c.to_json() for c in shown],
        }

    def to_text(self, *, limit: int | None = 20) -> str:
        """The summary, the old → new urgency table and the first *limit* changed contacts."""
        lines = [
            f"old rules {self.old_digest[:12]}  new rules {self.new_digest[:12]}",
            f"contacts: {self.contacts}; decisions changed: {self.changed} "
            f"(urgency {self.count('urgency')}, routes {self.count('routes')}, "
            f"clocks {self.count('clocks')}"
            + (f", refused {self.count('refused')}" if self.count("refused") else "")
            + ")",
            "",
            *self._table(),
        ]
        if self.changes:
            shown = self.changes if limit is None else self.changes[:limit]
            lines += ["", f"changed contacts (first {len(shown)} of {self.changed}):"]
            lines += [f"  line {c.line}  {c.contact_id}: {c.summary()}" for c in shown]
        return "\n".join(lines)

    def _table(self) -> list[str]:
        levels: list[Urgency | None] = [*URGENCY_LEVELS]
        if any(None in key for key in self.urgency_table):
            levels.append(None)
        names = [level or "refused" for level in levels]
        width = max(len(n) for n in [*names, "old \\ new"]) + 2
        head = "old \\ new".ljust(width) + "".join(n.rjust(width) for n in names)
        rows = [
            (old or "refused").ljust(width)
            + "".join(str(self.urgency_table.get((old, new), 0)).rjust(width) for new in levels)
            for old in levels
        ]
        return ["urgency, old (rows) -> new (columns):", head, *rows]


def _table_order(item: tuple[tuple[Urgency | None, Urgency | None], int]) -> tuple[int, int]:
    (old, new), _ = item
    return urgency_rank(old), urgency_rank(new)


def read_contacts(path: str | Path) -> list[tuple[int, Any]]:
    """(line number, parsed JSON) of each non-blank line of a JSON-lines file.

    Raises :class:`ContactError` naming every line that is not JSON (and the file when it
    cannot be read), so a bad file changes nothing.
    """
    name = str(path)
    text = read_text_file(path, title="invalid contacts file")
    out: list[tuple[int, Any]] = []
    problems: list[ContactProblem] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append((number, load_contact_json(line)))
        except ContactError as exc:
            problems.extend(
                ContactProblem(
                    f"{name}:{number}",
                    _line_message(p) + "; each line holds one first contact as a JSON object",
                    p.code,
                )
                if p.field in ("<json>", "<contact>")
                else ContactProblem(f"{name}:{number}: {p.field}", p.message, p.code)
                for p in exc.problems
            )
    if problems:
        raise ContactError(problems, title="invalid contacts file")
    return out


def _line_message(problem: ContactProblem) -> str:
    # A problem of the whole line: its column, not "line 1", says where.
    return problem.message.replace("at line 1 column", "at column")


def diff_rules(
    old: Assessor, new: Assessor, contacts: Iterable[tuple[int, Any]], *, source: str = "<contacts>"
) -> RulesDiff:
    """Assess each ``(line, contact)`` with *old* and *new* and compare the decisions.

    A contact refused by one side only is a change (``refused``); one refused by both is
    bad input: :class:`ContactError` names ``source:line`` and the fields of every such
    contact, and nothing is compared.
    """
    table: Counter[tuple[Urgency | None, Urgency | None]] = Counter()
    changes: list[ChangedDecision] = []
    problems: list[ContactProblem] = []
    count = 0
    for line, contact in contacts:
        count += 1
        results: list[Decision | ContactError] = []
        for engine in (old, new):
            try:
                results.append(Decision.of(engine.assess(contact)))
            except ContactError as exc:
                results.append(exc)
        before, after = results
        if isinstance(before, ContactError) and isinstance(after, ContactError):
            problems.extend(
                ContactProblem(
                    f"{source}:{line}: {p.field}", p.message, p.code, messages=p.messages
                )
                for p in before.problems
            )
            continue
        contact_id = _contact_id(contact)
        old_decision = before if isinstance(before, Decision) else None
        new_decision = after if isinstance(after, Decision) else None
        table[
            (
                old_decision.urgency if old_decision else None,
                new_decision.urgency if new_decision else None,
            )
        ] += 1
        if old_decision is None or new_decision is None:
            error = before if isinstance(before, ContactError) else after
            assert isinstance(error, ContactError)
            changes.append(
                ChangedDecision(
                    line, contact_id, old_decision, new_decision, ("refused",), error.fields
                )
            )
            continue
        changed = tuple(a for a in ASPECTS if getattr(old_decision, a) != getattr(new_decision, a))
        if changed:
            changes.append(ChangedDecision(line, contact_id, old_decision, new_decision, changed))
    if problems:
        raise ContactError(problems, title="invalid contacts (refused by both rules directories)")
    return RulesDiff(old.digest, new.digest, count, dict(table), tuple(changes))


def _contact_id(contact: Any) -> str:
    # Only reached for a contact one engine accepted, so the id is a validated one.
    if isinstance(contact, Mapping):
        return str(contact.get("contact_id", "?"))
    return str(getattr(contact, "contact_id", "?"))


# ---------------------------------------------------------------- replay


def replay(
    engine: Assessor,
    contact: Any,
    stored: Mapping[str, Any] | str,
    *,
    events: Mapping[str, datetime] | None = None,
    now: datetime | None = None,
) -> tuple[Assessment, tuple[str, ...]]:
    """Re-assess *contact* with *engine* and compare with *stored* (``Assessment.to_json()``).

    Give the *events* and *now* the stored assessment was made with, if any.
    Returns the new assessment and the keys of the JSON contract that differ (empty when
    the stored decision is reproduced). Raises :class:`ReplayError` when *stored* was made
    by rules of another digest: load the rules that made it (``ruleset_digest``) first.
    """
    if isinstance(stored, str):
        try:
            stored = json.loads(stored)
        except ValueError:
            raise ReplayError("the stored assessment is not valid JSON") from None
    if not isinstance(stored, Mapping) or not isinstance(stored.get("ruleset_digest"), str):
        raise ReplayError("the stored assessment has no 'ruleset_digest'; it cannot be replayed")
    digest = stored["ruleset_digest"]
    if digest != engine.digest:
        raise ReplayError(
            f"the stored assessment was made by rules with digest {digest[:12]}, this engine "
            f"has {engine.digest[:12]}: load the rules directory that made it"
        )
    assessment = engine.assess(contact, events=events, now=now)
    fresh = assessment.to_json()
    stored = {**stored, "clocks": _with_for(stored.get("clocks"))}
    differing = tuple(key for key in fresh if fresh[key] != stored.get(key))
    return assessment, differing


def _with_for(clocks: Any) -> Any:
    """Stored clocks, each with ``for`` (null) when stored before clocks said whose right
    they follow: the same rules then made the same decision."""
    if not isinstance(clocks, list):
        return clocks
    return [
        {"clock": c["clock"], "for": None, **c}
        if isinstance(c, Mapping) and "clock" in c and "for" not in c
        else c
        for c in clocks
    ]
