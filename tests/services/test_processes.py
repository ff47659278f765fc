"""The processes docker-compose runs — gunicorn, a worker and beat under production settings —
started natively against real PostgreSQL and Redis (there is no Docker engine here)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.services.conftest import ROOT, wait_for, worker_database_url

pytestmark = pytest.mark.django_db(transaction=True)


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mentorship.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "mentorship.example.org",
        "DATABASE_URL": worker_database_url(),
        "EMAIL_URL": f"filemail:///{tmp_path}",
        "CACHE_URL": "locmemcache://",
    }


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


NO_REDIRECTS = urllib.request.build_opener(_KeepRedirects)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def test_gunicorn_serves_the_app_under_production_settings(tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    process = start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "mentorship.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        production_env(tmp_path),
        log,
    )

    def get(path: str, host: str = "mentorship.example.org") -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
        try:
            with NO_REDIRECTS.open(request, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return 0

    try:
        wait_for(lambda: get("/healthz") == 200, timeout=30, what="gunicorn's /healthz")
        # Plain HTTP elsewhere is redirected to HTTPS; unknown hosts are refused.
        assert get("/accounts/login/") == 301
        assert get("/healthz", host="evil.example.com") == 400
    finally:
        stop(process)
    assert "Booting worker" in log.read_text()


def test_beat_and_a_worker_start_under_production_settings(tmp_path):
    env = production_env(tmp_path)
    beat_log, worker_log = tmp_path / "beat.log", tmp_path / "worker.log"
    beat = start(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mentorship",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(tmp_path / "schedule"),
        ],
        env,
        beat_log,
    )
    worker = start(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mentorship",
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            "solo",
            "--queues",
            f"idle-{secrets.token_hex(4)}",
        ],
        env,
        worker_log,
    )
    try:
        wait_for(lambda: "Starting..." in beat_log.read_text(), timeout=30, what="beat")
        wait_for(lambda: " ready." in worker_log.read_text(), timeout=30, what="the worker")
    finally:
        stop(beat)
        stop(worker)
