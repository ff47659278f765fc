"""Service tests: real PostgreSQL, real Redis and a real Celery worker process.

The worker is a separate process, so it cannot see the test's transaction: these tests use
`django_db(transaction=True)` and point the worker at pytest's test database by URL. Locally,
without PostgreSQL and Redis, they are skipped; CI sets MENTORSHIP_REQUIRE_SERVICES=1 so they
fail instead."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from mentorship.celery import app
from mentorship.queue import forget_broker_failures

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = os.environ.get("MENTORSHIP_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.services)


def services_missing() -> str | None:
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return "CELERY_BROKER_URL is not Redis"
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "DATABASE_URL is not PostgreSQL"
    return None


@pytest.fixture(autouse=True)
def _require_services() -> None:
    reason = services_missing()
    if reason and REQUIRED:
        pytest.fail(f"Service tests are required here but {reason}")
    if reason:
        pytest.skip(reason)


def worker_database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@dataclass
class Worker:
    queue: str
    mail_dir: Path
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self, *extra: str, env: dict[str, str] | None = None) -> None:
        overrides = env or {}
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "mentorship.settings.test",
            "DATABASE_URL": worker_database_url(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            # django-environ drops one leading slash of the path.
            "EMAIL_URL": f"filemail:///{self.mail_dir}",
            **overrides,
        }
        self.log = self.mail_dir.parent / f"worker-{self.queue}.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mentorship",
                "worker",
                "--loglevel",
                "INFO",
                "--queues",
                f"{self.queue},{self.queue}-email",
                "--hostname",
                f"{self.queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                *extra,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("ab"),  # every start of one test in one log
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def emails(self) -> list[str]:
        return [p.read_text() for p in sorted(self.mail_dir.glob("*.log"))]


@contextmanager
def real_queue(queue: str) -> Iterator[None]:
    """Publish to Redis for real (the test settings run tasks eagerly otherwise)."""
    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        yield
    finally:
        app.conf.task_always_eager = eager
        app.conf.task_default_queue = default_queue


@pytest.fixture
def worker(tmp_path: Path, transactional_db: None) -> Iterator[Worker]:
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    w = Worker(queue=f"test-{uuid.uuid4().hex[:10]}", mail_dir=mail_dir)
    with real_queue(w.queue):
        yield w
    w.stop()
    with app.connection_for_write() as conn:
        conn.default_channel.queue_delete(w.queue)
        conn.default_channel.queue_delete(f"{w.queue}-email")


def wait_for(condition: Callable[[], bool], *, timeout: float = 60, what: str = "") -> None:
    """Poll an external process's effect (a worker has no callback to wait on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Publish to another broker (e.g. a throwaway Redis a test can stop and start)."""
    conf = app.conf
    saved = (conf.broker_url, conf.broker_write_url, conf.broker_read_url)

    def use(write: str, read: str | None, main: str) -> None:
        conf.broker_url, conf.broker_write_url, conf.broker_read_url = main, write, read
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None
        forget_broker_failures()

    use(url, url, url)
    try:
        yield
    finally:
        use(saved[1], saved[2], saved[0])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ThrowawayRedis:
    """A Redis server of the test's own, on a free port, that it may stop, freeze and restart
    (never the shared one)."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self._answers, timeout=15, what="the throwaway Redis")
        forget_broker_failures()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    redis = ThrowawayRedis(port=free_port(), workdir=tmp_path)
    redis.start()
    yield redis
    redis.stop()
