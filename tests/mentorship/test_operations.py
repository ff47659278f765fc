"""What a maintainer running the service relies on: probes, request ids and one log format."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import OperationalError, connection
from django.urls import reverse
from kombu import Connection

from mentorship import health
from mentorship.celery import app
from mentorship.log import (
    REQUEST_ID_HEADER,
    ContextFilter,
    JsonFormatter,
    logging_config,
    request_id_var,
    task_id_var,
)


@pytest.fixture
def broker_up(monkeypatch):
    monkeypatch.setattr(health, "broker_reachable", lambda: True)


def test_liveness_answers_without_touching_the_database(client):
    # No django_db mark: any query here would raise.
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_readiness_is_ok_when_the_database_and_broker_answer(client, broker_up):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.content.decode() == "database: ok\nbroker: ok\n"


@pytest.mark.django_db
def test_readiness_is_503_when_the_database_is_down(client, broker_up, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert "database: unreachable" in response.content.decode()


@pytest.mark.django_db
def test_readiness_is_503_when_the_broker_is_down(client, monkeypatch):
    # Port 9 (discard) is closed on any sane host: the connection is refused at once.
    monkeypatch.setattr(app, "connection_for_write", lambda: Connection("redis://127.0.0.1:9/0"))
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.content.decode() == "database: ok\nbroker: unreachable\n"


def test_a_request_keeps_the_proxys_id_and_sends_it_back(client):
    response = client.get(reverse("healthz"), headers={REQUEST_ID_HEADER: "edge-42.abc"})
    assert response[REQUEST_ID_HEADER] == "edge-42.abc"


def test_a_request_without_a_usable_id_gets_a_fresh_one(client):
    first = client.get(reverse("healthz"), headers={REQUEST_ID_HEADER: "bad id\nwith newline"})
    second = client.get(reverse("healthz"))
    ids = {first[REQUEST_ID_HEADER], second[REQUEST_ID_HEADER]}
    assert len(ids) == 2
    assert all(len(i) == 32 and i.isalnum() for i in ids)


def _record(message: str) -> logging.LogRecord:
    record = logging.LogRecord("programs.test", logging.INFO, __file__, 1, message, None, None)
    ContextFilter().filter(record)
    return record


def test_json_lines_carry_the_request_and_task_ids():
    request_token = request_id_var.set("req-1")
    task_token = task_id_var.set("task-9")
    try:
        line = JsonFormatter().format(_record("planned 3 emails"))
    finally:
        task_id_var.reset(task_token)
        request_id_var.reset(request_token)
    entry = json.loads(line)
    assert entry["message"] == "planned 3 emails"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "programs.test"
    assert (entry["request_id"], entry["task_id"]) == ("req-1", "task-9")
    assert entry["time"].endswith("Z")


def test_the_log_format_is_chosen_by_log_format():
    json_config = logging_config(log_format="json", level="INFO")
    text_config = logging_config(log_format="text", level="WARNING")
    assert json_config["formatters"]["default"]["()"] == "mentorship.log.JsonFormatter"
    assert "%(request_id)s" in text_config["formatters"]["default"]["format"]
    assert text_config["root"]["level"] == "WARNING"
    assert text_config["handlers"]["console"]["filters"] == ["context"]


@app.task(name="tests.operations.seen_ids")
def seen_ids() -> tuple[str | None, str | None]:
    return request_id_var.get(), task_id_var.get()


def test_a_task_logs_with_its_own_id_and_gives_the_request_its_ids_back():
    token = request_id_var.set("req-7")
    try:
        result = seen_ids.apply(task_id="task-abc", headers={"request_id": "req-7"})
        assert result.get() == ("req-7", "task-abc")
        assert (request_id_var.get(), task_id_var.get()) == ("req-7", None)
    finally:
        request_id_var.reset(token)
