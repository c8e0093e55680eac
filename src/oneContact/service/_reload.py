"""Reloading the rules so that every worker process converges on the same digest, and a
bad rules directory never replaces a good one.

Triggers: ``POST /admin/reload`` (loopback only, or a Bearer token when
:data:`ADMIN_TOKEN_VARIABLE` is set) and SIGHUP (uvicorn's supervisor restarts the
workers of ``onecontact serve --workers N``; with one worker the application reloads).

How, with the state directory ``onecontact serve`` shares among its workers
(``ServiceConfig.state``):

1. the worker asked copies the rules directory (and the directory of units) into a
   private temporary directory under the state directory and loads the copy in the
   thread pool; if that fails nothing changes and the call answers 422 with the problems
   (file:line): the old rules keep serving;
2. if it loads, the copy becomes the immutable snapshot ``rules-<digest>-<directory>``
   (what was loaded is exactly what is published, even if the directory is edited
   meanwhile) and ``current`` names it (written whole, then ``os.replace``);
3. every worker follows ``current`` (a task checks it every :data:`FOLLOW_S` seconds),
   loads the snapshot it names and swaps ``parts.served`` (the engine and its places); each records what it serves in
   ``workers/<pid>``, so the call waits (at most :data:`CONVERGE_S`) until every live
   worker serves the snapshot and answers ``{digest, converged, workers}``;
4. a worker that starts (first start, SIGHUP, a crash) loads the rules directory and
   publishes it when it is good; when it is not, it starts on the last published
   snapshot and says why in the log; with no snapshot yet it fails to start, as before.

The ledger judges clocks with the care-guarantee policies it was opened with: a reload
whose policies differ is refused (409 ``policies-changed``): restart the workers (SIGHUP)
to apply them. Without a state directory (a host mounting ``create_app`` in one process)
the call reloads this process alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import attrs
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..engine import Engine
from ..errors import OneContactError, RuleError
from ._errors import language_of
from ._parts import Parts, Served, ServiceConfig, load, process_alive

__all__ = [
    "ADMIN_TOKEN_VARIABLE",
    "CONVERGE_S",
    "FOLLOW_S",
    "ReloadRefused",
    "Rules",
]

#: The environment variable holding the Bearer token ``POST /admin/reload`` asks for;
#: unset, only a loopback client with no proxy header may call it.
ADMIN_TOKEN_VARIABLE = "ONECONTACT_ADMIN_TOKEN"  # noqa: S105 - a variable's name
#: Seconds between two looks of a worker at the published snapshot.
FOLLOW_S = 0.5
#: The longest a reload call waits for every worker to serve what it published.
CONVERGE_S = 10.0

_LOG = logging.getLogger("oneContact.service")
_CURRENT = "current"
_WORKERS = "workers"
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


# What the refusals say, in fi, sv and en (an operator reads them).
_TEXTS: dict[str, dict[str, str]] = {
    "rules-invalid": {
        "fi": "Sääntöjä ei ladattu, joten nykyiset säännöt ovat yhä käytössä. Korjaa alla "
        "luetellut ongelmat ja lataa säännöt uudelleen.",
        "sv": "Reglerna laddades inte, så de nuvarande reglerna används fortfarande. Rätta "
        "problemen nedan och ladda reglerna på nytt.",
        "en": "the rules directory was not loaded; the rules in force keep serving: correct "
        "the problems and reload",
    },
    "policies-changed": {
        "fi": "Hoitotakuun määräajat ovat muuttuneet. Ne tulevat käyttöön vasta, kun "
        "palvelun prosessit käynnistetään uudelleen (SIGHUP onecontact serve -prosessille).",
        "sv": "Vårdgarantins tidsgränser har ändrats. De tas i bruk först när tjänstens "
        "processer startas om (SIGHUP till processen onecontact serve).",
        "en": "the care-guarantee policies changed, and the ledger judges clocks with the "
        "policies it was opened with: restart the service's workers to apply them "
        "(SIGHUP to onecontact serve)",
    },
    "admin-token": {
        "fi": "Anna ylläpidon tunniste: Authorization: Bearer <tunniste>.",
        "sv": "Ange administrationsnyckeln: Authorization: Bearer <nyckel>.",
        "en": "give the admin token: Authorization: Bearer <token>",
    },
    "admin-loopback": {
        "fi": "Tee kutsu tältä palvelimelta, tai aseta ONECONTACT_ADMIN_TOKEN ja anna "
        "Authorization: Bearer <tunniste>.",
        "sv": "Gör anropet från den här servern, eller ange ONECONTACT_ADMIN_TOKEN och skicka "
        "Authorization: Bearer <nyckel>.",
        "en": "call it from this host, or set ONECONTACT_ADMIN_TOKEN and give "
        "Authorization: Bearer <token>",
    },
}


class ReloadRefused(Exception):
    """A reload that changed nothing: its status, code and problems (``file:line``)."""

    def __init__(self, status: int, code: str, problems: list[str] | None = None) -> None:
        super().__init__(_TEXTS[code]["en"])
        self.status, self.code, self.problems = status, code, problems or []
        self.message = _TEXTS[code]["en"]

    def to_json(self, language: str = "en") -> dict[str, Any]:
        """The refusal's body, its message in *language*."""
        return _refusal_body("reload refused", self.code, language, problems=self.problems)


