"""One visitor identity across the apps: an anonymous visitor's runs, attempts and cards survive sign-in.

Django's ``login()`` rotates the session key; runs used to be owned by that key,
so an anonymous visitor's code runs vanished from /runs/ when they signed in.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from sandbox.models import Run


@pytest.fixture(autouse=True)
def anyone_may_run_code(settings: Any) -> None:
    settings.SANDBOX_CODE_RUNNERS = "everyone"
    settings.SANDBOX_PRELOAD_MODEL = False


def start_code_run(client: Client) -> str:
    response = client.post("/runs/api/runs/", data=json.dumps({"code": "print(42)"}),
                           content_type="application/json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def log_in(client: Client) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": "a-long-passphrase-1"})
    assert response.status_code == 302


def test_an_anonymous_visitors_code_runs_survive_sign_in(client: Client, alice: Any, no_broker: list[dict[str, Any]]) -> None:
    run_id = start_code_run(client)
    assert run_id in client.get("/runs/").content.decode()
    old_session_key = client.session.session_key
    log_in(client)
    assert client.session.session_key != old_session_key  # login() rotated the session key ...
    assert run_id in client.get("/runs/").content.decode()  # ... and the run is still listed
    assert client.get(f"/runs/api/runs/{run_id}/").status_code == 200
    assert Run.objects.get(pk=run_id).user == alice


def test_the_run_does_not_follow_a_logout(client: Client, alice: Any, no_broker: list[dict[str, Any]]) -> None:
    run_id = start_code_run(client)
    log_in(client)
    client.post("/accounts/logout/")
    assert run_id not in client.get("/runs/").content.decode()


def test_another_visitors_runs_are_not_taken(client: Client, alice: Any, no_broker: list[dict[str, Any]]) -> None:
    stranger = Client()
    theirs = start_code_run(stranger)
    log_in(client)
    assert Run.objects.get(pk=theirs).user is None
    assert theirs in stranger.get("/runs/").content.decode()


def test_runs_and_quiz_attempts_share_the_visitor_key(client: Client, db: None, no_broker: list[dict[str, Any]]) -> None:
    from questions.quizzes.models import Attempt

    run_id = start_code_run(client)
    response = client.post("/quiz/api/attempts/", data=json.dumps({"preset": "drills"}),
                           content_type="application/json")
    assert response.status_code == 201
    attempt = Attempt.objects.get(pk=response.json()["id"])
    assert attempt.anon_key and attempt.anon_key == Run.objects.get(pk=run_id).session_key
