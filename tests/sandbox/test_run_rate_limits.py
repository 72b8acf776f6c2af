"""Per-user (or per-IP) fixed-window limits answer 429 with a clear message and Retry-After."""

from __future__ import annotations

import pytest

from sandbox import ratelimit
from sandbox.models import Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen_clock(monkeypatch):
    clock = {"now": 1_000_040.0}
    monkeypatch.setattr(ratelimit, "_now", lambda: clock["now"])
    return clock


def test_it_answers_429_after_the_limit(post_run, no_broker, settings, frozen_clock):
    settings.SANDBOX_RATE_LIMIT_CODE, settings.SANDBOX_RATE_WINDOW = 2, 60
    assert post_run({"code": "print(1)"}).status_code == 202
    assert post_run({"code": "print(2)"}).status_code == 202
    response = post_run({"code": "print(3)"})
    assert response.status_code == 429
    assert response.json()["error"]["message"] == "Too many code runs: at most 2 every 60 s. Try again in 40 s."
    assert response["Retry-After"] == "40"
    assert Run.objects.count() == 2


def test_demo_and_code_limits_are_counted_apart(post_run, no_broker, settings, frozen_clock):
    settings.SANDBOX_RATE_LIMIT_CODE = 1
    assert post_run({"code": "print(1)"}).status_code == 202
    assert post_run({"demo": "fixture_chart"}).status_code == 202


def test_a_new_window_allows_runs_again(post_run, no_broker, settings, frozen_clock):
    settings.SANDBOX_RATE_LIMIT_CODE = 1
    assert post_run({"code": "print(1)"}).status_code == 202
    assert post_run({"code": "print(1)"}).status_code == 429
    frozen_clock["now"] += 60
    assert post_run({"code": "print(1)"}).status_code == 202


def test_signed_in_users_are_counted_per_account_not_per_ip(
    client, post_run, no_broker, settings, django_user_model, frozen_clock
):
    settings.SANDBOX_RATE_LIMIT_CODE = 1
    assert post_run({"code": "print(1)"}).status_code == 202  # anonymous, counted under 127.0.0.1
    client.force_login(django_user_model.objects.create_user("bob", password="x"))
    assert post_run({"code": "print(1)"}).status_code == 202
    assert post_run({"code": "print(1)"}).status_code == 429


def test_invalid_requests_do_not_use_up_the_quota(post_run, no_broker, settings, frozen_clock):
    settings.SANDBOX_RATE_LIMIT_CODE = 1
    assert post_run({"code": ""}).status_code == 400
    assert post_run({"code": "print(1)"}).status_code == 202
