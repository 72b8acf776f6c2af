"""A worker killed mid-validation changes nothing: the sweep queues the run again, and a run that
never finished can be validated again from the revision page."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from questions.exercises.authoring.revisions import save_revision
from questions.exercises.models import ExerciseRevision
from sandbox.jobs.models import Run
from sandbox.jobs.sweep import sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def revision(live, add_one, no_broker) -> ExerciseRevision:
    return save_revision(replace(live, title="Add one (edited)"), add_one, None).revision


def test_a_killed_worker_leaves_the_run_queued_again_and_the_exercise_unchanged(revision, add_one, no_broker) -> None:
    claimed = Run.objects.claim(revision.run_id, worker="doomed", lease_seconds=60, max_attempts=2)
    assert claimed is not None
    Run.objects.filter(pk=claimed.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))  # it died
    assert sweep().requeued == 1
    revision.refresh_from_db()
    add_one.refresh_from_db()
    assert revision.state == "validating" and revision.run.state == Run.State.QUEUED
    assert add_one.title == "Add one" and add_one.live_revision is None
    assert no_broker[-1]["args"] == [str(revision.run_id)]  # sent again for the next worker


def test_a_run_that_gave_up_can_be_validated_again(revision, admin_client, no_broker) -> None:
    Run.objects.filter(pk=revision.run_id).update(
        state=Run.State.FAILED, error="The worker running this stopped responding 2 times; giving up.")
    status = admin_client.get(f"/admin/exercises/exercise/revisions/{revision.pk}/status/").json()
    assert status["state"] == "stopped" and status["can_validate_again"]
    assert "stopped responding 2 times" in status["headline"] and "validate again" in status["headline"]
    old_run = revision.run_id
    response = admin_client.post(f"/admin/exercises/exercise/revisions/{revision.pk}/validate-again/")
    assert response.status_code == 302
    revision.refresh_from_db()
    assert revision.run_id != old_run and revision.run.state == Run.State.QUEUED
    assert no_broker[-1]["args"] == [str(revision.run_id)]


def test_a_decided_revision_is_not_validated_again(revision, admin_client, no_broker) -> None:
    ExerciseRevision.objects.filter(pk=revision.pk).update(state="refused", refusal="the reference fails")
    sent = len(no_broker)
    admin_client.post(f"/admin/exercises/exercise/revisions/{revision.pk}/validate-again/")
    assert len(no_broker) == sent
