"""The full preview: the visitor's question page rendered from unsaved form data, for staff who may change questions."""
from __future__ import annotations

import pytest
from django.urls import reverse

from questions.models import Question, QuizItem
from tests.questions.question_admin_forms import form_data
from tests.questions.structured_forms import new_question, quiz_item

pytestmark = pytest.mark.django_db
PREVIEW = "admin:questions_question_preview"
DEMO = "kv_cache_vs_recompute"
ANSWER = "The cache holds **keys and values**.\n\n```python run\nprint(2 * 32 * 4096 * 2)\n```\n"


def items() -> list[dict]:
    return [quiz_item("phase", "single", "Which phase is compute bound?",
                      [("Prefill", True, "Every prompt token at once."), ("Decode", False, "")]),
            quiz_item("bytes", "numeric", "Bytes per token?", numeric_answer=524288, tolerance=0.05)]


def test_the_preview_is_the_visitors_page_from_unsaved_data_and_saves_nothing(staff_client, topic) -> None:
    data = new_question(staff_client, topic.pk, items(), answer_md=ANSWER, key_points="Grows with context", demos=[DEMO])
    response = staff_client.post(reverse(PREVIEW), data)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "questions/question.html"
    html = response.content.decode()
    assert "<h1>How big is the KV cache?</h1>" in html
    assert "<strong>keys and values</strong>" in html and 'data-runnable="python"' in html
    assert "Grows with context" in html and 'class="demo-panels"' in html and DEMO in html
    assert "Prefill <strong class=\"quiz-mark\">(correct)</strong>" in html and "Every prompt token at once." in html
    assert "Answer: 524288.0" in html and "data-preview-notice" in html
    assert not Question.objects.exists() and not QuizItem.objects.exists()


def test_the_preview_of_an_edit_shows_the_edit_and_leaves_the_saved_question_alone(staff_client, make_question) -> None:
    question = make_question("kv", title="Old title?")
    page = staff_client.get(reverse("admin:questions_question_change", args=[question.pk]))
    assert f'formaction="{reverse(PREVIEW)}?id={question.pk}"' in page.content.decode()
    response = staff_client.post(f"{reverse(PREVIEW)}?id={question.pk}", form_data(page, title="New title?"))
    assert "<h1>New title?</h1>" in response.content.decode()
    question.refresh_from_db()
    assert question.title == "Old title?"


def test_invalid_data_shows_the_errors_by_field_instead_of_a_page(staff_client, topic) -> None:
    data = new_question(staff_client, topic.pk, [quiz_item("phase", "single", "Pick", [("A", False, ""), ("B", False, "")])])
    response = staff_client.post(reverse(PREVIEW), data)
    assert response.status_code == 400
    assert "Quiz item 1 — Option 1: A single-choice item needs exactly one correct option (found 0)." in (
        response.content.decode())
    assert not Question.objects.exists()


def test_the_preview_needs_the_change_permission_and_a_post(client, staff_client, django_user_model, topic) -> None:
    data = new_question(staff_client, topic.pk)
    assert staff_client.get(reverse(PREVIEW)).status_code == 405
    client.logout()
    anonymous = client.post(reverse(PREVIEW), data)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    client.force_login(django_user_model.objects.create_user("bob", "b@example.com", "pw-123456789", is_staff=True))
    assert client.post(reverse(PREVIEW), data).status_code == 403
    assert not Question.objects.exists()
