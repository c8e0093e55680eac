"""The ``onecontact`` command: thin, calls the library and prints.

Exit codes: 0 success; 1 the rules directory has problems (``check``, ``lint`` findings, or any command
whose rules cannot be loaded); 2 bad input (an invalid contact, a bad option); 141 the
reader of the output went away (``| head``).
Bad data never produces a Python traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from ._bundled import bundled_rules_directory
from ._cli_options import timestamp_option as _timestamp
from ._cli_overrides import (
    TOP_MAX,
    add_feedback_options,
    add_overrides_arguments,
    record_feedback_command,
    run_overrides,
)
from ._cli_report import add_report_arguments, run_report
from ._contact_json import MAX_CONTACT_SIZE
from ._fhir_cli import add_fhir_commands
from ._serve_cli import add_serve_command
from ._text import LANGUAGES
from .engine import Engine
from .errors import (
    ArgumentError,
    ContactError,
    ContactProblem,
    RuleError,
    read_text_file,
)
from .identity_code import NOT_SHOWN, is_shown, redact, shown_key
from .ledger import MAX_WITHIN_WEEKDAYS, Ledger, LedgerError
from .routing import Directory
from .ruleset import DEFAULT_BACKEND, URGENCY_LEVELS, RuleSet, load_ruleset

__all__ = ["main"]

EXIT_OK = 0
EXIT_RULES = 1
EXIT_INPUT = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a closed pipe

#: The largest count any other whole-number option takes (``--limit``).
MAX_COUNT = 1_000_000
_WHOLE = re.compile(r"-?[0-9]+")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        # argparse quotes what was typed (an invalid choice, an unrecognised argument):
        # only what cannot be an identity code or text is repeated.
        head, sep, rest = message.partition("unrecognized arguments: ")
        if sep:
            shown = (w if is_shown(w.lstrip("-")) else NOT_SHOWN for w in rest.split())
            message = head + sep + " ".join(shown)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {redact(message)}\n")


def _default_rules() -> Path:
    local = Path("rules")
    return local if (local / "questionnaire.yaml").is_file() else bundled_rules_directory()


def _events(pairs: Sequence[str]) -> dict[str, datetime]:
    out: dict[str, datetime] = {}
    for pair in pairs:
        name, sep, when = pair.partition("=")
        if not sep or not name:
            raise ContactError(
                [
                    ContactProblem(
                        "--event",
                        "write NAME=TIMESTAMP, e.g. need_assessed=2025-02-03T10:00:00+02:00",
                        "event",
                    )
                ],
                title="invalid option",
            )
        out[name] = _timestamp(when, f"--event {shown_key(name)}")
    return out


def _read_contact(path: str) -> str | bytes:
    """A contact file's text, or standard input's bytes for ``-``: at most one byte more
    than a contact may have (the reading of the JSON refuses that byte), so neither a huge
    file nor an endless stream is read whole; of a file, only a regular one."""
    if path == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:  # a text stream put in its place (a host, a test)
            return sys.stdin.read(MAX_CONTACT_SIZE + 1)
        data: bytes = stdin.read(MAX_CONTACT_SIZE + 1)
        return data
    return read_text_file(path, title="invalid input", limit=MAX_CONTACT_SIZE)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _directory_engine(args: argparse.Namespace) -> Engine:
    """The engine for ``assess``: with ``--directory``, routes name members and slots."""
    rules = args.rules or _default_rules()
    if not args.directory:
        return Engine.from_directory(rules, backend=args.backend, region=args.region)
    directory = Directory.from_file(args.directory, rules=rules)
    return Engine.from_directory(
        rules, backend=args.backend, region=args.region, directory=directory
    )


def _refused_as_json(exc: ContactError, output: str) -> int:
    """A refused contact with ``--format json``: its problems as JSON on stderr, so a form
    or script reads the codes and the client's messages (fi/sv/en); stdout stays empty, as
    for every refused input. With text output the error goes on as it is."""
    if output != "json":
        raise exc
    print(json.dumps(exc.to_json(), ensure_ascii=False, indent=2), file=sys.stderr)
    return EXIT_INPUT


def _cmd_assess(args: argparse.Namespace) -> int:
    try:
        # The options and the file first: a bad one is refused before rules are loaded.
        events = _events(args.event)
        now = _timestamp(args.now, "--now") if args.now else None
        contact = _read_contact(args.contact)
        engine = _directory_engine(args)
        assessment = engine.assess(contact, events=events, now=now)
    except ContactError as exc:
        return _refused_as_json(exc, args.format)
    if args.format == "text":
        print(engine.to_text(assessment, language=args.language))
    else:
        _print_json(assessment.to_json())
    return EXIT_OK


def _cmd_clocks(args: argparse.Namespace) -> int:
    events = _events(args.event)
    now = _timestamp(args.now, "--now") if args.now else None
    contact = _read_contact(args.contact)
    engine = Engine.from_directory(
        args.rules or _default_rules(), backend=args.backend, region=args.region
    )
    assessment = engine.assess(contact, events=events, now=now)
    _print_json([c.to_json() for c in assessment.clocks])
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    path = Path(args.rules) if args.rules else _default_rules()
    ruleset = load_ruleset(path)
    if args.backend == "durable":
        Engine(ruleset, backend="durable")  # also proves the C engine accepts every rule
    print(
        f"{path}: OK: {len(ruleset.rules)} rules, {len(ruleset.questionnaire.questions)} questions, "
        f"{len(ruleset.catalogue.services)} services, {len(ruleset.policies.clock_ids)} clocks; "
        f"digest {ruleset.digest}"
    )
    if args.directory:
        directory = Directory.from_file(args.directory, rules=ruleset.catalogue)
        members = list(directory.all_members())
        slots = sum(len(directory.free_slots(m.id)) for m in members)
        print(
            f"{args.directory}: OK: {len(directory.units())} units, {len(members)} members, "
            f"{slots} free slots"
        )
    return EXIT_OK


def _cmd_lint(args: argparse.Namespace) -> int:
    from .lint import LintFinding, lint_rules  # noqa: PLC0415 -- only this command needs it

    rules = Path(args.rules)
    if not rules.is_dir():
        print(
            f"{rules}: not a rules directory; give the folder that holds questionnaire.yaml",
            file=sys.stderr,
        )
        return EXIT_INPUT
    if args.fixtures is not None and not Path(args.fixtures).is_dir():
        print(f"{args.fixtures}: --fixtures needs a folder of fixture files", file=sys.stderr)
        return EXIT_INPUT
    try:
        findings = lint_rules(rules, fixtures=args.fixtures)
    except RuleError as exc:
        # What the loader refuses is a finding too: editors and CI read one format.
        findings = tuple(
            LintFinding(
                p.code,
                str(p.path) if p.path is not None else str(rules),
                p.line,
                p.column,
                p.rule_id,
                p.message,
                f"use {p.suggestion!r}" if p.suggestion else "see docs/reference/errors.md",
            )
            for p in exc.problems
        )
    if args.format == "json":
        _print_json({"findings": [f.to_json() for f in findings], "count": len(findings)})
    else:
        for finding in findings:
            print(finding)
        noun = "finding" if len(findings) == 1 else "findings"
        print(f"{rules}: {len(findings)} {noun}" if findings else f"{rules}: clean")
    return EXIT_RULES if findings else EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    questionnaire = None
    if not args.generic:
        questionnaire = load_ruleset(args.rules or _default_rules()).questionnaire
    from .intake import contact_json_schema  # noqa: PLC0415 -- only this command needs it

    _print_json(contact_json_schema(questionnaire))
    return EXIT_OK


# --------------------------------------------------------------------------- ledger


def _ledger_error(message: str) -> int:
    print(f"onecontact ledger: error: {message}", file=sys.stderr)
    return EXIT_INPUT


def _ledger_rules(args: argparse.Namespace) -> RuleSet:
    path = args.rules or _default_rules()
    region = getattr(args, "region", None)
    return load_ruleset(path) if region is None else load_ruleset(path, region=region)


def _ledger_run(args: argparse.Namespace) -> int:
    """Run a ``ledger`` subcommand; the ledger's refusals exit 2 (the ledger maps its
    drivers' errors to :class:`LedgerError` subclasses, so none escapes as itself)."""
    try:
        code: int = args.ledger_run(args)
    except LedgerError as exc:
        return _ledger_error(str(exc))
    except BrokenPipeError:
        # The reader of stdout went away (e.g. `| head`): not an error of the input.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        return _ledger_error(f"cannot write {exc.filename or 'the output'}: {exc.strerror}")
    return code


