"""The command line's view of professionals' feedback: ``onecontact ledger overrides``
(the overrides report as text in fi/sv/en, JSON or CSV) and the feedback options of
``onecontact ledger record`` (``--suggestion ID`` with ``--event
suggestion_overridden=TIMESTAMP --event-id ID [--reason CODE]``). Kept beside
:mod:`oneContact.cli`, which wires them into its ``ledger`` subcommands; refusals are the
ledger's :class:`LedgerError`, reported by the caller (exit code 2)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ._cli_options import instant_option, timestamp_option
from ._text import LANGUAGES
from .clocks import Policies
from .errors import LedgerArgumentError
from .ledger import Ledger
from .suggestions import OVERRIDE_REASONS, SUGGESTION_EVENTS, Feedback

__all__ = [
    "TOP_MAX",
    "add_feedback_options",
    "add_overrides_arguments",
    "record_feedback_command",
    "run_overrides",
]

_OUTCOME_OF = {event: outcome for outcome, event in SUGGESTION_EVENTS.items()}
TOP_MAX = 10_000


def add_feedback_options(record: argparse.ArgumentParser) -> None:
    """``--suggestion`` and ``--reason`` of ``ledger record``."""
    record.add_argument(
        "--suggestion",
        metavar="ID",
        help="record a professional's feedback on this suggestion (a Suggestion.id, a CDS "
        "Hooks card's uuid), with --event suggestion_accepted=TIMESTAMP or "
        "suggestion_overridden=TIMESTAMP and --event-id",
    )
    record.add_argument(
        "--reason",
        metavar="CODE",
        help=f"with --suggestion, an override's coded reason: {', '.join(OVERRIDE_REASONS)}",
    )


def record_feedback_command(
    args: argparse.Namespace, event: str, at: datetime, policies: Policies
) -> dict[str, object]:
    """Record the feedback ``ledger record --suggestion`` gives; what it prints."""
    outcome = _OUTCOME_OF.get(event)
    if outcome is None:
        raise LedgerArgumentError(
            "bad-argument",
            "--event",
            "with --suggestion, the event is suggestion_accepted=TIMESTAMP or "
            "suggestion_overridden=TIMESTAMP",
        )
    feedback = Feedback(args.suggestion, outcome, at, args.event_id, args.reason)
    with Ledger.open(args.db, policies=policies) as ledger:
        recorded = ledger.record_feedback(feedback)
    return {
        "suggestion_id": feedback.suggestion_id,
        "event": event,
        "at": at.isoformat(),
        "event_id": feedback.event_id,
        "reason": feedback.reason,
        "recorded": recorded,
    }


def add_overrides_arguments(overrides: argparse.ArgumentParser, top: Callable[[str], int]) -> None:
    """The options of ``ledger overrides`` (after the common ``--db`` and rules ones);
    *top* reads ``--top``."""
    overrides.add_argument("--since", metavar="DATE|TIMESTAMP", help="contacts received from")
    overrides.add_argument(
        "--until", metavar="DATE|TIMESTAMP", help="contacts received before (exclusive)"
    )
    overrides.add_argument(
        "--now", metavar="TIMESTAMP", help="count the feedback recorded by then (default: all)"
    )
    overrides.add_argument(
        "--top",
        type=top,
        default=10,
        metavar="N",
        help=f"contacts where professionals most often disagreed (0 to {TOP_MAX}, default 10)",
    )
    overrides.add_argument("--format", choices=("text", "json", "csv"), default="text")
    overrides.add_argument(
        "--language",
        choices=LANGUAGES,
        default="en",
        help="text: the language of its headings and reasons: fi, sv or en (default en)",
    )
    overrides.add_argument("--output", metavar="FILE", help="write here instead of stdout")


def run_overrides(args: argparse.Namespace, policies: Policies) -> int:
    """``onecontact ledger overrides``: the report, written to stdout or ``--output``."""
    since = None if args.since is None else instant_option(args.since, "--since")
    until = None if args.until is None else instant_option(args.until, "--until")
    now = None if args.now is None else timestamp_option(args.now, "--now")
    with Ledger.open(args.db, policies=policies) as ledger:
        found = ledger.overrides(since=since, until=until, top=args.top, now=now)
    if args.format == "json":
        text = json.dumps(found.to_json(), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "csv":
        text = found.to_csv()
    else:
        text = found.to_text(args.language)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
