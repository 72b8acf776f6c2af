"""The settings checks catch typos that would otherwise change who may run code, or how."""

from __future__ import annotations

from sandbox.checks import check_sandbox_settings


def ids(settings_errors) -> list[str]:
    return [error.id for error in settings_errors]


def test_the_default_settings_pass():
    assert check_sandbox_settings() == []


def test_a_misspelt_code_runners_value_is_an_error(settings):
    settings.SANDBOX_CODE_RUNNERS = "user"
    errors = check_sandbox_settings()
    assert ids(errors) == ["sandbox.E001"]
    assert "must be one of everyone, users, not 'user'" in errors[0].msg


def test_an_unknown_backend_is_an_error(settings):
    settings.SANDBOX_BACKEND = "docker"
    assert ids(check_sandbox_settings()) == ["sandbox.E002"]


def test_the_soft_limit_must_come_before_the_hard_one(settings):
    settings.SANDBOX_DEMO_SOFT_TIME_LIMIT, settings.SANDBOX_DEMO_TIME_LIMIT = 60, 60
    assert ids(check_sandbox_settings()) == ["sandbox.E003"]


def test_a_lease_too_short_to_renew_is_an_error(settings):
    settings.SANDBOX_LEASE_SECONDS = 2
    assert ids(check_sandbox_settings()) == ["sandbox.E004"]


def test_caps_and_uid_slots_of_zero_are_errors(settings):
    settings.SANDBOX_ACTIVE_RUNS_PER_IP = 0
    settings.SANDBOX_UID_COUNT = 0
    errors = check_sandbox_settings()
    assert ids(errors) == ["sandbox.E005", "sandbox.E005"]
    assert errors[0].msg == "SANDBOX_ACTIVE_RUNS_PER_IP must be at least 1, or no run could ever start."


def test_run_uids_must_stay_clear_of_real_accounts(settings):
    settings.SANDBOX_UID_BASE = 1000
    assert ids(check_sandbox_settings()) == ["sandbox.E006"]
