"""Who may do what: authors draft and submit, reviewers publish, other staff see nothing, visitors are sent to log in.

alice (author), rita (reviewer), olga (staff, no group) and victor (not staff) come from conftest.py.
"""
from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.urls import URLPattern, reverse

from questions import lifecycle
from questions.models import Question, QuizItem, Status, Tag, Topic

pytestmark = pytest.mark.django_db

POST_ONLY = {"questions_question_revert"}


@pytest.fixture
def objects(make_question) -> dict[str, Any]:
    question = make_question("live", tags=("kv-cache",))
    item = QuizItem.objects.create(question=question, key="n", kind="numeric", prompt="How many?", numeric_answer=1, tolerance=0.1)
    lifecycle.record_revision(question, None, "baseline")
    return {"question": question, "quizitem": item, "topic": question.topic, "tag": Tag.objects.get()}


def admin_urls(objects: dict[str, Any]) -> list[tuple[str, str]]:
    """Every named admin URL of the questions app, filled with an existing object: (name, url)."""
    found = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "questions":
            continue
        for pattern in model_admin.urls:
            if not isinstance(pattern, URLPattern) or not pattern.name:
                continue
            kwargs = {}
            for name in pattern.pattern.converters:
                kwargs[name] = objects[model._meta.model_name].pk if name == "object_id" else 1
            found.append((pattern.name, reverse(f"admin:{pattern.name}", kwargs=kwargs)))
    return found


def request(client: Any, name: str, url: str) -> Any:
    return client.post(url) if name in POST_ONLY else client.get(url)


def test_the_walk_covers_the_lifecycle_pages(objects):
    names = {name for name, _ in admin_urls(objects)}
    assert {"questions_question_awaiting_review", "questions_question_revert", "questions_question_history",
            "questions_question_import", "questions_question_changelist", "questions_topic_add"} <= names


@pytest.mark.parametrize("who", ["anonymous", "victor"])
def test_non_staff_are_sent_to_log_in_on_every_questions_admin_url_and_the_preview(client, visitor_user, objects, who):
    browser = client if who == "anonymous" else visitor_user
    for name, url in admin_urls(objects):
        response = request(browser, name, url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], (name, response.status_code)
    preview = browser.post(reverse("questions:markdown_preview"), {"text": "hi"})
    assert preview.status_code == 302 and "/admin/login/" in preview["Location"]


def test_staff_without_a_group_get_403_on_every_questions_admin_url_and_the_preview(bare_staff, objects):
    for name, url in admin_urls(objects):
        assert request(bare_staff, name, url).status_code == 403, name
    assert bare_staff.post(reverse("questions:markdown_preview"), {"text": "hi"}).status_code == 403


def test_authors_and_reviewers_may_preview_markdown(author, reviewer):
    for client in (author, reviewer):
        assert client.post(reverse("questions:markdown_preview"), {"text": "**hi**"}).status_code == 200


def _add_form(topic: Topic, status: str) -> dict[str, str]:
    return {
        "title": "An author's question?", "slug": "authors-question", "topic": str(topic.pk), "difficulty": "medium",
        "order": "0", "status": status, "answer_md": "The answer.", "origin": "admin", "key_points": "[]",
        "common_mistakes": "[]", "follow_ups": "[]", "demos": "[]", "sources": "[]", "covers": "[]",
        "review_notes": "[]", "quiz_items-TOTAL_FORMS": "0", "quiz_items-INITIAL_FORMS": "0",
        "quiz_items-MIN_NUM_FORMS": "0", "quiz_items-MAX_NUM_FORMS": "1000",
    }


def test_an_author_drafts_and_submits_but_cannot_publish(author, objects):
    url = reverse("admin:questions_question_add")
    refused = author.post(url, _add_form(objects["topic"], "published"))
    assert refused.context["adminform"].form.errors["status"] == [
        "You may not move a question from Draft to Published; ask a reviewer."
    ]
    assert not Question.objects.filter(slug="authors-question").exists()
    assert author.post(url, _add_form(objects["topic"], "review")).status_code == 302
    made = Question.objects.get(slug="authors-question")
    assert made.status == Status.REVIEW and made.origin == "admin"
    assert made.revisions.get().author == author.user


def test_an_author_has_no_publish_actions_and_a_forged_one_does_nothing(author, objects, make_question):
    draft = make_question("a-draft", status=Status.DRAFT)
    changelist = reverse("admin:questions_question_changelist")
    actions = {value for value, _ in author.get(changelist).context["action_form"].fields["action"].choices}
    assert {"submit_for_review", "send_back_to_draft"} <= actions
    assert not actions & {"publish", "retire", "take_file_version", "keep_admin_version", "delete_selected"}
    author.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_an_author_sees_a_published_question_read_only(author, objects):
    url = reverse("admin:questions_question_change", args=[objects["question"].pk])
    page = author.get(url)
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert author.post(url, {"title": "Sneaky"}).status_code == 403


def test_topics_and_deletes_stay_with_superusers(author, reviewer, objects):
    for client in (author, reviewer):
        assert client.get(reverse("admin:questions_topic_add")).status_code == 403
        assert client.get(reverse("admin:questions_question_delete", args=[objects["question"].pk])).status_code == 403


def test_a_reviewer_publishes(reviewer, make_question):
    queued = make_question("queued", status=Status.REVIEW)
    reviewer.post(reverse("admin:questions_question_changelist"), {"action": "publish", "_selected_action": [queued.pk]})
    queued.refresh_from_db()
    assert queued.status == Status.PUBLISHED
    assert queued.revisions.get().author == reviewer.user


def test_an_author_cannot_change_the_quiz_items_of_a_published_question(author, objects, make_question):
    item = objects["quizitem"]
    assert author.post(reverse("admin:questions_quizitem_change", args=[item.pk]), {"prompt": "x"}).status_code == 403
    data = {
        "question": str(objects["question"].pk), "key": "new", "kind": "numeric", "prompt": "How many more?",
        "explanation": "", "numeric_answer": "2", "tolerance": "0.1", "tolerance_mode": "relative", "unit": "",
        "order": "0", "is_active": "on", "choices-TOTAL_FORMS": "0", "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0", "choices-MAX_NUM_FORMS": "1000",
    }
    refused = author.post(reverse("admin:questions_quizitem_add"), data)
    assert refused.context["adminform"].form.errors["question"] == [
        "“Question live?” is Published; only a reviewer may change its quiz items."
    ]
    draft = make_question("a-draft", status=Status.DRAFT)
    assert author.post(reverse("admin:questions_quizitem_add"), {**data, "question": str(draft.pk)}).status_code == 302
