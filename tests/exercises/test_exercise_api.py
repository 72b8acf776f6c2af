"""The exercises JSON API: bad input named by field, caps, ownership, and Check versus Submit."""
from __future__ import annotations

import pytest

from questions.exercises import progress
from questions.exercises.models import Submission
from sandbox.jobs.models import Run

from .fixture_exercise import RIGHT_ADD_ONE

pytestmark = pytest.mark.django_db


def grade_as(submission: Submission, passed: bool) -> None:
    """What a worker's grade leaves behind: the run claimed, then finished with a verdict."""
    run = Run.objects.claim(submission.run_id, worker="test", lease_seconds=60, max_attempts=2)
    verdict = {"slug": "add-one", "passed": passed, "mode": submission.mode, "seed": submission.seed,
               "tests": [{"name": "one-two-three", "passed": passed, "message": "" if passed else "wrong values"}],
               "timing": None, "error": None, "output": ""}
    assert run.finish(run.attempts, Run.State.SUCCEEDED, result=verdict)


class TestBadInput:
    def test_an_unknown_slug_is_a_400_naming_slug(self, exercise, post_submission, no_broker):
        response = post_submission({"slug": "no-such-thing", "code": RIGHT_ADD_ONE, "mode": "check"})
        assert response.status_code == 400
        assert response.json()["error"]["field"] == "slug"
        assert "no-such-thing" in response.json()["error"]["message"]
        assert not no_broker and not Run.objects.exists()

    def test_a_missing_slug_is_a_400_naming_slug(self, exercise, post_submission, no_broker):
        response = post_submission({"code": RIGHT_ADD_ONE})
        assert response.status_code == 400 and response.json()["error"]["field"] == "slug"

    def test_a_bad_mode_is_a_400_naming_mode(self, exercise, post_submission, no_broker):
        response = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "grade-me"})
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["field"] == "mode" and '"check"' in error["message"] and '"submit"' in error["message"]

    def test_oversize_code_is_a_400_naming_code(self, exercise, post_submission, no_broker, settings):
        settings.SANDBOX_CODE_MAX_CHARS = 100
        response = post_submission({"slug": "add-one", "code": "x = 1\n" * 50, "mode": "submit"})
        assert response.status_code == 400
        assert response.json()["error"] == {"field": "code", "message": "code: must be at most 100 characters, got 300."}
        assert not Submission.objects.exists()

    @pytest.mark.parametrize("code", ["", "   \n", 42, None])
    def test_empty_or_non_text_code_is_a_400_naming_code(self, exercise, post_submission, no_broker, code):
        response = post_submission({"slug": "add-one", "code": code, "mode": "check"})
        assert response.status_code == 400 and response.json()["error"]["field"] == "code"

    def test_a_body_that_is_not_an_object_names_the_body(self, exercise, post_submission, no_broker):
        response = post_submission("[1, 2]")
        assert response.status_code == 400 and response.json()["error"]["field"] == "body"

    def test_a_retired_exercise_is_unknown(self, exercise, post_submission, no_broker):
        exercise.is_active = False
        exercise.save()
        response = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "check"})
        assert response.status_code == 400 and response.json()["error"]["field"] == "slug"

    def test_anonymous_visitors_are_refused_when_only_users_may_run_code(self, exercise, post_submission, no_broker, settings):
        settings.SANDBOX_CODE_RUNNERS = "users"
        response = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "check"})
        assert response.status_code == 403 and response.json()["error"]["field"] == "code"


class TestQueueing:
    def test_a_submission_is_recorded_with_its_run_on_the_exercises_queue(self, exercise, post_submission, no_broker):
        response = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "submit"})
        assert response.status_code == 202
        body = response.json()
        submission = Submission.objects.get(pk=body["id"])
        run = submission.run
        assert (run.kind, run.queue, run.code) == (Run.Kind.EXERCISE, "exercises", RIGHT_ADD_ONE)
        assert run.params == {"exercise": "add-one", "mode": "submit", "seed": submission.seed}
        assert no_broker == [{"task": "sandbox.run_exercise", "args": [str(run.pk)], "queue": "exercises", "retry": False}]
        assert body["status_url"] == f"/exercises/api/submissions/{submission.pk}/"
        assert (body["state"], body["final"], body["mode"], body["seed"]) == ("queued", False, "submit", submission.seed)
        assert submission.anon_key and submission.anon_key == run.session_key  # one visitor identity for both

    def test_each_submission_gets_its_own_seed(self, exercise, post_submission, no_broker):
        seeds = {post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "submit"}).json()["seed"]
                 for _ in range(4)}
        assert len(seeds) > 1

    def test_mode_defaults_to_check(self, exercise, post_submission, no_broker):
        response = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE})
        assert response.status_code == 202 and response.json()["mode"] == "check"


