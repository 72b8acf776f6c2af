"""Where applied admin versions live, and how they meet the bank: a new exercise starts as a draft
that a reviewer publishes; load_bank keeps an admin edit and reports a conflict when the folder
changed too; export_bank writes the admin version back so that load_bank changes nothing."""
from __future__ import annotations

from dataclasses import replace

import pytest
from django.core.management import call_command

from questions.bank_loader import load_bank
from questions.exercises.authoring.revisions import save_revision
from questions.exercises.models import Exercise, ExerciseRevision
from questions.exercises.worker import exercise_spec

from .helpers import apply_without_grading

pytestmark = pytest.mark.django_db

CONTENT = ("title", "topic_id", "difficulty", "function", "signature", "statement_md", "walkthrough_md", "hints",
           "starter", "reference", "examples", "demos", "content_hash", "status")


def _applied(draft, exercise, user=None) -> ExerciseRevision:
    saved = save_revision(draft, exercise, user)
    apply_without_grading(saved.revision)
    saved.revision.refresh_from_db()
    assert saved.revision.state == ExerciseRevision.State.APPLIED, saved.revision.refusal
    return saved.revision


@pytest.fixture
def new_exercise(live, no_broker) -> Exercise:
    """add-one copied as an exercise written in the admin, applied."""
    _applied(replace(live, slug="add-one-again", title="Add one, again"), None)
    return Exercise.objects.get(slug="add-one-again")


class TestANewExercise:
    def test_starts_as_a_draft_with_no_folder_and_is_hidden_until_published(self, new_exercise, client, reviewer):
        assert (new_exercise.status, new_exercise.source_path, new_exercise.is_active) == ("draft", "", True)
        assert client.get("/exercises/add-one-again/").status_code == 404
        response = reviewer.post("/admin/exercises/exercise/", {
            "action": "publish", "_selected_action": [new_exercise.pk]})
        assert response.status_code == 302
        new_exercise.refresh_from_db()
        assert new_exercise.status == "published"
        assert client.get("/exercises/add-one-again/").status_code == 200

    def test_a_draft_is_in_no_list_and_cannot_be_submitted(self, new_exercise, client, post_submission):
        assert b"add-one-again" not in client.get("/exercises/").content
        response = post_submission({"slug": "add-one-again", "mode": "check", "code": "def add_one(x):\n    return x\n"})
        assert response.status_code == 400 and "there is no exercise called 'add-one-again'" in response.json()["error"]["message"]

    def test_staff_see_the_draft_page_marked_as_such(self, new_exercise, author):
        page = author.get("/exercises/add-one-again/").content.decode()
        assert "Draft: only staff see this page" in page
        assert "Check works for you here (it records nothing); Submit works once it is published." in page

    def test_staff_may_check_a_draft_but_not_submit_it(self, new_exercise, author):
        code = "def add_one(x):\n    return x + 1\n"
        check = author.post("/exercises/api/submissions/", {"slug": "add-one-again", "mode": "check", "code": code},
                            content_type="application/json")
        assert check.status_code == 202 and check.json()["mode"] == "check"
        submit = author.post("/exercises/api/submissions/", {"slug": "add-one-again", "mode": "submit", "code": code},
                             content_type="application/json")
        assert submit.status_code == 409
        assert submit.json()["error"] == {
            "field": "mode",
            "message": "mode: this exercise is not published yet, so only Check works here (it records nothing); "
                       "Submit works once it is published.",
        }

    def test_a_draft_with_nothing_validated_cannot_be_checked(self, new_exercise, author):
        Exercise.objects.filter(pk=new_exercise.pk).update(live_revision=None)
        response = author.post("/exercises/api/submissions/", {"slug": "add-one-again", "mode": "check",
                                                                 "code": "def add_one(x):\n    return x\n"},
                               content_type="application/json")
        assert response.status_code == 409 and response.json()["error"]["field"] == "slug"
        assert "has no validated version to grade yet" in response.json()["error"]["message"]
        assert "It has no validated version yet" in author.get("/exercises/add-one-again/").content.decode()

    def test_an_author_may_not_publish(self, new_exercise, author):
        author.post("/admin/exercises/exercise/", {"action": "publish", "_selected_action": [new_exercise.pk]})
        new_exercise.refresh_from_db()
        assert new_exercise.status == "draft"

    def test_the_grader_reads_its_files_materialised_by_content_hash(self, new_exercise, settings):
        spec = exercise_spec("add-one-again")
        assert spec.folder == settings.VAR_DIR / "exercise-revisions" / new_exercise.content_hash / "add-one-again"
        assert spec.content_hash == new_exercise.content_hash

    def test_load_bank_does_not_retire_it(self, new_exercise, bank_dir):
        report = load_bank(bank_dir.root)
        assert "add-one-again" not in report.exercises["retired"]
        new_exercise.refresh_from_db()
        assert new_exercise.is_active


