"""Imports per file: a bad file is named with its line while the good ones go through, one file at a time."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from questions.admin_import import SESSION_KEY
from questions.models import Question, Status

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "import"
URL = "admin:questions_question_import"
BROKEN = b"Which phase is compute bound?\nA. Prefill\nB. Decode\nANSWER: Z\n"


@pytest.fixture
def alice(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("alice", "alice@example.com", "pw-123456789"))
    return client


def upload(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else (FIXTURES / name).read_bytes())


def preview(client, *files: SimpleUploadedFile) -> str:
    response = client.post(reverse(URL), {"files": list(files), "topic": "", "format": ""})
    assert response.status_code == 200
    return response.content.decode()


def commit(client, file: str) -> object:
    return client.post(reverse(URL), {"action": "commit", "token": client.session[SESSION_KEY]["token"], "file": file})


def test_a_bad_file_is_named_with_its_line_and_the_good_one_still_imports(alice) -> None:
    html = preview(alice, upload("broken.txt", BROKEN), upload("questions_aiken.txt"))
    assert "broken.txt, line 4: ANSWER must be one of A, B" in html
    assert "1 file cannot be imported" in html
    assert 'value="Import questions_aiken.txt"' in html and 'value="Import broken.txt"' not in html
    assert Question.objects.count() == 0
    response = commit(alice, "all")
    assert response.status_code == 302
    imported = Question.objects.filter(origin="import")
    assert imported.count() == 3
    assert {q.source_path.split("#")[0] for q in imported} == {"questions_aiken.txt"}
    assert set(imported.values_list("status", flat=True)) == {Status.DRAFT}


def test_each_file_commits_on_its_own_and_the_others_stay_waiting(alice) -> None:
    preview(alice, upload("questions_aiken.txt"), upload("labelled.txt"))
    response = commit(alice, "1")  # labelled.txt only
    assert response.status_code == 302 and "token=" in response["Location"]
    assert set(Question.objects.values_list("source_path", flat=True)) == {"labelled.txt#1", "labelled.txt#2"}
    waiting = alice.get(response["Location"]).content.decode()
    assert 'value="Import questions_aiken.txt"' in waiting and 'value="Import labelled.txt"' not in waiting
    response = commit(alice, "0")
    assert response["Location"] == reverse("admin:questions_question_changelist")
    assert Question.objects.count() == 5 and SESSION_KEY not in alice.session


def test_the_preview_renders_markdown_and_lists_choice_options(alice) -> None:
    html = preview(alice, upload("markdown_qa.md"), upload("questions_aiken.txt"))
    assert "**Answer:**" not in html
    assert '<div class="highlight">' in html or "<pre" in html  # the fenced code is rendered, not shown raw
    assert "Prefill <strong>(correct)</strong>" in html and "Detokenisation" in html


def test_a_reimport_updates_the_drafts_instead_of_duplicating(alice) -> None:
    preview(alice, upload("questions_aiken.txt"))
    commit(alice, "all")
    first = dict(Question.objects.values_list("source_path", "pk"))
    changed = (FIXTURES / "questions_aiken.txt").read_bytes().replace(b"C. Detokenisation", b"C. Sampling")
    preview(alice, upload("questions_aiken.txt", changed))
    commit(alice, "all")
    assert dict(Question.objects.values_list("source_path", "pk")) == first
    item = Question.objects.get(source_path="questions_aiken.txt#1").quiz_items.get()
    assert sorted(item.choices.values_list("text", flat=True)) == ["Decode", "Prefill", "Sampling"]
    assert set(Question.objects.values_list("status", flat=True)) == {Status.DRAFT}


@pytest.mark.parametrize(("data", "expected"), [
    (b"binary\x00junk", "broken.txt, line 1: this is a binary file (it contains a NUL byte)"),
    ("Prefill réponse\nA. oui\nANSWER: A\n".encode("latin-1"), "broken.txt, line 1: not valid UTF-8 (byte 0xe9)"),
    (b"just some prose with no questions in it at all\n", "broken.txt, line 1: unrecognised format"),
])
def test_unknown_formats_and_encodings_are_sentences_naming_the_file(alice, data, expected) -> None:
    html = preview(alice, upload("broken.txt", data), upload("labelled.txt"))
    assert expected in html and "cannot be imported" in html
    assert 'value="Import labelled.txt"' in html


def test_an_imported_choice_question_shows_its_options_on_its_page(alice) -> None:
    preview(alice, upload("questions_aiken.txt"))
    commit(alice, "all")
    question = Question.objects.get(source_path="questions_aiken.txt#1")
    question.status = Status.PUBLISHED
    question.save()
    page = alice.get(question.get_absolute_url()).content.decode()
    assert "data-quiz-items" in page
    for option in ("Prefill", "Decode", "Detokenisation"):
        assert option in page
    assert "Prefill <strong class=\"quiz-mark\">(correct)</strong>" in page
