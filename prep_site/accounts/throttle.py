"""Log-in throttling: too many failures for one username from one address lock that pair out for a while.

Keyed on (username, IP) in the Django cache — the database cache by default, so
every gunicorn worker sees the same counts. Per pair rather than per username,
so an attacker cannot lock a real user out from elsewhere; per pair rather than
per IP, so a shared office address does not lock everybody out.
"""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def max_failures() -> int:
    return int(getattr(settings, "LOGIN_MAX_FAILURES", 5))


def lockout_seconds() -> int:
    return int(getattr(settings, "LOGIN_LOCKOUT_SECONDS", 15 * 60))


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
