"""The benchmark's workload: a generated 200-rule directory and a pool of valid contacts.

Everything is drawn from ``random.Random(seed)``, so the same seed gives byte-identical
rule files and the same contacts on every machine. The rules only copy ``rules/policies``
from the repository; the questionnaire, the catalogue and the rules are generated here,
so the benchmark does not depend on the bundled rules being loadable.

The shapes are those a rule author writes (see docs/reference/rule-files.md): a concern
guard and'ed with booleans, number comparisons and choices; ``or`` groups; ``not``;
``is answered``; age bands; red flags standing alone. The selectivities are chosen so that
about 10-20 of the 200 rules fire for a typical contact.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from oneContact.ruleset import Question, Questionnaire

__all__ = ["SEED", "make_contacts", "write_ruleset"]

SEED = 20250417

CONCERNS = (
    "acute_symptom",
    "mental_health",
    "substance_use",
    "diabetes_type2",
    "chronic_followup",
    "palliative",
    "family_support",
    "child_welfare",
    "home_care",
    "informal_carer",
    "work_ability",
    "oral_health",
    "social_support",
    "other",
)

# How many questions of each type the questionnaire has (the first booleans are red flags).
_BOOLEANS = 22
_NUMBERS = 9
_CHOICES = 9
_RED_FLAGS = 5

_CHOICE_SETS = (
    ("hours", "days", "weeks", "months"),
    ("never", "monthly", "weekly", "daily"),
    ("alone", "with_partner", "with_family", "assisted_living"),
    ("none", "mild", "moderate", "severe"),
    ("better", "same", "worse"),
)

_NEEDS = (
    "acute_care",
    "crisis_support",
    "mental_health_support",
    "substance_use_support",
    "diabetes_care",
    "chronic_care",
    "palliative_care",
    "family_support",
    "child_protection",
    "home_care_services",
    "carer_support",
    "work_ability_support",
    "oral_care",
    "livelihood_support",
    "general_assessment",
)

_SERVICES = (
    ("emergency_112", "emergency"),
    ("emergency_department", "emergency"),
    ("gp", "team_member"),
    ("nurse", "team_member"),
    ("psychiatric_nurse", "team_member"),
    ("substance_worker", "team_member"),
    ("social_worker", "team_member"),
    ("physiotherapist", "team_member"),
    ("dentist", "team_member"),
    ("service_coordinator", "team_member"),
    ("family_centre", "family_centre"),
    ("omaolo", "digital_channel"),
    ("chat_service", "digital_channel"),
    ("self_care_guide", "remedy"),
)

_CLOCKS = ("need_assessment", "care", "social_need_assessment")
_URGENCIES = ("emergency", "urgent", "non_urgent", "self_care")


def _label(text: str) -> dict[str, str]:
    words = text.replace("_", " ")
    return {"fi": f"{words} (fi)", "sv": f"{words} (sv)", "en": words}


# ----------------------------------------------------------------------- questionnaire


def _questionnaire(rng: random.Random) -> dict[str, Any]:
    questions: list[dict[str, Any]] = []
    for i in range(_BOOLEANS):
        red_flag = i < _RED_FLAGS
        question: dict[str, Any] = {"id": f"flag_{i:02d}" if red_flag else f"yes_{i:02d}"}
        question["type"] = "boolean"
        if red_flag:
            question["red_flag"] = True
        else:
            question["concerns"] = rng.sample(CONCERNS, 2)
        questions.append(question)
    for i in range(_NUMBERS):
        top = rng.choice((10, 20, 30, 100))
        questions.append(
            {
                "id": f"score_{i:02d}",
                "type": "number",
                "min": 0,
                "max": top,
                "integer": i % 3 != 0,
                "concerns": rng.sample(CONCERNS, 2),
            }
        )
    for i in range(_CHOICES):
        questions.append(
            {
                "id": f"pick_{i:02d}",
                "type": "choice",
                # Every text a person reads is in fi, sv and en (onecontact check refuses
                # a rules directory where one is not): choices carry labels.
                "choices": [
                    {"id": choice, "label": _label(choice)}
                    for choice in _CHOICE_SETS[i % len(_CHOICE_SETS)]
                ],
                "concerns": rng.sample(CONCERNS, 2),
            }
        )
    for question in questions:
        question["label"] = _label(question["id"])
    return {
        "concerns": [{"id": code, "label": _label(code)} for code in CONCERNS],
        "questions": questions,
    }


def _catalogue() -> dict[str, Any]:
    return {
        "defaults": {"urgency": "non_urgent", "fallback_service": "service_coordinator"},
        "needs": [{"id": need, "label": _label(need)} for need in _NEEDS],
        "services": [
            {"id": service, "kind": kind, "name": _label(service)} for service, kind in _SERVICES
        ],
    }


# ----------------------------------------------------------------------- conditions


class _Conditions:
    """Random conditions over the generated questionnaire, in the shapes authors write."""

    def __init__(self, rng: random.Random, questionnaire: dict[str, Any]) -> None:
        self.rng = rng
        by_type: dict[str, list[dict[str, Any]]] = {"boolean": [], "number": [], "choice": []}
        for question in questionnaire["questions"]:
            if not question.get("red_flag"):
                by_type[question["type"]].append(question)
        self.by_type = by_type
        self.red_flags = [q["id"] for q in questionnaire["questions"] if q.get("red_flag")]

    def concern(self) -> str:
        return self.rng.choice(CONCERNS)

    def question(self, kind: str, concern: str) -> dict[str, Any]:
        """A question of *kind*, preferably one asked under *concern*."""
        asked = [q for q in self.by_type[kind] if concern in q["concerns"]]
        return self.rng.choice(asked or self.by_type[kind])

    def boolean(self, concern: str) -> str:
        return str(self.question("boolean", concern)["id"])

    def number(self, concern: str) -> str:
        question = self.question("number", concern)
        op = self.rng.choice((">=", ">", "<", "<="))
        cut = round(question["max"] * self.rng.uniform(0.3, 0.7))
        return f"{question['id']} {op} {cut}"

    def choice(self, concern: str) -> str:
        question = self.question("choice", concern)
        ids = [choice["id"] for choice in question["choices"]]
        picks = self.rng.sample(ids, self.rng.choice((1, 2)))
        if len(picks) == 1:
            return f"{question['id']} == '{picks[0]}'"
        return f"{question['id']} in [{', '.join(repr(p) for p in picks)}]"

    def clause(self, concern: str) -> str:
        """One boolean, comparison or choice test on a question asked under *concern*."""
        return self.rng.choice((self.boolean, self.number, self.choice))(concern)

    def make(self) -> str:
        """One condition; a typical one holds for about 6 % of the contacts."""
        rng = self.rng
        c = self.concern()
        shapes: list[Callable[[], str]] = [
            lambda: f"'{c}' in concerns and {self.clause(c)}",
            lambda: f"'{c}' in concerns and ({self.clause(c)} or {self.clause(c)})",
            lambda: f"'{c}' in concerns and not {self.boolean(c)}",
            lambda: f"'{c}' in concerns and {self.clause(c)} and not {self.clause(c)}",
            lambda: f"'{c}' in concerns and age >= {rng.choice((65, 70, 75, 80))}",
            lambda: f"'{c}' in concerns and age < {rng.choice((18, 23, 30))}",
            lambda: (
                f"('{c}' in concerns or '{self.concern()}' in concerns) "
                f"and {self.clause(c)} and {self.clause(c)}"
            ),
            lambda: (
                f"'{c}' in concerns and ({self.clause(c)} and {self.clause(c)} "
                f"or {self.boolean(c)})"
            ),
            lambda: f"'{c}' in concerns and channel in ['phone', 'walk_in']",
            lambda: f"'{c}' in concerns and language != 'fi'",
            lambda: f"'{c}' in concerns and {self.question('number', c)['id']} is not answered",
            lambda: (
                f"'{c}' in concerns and '{self.concern()}' not in concerns and {self.clause(c)}"
            ),
            lambda: (
                f"'{c}' in concerns and (highest_care_allowance or age >= 75 "
                f"or special_support_child)"
            ),
            lambda: f"'{c}' in concerns and not can_use_digital_services",
        ]
        if rng.random() < 0.05:  # red flags stand alone, with no concern guard
            first, second = rng.sample(self.red_flags, 2)
            return rng.choice((first, f"{first} or {second} and age >= 65"))
        return rng.choice(shapes)()


def _rule(rng: random.Random, rule_id: str, when: str) -> dict[str, Any]:
    red_flag = when.startswith("flag_")
    rule: dict[str, Any] = {"id": rule_id, "when": when}
    if red_flag:
        rule["urgency"] = "emergency"
        rule["needs"] = ["acute_care"]
        rule["services"] = ["emergency_112", "emergency_department"]
        rule["priority"] = rng.randint(1, 10)
        return rule
    urgency = rng.choices(_URGENCIES, weights=(1, 4, 10, 5))[0]
    if rng.random() < 0.8:
        rule["urgency"] = urgency
    rule["needs"] = rng.sample(_NEEDS, rng.choice((1, 1, 2)))
    services = [s for s, kind in _SERVICES if kind != "emergency"]
    rule["services"] = rng.sample(services, rng.choice((1, 2, 2, 3)))
    clocks = rng.choice(((), ("need_assessment",), ("need_assessment", "care"), _CLOCKS[2:]))
    if clocks:
        rule["clocks"] = list(clocks)
    rule["priority"] = rng.randint(10, 200)
    return rule


def write_ruleset(directory: Path, *, rules: int = 200, policies: Path, seed: int = SEED) -> Path:
    """Write a complete rules directory with *rules* generated rules into *directory*."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    yaml = YAML()
    yaml.default_flow_style = None
    yaml.width = 120
    questionnaire = _questionnaire(rng)
    yaml.dump(questionnaire, directory / "questionnaire.yaml")
    yaml.dump(_catalogue(), directory / "catalogue.yaml")
    shutil.copytree(policies, directory / "policies", dirs_exist_ok=True)
    conditions = _Conditions(rng, questionnaire)
    per_file = 20
    for start in range(0, rules, per_file):
        topic = f"topic_{start // per_file:02d}"
        items = [
            _rule(rng, f"{topic}.rule-{n:03d}", conditions.make())
            for n in range(start, min(start + per_file, rules))
        ]
        yaml.dump({"rules": items}, directory / f"{topic}.yaml")
    return directory


