"""Quizzes that tell the truth: blank and unparsable answers are no answers, partial credit says so,
a preset resumes its running attempt, and an abandoned attempt is closed and shown as abandoned."""
from __future__ import annotations

import random
from typing import Any

import pytest
from django.test import Client

from questions.quizzes import services
from questions.quizzes.errors import InvalidInput
from questions.quizzes.models import Answer, Attempt
from questions.quizzes.ownership import Owner

from .conftest import ALL_FOUR, slot_for


def start(client: Client, key: str, **form: str) -> Attempt:
    response = client.post(f"/quiz/start/{key}/", form)
    assert response.status_code == 302
    return Attempt.objects.get(pk=response.url.split("/")[-2])


# --- answers that are not answers ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["numeric", "free"])
@pytest.mark.parametrize("blank", [" ", "  \n\t ", "\u00a0"])
def test_whitespace_is_no_answer(quiz_bank: Any, alice_owner: Any, rng: random.Random, kind: str, blank: str) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    slot = slot_for(attempt, kind)
    assert services.save_answer(alice_owner, attempt.pk, slot.position, blank).value is None
    services.finish(alice_owner, attempt.pk)
    assert Answer.objects.get(slot=slot).points == 0
    assert Attempt.objects.get(pk=attempt.pk).pending_self_grades == 0  # nothing to self-grade


def test_a_number_with_a_unit_is_neither_answered_nor_saved(
    quiz_bank: Any, alice_owner: Any, rng: random.Random
) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    slot = slot_for(attempt, "numeric")
    with pytest.raises(InvalidInput) as error:
        services.save_answer(alice_owner, attempt.pk, slot.position, "4 GiB")
    assert error.value.field == "value" and "must be a number" in error.value.message
    assert not Answer.objects.filter(slot=slot).exists()


# --- partial credit ------------------------------------------------------------------------------------


def test_partial_credit_is_labelled_partly_right_not_wrong(client: Client, quiz_bank: Any) -> None:
    response = client.post("/quiz/start/", {"count": "4", "time_limit_minutes": "10"})
    attempt = Attempt.objects.get(pk=response.url.split("/")[-2])
    multiple, free = slot_for(attempt, "multiple"), slot_for(attempt, "free")
    right = quiz_bank.correct_ids(quiz_bank.multiple)
    client.post(f"/quiz/a/{attempt.pk}/submit/", {
        f"slot-{multiple.position}": quiz_bank.token(attempt, right[:1]),  # one of the two right options
        f"slot-{free.position}": "Greedy takes the argmax.",
    })
    client.post(f"/quiz/a/{attempt.pk}/self-grade/", {"slot": free.position, "score": "1"})
    page = client.get(f"/quiz/a/{attempt.pk}/results/").content.decode()
    assert page.count("◐ Partly right") == 2
    assert "0.5 / 1 point" in page and "1 / 2 points" in page
    assert page.count('class="quiz-result is-partial"') == 2


def test_the_take_page_states_the_multiple_choice_rule(client: Client, quiz_bank: Any) -> None:
    response = client.post("/quiz/start/", {"count": "4", "time_limit_minutes": "10"})
    page = client.get(response.url).content.decode()
    assert "each wrong tick takes a share away (never below 0)" in page


# --- resuming a preset ---------------------------------------------------------------------------------


def test_clicking_a_preset_again_resumes_its_running_attempt(client: Client, quiz_bank: Any) -> None:
    first = start(client, "topic-kv-cache")
    assert start(client, "topic-kv-cache").pk == first.pk
    assert Attempt.objects.count() == 1  # no orphan "In progress" row
    index = client.get("/quiz/").content.decode()
    assert 'aria-label="Resume quiz: KV caching">Resume quiz</button>' in index
    assert 'name="restart" value="1"' in index
    take = client.get(f"/quiz/a/{first.pk}/").content.decode()
    assert 'id="quiz-restart"' in take  # the visible way to start over
    # Another preset is another attempt.
    assert start(client, "drills").pk != first.pk


def test_start_over_closes_the_running_attempt_as_abandoned(client: Client, quiz_bank: Any) -> None:
    first = start(client, "topic-kv-cache")
    second = start(client, "topic-kv-cache", restart="1")
    assert second.pk != first.pk and second.status == Attempt.Status.IN_PROGRESS
    first.refresh_from_db()
    assert first.is_finished and first.finish_reason == Attempt.FinishReason.ABANDONED


def test_a_preset_whose_attempt_expired_starts_a_new_one(client: Client, quiz_bank: Any, frozen_clock: Any) -> None:
    first = start(client, "topic-kv-cache")
    frozen_clock.advance(minutes=16)
    second = start(client, "topic-kv-cache")
    assert second.pk != first.pk
    assert Attempt.objects.get(pk=first.pk).finish_reason == Attempt.FinishReason.ABANDONED


# --- abandoned attempts --------------------------------------------------------------------------------


def test_an_attempt_left_open_closes_at_its_deadline_and_history_says_abandoned(
    client: Client, quiz_bank: Any, frozen_clock: Any
) -> None:
    attempt = start(client, "topic-kv-cache")
    assert "In progress" in client.get("/quiz/history/").content.decode()
    frozen_clock.advance(minutes=16)
    history = client.get("/quiz/history/").content.decode()  # the read closes it: no sweep needed
    assert "In progress" not in history and "Abandoned" in history
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.finish_reason == Attempt.FinishReason.ABANDONED
    assert attempt.finished_at == attempt.deadline  # closed at its deadline, not at the late read


def test_the_periodic_sweep_closes_abandoned_attempts_too(quiz_bank: Any, alice_owner: Any, frozen_clock: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR)
    frozen_clock.advance(minutes=11)
    assert services.finalize_expired() == 1
    assert Attempt.objects.get(pk=attempt.pk).finish_reason == Attempt.FinishReason.ABANDONED


def test_without_javascript_an_unparsable_answer_replaces_the_saved_one(client: Client, quiz_bank: Any) -> None:
    response = client.post("/quiz/start/", {"count": "4", "time_limit_minutes": "10"})
    attempt = Attempt.objects.get(pk=response.url.split("/")[-2])
    numeric = slot_for(attempt, "numeric")
    services.save_answer(Owner(None, attempt.anon_key), attempt.pk, numeric.position, "1000")
    assert Answer.objects.get(slot=numeric).value == 1000.0
    page = client.post(f"/quiz/a/{attempt.pk}/submit/", {f"slot-{numeric.position}": "4 GiB"}, follow=True)
    assert "It was not counted." in page.content.decode()
    answer = Answer.objects.get(slot=numeric)
    assert answer.value is None and answer.points == 0


def test_an_abandoned_attempt_schedules_reviews_only_for_what_was_answered(
    client: Client, quiz_bank: Any
) -> None:
    from questions.quizzes.models import ReviewLog

    first = start(client, "topic-kv-cache")
    single = slot_for(first, "single")
    services.save_answer(Owner(None, first.anon_key), first.pk, single.position,
                         quiz_bank.token(first, quiz_bank.correct_ids(quiz_bank.single)[0]))
    start(client, "topic-kv-cache", restart="1")  # left before answering the multiple-choice item
    assert list(ReviewLog.objects.values_list("card__question__slug", flat=True)) == ["kv-single"]
