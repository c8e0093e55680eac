"""The ``onecontact`` command: thin, calls the library and prints.

Exit codes: 0 success; 1 the rules directory has problems (``check``, or any command
whose rules cannot be loaded); 2 bad input (an invalid contact, a bad option).
Bad data never produces a Python traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from ._bundled import bundled_rules_directory
from .clocks import Clock
from .engine import Assessment, Engine
from .errors import ContactError, ContactProblem, RuleError
from .ruleset import load_ruleset

__all__ = ["main"]

EXIT_OK = 0
EXIT_RULES = 1
EXIT_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def _default_rules() -> Path:
    local = Path("rules")
    return local if (local / "questionnaire.yaml").is_file() else bundled_rules_directory()


def _timestamp(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ContactError(
            [ContactProblem(what, "must be an RFC 3339 timestamp with an offset", "timestamp")],
            title="invalid option",
        ) from None
    if value.tzinfo is None:
        raise ContactError(
            [
                ContactProblem(
                    what, "needs a UTC offset, e.g. 2025-02-03T10:00:00+02:00", "timezone"
                )
            ],
            title="invalid option",
        )
    return value


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
        out[name] = _timestamp(when, f"--event {name}")
    return out


def _read_contact(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ContactError(
            [ContactProblem("<file>", f"cannot read {path}: {exc.strerror}", "file")],
            title="invalid input",
        ) from None
    except UnicodeDecodeError:
        raise ContactError(
            [ContactProblem("<file>", f"{path} is not UTF-8 text", "file")],
            title="invalid input",
        ) from None


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _due(clock: Clock) -> str:
    if clock.status == "not_started":
        return f"not started (starts at {clock.starts_on})"
    return f"due {clock.due_date.isoformat()}" if clock.due_date else "no statutory due date"


def _text(assessment: Assessment, engine: Engine, language: str) -> str:
    services = engine.ruleset.catalogue.services
    needs = engine.ruleset.catalogue.needs
    lines = [
        f"contact {assessment.contact_id}",
        f"urgency: {assessment.urgency}",
        "needs:",
        *(f"  - {n}: {needs[n].get(language)}" for n in assessment.needs),
        "routes:",
        *(
            f"  {i}. {r.service} ({r.kind}): {services[r.service].name.get(language)}  [rule {r.reason}]"
            for i, r in enumerate(assessment.routes, 1)
        ),
        "clocks:",
        *(
            f"  - {c.clock}: " + " · ".join(filter(None, (_due(c), c.status, c.limit, c.basis)))
            for c in assessment.clocks
        ),
        "why (rules that fired):",
        *(f"  - {f.rule}  {f.file}:{f.line}" for f in assessment.fired),
        f"rules digest: {assessment.ruleset_digest}",
    ]
    return "\n".join(lines)


def _cmd_assess(args: argparse.Namespace) -> int:
    engine = Engine.from_directory(args.rules or _default_rules(), backend=args.backend)
    events = _events(args.event)
    now = _timestamp(args.now, "--now") if args.now else None
    assessment = engine.assess(_read_contact(args.contact), events=events, now=now)
    if args.format == "text":
        print(_text(assessment, engine, args.language))
    else:
        _print_json(assessment.to_json())
    return EXIT_OK


def _cmd_clocks(args: argparse.Namespace) -> int:
    engine = Engine.from_directory(args.rules or _default_rules(), backend=args.backend)
    events = _events(args.event)
    now = _timestamp(args.now, "--now") if args.now else None
    assessment = engine.assess(_read_contact(args.contact), events=events, now=now)
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
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    questionnaire = None
    if not args.generic:
        questionnaire = load_ruleset(args.rules or _default_rules()).questionnaire
    from .intake import contact_json_schema  # noqa: PLC0415 -- only this command needs it

    _print_json(contact_json_schema(questionnaire))
    return EXIT_OK


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
            "--backend", choices=("durable", "python"), default="durable", help="rule evaluator"
        )

    assess = sub.add_parser("assess", help="assess one contact (JSON file, or - for stdin)")
    assess.add_argument("contact")
    rules_option(assess)
    assess.add_argument("--format", choices=("json", "text"), default="json")
    assess.add_argument(
        "--language", choices=("fi", "sv", "en"), default="en", help="names in text output"
    )
    assess.add_argument("--event", action="append", default=[], metavar="NAME=TIMESTAMP")
    assess.add_argument(
        "--now", metavar="TIMESTAMP", help="decides whether open clocks are breached"
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
    check.add_argument("--backend", choices=("durable", "python"), default="durable")
    check.set_defaults(run=_cmd_check)

    schema = sub.add_parser("schema", help="JSON Schema of the first-contact record")
    schema.add_argument("--rules", metavar="DIR", help="questionnaire to take codes from")
    schema.add_argument("--generic", action="store_true", help="without the questionnaire's codes")
    schema.set_defaults(run=_cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ContactError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except RuleError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        count = len(exc.problems)
        print(f"{count} problem{'s' if count != 1 else ''}; nothing was loaded", file=sys.stderr)
        return EXIT_RULES
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
