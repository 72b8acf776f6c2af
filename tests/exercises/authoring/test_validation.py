"""Validate on save, through the real sandbox: a good edit is applied, a bad one refused with the case
or the wrong solution named, and the live exercise changes only when validation passes."""
from __future__ import annotations

from dataclasses import replace

import pytest

from questions.exercises.authoring.drafts import WrongDraft
from questions.exercises.models import Exercise, ExerciseRevision
from questions.exercises.worker import exercise_spec
from sandbox.jobs import queues

from .helpers import edit_post, run_validation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox_available")]

ALSO_RIGHT = "def add_one(x):\n    return 1 + x\n"
WRONG_WHEN_LONG = "def add_one(x):\n    return x + 1 if x.numel() < 1000 else x\n"


def _saved(response) -> ExerciseRevision:
    assert response.status_code == 302, response.context and response.context["error_summary"]
    return ExerciseRevision.objects.get()


class TestAGoodEdit:
    def test_is_pending_until_validated_then_applied(self, admin_client, add_one, live, no_broker):
        draft = replace(live, statement_md="Return `x + 1`, element by element, in the dtype of `x`.",
                        reference="import torch\n\n\ndef add_one(x):\n    return torch.add(x, 1)\n")
        revision = _saved(edit_post(admin_client, add_one, draft, summary="reference uses torch.add"))
        (sent,) = no_broker
        assert (sent["task"], sent["args"], sent["queue"]) == (queues.VALIDATE_EXERCISE_TASK, [str(revision.run_id)], "exercises")
        add_one.refresh_from_db()
        assert add_one.statement_md.startswith("Write `add_one(x)`") and add_one.live_revision is None  # not yet

        page = admin_client.get(f"/admin/exercises/exercise/revisions/{revision.pk}/status/").json()
        assert page["state"] == "validating" and page["headline"].startswith("Queued: waiting for a worker")

        assert run_validation(revision) == "succeeded"
        revision.refresh_from_db()
        add_one.refresh_from_db()
        assert revision.state == ExerciseRevision.State.APPLIED, revision.refusal
        assert add_one.live_revision_id == revision.pk and add_one.content_hash == revision.content_hash
        assert add_one.statement_md == "Return `x + 1`, element by element, in the dtype of `x`."
        assert add_one.is_edited_bank_exercise and add_one.edited_base_hash  # load_bank keeps it from now on
        assert "torch.add" in exercise_spec("add-one").reference  # the grader reads the applied version
        status = admin_client.get(f"/admin/exercises/exercise/revisions/{revision.pk}/status/").json()
        assert status["done"] and status["headline"].startswith("Passed:")


class TestARefusedEdit:
    def test_a_reference_that_fails_names_the_hidden_case_and_changes_nothing(self, admin_client, add_one, live, no_broker):
        before = Exercise.objects.values().get(pk=add_one.pk)
        revision = _saved(edit_post(admin_client, add_one, replace(live, reference=WRONG_WHEN_LONG, title="Add one!")))
        run_validation(revision)
        revision.refresh_from_db()
        assert revision.state == ExerciseRevision.State.REFUSED
        assert revision.refusal.startswith("the reference fails hidden case `large-vector` (seed 0): ")
        assert "This case checks: A long vector, timed against the engine." in revision.refusal
        assert Exercise.objects.values().get(pk=add_one.pk) == before  # the live exercise is untouched
        page = admin_client.get(f"/admin/exercises/exercise/revisions/{revision.pk}/").content.decode()
        assert "Refused: the live exercise is unchanged." in page and "The reference fails hidden case" in page

    def test_a_wrong_solution_that_passes_is_named(self, admin_client, add_one, live, no_broker):
        also_right = WrongDraft("also_right", "Adds one the other way round.", ["a-zero"], ALSO_RIGHT)
        revision = _saved(edit_post(admin_client, add_one, replace(live, wrong=[*live.wrong, also_right])))
        run_validation(revision)
        revision.refresh_from_db()
        assert revision.state == ExerciseRevision.State.REFUSED
        assert revision.refusal == "wrong solution `also_right` passes every case; it should fail on `a-zero`"
        add_one.refresh_from_db()
        assert add_one.live_revision is None and not add_one.is_edited_bank_exercise
