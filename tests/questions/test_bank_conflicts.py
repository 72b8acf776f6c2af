"""A bank question edited in the admin is never overwritten by load_bank; conflicts are reported and resolved by a person."""
from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from questions import bank_loader
from questions.bank_loader import load_bank
from questions.models import Question

from question_admin_forms import form_data  # tests/questions/question_admin_forms.py

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(bank, single_item) -> Question:
    bank.write("q1", title="The file's title", quiz=[single_item])
    bank.write("q2")
    assert load_bank(bank.root).ok
    return Question.objects.get(slug="q1")


def edit_in_admin(client: Any, question: Question, **changes: Any) -> Any:
    url = reverse("admin:questions_question_change", args=[question.pk])
    response = client.post(url, form_data(client.get(url), **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors
    question.refresh_from_db()
    return response


def test_an_admin_edit_marks_the_bank_question_with_who_when_and_the_file_it_started_from(reviewer, loaded):
    file_hash = loaded.content_hash
    edit_in_admin(reviewer, loaded, title="The admin's title")
    assert loaded.edited_at is not None and loaded.edited_by == reviewer.user
    assert loaded.edited_base_hash == file_hash
    assert loaded.revisions.first().summary == "Changed title"


def test_a_status_change_alone_is_not_an_edit_of_the_file(reviewer, loaded):
    edit_in_admin(reviewer, loaded, status="retired")
    assert loaded.status == "retired" and loaded.edited_at is None


def test_load_bank_keeps_the_edit_while_the_file_is_unchanged(reviewer, bank, loaded):
    edit_in_admin(reviewer, loaded, title="The admin's title")
    report = load_bank(bank.root)
    assert report.kept_edits == ["q1"] and report.conflicts == []
    loaded.refresh_from_db()
    assert loaded.title == "The admin's title"


def test_a_changed_file_is_reported_as_a_conflict_and_the_edit_is_kept(reviewer, bank, single_item, loaded):
    edit_in_admin(reviewer, loaded, title="The admin's title")
    bank.write("q1", title="A newer file title", quiz=[single_item])
    report = load_bank(bank.root)
    since = loaded.edited_at.astimezone().strftime("%Y-%m-%d %H:%M")
    assert report.conflicts == [f"kv-cache/q1.md: edited in the admin since {since}; file changed too"]
    assert "1 conflicts" in report.summary()
    loaded.refresh_from_db()
    assert loaded.title == "The admin's title" and loaded.edited_at is not None


def test_load_bank_command_prints_the_conflict(reviewer, bank, single_item, loaded, capsys):
    edit_in_admin(reviewer, loaded, title="The admin's title")
    bank.write("q1", title="A newer file title", quiz=[single_item])
    call_command("load_bank", "--path", str(bank.root))
    assert "kv-cache/q1.md: edited in the admin since" in capsys.readouterr().err


def test_a_removed_file_does_not_retire_an_edited_question(reviewer, bank, loaded):
    edit_in_admin(reviewer, loaded, title="The admin's title")
    (bank.root / "kv-cache/q1.md").unlink()
    report = load_bank(bank.root)
    assert report.retired == [] and report.conflicts[0].endswith("; file removed")
    loaded.refresh_from_db()
    assert loaded.status == "published"


def test_take_the_files_version_replaces_the_edit_and_clears_the_mark(reviewer, bank, single_item, loaded):
    edit_in_admin(reviewer, loaded, title="The admin's title")
    bank.write("q1", title="A newer file title", quiz=[single_item])
    load_bank(bank.root)
    bank_loader.take_file_version(loaded, reviewer.user, root=bank.root)
    loaded.refresh_from_db()
    assert loaded.title == "A newer file title" and loaded.edited_at is None
    assert load_bank(bank.root).unchanged == ["q1", "q2"]
    # the admin's version is still in the history
    assert any(r.snapshot["title"] == "The admin's title" for r in loaded.revisions.all())


def test_keep_mine_silences_this_file_version_until_the_file_changes_again(reviewer, bank, single_item, loaded):
    edit_in_admin(reviewer, loaded, title="The admin's title")
    bank.write("q1", title="A newer file title", quiz=[single_item])
    bank_loader.keep_admin_version(loaded, reviewer.user, root=bank.root)
    report = load_bank(bank.root)
    assert report.conflicts == [] and report.kept_edits == ["q1"]
    bank.write("q1", title="Yet another file title", quiz=[single_item])
    assert len(load_bank(bank.root).conflicts) == 1


def test_the_conflict_actions_are_in_the_admin_for_reviewers(reviewer, bank, single_item, loaded, monkeypatch):
    monkeypatch.setattr(bank_loader, "DEFAULT_BANK_DIR", bank.root)  # the actions resolve against the bank folder
    edit_in_admin(reviewer, loaded, title="The admin's title")
    bank.write("q1", title="A newer file title", quiz=[single_item])
    changelist = reverse("admin:questions_question_changelist")
    listed = reviewer.get(changelist, {"edited": "yes"})
    assert [q.slug for q in listed.context["cl"].result_list] == ["q1"]
    assert "Published · edited in admin" in listed.content.decode()
    reviewer.post(changelist, {"action": "take_file_version", "_selected_action": [loaded.pk]})
    loaded.refresh_from_db()
    assert loaded.title == "A newer file title" and loaded.edited_at is None


def test_export_then_load_resolves_the_edit_with_no_change(reviewer, bank, loaded):
    edit_in_admin(reviewer, loaded, title="The admin's title", key_points='["A point added in the admin"]')
    call_command("export_bank", "--slug", "q1", "--path", str(bank.root))
    report = load_bank(bank.root)
    assert report.unchanged == ["q1", "q2"] and report.conflicts == [] and report.updated == []
    loaded.refresh_from_db()
    assert loaded.title == "The admin's title" and loaded.key_points == ["A point added in the admin"]
    assert loaded.edited_at is None  # the file now says what the admin said: nothing left to reconcile


def test_editing_a_quiz_item_on_its_own_page_is_an_edit_of_the_bank_question(reviewer, bank, loaded):
    item = loaded.quiz_items.get()
    url = reverse("admin:questions_quizitem_change", args=[item.pk])
    response = reviewer.post(url, form_data(reviewer.get(url), prompt="What does V hold, exactly?"))
    assert response.status_code == 302
    loaded.refresh_from_db()
    assert loaded.edited_at is not None and loaded.revisions.first().summary == "Changed quiz"
    assert load_bank(bank.root).kept_edits == ["q1"]
    assert loaded.quiz_items.get().prompt == "What does V hold, exactly?"
