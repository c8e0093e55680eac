"""``onecontact serve``: the reference service (:mod:`oneContact.service`) with uvicorn.

With no options it serves the bundled rules (or ``./rules``), on the bundled rules the
example directory (``examples/directory.yaml``), and an embedded SQLite ledger in the working directory, on 127.0.0.1:8080. ``--workers N``
starts N processes, each building the same application from the configuration handed
down in :data:`~oneContact.service.CONFIG_VARIABLE`; they share a directory made for the
run (the published rules, each worker's digest, the metrics of every worker), removed
when the service stops. Needs the ``service`` extra.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ._bundled import bundled_example_directory, bundled_rules_directory
from .errors import ArgumentError
from .ledger import MAX_POOL_SIZE
from .ruleset import DEFAULT_BACKEND

__all__ = ["add_serve_command"]

EXIT_OK = 0
EXIT_INPUT = 2
# prometheus_client's multiprocess directory, and the key of the decision log's
# pseudonyms (the same in every worker; oneContact.service names both).
_METRICS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_PSEUDONYM_KEY_VARIABLE = "ONECONTACT_PSEUDONYM_KEY"
# Seconds a new worker has to load its rules and answer (uvicorn's health check).
_READY_S = 120


def add_serve_command(sub: Any, default_rules: Callable[[], Path]) -> None:
    """Add ``onecontact serve`` to the subcommands *sub*."""
    serve = sub.add_parser(
        "serve",
        help="the reference service: the JSON API, FHIR, CDS Hooks (needs onecontact[service])",
        description="Serve oneContact over HTTP; OpenAPI at /openapi.json, docs at /docs.",
    )
    serve.add_argument(
        "--rules", metavar="DIR", help="rules directory (default: ./rules, else the bundled rules)"
    )
    serve.add_argument(
        "--directory",
        metavar="FILE",
        help="units, members and slots (YAML or JSON; on the bundled rules: the example directory)",
    )
    serve.add_argument(
        "--db", default="sqlite:///ledger.db", metavar="URL",
        help="the ledger: sqlite:///path.db (default sqlite:///ledger.db) or postgresql://...",
    )  # fmt: skip
    serve.add_argument("--backend", choices=("durable", "python"), default=DEFAULT_BACKEND)
    serve.add_argument("--region", metavar="NAME", help="regional targets beside the law")
    serve.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes (1)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (8080)")
    serve.add_argument(
        "--decision-log",
        metavar="PATH",
        help="append one JSON line per assessment to PATH (- for stderr)",
    )
    serve.add_argument(
        "--state",
        metavar="DIR",
        help="keep the published rules here across restarts (a restart whose rules do not "
        "load serves the last published ones); one service per DIR. Default: a directory "
        "for the run, removed when it stops",
    )
    serve.add_argument(
        "--pool-size",
        type=int,
        metavar="N",
        help="PostgreSQL: the ledger's connections per worker (2-1000; default 4)",
    )
    serve.add_argument(
        "--base-url",
        metavar="URL",
        help="base of the FHIR canonical URLs and code systems (default "
        "https://onecontact.fi/fhir)",
    )
    serve.add_argument(
        "--explain-url",
        metavar="TEMPLATE",
        help="the CDS Hooks cards' link to the explanation, with {contact_id}, e.g. "
        "https://sote.example/team/contacts/{contact_id}",
    )
    serve.set_defaults(run=_cmd_serve, default_rules=default_rules)


def _cmd_serve(args: argparse.Namespace) -> int:
    # The workers' shared directories: made empty now, removed when the service stops.
    # prometheus_client reads its directory when it is first imported, so before that.
    shared = Path(tempfile.mkdtemp(prefix="onecontact-serve-"))
    # With one worker uvicorn stops on SIGTERM, then raises it again with the handler it
    # found: this one, so that the directory is removed (the default would end the
    # process on the spot). With several, uvicorn's supervisor handles it and returns.
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        (shared / "metrics").mkdir()
        os.environ[_METRICS_VARIABLE] = str(shared / "metrics")
        os.environ.setdefault(_PSEUDONYM_KEY_VARIABLE, secrets.token_hex(32))
        if args.state is None:
            return _serve(args, shared / "state")
        with _kept_state(Path(args.state)) as state:
            return EXIT_INPUT if state is None else _serve(args, state)
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(shared, ignore_errors=True)


@contextlib.contextmanager
def _kept_state(state: Path) -> Iterator[Path | None]:
    """*state* for this service alone while it runs (an exclusive lock on
    ``serve.lock``), without the worker records of an earlier run; None, said on stderr,
    when it cannot be used."""
    try:
        state.mkdir(parents=True, exist_ok=True)
        lock = (state / "serve.lock").open("a")
    except OSError as error:
        print(f"onecontact serve: error: --state {state}: {error.strerror}", file=sys.stderr)
        yield None
        return
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(
                f"onecontact serve: error: --state {state} is used by another running "
                "onecontact serve; give each service its own",
                file=sys.stderr,
            )
            yield None
            return
        # The workers of an earlier run are gone: a record left by one whose pid is in
        # use again would look alive and hold up every reload.
        for record in (state / "workers").glob("*"):
            record.unlink(missing_ok=True)
        yield state


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(EXIT_OK)


def _serve(args: argparse.Namespace, state: Path) -> int:
    try:
        import uvicorn  # noqa: PLC0415 - only this command needs the service extra

        from .cds_hooks import check_explain_url  # noqa: PLC0415
        from .fhir import DEFAULT_BASE_URL  # noqa: PLC0415
        from .service import CONFIG_VARIABLE, ServiceConfig, config_json  # noqa: PLC0415
    except ImportError:
        print(
            "onecontact serve: error: the service needs its extra: "
            "pip install 'onecontact[service]'",
            file=sys.stderr,
        )
        return EXIT_INPUT
    if not 1 <= args.workers <= 64 or not 1 <= args.port <= 65535:
        print("onecontact serve: error: --workers 1-64, --port 1-65535", file=sys.stderr)
        return EXIT_INPUT
    if args.pool_size is not None and not 2 <= args.pool_size <= MAX_POOL_SIZE:
        print(f"onecontact serve: error: --pool-size 2-{MAX_POOL_SIZE}", file=sys.stderr)
        return EXIT_INPUT
    if args.explain_url is not None:
        try:
            check_explain_url(args.explain_url)
        except ArgumentError as error:
            reason = str(error).partition(": ")[2]
            print(f"onecontact serve: error: --explain-url {reason}", file=sys.stderr)
            return EXIT_INPUT
    rules = Path(args.rules) if args.rules else args.default_rules()
    directory = Path(args.directory) if args.directory else None
    if directory is None and rules.resolve() == bundled_rules_directory().resolve():
        directory = bundled_example_directory()  # a newcomer sees routes with units and slots
    config = ServiceConfig(
        rules=rules,
        db=args.db,
        directory=directory,
        backend=args.backend,
        region=args.region,
        state=state,
        decision_log=args.decision_log,
        pool_size=args.pool_size,
        base_url=args.base_url or DEFAULT_BASE_URL,
        explain_url=args.explain_url,
    )
    os.environ[CONFIG_VARIABLE] = config_json(config)
    uvicorn.run(
        "oneContact.service:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        # A worker loads its rules before it answers; on SIGHUP uvicorn's supervisor
        # gives up a restart whose new worker is not ready in this time (default 5 s).
        timeout_worker_healthcheck=_READY_S,
    )
    return EXIT_OK
