"""The JSON API of exercises, in the shape of the runs API (``sandbox/api.py``).

POST /exercises/api/submissions/        {"slug", "code", "mode": "check"|"submit"} → 202 + status
GET  /exercises/api/submissions/<id>/   state, elapsed time, live output, and once graded the verdict

Errors are the site's one shape, ``{"error": {"field", "message"}}``: 400 naming the field for an
unknown slug, a bad mode or oversize code; 429 (with Retry-After) over a rate limit or cap; 404 for a
submission that is not this visitor's.
"""
from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from prep_site.web.errors import FieldError, error_response
from prep_site.web.json_body import read_json_object
from questions.exercises import presenters, submissions
from sandbox.api import status_payload
from sandbox.jobs import dispatch


@require_POST
def submit(request: HttpRequest) -> JsonResponse:
    try:
        wanted = submissions.parse_submit(read_json_object(request), request.user)
        submission, enqueued = submissions.submit(request, wanted)
    except submissions.TooMany as exc:
        response = error_response(exc.field, exc.message, 429, retry_after=exc.retry_after)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except FieldError as exc:
        return error_response(exc.field, exc.message, exc.status)
    payload = submission_payload(request, submission)
    payload["broker_available"] = enqueued
    if not enqueued:
        payload["message"] = dispatch.BROKER_DOWN_MESSAGE
    return JsonResponse(payload, status=202)


def submission_payload(request: HttpRequest, submission: submissions.Submission) -> dict[str, Any]:
    """The run's status (as the runs API gives it) plus what an exercise page needs."""
    run = submission.run
    payload = status_payload(run, include_html=False)
    payload.update(presenters.submission_fields(submission))
    payload["run_id"] = payload.pop("id")
    payload["id"] = str(submission.pk)
    payload["status_url"] = presenters.status_url(submission)
    if run.is_final:
        payload.update(presenters.final_html(request, submission))
    return payload


@never_cache
@require_GET
def status(request: HttpRequest, submission_id: str) -> JsonResponse:
    submission = submissions.visible_submission(request, submission_id)
    if submission is None:
        raise Http404("No such submission.")
    return JsonResponse(submission_payload(request, submission))
