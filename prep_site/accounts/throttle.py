"""Throttles on the account forms, counted in the Django cache (the database cache by default, so every
gunicorn worker sees the same counts).

Log-in: too many failures for one username from one address lock that pair out
for a while. Per pair rather than per username, so an attacker cannot lock a
real user out from elsewhere; per pair rather than per IP, so a shared office
address does not lock everybody out.

Sign-up: at most ``SIGNUP_MAX_PER_IP`` new accounts per address per window.
Per-account limits (code runs) mean nothing if accounts are free to mint by the
dozen, so here the address is the right key.
"""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def max_failures() -> int:
    return settings.LOGIN_MAX_FAILURES


def lockout_seconds() -> int:
    return settings.LOGIN_LOCKOUT_SECONDS


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}\x00{ip}".encode()).hexdigest()
    return f"login-failures:{digest}"


def is_locked(username: str, ip: str) -> bool:
    return cache.get(_key(username, ip), 0) >= max_failures()


def record_failure(username: str, ip: str) -> int:
    """Count one failure; the window restarts with each failure. Returns the count."""
    key = _key(username, ip)
    failures = cache.get(key, 0) + 1
    cache.set(key, failures, lockout_seconds())
    return failures


def reset(username: str, ip: str) -> None:
    cache.delete(_key(username, ip))


def lockout_message() -> str:
    minutes = max(1, round(lockout_seconds() / 60))
    return (f"Too many failed log-in attempts for this username from your address. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}, or reset your password.")


def _signup_key(ip: str) -> str:
    return f"signups:{hashlib.sha256(ip.encode()).hexdigest()}"


def signup_allowed(ip: str) -> bool:
    return cache.get(_signup_key(ip), 0) < settings.SIGNUP_MAX_PER_IP


def record_signup(ip: str) -> None:
    """Count one account made from ``ip``; the window runs from the first one."""
    key = _signup_key(ip)
    cache.add(key, 0, settings.SIGNUP_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr(): this sign-up starts a new window
        cache.set(key, 1, settings.SIGNUP_WINDOW_SECONDS)


def signup_limit_message() -> str:
    hours = max(1, round(settings.SIGNUP_WINDOW_SECONDS / 3600))
    return (f"Too many accounts were created from your address recently (at most {settings.SIGNUP_MAX_PER_IP} "
            f"every {hours} hour{'s' if hours != 1 else ''}). Try again later, or log in to an existing account.")
