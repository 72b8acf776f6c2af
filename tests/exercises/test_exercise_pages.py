"""Exercise pages, the links and marks on bank pages, the no-JavaScript form, and the sync from the bank."""
from __future__ import annotations

import pytest

from questions.bank_loader import load_bank
from questions.exercises.models import Exercise, Submission

from .fixture_exercise import RIGHT_ADD_ONE, write_exercise
from .test_exercise_api import grade_as

pytestmark = pytest.mark.django_db


class TestListPage:
    def test_it_lists_active_exercises_with_difficulty_topic_and_signature(self, exercise, client):
        page = client.get("/exercises/").content.decode()
        assert 'href="/exercises/add-one/"' in page and "Add one" in page
        assert "add_one(x: Tensor) -&gt; Tensor" in page and "badge-easy" in page and "KV caching" in page

    @pytest.mark.parametrize("query, listed", [
        ("topic=kv-cache", True), ("topic=other", False), ("difficulty=easy", True), ("difficulty=hard", False),
        ("solved=new", True), ("solved=solved", False),
    ])
    def test_filters(self, exercise, client, query, listed):
        assert ('data-exercise="add-one"' in client.get(f"/exercises/?{query}").content.decode()) is listed

    def test_retired_exercises_are_hidden(self, exercise, client):
        Exercise.objects.update(is_active=False)
        assert "add-one" not in client.get("/exercises/").content.decode()
        assert client.get("/exercises/add-one/").status_code == 404


class TestExercisePage:
    def test_it_shows_the_task_signature_examples_hints_limits_and_starter(self, exercise, client):
        page = client.get("/exercises/add-one/").content.decode()
        assert "<math" in page  # $x + 1$ rendered as math
        assert "def add_one(x: Tensor) -&gt; Tensor" in page
        assert "add_one(tensor([1., 2., 3.], dtype=float32))" in page and "tensor([2., 3., 4.], dtype=float32)" in page
        assert page.count('class="hint"') == 2 and "Hint 1 of 2" in page
        assert "30 s wall clock, 4 GB memory, no network" in page
        assert "raise NotImplementedError" in page  # the starter code in the editor
        assert 'href="/q/kv-basics/"' in page  # the question it practises
        assert "vendor/codemirror/codemirror.js" in page

    def test_limits_follow_the_settings(self, exercise, client, settings):
        settings.SANDBOX_CODE_TIMEOUT = 10
        settings.SANDBOX_CODE_MEMORY_MB = 512
        assert "10 s wall clock, 512 MB memory, no network" in client.get("/exercises/add-one/").content.decode()

    def test_the_reference_and_walkthrough_wait_for_an_attempt(self, exercise, client, no_broker):
        page = client.get("/exercises/add-one/").content.decode()
        assert "Reference solution" not in page and "is the whole answer" not in page
        client.post("/exercises/add-one/submit/", {"code": RIGHT_ADD_ONE, "mode": "submit"})
        grade_as(Submission.objects.get(), passed=False)
        page = client.get("/exercises/add-one/").content.decode()
        assert "Reference solution" in page and "is the whole answer" in page
        assert "Your attempts" in page and "0 of 1 passed" in page

    def test_a_check_reveals_nothing(self, exercise, client, no_broker):
        client.post("/exercises/add-one/submit/", {"code": RIGHT_ADD_ONE, "mode": "check"})
        grade_as(Submission.objects.get(), passed=True)
        page = client.get("/exercises/add-one/").content.decode()
        assert "Reference solution" not in page and "Your attempts" not in page


class TestWithoutJavaScript:
    def test_the_form_posts_and_the_page_follows_the_submission(self, exercise, client, no_broker):
        response = client.post("/exercises/add-one/submit/", {"code": RIGHT_ADD_ONE, "mode": "submit"})
        submission = Submission.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/exercises/add-one/?submission={submission.pk}#result"
        pending = client.get(response["Location"]).content.decode()
        assert 'http-equiv="refresh"' in pending and "this page reloads" in pending
        assert "return x + 1" in pending  # the visitor's own code stays in the editor
        grade_as(submission, passed=True)
        done = client.get(response["Location"]).content.decode()
        assert "Solved: all 1 hidden tests passed." in done and 'http-equiv="refresh"' not in done

    def test_a_bad_mode_is_explained(self, exercise, client, no_broker):
        response = client.post("/exercises/add-one/submit/", {"code": RIGHT_ADD_ONE, "mode": "x"})
        assert response.status_code == 400 and "mode: must be one of" in response.content.decode()

    def test_someone_elses_submission_is_a_404(self, exercise, client, no_broker):
        from django.test import Client

        response = client.post("/exercises/add-one/submit/", {"code": RIGHT_ADD_ONE, "mode": "check"})
        assert Client().get(response["Location"]).status_code == 404


class TestBankPages:
    def test_the_question_page_links_to_its_exercises(self, exercise, client):
        page = client.get("/q/kv-basics/").content.decode()
        assert "Practise: implement it" in page and 'href="/exercises/add-one/"' in page

    def test_a_question_without_exercises_has_no_link(self, exercise_bank, client):
        exercise_bank.write("other-question")
        load_bank(exercise_bank.root)
        assert "Practise: implement it" not in client.get("/q/other-question/").content.decode()

    def test_topic_and_home_pages_count_solved_exercises(self, exercise, client, no_broker):
        assert "0 of 1 solved" in client.get("/topics/kv-cache/").content.decode()
        client.post("/exercises/add-one/submit/", {"code": RIGHT_ADD_ONE, "mode": "submit"})
        grade_as(Submission.objects.get(), passed=True)
        assert "1 of 1 solved" in client.get("/topics/kv-cache/").content.decode()
        home = client.get("/").content.decode()
        assert "1 of 1 solved" in home and "1 solved" in home


