"""Stage 2, rule files to a checked :class:`RuleSet`, and the evaluators that run it.

Where each part lives:

* :mod:`.model`: urgency levels and their one order (:func:`urgency_rank`), the fields
  every contact has, :class:`Person`, :class:`Rule`;
* :mod:`.questionnaire`: :class:`Questionnaire`, :class:`Question` and the check of
  every answer (``questionnaire.yaml``);
* :mod:`.catalogue`: :class:`Catalogue`, :class:`Service`, :func:`load_catalogue`
  (``catalogue.yaml``);
* :mod:`.rule_files`: the rule files, read into :class:`Rule` values;
* :mod:`.loading`: :class:`RuleSet`, :func:`load_ruleset`, the digest and
  :data:`REQUIRE_ALL_LANGUAGES`;
* :mod:`.condition`: the condition language (parser, type checker, intermediate form);
* :mod:`.program`: :func:`compile` (a rule set to a :class:`Program`) over the two
  evaluators, :mod:`.python_evaluator` and the durable_rules adapter :mod:`._durable`,
  and :data:`DEFAULT_BACKEND` (durable_rules on Python 3.11 and 3.12, Python from 3.13);
* :mod:`.sat`: exact satisfiability of conditions (for the lint);
* :mod:`.trace`: one rule traced comparison by comparison (for explanations).

``oneContact.ruleset.REQUIRE_ALL_LANGUAGES`` reads and writes
:data:`.loading.REQUIRE_ALL_LANGUAGES`, the one switch loading reads.
"""

import sys
import types
from typing import TYPE_CHECKING

from .._text import LANGUAGES
from . import loading as _loading
from .catalogue import SERVICE_KINDS, Catalogue, Service, load_catalogue
from .loading import RuleSet, load_ruleset
from .model import (
    BUILTIN_FIELDS,
    NO_URGENCY_RANK,
    URGENCY_LEVELS,
    URGENCY_RANK,
    URGENT_OR_MORE,
    Person,
    Rule,
    Urgency,
    urgency_rank,
)
from .program import DEFAULT_BACKEND, Backend, Program, compile
from .questionnaire import MAX_CONCERNS, MAX_QUESTIONS, Concern, Question, Questionnaire
from .rule_files import MAX_RULES

if TYPE_CHECKING:
    from .loading import REQUIRE_ALL_LANGUAGES

__all__ = [
    "BUILTIN_FIELDS",
    "DEFAULT_BACKEND",
    "LANGUAGES",
    "MAX_CONCERNS",
    "MAX_QUESTIONS",
    "MAX_RULES",
    "NO_URGENCY_RANK",
    "REQUIRE_ALL_LANGUAGES",
    "SERVICE_KINDS",
    "URGENCY_LEVELS",
    "URGENCY_RANK",
    "URGENT_OR_MORE",
    "Backend",
    "Catalogue",
    "Concern",
    "Person",
    "Program",
    "Question",
    "Questionnaire",
    "Rule",
    "RuleSet",
    "Service",
    "Urgency",
    "compile",
    "load_catalogue",
    "load_ruleset",
    "urgency_rank",
]


class _Package(types.ModuleType):
    """This package, with ``REQUIRE_ALL_LANGUAGES`` forwarded to :mod:`.loading`."""

    @property
    def REQUIRE_ALL_LANGUAGES(self) -> bool:  # noqa: N802 -- a module constant's name
        return _loading.REQUIRE_ALL_LANGUAGES

    @REQUIRE_ALL_LANGUAGES.setter
    def REQUIRE_ALL_LANGUAGES(self, value: bool) -> None:  # noqa: N802
        _loading.REQUIRE_ALL_LANGUAGES = value


sys.modules[__name__].__class__ = _Package
