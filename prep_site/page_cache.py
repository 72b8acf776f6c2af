"""Whole-page cache for visitors without a session, and HEAD answered wherever GET is.

Most traffic is anonymous reading of the bank, and those pages are the same for every such visitor,
so the rendered bytes are kept in the ``pages`` cache and served without touching the view.

Why not Django's own cache middleware: pages that carry a CSRF token get ``Vary: Cookie``, so every
visitor with a different ``csrftoken`` cookie would get (and fill) an entry of their own; and it has
no way to drop everything when the bank changes. Here:

* **Who is served from the cache**: GET (and HEAD) of the views in ``CACHED_VIEWS`` from a request
  with no session cookie and no messages cookie, i.e. a visitor whose page cannot depend on who they
  are. Signed-in visitors (and anonymous quiz takers, who have a session) always get a fresh page.
* **CSRF tokens**: a token rendered into a page belongs to one visitor's cookie. Before storing, every
  token of the rendering request is replaced by a placeholder; on a hit, each placeholder gets a token
  for *this* visitor (``get_token``), so the CSRF middleware sends them the matching cookie.
* **Invalidation**: every key contains a generation number kept in the cache. Anything that changes
  what these pages show bumps it (``connect_receivers``: bank models saved or deleted, a demo run
  finishing), which orphans every stored page at once; entries also expire after
  ``PAGE_CACHE_SECONDS``. The generation is read *before* rendering, so a page rendered while the data
  changed is stored under the old, already-orphaned number.
"""
from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware import csrf

CACHE_ALIAS = "pages"
GENERATION_KEY = "page-cache:generation"
# Views whose anonymous GET responses are the same for every visitor without a session.
CACHED_VIEWS = frozenset(
    {
        "questions:home",
        "questions:topics",
        "questions:topic",
        "questions:question",
        "questions:tag",
        "questions:search",
        "questions:api_topics",
        "questions:api_topic",
        "questions:api_questions",
        "questions:api_question",
    }
)
CSRF_PLACEHOLDER = b"\x00csrf-token\x00"
# A masked CSRF token as Django renders it: 64 characters of its alphabet.
_TOKEN_RE = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{%d}(?![A-Za-z0-9])" % csrf.CSRF_TOKEN_LENGTH)
# Headers that are about this one exchange, not about the page.
_PER_REQUEST_HEADERS = {"set-cookie", "vary", "content-length"}


def _pages() -> Any:
    # A deployment (or a test) that configures only the default cache still gets page caching.
    return caches[CACHE_ALIAS if CACHE_ALIAS in settings.CACHES else "default"]


# The generation lives in the shared default cache, so a change made by any process (the admin in one
# gunicorn worker, load_bank, a Celery worker) orphans the pages of all. Each process remembers the
# number it read for GENERATION_MEMO_SECONDS, which saves a cache round trip per request at the price
# of serving a page up to that long after another process changed it.
GENERATION_MEMO_SECONDS = 1.0
_memo: dict[str, float] = {"value": 0, "read_at": float("-inf")}


def generation() -> int:
    """The current generation; a cleared cache starts from the clock, never from an old number."""
    if time.monotonic() - _memo["read_at"] < GENERATION_MEMO_SECONDS:
        return int(_memo["value"])
    shared = caches["default"]
    value = shared.get(GENERATION_KEY)
    if value is None:
        shared.add(GENERATION_KEY, time.time_ns(), timeout=None)
        value = shared.get(GENERATION_KEY, 0)
    _remember(int(value))
    return int(value)


def _remember(value: int) -> None:
    _memo.update(value=value, read_at=time.monotonic())


def forget() -> None:
    """Drop this process's memory of the generation and its pages (tests roll the database back)."""
    _memo.update(value=0, read_at=float("-inf"))
    _pages().clear()


def bump_generation(**_signal_kwargs: Any) -> None:
    """Orphan every cached page (a signal receiver, hence the keyword arguments it ignores)."""
    shared = caches["default"]
    try:
        _remember(shared.incr(GENERATION_KEY))
    except ValueError:  # no generation stored yet: nothing cached under one either
        value = time.time_ns()
        shared.set(GENERATION_KEY, value, timeout=None)
        _remember(value)


def is_anonymous_reader(request: HttpRequest) -> bool:
    """No session and no pending messages: nothing on the page can be about this visitor."""
    return settings.SESSION_COOKIE_NAME not in request.COOKIES and "messages" not in request.COOKIES


