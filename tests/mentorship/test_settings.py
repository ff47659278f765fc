"""Production settings pass Django's deployment checks; local defaults need nothing installed."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_"))}
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
