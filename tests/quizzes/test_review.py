"""FSRS scheduling from quiz results and self-ratings; the due queue."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import fsrs
import pytest

from questions.quizzes import review, services
from questions.quizzes.models import ReviewCard, ReviewLog
from questions.quizzes.review import InvalidRating, parse_rating

from .conftest import ALL_FOUR, slot_for


def test_ratings_map_to_fsrs() -> None:
    assert parse_rating("good") == fsrs.Rating.Good
    with pytest.raises(InvalidRating, match="again, hard, good, easy"):
        parse_rating("great")
    assert review.rating_for_quiz_result(True) == fsrs.Rating.Good
    assert review.rating_for_quiz_result(False) == fsrs.Rating.Again
    assert review.rating_for_quiz_result(None, 1) == fsrs.Rating.Hard
    assert review.rating_for_quiz_result(None) is None


def test_a_quiz_schedules_right_answers_later_than_wrong_ones(quiz_bank: Any, alice_owner: Any, frozen_clock: Any,
                                                              rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    right = quiz_bank.token(attempt, quiz_bank.correct_ids(quiz_bank.single)[0])
    services.save_answer(alice_owner, attempt.pk, slot_for(attempt, "single").position, right)
    services.save_answer(alice_owner, attempt.pk, slot_for(attempt, "numeric").position, "5")
    services.finish(alice_owner, attempt.pk)
    cards = {c.question.slug: c for c in ReviewCard.objects.select_related("question")}
    # Unanswered auto-graded questions count as "again"; open questions wait for the self-grade.
    assert set(cards) == {"kv-single", "kv-multiple", "decode-numeric"}
    assert cards["kv-single"].due > cards["decode-numeric"].due
    assert cards["decode-numeric"].lapses == 1
    assert review.due_count(alice_owner, frozen_clock.current) == 0
    # Wrong: the first learning step, so the next review session starts with them; right: two days.
    assert review.due_count(alice_owner, frozen_clock.current + timedelta(minutes=1)) == 2
    assert review.due_count(alice_owner, frozen_clock.current + timedelta(days=1)) == 2
    assert review.due_count(alice_owner, frozen_clock.current + timedelta(days=2)) == 3  # good: in two days


def test_repeated_good_ratings_grow_the_interval(quiz_bank: Any, visitor: Any, frozen_clock: Any) -> None:
    question = quiz_bank.single.question
    intervals = []
    for _ in range(4):
        card = review.record_review(visitor, question, fsrs.Rating.Good, ReviewLog.Source.REVIEW)
        intervals.append(card.due - frozen_clock.current)
        frozen_clock.current = card.due
    assert intervals == sorted(intervals) and intervals[-1] > timedelta(days=2)
    card.refresh_from_db()
    assert card.reviews == 4 and card.logs.count() == 4
    assert ReviewCard.objects.count() == 1


def test_due_queue_hides_retired_questions(quiz_bank: Any, visitor: Any, frozen_clock: Any) -> None:
    question = quiz_bank.single.question
    review.record_review(visitor, question, fsrs.Rating.Again, ReviewLog.Source.SELF)
    later = frozen_clock.current + timedelta(days=1)
    assert [c.question for c in review.due_cards(visitor, later)] == [question]
    question.status = question.Status.RETIRED
    question.save()
    assert not review.due_cards(visitor, later).exists()


def test_self_grade_feeds_the_open_question_card(quiz_bank: Any, alice_owner: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    free = slot_for(attempt, "free").position
    services.save_answer(alice_owner, attempt.pk, free, "Argmax.")
    services.finish(alice_owner, attempt.pk)
    services.self_grade(alice_owner, attempt.pk, free, 2)
    services.self_grade(alice_owner, attempt.pk, free, 1)  # a change of mind is not a second review
    card = ReviewCard.objects.get(question=quiz_bank.free_question)
    assert card.logs.get().rating == fsrs.Rating.Good