def page_key(request: HttpRequest, gen: int) -> str:
    # Scheme and host are part of it: the API embeds absolute URLs.
    url = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return f"page:{gen}:{hashlib.sha256(url.encode()).hexdigest()}"


def _tokens_of(request: HttpRequest) -> Callable[[re.Match[bytes]], bytes]:
    secret = request.META.get("CSRF_COOKIE", "")

    def replace(match: re.Match[bytes]) -> bytes:
        token = match.group().decode()
        # _unmask_cipher_token is how CsrfViewMiddleware itself checks a submitted token.
        return CSRF_PLACEHOLDER if secret and csrf._unmask_cipher_token(token) == secret else match.group()

    return replace


def freeze(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    """What is kept of a rendered response: status, page headers, and the body with tokens taken out."""
    content = response.content
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # the page asked for a token
        content = _TOKEN_RE.sub(_tokens_of(request), content)
    headers = [(k, v) for k, v in response.items() if k.lower() not in _PER_REQUEST_HEADERS]
    return {"status": response.status_code, "headers": headers, "content": content}


def thaw(request: HttpRequest, frozen: dict[str, Any]) -> HttpResponse:
    content: bytes = frozen["content"]
    if CSRF_PLACEHOLDER in content:
        # One masked token serves every form on the page; minting a token costs random bytes.
        content = content.replace(CSRF_PLACEHOLDER, csrf.get_token(request).encode())
    response = HttpResponse(content, status=frozen["status"])
    for name, value in frozen["headers"]:
        response[name] = value
    return response


def _storable(request: HttpRequest, response: HttpResponseBase) -> bool:
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not (session is not None and session.modified)  # the view started a session: page is theirs
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


class PageCacheMiddleware:
    """Serve and store anonymous pages of ``CACHED_VIEWS``; goes after the auth and CSRF middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        key = getattr(request, "_page_cache_key", None)
        if key is not None and isinstance(response, HttpResponse) and _storable(request, response):
            _pages().set(key, freeze(request, response), settings.PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        match = request.resolver_match
        if (
            settings.PAGE_CACHE_SECONDS <= 0
            or request.method != "GET"
            or match is None
            or match.view_name not in CACHED_VIEWS
            or not is_anonymous_reader(request)
        ):
            return None
        key = page_key(request, generation())
        frozen = _pages().get(key)
        if frozen is None:
            request._page_cache_key = key  # type: ignore[attr-defined]
            return None
        response = thaw(request, frozen)
        response["X-Page-Cache"] = "hit"
        return response


class HeadAsGetMiddleware:
    """Answer HEAD wherever GET is answered (RFC 9110 §9.3.2): run the GET view, send no body.

    One place instead of ``require_safe`` on every view of every app, so a new view gets it for free.
    Goes after WhiteNoise (which answers HEAD for static files itself) and before everything else.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if isinstance(response, HttpResponse):
            response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response


def _demo_run_changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw and instance.kind == "demo" and instance.is_final:
        bump_generation()


def _demo_task_finished(sender: Any = None, **kwargs: Any) -> None:
    # Run.finish writes with a queryset update (no post_save), so the task's end is the signal.
    if getattr(sender, "name", "") == "sandbox.run_demo":
        bump_generation()


def connect_receivers() -> None:
    """Bump the generation whenever something a cached page shows may have changed.

    Every model of the bank app (topics, tags, questions, quiz items, choices) counts: the loader,
    the admin and the importers all save through the ORM. Demo results change when a demo run ends.
    """
    from celery.signals import task_postrun
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for model in apps.get_app_config("questions").get_models():
        post_save.connect(bump_generation, sender=model, dispatch_uid=f"page-cache-save-{model._meta.label}")
        post_delete.connect(bump_generation, sender=model, dispatch_uid=f"page-cache-delete-{model._meta.label}")
    question = apps.get_model("questions", "Question")
    m2m_changed.connect(bump_generation, sender=question.tags.through, dispatch_uid="page-cache-tags")
    # Question pages link to the exercises that practise them (submissions change no cached page).
    exercise = apps.get_model("exercises", "Exercise")
    post_save.connect(bump_generation, sender=exercise, dispatch_uid="page-cache-exercise")
    m2m_changed.connect(bump_generation, sender=exercise.practises.through, dispatch_uid="page-cache-practises")
    run = apps.get_model("sandbox", "Run")
    post_save.connect(_demo_run_changed, sender=run, dispatch_uid="page-cache-demo-run")
    task_postrun.connect(_demo_task_finished, dispatch_uid="page-cache-demo-task", weak=False)