def _cmd_ledger_record(args: argparse.Namespace) -> int:
    by_event = (args.event, args.contact_id, args.event_id)
    if args.suggestion is not None or args.reason is not None:
        if args.suggestion is None or args.contact is not None or args.contact_id is not None:
            return _ledger_error(
                "feedback takes --suggestion ID --event suggestion_overridden=TIMESTAMP "
                "--event-id ID [--reason CODE] (the suggestion names its contact)"
            )
        if args.event is None or args.event_id is None:
            return _ledger_error("--suggestion needs --event NAME=TIMESTAMP and --event-id")
        ((name, at),) = _events([args.event]).items()
        policies = _ledger_rules(args).policies
        _print_json(record_feedback_command(args, name, at, policies))
        return EXIT_OK
    if args.contact is not None:
        if any(v is not None for v in by_event):
            return _ledger_error(
                "give either --contact FILE, or --event NAME=TIMESTAMP with --contact-id "
                "and --event-id, not both"
            )
        contact = _read_contact(args.contact)
        ruleset = _ledger_rules(args)
        engine = Engine(ruleset, backend=args.backend)
        assessment = engine.assess(contact)
        with Ledger.open(args.db, policies=ruleset.policies) as ledger:
            recorded = ledger.record_assessment(assessment)
        _print_json(
            {
                "contact_id": assessment.contact_id,
                "recorded": recorded,
                "clocks": [c.to_json() for c in assessment.clocks],
            }
        )
        return EXIT_OK
    if any(v is None for v in by_event):
        return _ledger_error(
            "record takes --contact FILE (a first contact to assess and record), or "
            "--event NAME=TIMESTAMP --contact-id ID --event-id ID (one event)"
        )
    ((name, at),) = _events([args.event]).items()
    with Ledger.open(args.db, policies=_ledger_rules(args).policies) as ledger:
        recorded = ledger.record(args.contact_id, name, at=at, event_id=args.event_id)
    _print_json(
        {
            "contact_id": args.contact_id,
            "event": name,
            "at": at.isoformat(),
            "event_id": args.event_id,
            "recorded": recorded,
        }
    )
    return EXIT_OK


