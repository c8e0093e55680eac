"""The command line's access report: ``onecontact ledger report`` (text, JSON, CSV or
one HTML page), with ``--directory`` for the units and municipalities of a region's
directory of units. Kept beside :mod:`oneContact.cli`, which wires it into its ``ledger``
subcommands; a directory file that does not load raises its :class:`RuleError` (exit 1,
every problem at its file:line), a refused option is reported by the caller (exit 2)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from ._cli_options import instant_option, timestamp_option
from ._text import LANGUAGES
from .ledger import Ledger
from .routing import Directory
from .ruleset import RuleSet

__all__ = ["add_report_arguments", "run_report"]


def add_report_arguments(report: argparse.ArgumentParser) -> None:
    """The options of ``ledger report`` (after the common ``--db`` and rules ones)."""
    report.add_argument("--since", required=True, metavar="DATE|TIMESTAMP")
    report.add_argument("--until", required=True, metavar="DATE|TIMESTAMP", help="exclusive")
    report.add_argument(
        "--by",
        default="service,age_group",
        metavar="DIMS",
        help="comma-separated: service, age_group, clock, month, unit, municipality "
        "(default service,age_group)",
    )
    report.add_argument(
        "--directory",
        metavar="FILE",
        help="the region's directory of units (YAML or JSON): its municipalities are the "
        "ones --by municipality counts (any other is 'other'), and units and "
        "municipalities are named as it names them",
    )
    report.add_argument("--format", choices=("text", "json", "csv", "html"), default="text")
    report.add_argument(
        "--table",
        choices=("groups", "breaches", "overrides"),
        default="groups",
        help="CSV: which table",
    )
    report.add_argument("--now", metavar="TIMESTAMP", help="judge as of (default: period end)")
    report.add_argument(
        "--language",
        choices=LANGUAGES,
        default="en",
        help="HTML: the page's language and service names: fi, sv or en (default en)",
    )
    report.add_argument(
        "--no-overrides",
        action="store_true",
        help="leave out the section of professionals' overrides (one read of the period less)",
    )
    report.add_argument("--output", metavar="FILE", help="write here instead of stdout")


def run_report(args: argparse.Namespace, ruleset: RuleSet, error: Callable[[str], int]) -> int:
    """``onecontact ledger report`` with the rules *ruleset*: the report, written to
    stdout or ``--output``; a refused combination of options is *error* (its message)."""
    since = instant_option(args.since, "--since")
    until = instant_option(args.until, "--until")
    now = timestamp_option(args.now, "--now") if args.now else None
    by = [part.strip() for part in args.by.split(",") if part.strip()]
    if args.no_overrides and args.table == "overrides":
        return error("--table overrides needs the section --no-overrides leaves out")
    if args.table != "groups" and args.format != "csv":
        return error(
            f"--table {args.table} is for --format csv (the other formats hold every table)"
        )
    if "municipality" in by and not args.directory:
        # The library keeps the values as given without a list; a contact's municipality
        # is up to 100 characters a client typed, and a report is never to show them.
        return error(
            "--by municipality needs --directory FILE: the directory's municipalities are "
            "the ones counted (any other value a contact gave is counted as 'other')"
        )
    directory = (
        Directory.from_file(args.directory, rules=ruleset.catalogue) if args.directory else None
    )
    with Ledger.open(args.db, policies=ruleset.policies) as ledger:
        report = ledger.report(
            since=since,
            until=until,
            by=by,
            now=now,
            catalogue=ruleset.catalogue,
            overrides=not args.no_overrides,
            municipalities=None if directory is None else directory.municipality_ids,
            names=None if directory is None else directory.names,
        )
    if args.format == "json":
        text = json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "csv":
        text = report.to_csv(table=args.table)
    elif args.format == "html":
        text = report.to_html(language=args.language)
    else:
        text = report.to_text()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
