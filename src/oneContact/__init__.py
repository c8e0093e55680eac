"""oneContact: one first contact in; urgency, routes and care-guarantee clocks out."""

from importlib.metadata import PackageNotFoundError, version

from ._bundled import bundled_rules_directory
from .clocks import Calendar, Clock, ClockSubject, Policies
from .diff import ReplayError, RulesDiff, diff_rules, replay
from .engine import Assessment, Engine, FiredRule
from .errors import ContactError, ContactProblem, OneContactError, RuleError, RuleProblem
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

try:
    __version__ = version("onecontact")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
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