def _ledger_now(args: argparse.Namespace) -> datetime:
    return _timestamp(args.now, "--now") if args.now else datetime.now(UTC)


def _cmd_ledger_clocks(args: argparse.Namespace) -> int:
    now = _ledger_now(args)
    with Ledger.open(args.db, policies=_ledger_rules(args).policies) as ledger:
        clocks = ledger.clocks(args.contact_id, now=now)
    _print_json([c.to_json() for c in clocks])
    return EXIT_OK


def _cmd_ledger_due(args: argparse.Namespace) -> int:
    now = _ledger_now(args)
    with Ledger.open(args.db, policies=_ledger_rules(args).policies) as ledger:
        worklist = ledger.due(now=now, within_weekdays=args.within)
    _print_json([c.to_json() for c in worklist])
    return EXIT_OK


def _cmd_ledger_migrate(args: argparse.Namespace) -> int:
    print(Ledger.migrate(args.url))
    return EXIT_OK


def _add_ledger(sub: Any, rules_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """``onecontact ledger record|clocks|due|report|overrides|migrate``."""
    ledger = sub.add_parser(
        "ledger",
        help="record events in the time-to-care ledger; clocks, the worklist, reports",
        description="The time-to-care ledger: --db sqlite:///ledger.db or postgresql://...",
    )
    commands = ledger.add_subparsers(dest="ledger_command", required=True, parser_class=_Parser)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--db",
            required=True,
            metavar="URL",
            help="the ledger: sqlite:///path/ledger.db or postgresql://user@host:5432/db",
        )
        rules_option(p)

    record = commands.add_parser(
        "record",
        help="record a first contact (assessed with the rules), one event, or a "
        "professional's feedback on a suggestion",
    )
    common(record)
    record.add_argument("--contact", metavar="FILE", help="a first contact (JSON, - for stdin)")
    record.add_argument(
        "--event", metavar="NAME=TIMESTAMP", help="e.g. need_assessed=2025-03-04T10:00:00+02:00"
    )
    record.add_argument("--contact-id", metavar="ID")
    record.add_argument("--event-id", metavar="ID", help="the idempotency key of the event")
    add_feedback_options(record)
    record.set_defaults(run=_ledger_run, ledger_run=_cmd_ledger_record)

    clocks = commands.add_parser("clocks", help="one contact's clocks as JSON")
    clocks.add_argument("contact_id", metavar="ID")
    common(clocks)
    clocks.add_argument("--now", metavar="TIMESTAMP", help="default: the present")
    clocks.set_defaults(run=_ledger_run, ledger_run=_cmd_ledger_clocks)

    due = commands.add_parser("due", help="the worklist as JSON: past due, then due soon")
    common(due)
    due.add_argument("--now", metavar="TIMESTAMP", help="default: the present")
    due.add_argument(
        "--within", type=_weekdays, default=1, metavar="N", help="weekdays ahead (default 1)"
    )
    due.set_defaults(run=_ledger_run, ledger_run=_cmd_ledger_due)

    report = commands.add_parser(
        "report", help="access report of the clocks started in [--since, --until)"
    )
    common(report)
    add_report_arguments(report)
    report.set_defaults(
        run=_ledger_run, ledger_run=lambda a: run_report(a, _ledger_rules(a), _ledger_error)
    )

    overrides = commands.add_parser(
        "overrides",
        help="how often professionals overrode the rules' suggestions, per rule and urgency",
    )
    common(overrides)
    add_overrides_arguments(overrides, lambda text: _whole(text, 0, TOP_MAX))
    overrides.set_defaults(
        run=_ledger_run, ledger_run=lambda a: run_overrides(a, _ledger_rules(a).policies)
    )

    migrate = commands.add_parser(
        "migrate",
        help="create the ledger's tables, or bring an older ledger up to date (idempotent)",
        description="Create the ledger's tables at URL, or bring an older ledger to this "
        "version's schema; prints one line saying what was done. Run it once per upgrade, "
        "as a role that may create tables, before the service opens the ledger.",
    )
    migrate.add_argument(
        "url", metavar="URL", help="sqlite:///path/ledger.db or postgresql://user@host:5432/db"
    )
    migrate.set_defaults(run=_ledger_run, ledger_run=_cmd_ledger_migrate)


