"""The load generator of ``bench_service.py``: a fixed list of POST requests sent to a
loopback server by *concurrency* clients at once, each client on a keep-alive
connection of its own, in one asyncio process of its own (it imports only the standard
library, and httpx only with ``--client httpx``).

    python bench/loadgen.py --port 8080 --path /contacts --concurrency 64 \\
        --bodies bodies.jsonl --out results.jsonl [--client raw|httpx]

*bodies* holds one request body a line (JSON text, sent as it is); every line is sent
once, in order, by whichever client is free. *out* gets one line per request:
``[index, status, latency_ns, response_body_text]`` (status 0: a connection error or a
timeout, the reason as the body), then a last line with the run's wall time and this
process's CPU time. Each request's latency runs from just before its bytes are written
to its whole response read, so a request waiting for a free connection is not timed.

Clients: ``raw`` (default) writes HTTP/1.1 by hand on asyncio streams and reads the
status line, ``Content-Length`` and the body; ``httpx`` uses ``httpx.AsyncClient`` with
as many keep-alive connections as clients, for comparison of what the client costs.
Only loopback hosts are accepted; the run stops by itself after ``--deadline`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
from pathlib import Path
from typing import Any

Result = tuple[int, int, int, str]  # index, status, latency ns, response body
Send = Callable[[bytes], Awaitable[tuple[int, bytes]]]


class RawConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams, opened when first used
    and again after a failure or a ``Connection: close``."""

    def __init__(self, host: str, port: int, path: str) -> None:
        self.host, self.port = host, port
        self.head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\n"
            "Content-Length: "
        ).encode("ascii")
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, body: bytes) -> tuple[int, bytes]:
        """(status, response body) of one POST of *body*."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(b"%s%d\r\n\r\n%s" % (self.head, len(body), body))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, close = -1, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length < 0:
            raise ValueError("a response without Content-Length")
        data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        """Close the connection (it opens again when used)."""
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def run(
    host: str,
    port: int,
    path: str,
    bodies: list[bytes],
    concurrency: int,
    client: str,
    timeout_s: float,
    deadline_s: float,
) -> tuple[list[Result], float]:
    """Send every body once with *concurrency* clients: one result per body, in order
    (those not sent before *deadline_s* are errors), and the seconds from the first
    request to the last response."""
    results: list[Result | None] = [None] * len(bodies)
    work: Iterator[int] = iter(range(len(bodies)))

    async def worker(send: Send, reset: Callable[[], Awaitable[None]]) -> None:
        for index in work:
            started = time.perf_counter_ns()
            try:
                async with asyncio.timeout(timeout_s):
                    status, data = await send(bodies[index])
                text = data.decode("utf-8", "replace")
            except Exception as e:  # connection errors, timeouts, a bad response: errors
                status, text = 0, f"{type(e).__name__}: {e}"[:200]
                await reset()
            results[index] = (index, status, time.perf_counter_ns() - started, text)

    if client == "httpx":
        import httpx  # noqa: PLC0415 - only this client needs it

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        url = f"http://{host}:{port}{path}"
        headers = {"content-type": "application/json", "accept": "application/json"}
        async with httpx.AsyncClient(limits=limits, timeout=timeout_s) as http:

            async def send(body: bytes) -> tuple[int, bytes]:
                response = await http.post(url, content=body, headers=headers)
                return response.status_code, response.content

            async def nothing() -> None:
                return None

            wall = await _timed((worker(send, nothing) for _ in range(concurrency)), deadline_s)
    else:
        connections = [RawConnection(host, port, path) for _ in range(concurrency)]
        try:
            wall = await _timed((worker(c.send, c.close) for c in connections), deadline_s)
        finally:
            for connection in connections:
                await connection.close()
    return [
        r if r is not None else (i, 0, 0, "not answered before the deadline")
        for i, r in enumerate(results)
    ], wall


async def _timed(clients: Iterable[Coroutine[Any, Any, None]], deadline_s: float) -> float:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(deadline_s):
            await asyncio.gather(*clients)
    except TimeoutError:
        pass  # the requests left unanswered count as errors
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/contacts")
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a request (30)")
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds in all (600)")
    args = parser.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        print(f"loadgen: {args.host} is not a loopback address", file=sys.stderr)
        return 2
    bodies = args.bodies.read_bytes().splitlines()
    started_cpu = os.times()
    results, wall = asyncio.run(
        run(
            args.host,
            args.port,
            args.path,
            bodies,
            args.concurrency,
            args.client,
            args.timeout,
            args.deadline,
        )
    )
    cpu = os.times()
    with args.out.open("w", encoding="utf-8") as out:
        for result in results:
            out.write(json.dumps(result) + "\n")
        used = cpu.user + cpu.system - started_cpu.user - started_cpu.system
        out.write(json.dumps({"wall_s": wall, "cpu_s": used}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