# ----------------------------------------------------------------------- contacts

_CHANNELS = ("phone", "digital", "chat", "walk_in", "omaolo", "referral")
_START = datetime(2025, 1, 1, tzinfo=UTC)


def _answer(rng: random.Random, question: Question) -> bool | int | float | str:
    if question.type == "boolean":
        return rng.random() < 0.5
    if question.type == "choice":
        return rng.choice(question.choices)
    low = question.minimum if question.minimum is not None else 0.0
    high = question.maximum if question.maximum is not None else 100.0
    if question.integer:
        return rng.randint(int(low), int(high))
    return round(rng.uniform(low, high), 1)


def make_contacts(
    questionnaire: Questionnaire, count: int = 1000, *, seed: int = SEED
) -> list[dict[str, Any]]:
    """*count* valid contacts (plain dicts, as JSON would give them) for *questionnaire*.

    A contact names 1-4 concerns and answers most questions asked under them; red flags
    are asked of everyone and rarely answered yes.
    """
    rng = random.Random(seed)
    codes = list(questionnaire.concerns)
    questions = list(questionnaire.questions.values())
    contacts: list[dict[str, Any]] = []
    for i in range(count):
        received = _START + timedelta(minutes=rng.randrange(365 * 24 * 60))
        offset = "+03:00" if 3 <= received.month <= 10 else "+02:00"
        client: dict[str, Any] = {
            "language": rng.choices(("fi", "sv", "en", "ru"), (14, 3, 2, 1))[0]
        }
        age = rng.choice(
            (rng.randint(0, 17), rng.randint(18, 64), rng.randint(18, 64), rng.randint(65, 99))
        )
        if rng.random() < 0.5:
            client["age"] = age
        else:
            born = date(2025 - age - 1, 1, 1) + timedelta(days=rng.randrange(365))
            client["birth_date"] = born.isoformat()
        if rng.random() < 0.05:
            client["highest_care_allowance"] = True
        if age < 18 and rng.random() < 0.1:
            client["special_support_child"] = True
        if rng.random() < 0.15:
            client["can_use_digital_services"] = False
        concerns = rng.sample(codes, rng.choice((1, 2, 3, 3, 4)))
        answers: dict[str, Any] = {}
        for question in questions:
            asked = (
                question.red_flag or not question.concerns or set(question.concerns) & set(concerns)
            )
            if question.red_flag:
                answers[question.id] = rng.random() < 0.02
            elif asked and rng.random() < 0.9:
                answers[question.id] = _answer(rng, question)
        contact: dict[str, Any] = {
            "contact_id": f"bench-{i:06d}",
            "received_at": received.strftime("%Y-%m-%dT%H:%M:%S") + offset,
            "channel": rng.choice(_CHANNELS),
            "client": client,
            "concerns": concerns,
            "answers": answers,
        }
        if rng.random() < 0.7:
            contact["municipality"] = rng.choice(("Jyväskylä", "Helsinki", "Vaasa", "Oulu"))
        if rng.random() < 0.3:
            contact["free_text"] = "Kuvaus tilanteesta. " * rng.randint(1, 20)
        contacts.append(contact)
    return contacts
