"""One JSON error shape for every API on the site: ``{"error": {"field": ..., "message": ...}}``.

``field`` names the input at fault ("body" for the request as a whole) so a page
can put the message next to the right control; ``message`` is a sentence for the
visitor. Services raise ``FieldError`` (or a subclass that sets its own status);
``json_field_errors`` turns it into the 4xx response, so no view formats errors itself.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse


class FieldError(Exception):
    """A refusal that names the field it is about; nothing has been changed when one is raised."""

    status = 400

    def __init__(self, field: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        return error_body(self.field, self.message)


def error_body(field: str, message: str) -> dict[str, Any]:
    return {"error": {"field": field, "message": message}}


def error_response(field: str, message: str, status: int = 400, **extra: Any) -> JsonResponse:
    """The error as a response; ``extra`` keys (e.g. ``retry_after``) sit beside ``error``."""
    return JsonResponse({**error_body(field, message), **extra}, status=status)


def json_field_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer a ``FieldError`` raised by the view with its JSON error (400 unless the error says otherwise)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except FieldError as exc:
            return error_response(exc.field, exc.message, exc.status)

    return wrapper
