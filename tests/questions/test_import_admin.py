"""The admin import page: upload, preview (nothing written), commit (re-parsed on the server)."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from questions.admin_import import SESSION_KEY
from questions.models import Question

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "import"
URL = "admin:questions_question_import"


@pytest.fixture
def alice(client, django_user_model):
    """Alice is a superuser: she may import."""
    client.force_login(django_user_model.objects.create_superuser("alice", "alice@example.com", "pw-123456789"))
    return client


def upload(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else (FIXTURES / name).read_bytes())


def preview(client, *files: SimpleUploadedFile, topic: str = "") -> str:
    response = client.post(reverse(URL), {"files": list(files), "topic": topic, "format": ""})
    assert response.status_code == 200
    return response.content.decode()


def test_the_upload_page_loads_and_the_change_list_links_to_it(alice) -> None:
    page = alice.get(reverse(URL)).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="files"' in page
    changelist = alice.get(reverse("admin:questions_question_changelist")).content.decode()
    assert reverse(URL) in changelist and "Import questions" in changelist


def test_preview_shows_each_file_and_writes_nothing(alice) -> None:
    html = preview(alice, upload("numbered.txt"), upload("questions_aiken.txt"), topic="Drills")
    assert "numbered.txt" in html and "numbered-text" in html and "aiken" in html
    assert "What is continuous batching?" in html
    assert "skipped the summary section" in html
    assert "7 questions in 2 files can be imported" in html and "Drills" in html
    assert Question.objects.count() == 0


def test_commit_imports_what_was_previewed(alice) -> None:
    preview(alice, upload("labelled.txt"), topic="Decoding drills")
    token = alice.session[SESSION_KEY]["token"]
    response = alice.post(reverse(URL), {"action": "commit", "token": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:questions_question_changelist")
    assert Question.objects.filter(topic__slug="decoding-drills", origin="import").count() == 2
    assert SESSION_KEY not in alice.session
    # The same token cannot import twice.
    alice.post(reverse(URL), {"action": "commit", "token": token})
    assert Question.objects.count() == 2


def test_commit_uses_the_server_copy_not_the_request(alice) -> None:
    preview(alice, upload("questions_aiken.txt"))
    token = alice.session[SESSION_KEY]["token"]
    # Anything else in the POST is ignored: only the stored upload is parsed.
    smuggled = upload("numbered.txt")
    alice.post(reverse(URL), {"action": "commit", "token": token, "files": [smuggled], "topic": "evil"})
    assert Question.objects.count() == 3
    assert set(Question.objects.values_list("topic__slug", flat=True)) == {"imported"}


def test_a_wrong_token_imports_nothing(alice) -> None:
    preview(alice, upload("questions_aiken.txt"))
    response = alice.post(reverse(URL), {"action": "commit", "token": "forged"}, follow=True)
    assert "preview has expired" in response.content.decode()
    assert Question.objects.count() == 0


def test_a_bad_file_alone_shows_its_line_and_offers_no_commit(alice) -> None:
    bad = upload("bad.txt", b"Q?\nA. x\nB. y\nANSWER: Z\n")
    html = preview(alice, bad)
    assert "bad.txt, line 4: ANSWER must be one of A, B" in html
    assert 'name="token"' not in html
    assert SESSION_KEY not in alice.session
    assert Question.objects.count() == 0


def test_an_empty_upload_is_a_form_error(alice) -> None:
    response = alice.post(reverse(URL), {"topic": ""})
    assert "Choose at least one file." in response.content.decode()


def test_staff_without_add_permission_is_refused(client, django_user_model) -> None:
    """Bob is staff but may not add questions."""
    client.force_login(django_user_model.objects.create_user("bob", "bob@example.com", "pw-123456789", is_staff=True))
    assert client.get(reverse(URL)).status_code == 403


def test_anonymous_users_are_sent_to_the_login(client) -> None:
    response = client.get(reverse(URL))
    assert response.status_code == 302 and "login" in response["Location"]
