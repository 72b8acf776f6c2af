"""Fair queues (finding 5): caps on active runs per visitor, account and IP; a queue per kind; the wait shown.

alice and bob are signed in; anonymous visitors come from the test client's 127.0.0.1.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from run_factories import field_error, make_run

from sandbox.jobs import queues
from sandbox.models import Run

pytestmark = pytest.mark.django_db


def _post(client: Client, body: dict):
    return client.post("/runs/api/runs/", data=json.dumps(body), content_type="application/json")


def test_an_anonymous_visitor_may_have_three_active_runs_and_the_fourth_is_refused(client, no_broker, settings):
    settings.SANDBOX_ACTIVE_RUNS_PER_VISITOR = 3
    for n in range(3):
        assert _post(client, {"code": f"print({n})"}).status_code == 202
    response = _post(client, {"code": "print(4)"})
    assert response.status_code == 429
    _, message = field_error(response)
    assert message.startswith("Too many active runs: at most 3 queued or running at once per visitor, and 3 are.")
    assert int(response["Retry-After"]) >= 1
    assert Run.objects.count() == 3 and len(no_broker) == 3


def test_a_finished_run_frees_its_slot(client, no_broker, settings):
    settings.SANDBOX_ACTIVE_RUNS_PER_VISITOR = 1
    first = _post(client, {"code": "print(1)"}).json()
    assert _post(client, {"code": "print(2)"}).status_code == 429
    Run.objects.filter(pk=first["id"]).update(state=Run.State.SUCCEEDED, finished_at=timezone.now())
    assert _post(client, {"code": "print(2)"}).status_code == 202


def test_a_signed_in_visitor_is_capped_per_account(client, no_broker, settings, django_user_model):
    settings.SANDBOX_ACTIVE_RUNS_PER_VISITOR = 2
    client.force_login(django_user_model.objects.create_user("alice", password="x"))
    assert [_post(client, {"code": "print(1)"}).status_code for _ in range(3)] == [202, 202, 429]
    assert "per account" in field_error(_post(client, {"code": "print(1)"}))[1]


def test_fresh_accounts_from_one_ip_share_the_ip_cap(no_broker, settings, django_user_model):
    settings.SANDBOX_ACTIVE_RUNS_PER_VISITOR, settings.SANDBOX_ACTIVE_RUNS_PER_IP = 3, 4
    statuses = []
    for name in ("alice", "bob", "carol"):
        visitor = Client()  # same REMOTE_ADDR, a new account each time
        visitor.force_login(django_user_model.objects.create_user(name, password="x"))
        statuses += [_post(visitor, {"code": "print(1)"}).status_code for _ in range(2)]
    assert statuses == [202, 202, 202, 202, 429, 429]
    assert Run.objects.active().count() == 4


def test_joining_a_demo_already_under_way_is_never_refused(client, no_broker, settings):
    settings.SANDBOX_ACTIVE_RUNS_PER_VISITOR = 1
    assert _post(client, {"demo": "fixture_chart"}).status_code == 202
    joined = _post(client, {"demo": "fixture_chart"})  # identical: it joins the first, creating nothing
    assert joined.status_code == 202 and joined.json()["joined"] is True
    assert _post(client, {"demo": "fixture_chart", "params": {"max_len": 32}}).status_code == 429


def test_each_kind_of_run_has_its_own_queue(client, no_broker):
    _post(client, {"demo": "fixture_chart"})
    _post(client, {"code": "print(1)"})
    assert [sent["queue"] for sent in no_broker] == [queues.DEMOS, queues.CODE]
    assert len(set(queues.ALL)) == len(queues.ALL) and queues.EXERCISES == "exercises"


def test_a_queued_run_shows_its_place_in_line_and_an_estimated_wait(client, no_broker):
    now = timezone.now()
    for seconds in (3, 4, 5):  # the queue's typical run time is learned from recent runs: median 4 s
        make_run("", Run.State.SUCCEEDED, kind=Run.Kind.CODE, queue=queues.CODE,
                 started_at=now - timedelta(minutes=5, seconds=seconds), finished_at=now - timedelta(minutes=5))  # fmt: skip
    make_run("", Run.State.RUNNING, kind=Run.Kind.CODE, queue=queues.CODE)
    for _ in range(2):
        make_run("", kind=Run.Kind.CODE, queue=queues.CODE, queued_at=now - timedelta(seconds=30))
    submitted = _post(client, {"code": "print(1)"}).json()
    status = client.get(submitted["status_url"]).json()
    assert status["queue"] == {
        "queue": "code", "position": 3, "ahead": 2, "running": 1, "estimated_wait_s": 12,
        "message": "waiting for a worker: 3rd in line, about 12 s",
    }  # fmt: skip
    # Then what it will take in all: 12 s of waiting plus the 4 s code runs usually take.
    assert status["message"] == ("waiting for a worker: 3rd in line, about 12 s · about 16 s left "
                                 "(usually 4 s: the median of the last 3 runs of this kind)")
    assert submitted["queue"]["position"] == 3  # the answer to the click says it too


def test_a_code_backlog_does_not_put_demos_in_line_behind_it(client, no_broker):
    for _ in range(5):
        make_run("", kind=Run.Kind.CODE, queue=queues.CODE, queued_at=timezone.now() - timedelta(seconds=30))
    demo = _post(client, {"demo": "fixture_chart"}).json()
    assert demo["queue"]["position"] == 1 and demo["queue"]["ahead"] == 0
    assert demo["message"].startswith("waiting for a worker: next in line · about ")


def test_a_started_run_has_no_place_in_line(client, no_broker):
    run = make_run("", Run.State.RUNNING, kind=Run.Kind.CODE, queue=queues.CODE, session_key="s")
    from sandbox.api import status_payload

    assert status_payload(run, include_html=False)["queue"] is None


def test_the_wait_is_still_answered_when_the_cache_is_down(client, no_broker, monkeypatch):
    class DownCache:
        def get(self, *args, **kwargs):
            raise ConnectionError("redis is down")

        set = get

    monkeypatch.setattr("sandbox.jobs.fairness.cache", DownCache())
    response = _post(client, {"code": "print(1)"})
    assert response.status_code == 202 and response.json()["queue"]["position"] == 1
