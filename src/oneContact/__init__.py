"""oneContact: one first contact in; urgency, routes and care-guarantee clocks out.

This module only re-exports the public API (``__all__``); the flow, stage by stage:
intake (the first contact) -> ruleset (the checked rules) -> engine (the assessment) ->
routing -> clocks -> ledger -> report; explain, diff, lint and testing are the rule
authors' tools. See docs/explanation/architecture.md.
"""

from ._bundled import bundled_rules_directory
from ._version import __version__
from .assessment import Assessment, FiredRule
from .clocks import Calendar, Clock, ClockSubject, Policies
from .diff import ReplayError, RulesDiff, diff_rules, replay
from .engine import Engine
from .errors import (
    ArgumentError,
    ContactError,
    ContactProblem,
    LedgerStoreError,
    LedgerUnavailableError,
    OneContactError,
    RuleError,
    RuleProblem,
)
from .explain import Explanation, WhyNot
from .intake import Client, FirstContact, contact_json_schema, parse_contact
from .ledger import Ledger, LedgerClock, LedgerContact, LedgerError, LedgerEvent
from .lint import LintFinding, lint_rules
from .report import Breach, Report, ReportRow
from .routing import (
    CatalogueRouter,
    Directory,
    DirectoryRouter,
    DirectorySource,
    Member,
    Route,
    Router,
    RouteRequest,
    ServiceRequest,
    SlotProvider,
    Unit,
)
from .ruleset import Rule, RuleSet, load_ruleset

__all__ = [
    "ArgumentError",
    "Assessment",
    "Breach",
    "Calendar",
    "CatalogueRouter",
    "Client",
    "Clock",
    "ClockSubject",
    "ContactError",
    "ContactProblem",
    "Directory",
    "DirectoryRouter",
    "DirectorySource",
    "Engine",
    "Explanation",
    "FiredRule",
    "FirstContact",
    "Ledger",
    "LedgerClock",
    "LedgerContact",
    "LedgerError",
    "LedgerEvent",
    "LedgerStoreError",
    "LedgerUnavailableError",
    "LintFinding",
    "Member",
    "OneContactError",
    "Policies",
    "ReplayError",
    "Report",
    "ReportRow",
    "Route",
    "RouteRequest",
    "Router",
    "Rule",
    "RuleError",
    "RuleProblem",
    "RuleSet",
    "RulesDiff",
    "ServiceRequest",
    "SlotProvider",
    "Unit",
    "WhyNot",
    "__version__",
    "bundled_rules_directory",
    "contact_json_schema",
    "diff_rules",
    "lint_rules",
    "load_ruleset",
    "parse_contact",
    "replay",
]
