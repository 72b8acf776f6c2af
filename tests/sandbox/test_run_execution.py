"""The worker side: claiming is atomic and idempotent, every ending is recorded with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from run_factories import make_run

from sandbox.jobs.execution import execute
from sandbox.models import Run

pytestmark = pytest.mark.django_db


def test_it_runs_a_demo_and_records_result_environment_and_cache_key():
    run = make_run("fixture_chart", params={"max_len": 64, "label": "full"})
    assert execute(str(run.pk)) == Run.State.SUCCEEDED
    run.refresh_from_db()
    assert run.state == Run.State.SUCCEEDED and run.progress == 100
    assert run.result["table"]["rows"][-1] == [64, 4096]
    assert run.result["params"] == {"max_len": 64, "label": "full"}
    assert run.environment["worker"] and run.environment["torch"]
    assert run.device in ("cpu", "cuda") and len(run.cache_key) == 64
    assert run.attempts == 1 and run.started_at <= run.finished_at
    assert run.lease_expires_at is None


def test_a_redelivered_message_for_a_finished_run_does_nothing():
    run = make_run("fixture_chart")
    execute(str(run.pk))
    run.refresh_from_db()
    finished_at, result = run.finished_at, run.result
    assert execute(str(run.pk)) == "skipped"
    run.refresh_from_db()
    assert (run.finished_at, run.result, run.attempts) == (finished_at, result, 1)


def test_a_run_held_by_a_live_worker_is_not_claimed_twice():
    run = make_run("fixture_chart", Run.State.RUNNING)
    assert execute(str(run.pk)) == "skipped"
    assert Run.objects.get(pk=run.pk).attempts == 1


def test_a_run_whose_worker_died_is_claimed_again_with_attempts_left(settings):
    settings.SANDBOX_MAX_ATTEMPTS = 2
    run = make_run("fixture_chart", Run.State.RUNNING, lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert execute(str(run.pk)) == Run.State.SUCCEEDED
    assert Run.objects.get(pk=run.pk).attempts == 2


def test_no_attempts_left_means_no_claim(settings):
    settings.SANDBOX_MAX_ATTEMPTS = 1
    run = make_run("fixture_chart", Run.State.RUNNING, lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert execute(str(run.pk)) == "skipped"


def test_a_cancelled_queued_run_never_starts():
    run = make_run("fixture_chart", Run.State.CANCELLED, cancel_requested=True)
    assert execute(str(run.pk)) == "skipped"


def test_a_stale_attempt_cannot_overwrite_the_current_one():
    run = make_run("fixture_chart", Run.State.RUNNING, attempts=2)
    assert run.finish(1, Run.State.SUCCEEDED, result={"title": "stale"}) is False
    assert Run.objects.get(pk=run.pk).state == Run.State.RUNNING


def test_a_crashing_demo_fails_with_a_short_message_and_a_traceback_in_the_logs():
    run = make_run("fixture_crash", params={})
    assert execute(str(run.pk)) == Run.State.FAILED
    run.refresh_from_db()
    assert run.error == "The demo failed: ZeroDivisionError: division by zero inside the demo"
    assert "Traceback" in run.logs


def test_cancelling_a_running_demo_stops_it_at_its_next_progress_report(monkeypatch):
    from sandbox.jobs import lease

    monkeypatch.setattr(lease, "PROGRESS_INTERVAL", 0.0)
    original = lease.Lease.__enter__

    def enter_then_cancel(self):
        # The visitor presses Cancel right after a worker claimed the run.
        Run.objects.filter(pk=self.run_id).update(cancel_requested=True)
        return original(self)

    monkeypatch.setattr(lease.Lease, "__enter__", enter_then_cancel)
    run = make_run("fixture_slow", params={"seconds": 5.0, "tag": ""})
    assert execute(str(run.pk)) == Run.State.CANCELLED
    run.refresh_from_db()
    assert run.finished_at - run.started_at < timedelta(seconds=4)


def test_progress_is_written_as_the_demo_reports_it(monkeypatch):
    from sandbox.jobs import lease

    monkeypatch.setattr(lease, "PROGRESS_INTERVAL", 0.0)
    seen: list[int] = []
    original = lease.Lease.progress

    def spy(self, percent, message):
        original(self, percent, message)
        seen.append(Run.objects.get(pk=self.run_id).progress)

    monkeypatch.setattr(lease.Lease, "progress", spy)
    run = make_run("fixture_slow", params={"seconds": 0.0, "tag": ""})
    execute(str(run.pk))
    assert seen[0] == 0 and 50 in seen and seen[-1] == 100
    assert "step 20 of 20" in Run.objects.get(pk=run.pk).logs


def test_the_lease_is_renewed_while_a_demo_runs(settings):
    from sandbox.jobs.lease import Lease

    run = make_run("fixture_chart", Run.State.RUNNING, lease_expires_at=timezone.now() + timedelta(seconds=1))
    Lease(run, lease_seconds=30).renew()
    assert Run.objects.get(pk=run.pk).lease_expires_at > timezone.now() + timedelta(seconds=25)


def test_a_worker_that_lost_its_run_notices_on_renewal():
    from sandbox.jobs.lease import Lease

    run = make_run("fixture_chart", Run.State.RUNNING)
    lease = Lease(run, lease_seconds=30)
    Run.objects.filter(pk=run.pk).update(state=Run.State.FAILED)  # the sweep gave up on it
    lease.renew()
    assert lease.lost.is_set() and lease.should_stop
