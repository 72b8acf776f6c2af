"""The lifecycle: only published questions reach visitors; moves are checked; every change is a revision."""
from __future__ import annotations

import random
from typing import Any

import fsrs
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from questions import lifecycle, queries
from questions.models import Question, QuizItem, Revision, Status
from questions.quizzes import builder, presets, review
from questions.quizzes.builder import QuizSpec
from questions.quizzes.models import FixedQuiz, FixedQuizEntry, ReviewLog
from questions.quizzes.ownership import Owner
from questions.search import search_questions

from question_admin_forms import form_data  # tests/questions/question_admin_forms.py

pytestmark = pytest.mark.django_db

WORD = "zanzibarite"  # in the draft's title and answer only, so search can only find it there


@pytest.fixture
def draft(make_question) -> Question:
    make_question("public-one", topic="kv-cache", tags=("shared-tag",), title="A published question?")
    question = make_question(
        "secret-draft", topic="kv-cache", tags=("shared-tag",), title=f"The {WORD} question?",
        answer_md=f"All about {WORD}.", status=Status.DRAFT,
    )
    QuizItem.objects.create(question=question, key="n", kind="numeric", prompt="How many?", numeric_answer=2, tolerance=0.1)
    return question


def visible_everywhere(client: Any, question: Question) -> dict[str, bool]:
    """Each visitor entry point: does ``question`` show up there?"""
    owner = Owner(user_id=None, anon_key="walker")
    fixed = FixedQuiz.objects.get_or_create(slug="fixed", defaults={"title": "Fixed"})[0]
    public = Question.objects.get(slug="public-one")
    for entry in (public, question):
        FixedQuizEntry.objects.get_or_create(quiz=fixed, question=entry, defaults={"free_text": True})
    topic_page = client.get(reverse("questions:topic", args=["kv-cache"])).content.decode()
    tag_page = client.get(reverse("questions:tag", args=["shared-tag"])).content.decode()
    home = client.get(reverse("questions:home"))
    api_list = client.get(reverse("questions:api_questions")).json()
    api_topic = client.get(reverse("questions:api_topic", args=["kv-cache"])).json()
    return {
        "page": client.get(question.get_absolute_url()).status_code == 200,
        "topic page": question.title in topic_page,
        "tag page": question.title in tag_page,
        "home count": sum(t.question_count for t in home.context["topics"]) == 2,
        "search": bool(search_questions(WORD)),
        "search page": question.title in client.get(reverse("questions:search"), {"q": WORD}).content.decode(),
        "api list": question.slug in str(api_list),
        "api topic": question.slug in str(api_topic),
        "api detail": client.get(reverse("questions:api_question", args=[question.slug])).status_code == 200,
        "related": question in queries.related_questions(public),
        "neighbours": queries.topic_neighbours(public).total == 2,
        "quiz builder": question in builder.candidate_questions(QuizSpec(title="t", count=10)),
        "fixed quiz": any(s.get("question") == question for s in map(vars, builder.slots_for_fixed_quiz(fixed, random.Random(1)))),
        "presets": presets.special_presets()[0].question_count == 2,
        "review queue": _due(owner, question),
        "rate": client.post(reverse("quizzes:rate", args=[question.pk]), {"rating": "good"}).status_code != 404,
    }


def _due(owner: Owner, question: Question) -> bool:
    review.record_review(owner, question, fsrs.Rating.Again, ReviewLog.Source.SELF)
    later = question.updated_at.replace(year=question.updated_at.year + 1)
    return review.due_cards(owner, later).filter(question=question).exists()


def test_a_draft_is_invisible_at_every_visitor_entry_point_until_published(client, draft):
    hidden = visible_everywhere(client, draft)
    assert not any(hidden.values()), {k: v for k, v in hidden.items() if v}
    assert client.get(draft.get_absolute_url()).status_code == 404

    draft.status = Status.PUBLISHED
    draft.save()
    shown = visible_everywhere(client, draft)
    # The same walk finds it once it is published, so each check above can fail.
    assert all(shown.values()), {k: v for k, v in shown.items() if not v}


@pytest.mark.parametrize("status", [Status.REVIEW, Status.RETIRED])
def test_queued_and_retired_questions_are_hidden_too(client, make_question, status):
    question = make_question("hidden", status=status)
    assert client.get(question.get_absolute_url()).status_code == 404
    assert not Question.objects.published().filter(pk=question.pk).exists()


def test_the_published_queryset_is_the_one_filter():
    assert str(Question.objects.published().query) == str(Question.objects.filter(status="published").query)


# --- moves ------------------------------------------------------------------------------------

def test_an_author_submits_but_cannot_publish(author, draft):
    lifecycle.transition(draft, Status.REVIEW, author.user)
    with pytest.raises(lifecycle.TransitionError) as refused:
        lifecycle.transition(draft, Status.PUBLISHED, author.user)
    assert refused.value.field == "status"
    assert refused.value.message == "you may not move a question from In review to Published; ask a reviewer"
    draft.refresh_from_db()
    assert draft.status == Status.REVIEW


def test_a_reviewer_publishes_and_the_history_says_who_and_what(author, reviewer, draft):
    lifecycle.transition(draft, Status.REVIEW, author.user)
    lifecycle.transition(draft, Status.PUBLISHED, reviewer.user)
    latest, submitted = list(draft.revisions.all())[:2]
    assert (submitted.author, submitted.status_before, submitted.status_after) == (author.user, "draft", "review")
    assert (latest.author, latest.status_before, latest.status_after) == (reviewer.user, "review", "published")
    assert latest.snapshot["quiz"][0]["numeric_answer"] == 2