class TestCaps:
    def test_the_active_runs_cap_per_visitor_applies(self, exercise, post_submission, no_broker, settings):
        settings.SANDBOX_ACTIVE_RUNS_PER_VISITOR = 2
        for _ in range(2):
            assert post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE}).status_code == 202
        refused = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE})
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) >= 1
        assert "at most 2 queued or running at once per visitor" in refused.json()["error"]["message"]
        assert Submission.objects.count() == 2 and Run.objects.count() == 2  # nothing half-recorded

    def test_the_rate_limit_applies(self, exercise, post_submission, no_broker, settings):
        settings.EXERCISE_RATE_LIMIT = 3
        statuses = [post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE}).status_code for _ in range(4)]
        assert statuses == [202, 202, 202, 429]

    def test_code_runs_and_exercise_runs_share_the_visitor_cap(self, exercise, client, post_submission, no_broker, settings):
        settings.SANDBOX_ACTIVE_RUNS_PER_VISITOR = 1
        assert client.post("/runs/api/runs/", {"code": "print(1)"}, content_type="application/json").status_code == 202
        assert post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE}).status_code == 429


class TestOwnership:
    def test_the_owner_polls_their_submission(self, exercise, client, post_submission, no_broker):
        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE}).json()
        polled = client.get(body["status_url"])
        assert polled.status_code == 200 and polled.json()["id"] == body["id"]

    def test_another_visitor_gets_a_404(self, exercise, client, post_submission, no_broker, django_user_model):
        from django.test import Client

        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE}).json()
        assert Client().get(body["status_url"]).status_code == 404
        stranger = Client()
        stranger.force_login(django_user_model.objects.create_user("bob", password="pw-123456789"))
        assert stranger.get(body["status_url"]).status_code == 404
        run_page = Submission.objects.get(pk=body["id"]).run.get_absolute_url()
        assert stranger.get(run_page).status_code == 404  # the code behind it is private too

    def test_submissions_follow_the_visitor_into_their_account(self, exercise, client, post_submission, no_broker,
                                                              django_user_model):
        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "submit"}).json()
        user = django_user_model.objects.create_user("alice", password="pw-123456789")
        client.force_login(user)
        submission = Submission.objects.get(pk=body["id"])
        assert (submission.user_id, submission.anon_key) == (user.pk, "")
        assert client.get(body["status_url"]).status_code == 200


class TestCheckVersusSubmit:
    def test_a_passing_check_records_no_attempt(self, exercise, client, post_submission, no_broker):
        from prep_site.web.visitor import visitor_for

        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "check"}).json()
        grade_as(Submission.objects.get(pk=body["id"]), passed=True)
        polled = client.get(body["status_url"]).json()
        assert polled["final"] and polled["passed"] is True and "verdict_html" in polled
        assert "after_html" not in polled  # the reference is shown only after an attempt
        request = client.get("/exercises/").wsgi_request
        assert progress.marks(visitor_for(request, create=False)) == {}

    def test_a_failed_submit_is_an_attempt_and_reveals_the_reference(self, exercise, client, post_submission, no_broker):
        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "submit"}).json()
        grade_as(Submission.objects.get(pk=body["id"]), passed=False)
        polled = client.get(body["status_url"]).json()
        assert polled["passed"] is False
        assert "return x + 1" in polled["after_html"] and "Walkthrough" in polled["after_html"]
        assert "0 of 1 passed" in polled["history_html"]
        assert 'data-exercise="add-one"' in client.get("/exercises/?solved=attempted").content.decode()

    def test_a_passing_submit_solves_the_exercise(self, exercise, client, post_submission, no_broker):
        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "submit"}).json()
        grade_as(Submission.objects.get(pk=body["id"]), passed=True)
        assert client.get(body["status_url"]).json()["passed"] is True
        page = client.get("/exercises/?solved=solved").content.decode()
        assert 'data-exercise="add-one"' in page and "mark-solved" in page
        assert 'data-exercise="add-one"' not in client.get("/exercises/?solved=new").content.decode()

    def test_a_run_that_was_not_graded_is_no_attempt(self, exercise, client, post_submission, no_broker):
        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "submit"}).json()
        run = Run.objects.claim(Submission.objects.get(pk=body["id"]).run_id, "test", 60, 2)
        run.finish(run.attempts, Run.State.FAILED, error="The grader failed: boom")
        polled = client.get(body["status_url"]).json()
        assert polled["final"] and polled["passed"] is None and polled["error"] == "The grader failed: boom"
        assert "Not graded" in polled["verdict_html"]
        assert 'data-exercise="add-one"' in client.get("/exercises/?solved=new").content.decode()


