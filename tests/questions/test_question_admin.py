"""The admin: pages load, quiz items are validated like the loader does, and the preview is staff-only."""
from __future__ import annotations

import pytest
from django.urls import reverse

from questions.models import QuizItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(make_question):
    return make_question("kv-basics", tags=("kv-cache",))


def choice_form(item: QuizItem | None, kind: str, choices: list[tuple[str, bool]], **extra) -> dict:
    data = {
        "question": extra.pop("question"), "key": "item", "kind": kind, "prompt": "Pick one", "explanation": "",
        "numeric_answer": "", "tolerance": "", "tolerance_mode": "relative", "unit": "", "order": "0", "is_active": "on",
        "choices-TOTAL_FORMS": str(len(choices)), "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0", "choices-MAX_NUM_FORMS": "1000",
    }
    for n, (text, correct) in enumerate(choices):
        data[f"choices-{n}-text"] = text
        data[f"choices-{n}-order"] = str(n)
        if correct:
            data[f"choices-{n}-is_correct"] = "on"
    data.update(extra)
    return data


@pytest.mark.parametrize("url_name", ["question", "topic", "tag", "quizitem"])
def test_changelists_and_add_pages_load(staff_client, question, url_name):
    assert staff_client.get(reverse(f"admin:questions_{url_name}_changelist"), {"q": "kv"}).status_code == 200
    assert staff_client.get(reverse(f"admin:questions_{url_name}_add")).status_code == 200


def test_question_change_page_has_the_live_preview(staff_client, question):
    html = staff_client.get(reverse("admin:questions_question_change", args=[question.pk])).content.decode()
    assert "data-markdown-preview" in html and 'data-preview-url="/api/markdown-preview/"' in html
    assert "questions/admin_preview.js" in html


def test_single_choice_with_two_correct_options_is_rejected(staff_client, question):
    data = choice_form(None, "single", [("a", True), ("b", True)], question=question.pk)
    response = staff_client.post(reverse("admin:questions_quizitem_add"), data)
    assert response.status_code == 200
    assert "A single-choice item needs exactly one correct option (found 2)." in response.content.decode()
    assert not QuizItem.objects.exists()


def test_multiple_choice_without_a_correct_option_is_rejected(staff_client, question):
    data = choice_form(None, "multiple", [("a", False), ("b", False)], question=question.pk)
    response = staff_client.post(reverse("admin:questions_quizitem_add"), data)
    assert "A multiple-choice item needs at least one correct option (found 0)." in response.content.decode()


def test_a_valid_single_choice_item_saves(staff_client, question):
    data = choice_form(None, "single", [("a", True), ("b", False)], question=question.pk)
    response = staff_client.post(reverse("admin:questions_quizitem_add"), data)
    assert response.status_code == 302
    item = QuizItem.objects.get()
    assert sorted((c.text, c.is_correct) for c in item.choices.all()) == [("a", True), ("b", False)]


def test_numeric_item_needs_answer_and_positive_tolerance(staff_client, question):
    data = choice_form(None, "numeric", [], question=question.pk, tolerance="0")
    response = staff_client.post(reverse("admin:questions_quizitem_add"), data)
    # Each problem sits on the field it names (the kind says which field; nothing reads the wording).
    errors = response.context["adminform"].form.errors
    assert errors["numeric_answer"] == ["a numeric item needs a numeric answer (got None)"]
    assert errors["tolerance"] == ["a numeric item needs a positive tolerance (got 0.0)"]
    data.update(numeric_answer="2048", tolerance="0.01")
    assert staff_client.post(reverse("admin:questions_quizitem_add"), data).status_code == 302


def test_retire_action_hides_questions(staff_client, question):
    staff_client.post(reverse("admin:questions_question_changelist"), {"action": "retire", "_selected_action": [question.pk]})
    question.refresh_from_db()
    assert question.status == question.Status.RETIRED


def test_preview_renders_with_the_site_renderer_for_staff_only(client, staff_client, django_user_model):
    url = reverse("questions:markdown_preview")
    response = staff_client.post(url, {"text": "**hi** <script>x</script> $x^2$"})
    assert response.status_code == 200
    html = response.json()["html"]
    assert "<strong>hi</strong>" in html and "<math" in html and "<script" not in html
    assert staff_client.post(url, {"text": "x" * 100_001}).json()["error"] == {"field": "text", "message": "must be at most 100000 characters, got 100001"}
    assert staff_client.get(url).status_code == 405
    client.logout()
    client.force_login(django_user_model.objects.create_user("bob", password="pw-123456789"))
    assert client.post(url, {"text": "x"}).status_code == 302  # to the admin login, not rendered


def test_the_importer_page_is_mounted_under_the_question_admin(staff_client):
    response = staff_client.get(reverse("admin:questions_question_import"))
    assert response.status_code == 200
    assert reverse("admin:questions_question_import") == "/admin/questions/question/import/"
    changelist = staff_client.get(reverse("admin:questions_question_changelist")).content.decode()
    assert 'href="/admin/questions/question/import/"' in changelist


def test_change_form_gives_the_markdown_editor_a_full_row_and_names_the_site(staff_client, question):
    html = staff_client.get(reverse("admin:questions_question_change", args=[question.pk])).content.decode()
    assert "css/admin_markdown.css" in html and "data-markdown-preview" in html
    assert "Inference Prep admin" in html


def test_the_changelist_stays_narrow_enough_for_its_columns_beside_both_sidebars(staff_client, make_question):
    topic = "prefill-decode-and-the-memory-bandwidth-bound"
    make_question("long-topic", topic=topic, tags=("kv-cache",), needs_review=True)
    response = staff_client.get(reverse("admin:questions_question_changelist"))
    html = response.content.decode()
    assert "tags" not in [spec.title for spec in response.context["cl"].filter_specs]
    # The admin marks foreign-key cells "nowrap"; the topic column must be allowed to wrap.
    assert 'class="field-topic_title"' in html and "field-topic nowrap" not in html
    assert "Published · needs review" in html


def test_tags_are_found_by_search_instead_of_a_filter(staff_client, make_question):
    make_question("tagged", title="Tagged one", tags=("paged-attention",))
    make_question("untagged", title="Untagged one")
    response = staff_client.get(reverse("admin:questions_question_changelist"), {"q": "paged-attention"})
    assert [q.slug for q in response.context["cl"].result_list] == ["tagged"]
    assert "Search titles, slugs, answers and tags" in response.content.decode()
