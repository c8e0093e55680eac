"""``onecontact fhir questionnaire|assess|next-question``: FHIR R4 in and out on the
command line (the library's :mod:`oneContact.fhir`, printed as JSON).

A refused input exits 2 with a FHIR OperationOutcome on stderr (its texts in
``--language``), so a FHIR client reads the refusal as it reads any server's.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ._text import LANGUAGES
from .engine import Engine
from .errors import ArgumentError, ContactError, ContactProblem, parse_timestamp
from .fhir import (
    DEFAULT_BASE_URL,
    bundle,
    contact_from_response,
    next_question,
    operation_outcome,
    questionnaire,
    subject_reference,
)
from .intake import load_contact_json
from .routing import Directory
from .ruleset import DEFAULT_BACKEND, load_ruleset

__all__ = ["add_fhir_commands"]

EXIT_OK = 0
EXIT_INPUT = 2

ReadInput = Callable[[str], "str | bytes"]


def add_fhir_commands(
    sub: Any,
    parser_class: type[argparse.ArgumentParser],
    *,
    read_input: ReadInput,
    default_rules: Callable[[], Path],
) -> None:
    """Add ``onecontact fhir ...`` to the subcommands *sub*."""
    fhir = sub.add_parser(
        "fhir",
        help="FHIR R4: the questionnaire, a QuestionnaireResponse assessed into a Bundle",
        description="FHIR R4 (4.0.1) in and out; see docs/reference/fhir.md.",
    )
    # What the commands borrow from the main command line travels in their arguments.
    fhir.set_defaults(read_input=read_input, default_rules=default_rules)
    commands = fhir.add_subparsers(dest="fhir_command", required=True, parser_class=parser_class)

    def common(p: argparse.ArgumentParser, *, engine: bool = True) -> None:
        p.add_argument(
            "--rules",
            metavar="DIR",
            help="rules directory (default: ./rules, else the bundled rules)",
        )
        if engine:
            p.add_argument("--backend", choices=("durable", "python"), default=DEFAULT_BACKEND)
        p.add_argument("--region", metavar="NAME", help="regional targets beside the law")
        p.add_argument(
            "--base-url",
            default=DEFAULT_BASE_URL,
            metavar="URL",
            help=f"base of canonical URLs and code systems (default {DEFAULT_BASE_URL})",
        )

    form = commands.add_parser("questionnaire", help="the questionnaire as an SDC Questionnaire")
    common(form, engine=False)
    form.add_argument(
        "--adaptive", action="store_true", help="the adaptive form ($next-question), no items"
    )
    form.set_defaults(run=_cmd_questionnaire)

    assess = commands.add_parser(
        "assess",
        help="a QuestionnaireResponse or a first contact in, the decision as a FHIR Bundle",
    )
    assess.add_argument("input", help="QuestionnaireResponse or first-contact JSON (- for stdin)")
    common(assess)
    _inputs(assess)
    assess.add_argument("--directory", metavar="FILE", help="units, members and slots")
    assess.add_argument("--type", choices=("collection", "transaction"), default="collection")
    assess.add_argument(
        "--now", metavar="TIMESTAMP", help="judge the clocks and stamp the Provenance as of"
    )
    assess.set_defaults(run=_cmd_assess)

    step = commands.add_parser(
        "next-question", help="the SDC $next-question step: the response with its next items"
    )
    step.add_argument("input", help="QuestionnaireResponse or Parameters JSON (- for stdin)")
    common(step)
    _inputs(step)
    step.set_defaults(run=_cmd_next_question)


def _inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--patient", metavar="FILE", help="a Patient resource (birthDate, language, city)"
    )
    p.add_argument(
        "--channel", default="digital", help="the door of a QuestionnaireResponse (default digital)"
    )
    p.add_argument(
        "--language",
        choices=LANGUAGES,
        default=None,
        help="texts of the output (default: the client's language); refusals default to en",
    )


def _engine(args: argparse.Namespace) -> Engine:
    rules = args.rules or args.default_rules()
    directory = getattr(args, "directory", None)
    if not directory:
        return Engine.from_directory(rules, backend=args.backend, region=args.region)
    return Engine.from_directory(
        rules,
        backend=args.backend,
        region=args.region,
        directory=Directory.from_file(directory, rules=rules),
    )


def _json_object(args: argparse.Namespace, path: str, what: str) -> Mapping[str, Any]:
    value = load_contact_json(args.read_input(path))
    if not isinstance(value, Mapping):
        raise ContactError(
            [ContactProblem(what, "must be a JSON object (a FHIR resource)", "fhir-resource")],
            title="invalid input",
        )
    return value


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _refused(error: ContactError, args: argparse.Namespace) -> int:
    language = args.language or "en"
    outcome = operation_outcome(error, language=language, base_url=args.base_url)
    print(json.dumps(outcome, ensure_ascii=False, indent=2), file=sys.stderr)
    return EXIT_INPUT


def _cmd_questionnaire(args: argparse.Namespace) -> int:
    rules = args.rules or args.default_rules()
    ruleset = (
        load_ruleset(rules) if args.region is None else load_ruleset(rules, region=args.region)
    )
    _print(questionnaire(ruleset, base_url=args.base_url, adaptive=args.adaptive))
    return EXIT_OK


def _cmd_assess(args: argparse.Namespace) -> int:
    try:
        now = _now(args.now)
        data = _json_object(args, args.input, "<input>")
        patient = _json_object(args, args.patient, "--patient") if args.patient else None
        engine = _engine(args)
        subject = None
        if data.get("resourceType") == "QuestionnaireResponse":
            contact: Any = contact_from_response(
                data, engine.ruleset, patient=patient, channel=args.channel, base_url=args.base_url
            )
            subject = subject_reference(data, patient)
        else:
            contact = engine.validate(data)
        assessment = engine.assess(contact, now=now)
    except ContactError as error:
        return _refused(error, args)
    _print(
        bundle(
            assessment,
            engine.ruleset,
            language=args.language,
            subject=subject,
            base_url=args.base_url,
            type=args.type,
            recorded=now,
        )
    )
    return EXIT_OK


def _now(text: str | None) -> datetime | None:
    """``--now``, read as every timestamp is; refused as a problem of the option."""
    if text is None:
        return None
    try:
        return parse_timestamp(text, "--now")
    except ArgumentError:
        raise ContactError(
            [
                ContactProblem(
                    "--now",
                    "must be an RFC 3339 timestamp with an offset, e.g. 2025-02-03T10:00:00+02:00",
                    "timestamp-format",
                )
            ],
            title="invalid option",
        ) from None


def _cmd_next_question(args: argparse.Namespace) -> int:
    try:
        data = _json_object(args, args.input, "<input>")
        patient = _json_object(args, args.patient, "--patient") if args.patient else None
        engine = _engine(args)
        step = next_question(
            engine, data, patient=patient, channel=args.channel, base_url=args.base_url
        )
    except ContactError as error:
        return _refused(error, args)
    _print(step)
    return EXIT_OK
