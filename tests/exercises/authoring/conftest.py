"""Exercise authoring fixtures: the add-one test bank as the admin's bank, its live draft, the sandbox."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _authoring_settings(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"  # revisions are materialised under the data directory


@pytest.fixture
def bank_dir(exercise_bank, monkeypatch):
    """The add-one bank loaded, and the admin reading bank exercises from it."""
    from questions import bank_loader

    monkeypatch.setattr(bank_loader, "DEFAULT_BANK_DIR", exercise_bank.root)
    return exercise_bank


@pytest.fixture
def add_one(bank_dir):
    from questions.exercises.models import Exercise

    return Exercise.objects.get(slug="add-one")


@pytest.fixture
def live(add_one):
    """The add-one exercise as the authoring form holds it."""
    from questions.exercises.authoring.revisions import live_draft

    return live_draft(add_one)


@pytest.fixture
def sandbox_available():
    from sandbox.jail.runner import SandboxUnavailable, get_sandbox

    try:
        get_sandbox("auto")
    except SandboxUnavailable as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI=true but no sandbox can start: {exc}")
        pytest.skip(str(exc))
