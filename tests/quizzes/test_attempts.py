"""Starting, saving, finishing and retrying attempts through the service layer."""
from __future__ import annotations

import random
from typing import Any

import pytest

from questions.quizzes import services
from questions.quizzes.builder import QuizSpec
from questions.quizzes.errors import AttemptClosed, InvalidInput, NotFound
from questions import kinds
from questions.quizzes.models import Answer, Attempt

from .conftest import ALL_FOUR, slot_for


def test_an_attempt_freezes_one_slot_per_question(quiz_bank: Any, alice_owner: Any, frozen_clock: Any,
                                                   rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    kinds = sorted(attempt.slots.values_list("kind", flat=True))
    assert kinds == sorted(["single", "multiple", "numeric", "free"])
    assert attempt.started_at == frozen_clock.current
    assert attempt.time_limit_seconds == 600
    assert list(attempt.slots.values_list("position", flat=True)) == [1, 2, 3, 4]
    numeric = slot_for(attempt, "numeric")
    assert (numeric.expected, numeric.tolerance, numeric.unit) == (1000.0, 0.05, "bytes")


def test_options_are_shuffled_per_attempt_and_the_order_is_stored(quiz_bank: Any, alice_owner: Any) -> None:
    spec = QuizSpec(topics=("kv-cache",), difficulties=("hard",), count=1)
    orders = {tuple(slot_for(services.start_attempt(alice_owner, spec, random.Random(seed)), "multiple").choice_order)
              for seed in range(12)}
    assert len(orders) > 1
    assert all(sorted(order) == sorted(quiz_bank.multiple.choices.values_list("pk", flat=True)) for order in orders)


def test_open_mode_asks_every_question_as_free_text(quiz_bank: Any, alice_owner: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, QuizSpec(count=4, mode="open"), rng)
    assert set(attempt.slots.values_list("kind", flat=True)) == {"free"}


def test_filters_by_topic_and_difficulty(quiz_bank: Any, alice_owner: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, QuizSpec(topics=("kv-cache",), difficulties=("easy",), count=5), rng)
    assert [s.question.slug for s in attempt.slots.all()] == ["kv-single"]


def test_no_matching_questions_is_a_clear_error(quiz_bank: Any, alice_owner: Any) -> None:
    with pytest.raises(InvalidInput) as error:
        services.start_attempt(alice_owner, QuizSpec(topics=("decoding",), difficulties=("easy",), count=3))
    assert error.value.field == "topics"


@pytest.mark.parametrize("data, field, fragment", [
    ({"count": 0, "drills": 0}, "count", "at least one"),
    ({"count": 51}, "count", "0 to 50"),
    ({"count": "ten"}, "count", "whole number"),
    ({"time_limit_minutes": 0}, "time_limit_minutes", "1 to 180"),
    ({"time_limit_minutes": 500}, "time_limit_minutes", "1 to 180"),
    ({"topics": ["no-such-topic"]}, "topics", "no-such-topic"),
    ({"difficulties": ["brutal"]}, "difficulties", "easy, medium, hard"),
    ({"mode": "oral"}, "mode", "mixed, open"),
    ({"topics": 5}, "topics", "list of strings"),
])
def test_spec_validation_names_the_field_and_range(quiz_bank: Any, data: dict, field: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as error:
        QuizSpec.from_data(data)
    assert error.value.field == field
    assert fragment in error.value.message


def test_drills_are_stored_and_graded_by_the_formulas(quiz_bank: Any, alice_owner: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, QuizSpec(count=0, drills=4), rng)
    slots = list(attempt.slots.all())
    assert {s.kind for s in slots} == {"drill"}
    right, wrong = slots[0], slots[1]
    services.save_answer(alice_owner, attempt.pk, right.position, str(kinds.DRILL.expected_value(right) * 1.015))
    services.save_answer(alice_owner, attempt.pk, wrong.position, kinds.DRILL.expected_value(wrong) * 1.03)
    done = services.finish(alice_owner, attempt.pk)
    assert done.score == 1 and done.max_score == 4
    assert Answer.objects.get(slot=right).is_correct is True
    assert Answer.objects.get(slot=wrong).is_correct is False


def _answer_all_correctly(owner: Any, attempt: Attempt, bank: Any) -> None:
    services.save_answer(owner, attempt.pk, slot_for(attempt, "single").position,
                         bank.token(attempt, bank.correct_ids(bank.single)[0]))
    services.save_answer(owner, attempt.pk, slot_for(attempt, "multiple").position,
                         bank.token(attempt, bank.correct_ids(bank.multiple)))
    services.save_answer(owner, attempt.pk, slot_for(attempt, "numeric").position, "1,049")
    services.save_answer(owner, attempt.pk, slot_for(attempt, "free").position, "Greedy takes the argmax.")


def test_finish_grades_what_was_saved(quiz_bank: Any, alice_owner: Any, frozen_clock: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    _answer_all_correctly(alice_owner, attempt, quiz_bank)
    frozen_clock.advance(seconds=95)
    done = services.finish(alice_owner, attempt.pk)
    assert done.status == Attempt.Status.FINISHED and done.finish_reason == "submitted"
    assert (done.score, done.max_score, done.pending_self_grades) == (3, 5, 1)
    assert done.time_used_seconds(frozen_clock.current) == 95


def test_saving_again_overwrites_instead_of_adding(quiz_bank: Any, alice_owner: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    position = slot_for(attempt, "numeric").position
    services.save_answer(alice_owner, attempt.pk, position, "5")
    answer = services.save_answer(alice_owner, attempt.pk, position, "1000", seconds_spent=12)
    assert Answer.objects.filter(attempt=attempt).count() == 1
    assert (answer.value, answer.saves, answer.seconds_spent) == (1000.0, 2, 12)


def test_submitting_twice_grades_once(quiz_bank: Any, alice_owner: Any, frozen_clock: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    _answer_all_correctly(alice_owner, attempt, quiz_bank)
    first = services.finish(alice_owner, attempt.pk)
    frozen_clock.advance(seconds=30)
    second = services.finish(alice_owner, attempt.pk)
    assert second.finished_at == first.finished_at
    assert second.score == first.score
    # Reviews were scheduled once: one quiz log per auto-graded question.
    from questions.quizzes.models import ReviewLog
    assert ReviewLog.objects.filter(source="quiz").count() == 3


def test_close_is_a_guarded_transition(quiz_bank: Any, alice_owner: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    assert services._close(attempt.pk, Attempt.FinishReason.SUBMITTED) is True
    assert services._close(attempt.pk, Attempt.FinishReason.SUBMITTED) is False


def test_a_finished_attempt_refuses_answers_and_changes_nothing(quiz_bank: Any, alice_owner: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    position = slot_for(attempt, "numeric").position
    services.save_answer(alice_owner, attempt.pk, position, "1000")
    services.finish(alice_owner, attempt.pk)
    with pytest.raises(AttemptClosed) as error:
        services.save_answer(alice_owner, attempt.pk, position, "7")
    assert error.value.field == "attempt" and error.value.status == 409
    assert Answer.objects.get(slot__attempt=attempt, slot__position=position).value == 1000.0


def test_another_owners_attempt_is_not_found(quiz_bank: Any, alice_owner: Any, visitor: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    with pytest.raises(NotFound):
        services.save_answer(visitor, attempt.pk, 1, "1")
    with pytest.raises(NotFound):
        services.finish(visitor, attempt.pk)
    assert not Answer.objects.exists()
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.IN_PROGRESS


def test_self_grading_free_text_updates_the_score(quiz_bank: Any, alice_owner: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    _answer_all_correctly(alice_owner, attempt, quiz_bank)
    free = slot_for(attempt, "free").position
    with pytest.raises(AttemptClosed):  # the model answer is not visible yet
        services.self_grade(alice_owner, attempt.pk, free, 2)
    services.finish(alice_owner, attempt.pk)
    with pytest.raises(InvalidInput) as error:
        services.self_grade(alice_owner, attempt.pk, free, 3)
    assert error.value.field == "score"
    with pytest.raises(InvalidInput) as error:
        services.self_grade(alice_owner, attempt.pk, slot_for(attempt, "single").position, 2)
    assert error.value.field == "slot"
    services.self_grade(alice_owner, attempt.pk, free, 1)
    attempt.refresh_from_db()
    assert (attempt.score, attempt.max_score, attempt.pending_self_grades) == (4, 5, 0)
    services.self_grade(alice_owner, attempt.pk, free, 2)  # changing one's mind re-scores, no double count
    attempt.refresh_from_db()
    assert attempt.score == 5


def test_retry_my_mistakes_asks_only_what_was_wrong(quiz_bank: Any, alice_owner: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    right = quiz_bank.token(attempt, quiz_bank.correct_ids(quiz_bank.single)[0])
    services.save_answer(alice_owner, attempt.pk, slot_for(attempt, "single").position, right)
    services.save_answer(alice_owner, attempt.pk, slot_for(attempt, "numeric").position, "2000")
    with pytest.raises(AttemptClosed):
        services.retry_mistakes(alice_owner, attempt.pk, rng)
    services.finish(alice_owner, attempt.pk)
    retry = services.retry_mistakes(alice_owner, attempt.pk, rng)
    assert sorted(retry.slots.values_list("kind", flat=True)) == sorted(["multiple", "numeric", "free"])
    assert retry.title.startswith("Retry: ")
    assert retry.time_limit_seconds >= 120
