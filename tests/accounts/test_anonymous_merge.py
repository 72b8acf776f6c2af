"""An anonymous visitor's attempts and review cards move to the account on sign-up or log-in."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import fsrs
import pytest
from django.test import Client

from questions.models import Question, Topic
from questions.quizzes import review
from questions.quizzes.models import Attempt, QuestionView, ReviewCard, ReviewLog
from prep_site.web.visitor import VISITOR_KEY
from questions.quizzes.ownership import Owner


@pytest.fixture
def question(db: None) -> Question:
    topic = Topic.objects.create(slug="kv-cache", title="KV caching")
    return Question.objects.create(slug="kv-q", topic=topic, title="What is cached?", answer_md="K and V.")


def start_anonymous_quiz(client: Client) -> str:
    response = client.post("/quiz/api/attempts/", data=json.dumps({"preset": "drills"}),
                           content_type="application/json")
    assert response.status_code == 201
    return response.json()["id"]


def test_login_moves_attempts_and_cards(client: Client, alice: Any, question: Question) -> None:
    attempt_id = start_anonymous_quiz(client)
    client.post(f"/quiz/rate/{question.pk}/", {"rating": "hard", "token": review.token_for(None, question)})
    client.get(question.get_absolute_url())  # a seen mark, which moves too
    assert QuestionView.objects.get().user is None
    old_session_key = client.session.session_key
    response = client.post("/accounts/login/", {"username": "alice", "password": "a-long-passphrase-1"})
    assert response.status_code == 302
    assert client.session.session_key != old_session_key  # Django cycled the key; the merge still happened
    assert Attempt.objects.get(pk=attempt_id).user == alice
    assert Attempt.objects.get(pk=attempt_id).anon_key == ""
    assert ReviewCard.objects.get().user == alice
    assert QuestionView.objects.get().user == alice
    # The visitor key survives the rotation but owns nothing any more: it all belongs to alice now.
    assert not Attempt.objects.filter(user__isnull=True, anon_key=client.session[VISITOR_KEY]).exists()
    # ... and the attempt is still hers to continue.
    assert client.get(f"/quiz/api/attempts/{attempt_id}/").status_code == 200


def test_signup_moves_attempts(client: Client, db: None) -> None:
    attempt_id = start_anonymous_quiz(client)
    client.post("/accounts/signup/", {"username": "carol", "email": "carol@example.com",
                                      "password1": "tall-purple-giraffe-42", "password2": "tall-purple-giraffe-42"})
    assert Attempt.objects.get(pk=attempt_id).user.username == "carol"


def test_after_logout_the_history_stays_with_the_account(client: Client, alice: Any) -> None:
    attempt_id = start_anonymous_quiz(client)
    client.post("/accounts/login/", {"username": "alice", "password": "a-long-passphrase-1"})
    client.post("/accounts/logout/")
    assert client.get(f"/quiz/api/attempts/{attempt_id}/").status_code == 404


def test_another_visitors_rows_are_not_taken(client: Client, alice: Any) -> None:
    mine = start_anonymous_quiz(client)
    theirs = start_anonymous_quiz(Client())
    client.post("/accounts/login/", {"username": "alice", "password": "a-long-passphrase-1"})
    assert Attempt.objects.get(pk=mine).user == alice
    assert Attempt.objects.get(pk=theirs).user is None


def test_card_conflict_keeps_the_more_recent_review(alice: Any, question: Question) -> None:
    from questions.quizzes.ownership import merge_anonymous_into

    account, visitor = Owner(alice.pk, ""), Owner(None, "tok")
    base = review.clock.now()
    review.record_review(account, question, fsrs.Rating.Easy, ReviewLog.Source.SELF, base - timedelta(days=3))
    newer = review.record_review(visitor, question, fsrs.Rating.Again, ReviewLog.Source.SELF, base)
    assert merge_anonymous_into(alice, "tok") == (0, 1)
    card = ReviewCard.objects.get()
    assert card.pk == newer.pk and card.user == alice
    assert card.logs.count() == 2  # both histories kept