@pytest.mark.usefixtures("worker_reads_test_bank")
class TestGradingOnTheWorker:
    """The task body as a worker runs it: the real grader, the configured sandbox, the verdict on the run."""

    def run_worker(self, submission_id: str) -> str:
        from questions.exercises.worker import grade_run
        from sandbox.jobs.execution import execute

        return execute(str(Submission.objects.get(pk=submission_id).run_id), handler=grade_run)

    def test_a_wrong_solution_fails_with_the_case_and_its_message(self, exercise, client, post_submission, no_broker):
        from .fixture_exercise import WRONG_ADD_ONE

        body = post_submission({"slug": "add-one", "code": "print('hello from the sandbox')\n" + WRONG_ADD_ONE,
                                "mode": "check"}).json()
        assert self.run_worker(body["id"]) == Run.State.SUCCEEDED
        polled = client.get(body["status_url"]).json()
        assert polled["passed"] is False and polled["seed"] == 0
        failing = [test for test in polled["verdict"]["tests"] if not test["passed"]]
        assert [test["name"] for test in failing] == ["one-two-three", "a-zero"]  # Check runs the visible cases only
        assert "hello from the sandbox" in polled["output"]
        assert "one-two-three" in polled["verdict_html"] and "Max abs error" in polled["verdict_html"]

    def test_a_right_solution_solves_it_and_records_the_seed(self, exercise, client, post_submission, no_broker):
        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "submit"}).json()
        self.run_worker(body["id"])
        polled = client.get(body["status_url"]).json()
        assert polled["passed"] is True and polled["verdict"]["seed"] == body["seed"]
        assert len(polled["verdict"]["tests"]) == 6 and "Solved" in polled["verdict_html"]
        assert "return x + 1" in polled["after_html"]

    def test_a_passing_submit_puts_the_exercise_in_the_review_queue_once(self, exercise, post_submission, no_broker):
        from questions.quizzes.cards import faces
        from questions.quizzes.models import ReviewCard, ReviewLog

        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "submit"}).json()
        self.run_worker(body["id"])
        self.run_worker(body["id"])  # a redelivered message finds the run finished and schedules nothing more
        card = ReviewCard.objects.get(subject="exercise")
        assert card.object_id == exercise.pk and card.reviews == 1
        assert card.question.slug == "kv-basics"  # the question it practises gives the card its topic
        assert list(card.logs.values_list("source", flat=True)) == [ReviewLog.Source.EXERCISE]
        face = faces([card])[card.pk]
        # The card asks to write it again: the statement and signature, never the reference solution.
        assert "add_one" in face.prompt_html and "return x + 1" not in face.prompt_html + face.answer_html

    @pytest.mark.parametrize("mode,code", [("submit", "WRONG"), ("check", "RIGHT")])
    def test_a_failed_submit_or_any_check_schedules_no_review(self, exercise, post_submission, no_broker, mode, code):
        from questions.quizzes.models import ReviewCard

        from .fixture_exercise import WRONG_ADD_ONE

        source = WRONG_ADD_ONE if code == "WRONG" else RIGHT_ADD_ONE
        body = post_submission({"slug": "add-one", "code": source, "mode": mode}).json()
        self.run_worker(body["id"])
        assert not ReviewCard.objects.filter(subject="exercise").exists()

    def test_the_visitors_traceback_is_shown(self, exercise, client, post_submission, no_broker):
        code = "def add_one(x):\n    return helper(x)\n\ndef helper(x):\n    raise ValueError('nope')\n"
        body = post_submission({"slug": "add-one", "code": code, "mode": "check"}).json()
        self.run_worker(body["id"])
        polled = client.get(body["status_url"]).json()
        assert "ValueError" in polled["verdict"]["tests"][0]["traceback"]
        assert "Your traceback" in polled["verdict_html"] and "helper" in polled["verdict_html"]

    def test_a_redelivered_message_grades_nothing_twice(self, exercise, post_submission, no_broker):
        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "submit"}).json()
        self.run_worker(body["id"])
        finished = Submission.objects.get(pk=body["id"]).run
        assert self.run_worker(body["id"]) == "skipped"
        again = Submission.objects.get(pk=body["id"]).run
        assert (again.finished_at, again.attempts, again.result) == (finished.finished_at, finished.attempts, finished.result)

    def test_a_worker_that_dies_mid_grade_leaves_nothing_and_the_retry_reproduces(self, exercise, client,
                                                                                  post_submission, no_broker):
        from datetime import timedelta

        from django.utils import timezone

        from sandbox.jobs.sweep import sweep

        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE, "mode": "submit"}).json()
        submission = Submission.objects.get(pk=body["id"])
        # A worker claims the run and dies: no verdict, no attempt, until its lease runs out.
        Run.objects.claim(submission.run_id, worker="dead", lease_seconds=60, max_attempts=2)
        assert client.get(body["status_url"]).json()["passed"] is None
        assert not Submission.objects.solved().exists()
        report = sweep(now=timezone.now() + timedelta(seconds=120))
        assert report.requeued == 1
        self.run_worker(body["id"])
        run = Submission.objects.get(pk=body["id"]).run
        assert run.attempts == 2 and run.result["passed"] is True and run.result["seed"] == submission.seed

    def test_check_uses_the_graders_fixed_seed(self):
        from questions.exercises.grading.grade import CHECK_SEED
        from questions.exercises.submissions import CHECK_SEED as WEB_CHECK_SEED

        assert WEB_CHECK_SEED == CHECK_SEED


