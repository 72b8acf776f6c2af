"""Every free-text field a taker sends has a server-side cap, and the refusal names the field."""
from __future__ import annotations

import json
from typing import Any

from django.test import Client

from questions.quizzes.models import Answer

API = "/quiz/api/attempts/"


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_an_open_answer_over_the_cap_is_refused(client: Client, quiz_bank: Any, settings: Any) -> None:
    settings.QUIZ_MAX_FREE_TEXT_CHARS = 100
    started = post(client, API, {"count": 4, "time_limit_minutes": 10}).json()
    free = next(slot for slot in started["slots"] if slot["kind"] == "free")
    response = post(client, started["urls"]["save"], {"slot": free["position"], "value": "x" * 101})
    assert response.status_code == 400
    assert response.json()["error"] == {"field": "value", "message": "must be at most 100 characters (got 101)"}
    assert post(client, started["urls"]["save"], {"slot": free["position"], "value": "x" * 100}).status_code == 200
    assert Answer.objects.get().value == "x" * 100


def test_the_open_answer_box_says_its_limit(client: Client, quiz_bank: Any, settings: Any) -> None:
    settings.QUIZ_MAX_FREE_TEXT_CHARS = 321
    attempt_id = post(client, API, {"count": 4, "time_limit_minutes": 10}).json()["id"]
    assert 'maxlength="321"' in client.get(f"/quiz/a/{attempt_id}/").content.decode()


def test_a_quiz_title_over_the_cap_is_refused_not_cut(client: Client, quiz_bank: Any) -> None:
    response = post(client, API, {"count": 1, "title": "t" * 201})
    assert response.status_code == 400
    assert response.json()["error"] == {"field": "title", "message": "must be at most 200 characters (got 201)"}
    assert post(client, API, {"count": 1, "title": "t" * 200}).json()["title"] == "t" * 200
