"""System checks for the sandbox settings: a typo must stop start-up, not quietly open code runs to everyone."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

CODE_RUNNERS = ("everyone", "users")
BACKENDS = ("auto", "bubblewrap", "rlimit")


@register()
def check_sandbox_settings(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    if settings.SANDBOX_CODE_RUNNERS not in CODE_RUNNERS:
        errors.append(Error(
            f"SANDBOX_CODE_RUNNERS must be one of {', '.join(CODE_RUNNERS)}, not {settings.SANDBOX_CODE_RUNNERS!r}.",
            id="sandbox.E001",
        ))  # fmt: skip
    if settings.SANDBOX_BACKEND not in BACKENDS:
        errors.append(Error(
            f"SANDBOX_BACKEND must be one of {', '.join(BACKENDS)}, not {settings.SANDBOX_BACKEND!r}.", id="sandbox.E002"
        ))  # fmt: skip
    if settings.SANDBOX_DEMO_SOFT_TIME_LIMIT >= settings.SANDBOX_DEMO_TIME_LIMIT:
        errors.append(Error(
            "SANDBOX_DEMO_SOFT_TIME_LIMIT must be below SANDBOX_DEMO_TIME_LIMIT, or demos are killed without a reason.",
            id="sandbox.E003",
        ))  # fmt: skip
    if settings.SANDBOX_LEASE_SECONDS < 3:
        errors.append(
            Error(
                "SANDBOX_LEASE_SECONDS must be at least 3 (the lease is renewed every third of it).", id="sandbox.E004"
            )
        )
    for name in ("SANDBOX_ACTIVE_RUNS_PER_VISITOR", "SANDBOX_ACTIVE_RUNS_PER_IP", "SANDBOX_UID_COUNT"):
        if getattr(settings, name) < 1:
            errors.append(Error(f"{name} must be at least 1, or no run could ever start.", id="sandbox.E005"))
    # Below 65536 the range could hold real accounts (and nobody): a run would share their uid and files.
    if settings.SANDBOX_UID_BASE < 65536 or settings.SANDBOX_UID_BASE + settings.SANDBOX_UID_COUNT > 2**31:
        errors.append(Error(
            "SANDBOX_UID_BASE must be at least 65536 and the range must end below 2^31, so that no run shares a real "
            "account's uid.",
            id="sandbox.E006",
        ))  # fmt: skip
    return errors
