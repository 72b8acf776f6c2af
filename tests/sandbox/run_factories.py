"""Helpers that put runs in a given state without going through a broker (imported by the tests here)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from engine.environment import ENGINE_VERSION
from sandbox.models import Run


def make_run(demo: str = "fixture_chart", state: str = Run.State.QUEUED, **fields: Any) -> Run:
    from engine.demos import get_demo

    params = fields.pop("params", None)
    if fields.get("kind") == Run.Kind.CODE:
        params = {}
    elif params is None:
        params = get_demo(demo).validate({})
    fields.setdefault("engine_version", ENGINE_VERSION)
    if state != Run.State.QUEUED:
        fields.setdefault("attempts", 1)
        fields.setdefault("started_at", timezone.now() - timedelta(seconds=5))
    if state in Run.FINAL_STATES:
        fields.setdefault("finished_at", timezone.now())
    if state == Run.State.RUNNING:
        fields.setdefault("lease_expires_at", timezone.now() + timedelta(seconds=60))
    return Run.objects.create(kind=fields.pop("kind", Run.Kind.DEMO), demo=demo, params=params, state=state, **fields)


def succeeded(demo: str = "fixture_chart", device: str = "cpu", **fields: Any) -> Run:
    fields.setdefault(
        "result",
        {"title": f"{demo} result", "metrics": [], "table": {"columns": [], "rows": []}, "charts": [], "notes": []},
    )
    fields.setdefault(
        "environment", {"device": device, "host": "worker-1", "torch": "2.13.0", "engine": ENGINE_VERSION}
    )
    return make_run(demo, Run.State.SUCCEEDED, device=device, **fields)


def field_error(response: Any) -> tuple[str | None, str]:
    """(field, message) of a JSON error, in the unified ``{"error": {"field", "message"}}`` shape or the older flat one."""
    body = response.json()
    error = body["error"]
    if isinstance(error, dict):
        return error.get("field"), error["message"]
    return body.get("field"), error
