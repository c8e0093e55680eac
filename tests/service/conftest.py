"""What the service's tests share: a running ``onecontact serve`` (a real server in its
own processes, spoken to over HTTP) and the browser the pages are tested in.

The browser is Debian's Chromium at /usr/bin/chromium, driven by Playwright
(``pytest-playwright``'s ``page`` fixture); Playwright's own browser download is never
used. Without Chromium the browser tests skip and say why; under
``ONECONTACT_REQUIRE_CHROMIUM=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..conftest import chromium


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_service(
    cwd: Path, *options: str, env: dict[str, str] | None = None, ready_s: float = 60
) -> Iterator[str]:
    """``onecontact serve *options`` on a free loopback port, in *cwd*; yields its base
    URL once ``/readyz`` answers 200, and stops it afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "oneContact.cli", "serve", "--port", str(port), *options]
    log = (cwd / f"serve-{port}.log").open("wb")
    server = subprocess.Popen(
        command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env or dict(os.environ)
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_s
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                log.flush()
                shown = (cwd / f"serve-{port}.log").read_text("utf-8", "replace")[-2000:]
                pytest.fail(f"onecontact serve did not become ready:\n{shown}")
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options: Debian's Chromium, headless, with no
    background traffic (this machine's network is closed)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(chromium("the service's pages are not tested in a browser")),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }
