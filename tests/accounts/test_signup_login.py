"""Sign-up, log-in, log-out (POST only) and password reset by e-mail."""
from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client


def test_signup_creates_the_account_and_logs_in(client: Client, db: None) -> None:
    response = client.post("/accounts/signup/", {
        "username": "carol", "email": "carol@example.com",
        "password1": "tall-purple-giraffe-42", "password2": "tall-purple-giraffe-42", "next": "/quiz/",
    })
    assert response.status_code == 302 and response.url == "/quiz/"
    assert client.get("/quiz/").context["user"].username == "carol"


def test_signup_errors_name_the_field(client: Client, alice: Any) -> None:
    response = client.post("/accounts/signup/", {
        "username": "dave", "email": "alice@example.com", "password1": "short", "password2": "other",
    })
    page = response.content.decode()
    assert response.status_code == 200
    assert "An account with this e-mail already exists" in page
    assert "The two password fields didn" in page
    assert not get_user_model().objects.filter(username="dave").exists()


def test_signup_ignores_an_offsite_next(client: Client, db: None) -> None:
    response = client.post("/accounts/signup/", {
        "username": "erin", "email": "erin@example.com",
        "password1": "tall-purple-giraffe-42", "password2": "tall-purple-giraffe-42", "next": "https://evil.example/",
    })
    assert response.url == "/"


def test_login_and_logout(client: Client, alice: Any) -> None:
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "alice", "password": "a-long-passphrase-1"})
    assert response.status_code == 302
    assert client.get("/accounts/logout/").status_code == 405  # a link cannot log you out
    assert "_auth_user_id" in client.session
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


def test_wrong_password_is_a_form_error(client: Client, alice: Any) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_password_reset_by_email(client: Client, alice: Any) -> None:
    response = client.post("/accounts/password-reset/", {"email": "alice@example.com"})
    assert response.url == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"] and "alice" in message.body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session marker
    response = client.post(form_url, {"new_password1": "fresh-orange-kite-77", "new_password2": "fresh-orange-kite-77"})
    assert response.url == "/accounts/reset/done/"
    assert Client().login(username="alice", password="fresh-orange-kite-77")
    # The link works once.
    assert "no longer works" in client.get(link, follow=True).content.decode()


def test_password_reset_does_not_reveal_unknown_addresses(client: Client, db: None) -> None:
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert response.url == "/accounts/password-reset/sent/"
    assert mail.outbox == []


def test_each_field_error_is_prefixed_with_the_field_label(client: Client, alice: Any) -> None:
    page = client.post("/accounts/signup/", {"username": "", "email": "alice@example.com"}).content.decode()
    assert '<span class="field-error" role="alert">Username: This field is required.</span>' in page
    assert "Email: An account with this e-mail already exists" in page


def test_signing_in_and_out_is_confirmed_on_the_next_page(client: Client, alice: Any) -> None:
    page = client.post("/accounts/login/", {"username": "alice", "password": "a-long-passphrase-1"}, follow=True)
    assert "Signed in as alice." in page.content.decode()
    assert '<ul class="messages" role="status">' in page.content.decode()
    page = client.post("/accounts/logout/", follow=True)
    assert "Signed out." in page.content.decode()
    assert "Signed out." not in client.get("/").content.decode()  # shown once, then gone


def test_signing_up_is_confirmed_on_the_next_page(client: Client, db: None) -> None:
    page = client.post("/accounts/signup/", {
        "username": "frank", "email": "frank@example.com",
        "password1": "tall-purple-giraffe-42", "password2": "tall-purple-giraffe-42",
    }, follow=True)
    assert "Welcome, frank!" in page.content.decode()
