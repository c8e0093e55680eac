"""An assessment, and a step of an adaptive form (next questions), as a person reads
them, in Finnish, Swedish or English.

The words are the engine's own (:mod:`oneContact._messages`) and the rule authors'
(the catalogue's names, the rules' descriptions, the policies' clock descriptions and
legal bases). Ids stay beside the words, so a professional can find the rule or service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ._messages import (
    kind_name,
    number_text,
    reading_language,
    status_name,
    text,
    urgency_name,
)

if TYPE_CHECKING:
    from .assessment import Assessment
    from .clocks import Clock
    from .next_questions import NextQuestion, NextQuestions
    from .routing import Route
    from .ruleset import Question, RuleSet

__all__ = ["assessment_text", "clock_lines", "next_questions_text", "person_note"]


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


def _namers(ruleset: RuleSet, lang: str) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """The catalogue's name of a service and of a need in *lang* (the code when the
    catalogue has none)."""
    services = ruleset.catalogue.services
    needs = ruleset.catalogue.needs

    def service_name(service: str) -> str:
        found = services.get(service)
        return found.name.get(lang) if found is not None else service

    def need_name(need: str) -> str:
        found = needs.get(need)
        return found.get(lang) if found is not None else need

    return service_name, need_name


def assessment_text(assessment: Assessment, ruleset: RuleSet, language: str | None) -> str:
    """The text output of ``onecontact assess --format text`` (see Engine.to_text)."""
    lang = reading_language(assessment.language if language is None else language)
    rules = {rule.id: rule for rule in ruleset.rules}
    rule_word = text("rule", lang)
    service_name, need_name = _namers(ruleset, lang)

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


# ---------------------------------------------------------------- next questions


def _answer(question: Question | None, value: object, language: str) -> str:
    """One answer to *question* as the client would give it: yes/no, a choice's label,
    a number the language's way; None (or a question not known) as "unanswered"."""
    if value is None:
        return text("unanswered", language)
    if isinstance(value, bool):
        return text("next.yes" if value else "next.no", language)
    if question is not None and isinstance(value, str):
        found = question.choice_labels.get(value)
        return found.get(language) if found is not None else value
    if isinstance(value, int | float):
        return number_text(value, language)
    return str(value)


def _answers(question: Question, language: str) -> str:
    """The answers *question* takes: yes / no, its choices (label and id), or the range."""
    if question.type == "boolean":
        return f"{text('next.yes', language)} / {text('next.no', language)}"
    if question.type == "choice":
        shown = ((_answer(question, choice, language), choice) for choice in question.choices)
        return " / ".join(word if word == c else f"{word} ({c})" for word, c in shown)
    kind = text("next.whole" if question.integer else "next.number", language)
    low, high = question.minimum, question.maximum
    if low is not None and high is not None:
        return text(
            "next.between",
            language,
            kind=kind,
            low=number_text(low, language),
            high=number_text(high, language),
        )
    if low is not None:
        return text("next.at_least", language, kind=kind, low=number_text(low, language))
    if high is not None:
        return text("next.at_most", language, kind=kind, high=number_text(high, language))
    return kind


def _question_lines(number: int, asked: NextQuestion, ruleset: RuleSet, language: str) -> list[str]:
    """One question to ask: the red-flag marker, its label and id, the answers it takes,
    what it can change, the rules it switches and the example that shows it matters."""
    flag = f"[{text('next.red_flag', language)}] " if asked.red_flag else ""
    changes = [
        text("next.urgency_up_to", language, level=urgency_name(asked.urgency_up_to, language))
        if change == "urgency" and asked.urgency_up_to is not None
        else text(change, language)
        for change in asked.changes
    ]
    lines = [
        f"{number:>2}. {flag}{asked.label.get(language)}  ({asked.id})",
        f"    {text('next.answer', language)}: {_answers(asked.question, language)}",
        f"    {text('next.why', language)}: "
        + (", ".join(changes) if changes else text("next.unknown", language)),
    ]
    if asked.rules:
        lines.append(f"    {text('next.rules', language)}: {', '.join(asked.rules)}")
    witness = asked.witness
    if witness is not None:
        questions = ruleset.questionnaire.questions
        given = ", ".join(
            f"{qid} = {_answer(questions.get(qid), value, language)}"
            for qid, value in witness.answers.items()
        )
        values = {
            "answer": _answer(asked.question, witness.answer, language),
            "other": _answer(asked.question, witness.other_answer, language),
        }
        example = (
            text("next.example_given", language, given=given, **values)
            if given
            else text("next.example", language, **values)
        )
        lines.append(f"    {example}")
    return lines


def next_questions_text(step: NextQuestions, ruleset: RuleSet, language: str | None) -> str:
    """The text output of ``onecontact next-questions``: a person's view of one step of
    an adaptive form in *language* (default: the client's language when it is fi, sv or
    en, else Finnish). A header (how many questions, or done), whether the search was
    exact, the questions in asking order, then the decision as it stands."""
    outcome = step.outcome
    lang = reading_language(outcome.language if language is None else language)
    count = len(step.questions)
    lines = [
        text("contact", lang, id=outcome.contact_id),
        text("next.done", lang)
        if step.done
        else text("next.count.1" if count == 1 else "next.count", lang, n=count),
    ]
    if not step.exact:
        lines.append(text("next.not_exact", lang, note=step.note or ""))
    for number, asked in enumerate(step.questions, 1):
        lines.extend(_question_lines(number, asked, ruleset, lang))
    service_name, need_name = _namers(ruleset, lang)

    lines += [
        text("next.outcome", lang),
        f"  {text('urgency', lang)}: {urgency_name(outcome.urgency, lang)}",
        f"  {text('needs', lang)}:",
        *(f"    - {n}: {need_name(n)}" for n in outcome.needs),
        f"  {text('routes', lang)}:",
        *(
            f"    {i}. {r.service} ({kind_name(r.kind, lang)}): {service_name(r.service)}"
            for i, r in enumerate(outcome.routes, 1)
        ),
        f"  {text('clocks', lang)}:" if outcome.clocks else f"  {text('clocks_none', lang)}",
        *(
            f"    - {c.clock}{person_note(c, ruleset, lang)}: "
            + " · ".join(
                p
                for p in (
                    _due(c, lang),
                    None if c.status == "not_started" else status_name(c.status, lang),
                    c.limit_in(lang),
                )
                if p
            )
            for c in outcome.clocks
        ),
    ]
    return "\n".join(lines)
