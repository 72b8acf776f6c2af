"""The server timer with a frozen clock: before, at, within grace, after; and the periodic sweep."""
from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from questions.quizzes import services
from questions.quizzes.builder import QuizSpec
from questions.quizzes.errors import AttemptClosed
from questions.quizzes.models import Answer, Attempt
from questions.quizzes.tasks import finalize_expired_attempts

from .conftest import slot_for

TEN_MINUTES = QuizSpec(count=4, time_limit_minutes=10)


@pytest.fixture
def attempt(quiz_bank: Any, alice_owner: Any, frozen_clock: Any, rng: Any, settings: Any) -> Attempt:
    settings.QUIZ_DEADLINE_GRACE_SECONDS = 5
    return services.start_attempt(alice_owner, TEN_MINUTES, rng)


def _save_numeric(owner: Any, attempt: Attempt, value: str = "1000") -> Answer:
    return services.save_answer(owner, attempt.pk, slot_for(attempt, "numeric").position, value)


def test_remaining_seconds_count_down_from_the_server(attempt: Attempt, frozen_clock: Any) -> None:
    assert services.remaining_seconds(attempt) == 600
    frozen_clock.advance(seconds=61.5)
    assert services.remaining_seconds(attempt) == 539  # rounded up: never shows 0 while time is left
    frozen_clock.advance(minutes=20)
    assert services.remaining_seconds(attempt) == 0


def test_before_the_deadline_answers_are_accepted(attempt: Attempt, alice_owner: Any, frozen_clock: Any) -> None:
    frozen_clock.advance(minutes=9, seconds=59)
    assert _save_numeric(alice_owner, attempt).value == 1000.0


def test_exactly_at_the_deadline_answers_are_accepted(attempt: Attempt, alice_owner: Any, frozen_clock: Any) -> None:
    frozen_clock.advance(minutes=10)
    assert _save_numeric(alice_owner, attempt).value == 1000.0
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.IN_PROGRESS


def test_within_the_grace_period_answers_are_accepted(attempt: Attempt, alice_owner: Any, frozen_clock: Any) -> None:
    frozen_clock.advance(minutes=10, seconds=5)  # exactly deadline + grace
    assert _save_numeric(alice_owner, attempt).value == 1000.0


def test_after_the_grace_period_the_attempt_closes_and_grades_what_was_saved(
    attempt: Attempt, alice_owner: Any, frozen_clock: Any
) -> None:
    _save_numeric(alice_owner, attempt)
    frozen_clock.advance(minutes=10, seconds=5, microseconds=1)
    with pytest.raises(AttemptClosed) as error:
        _save_numeric(alice_owner, attempt, "1")
    assert "finished" in error.value.message or "time is up" in error.value.message
    closed = Attempt.objects.get(pk=attempt.pk)
    assert closed.status == Attempt.Status.FINISHED
    # No page finished it: the late request found it open, so it is closed as abandoned.
    assert closed.finish_reason == Attempt.FinishReason.ABANDONED
    assert closed.finished_at == attempt.deadline  # time used is the whole limit, not the late request
    assert closed.score == 1
    assert Answer.objects.get(slot__attempt=attempt, slot__kind="numeric").value == 1000.0


def test_reading_an_expired_attempt_finalises_it(attempt: Attempt, alice_owner: Any, frozen_clock: Any) -> None:
    frozen_clock.advance(hours=1)
    assert services.get_attempt(alice_owner, attempt.pk).is_finished


def test_the_sweep_closes_only_expired_attempts(quiz_bank: Any, alice_owner: Any, frozen_clock: Any, rng: Any,
                                                attempt: Attempt) -> None:
    frozen_clock.advance(minutes=8)
    later = services.start_attempt(alice_owner, TEN_MINUTES, rng)
    frozen_clock.advance(minutes=2, seconds=6)
    assert services.finalize_expired() == 1
    assert Attempt.objects.get(pk=attempt.pk).is_finished
    assert not Attempt.objects.get(pk=later.pk).is_finished
    assert services.finalize_expired() == 0  # idempotent


def test_management_command_and_celery_task_run_the_sweep(attempt: Attempt, frozen_clock: Any) -> None:
    frozen_clock.advance(minutes=11)
    out = StringIO()
    call_command("finalize_expired_attempts", stdout=out)
    assert "Finalised 1 expired attempt." in out.getvalue()
    assert Attempt.objects.get(pk=attempt.pk).is_finished
    assert finalize_expired_attempts.apply().get() == 0
