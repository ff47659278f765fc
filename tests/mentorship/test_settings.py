"""Production settings pass Django's deployment checks; local defaults need nothing installed."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_", "SITE_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_env(**extra: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "mentorship.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "mentorship.example.org",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
        **extra,
    }


def test_production_settings_pass_the_deployment_checks():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_the_development_secret():
    result = run_manage("check", **production_env(DJANGO_SECRET_KEY="insecure-short"))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be a long random value" in result.stderr


def test_local_settings_need_no_services():
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="mentorship.settings.local",
        DATABASE_URL="sqlite://:memory:",
    )
    assert result.returncode == 0, result.stderr


def load_dev_script():
    from importlib.machinery import SourceFileLoader
    from importlib.util import module_from_spec, spec_from_loader

    loader = SourceFileLoader("dev_script", str(ROOT / "dev"))
    module = module_from_spec(spec_from_loader("dev_script", loader))
    loader.exec_module(module)
    return module


def test_site_url_follows_the_port_dev_run_serves_on(monkeypatch):
    dev = load_dev_script()
    monkeypatch.delenv("SITE_URL", raising=False)
    env = dev.run_env("8123")
    assert env["SITE_URL"] == "http://127.0.0.1:8123"
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; from mentorship.emails import absolute_url; "
        "print(absolute_url('/meetings/1/'))",
        **{k: v for k, v in env.items() if k in ("SITE_URL", "PATH")},
        DJANGO_SETTINGS_MODULE="mentorship.settings.local",
        DATABASE_URL="sqlite://:memory:",
    )
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8123/meetings/1/", (
        result.stderr
    )


def test_an_explicit_site_url_wins_over_the_port(monkeypatch):
    dev = load_dev_script()
    monkeypatch.setenv("SITE_URL", "https://mentoring.example.org")
    assert dev.run_env("8123")["SITE_URL"] == "https://mentoring.example.org"


def print_site_url(**env: str) -> subprocess.CompletedProcess[str]:
    return run_manage(
        "shell", "-c", "from django.conf import settings; print(settings.SITE_URL)", **env
    )


def test_production_uses_the_configured_site_url():
    result = print_site_url(**production_env(SITE_URL="https://mentoring.example.org/"))
    assert result.stdout.strip().splitlines()[-1] == "https://mentoring.example.org", result.stderr


def test_production_without_site_url_uses_the_allowed_host_over_https():
    result = print_site_url(**production_env())
    assert result.stdout.strip().splitlines()[-1] == "https://mentorship.example.org", result.stderr


def test_production_refuses_to_start_without_any_address():
    result = print_site_url(**production_env(DJANGO_ALLOWED_HOSTS="*"))
    assert result.returncode != 0
    assert "Set SITE_URL" in result.stderr


def test_site_url_from_skips_wildcards_and_leading_dots():
    from mentorship.site_url import site_url_from

    assert site_url_from("", allowed_hosts=["*", ".example.org"]) == "https://example.org"
