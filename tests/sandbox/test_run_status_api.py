"""Status and cancel endpoints: what the page polls, and who may see or stop a run."""

from __future__ import annotations

import pytest
from run_factories import make_run, succeeded

from sandbox.jobs.execution import execute
from sandbox.models import Run

pytestmark = pytest.mark.django_db


def test_a_finished_demo_run_comes_with_its_rendered_result(client):
    run = make_run("fixture_chart", params={"max_len": 64, "label": "causal"})
    execute(str(run.pk))
    body = client.get(f"/runs/api/runs/{run.pk}/").json()
    assert body["state"] == "succeeded" and body["final"] is True and body["progress"] == 100
    assert body["result"]["title"] == "n² growth up to 64 tokens"
    assert "<svg" in body["result_html"] and "measured" in body["result_html"]
    assert body["environment"]["device"] in ("cpu", "cuda")


def test_a_queued_run_reports_its_state_without_a_result(client):
    run = make_run("fixture_chart")
    body = client.get(f"/runs/api/runs/{run.pk}/").json()
    assert (body["state"], body["final"], body["result"], body["result_html"]) == ("queued", False, None, "")


def test_code_runs_are_private_to_whoever_started_them(client, post_run, no_broker, django_user_model):
    run_id = post_run({"code": "print(1)"}).json()["id"]
    assert client.get(f"/runs/api/runs/{run_id}/").status_code == 200
    client.logout()
    client.cookies.clear()
    assert client.get(f"/runs/api/runs/{run_id}/").status_code == 404
    client.force_login(django_user_model.objects.create_user("staff", password="x", is_staff=True))
    assert client.get(f"/runs/api/runs/{run_id}/").status_code == 200


def test_demo_runs_are_public(client):
    run = succeeded()
    assert client.get(f"/runs/api/runs/{run.pk}/").status_code == 200


def test_the_owner_cancels_a_queued_run(client, post_run, no_broker):
    run_id = post_run({"demo": "fixture_chart"}).json()["id"]
    response = client.post(f"/runs/api/runs/{run_id}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert execute(run_id) == "skipped"


def test_a_running_run_is_asked_to_stop(client, post_run, no_broker):
    run_id = post_run({"demo": "fixture_chart"}).json()["id"]
    Run.objects.filter(pk=run_id).update(state=Run.State.RUNNING)
    assert client.post(f"/runs/api/runs/{run_id}/cancel/").json()["message"] == "cancelling…"
    assert Run.objects.get(pk=run_id).cancel_requested is True


def test_others_cannot_cancel_and_finished_runs_cannot_be_cancelled(client, post_run, no_broker):
    run_id = post_run({"demo": "fixture_chart"}).json()["id"]
    client.cookies.clear()
    response = client.post(f"/runs/api/runs/{run_id}/cancel/")
    assert response.status_code == 403 and response.json()["error"]["field"] == "run"
    done = succeeded()
    assert client.post(f"/runs/api/runs/{done.pk}/cancel/").status_code == 403


def test_cancelling_a_finished_run_is_a_conflict(client, post_run, no_broker):
    run_id = post_run({"demo": "fixture_chart"}).json()["id"]
    Run.objects.filter(pk=run_id).update(state=Run.State.SUCCEEDED)
    response = client.post(f"/runs/api/runs/{run_id}/cancel/")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "run: already succeeded; there is nothing to cancel."


def test_unknown_runs_are_404(client):
    assert client.get("/runs/api/runs/00000000-0000-0000-0000-000000000000/").status_code == 404
