"""No way to find quiz answers without knowing them, on the real bank.

Bank authors tend to write the right option first. Options used to be stored in
that order, get ids in that order, and be shown under those ids: answering every
question with its smallest option id scored 29/29 where chance is about 38%.
Each strategy below must not beat chance by more than four standard deviations.
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest
from django.test import Client

from questions.bank_loader import DEFAULT_BANK_DIR, load_bank
from questions.models import Question, QuizItem
from questions.quizzes import presenters, services
from questions.quizzes.builder import QuizSpec
from questions.quizzes.models import FixedQuiz, FixedQuizEntry
from questions.quizzes.ownership import Owner

Pick = Callable[[list[str]], str]
STRATEGIES: dict[str, Pick] = {
    "smallest id": min,
    "largest id": max,
    "first listed": lambda ids: ids[0],
    "last listed": lambda ids: ids[-1],
}


@pytest.fixture
def real_bank(db: None) -> list[QuizItem]:
    report = load_bank(DEFAULT_BANK_DIR)
    assert report.ok, report.errors
    return list(QuizItem.objects.filter(kind="single", is_active=True, question__in=Question.objects.published())
                .select_related("question").prefetch_related("choices"))


def _assert_at_chance(name: str, outcomes: list[tuple[bool, int]]) -> None:
    """``outcomes``: (answered right, number of options) per item."""
    right = sum(ok for ok, _ in outcomes)
    mean = sum(1 / n for _, n in outcomes)
    sd = math.sqrt(sum((1 / n) * (1 - 1 / n) for _, n in outcomes))
    assert len(outcomes) >= 20, "the bank has too few single-choice items for this test to mean anything"
    assert right <= mean + 4 * sd, (f"answering by {name} scored {right}/{len(outcomes)}; "
                                    f"chance is {mean:.1f} ± {sd:.1f}")


def test_no_pick_by_id_or_position_beats_chance(real_bank: list[QuizItem]) -> None:
    """One test, so the real bank is loaded once: in an attempt, and in the public question API."""
    _attempts_at_chance(real_bank)
    _public_api_at_chance(real_bank)


def _attempts_at_chance(real_bank: list[QuizItem]) -> None:
    quiz = FixedQuiz.objects.create(slug="every-item", title="Every single-choice item", time_limit_minutes=600)
    FixedQuizEntry.objects.bulk_create(FixedQuizEntry(quiz=quiz, question=item.question, item=item, order=n)
                                       for n, item in enumerate(real_bank))
    for n, (name, pick) in enumerate(STRATEGIES.items()):
        owner = Owner(user_id=None, anon_key=f"guesser-{n}")
        attempt = services.start_attempt(owner, QuizSpec(), random.Random(n), fixed_quiz=quiz)
        for slot in presenters.attempt_payload(attempt)["slots"]:
            ids = [choice["id"] for choice in slot["choices"]]
            services.save_answer(owner, attempt.pk, slot["position"], pick(ids))
        services.finish(owner, attempt.pk)
        graded = attempt.answers.select_related("slot")
        _assert_at_chance(name, [(answer.is_correct, len(answer.slot.choice_order)) for answer in graded])


def _public_api_at_chance(real_bank: list[QuizItem]) -> None:
    client = Client()
    listed: list[tuple[list[str], list[bool]]] = []  # per item: public ids in API order, and which is right
    for item in real_bank:
        data = client.get(f"/api/questions/{item.question.slug}/").json()
        [public] = [entry for entry in data["quiz_items"] if entry["id"] == item.key]
        # The API lists item.choices.all() in storage order, so position n there is position n here.
        listed.append(([c["id"] for c in public["choices"]], [c.is_correct for c in item.choices.all()]))
    for name, pick in STRATEGIES.items():
        _assert_at_chance(name, [(right[ids.index(pick(ids))], len(ids)) for ids, right in listed])
