"""Bad submissions get a 400 (or 403) naming the field, and nothing is created or queued."""

from __future__ import annotations

import pytest

from sandbox.models import Run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body, field, fragment",
    [
        ({"demo": "no_such_demo"}, "demo", "no demo called 'no_such_demo'"),
        ({"demo": 42}, "demo", "must be the name of a demo"),
        ({"demo": "fixture_chart", "params": [1, 2]}, "params", "must be an object"),
        ({"demo": "fixture_chart", "params": {"max_len": 1}}, "params.max_len", "between 16 and 8192, got 1"),
        ({"demo": "fixture_chart", "params": {"max_len": "lots"}}, "params.max_len", "must be an integer"),
        ({"demo": "fixture_chart", "params": {"label": "sideways"}}, "params.label", "must be one of causal, full"),
        (
            {"demo": "fixture_chart", "params": {"colour": "red"}},
            "params.colour",
            "is not a parameter of fixture_chart",
        ),
        ({"code": ""}, "code", "is empty"),
        ({"code": 12}, "code", "must be Python source"),
        ({"code": "x", "demo": "fixture_chart"}, "body", "not both"),
        ({}, "body", 'Send "demo"'),
    ],
)
def test_it_rejects_with_a_message_naming_the_field(post_run, no_broker, body, field, fragment):
    response = post_run(body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert fragment in response.json()["error"]["message"]
    assert Run.objects.count() == 0
    assert no_broker == []


def test_it_rejects_oversized_code_with_the_limit(post_run, no_broker, settings):
    settings.SANDBOX_CODE_MAX_CHARS = 100
    response = post_run({"code": "x = 1\n" * 50})
    assert response.status_code == 400
    assert response.json() == {"error": {"field": "code", "message": "code: must be at most 100 characters, got 300."}}
    assert Run.objects.count() == 0


def test_it_rejects_a_body_that_is_not_json(post_run, no_broker):
    response = post_run(b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "body"


def test_code_runs_can_be_limited_to_signed_in_users(post_run, no_broker, settings, django_user_model, client):
    settings.SANDBOX_CODE_RUNNERS = "users"
    response = post_run({"code": "print(1)"})
    assert response.status_code == 403
    assert response.json() == {"error": {"field": "code", "message": "code: sign in to run code on this site."}}
    client.force_login(django_user_model.objects.create_user("alice", password="x"))
    assert post_run({"code": "print(1)"}).status_code == 202


def test_it_requires_post(client):
    assert client.get("/runs/api/runs/").status_code == 405