def _refusal_body(error: str, code: str, language: str, **more: Any) -> dict[str, Any]:
    texts = _TEXTS[code]
    return {"error": error, "code": code, "message": texts[language], "messages": texts, **more}


@attrs.frozen
class _Loaded:
    served: Served
    snapshot: str | None  # the snapshot's name in the state directory, None without one


def _problems(error: Exception, config: ServiceConfig) -> list[str]:
    """*error*'s problems as ``file:line: code: message``, each file named as the
    configuration names it (not as the copy that was loaded)."""
    state = config.state

    def original(path: Path) -> Path:
        if state is None or not path.is_absolute() or not path.is_relative_to(state):
            return path
        inner = path.relative_to(state).parts[1:]  # under tmp-... or rules-...
        if inner[:1] == ("rules",):
            return config.rules.joinpath(*inner[1:])
        if config.directory is not None and inner == (config.directory.name,):
            return config.directory
        return Path(*inner)

    if isinstance(error, RuleError):
        return [
            str(p if p.path is None else attrs.evolve(p, path=original(p.path)))
            for p in error.problems
        ]
    text = str(error)
    if state is not None:
        text = text.replace(str(state) + os.sep, "")
    return [f"{type(error).__name__}: {text}"]


def _write_whole(path: Path, text: str) -> None:
    """*path* holds *text*, never a part of it: written beside it, then renamed over it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)


class Rules:
    """The rules one application serves: loaded at start, published to and followed from
    the state directory, reloaded on demand (see the module's docstring)."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.state = config.state
        self.snapshot: str | None = None
        self.on_swap: list[Callable[[str], None]] = []
        self._parts: Parts | None = None
        self._seen: tuple[int, int, int] | None = None
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------ loading

    def start(self) -> Served:
        """The engine to start with: the rules directory (published when there is a state
        directory), else the last published snapshot. Raises what loading raises when
        there is no snapshot to fall back on."""
        if self.state is None:
            return load(self.config)
        (self.state / _WORKERS).mkdir(parents=True, exist_ok=True)
        try:
            loaded = self._load_and_publish()
        except (OneContactError, OSError, ValueError) as error:
            current = self._current()
            if current is None:
                raise
            _LOG.error(
                "the rules directory was not loaded; serving the last published rules %s: %s",
                current["digest"][:12],
                "; ".join(_problems(error, self.config)),
            )
            loaded = self._load_snapshot(current["snapshot"])
        self.snapshot = loaded.snapshot
        return loaded.served

    def _copy(self) -> tuple[Path, ServiceConfig]:
        """The rules directory (and the directory of units) copied into a new private
        directory under the state directory, and the configuration reading the copy."""
        assert self.state is not None
        copy = self.state / f"tmp-{os.getpid()}-{secrets.token_hex(6)}"
        shutil.copytree(
            self.config.rules, copy / "rules", ignore=shutil.ignore_patterns(".*", "__pycache__")
        )
        directory = None
        if self.config.directory is not None:
            directory = copy / self.config.directory.name
            shutil.copyfile(self.config.directory, directory)
        return copy, attrs.evolve(self.config, rules=copy / "rules", directory=directory)

    def _snapshot_config(self, name: str) -> ServiceConfig:
        assert self.state is not None
        found = self.state / name
        directory = None
        if self.config.directory is not None:
            directory = found / self.config.directory.name
        return attrs.evolve(self.config, rules=found / "rules", directory=directory)

    def _load_and_publish(self, check: Callable[[Engine], None] | None = None) -> _Loaded:
        """Load a copy of the rules directory, *check* it and publish it; raises what
        loading or *check* raises (nothing published then)."""
        assert self.state is not None
        copy, config = self._copy()
        try:
            served = load(config)
            engine = served.engine
            if check is not None:
                check(engine)
        except BaseException:
            shutil.rmtree(copy, ignore_errors=True)
            raise
        key = "none"
        if config.directory is not None:
            key = hashlib.sha256(config.directory.read_bytes()).hexdigest()[:12]
        name = f"rules-{engine.digest}-{key}"
        with self._publishing():
            if (self.state / name).exists():
                shutil.rmtree(copy, ignore_errors=True)
            else:
                os.rename(copy, self.state / name)
            record = {"digest": engine.digest, "snapshot": name}
            previous = self._current()
            _write_whole(self.state / _CURRENT, json.dumps(record))
            keep = {name} | ({previous["snapshot"]} if previous else set())
            self._prune(keep | {str(w.get("snapshot")) for w in self.workers()})
        return _Loaded(served, name)

    def _prune(self, keep: set[str]) -> None:
        """Remove the snapshots no live worker serves (but *keep*), and the copies of
        workers that are gone."""
        assert self.state is not None
        for found in self.state.iterdir():
            if found.name.startswith("rules-") and found.name not in keep:
                shutil.rmtree(found, ignore_errors=True)
            elif found.name.startswith("tmp-"):
                pid = found.name.split("-")[1]
                if pid.isdigit() and not process_alive(int(pid)):
                    shutil.rmtree(found, ignore_errors=True)

    def _load_snapshot(self, name: str) -> _Loaded:
        return _Loaded(load(self._snapshot_config(name)), name)

    @contextlib.contextmanager
    def _publishing(self) -> Iterator[None]:
        """One worker of the service publishes at a time (an exclusive file lock)."""
        assert self.state is not None
        with (self.state / "lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _current(self) -> dict[str, str] | None:
        """The published snapshot (``{digest, snapshot}``), or None before the first."""
        assert self.state is not None
        try:
            found = json.loads((self.state / _CURRENT).read_text("utf-8"))
        except FileNotFoundError:
            return None
        return {"digest": str(found["digest"]), "snapshot": str(found["snapshot"])}

    # ------------------------------------------------------------ serving

    def _check(self, engine: Engine) -> None:
        """Refuse *engine* when its policies are not the ledger's."""
        parts = self._parts
        if parts is not None and engine.ruleset.policies.digest != parts.ledger.policies.digest:
            raise ReloadRefused(409, "policies-changed")

    def _swap(self, loaded: _Loaded) -> None:
        parts = self._parts
        assert parts is not None
        self._check(loaded.served.engine)
        parts.served = loaded.served
        self.snapshot = loaded.snapshot
        self._record()
        for told in self.on_swap:
            told(loaded.served.engine.digest)

    def _record(self) -> None:
        """This worker's ``workers/<pid>``: the digest and snapshot it serves."""
        if self.state is None or self._parts is None:
            return
        record = {"digest": self._parts.engine.digest, "snapshot": self.snapshot}
        _write_whole(self.state / _WORKERS / str(os.getpid()), json.dumps(record))

    def workers(self) -> list[dict[str, Any]]:
        """What every live worker serves (``{pid, digest, snapshot}``); the records of
        workers that are gone are removed."""
        if self.state is None:
            assert self._parts is not None
            return [{"pid": os.getpid(), "digest": self._parts.engine.digest}]
        found = []
        for file in sorted((self.state / _WORKERS).iterdir()):
            if not file.name.isdigit():
                continue
            if not process_alive(int(file.name)):
                file.unlink(missing_ok=True)
                continue
            try:
                record = json.loads(file.read_text("utf-8"))
            except (OSError, ValueError):
                continue  # pragma: no cover - removed as it was read
            found.append({"pid": int(file.name), **record})
        return found

    async def reload(self) -> dict[str, Any]:
        """Load the rules directory and make every worker serve it; raises
        :class:`ReloadRefused` (nothing changed) when it cannot."""
        async with self._lock:
            parts = self._parts
            assert parts is not None
            try:
                if self.state is None:
                    served = await run_in_threadpool(load, self.config)
                    loaded = _Loaded(served, None)
                else:
                    loaded = await run_in_threadpool(self._load_and_publish, self._check)
            except ReloadRefused:
                raise
            except (OneContactError, OSError, ValueError) as error:
                raise ReloadRefused(422, "rules-invalid", _problems(error, self.config)) from None
            self._swap(loaded)
        converged, workers = await self._converge(loaded)
        return {"digest": loaded.served.engine.digest, "converged": converged, "workers": workers}

    async def _converge(self, loaded: _Loaded) -> tuple[bool, list[dict[str, Any]]]:
        deadline = time.monotonic() + CONVERGE_S
        while True:
            workers = await run_in_threadpool(self.workers)
            done = all(w.get("snapshot") == loaded.snapshot for w in workers)
            if done or time.monotonic() > deadline:
                return done, workers
            await asyncio.sleep(0.1)

    async def _follow(self) -> None:
        """Serve what is published, forever (a worker's background task)."""
        assert self.state is not None
        while True:
            await asyncio.sleep(FOLLOW_S)
            try:
                await self._follow_once()
            except ReloadRefused as refused:
                _LOG.error("the published rules were not taken: %s", refused.message)
            except Exception as error:  # a worker keeps serving what it has
                _LOG.error("the published rules were not loaded: %s", type(error).__name__)

    async def _follow_once(self) -> None:
        assert self.state is not None
        try:
            seen = (self.state / _CURRENT).stat()
        except FileNotFoundError:
            return
        mark = (seen.st_mtime_ns, seen.st_ino, seen.st_size)
        if mark == self._seen:
            return
        current = self._current()
        if current is None or current["snapshot"] == self.snapshot:
            self._seen = mark
            return
        async with self._lock:
            loaded = await run_in_threadpool(self._load_snapshot, current["snapshot"])
            self._seen = mark
            self._swap(loaded)

    async def _on_signal(self) -> None:
        try:
            answer = await self.reload()
        except ReloadRefused as refused:
            _LOG.error("SIGHUP: %s %s", refused.message, "; ".join(refused.problems))
        else:
            _LOG.warning("SIGHUP: the rules %s are in force", answer["digest"][:12])

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """While the application runs: record what this worker serves, follow what is
        published, reload on SIGHUP (in the main thread only)."""
        self._record()
        tasks: set[asyncio.Task[None]] = set()
        follower = None if self.state is None else asyncio.create_task(self._follow())
        loop = asyncio.get_running_loop()
        hup = False
        try:
            loop.add_signal_handler(
                signal.SIGHUP, lambda: tasks.add(asyncio.ensure_future(self._on_signal()))
            )
            hup = True
        except (ValueError, RuntimeError, NotImplementedError):
            pass  # not the main thread (an in-process test client): no signal handling
        try:
            yield
        finally:
            if hup:
                loop.remove_signal_handler(signal.SIGHUP)
            if follower is not None:
                follower.cancel()
            if self.state is not None:
                (self.state / _WORKERS / str(os.getpid())).unlink(missing_ok=True)

    # ------------------------------------------------------------ installing

    def install(self, app: FastAPI, parts: Parts) -> None:
        """Serve ``POST /admin/reload``, and follow and record the rules while *app* runs."""
        self._parts = parts
        previous = app.router.lifespan_context

        @contextlib.asynccontextmanager
        async def lifespan(application: Any) -> AsyncIterator[Any]:
            async with previous(application) as state, self.running():
                yield state

        app.router.lifespan_context = lifespan

        @app.post("/admin/reload", summary="Reload the rules in every worker")
        async def admin_reload(request: Request) -> Response:
            refused = _forbidden(request)
            if refused is not None:
                return refused
            try:
                answer = await self.reload()
            except ReloadRefused as refusal:
                body = refusal.to_json(language_of(request))
                return JSONResponse(body, status_code=refusal.status)
            return JSONResponse(answer, status_code=200 if answer["converged"] else 202)


def _forbidden(request: Request) -> Response | None:
    """None when *request* may reload: it carries the admin token (when one is set), or
    comes from a loopback address with no proxy header (when none is)."""
    token = os.environ.get(ADMIN_TOKEN_VARIABLE)
    if token:
        given = request.headers.get("authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return None
        return JSONResponse(
            _refusal_body("unauthorized", "admin-token", language_of(request)),
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    host = request.client.host if request.client is not None else ""
    try:
        loopback = ip_address(host).is_loopback
    except ValueError:
        loopback = host == "testclient"  # Starlette's in-process test client
    if loopback and not any(h in request.headers for h in _PROXY_HEADERS):
        return None
    return JSONResponse(
        _refusal_body("forbidden", "admin-loopback", language_of(request)), status_code=403
    )
