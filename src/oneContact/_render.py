"""An assessment as a person reads it, in Finnish, Swedish or English.

The words are the engine's own (:mod:`oneContact._messages`) and the rule authors'
(the catalogue's names, the rules' descriptions, the policies' clock descriptions and
legal bases). Ids stay beside the words, so a professional can find the rule or service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._messages import kind_name, reading_language, status_name, text, urgency_name

if TYPE_CHECKING:
    from .assessment import Assessment
    from .clocks import Clock
    from .routing import Route
    from .ruleset import RuleSet

__all__ = ["assessment_text", "clock_lines", "person_note"]


def _due(clock: Clock, language: str) -> str:
    if clock.status == "not_started":
        return text("not_started_at", language, event=clock.starts_on)
    if clock.due_date is None:
        return text("no_due_date", language)
    return text("due", language, date=clock.due_date.isoformat())


def person_note(clock: Clock, ruleset: RuleSet | None, language: str) -> str:
    """`` (for the child)`` for a clock that follows another person's right, else ``""``."""
    if clock.person is None:
        return ""
    person = None if ruleset is None else ruleset.questionnaire.persons.get(clock.person)
    name = clock.person if person is None else person.label.get(language)
    return f" ({text('for_person', language, name=name)})"


def clock_lines(clock: Clock, ruleset: RuleSet, language: str, indent: str = "  ") -> list[str]:
    """One clock: its id and what it measures, then due date, status, limit, the
    regional target, and the legal basis on a line of its own."""
    policies = ruleset.policies
    described = policies.description(clock.clock) if clock.clock in policies.clock_ids else None
    head = f"{indent}- {clock.clock}{person_note(clock, ruleset, language)}"
    parts = [
        _due(clock, language),
        None if clock.status == "not_started" else status_name(clock.status, language),
        clock.limit_in(language),
        None
        if clock.target_due_date is None
        else text("target", language, date=clock.target_due_date.isoformat()),
    ]
    lines = [head + ": " + " · ".join(p for p in parts if p)]
    if described is not None:
        lines.append(f"{indent}    {described.get(language)}")
    if clock.status != "not_started":
        lines.append(f"{indent}    {text('legal_basis', language)}: {clock.basis_in(language)}")
    return lines


def _directory_lines(route: Route, language: str) -> list[str]:
    """What a directory router added to a route (its ranking steps stay as it wrote them)."""
    if not route.explanation:
        return []
    parts = [
        text("route.member", language, id=route.member) if route.member else None,
        text("route.unit", language, id=route.unit) if route.unit else None,
        text("route.slot", language, at=route.slot.isoformat()) if route.slot else None,
        text("due", language, date=route.due_date.isoformat()) if route.due_date else None,
        text("route.at_risk", language) if route.guarantee_at_risk else None,
        text("route.case", language, id=route.case) if route.case else None,
    ]
    head = " · ".join(p for p in parts if p)
    return [*([f"     {head}"] if head else []), *(f"     - {e}" for e in route.explanation)]


def assessment_text(assessment: Assessment, ruleset: RuleSet, language: str | None) -> str:
    """The text output of ``onecontact assess --format text`` (see Engine.to_text)."""
    lang = reading_language(assessment.language if language is None else language)
    services = ruleset.catalogue.services
    needs = ruleset.catalogue.needs
    rules = {rule.id: rule for rule in ruleset.rules}
    rule_word = text("rule", lang)

    def service_name(service: str) -> str:
        found = services.get(service)
        return found.name.get(lang) if found is not None else service

    def need_name(need: str) -> str:
        found = needs.get(need)
        return found.get(lang) if found is not None else need

    def fired_line(rule_id: str, file: str, line: int) -> str:
        rule = rules.get(rule_id)
        said = f": {rule.description.get(lang)}" if rule and rule.description else ""
        return f"  - {rule_id}  {file}:{line}{said}"

    lines = [
        text("contact", lang, id=assessment.contact_id),
        f"{text('urgency', lang)}: {urgency_name(assessment.urgency, lang)}",
        f"{text('needs', lang)}:",
        *(f"  - {n}: {need_name(n)}" for n in assessment.needs),
        f"{text('routes', lang)}:",
        *(
            line
            for i, r in enumerate(assessment.routes, 1)
            for line in (
                f"  {i}. {r.service} ({kind_name(r.kind, lang)}): {service_name(r.service)}"
                f"  [{rule_word} {r.reason}]",
                *_directory_lines(r, lang),
            )
        ),
        f"{text('clocks', lang)}:" if assessment.clocks else text("clocks_none", lang),
        *(line for c in assessment.clocks for line in clock_lines(c, ruleset, lang)),
        f"{text('why', lang)}:",
        *(fired_line(f.rule, f.file, f.line) for f in assessment.fired),
        f"{text('rules_digest', lang)}: {assessment.ruleset_digest}",
        *(f"{text('warning', lang)}: {w}" for w in assessment.warnings),
    ]
    return "\n".join(lines)