def test_a_move_that_skips_steps_is_refused_with_a_sentence(reviewer, make_question):
    question = make_question("old", status=Status.RETIRED)
    with pytest.raises(lifecycle.TransitionError, match="cannot go from Retired to In review directly"):
        lifecycle.transition(question, Status.REVIEW, reviewer.user)


def test_the_admin_form_refuses_publishing_by_an_author_and_saves_nothing(author, draft):
    url = reverse("admin:questions_question_change", args=[draft.pk])
    response = author.post(url, form_data(author.get(url), status="published", title="Changed title"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == [
        "You may not move a question from Draft to Published; ask a reviewer."
    ]
    draft.refresh_from_db()
    assert (draft.status, draft.title) == (Status.DRAFT, f"The {WORD} question?")
    assert not draft.revisions.exists()


def test_the_bulk_actions_move_all_or_nothing(author, draft, make_question):
    other = make_question("other-draft", status=Status.DRAFT)
    lifecycle.transition(draft, Status.REVIEW, author.user)  # already in review: submitting again is a no-op
    queued = make_question("queued", status=Status.PUBLISHED)  # published → review is not a move
    changelist = reverse("admin:questions_question_changelist")
    response = author.post(changelist, {"action": "submit_for_review", "_selected_action": [other.pk, queued.pk]}, follow=True)
    assert "Nothing was changed. Status of “Question queued?”: a question cannot go from Published to In review directly." in response.content.decode()
    other.refresh_from_db()
    assert other.status == Status.DRAFT
    author.post(changelist, {"action": "submit_for_review", "_selected_action": [other.pk, draft.pk]})
    other.refresh_from_db()
    assert other.status == Status.REVIEW


def test_new_admin_questions_start_as_drafts(author, make_question):
    response = author.get(reverse("admin:questions_question_add"))
    assert response.context["adminform"].form.initial["status"] == Status.DRAFT


def test_the_review_queue_lists_submissions_and_a_reviewer_publishes_from_it(author, reviewer, draft):
    lifecycle.transition(draft, Status.REVIEW, author.user)
    url = reverse("admin:questions_question_awaiting_review")
    page = reviewer.get(url)
    assert page.context["rows"] == [(draft, draft.revisions.first())]
    assert "alice" in page.content.decode() and "Publish" in page.content.decode()
    assert "Publish" not in author.get(url).content.decode().split('id="awaiting-review"')[1]
    author.post(url, {"question": draft.pk, "action": "publish"})
    draft.refresh_from_db()
    assert draft.status == Status.REVIEW  # the author's POST changed nothing
    reviewer.post(url, {"question": draft.pk, "action": "publish"})
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED


def test_the_changelist_filters_by_status(reviewer, draft):
    response = reviewer.get(reverse("admin:questions_question_changelist"), {"status__exact": "draft"})
    assert [q.slug for q in response.context["cl"].result_list] == ["secret-draft"]


# --- history and revert -----------------------------------------------------------------------

def test_admin_edits_are_revisions_and_revert_makes_a_new_one(author, draft):
    url = reverse("admin:questions_question_change", args=[draft.pk])
    author.post(url, form_data(author.get(url), title="Second title"))
    author.post(url, form_data(author.get(url), title="Third title", key_points='["A new point"]'))
    numbers = list(draft.revisions.values_list("number", "summary"))
    assert numbers == [
        (3, "Changed title, key_points"), (2, "Changed title"), (1, "State before the first recorded change"),
    ]
    history = author.get(reverse("admin:questions_question_history", args=[draft.pk]))
    assert history.status_code == 200 and "Changed title, key_points" in history.content.decode()

    author.post(reverse("admin:questions_question_revert", args=[draft.pk, 1]))
    draft.refresh_from_db()
    assert draft.title == f"The {WORD} question?" and draft.key_points == []
    assert draft.quiz_items.get(key="n").numeric_answer == 2
    newest = draft.revisions.first()
    assert (newest.number, newest.summary, newest.author) == (4, "Reverted to revision 1", author.user)


def test_revert_keeps_the_current_status(reviewer, draft):
    lifecycle.record_revision(draft, reviewer.user, "baseline")
    lifecycle.transition(draft, Status.PUBLISHED, reviewer.user)
    lifecycle.revert(draft, Revision.objects.get(question=draft, number=1), reviewer.user)
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED


def test_an_author_cannot_revert_a_published_question(author, make_question):
    question = make_question("live")
    lifecycle.record_revision(question, None, "baseline")
    response = author.post(reverse("admin:questions_question_revert", args=[question.pk, 1]))
    assert response.status_code == 403


# --- the data migration -----------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_migration_maps_is_active_to_published_or_retired():
    executor = MigrationExecutor(connection)
    executor.migrate([("questions", "0007_answer_text_formula_marks")])
    old = executor.loader.project_state([("questions", "0007_answer_text_formula_marks")]).apps
    topic = old.get_model("questions", "Topic").objects.create(slug="t", title="T")
    OldQuestion = old.get_model("questions", "Question")
    OldQuestion.objects.create(slug="on", topic=topic, title="On", is_active=True)
    OldQuestion.objects.create(slug="off", topic=topic, title="Off", is_active=False)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert dict(Question.objects.values_list("slug", "status")) == {"on": "published", "off": "retired"}
