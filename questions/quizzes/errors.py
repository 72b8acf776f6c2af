"""Errors the quiz services raise; views turn them into a message (pages) or the site's JSON error (API).

Each is a ``FieldError`` (``prep_site.web.errors``): it names the field it is
about, so the API answers ``{"error": {"field": ..., "message": ...}}`` and a
form can put the message next to the right input.
"""
from __future__ import annotations

from prep_site.web.errors import FieldError


class QuizError(FieldError):
    status = 400


class InvalidInput(QuizError):
    """The request is malformed or out of range (400)."""


class NotFound(QuizError):
    """No such attempt, or not yours: the two are indistinguishable on purpose (404)."""

    status = 404


class AttemptClosed(QuizError):
    """The attempt is finished or past its deadline; nothing was changed (409)."""

    status = 409
