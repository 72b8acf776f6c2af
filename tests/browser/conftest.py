"""Browser fixtures: real headless Chromium (Debian's package) driven by Playwright's sync API.

``browser_page`` is a fresh page in a fresh context, so tests never share cookies or storage.
Outside CI a missing /usr/bin/chromium skips the browser tests with the reason; under CI=true
it fails instead, so a broken CI image cannot silently pass.
"""
from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import OperationalError, connection

# Django's live_server runs in a thread while Playwright's sync API keeps an event loop running
# in this one; Django would otherwise refuse ORM calls from "an async context".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 15_000


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium, or run `make test`)"
        if _in_ci():
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is in requirements/test.txt
        if _in_ci():
            pytest.fail(f"CI=true but playwright is not installed: {exc}")
        pytest.skip(f"playwright is not installed: {exc}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_context(chromium_browser, live_server) -> Iterator[object]:
    """``open_context(**options)``: a fresh browser context on the live server, closed after the test.

    Every context a test opens goes through here, so each is closed, and the live server has finished
    its requests, before the test's database is flushed.
    """
    contexts = []

    def open_one(**options):
        context = chromium_browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context

    try:
        yield open_one
    finally:
        for context in contexts:
            context.close()
        _wait_for_live_server_requests()


@pytest.fixture
def browser_page(open_context) -> object:
    """A page whose relative URLs go to the live server: ``browser_page.goto("/")``."""
    return open_context(viewport={"width": 1200, "height": 900}).new_page()


def _wait_for_live_server_requests(timeout_s: float = 15.0) -> None:
    """Wait until the live server has finished every request before the test's database is flushed.

    With SQLite in memory, pytest-django hands the live server thread the test's own connection. A
    request still being handled (an autosave sent just before the test ended, one the closed page
    abandoned) then shares a transaction with the flush: its rollback can undo the flush's deletes and
    leave rows for the next test. Closing the context closes the browser's sockets, so every request
    thread ends once its response is written; join them. (Threads are named after their target.)
    """
    deadline = time.monotonic() + timeout_s
    while (busy := [t for t in threading.enumerate() if "process_request_thread" in t.name and t.is_alive()]):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the live server still handles {len(busy)} request(s) {timeout_s:.0f} s after the page closed")
        busy[0].join(left)


@pytest.fixture
def admin_login():
    """``admin_login(page, username, password)``: sign in through the admin's login form, as a person would."""

    def log_in(page, username: str, password: str) -> None:
        page.goto("/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_url(re.compile(r"/admin/$"))

    return log_in


@pytest.fixture
def thread_worker(monkeypatch):
    """apply_async → a thread that executes the run a moment later, as a Celery worker would."""
    from celery import Celery
    from celery.app.task import Task

    from questions.exercises.authoring.validate import validate_run
    from questions.exercises.worker import grade_run
    from sandbox.jobs.execution import execute
    from sandbox.jobs.models import Run

    def work(run_id: str) -> None:
        # The test database is SQLite's shared-cache in-memory database, whose table locks do not
        # wait for the busy timeout: a write racing the live server's read fails at once with
        # "database table is locked". A real worker has its own connection to a WAL file and waits;
        # here we wait by retrying the claim (a run that was claimed is not claimed twice).
        try:
            for attempt in range(50):
                try:
                    # The handler the run's task would pass: exercise runs bring theirs (sandbox/tasks.py).
                    kind = Run.objects.filter(pk=run_id).values_list("kind", flat=True).first()
                    execute(run_id, handler={Run.Kind.EXERCISE: grade_run, Run.Kind.VALIDATION: validate_run}.get(kind))
                    return
                except OperationalError as exc:
                    if "locked" not in str(exc) or attempt == 49:
                        raise
                    time.sleep(0.1)
        finally:
            connection.close()

    class Sent:
        def __init__(self) -> None:
            self.id = str(uuid.uuid4())

    def apply_async(self, args=None, kwargs=None, **options):
        threading.Timer(0.3, work, args=args).start()
        return Sent()

    def send_task(self, name, args=None, kwargs=None, **options):
        return apply_async(None, args, kwargs, **options)

    # Runs are published by task name; the web process has not imported the task module, so the
    # signature falls back to send_task. Both paths lead to the thread.
    monkeypatch.setattr(Task, "apply_async", apply_async)
    monkeypatch.setattr(Celery, "send_task", send_task)