# ------------------------------------------------------------- explain, diff, next-questions


def _cmd_explain(args: argparse.Namespace) -> int:
    from .explain import explain, why_not  # noqa: PLC0415 -- only this command needs them

    text = _read_contact(args.contact)
    engine = Engine.from_directory(
        args.rules or _default_rules(), backend=args.backend, region=args.region
    )
    contact = engine.validate(text)
    explanation = explain(engine, contact)
    answer = (
        why_not(engine, contact, args.why_not, max_changes=args.max_changes, limit=args.limit)
        if args.why_not
        else None
    )
    if args.format == "json":
        data = explanation.to_json()
        if answer is not None:
            data["why_not"] = answer.to_json()
        _print_json(data)
    else:
        language = args.language
        print(explanation.to_text(matched_only=args.matched_only, language=language))
        if answer is not None:
            print(answer.to_text(language=language or explanation.language))
    return EXIT_OK


def _cmd_diff(args: argparse.Namespace) -> int:
    from .diff import diff_rules, read_contacts  # noqa: PLC0415 -- only this command needs them

    contacts = read_contacts(args.contacts)
    old = Engine.from_directory(args.old, backend=args.backend, region=args.region)
    new = Engine.from_directory(args.new, backend=args.backend, region=args.region)
    result = diff_rules(old, new, contacts, source=args.contacts)
    if args.format == "json":
        _print_json(result.to_json(limit=args.limit))
    else:
        print(result.to_text(limit=args.limit))
    return EXIT_OK


def _cmd_next_questions(args: argparse.Namespace) -> int:
    from ._render import next_questions_text  # noqa: PLC0415 -- only this command needs it

    try:
        contact = _read_contact(args.contact)
        engine = Engine.from_directory(
            args.rules or _default_rules(), backend=args.backend, region=args.region
        )
        _known_questions(args.declined, engine.ruleset)
        step = engine.next_questions(contact, declined=args.declined)
    except ContactError as exc:
        return _refused_as_json(exc, args.format)
    if args.format == "json":
        _print_json(step.to_json())
    else:
        print(next_questions_text(step, engine.ruleset, args.language))
    return EXIT_OK