class TestLoadBankKeepsAnAdminEdit:
    def test_an_unchanged_folder_keeps_the_edit_quietly(self, add_one, live, bank_dir, no_broker):
        _applied(replace(live, title="Add one (edited)"), add_one)
        report = load_bank(bank_dir.root)
        add_one.refresh_from_db()
        assert add_one.title == "Add one (edited)" and report.conflicts == []

    def test_a_changed_folder_is_a_conflict_and_the_edit_is_kept(self, add_one, live, bank_dir, no_broker):
        _applied(replace(live, title="Add one (edited)"), add_one)
        folder = bank_dir.root / "exercises" / "add-one"
        text = (folder / "exercise.md").read_text()
        (folder / "exercise.md").write_text(text.replace("title: Add one", "title: Add one to x"))
        report = load_bank(bank_dir.root)
        add_one.refresh_from_db()
        assert add_one.title == "Add one (edited)"
        (conflict,) = report.conflicts
        assert conflict.startswith("exercises/add-one: edited in the admin since ")
        assert conflict.endswith("; file changed too")


class TestExportRoundTrip:
    def test_export_then_load_bank_changes_nothing(self, new_exercise, add_one, live, bank_dir, tmp_path):
        _applied(replace(live, hints=[*live.hints, "Check the dtype of the result."]), add_one)
        before = {e.slug: {f: getattr(e, f) for f in CONTENT} for e in Exercise.objects.all()}
        call_command("export_bank", "--path", str(bank_dir.root), stdout=open("/dev/null", "w"),
                     stderr=open("/dev/null", "w"))
        assert (bank_dir.root / "exercises" / "add-one-again" / "wrong" / "subtracts.py").is_file()

        first = load_bank(bank_dir.root)
        assert first.conflicts == [] and first.exercises["errors"] == []
        after = {e.slug: {f: getattr(e, f) for f in CONTENT} for e in Exercise.objects.all()}
        assert after == before
        again = Exercise.objects.get(slug="add-one-again")
        assert again.source_path == "exercises/add-one-again" and again.live_revision is None  # the bank is the source now
        add_one.refresh_from_db()
        assert not add_one.is_edited_bank_exercise and add_one.live_revision is None
        second = load_bank(bank_dir.root)
        assert sorted(second.exercises["unchanged"]) == ["add-one", "add-one-again"]


class TestResolvingAConflict:
    @pytest.fixture
    def conflict(self, add_one, live, bank_dir, no_broker):
        _applied(replace(live, title="Add one (edited)"), add_one)
        md = bank_dir.root / "exercises" / "add-one" / "exercise.md"
        md.write_text(md.read_text().replace("title: Add one", "title: Add one to x"))
        assert load_bank(bank_dir.root).conflicts
        return add_one

    def test_keep_mine_quiets_load_bank_until_the_folder_changes_again(self, conflict, reviewer, bank_dir):
        reviewer.post("/admin/exercises/exercise/", {"action": "keep_admin_version", "_selected_action": [conflict.pk]})
        assert load_bank(bank_dir.root).conflicts == []
        conflict.refresh_from_db()
        assert conflict.title == "Add one (edited)" and conflict.is_edited_bank_exercise

    def test_taking_the_folder_validates_it_then_the_folder_is_the_source_again(self, conflict, reviewer, bank_dir):
        reviewer.post("/admin/exercises/exercise/", {"action": "take_bank_version", "_selected_action": [conflict.pk]})
        revision = ExerciseRevision.objects.latest("pk")
        conflict.refresh_from_db()
        assert conflict.title == "Add one (edited)" and revision.state == "validating"  # nothing changes before it passes
        apply_without_grading(revision)
        conflict.refresh_from_db()
        assert conflict.title == "Add one to x" and conflict.live_revision is None and not conflict.is_edited_bank_exercise
        report = load_bank(bank_dir.root)
        assert report.conflicts == [] and report.exercises["unchanged"] == ["add-one"]
