"""A good submission creates one queued run, publishes it to the demo's queue and answers 202."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from sandbox.models import Run
from sandbox.jobs.sweep import sweep

pytestmark = pytest.mark.django_db


def test_it_queues_a_demo_run_with_validated_params(post_run, no_broker):
    response = post_run({"demo": "fixture_chart", "params": {"max_len": "64"}})
    assert response.status_code == 202
    body = response.json()
    run = Run.objects.get(pk=body["id"])
    assert run.state == Run.State.QUEUED
    assert run.params == {"max_len": 64, "label": "causal"}
    assert body["status_url"] == f"/runs/api/runs/{run.pk}/"
    assert body["broker_available"] is True
    assert no_broker == [{"task": "sandbox.run_demo", "args": [str(run.pk)], "queue": "cpu", "retry": False}]
    assert run.task_id == "task-1" and run.enqueued_at is not None


def test_code_runs_go_to_their_own_queue(post_run, no_broker):
    response = post_run({"code": "print(1)"})
    assert response.status_code == 202
    assert no_broker[0]["task"] == "sandbox.run_code"
    assert no_broker[0]["queue"] == "code"
    run = Run.objects.get(pk=response.json()["id"])
    assert run.session_key  # the anonymous visitor owns it through a session made on demand


def test_gpu_demos_are_routed_to_the_gpu_queue(post_run, no_broker):
    from engine.demos import all_demos

    gpu = [demo for demo in all_demos() if demo.queue == "gpu"]
    if not gpu:
        pytest.skip("the engine has no demo on the gpu queue")
    post_run({"demo": gpu[0].name})
    assert no_broker[0]["queue"] == "gpu"


def test_identical_requests_join_the_run_under_way(post_run, no_broker):
    first = post_run({"demo": "fixture_chart", "params": {"max_len": 64}}).json()
    second = post_run({"demo": "fixture_chart", "params": {"label": "causal", "max_len": 64}}).json()
    assert second["id"] == first["id"] and second["joined"] is True
    assert Run.objects.count() == 1
    assert len(no_broker) == 1


def test_broker_down_leaves_the_run_queued_and_says_so(post_run, monkeypatch):
    from celery import Celery

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")

    # Every publish ends in send_task, whether or not this process has imported the task module.
    monkeypatch.setattr(Celery, "send_task", refuse)
    response = post_run({"demo": "fixture_chart"})
    assert response.status_code == 202
    body = response.json()
    assert body["broker_available"] is False
    assert "task queue is unreachable" in body["message"]
    run = Run.objects.get(pk=body["id"])
    assert run.state == Run.State.QUEUED and run.enqueued_at is None


def test_the_sweep_resends_what_the_broker_refused(post_run, monkeypatch, no_broker):
    from celery import Celery

    working = Celery.send_task  # the recording fake from no_broker
    monkeypatch.setattr(Celery, "send_task", lambda *a, **k: (_ for _ in ()).throw(OperationalError("down")))
    run_id = post_run({"demo": "fixture_chart"}).json()["id"]
    monkeypatch.setattr(Celery, "send_task", working)
    report = sweep()
    assert report.resent == 1
    assert no_broker[-1]["args"] == [run_id]
    assert Run.objects.get(pk=run_id).enqueued_at is not None
