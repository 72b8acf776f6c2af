"""Turning a request body into a run request, in one place, with the messages visitors see.

Every rejection names the field it is about and, where there is one, the allowed
range, so the page can put the message next to the right input. Nothing is queued
for a request that fails here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from engine.demos import DemoParamError, UnknownDemoError, all_demos, get_demo
from sandbox.jobs import queues

# The user-facing messages, keyed by what went wrong. Formatted with str.format.
MESSAGES = {
    "both": 'Send either "demo" or "code", not both.',
    "neither": 'Send "demo" (the name of a demo) or "code" (Python source to run).',
    "demo_not_string": "demo: must be the name of a demo as a string.",
    "demo_unknown": "demo: there is no demo called {name!r}; available demos: {known}.",
    "params_not_object": "params: must be an object mapping parameter names to values.",
    "param_invalid": "params.{param}: {detail}",
    "param_too_long": "params.{param}: must be at most {limit} characters, got {length}.",
    "nul": "{name}: must not contain NUL characters (\\0).",
    "code_not_string": "code: must be Python source as a string.",
    "code_empty": "code: is empty; write some Python to run.",
    "code_too_long": "code: must be at most {limit} characters, got {length}.",
    "code_login_required": "code: sign in to run code on this site.",
}


class RunRequestError(Exception):
    """A request we refuse; ``field`` tells the page which input the message belongs to."""

    def __init__(self, field: str, key: str, status: int = 400, **fmt: Any):
        self.field = field
        self.status = status
        self.message = MESSAGES[key].format(**fmt)
        super().__init__(self.message)


@dataclass(frozen=True)
class DemoRequest:
    demo: str
    params: dict[str, Any]
    queue: str


@dataclass(frozen=True)
class CodeRequest:
    code: str
    queue: str = field(default=queues.CODE)


@dataclass(frozen=True)
class ExerciseRequest:
    """A submission to grade, already validated by the exercises app (which knows the slugs)."""

    exercise: str
    mode: str  # "check" | "submit"
    seed: int
    code: str
    queue: str = field(default=queues.EXERCISES)

    @property
    def params(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "mode": self.mode, "seed": self.seed}


def validate_run_request(data: dict[str, Any], signed_in: bool) -> DemoRequest | CodeRequest:
    """The one validator of run submissions (API, management commands and tests all use it)."""
    has_demo, has_code = "demo" in data, "code" in data
    if has_demo and has_code:
        raise RunRequestError("body", "both")
    if has_demo:
        return _validate_demo(data.get("demo"), data.get("params", {}))
    if has_code:
        return _validate_code(data.get("code"), signed_in)
    raise RunRequestError("body", "neither")


def _validate_demo(name: Any, params: Any) -> DemoRequest:
    if not isinstance(name, str) or not name.strip():
        raise RunRequestError("demo", "demo_not_string")
    try:
        demo = get_demo(name.strip())
    except UnknownDemoError:
        known = ", ".join(d.name for d in all_demos()) or "none"
        raise RunRequestError("demo", "demo_unknown", name=name[:80], known=known) from None
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise RunRequestError("params", "params_not_object")
    _check_string_lengths(demo, params)
    try:
        clean = demo.validate(params)
    except DemoParamError as exc:
        detail = str(exc).split(": ", 1)[-1]
        raise RunRequestError(f"params.{exc.param}", "param_invalid", param=exc.param, detail=detail) from None
    return DemoRequest(demo=demo.name, params=clean, queue=demo.queue)


def _check_string_lengths(demo: Any, params: dict[str, Any]) -> None:
    """Every string parameter is capped (a demo's own rules only know choices): results are public pages."""
    limit = settings.SANDBOX_PARAM_MAX_CHARS
    for param in demo.params:
        if param.kind is not str or param.name not in params:
            continue
        raw = params[param.name]
        if isinstance(raw, (list, dict)):  # str() of a nested structure is no one's intended text
            raise RunRequestError(
                f"params.{param.name}", "param_invalid", param=param.name, detail=f"must be text, got a {type(raw).__name__}"
            )
        text = str(raw)
        if len(text) > limit:
            raise RunRequestError(
                f"params.{param.name}", "param_too_long", param=param.name, limit=limit, length=len(text)
            )
        if "\x00" in text:
            raise RunRequestError(f"params.{param.name}", "nul", name=f"params.{param.name}")


def _validate_code(code: Any, signed_in: bool) -> CodeRequest:
    # Anything but an explicit "everyone" fails closed (the system check reports the typo).
    if settings.SANDBOX_CODE_RUNNERS != "everyone" and not signed_in:
        raise RunRequestError("code", "code_login_required", status=403)
    if not isinstance(code, str):
        raise RunRequestError("code", "code_not_string")
    if not code.strip():
        raise RunRequestError("code", "code_empty")
    limit = settings.SANDBOX_CODE_MAX_CHARS
    if len(code) > limit:
        raise RunRequestError("code", "code_too_long", limit=limit, length=len(code))
    if "\x00" in code:
        raise RunRequestError("code", "nul", name="code")
    return CodeRequest(code=code)