def _known_questions(ids: Sequence[str], ruleset: RuleSet) -> None:
    """Refuse a ``--declined`` id the questionnaire does not have: a typo would
    otherwise ask the question again without a word."""
    from .next_questions import declined_problems  # noqa: PLC0415

    problems = declined_problems(ids, ruleset.questionnaire.questions, "--declined ")
    if problems:
        raise ContactError(problems, title="invalid option")


def _positive(text: str) -> int:
    return _whole(text, 1, MAX_COUNT)


def _max_changes(text: str) -> int:
    from .explain import MAX_WHY_NOT_CHANGES  # noqa: PLC0415

    return _whole(text, 1, MAX_WHY_NOT_CHANGES)


def _add_toolkit(sub: Any, rules_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """``onecontact explain`` and ``onecontact diff``: the rule author's view of decisions;
    ``onecontact next-questions``: what an adaptive form asks next."""
    explain = sub.add_parser(
        "explain",
        help="every rule, matched or not, with the values it saw; --why-not LEVEL",
        description="Explain one decision rule by rule; --why-not searches the answers for "
        "the fewest changes that reach a level.",
    )
    explain.add_argument("contact", help="a first contact (JSON file, or - for stdin)")
    rules_option(explain)
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.add_argument(
        "--matched-only", action="store_true", help="text: list only the rules that matched"
    )
    _language_option(explain)
    explain.add_argument(
        "--why-not",
        choices=URGENCY_LEVELS,
        metavar="LEVEL",
        help="the fewest answer changes that give LEVEL: " + ", ".join(URGENCY_LEVELS),
    )
    explain.add_argument(
        "--max-changes",
        type=_max_changes,
        default=3,
        metavar="N",
        help="why-not: search sets of up to N changed answers (default 3)",
    )
    explain.add_argument(
        "--limit", type=_positive, default=10, metavar="N", help="why-not: ways shown (default 10)"
    )
    explain.set_defaults(run=_cmd_explain)

    diff = sub.add_parser(
        "diff",
        help="decisions a rule change alters, over contacts in a JSON-lines file",
        description="Run the same contacts through two rules directories and report the "
        "decisions whose urgency, routes or clocks change.",
    )
    diff.add_argument("contacts", help="JSON lines: one first contact per line")
    diff.add_argument("--old", required=True, metavar="DIR", help="rules directory before")
    diff.add_argument("--new", required=True, metavar="DIR", help="rules directory after")
    diff.add_argument(
        "--backend", choices=("durable", "python"), default=DEFAULT_BACKEND, help="rule evaluator"
    )
    diff.add_argument("--region", metavar="NAME", help="regional targets for both sides")
    diff.add_argument(
        "--limit", type=_positive, default=20, metavar="N", help="changed contacts listed (20)"
    )
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(run=_cmd_diff)

    asking = sub.add_parser(
        "next-questions",
        help="the unanswered questions that can still change the decision",
        description="For a contact with its concerns and the answers so far: the questions "
        "of its form whose answer can still change the urgency, needs, routes or clocks, "
        "in a safe asking order, each with why; done when none can.",
    )
    asking.add_argument("contact", help="a first contact (JSON file, or - for stdin)")
    rules_option(asking)
    asking.add_argument("--format", choices=("text", "json"), default="text")
    _language_option(asking)
    asking.add_argument(
        "--declined",
        nargs="+",
        action="extend",
        default=[],
        metavar="ID",
        help="questions the client was asked and chose to leave unanswered",
    )
    asking.set_defaults(run=_cmd_next_questions)


def _weekdays(text: str) -> int:
    return _whole(text, 0, MAX_WITHIN_WEEKDAYS)


def _whole(text: str, low: int, high: int) -> int:
    """A whole-number option from *low* to *high*; refused (exit 2) without repeating
    what was typed: it may be anything, of any length."""
    digits = text.strip().removeprefix("+")
    if not _WHOLE.fullmatch(digits):
        raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}")
    if digits.startswith("-") and digits != "-0":
        raise argparse.ArgumentTypeError(f"must be {low} or more")
    # Compared as text first: int() of thousands of digits is refused (and slow).
    if len(digits.lstrip("0")) > len(str(high)) or int(digits) > high:
        raise argparse.ArgumentTypeError(f"must be {high} or less")
    value = int(digits)
    if value < low:
        raise argparse.ArgumentTypeError(f"must be {low} or more")
    return value


