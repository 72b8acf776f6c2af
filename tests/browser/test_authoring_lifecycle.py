"""Authoring in real Chromium: an admin edit survives a changed bank file; a draft goes author → reviewer → site."""
from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from questions.bank_loader import load_bank
from questions.models import Question, Status, Topic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("authoring_groups")]
PASSWORD = "pw-123456789"


def _user(django_user_model, name: str, group: str):
    user = django_user_model.objects.create_user(name, f"{name}@example.com", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def _log_in(page, name: str) -> None:
    page.context.clear_cookies()  # whoever was signed in before
    page.goto("/admin/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def test_an_admin_edit_survives_a_changed_bank_file(browser_page, bank, django_user_model):
    bank.write("kv-what", title="What does the KV cache hold?", body="**Short answer.** K and V per token.\n")
    assert load_bank(bank.root).ok
    question = Question.objects.get(slug="kv-what")
    _user(django_user_model, "rita", "Reviewers")
    page = browser_page
    _log_in(page, "rita")

    page.goto(f"/admin/questions/question/{question.pk}/change/")
    page.fill("#id_title", "What exactly does the KV cache hold?")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/questions/question/$"))
    assert "edited in admin" in page.locator("#result_list").inner_text()

    bank.write("kv-what", title="What does the KV cache store?", body="**Short answer.** Keys and values.\n")
    out, err = io.StringIO(), io.StringIO()
    call_command("load_bank", "--path", str(bank.root), stdout=out, stderr=err)
    assert re.search(r"kv-cache/kv-what\.md: edited in the admin since \d{4}-\d\d-\d\d \d\d:\d\d; file changed too", err.getvalue())
    assert "1 conflicts" in out.getvalue()

    page.goto("/q/kv-what/")
    assert page.locator("h1").inner_text() == "What exactly does the KV cache hold?"
    page.goto(f"/admin/questions/question/{question.pk}/history/")
    assert "Changed title" in page.locator("#revision-history").inner_text()


def test_a_draft_is_submitted_by_an_author_and_published_by_a_reviewer(browser_page, django_user_model):
    Topic.objects.create(slug="kv-cache", title="KV caching")
    _user(django_user_model, "alice", "Authors")
    _user(django_user_model, "rita", "Reviewers")
    page = browser_page

    _log_in(page, "alice")
    page.goto("/admin/questions/question/add/")
    assert page.locator("#id_status").input_value() == "draft"
    page.fill("#id_title", "Why does paging the KV cache help?")  # the slug is filled in from the title
    page.select_option("#id_topic", label="KV caching")
    page.fill("#id_answer_md", "**Short answer.** It stops fragmentation.")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/questions/question/$"))
    question = Question.objects.get(title="Why does paging the KV cache help?")
    assert question.status == Status.DRAFT
    assert page.goto(question.get_absolute_url()).status == 404

    page.goto("/admin/questions/question/")
    page.locator(f"input[name=_selected_action][value='{question.pk}']").check()
    page.select_option("select[name=action]", "submit_for_review")
    page.click("button[name=index]")
    assert "1 question(s) now In review." in page.locator(".messagelist").inner_text()
    assert "publish" not in [o.get_attribute("value") for o in page.locator("select[name=action] option").all()]

    _log_in(page, "rita")
    page.goto("/admin/questions/question/")
    page.get_by_role("link", name="Awaiting review").click()
    row = page.locator("#awaiting-review tr", has_text="Why does paging the KV cache help?")
    assert "alice" in row.inner_text()
    row.get_by_role("button", name="Publish").click()
    assert "1 question(s) now Published." in page.locator(".messagelist").inner_text()

    page.context.clear_cookies()  # a visitor now
    page.goto("/topics/kv-cache/")
    page.get_by_role("link", name="Why does paging the KV cache help?").click()
    page.get_by_role("button", name="Reveal answer").click()
    assert "It stops fragmentation." in page.locator("#answer-panel").inner_text()
