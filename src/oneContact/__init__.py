"""oneContact: one first contact in; urgency, routes and care-guarantee clocks out."""

from importlib.metadata import PackageNotFoundError, version

from ._bundled import bundled_rules_directory
from .clocks import Calendar, Clock, ClockSubject, Policies
from .directory import Directory, DirectoryRouter, DirectorySource, Member, SlotProvider, Unit
from .engine import Assessment, Engine, FiredRule
from .errors import ContactError, ContactProblem, OneContactError, RuleError, RuleProblem
from .intake import Client, FirstContact, contact_json_schema, parse_contact
from .ledger import Ledger, LedgerClock, LedgerContact, LedgerError, LedgerEvent
from .report import Breach, Report, ReportRow
from .route import CatalogueRouter, Route, Router, RouteRequest, ServiceRequest
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
    "FiredRule",
    "FirstContact",
    "Ledger",
    "LedgerClock",
    "LedgerContact",
    "LedgerError",
    "LedgerEvent",
    "Member",
    "OneContactError",
    "Policies",
    "Report",
    "ReportRow",
    "Route",
    "RouteRequest",
    "Router",
    "Rule",
    "RuleError",
    "RuleProblem",
    "RuleSet",
    "ServiceRequest",
    "SlotProvider",
    "Unit",
    "__version__",
    "bundled_rules_directory",
    "contact_json_schema",
    "load_ruleset",
    "parse_contact",
]
