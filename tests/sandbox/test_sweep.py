"""The sweep leaves no run stuck: orphans are re-queued or failed, unsent runs re-sent, old ones failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from run_factories import make_run

from sandbox.models import Run
from sandbox.jobs.sweep import sweep

pytestmark = pytest.mark.django_db


def expired(**fields):
    return make_run(
        "fixture_chart", Run.State.RUNNING, lease_expires_at=timezone.now() - timedelta(seconds=1), **fields
    )


def test_an_orphaned_run_with_attempts_left_is_queued_again_and_resent(no_broker, settings):
    settings.SANDBOX_MAX_ATTEMPTS = 2
    run = expired()
    report = sweep()
    run.refresh_from_db()
    assert report.requeued == 1
    assert run.state == Run.State.QUEUED
    assert "attempt 1: the worker stopped responding; queued again" in run.logs
    assert no_broker[0]["args"] == [str(run.pk)]


def test_an_orphan_out_of_attempts_fails_with_a_reason(no_broker, settings):
    settings.SANDBOX_MAX_ATTEMPTS = 2
    run = expired(attempts=2)
    assert sweep().failed_running == 1
    run.refresh_from_db()
    assert run.state == Run.State.FAILED
    assert run.error == "The worker running this stopped responding 2 times; giving up."
    assert no_broker == []


def test_an_orphan_past_its_hard_limit_fails(no_broker, settings):
    settings.SANDBOX_DEMO_TIME_LIMIT = 100
    run = expired(started_at=timezone.now() - timedelta(seconds=101))
    sweep()
    run.refresh_from_db()
    assert run.state == Run.State.FAILED
    assert "hard time limit of 100 s" in run.error


def test_a_run_with_a_live_lease_is_left_alone(no_broker):
    run = make_run("fixture_chart", Run.State.RUNNING)
    assert sweep().as_dict() == {"requeued": 0, "failed_running": 0, "resent": 0, "failed_queued": 0}
    assert Run.objects.get(pk=run.pk).state == Run.State.RUNNING


def test_recently_queued_runs_are_not_resent(no_broker):
    make_run("fixture_chart", enqueued_at=timezone.now())
    assert sweep().resent == 0


def test_runs_waiting_too_long_for_a_worker_are_resent(no_broker, settings):
    settings.SANDBOX_QUEUED_RESEND_AFTER = 60
    make_run("fixture_chart", enqueued_at=timezone.now() - timedelta(seconds=61))
    assert sweep().resent == 1


def test_runs_queued_past_the_deadline_fail_visibly(no_broker, settings):
    settings.SANDBOX_QUEUED_DEADLINE = 600
    run = make_run("fixture_chart", queued_at=timezone.now() - timedelta(seconds=601))
    assert sweep().failed_queued == 1
    run.refresh_from_db()
    assert run.state == Run.State.FAILED
    assert run.error.startswith("No worker started this run within 10 minutes")


def test_the_command_reports_what_it_did(no_broker, capsys):
    expired()
    call_command("sweep_runs")
    assert "requeued: 1" in capsys.readouterr().out