class TestLiveOutput:
    def test_output_is_written_while_running_at_most_about_twice_a_second(self, exercise, post_submission, no_broker,
                                                                         monkeypatch):
        from sandbox.jobs import lease as lease_module
        from sandbox.jobs.lease import Lease

        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE}).json()
        run = Run.objects.claim(Submission.objects.get(pk=body["id"]).run_id, "test", 60, 2)
        clock = iter([10.0, 10.1, 10.2, 10.7, 10.8])
        monkeypatch.setattr(lease_module.time, "monotonic", lambda: next(clock))
        held = Lease(run, 60)
        writes = []
        original = Run.objects.filter

        def counting_filter(*args, **kwargs):
            queryset = original(*args, **kwargs)
            update = queryset.update

            def recorded(**fields):
                writes.append(fields.get("live_output"))
                return update(**fields)

            queryset.update = recorded
            return queryset

        monkeypatch.setattr(Run.objects, "filter", counting_filter)
        for chunk in ["a\n", "b\n", "c\n", "d\n", "e\n"]:
            held.stream_output(chunk)
        assert writes == ["a\n", "a\nb\nc\nd\n"]  # at 10.0 and 10.7: the chunks in between wait for the next write
        assert Run.objects.get(pk=run.pk).live_output == "a\nb\nc\nd\n"

    def test_the_poll_shows_the_live_output_and_elapsed_time_while_running(self, exercise, client, post_submission,
                                                                          no_broker):
        body = post_submission({"slug": "add-one", "code": RIGHT_ADD_ONE}).json()
        run = Run.objects.claim(Submission.objects.get(pk=body["id"]).run_id, "test", 60, 2)
        Run.objects.filter(pk=run.pk).update(live_output="step 1\n")
        polled = client.get(body["status_url"]).json()
        assert polled["state"] == "running" and polled["output"] == "step 1\n"
        assert polled["elapsed_s"] is not None and polled["elapsed_s"] >= 0 and polled["verdict"] is None
