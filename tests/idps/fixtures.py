"""Real identity providers for the tests: each runs as its own process on a free port, started
once per test session and stopped at its end. Tests configure them over HTTP (`configure`)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningIdp:
    url: str
    process: subprocess.Popen[str]

    def configure(self, **settings: Any) -> None:
        requests.post(f"{self.url}/_control", json=settings, timeout=10).raise_for_status()


def _start(script: str) -> Iterator[RunningIdp]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(HERE / script), str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "ready", f"{script} did not start: {line!r}"
        yield RunningIdp(url=f"http://127.0.0.1:{port}", process=process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def oidc_idp() -> Iterator[RunningIdp]:
    yield from _start("oidc_provider.py")


@pytest.fixture(scope="session")
def saml_idp() -> Iterator[RunningIdp]:
    yield from _start("saml_idp.py")