def _language_option(p: argparse.ArgumentParser, default: str | None = None) -> None:
    p.add_argument(
        "--language",
        choices=LANGUAGES,
        default=default,
        help="language of the text output: fi, sv or en (default: "
        + (default or "the client's language when it is one of them, else fi")
        + ")",
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="onecontact",
        description="Assess a first contact: urgency, routes and care-guarantee clocks.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def rules_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--rules",
            metavar="DIR",
            help="rules directory (default: ./rules, else the bundled rules)",
        )
        p.add_argument(
            "--backend",
            choices=("durable", "python"),
            default=DEFAULT_BACKEND,
            help="rule evaluator",
        )
        p.add_argument(
            "--region",
            metavar="NAME",
            help="regional targets to show beside the law (policies/regions/NAME.yaml)",
        )

    assess = sub.add_parser("assess", help="assess one contact (JSON file, or - for stdin)")
    assess.add_argument("contact")
    rules_option(assess)
    assess.add_argument("--format", choices=("json", "text"), default="json")
    _language_option(assess)
    assess.add_argument("--event", action="append", default=[], metavar="NAME=TIMESTAMP")
    assess.add_argument(
        "--now", metavar="TIMESTAMP", help="decides whether open clocks are breached"
    )
    assess.add_argument(
        "--directory",
        metavar="FILE",
        help="directory of units, members and slots (YAML or JSON): routes then name a "
        "member, unit and slot",
    )
    assess.set_defaults(run=_cmd_assess)

    clocks = sub.add_parser("clocks", help="the care-guarantee clocks of one contact, as JSON")
    clocks.add_argument("contact")
    rules_option(clocks)
    clocks.add_argument("--event", action="append", default=[], metavar="NAME=TIMESTAMP")
    clocks.add_argument("--now", metavar="TIMESTAMP")
    clocks.set_defaults(run=_cmd_clocks)

    check = sub.add_parser("check", help="validate a rules directory; exit 1 on problems")
    check.add_argument("rules", nargs="?", metavar="DIR")
    check.add_argument("--backend", choices=("durable", "python"), default=DEFAULT_BACKEND)
    check.add_argument(
        "--directory", metavar="FILE", help="also check a directory file against these rules"
    )
    check.set_defaults(run=_cmd_check)

    lint = sub.add_parser(
        "lint", help="find likely mistakes in a rules directory; exit 1 on findings"
    )
    lint.add_argument("rules", metavar="RULES_DIR")
    lint.add_argument(
        "--fixtures", metavar="DIR", help="fixture cases: also report rules no case fires"
    )
    lint.add_argument("--format", choices=("text", "json"), default="text")
    lint.set_defaults(run=_cmd_lint)

    schema = sub.add_parser("schema", help="JSON Schema of the first-contact record")
    schema.add_argument("--rules", metavar="DIR", help="questionnaire to take codes from")
    schema.add_argument("--generic", action="store_true", help="without the questionnaire's codes")
    schema.set_defaults(run=_cmd_schema)
    _add_ledger(sub, rules_option)
    _add_toolkit(sub, rules_option)
    add_fhir_commands(sub, _Parser, read_input=_read_contact, default_rules=_default_rules)
    add_serve_command(sub, _default_rules)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ContactError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except ArgumentError as exc:  # an option the library refused: bad input, no traceback
        print(f"onecontact: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except RuleError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        count = len(exc.problems)
        print(f"{count} problem{'s' if count != 1 else ''}; nothing was loaded", file=sys.stderr)
        return EXIT_RULES
    except BrokenPipeError:
        # The reader stopped reading (`onecontact explain c.json | head`): not an error
        # of ours, and no traceback. Point stdout at devnull so that the interpreter's
        # last flush does not fail again, and exit as a shell reports SIGPIPE.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
