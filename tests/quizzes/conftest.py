"""Quiz fixtures: a small bank made through the ORM, a frozen quiz clock, and who-owns-what.

alice and bob are users; ``alice_owner``/``bob_owner`` are their quiz owners;
``visitor`` is an anonymous owner. The bank (``quiz_bank``) has one question of
each kind on two topics, independent of the real bank's content.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from questions.kinds import choice_token
from questions.models import Choice, Question, QuizItem, Topic
from questions.quizzes import clock
from questions.quizzes.builder import QuizSpec
from questions.quizzes.ownership import Owner

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class FrozenClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock(START)
    monkeypatch.setattr(clock, "now", frozen)
    return frozen


@pytest.fixture(autouse=True)
def local_cache(settings: Any) -> None:
    # The site's default cache is a database table created by `createcachetable`; tests use memory.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # A deliberately slow password hash only makes tests slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class QuizBank:
    kv: Topic
    decoding: Topic
    single: QuizItem
    multiple: QuizItem
    numeric: QuizItem
    free_question: Question

    def correct_ids(self, item: QuizItem) -> list[int]:
        return sorted(item.choices.filter(is_correct=True).values_list("pk", flat=True))

    def wrong_id(self, item: QuizItem) -> int:
        return item.choices.filter(is_correct=False).first().pk

    def token(self, attempt: Any, choice_ids: int | list[int]) -> str | list[str]:
        """Option ids as the taker sees them in ``attempt`` (database ids never leave the server)."""
        attempt_id = getattr(attempt, "pk", attempt)
        if isinstance(choice_ids, list):
            return [choice_token(attempt_id, pk) for pk in choice_ids]
        return choice_token(attempt_id, choice_ids)


def _question(topic: Topic, slug: str, difficulty: str = "medium", **fields: Any) -> Question:
    return Question.objects.create(slug=slug, topic=topic, title=f"Question {slug}?", difficulty=difficulty,
                                   answer_md=f"The model answer for {slug}.", **fields)


def _choice_item(question: Question, kind: str, options: list[tuple[str, bool]]) -> QuizItem:
    item = QuizItem.objects.create(question=question, key=f"{kind}-item", kind=kind, prompt=f"Pick for {question.slug}",
                                   explanation="Because of the formula.")
    for order, (text, correct) in enumerate(options):
        Choice.objects.create(item=item, text=text, is_correct=correct, order=order, explanation=f"why {text}")
    return item


@pytest.fixture
def quiz_bank(db: None) -> QuizBank:
    kv = Topic.objects.create(slug="kv-cache", title="KV caching", order=1)
    decoding = Topic.objects.create(slug="decoding", title="Decoding", order=2)
    single = _choice_item(_question(kv, "kv-single", "easy"), "single",
                          [("K and V", True), ("Attention output", False), ("Logits", False)])
    multiple = _choice_item(_question(kv, "kv-multiple", "hard"), "multiple",
                            [("Grows with layers", True), ("Grows with tokens", True), ("Grows with vocab", False),
                             ("Grows with query heads only", False)])
    numeric_question = _question(decoding, "decode-numeric")
    numeric = QuizItem.objects.create(question=numeric_question, key="bytes", kind="numeric", prompt="How many bytes?",
                                      numeric_answer=1000.0, tolerance=0.05, tolerance_mode="relative", unit="bytes",
                                      explanation="1000 bytes.")
    free_question = _question(decoding, "decode-open", key_points=["Greedy takes the argmax", "Sampling draws"])
    return QuizBank(kv=kv, decoding=decoding, single=single, multiple=multiple, numeric=numeric,
                    free_question=free_question)


@pytest.fixture
def alice(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("alice", "alice@example.com", "a-long-passphrase-1")


@pytest.fixture
def bob(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("bob", "bob@example.com", "b-long-passphrase-2")


@pytest.fixture
def alice_owner(alice: Any) -> Owner:
    return Owner(user_id=alice.pk, anon_key="")


@pytest.fixture
def visitor() -> Owner:
    return Owner(user_id=None, anon_key="visitor-token")


@pytest.fixture
def rng() -> random.Random:
    return random.Random(1234)


ALL_FOUR = QuizSpec(title="All four", count=4, time_limit_minutes=10)


def slot_for(attempt: Any, kind: str) -> Any:
    return attempt.slots.get(kind=kind)
