"""The authoring form itself: what it starts from (the live exercise, an empty form with rows for the
format's two wrong solutions, or a refused revision to fix) and the revision page's way back to it."""
from __future__ import annotations

from dataclasses import replace

import pytest

from questions.exercises.authoring.revisions import save_revision
from questions.exercises.models import ExerciseRevision

from .helpers import edit_post

pytestmark = pytest.mark.django_db


def test_a_new_exercise_has_rows_for_two_wrong_solutions(admin_client, bank_dir) -> None:
    formset = admin_client.get("/admin/exercises/exercise/add/").context["formset"]
    assert len(formset.forms) == 2


def test_an_edit_starts_from_the_live_exercise_with_a_blank_row_to_add(admin_client, add_one, live) -> None:
    response = admin_client.get(f"/admin/exercises/exercise/{add_one.pk}/change/")
    assert response.context["form"].initial["reference"] == live.reference
    assert [f.initial.get("name") for f in response.context["formset"].forms] == ["subtracts", "plus_two", None]


def test_a_refused_revision_can_be_fixed_rather_than_typed_again(admin_client, add_one, live, no_broker) -> None:
    revision = save_revision(replace(live, title="Add one, refused"), add_one, None).revision
    ExerciseRevision.objects.filter(pk=revision.pk).update(state="refused", refusal="the reference fails")
    page = admin_client.get(f"/admin/exercises/exercise/revisions/{revision.pk}/").content.decode()
    link = f"/admin/exercises/exercise/{add_one.pk}/change/?revision={revision.pk}"
    assert link in page
    assert admin_client.get(link).context["form"].initial["title"] == "Add one, refused"


def test_another_exercises_revision_is_ignored(admin_client, add_one, live, no_broker) -> None:
    other = save_revision(replace(live, slug="add-one-copy"), None, None).revision
    response = admin_client.get(f"/admin/exercises/exercise/{add_one.pk}/change/?revision={other.pk}")
    assert response.context["form"].initial["slug"] == "add-one"


def test_a_blank_row_is_no_wrong_solution(admin_client, add_one, live, no_broker) -> None:
    blank = {"wrong-TOTAL_FORMS": "3", "wrong-2-name": "", "wrong-2-mistake": "", "wrong-2-fails": [""],
             "wrong-2-source": ""}  # what the list editor and the code editor post for an untouched row
    response = edit_post(admin_client, add_one, replace(live, title="Add one to x"), **blank)
    assert response.status_code == 302, response.context and response.context["error_summary"]
    assert "wrong/subtracts.py" in ExerciseRevision.objects.get().files and len(ExerciseRevision.objects.get().files) == 6
