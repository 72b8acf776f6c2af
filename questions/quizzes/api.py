"""The quiz JSON API: start an attempt, read it, save answers, finish, read results, self-grade.

Same service functions as the pages, so the same rules. Errors are the site's
JSON error ``{"error": {"field": "<name>", "message": "<sentence>"}}`` with a 4xx
status, and nothing has changed when one comes back. Authentication is the session (log-in or the
anonymous visitor's cookie); writes need the CSRF token in ``X-CSRFToken``
(``GET /quiz/api/presets/`` sets the cookie).
"""
from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from prep_site.web.errors import json_field_errors
from prep_site.web.json_body import read_json_object
from questions.quizzes import presenters, presets, services
from questions.quizzes.builder import QuizSpec
from questions.quizzes.errors import AttemptClosed, InvalidInput
from questions.quizzes.ownership import owner_for


@require_GET
@ensure_csrf_cookie
def preset_list(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"presets": [
        {"key": p.key, "title": p.title, "description": p.description, "questions": p.question_count,
         "minutes": p.minutes}
        for p in presets.all_presets()
    ]})


@require_POST
@json_field_errors
def start(request: HttpRequest) -> JsonResponse:
    """Body: ``{"preset": "<key>"}`` (resumes a running attempt at that preset; add ``"restart": true`` to
    close it and start afresh) or a spec: topics, difficulties, count, drills, time_limit_minutes, mode."""
    data = read_json_object(request)
    owner = owner_for(request)
    if "preset" in data:
        attempt = services.start_preset(owner, str(data["preset"]), restart=data.get("restart") is True)
    else:
        attempt = services.start_attempt(owner, QuizSpec.from_data(data))
    return JsonResponse(presenters.attempt_payload(attempt), status=201)


@require_GET
@json_field_errors
def attempt(request: HttpRequest, attempt_id: str) -> JsonResponse:
    found = services.get_attempt(owner_for(request, create=False), attempt_id)
    return JsonResponse(presenters.attempt_payload(found))


@require_POST
@json_field_errors
def save(request: HttpRequest, attempt_id: str) -> JsonResponse:
    """Body: ``{"slot": <number>, "value": <option id(s) | number | text | null>, "seconds_spent": <int>}``.

    Option ids are the ones this attempt's payload lists (opaque tokens, different in every attempt).
    """
    data = read_json_object(request)
    if "slot" not in data:
        raise InvalidInput("slot", "is required: the number of the question being answered")
    if "value" not in data:
        raise InvalidInput("value", "is required (null clears the answer)")
    owner = owner_for(request, create=False)
    answer = services.save_answer(owner, attempt_id, data["slot"], data["value"], data.get("seconds_spent"))
    found = services.get_attempt(owner, attempt_id)
    return JsonResponse({
        "saved": True, "slot": answer.slot.position, "value": presenters.answer_value(answer.slot, answer.value),
        "saves": answer.saves,
        "remaining_seconds": services.remaining_seconds(found), "status": found.status,
    })


@require_POST
@json_field_errors
def finish(request: HttpRequest, attempt_id: str) -> JsonResponse:
    done = services.finish(owner_for(request, create=False), attempt_id)
    return JsonResponse(presenters.results_payload(done))


@require_GET
@json_field_errors
def results(request: HttpRequest, attempt_id: str) -> JsonResponse:
    found = services.get_attempt(owner_for(request, create=False), attempt_id)
    if not found.is_finished:
        raise AttemptClosed("attempt", "results are available once the attempt is finished")
    return JsonResponse(presenters.results_payload(found))


@require_POST
@json_field_errors
def self_grade(request: HttpRequest, attempt_id: str) -> JsonResponse:
    """Body: ``{"slot": <number>, "score": 0 | 1 | 2}`` for a free-text answer, after finishing."""
    data = read_json_object(request)
    owner = owner_for(request, create=False)
    services.self_grade(owner, attempt_id, data.get("slot"), data.get("score"))
    return JsonResponse(presenters.results_payload(services.get_attempt(owner, attempt_id)))
