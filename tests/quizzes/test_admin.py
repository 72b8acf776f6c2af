"""Admin: fixed quizzes built by staff, and the per-question statistics page."""
from __future__ import annotations

import random
from typing import Any

import pytest
from django.test import Client

from questions.quizzes import services
from questions.quizzes.builder import QuizSpec
from questions.quizzes.models import FixedQuiz, FixedQuizEntry
from questions.quizzes.ownership import Owner
from questions.quizzes.stats import item_statistics


def _take_single(bank: Any, owner: Owner, choice: int, seconds: int) -> None:
    attempt = services.start_attempt(owner, QuizSpec(topics=("kv-cache",), difficulties=("easy",), count=1),
                                     random.Random(seconds))
    services.save_answer(owner, attempt.pk, 1, bank.token(attempt, choice), seconds_spent=seconds)
    services.finish(owner, attempt.pk)


def test_statistics_count_option_picks_and_median_time(quiz_bank: Any) -> None:
    right, wrong = quiz_bank.correct_ids(quiz_bank.single)[0], quiz_bank.wrong_id(quiz_bank.single)
    for n, (choice, seconds) in enumerate([(right, 10), (right, 30), (wrong, 20)]):
        _take_single(quiz_bank, Owner(None, f"visitor-{n}"), choice, seconds)
    # An attempt still running is left out.
    easy_kv = QuizSpec(topics=("kv-cache",), difficulties=("easy",), count=1)
    open_attempt = services.start_attempt(Owner(None, "late"), easy_kv)
    services.save_answer(Owner(None, "late"), open_attempt.pk, 1, quiz_bank.token(open_attempt, wrong))
    [stat] = item_statistics()
    assert (stat.asked, stat.answered, stat.correct, stat.percent_correct) == (3, 3, 2, 67)
    assert stat.median_seconds == 20
    picks = {o.text: (o.chosen, o.percent) for o in stat.options}
    assert picks == {"K and V": (2, 67), "Attention output": (1, 33), "Logits": (0, 0)}


def test_statistics_page_for_staff(staff_client: Client, quiz_bank: Any) -> None:
    _take_single(quiz_bank, Owner(None, "v"), quiz_bank.correct_ids(quiz_bank.single)[0], 12)
    page = staff_client.get("/admin/quizzes/questionstatistics/").content.decode()
    assert "Question statistics" in page and "Question kv-single?" in page and "median time 12 s" in page
    assert Client().get("/admin/quizzes/questionstatistics/").status_code == 302  # not for visitors


def test_fixed_quiz_built_in_the_admin_runs_in_order(staff_client: Client, quiz_bank: Any) -> None:
    response = staff_client.post("/admin/quizzes/fixedquiz/add/", {
        "title": "Warm-up", "slug": "warm-up", "description": "", "time_limit_minutes": "7", "is_listed": "on",
        "order": "0",
        "entries-TOTAL_FORMS": "3", "entries-INITIAL_FORMS": "0", "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "1000",
        "entries-0-order": "1", "entries-0-question": str(quiz_bank.numeric.question.pk), "entries-0-item": "",
        "entries-1-order": "2", "entries-1-question": str(quiz_bank.free_question.pk), "entries-1-free_text": "on",
        "entries-2-order": "3", "entries-2-question": str(quiz_bank.single.question.pk),
        "entries-2-item": str(quiz_bank.single.pk),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    quiz = FixedQuiz.objects.get(slug="warm-up")
    assert FixedQuizEntry.objects.filter(quiz=quiz).count() == 3
    assert "Warm-up" in staff_client.get("/quiz/").content.decode()
    attempt = services.start_preset(Owner(None, "v"), "fixed-warm-up")
    assert list(attempt.slots.values_list("kind", flat=True)) == ["numeric", "free", "single"]
    assert attempt.time_limit_seconds == 7 * 60 and attempt.fixed_quiz == quiz


def test_attempt_admin_lists_attempts(staff_client: Client, quiz_bank: Any) -> None:
    attempt = services.start_attempt(Owner(None, "v"), QuizSpec(count=4))
    assert staff_client.get("/admin/quizzes/attempt/").status_code == 200
    assert staff_client.get(f"/admin/quizzes/attempt/{attempt.pk}/change/").status_code == 200
