"""Sign-up is throttled per IP address: fresh accounts must not multiply per-account limits."""
from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client


def sign_up(name: str, ip: str) -> Any:
    return Client().post("/accounts/signup/", {
        "username": name, "email": f"{name}@example.com",
        "password1": "tall-purple-giraffe-42", "password2": "tall-purple-giraffe-42",
    }, REMOTE_ADDR=ip)


def test_an_address_may_create_only_so_many_accounts(db: None, settings: Any) -> None:
    settings.SIGNUP_MAX_PER_IP = 2
    assert sign_up("first", "10.0.0.7").status_code == 302
    assert sign_up("second", "10.0.0.7").status_code == 302
    refused = sign_up("third", "10.0.0.7")
    assert refused.status_code == 200
    assert "Too many accounts were created from your address" in refused.content.decode()
    assert not get_user_model().objects.filter(username="third").exists()
    # Another address is not affected.
    assert sign_up("fourth", "10.0.0.8").status_code == 302


def test_a_refused_form_does_not_use_up_the_allowance(db: None, settings: Any) -> None:
    settings.SIGNUP_MAX_PER_IP = 1
    bad = Client().post("/accounts/signup/", {"username": "x", "email": "not-an-address",
                                               "password1": "a", "password2": "b"}, REMOTE_ADDR="10.0.0.9")
    assert bad.status_code == 200
    assert sign_up("real", "10.0.0.9").status_code == 302


def test_the_window_ends(db: None, settings: Any) -> None:
    from django.core.cache import cache

    settings.SIGNUP_MAX_PER_IP = 1
    assert sign_up("early", "10.0.0.10").status_code == 302
    assert sign_up("blocked", "10.0.0.10").status_code == 200
    cache.clear()  # what the window's expiry does
    assert sign_up("later", "10.0.0.10").status_code == 302
