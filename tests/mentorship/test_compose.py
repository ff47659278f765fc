"""docker-compose.yml stays valid and runs the processes the service tests run natively."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_it_defines_the_production_stack_with_health_checks():
    services = compose()["services"]
    assert set(services) == {"migrate", "web", "worker", "mailer", "beat", "postgres", "redis"}
    for name, service in services.items():
        if name == "migrate":
            continue
        assert "healthcheck" in service, f"{name} has no health check"
        assert service.get("restart") == "unless-stopped"


def test_migrations_run_once_as_a_job_before_the_app_starts():
    services = compose()["services"]
    job = services["migrate"]
    assert "manage.py migrate" in job["command"]
    assert job["restart"] == "no"
    assert job["environment"]["DJANGO_SETTINGS_MODULE"] == "mentorship.settings.production"
    for name in ("web", "worker", "beat"):
        assert "migrate" not in services[name]["command"]
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name


def test_app_services_share_settings_and_wait_for_healthy_backends():
    services = compose()["services"]
    for name in ("web", "worker", "mailer", "beat"):
        service = services[name]
        env = service["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "mentorship.settings.production"
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:")
        assert env["DATABASE_URL"].startswith("postgres://")
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"


def test_commands_name_the_real_entry_points():
    services = compose()["services"]
    assert "gunicorn mentorship.wsgi" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A mentorship worker")
    assert services["beat"]["command"].startswith("celery -A mentorship beat")


def test_workers_consume_both_queues_and_stop_within_their_grace_period():
    from django.conf import settings

    services = compose()["services"]
    default = settings.CELERY_TASK_DEFAULT_QUEUE
    assert f"--queues {default}" in services["worker"]["command"]
    assert f"--queues {default}-email" in services["mailer"]["command"]
    for name in ("worker", "mailer"):
        grace = int(services[name]["stop_grace_period"].rstrip("s"))
        # One email in hand: connecting and each SMTP step may take up to EMAIL_TIMEOUT.
        assert grace >= 2 * settings.EMAIL_TIMEOUT + 10


def test_data_lives_in_named_volumes():
    data = compose()
    assert "pgdata:/var/lib/postgresql/data" in data["services"]["postgres"]["volumes"]
    assert set(data["volumes"]) >= {"pgdata", "media", "beat"}


def test_the_env_example_names_every_required_variable():
    example = (ROOT / ".env.example").read_text()
    for name in ("POSTGRES_PASSWORD", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "EMAIL_URL"):
        assert f"{name}=" in example