class TestSync:
    def test_a_reload_changes_nothing(self, exercise_bank):
        report = load_bank(exercise_bank.root)
        assert report.exercises["unchanged"] == ["add-one"] and not report.errors and not report.exercise_errors

    def test_an_edit_updates_the_row_in_place(self, exercise_bank, exercise):
        write_exercise(exercise_bank.root, title="Add one, carefully")
        report = load_bank(exercise_bank.root)
        assert report.exercises["updated"] == ["add-one"]
        assert Exercise.objects.get(pk=exercise.pk).title == "Add one, carefully"

    def test_a_broken_folder_is_reported_and_its_row_kept(self, exercise_bank, exercise):
        (exercise_bank.root / "exercises" / "add-one" / "starter.py").unlink()
        report = load_bank(exercise_bank.root)
        assert report.ok  # the question files loaded; the exercise's problem is in its own report
        assert any("starter.py: file: is required" in line for line in report.exercises["errors"])
        assert Exercise.objects.get(pk=exercise.pk).is_active

    def test_a_removed_folder_retires_the_exercise(self, exercise_bank, exercise):
        import shutil

        shutil.rmtree(exercise_bank.root / "exercises" / "add-one")
        report = load_bank(exercise_bank.root)
        assert report.exercises["retired"] == ["add-one"]
        assert not Exercise.objects.get(pk=exercise.pk).is_active

    def test_practises_must_name_a_question_of_the_bank(self, exercise_bank):
        write_exercise(exercise_bank.root, slug="add-two", practises=("no-such-question",))
        report = load_bank(exercise_bank.root)
        assert any("practises" in line and "no-such-question" in line for line in report.exercises["errors"])
        assert not Exercise.objects.filter(slug="add-two").exists()

    def test_practises_links_the_questions(self, exercise):
        assert list(exercise.practises.values_list("slug", flat=True)) == ["kv-basics"]


class TestMastery:
    def test_graded_submits_count_towards_topic_mastery_and_checks_do_not(self, exercise, client, no_broker):
        from prep_site.web.visitor import visitor_for
        from questions.quizzes.mastery import mastery_series

        client.post("/exercises/add-one/submit/", {"code": RIGHT_ADD_ONE, "mode": "check"})
        grade_as(Submission.objects.get(), passed=True)
        visitor = visitor_for(client.get("/").wsgi_request, create=False)
        assert mastery_series(visitor) == {}
        client.post("/exercises/add-one/submit/", {"code": RIGHT_ADD_ONE, "mode": "submit"})
        grade_as(Submission.objects.attempts().get(), passed=False)
        client.post("/exercises/add-one/submit/", {"code": RIGHT_ADD_ONE, "mode": "submit"})
        grade_as(Submission.objects.attempts().order_by("-created_at").first(), passed=True)
        series = mastery_series(visitor)
        assert [round(value, 2) for _, value in series["KV caching"]] == [0.5]  # one day: 1 of 2 points


class TestLoadBankCommand:
    def test_strict_fails_on_a_broken_exercise_and_names_it(self, exercise_bank):
        from django.core.management import CommandError, call_command

        call_command("load_bank", "--path", str(exercise_bank.root), "--strict")  # a clean bank passes
        (exercise_bank.root / "exercises" / "add-one" / "starter.py").unlink()
        with pytest.raises(CommandError, match="1 problem\\(s\\) in exercise folders"):
            call_command("load_bank", "--path", str(exercise_bank.root), "--strict")


class TestRunPages:
    def test_the_run_of_a_submission_reads_as_an_exercise(self, exercise, client, no_broker):
        client.post("/exercises/add-one/submit/", {"code": RIGHT_ADD_ONE, "mode": "submit"})
        submission = Submission.objects.get()
        grade_as(submission, passed=True)
        page = client.get(submission.run.get_absolute_url()).content.decode()
        assert "Exercise submission" in page and 'href="/exercises/add-one/"' in page
        assert "Passed: 1 test" in page and "return x + 1" in page
        assert "Exercise submit" in client.get("/runs/").content.decode()

    def test_staff_author_exercises_and_see_submissions_read_only_in_the_admin(self, exercise, admin_client,
                                                                                 exercise_bank, monkeypatch):
        from questions import bank_loader

        monkeypatch.setattr(bank_loader, "DEFAULT_BANK_DIR", exercise_bank.root)  # the form reads the bank folder
        assert admin_client.get("/admin/exercises/exercise/").status_code == 200
        page = admin_client.get(f"/admin/exercises/exercise/{exercise.pk}/change/")
        assert page.status_code == 200 and b"Save and validate" in page.content  # the authoring form (tests/exercises/authoring)
        assert admin_client.get("/admin/exercises/exercise/add/").status_code == 200
        assert admin_client.get("/admin/exercises/submission/add/").status_code == 403


class TestCodeRunsOff:
    def test_the_page_says_before_check_when_code_cannot_run_here(self, exercise, client, monkeypatch):
        from sandbox import code_runs

        monkeypatch.setattr(code_runs, "off_notice", lambda: {"sentence": "Code runs are off on this server: no bubblewrap.",
                                                              "fix": "apt-get install bubblewrap"})
        page = client.get("/exercises/add-one/").content.decode()
        assert "Code runs are off on this server: no bubblewrap." in page and "apt-get install bubblewrap" in page
