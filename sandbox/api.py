"""The JSON API the question pages' script talks to. Views only validate, count and enqueue.

POST /runs/api/runs/                 {"demo": name, "params": {...}} or {"code": "..."} → 202
GET  /runs/api/runs/<id>/            state, progress, result, rendered result HTML, error
POST /runs/api/runs/<id>/cancel/     stop a queued or running run
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from prep_site.web.errors import FieldError, error_response
from prep_site.web.json_body import read_json_object
from sandbox import ratelimit
from sandbox.display.rendering import render_result
from sandbox.identity import owner_of, rate_identity
from sandbox.jobs import dispatch, fairness
from sandbox.models import Run
from sandbox.validation import DemoRequest, RunRequestError, validate_run_request


def _too_many(field: str, message: str, retry_after: int) -> JsonResponse:
    response = error_response(field, message, 429, retry_after=retry_after)
    response["Retry-After"] = str(retry_after)
    return response


def _limit_for(request_kind: str) -> ratelimit.Limit:
    count = settings.SANDBOX_RATE_LIMIT_DEMO if request_kind == "demo" else settings.SANDBOX_RATE_LIMIT_CODE
    return ratelimit.Limit(scope=request_kind, count=count, window=settings.SANDBOX_RATE_WINDOW)


@require_POST
def submit_run(request: HttpRequest) -> JsonResponse:
    try:
        run_request = validate_run_request(read_json_object(request), signed_in=request.user.is_authenticated)
    except (FieldError, RunRequestError) as exc:
        return error_response(exc.field, exc.message, exc.status)
    kind = "demo" if isinstance(run_request, DemoRequest) else "code"
    owner = owner_of(request, create_session=True)
    limit = _limit_for(kind)
    retry_after = ratelimit.hit(limit, rate_identity(owner))
    if retry_after is not None:
        return _too_many(
            kind,
            f"Too many {kind} runs: at most {limit.count} every {limit.window} s. Try again in {retry_after} s.",
            retry_after,
        )
    try:
        submission = dispatch.submit(run_request, owner)
    except fairness.TooManyActiveRuns as exc:
        return _too_many(kind, exc.message, exc.retry_after)
    payload = status_payload(submission.run, include_html=False)
    payload.update(joined=submission.joined, broker_available=submission.enqueued)
    if not submission.enqueued:
        payload["message"] = dispatch.BROKER_DOWN_MESSAGE
    return JsonResponse(payload, status=202)


def status_payload(run: Run, include_html: bool = True) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(run.id),
        "kind": run.kind,
        "demo": run.demo or None,
        "params": run.params if run.kind == Run.Kind.DEMO else None,
        "state": run.state,
        "final": run.is_final,
        "progress": run.progress,
        "message": run.progress_message,
        "error": run.error or None,
        "attempts": run.attempts,
        "queued_at": run.queued_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        # Server-side, so the page's counter does not depend on the visitor's clock.
        "elapsed_s": _elapsed_seconds(run),
        # What the program printed so far, while it runs (the result has all of it afterwards).
        "live_output": None if run.is_final else run.live_output,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "environment": run.environment or None,
        "status_url": run.get_status_url(),
        "url": run.get_absolute_url(),
    }
    wait = fairness.wait_in_line(run)
    payload["queue"] = wait
    if wait is not None and not run.cancel_requested and run.enqueued_at:  # a broker-down note stays as it is
        payload["message"] = wait["message"]
    # Place in line says how long until it starts; the estimate, how long until it is done (a run
    # sat at "0% · starting" for 11 s with neither).
    estimate = fairness.run_estimate(run) if not run.cancel_requested else None
    payload["estimate"] = estimate
    if estimate is not None and (run.state == Run.State.RUNNING or run.enqueued_at):
        payload["message"] = " · ".join(part for part in (payload["message"], estimate["message"]) if part)
    if include_html:
        payload["result"] = run.result
        payload["result_html"] = render_result(run)
    return payload


def _elapsed_seconds(run: Run) -> float | None:
    if run.started_at is None:
        return None
    return round(((run.finished_at or timezone.now()) - run.started_at).total_seconds(), 1)


def _visible_run(request: HttpRequest, run_id: str) -> Run:
    owner = owner_of(request)
    return get_object_or_404(Run.objects.visible_to(owner, request.user.is_staff), pk=run_id)


@never_cache
@require_GET
def run_status(request: HttpRequest, run_id: str) -> JsonResponse:
    return JsonResponse(status_payload(_visible_run(request, run_id)))


@require_POST
def cancel_run(request: HttpRequest, run_id: str) -> JsonResponse:
    run = _visible_run(request, run_id)
    if not (request.user.is_staff or run.owned_by(owner_of(request))):
        return error_response("run", "run: only the person who started this run can cancel it.", 403)
    if not dispatch.cancel(run):
        return error_response("run", f"run: already {run.get_state_display().lower()}; there is nothing to cancel.", 409)
    return JsonResponse(status_payload(run))
