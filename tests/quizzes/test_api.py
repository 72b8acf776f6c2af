"""The JSON API: the same rules as the pages, and 4xx errors that name the field and change nothing."""
from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from questions.quizzes.models import Answer, Attempt

API = "/quiz/api/attempts/"


def post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, data=json.dumps(body) if body is not None else "", content_type="application/json")


@pytest.fixture
def alice_client(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


@pytest.fixture
def started(alice_client: Client, quiz_bank: Any) -> dict:
    response = post(alice_client, API, {"count": 4, "time_limit_minutes": 10})
    assert response.status_code == 201, response.content
    return response.json()


def slot_of(state: dict, kind: str) -> dict:
    return next(s for s in state["slots"] if s["kind"] == kind)


def test_start_returns_questions_without_answers(started: dict) -> None:
    assert started["remaining_seconds"] == 600
    assert len(started["slots"]) == 4
    # Only the questions are searched: timestamps elsewhere in the payload may contain any digits.
    text = json.dumps(started["slots"])
    for secret in ("is_correct", "expected", "explanation", "key_points", "1000", "model answer", "/q/"):
        assert secret not in text
    assert all(set(c) == {"id", "html"} for s in started["slots"] for c in s["choices"])


def test_start_from_a_preset(alice_client: Client, quiz_bank: Any) -> None:
    response = post(alice_client, API, {"preset": "topic-kv-cache"})
    assert response.status_code == 201
    assert len(response.json()["slots"]) == 2
    assert post(alice_client, API, {"preset": "nope"}).json() == {
        "error": {"field": "preset", "message": "there is no quiz preset called 'nope'"}}


def test_bad_spec_names_the_field(alice_client: Client, quiz_bank: Any) -> None:
    response = post(alice_client, API, {"count": 500})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "count"
    assert post(alice_client, API, [1, 2]).json()["error"]["field"] == "body"
    assert alice_client.post(API, data="{oops", content_type="application/json").json()["error"]["field"] == "body"


def test_save_fetch_finish_results(alice_client: Client, started: dict, quiz_bank: Any) -> None:
    numeric = slot_of(started, "numeric")
    single = slot_of(started, "single")
    save_url = started["urls"]["save"]
    saved = post(alice_client, save_url, {"slot": numeric["position"], "value": "1020", "seconds_spent": 14})
    assert saved.status_code == 200 and saved.json()["remaining_seconds"] <= 600
    post(alice_client, save_url, {"slot": single["position"], "value": quiz_bank.token(started["id"], quiz_bank.correct_ids(quiz_bank.single)[0])})
    state = alice_client.get(f"{API}{started['id']}/").json()
    assert slot_of(state, "numeric")["answer"] == 1020.0
    assert alice_client.get(started["urls"]["results"]).status_code == 409
    result = post(alice_client, started["urls"]["finish"]).json()
    assert (result["score"], result["max_score"]) == (2, 5)
    numeric_result = slot_of(result, "numeric")
    assert numeric_result["expected"] == 1000.0 and numeric_result["is_correct"] is True
    assert numeric_result["question"]["url"] == "/q/decode-numeric/"
    single_result = slot_of(result, "single")
    assert [c["is_correct"] for c in single_result["choices"]].count(True) == 1
    assert alice_client.get(started["urls"]["results"]).json()["score"] == 2


@pytest.mark.parametrize("body, field, status", [
    ({"value": "1"}, "slot", 400),
    ({"slot": 1}, "value", 400),
    ({"slot": 99, "value": "1"}, "slot", 400),
    ({"slot": "first", "value": "1"}, "slot", 400),
    ({"slot": 1.5, "value": "1"}, "slot", 400),
    ({"slot": 1, "value": "1", "seconds_spent": -4}, "seconds_spent", 400),
    ({"slot": 1, "value": "1", "seconds_spent": 100000}, "seconds_spent", 400),
])
def test_malformed_saves_are_refused(alice_client: Client, started: dict, body: dict, field: str, status: int) -> None:
    response = post(alice_client, started["urls"]["save"], body)
    assert response.status_code == status
    assert response.json()["error"]["field"] == field
    assert not Answer.objects.exists()


def test_malformed_numbers_and_out_of_range_choices(alice_client: Client, started: dict, quiz_bank: Any) -> None:
    save_url = started["urls"]["save"]
    numeric, single, multiple = (slot_of(started, k) for k in ("numeric", "single", "multiple"))
    cases = [
        (numeric, "twelve", "in bytes"),
        (numeric, "NaN", "finite"),
        (single, "999999", "not one of this question's options"),
        (single, 999999, "id of an option"),
        (single, [c["id"] for c in single["choices"]], "exactly one option"),
        (multiple, ["x"], "not one of this question's options"),
        (multiple, [True], "id of an option"),
    ]
    for slot, value, fragment in cases:
        response = post(alice_client, save_url, {"slot": slot["position"], "value": value})
        assert response.status_code == 400, value
        assert response.json()["error"]["field"] == "value"
        assert fragment in response.json()["error"]["message"], response.json()
    assert not Answer.objects.exists()


def test_another_users_attempt_is_404_and_untouched(client: Client, started: dict, bob: Any) -> None:
    client.force_login(bob)
    for response in (
        client.get(f"{API}{started['id']}/"),
        post(client, started["urls"]["save"], {"slot": 1, "value": "1"}),
        post(client, started["urls"]["finish"]),
        client.get(started["urls"]["results"]),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["field"] == "attempt"
    assert Attempt.objects.get(pk=started["id"]).status == Attempt.Status.IN_PROGRESS
    assert not Answer.objects.exists()


def test_anonymous_visitor_cannot_reach_a_users_attempt(started: dict, quiz_bank: Any) -> None:
    stranger = Client()
    assert stranger.get(f"{API}{started['id']}/").status_code == 404
    assert stranger.get(f"{API}not-a-uuid/").json()["error"]["field"] == "attempt"


def test_finished_attempt_refuses_saves_with_409(alice_client: Client, started: dict) -> None:
    post(alice_client, started["urls"]["finish"])
    numeric = slot_of(started, "numeric")
    response = post(alice_client, started["urls"]["save"], {"slot": numeric["position"], "value": "1000"})
    assert response.status_code == 409
    assert response.json()["error"]["field"] == "attempt"
    assert not Answer.objects.exists()


def test_double_finish_through_the_api_grades_once(alice_client: Client, started: dict) -> None:
    first = post(alice_client, started["urls"]["finish"]).json()
    second = post(alice_client, started["urls"]["finish"]).json()
    assert first["finished_at"] == second["finished_at"]


def test_self_grade_endpoint(alice_client: Client, started: dict) -> None:
    free = slot_of(started, "free")
    post(alice_client, started["urls"]["save"], {"slot": free["position"], "value": "Argmax vs sampling."})
    post(alice_client, started["urls"]["finish"])
    url = f"{API}{started['id']}/self-grade/"
    assert post(alice_client, url, {"slot": free["position"], "score": 7}).json()["error"]["field"] == "score"
    result = post(alice_client, url, {"slot": free["position"], "score": 2}).json()
    assert slot_of(result, "free")["self_score"] == 2
    assert result["score"] == 2


def test_anonymous_visitors_use_the_api_in_their_session(client: Client, quiz_bank: Any) -> None:
    started = post(client, API, {"preset": "drills"}).json()
    assert len(started["slots"]) == 5
    assert client.get(f"{API}{started['id']}/").status_code == 200


def test_presets_endpoint_sets_the_csrf_cookie(client: Client, quiz_bank: Any) -> None:
    response = client.get("/quiz/api/presets/")
    keys = [p["key"] for p in response.json()["presets"]]
    assert {"mock-interview", "drills", "topic-kv-cache", "topic-decoding"} <= set(keys)
    assert "csrftoken" in response.cookies


def test_writes_need_the_csrf_token(quiz_bank: Any) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, API, {"preset": "drills"}).status_code == 403
    strict.get("/quiz/api/presets/")
    token = strict.cookies["csrftoken"].value
    response = strict.post(API, data=json.dumps({"preset": "drills"}), content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
