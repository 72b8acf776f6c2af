"""Log-in throttling per (username, IP) in the cache."""
from __future__ import annotations

from typing import Any

from django.test import Client

from prep_site.accounts import throttle


def attempt(client: Client, password: str, username: str = "alice", ip: str = "10.0.0.1") -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_locks_out_after_too_many_failures_even_with_the_right_password(client: Client, alice: Any,
                                                                        settings: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert "Please enter a correct" in attempt(client, "wrong").content.decode()
    response = attempt(client, "a-long-passphrase-1")
    assert response.status_code == 200
    assert "Too many failed log-in attempts for this username from your address" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_username_and_address(client: Client, alice: Any, settings: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        attempt(client, "wrong")
    assert attempt(Client(), "a-long-passphrase-1", ip="10.0.0.2").status_code == 302  # another address
    assert "Too many" in attempt(client, "x", username="ALICE ").content.decode()  # same user, normalised
    assert "Too many" not in attempt(client, "x", username="bob").content.decode()


def test_a_success_resets_the_count(client: Client, alice: Any, settings: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    attempt(client, "wrong")
    attempt(client, "wrong")
    assert attempt(client, "a-long-passphrase-1").status_code == 302
    client.post("/accounts/logout/")
    attempt(client, "wrong")
    attempt(client, "wrong")
    assert attempt(client, "a-long-passphrase-1").status_code == 302


def test_the_lock_expires(alice: Any, settings: Any, monkeypatch: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 1
    settings.LOGIN_LOCKOUT_SECONDS = 60
    throttle.record_failure("alice", "10.0.0.9")
    assert throttle.is_locked("alice", "10.0.0.9")
    assert "1 minute" in throttle.lockout_message()
    from django.core.cache import cache

    cache.clear()  # what the timeout does after LOGIN_LOCKOUT_SECONDS
    assert not throttle.is_locked("alice", "10.0.0.9")
