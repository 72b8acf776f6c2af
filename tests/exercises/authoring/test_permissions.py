"""Who may reach the authoring pages: anonymous visitors and non-staff are sent to the login page,
staff without the exercise permissions get 403 everywhere (form, revision page, poll, validate again),
authors may change an exercise's text but never its code, and only reviewers create exercises."""
from __future__ import annotations

from dataclasses import replace

import pytest

from questions.exercises.authoring.revisions import save_revision
from questions.exercises.models import Exercise, ExerciseRevision

from .helpers import edit_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def revision(live, add_one, no_broker) -> ExerciseRevision:
    return save_revision(replace(live, title="Add one (edited)"), add_one, None).revision


def _pages(exercise: Exercise, revision: ExerciseRevision) -> list[tuple[str, str]]:
    base = "/admin/exercises/exercise"
    return [
        ("get", f"{base}/add/"),
        ("post", f"{base}/add/"),
        ("get", f"{base}/{exercise.pk}/change/"),
        ("post", f"{base}/{exercise.pk}/change/"),
        ("get", f"{base}/revisions/{revision.pk}/"),
        ("get", f"{base}/revisions/{revision.pk}/status/"),
        ("post", f"{base}/revisions/{revision.pk}/validate-again/"),
    ]


@pytest.mark.parametrize("who", ["anonymous", "visitor_user"])
def test_anonymous_and_non_staff_are_sent_to_log_in(who, request, client, add_one, revision) -> None:
    user_client = client if who == "anonymous" else request.getfixturevalue(who)
    for method, url in _pages(add_one, revision):
        response = getattr(user_client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), (method, url)


def test_staff_without_exercise_permissions_get_403(bare_staff, add_one, revision) -> None:
    for method, url in _pages(add_one, revision):
        assert getattr(bare_staff, method)(url).status_code == 403, (method, url)
    revision.refresh_from_db()
    assert revision.run.attempts == 0  # validate-again did nothing


class TestAnAuthor:
    def test_may_not_create_an_exercise(self, author, add_one):
        assert author.get("/admin/exercises/exercise/add/").status_code == 403

    def test_sees_a_published_exercise_read_only(self, author, add_one, live):
        page = author.get(f"/admin/exercises/exercise/{add_one.pk}/change/")
        assert page.status_code == 200 and b"Save and validate" not in page.content
        assert edit_post(author, add_one, replace(live, title="Changed")).status_code == 403

    def test_changes_the_text_of_a_draft_but_never_its_code(self, author, add_one, live, no_broker):
        Exercise.objects.filter(pk=add_one.pk).update(status="draft")
        page = author.get(f"/admin/exercises/exercise/{add_one.pk}/change/")
        assert page.context["form"].fields["cases"].disabled
        posted = replace(live, title="Add one to a tensor", reference="def add_one(x):\n    import os\n    return x + 1\n",
                         cases="print('not from an author')\n")
        response = edit_post(author, add_one, posted)
        assert response.status_code == 302, response.context and response.context["error_summary"]
        files = ExerciseRevision.objects.get().files
        assert "title: Add one to a tensor" in files["exercise.md"]
        assert files["reference.py"] == live.reference and files["cases.py"] == live.cases  # the code as it was

    def test_may_follow_a_revision(self, author, revision):
        assert author.get(f"/admin/exercises/exercise/revisions/{revision.pk}/status/").json()["state"] == "validating"


def test_a_reviewer_may_create_an_exercise(reviewer, bank_dir) -> None:
    page = reviewer.get("/admin/exercises/exercise/add/")
    assert page.status_code == 200 and b"Save and validate" in page.content
